//! What a journal holds: its records (as JSON Lines), what a replay makes
//! of a line, and the keys a row is known by while the batch runs.

use serde::{Deserialize, Serialize};

use crate::exit::Kind;
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
    },
}

impl Record {
    /// The record of a finished, sent row.
    pub fn outcome(line: u64, report: &Report) -> Record {
        let j = &report.judgement;
        Record::Outcome {
            line,
            outcome: j.outcome.name().to_string(),
            return_request_no: report.subject.return_request_no.clone().unwrap_or_default(),
            code: j.code.clone(),
            wechatpay_return_time: j.wechatpay_return_time.clone(),
            confirmed_by_retry: j.confirmed_by_retry,
        }
    }
}

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
    pub wechatpay_return_time: Option<Box<str>>,
    pub confirmed_by_retry: bool,
    /// Another line the journal records this line's request number for.
    pub clash: Option<u64>,
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
