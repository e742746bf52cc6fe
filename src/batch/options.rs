//! How a batch runs: the options `cmd::return` builds from the flags, read by
//! every part of the batch.

use std::path::PathBuf;

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
}
