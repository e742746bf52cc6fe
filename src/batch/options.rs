//! How a batch runs: the options `cmd::return` builds from the flags, read by
//! every part of the batch.

use std::path::PathBuf;
use std::sync::Arc;

use crate::engine::ReturnInput;
use crate::report::Report;

/// Another record of each row sent, beside the journal (the ledger, which
/// `cmd::return` hands in): told before the request leaves, and after.
pub trait Recorder: Send + Sync + std::fmt::Debug {
    /// Why this row must not be sent (its request number is the ledger's
    /// for another coupon), before anything is written.
    fn refuses(&self, input: &ReturnInput) -> Option<String>;
    /// On disk when this returns, or the row is not sent.
    fn sending(&self, line: u64, input: &ReturnInput) -> anyhow::Result<()>;
    /// The row's outcome; an error is said, and the batch goes on.
    fn outcome(&self, line: u64, report: &Report) -> anyhow::Result<()>;
}

/// How a batch runs: domain values, built by `cmd::return` from the flags.
#[derive(Debug, Clone)]
pub struct Batch {
    /// The input file; `-` is stdin.
    pub file: PathBuf,
    pub journal: Option<PathBuf>,
    /// The stock id of rows that have none (`--stock`).
    pub stock_default: Option<String>,
    pub concurrency: usize,
    pub retry_rejected: bool,
    pub retry_unverified: bool,
    pub dry_run: bool,
    pub json: bool,
    /// `-v`: each attempt traced on stderr, with its row's line.
    pub verbose: bool,
    /// `wxcoupon` with the flags that chose the profile.
    pub invocation: String,
    /// The command line that runs this batch again (and so resumes it).
    pub again: String,
    /// The ledger, when it is on.
    pub recorder: Option<Arc<dyn Recorder>>,
}
