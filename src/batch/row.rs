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

/// How much of WeChat Pay's message a text line shows (`--json` has it
/// whole).
const MESSAGE_CHARS: usize = 80;

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
        _ => match (&j.code, &j.message) {
            // WeChat Pay's words: a code can have several meanings (RULE_LIMIT:
            // usable, or expired), which only the message tells apart.
            (Some(code), Some(message)) => format!(
                "{code}: {}",
                escape::clip(message, MESSAGE_CHARS, &format!("{} bytes", message.len()))
            ),
            (Some(code), None) => code.clone(),
            (None, Some(message)) => message.clone(),
            (None, None) => match j.outcome {
                Kind::Unverified => "the answer's signature did not verify".into(),
                _ => "no definitive answer".into(),
            },
        },
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::ErrorBody;
    use crate::report::Judgement;

    fn rejected(message: Option<&str>) -> Done {
        let wx = ErrorBody {
            code: "RULE_LIMIT".into(),
            message: message.map(String::from),
            detail: None,
        };
        Done {
            line: 3,
            report: Report::recorded(
                Subject {
                    coupon_code: Some("C1".into()),
                    ..Subject::default()
                },
                Judgement::rejected(wx, None, Vec::new()),
            ),
            how: How::Sent,
        }
    }

    #[test]
    fn a_text_line_shows_the_code_and_the_message_escaped_and_clipped() {
        assert_eq!(
            line_of(&rejected(Some("券当前是可用的")), false),
            "line 3  C1  rejected  RULE_LIMIT: 券当前是可用的\n"
        );
        assert_eq!(
            line_of(&rejected(None), false),
            "line 3  C1  rejected  RULE_LIMIT\n"
        );
        let hostile = format!("\u{1b}[2J{}\n", "券".repeat(100));
        let line = line_of(&rejected(Some(&hostile)), false);
        assert_eq!(
            line,
            format!(
                "line 3  C1  rejected  RULE_LIMIT: \\u{{001b}}[2J{}… ({} bytes)\n",
                "券".repeat(76),
                hostile.len()
            )
        );
        let json = line_of(&rejected(Some(&hostile)), true);
        let v: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["message"], hostile.as_str(), "the JSON keeps it whole");
    }
}
