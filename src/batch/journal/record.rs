//! What a journal holds: its records (as JSON Lines), what a replay makes
//! of a line, and the keys a row is known by while the batch runs.

use serde::{Deserialize, Deserializer, Serialize};

use crate::exit::Kind;
use crate::judge::recorded::{self as judged, Message};
use crate::report::Report;

pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum Record {
    Header {
        version: u32,
        input_sha256: String,
        stock_default: Option<String>,
        started: String,
    },
    Sending {
        line: u64,
        coupon_code: String,
        stock_id: String,
        return_request_no: String,
    },
    Outcome {
        line: u64,
        /// `returned`, `rejected`, `unknown`, `unverified` (as in `--json`).
        outcome: String,
        return_request_no: String,
        code: Option<String>,
        wechatpay_return_time: Option<String>,
        confirmed_by_retry: bool,
        /// WeChat Pay's message with the code (wxcoupon's own words for an
        /// outcome without one), whole up to `MESSAGE_KEPT` characters;
        /// `null` when there was none. Absent from journals written before
        /// it was added (issue 16), which still replay, with the same
        /// `VERSION`: their rows get the code, and the catalogue's
        /// explanation only when the code has a single meaning. Fields are
        /// only ever added, never renamed.
        #[serde(
            default,
            deserialize_with = "present",
            skip_serializing_if = "Option::is_none"
        )]
        message: Option<Option<String>>,
        /// The explanation, only when the catalogue cannot say it again from
        /// the code and message (an unverified answer's, said from how its
        /// verification failed): otherwise absent, and a re-run explains
        /// the row as a live one is explained.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        explanation: Option<String>,
    },
}

/// A field that is in the record (`Some`, even when `null`), as opposed to
/// absent (`None`, from `default`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

impl Record {
    /// The record of a finished, sent row.
    pub fn outcome(line: u64, report: &Report) -> Record {
        let j = &report.judgement;
        let message = j
            .message
            .as_deref()
            .map(|m| crate::escape::clip(m, MESSAGE_KEPT, &format!("{} bytes in all", m.len())));
        Record::Outcome {
            line,
            outcome: j.outcome.name().to_string(),
            return_request_no: report.subject.return_request_no.clone().unwrap_or_default(),
            code: j.code.clone(),
            wechatpay_return_time: j.wechatpay_return_time.clone(),
            confirmed_by_retry: j.confirmed_by_retry,
            explanation: judged::kept_explanation(j, message.as_deref()),
            message: Some(message),
        }
    }
}

/// How much of a message an outcome record keeps: WeChat Pay's are a few
/// dozen characters, but an answer may be up to a MiB, and a re-run holds
/// every row's record in memory.
const MESSAGE_KEPT: usize = 512;

/// What the journal says of one row: the number it was sent with, and what
/// it last became (none: sent, and the process died before the answer).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    /// The coupon the line was sent for (`coupon_key`); none when the
    /// journal has an outcome for the line but no `sending` record.
    pub coupon: Option<u64>,
    pub return_request_no: Box<str>,
    pub outcome: Option<Kind>,
    pub code: Option<Box<str>>,
    /// WeChat Pay's message; `message_recorded` false for a journal
    /// written before outcomes kept it.
    pub message: Option<Box<str>>,
    pub message_recorded: bool,
    /// The explanation the journal kept (see `Record::Outcome`).
    pub explanation: Option<Box<str>>,
    pub wechatpay_return_time: Option<Box<str>>,
    pub confirmed_by_retry: bool,
    /// Another line the journal records this line's request number for.
    pub clash: Option<u64>,
}

impl Recorded {
    /// The judgement of a row settled by this record: the code, message and
    /// explanation a live row carried.
    pub fn judgement(&self) -> crate::report::Judgement {
        judged::recorded(&judged::Recorded {
            outcome: self.outcome.unwrap_or(Kind::Unknown),
            code: self.code.as_deref(),
            message: if self.message_recorded {
                Message::Recorded(self.message.as_deref())
            } else {
                Message::NotRecorded
            },
            explanation: self.explanation.as_deref(),
            wechatpay_return_time: self.wechatpay_return_time.as_deref(),
            confirmed_by_retry: self.confirmed_by_retry,
        })
    }
}

/// The key of a coupon, its stock and code, while a batch runs (never
/// written): a 64-bit hash, so that each line seen or replayed costs a few
/// bytes.
pub fn coupon_key(stock: &str, code: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    (stock, code).hash(&mut h);
    h.finish()
}

/// The key of a request number, as `coupon_key`.
pub fn number_key(no: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    no.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::ErrorBody;
    use crate::report::{Judgement, Subject};

    #[test]
    fn an_outcome_keeps_the_message_whole_up_to_a_bound() {
        let record = |message: &str| {
            let wx = ErrorBody {
                code: "RULE_LIMIT".into(),
                message: Some(message.into()),
                detail: None,
            };
            let j = Judgement::rejected(wx, None, Vec::new());
            Record::outcome(2, &Report::recorded(Subject::default(), j))
        };
        let Record::Outcome { message, .. } = record("券当前是可用的") else {
            unreachable!()
        };
        assert_eq!(message, Some(Some("券当前是可用的".into())));
        let long = "券".repeat(MESSAGE_KEPT + 1);
        let Record::Outcome { message, .. } = record(&long) else {
            unreachable!()
        };
        let kept = message.flatten().unwrap();
        assert_eq!(
            kept,
            format!(
                "{}… ({} bytes in all)",
                "券".repeat(MESSAGE_KEPT),
                long.len()
            )
        );
    }
}
