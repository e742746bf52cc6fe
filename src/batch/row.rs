//! A finished row of a batch: how it came to be finished, and the line it
//! prints.

use serde_json::Value;

use crate::engine::ReturnInput;
use crate::escape;
use crate::exit::Kind;
use crate::report::{Report, Subject};

/// A finished row.
pub struct Done {
    pub line: u64,
    pub report: Report,
    pub how: How,
}

/// How a row came to be finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// Sent in this run: its outcome goes into the journal.
    Sent,
    /// Settled by what the journal recorded.
    FromJournal,
    /// Settled as invalid, never sent: its fields, a duplicate, or a
    /// journal that cannot be trusted for it.
    Invalid,
    /// Queued, then not started because the batch was stopped.
    NotStarted,
}

impl Done {
    pub fn not_started(line: u64, input: &ReturnInput) -> Done {
        Done {
            line,
            report: Report::invalid(
                Subject::from(&input.request),
                &anyhow::anyhow!("not started: the batch was stopped"),
            ),
            how: How::NotStarted,
        }
    }
}

/// One line of output for a finished row: text for people, or the single
/// return's JSON object with `line` and `from_journal`.
pub fn line_of(d: &Done, json: bool) -> String {
    let r = &d.report;
    if json {
        let mut v = crate::render::json_value(r);
        if let Value::Object(m) = &mut v {
            m.insert("line".into(), d.line.into());
            m.insert("from_journal".into(), (d.how == How::FromJournal).into());
        }
        return crate::output::json_line(&v);
    }
    let j = &r.judgement;
    let what = match j.outcome {
        Kind::Returned if j.confirmed_by_retry => "(confirmed by retry)".to_string(),
        Kind::Returned => j.wechatpay_return_time.clone().unwrap_or_default(),
        _ => j
            .code
            .clone()
            .or_else(|| j.message.clone())
            .unwrap_or_else(|| match j.outcome {
                Kind::Unverified => "the answer's signature did not verify".into(),
                _ => "no definitive answer".into(),
            }),
    };
    let outcome = j.outcome.name();
    format!(
        "line {}  {}  {outcome}  {}{}\n",
        d.line,
        escape::term(r.subject.coupon_code.as_deref().unwrap_or("-")),
        escape::term(&what),
        if d.how == How::FromJournal {
            "  (from the journal)"
        } else {
            ""
        }
    )
}
