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

/// Counts per outcome, and per WeChat Pay code.
#[derive(Default)]
pub struct Tally {
    /// Rows per outcome name, and whether the journal settled them.
    counts: BTreeMap<(&'static str, bool), u64>,
    /// Rows not returned, per WeChat Pay code (at most `CODES` codes; the rest in
    /// `other_codes`: a hostile answer cannot grow the summary).
    codes: BTreeMap<String, u64>,
    other_codes: u64,
    /// The most serious row's exit code so far.
    worst: u8,
    rows: u64,
    /// Rows sent in this run (whatever their outcome).
    sent: u64,
    not_started: u64,
}

/// How many codes the summary names.
const CODES: usize = 20;

/// How much of a code the summary shows.
const CODE_CHARS: usize = 64;

/// The outcomes in the order the summary says them.
const ORDER: [Kind; 5] = [
    Kind::Returned,
    Kind::Rejected,
    Kind::Unknown,
    Kind::Unverified,
    Kind::Invalid,
];

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
        *self
            .counts
            .entry((name, d.how == How::FromJournal))
            .or_default() += 1;
        // A return confirmed by retry carries RESOURCE_ALREADY_EXISTS as its
        // evidence: nothing to explain or do.
        if let Some(code) = d
            .report
            .judgement
            .code
            .as_ref()
            .filter(|_| kind != Kind::Returned)
        {
            if let Some(n) = self.codes.get_mut(code.as_str()) {
                *n += 1;
            } else if self.codes.len() < CODES {
                self.codes.insert(code.clone(), 1);
            } else {
                self.other_codes += 1;
            }
        }
        self.worst = self.worst.max(row_code(kind));
        self.rows += 1;
        if d.how == How::Sent {
            self.sent += 1;
        }
    }

    /// The counts per outcome: `131 returned now, 67 already returned
    /// (journal), 2 rejected`; what this run did apart from what the
    /// journal settled.
    pub fn short(&self) -> String {
        let mut parts = Vec::new();
        for kind in ORDER {
            let name = kind.name();
            for journal in [false, true] {
                let Some(n) = self.counts.get(&(name, journal)) else {
                    continue;
                };
                parts.push(match (kind, journal) {
                    (Kind::Returned, false) => format!("{n} returned now"),
                    (Kind::Returned, true) => format!("{n} already returned (journal)"),
                    (_, false) => format!("{n} {name}"),
                    (_, true) => format!("{n} {name} (journal)"),
                });
            }
        }
        if parts.is_empty() {
            "none".to_string()
        } else {
            parts.join(", ")
        }
    }

    /// The progress line: rows finished, of how many once `total` is known;
    /// this run's rate of sends, and at that rate the time left (rows the
    /// journal settles take none, so it is an upper guess); the counts.
    pub fn progress(&self, total: Option<u64>, elapsed: Duration) -> String {
        let mut parts = vec![match total {
            Some(total) => format!("{}/{total} rows", self.rows),
            None => format!("{} rows", self.rows),
        }];
        let secs = elapsed.as_secs_f64();
        // Not before a second has passed: the first row alone would make
        // a rate of hundreds a second.
        if self.sent > 0 && secs >= 1.0 {
            let rate = self.sent as f64 / secs;
            parts.push(format!("{rate:.1}/s"));
            if let Some(left) = total
                .map(|t| t.saturating_sub(self.rows))
                .filter(|l| *l > 0)
            {
                let left = Duration::from_secs_f64(left as f64 / rate);
                parts.push(format!("about {} left", span(left)));
            }
        }
        if self.rows > 0 {
            parts.push(self.short());
        }
        parts.join("  ")
    }

    /// The codes of the rows not returned, most frequent first, each with the command that
    /// explains it.
    fn codes(&self) -> String {
        if self.codes.is_empty() {
            return String::new();
        }
        let mut codes: Vec<(&String, &u64)> = self.codes.iter().collect();
        codes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let mut text =
            "batch: WeChat Pay's codes, with the command that explains each:\n".to_string();
        for (code, n) in codes {
            let code = escape::clip(code, CODE_CHARS, &format!("{} bytes", code.len()));
            text.push_str(&format!(
                "    {n} {}: wxcoupon explain {}\n",
                escape::term(&code),
                escape::term(&escape::shell(&code))
            ));
        }
        if self.other_codes > 0 {
            text.push_str(&format!(
                "    {} more row(s) with other codes (see their lines)\n",
                self.other_codes
            ));
        }
        text
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
        // This run's sends only: rows the journal settled took no time.
        let pace = if secs > 0.0 {
            self.sent as f64 / secs
        } else {
            0.0
        };
        out.err(&format!(
            "batch: {} row(s): {}; {} sent in {secs:.1} s ({pace:.1}/s); journal {}\n",
            self.rows,
            self.short(),
            self.sent,
            escape::term(&journal.display().to_string())
        ));
        out.err(&self.codes());
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

/// A time span for people: `45 s`, `2 min 10 s`, `1 h 5 min` (rounded up
/// to the second).
pub fn span(d: Duration) -> String {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 if secs.is_multiple_of(60) => format!("{} min", secs / 60),
        60..3600 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::ErrorBody;
    use crate::report::{Judgement, Report, Subject};

    fn done(how: How, judgement: Judgement) -> Done {
        Done {
            line: 2,
            report: Report::recorded(Subject::default(), judgement),
            how,
        }
    }

    fn rejected(code: &str) -> Judgement {
        let wx = ErrorBody {
            code: code.into(),
            message: None,
            detail: None,
        };
        Judgement::rejected(wx, None, Vec::new())
    }

    fn batch() -> Batch {
        Batch {
            file: "in.csv".into(),
            journal: None,
            stock_default: None,
            concurrency: 4,
            retry_rejected: false,
            retry_unverified: false,
            dry_run: false,
            json: false,
            verbose: false,
            invocation: "wxcoupon".into(),
            again: "wxcoupon return --batch in.csv".into(),
            recorder: None,
        }
    }

    /// What `summary` writes to stderr.
    fn summary(t: &Tally, elapsed: Duration) -> String {
        use std::io::{Read, Seek};
        let mut stderr = tempfile::tempfile().unwrap();
        let mut out = Out::to(
            Box::new(std::io::sink()),
            Box::new(stderr.try_clone().unwrap()),
        );
        t.summary(
            elapsed,
            Path::new("in.csv.journal"),
            false,
            None,
            &batch(),
            &mut out,
        );
        drop(out);
        let mut text = String::new();
        stderr.rewind().unwrap();
        stderr.read_to_string(&mut text).unwrap();
        text
    }

    #[test]
    fn the_summary_tells_this_run_from_the_journal_and_names_the_codes() {
        let mut t = Tally::default();
        for _ in 0..3 {
            t.add(&done(How::Sent, Judgement::returned("T".into())));
        }
        for _ in 0..2 {
            t.add(&done(How::FromJournal, Judgement::returned("T".into())));
        }
        t.add(&done(How::Sent, rejected("RULE_LIMIT")));
        t.add(&done(How::FromJournal, rejected("RULE_LIMIT")));
        t.add(&done(How::FromJournal, rejected("NOT FOUND\u{1b}")));
        assert_eq!(
            summary(&t, Duration::from_secs(2)),
            "batch: 8 row(s): 3 returned now, 2 already returned (journal), 1 rejected, 2 \
             rejected (journal); 4 sent in 2.0 s (2.0/s); journal in.csv.journal\n\
             batch: WeChat Pay's codes, with the command that explains each:\n    \
             2 RULE_LIMIT: wxcoupon explain RULE_LIMIT\n    \
             1 NOT FOUND\\u{001b}: wxcoupon explain 'NOT FOUND\\u{001b}'\n"
        );
    }

    #[test]
    fn the_summary_names_a_bounded_number_of_codes() {
        let mut t = Tally::default();
        for i in 0..CODES + 3 {
            t.add(&done(How::Sent, rejected(&format!("CODE_{i:02}"))));
        }
        let text = summary(&t, Duration::ZERO);
        assert_eq!(text.matches("wxcoupon explain").count(), CODES, "{text}");
        assert!(
            text.ends_with("    3 more row(s) with other codes (see their lines)\n"),
            "{text}"
        );
        assert!(text.contains("; 23 sent in 0.0 s (0.0/s);"), "{text}");
    }

    #[test]
    fn the_progress_line_says_the_total_once_known_the_rate_and_the_time_left() {
        let mut t = Tally::default();
        assert_eq!(t.progress(None, Duration::ZERO), "0 rows");
        for _ in 0..8 {
            t.add(&done(How::FromJournal, Judgement::returned("T".into())));
        }
        for _ in 0..60 {
            t.add(&done(How::Sent, Judgement::returned("T".into())));
        }
        let six = Duration::from_secs(6);
        assert_eq!(
            t.progress(None, six),
            "68 rows  10.0/s  60 returned now, 8 already returned (journal)"
        );
        assert_eq!(
            t.progress(Some(200), six),
            "68/200 rows  10.0/s  about 14 s left  60 returned now, 8 already returned (journal)"
        );
        assert_eq!(
            t.progress(Some(68), six).split("  ").nth(2),
            Some("60 returned now, 8 already returned (journal)")
        );
    }

    #[test]
    fn spans() {
        let s = |secs: f64| span(Duration::from_secs_f64(secs));
        assert_eq!(
            [s(0.0), s(0.2), s(59.0), s(60.0), s(130.0), s(3900.0)],
            ["0 s", "1 s", "59 s", "1 min", "2 min 10 s", "1 h 5 min"]
        );
    }
}
