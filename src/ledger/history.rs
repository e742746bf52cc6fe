//! `wxcoupon history`: one row per answer recorded (an `outcome` record,
//! with its `sending` record's time), and one per `sending` record that
//! never got an outcome (`"outcome": "sending"`: sent, and no answer
//! recorded — killed, or still running). A coupon resumed after an
//! `unknown` has both rows: the audit trail says what happened each time.
//!
//! Streamed: months outside `--since`/`--until` are not opened, each line
//! is read once, and only the `sending` records still waiting for their
//! outcome are kept in memory.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Result, bail};
use serde::Serialize;

use super::scan::{self, Entry};

/// Which rows to give. Dates are `YYYY-MM-DD`, China Standard Time (the
/// ledger's times), both ends included.
#[derive(Debug, Default)]
pub struct Filter {
    pub code: Option<String>,
    pub stock: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub outcome: Option<String>,
}

/// The outcomes `--outcome` takes.
pub const OUTCOMES: &[&str] = &["returned", "rejected", "unknown", "unverified", "sending"];

impl Filter {
    /// Checks the dates and the outcome.
    pub fn check(&self) -> Result<()> {
        for (flag, date) in [("--since", &self.since), ("--until", &self.until)] {
            if let Some(d) = date
                && !is_date(d)
            {
                bail!("{flag} {d:?}: a date is YYYY-MM-DD (China Standard Time, as the ledger's)");
            }
        }
        if let (Some(since), Some(until)) = (&self.since, &self.until)
            && since > until
        {
            bail!("--since {since} is after --until {until}: no day is in between");
        }
        if let Some(o) = &self.outcome
            && !OUTCOMES.contains(&o.as_str())
        {
            bail!("--outcome {o:?}: one of {}", OUTCOMES.join(", "));
        }
        Ok(())
    }

    /// Whether a month's file may hold rows of these dates.
    fn month(&self, path: &Path) -> bool {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let month = &name[..7.min(name.len())];
        self.since.as_ref().is_none_or(|s| month >= &s[..7])
            && self.until.as_ref().is_none_or(|u| month <= &u[..7])
    }

    fn takes(&self, row: &Row) -> bool {
        let day = &row.time[..10.min(row.time.len())];
        self.code.as_ref().is_none_or(|c| *c == row.coupon_code)
            && self.stock.as_ref().is_none_or(|s| *s == row.stock_id)
            && self.outcome.as_ref().is_none_or(|o| *o == row.outcome)
            && self.since.as_ref().is_none_or(|s| day >= s.as_str())
            && self.until.as_ref().is_none_or(|u| day <= u.as_str())
    }

    /// What a line must hold to be worth parsing (the coupon code, if given).
    fn needle(&self) -> String {
        self.code
            .as_ref()
            .map(|c| scan::needle("coupon_code", c))
            .unwrap_or_default()
    }
}

/// A real calendar date written YYYY-MM-DD (2026-02-30 is none).
fn is_date(d: &str) -> bool {
    let shape = time::macros::format_description!("[year]-[month]-[day]");
    d.len() == 10 && time::Date::parse(d, shape).is_ok()
}

/// One row: the field names of `return --json`, and when and by whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub outcome: String,
    pub coupon_code: String,
    pub stock_id: String,
    pub return_request_no: String,
    pub wechatpay_return_time: Option<String>,
    pub code: Option<String>,
    pub message: Option<String>,
    pub request_id: Option<String>,
    pub confirmed_by_retry: bool,
    /// When the outcome was recorded (for `sending`, when it was sent).
    pub time: String,
    /// When the request was sent, if the ledger has it.
    pub sent: Option<String>,
    pub profile: String,
    pub mchid: String,
    /// The batch input's line; absent for a single return.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_line: Option<u64>,
}

impl Row {
    fn of(e: Entry, sent: Option<String>) -> Row {
        let outcome = e.outcome.unwrap_or_else(|| "sending".into());
        Row {
            outcome,
            coupon_code: e.coupon_code,
            stock_id: e.stock_id,
            return_request_no: e.return_request_no,
            wechatpay_return_time: e.wechatpay_return_time,
            code: e.code,
            message: e.message,
            request_id: e.request_id,
            confirmed_by_retry: e.confirmed_by_retry,
            time: e.time,
            sent,
            profile: e.profile,
            mchid: e.mchid,
            batch_line: (e.line != 0).then_some(e.line),
        }
    }
}

/// Calls `each` with every row of the ledger in `dir` that `filter` takes,
/// in the order of the ledger; warnings about damage go to `warnings`.
pub fn rows(
    dir: &Path,
    filter: &Filter,
    warnings: &mut Vec<String>,
    mut each: impl FnMut(&Row),
) -> Result<()> {
    let needle = filter.needle();
    let mut waiting: HashMap<String, Entry> = HashMap::new();
    for path in scan::months(dir)?.iter().filter(|p| filter.month(p)) {
        scan::each(path, &needle, warnings, |e| {
            if e.record == "sending" {
                waiting.insert(e.return_request_no.clone(), e);
                return;
            }
            let sent = waiting.remove(&e.return_request_no).map(|s| s.time);
            let row = Row::of(e, sent);
            if filter.takes(&row) {
                each(&row);
            }
        })?;
    }
    let mut left: Vec<Entry> = waiting.into_values().collect();
    left.sort_by(|a, b| a.time.cmp(&b.time));
    for e in left {
        let row = Row::of(e.clone(), Some(e.time));
        if filter.takes(&row) {
            each(&row);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_pair_outcomes_with_their_sending_and_filter() {
        let dir = tempfile::tempdir().unwrap();
        let line = |r: &str, code: &str, no: &str, outcome: Option<&str>, time: &str| {
            let mut v = serde_json::json!({"record": r, "line": 0, "coupon_code": code,
                "stock_id": "S", "return_request_no": no, "time": time,
                "profile": "p", "mchid": "1"});
            if let Some(o) = outcome {
                v["outcome"] = o.into();
            }
            v.to_string() + "\n"
        };
        let nov = [
            line("sending", "C1", "N1", None, "2026-11-30T10:00:00+08:00"),
            line(
                "outcome",
                "C1",
                "N1",
                Some("unknown"),
                "2026-11-30T10:00:01+08:00",
            ),
            line("sending", "C2", "N2", None, "2026-11-30T11:00:00+08:00"),
        ]
        .concat();
        let dec = [
            line("sending", "C1", "N1", None, "2026-12-01T09:00:00+08:00"),
            line(
                "outcome",
                "C1",
                "N1",
                Some("returned"),
                "2026-12-01T09:00:01+08:00",
            ),
        ]
        .concat();
        std::fs::write(dir.path().join("2026-11.jsonl"), nov).unwrap();
        std::fs::write(dir.path().join("2026-12.jsonl"), dec).unwrap();
        let all = |f: &Filter| {
            let mut got = Vec::new();
            let mut w = Vec::new();
            rows(dir.path(), f, &mut w, |r| {
                got.push(format!("{} {} {}", r.coupon_code, r.outcome, r.time))
            })
            .unwrap();
            assert!(w.is_empty());
            got
        };
        assert_eq!(
            all(&Filter::default()),
            [
                "C1 unknown 2026-11-30T10:00:01+08:00",
                "C1 returned 2026-12-01T09:00:01+08:00",
                "C2 sending 2026-11-30T11:00:00+08:00",
            ]
        );
        let f = Filter {
            code: Some("C1".into()),
            since: Some("2026-12-01".into()),
            ..Filter::default()
        };
        assert_eq!(all(&f), ["C1 returned 2026-12-01T09:00:01+08:00"]);
        let f = Filter {
            outcome: Some("sending".into()),
            until: Some("2026-11-30".into()),
            ..Filter::default()
        };
        assert_eq!(all(&f), ["C2 sending 2026-11-30T11:00:00+08:00"]);
        for (since, until) in [
            ("2026-02-30", "2026-12-01"),
            ("2026-12-00", "2026-12-01"),
            ("2026-13-01", "2026-12-01"),
            ("2026-12-02", "2026-12-01"),
        ] {
            let f = Filter {
                since: Some(since.into()),
                until: Some(until.into()),
                ..Filter::default()
            };
            assert!(f.check().is_err(), "{since} {until}");
        }
        assert!(
            Filter {
                since: Some("2026-1-1".into()),
                ..Filter::default()
            }
            .check()
            .is_err()
        );
        assert!(
            Filter {
                outcome: Some("ok".into()),
                ..Filter::default()
            }
            .check()
            .is_err()
        );
    }
}
