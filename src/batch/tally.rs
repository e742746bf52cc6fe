//! The tally of a batch: counts per outcome, the exit code by the rule
//! (0 when every row ended returned, else the most serious outcome present,
//! 5 > 4 > 3 > 2; an interrupted batch is at least 4), and the summary.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use super::options::Batch;
use super::row::{Done, How};
use crate::escape;
use crate::exit::Kind;
use crate::output::Out;

/// Counts per outcome.
#[derive(Default)]
pub struct Tally {
    counts: BTreeMap<&'static str, u64>,
    /// The most serious row's exit code so far.
    worst: u8,
    rows: u64,
    returned_now: u64,
    not_started: u64,
}

/// What a row adds to the batch's exit code. The exit codes are already in
/// the order of seriousness, 5 > 4 > 3 > 2 > 0; a bug on one row (1) counts
/// as an invalid row.
fn row_code(kind: Kind) -> u8 {
    match kind {
        Kind::Internal => Kind::Invalid.exit_code(),
        _ => kind.exit_code(),
    }
}

impl Tally {
    pub fn add(&mut self, d: &Done) {
        if d.how == How::NotStarted {
            self.not_started += 1;
            return;
        }
        let kind = d.report.judgement.outcome;
        let name = match kind {
            Kind::Returned | Kind::Rejected | Kind::Unknown | Kind::Unverified => kind.name(),
            _ => Kind::Invalid.name(),
        };
        *self.counts.entry(name).or_default() += 1;
        self.worst = self.worst.max(row_code(kind));
        self.rows += 1;
        if kind == Kind::Returned && d.how == How::Sent {
            self.returned_now += 1;
        }
    }

    /// Rows finished so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    pub fn short(&self) -> String {
        self.counts
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The batch's exit code: the most serious row's; an interrupted batch
    /// is at least `unknown`.
    pub fn exit_code(&self, interrupted: bool) -> u8 {
        if interrupted {
            self.worst.max(Kind::Unknown.exit_code())
        } else {
            self.worst
        }
    }

    /// The summary on stderr: counts, time, pace, the journal, how to resume.
    pub fn summary(
        &self,
        elapsed: Duration,
        journal: &Path,
        stopped: bool,
        unread_after: Option<u64>,
        b: &Batch,
        out: &mut Out,
    ) {
        let secs = elapsed.as_secs_f64();
        let pace = if secs > 0.0 {
            self.returned_now as f64 / secs
        } else {
            0.0
        };
        out.err(&format!(
            "batch: {} row(s): {}; {secs:.1} s, {pace:.1} returns/s; journal {}\n",
            self.rows,
            if self.counts.is_empty() {
                "none".to_string()
            } else {
                self.short()
            },
            escape::term(&journal.display().to_string())
        ));
        if self.counts.contains_key("rejected") {
            out.err(
                "batch: what a rejection's code means, and what to do: wxcoupon explain CODE\n",
            );
        }
        if stopped {
            let unread = unread_after
                .map(|line| format!(", nor the rows after line {line}"))
                .unwrap_or_default();
            out.err(&format!(
                "batch: interrupted: {} queued row(s) were not started{unread}. Resume with the same \
                 command{}:\n    {}\n",
                self.not_started,
                if b.file == Path::new("-") {
                    ", fed the same input again"
                } else {
                    ""
                },
                escape::term(&b.again)
            ));
        } else if self.worst == Kind::Unknown.exit_code() {
            out.err(&format!(
                "batch: rows with an unknown outcome are resumed, with their own request numbers, by \
                 running the same command again:\n    {}\n",
                escape::term(&b.again)
            ));
        }
    }
}
