//! What to do with one row of a batch: send it, resume it, or settle it
//! (from the journal, or as invalid) without sending it.

use std::collections::HashMap;

use super::input::{Item, Row};
use super::journal::{Recorded, coupon_key, number_key};
use super::options::Batch;
use super::row::{Done, How};
use crate::engine::ReturnInput;
use crate::escape;
use crate::exit::Kind;
use crate::report::{Report, Subject};
use crate::request::{self, ReturnRequest};

/// What to do with a row.
pub enum Plan {
    Send(ReturnInput),
    Settled(Box<Done>),
}

fn invalid(line: u64, subject: Subject, why: String) -> Plan {
    Plan::Settled(Box::new(Done {
        line,
        report: Report::invalid(subject, &anyhow::anyhow!(why)),
        how: How::Invalid,
    }))
}

/// What the batch has seen so far: each coupon's line, and each given
/// request number's line. Keyed by a 64-bit hash, so that a row costs a few
/// dozen bytes; a collision could only make a row `invalid`, never send it
/// twice.
#[derive(Default)]
pub struct Seen {
    coupons: HashMap<u64, u64>,
    numbers: HashMap<u64, u64>,
}

impl Seen {
    /// Starts with the numbers the journal recorded, each for its line: a
    /// row may not be given another line's number.
    pub fn with_journal(recorded: &HashMap<u64, Recorded>) -> Seen {
        // In line order, the first line keeping a number: the same answer
        // whatever the map's order, when a number is recorded for two lines.
        let mut lines: Vec<(&u64, &Recorded)> = recorded.iter().collect();
        lines.sort_by_key(|(line, _)| **line);
        let mut numbers = HashMap::new();
        for (line, r) in lines {
            numbers
                .entry(number_key(&r.return_request_no))
                .or_insert(*line);
        }
        Seen {
            coupons: HashMap::new(),
            numbers,
        }
    }
}

/// How much of a value an invalid row's line shows.
const SHOWN: usize = 64;

/// Longer than any field WeChat Pay accepts (the longest, a request number,
/// is `MAX_REQUEST_NO_LEN`): refused without being quoted in the reason.
const FAR_TOO_LONG: usize = 2 * request::MAX_REQUEST_NO_LEN;

/// What to do with one row, given what the journal recorded of its line.
pub fn plan(item: Item, recorded: &HashMap<u64, Recorded>, b: &Batch, seen: &mut Seen) -> Plan {
    let row = match item {
        Item::Row(r) => r,
        Item::Bad { line, reason } => return invalid(line, Subject::default(), reason),
    };
    let hide = |v: &str| {
        let v = crate::redact::secrets(v);
        escape::clip(&v, SHOWN, &format!("{} bytes", v.len()))
    };
    let stock = row.stock_id.clone().or_else(|| b.stock_default.clone());
    let subject = Subject {
        coupon_code: Some(hide(&row.coupon_code)),
        stock_id: stock.as_deref().map(hide),
        return_request_no: row.return_request_no.as_deref().map(hide),
    };
    let Some(stock) = stock else {
        return invalid(
            row.line,
            subject,
            "no stock_id, and no --stock for rows without one".into(),
        );
    };
    let names = &request::COLUMNS;
    let too_long = [
        (names.code, row.coupon_code.as_str()),
        (names.stock, stock.as_str()),
        (
            names.request_no,
            row.return_request_no.as_deref().unwrap_or(""),
        ),
    ]
    .into_iter()
    .find(|(_, v)| v.chars().count() > FAR_TOO_LONG);
    if let Some((field, v)) = too_long {
        let why = format!("{field} of {} bytes: far too long for WeChat Pay", v.len());
        return invalid(row.line, subject, why);
    }
    let checked = request::check_fields(
        names,
        &row.coupon_code,
        &stock,
        row.return_request_no.as_deref(),
    );
    if let Err(e) = checked {
        return invalid(row.line, subject, format!("{e:#}"));
    }
    let key = coupon_key(&stock, &row.coupon_code);
    if let Some(first) = seen.coupons.get(&key) {
        let why = format!(
            "the same coupon as line {first} (stock {stock}): it is sent once, for line {first}"
        );
        return invalid(row.line, subject, why);
    }
    if let Some(no) = &row.return_request_no {
        // One number, one return: a second coupon under the same number
        // would be "confirmed" by the first one's return.
        if let Some(first) = seen
            .numbers
            .get(&number_key(no))
            .filter(|l| **l != row.line)
        {
            let why = format!(
                "the same return_request_no as line {first}: a request number belongs to one return"
            );
            return invalid(row.line, subject, why);
        }
        seen.numbers.insert(number_key(no), row.line);
    }
    seen.coupons.insert(key, row.line);
    decide(row, stock, recorded, b)
}

/// Why the journal's record of a line cannot be trusted for its row.
fn refusal(r: &Recorded, line: u64, coupon: u64) -> Option<String> {
    if let Some(other) = r.clash {
        Some(format!(
            "the journal records this line's return_request_no for line {other} too (a hand-edited \
             or mixed-up journal): this row was not sent. Check both rows, then start over with \
             --journal NEW"
        ))
    } else if r.coupon.is_none() {
        Some(format!(
            "the journal has an outcome for line {line} but no sending record: this row was not \
             sent. Start over with --journal NEW"
        ))
    } else if r.coupon != Some(coupon) {
        Some(format!(
            "the journal records line {line} as another coupon: it does not belong to this input; \
             this row was not sent"
        ))
    } else {
        None
    }
}

/// Send, resume, or settle from the journal.
fn decide(row: Row, stock: String, recorded: &HashMap<u64, Recorded>, b: &Batch) -> Plan {
    let line = row.line;
    let send = |no: String, resume: bool, generated: bool| {
        Plan::Send(ReturnInput {
            request: ReturnRequest {
                coupon_code: row.coupon_code.clone(),
                stock_id: stock.clone(),
                return_request_no: no,
            },
            generated,
            resume,
            dry_run: false,
            invocation: b.invocation.clone(),
        })
    };
    let fresh = || match &row.return_request_no {
        Some(no) => Ok((no.clone(), false)),
        None => request::generate_request_no().map(|n| (n, true)),
    };
    let Some(r) = recorded.get(&line) else {
        return match fresh() {
            Ok((no, generated)) => send(no, false, generated),
            Err(e) => invalid(line, Subject::default(), format!("{e:#}")),
        };
    };
    let refused = refusal(r, line, coupon_key(&stock, &row.coupon_code));
    if let Some(why) = refused {
        return invalid(line, Subject::default(), why);
    }
    let settled = || {
        let subject = Subject {
            coupon_code: Some(row.coupon_code.clone()),
            stock_id: Some(stock.clone()),
            return_request_no: Some(r.return_request_no.to_string()),
        };
        Plan::Settled(Box::new(Done {
            line,
            report: Report::recorded(subject, r.judgement()),
            how: How::FromJournal,
        }))
    };
    let recorded_no = || r.return_request_no.to_string();
    match r.outcome {
        Some(Kind::Returned) => settled(),
        // A rejection is definitive: its number must never confirm anything.
        Some(Kind::Rejected) if b.retry_rejected => match request::generate_request_no() {
            Ok(no) => send(no, false, true),
            Err(e) => invalid(line, Subject::default(), format!("{e:#}")),
        },
        Some(Kind::Rejected) => settled(),
        Some(Kind::Unverified) if b.retry_unverified => send(recorded_no(), true, false),
        Some(Kind::Unverified) => settled(),
        // Unknown, or sent and never answered (the process died): resume.
        _ => send(recorded_no(), true, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(coupon: Option<u64>, clash: Option<u64>) -> Recorded {
        Recorded {
            coupon,
            clash,
            return_request_no: "R1".into(),
            ..Recorded::default()
        }
    }

    #[test]
    fn a_line_is_settled_from_the_journal_only_by_its_sending_record_for_this_coupon() {
        let key = coupon_key("1212", "C1");
        assert_eq!(refusal(&recorded(Some(key), None), 2, key), None);
        let why = refusal(&recorded(None, None), 2, key).unwrap();
        assert!(
            why.contains("an outcome for line 2 but no sending record"),
            "{why}"
        );
        let other = coupon_key("1212", "C2");
        let why = refusal(&recorded(Some(other), None), 2, key).unwrap();
        assert!(why.contains("records line 2 as another coupon"), "{why}");
        let why = refusal(&recorded(Some(key), Some(5)), 2, key).unwrap();
        assert!(why.contains("for line 5 too"), "{why}");
    }
}
