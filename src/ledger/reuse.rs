//! What the ledger changes about a single return (issue 17):
//!
//! - A plain command (no `--request-no`) for a coupon whose last record is
//!   `unknown`, `unverified`, or a `sending` without an outcome repeats that
//!   return with its number, in resume mode: repeated after a lost answer,
//!   it never returns twice, and the user never carries the number.
//! - `--request-no N` when the ledger holds N for another coupon or stock:
//!   refused, nothing sent (WeChat Pay's `RESOURCE_ALREADY_EXISTS` would
//!   "confirm" the wrong return).
//! - A plain command answered `RULE_LIMIT` 券当前是可用的 (usable: nothing
//!   to return) for a coupon the ledger has returned: returned, as the
//!   ledger has it, so a cron job that runs twice stays green.
//!
//! A ledger that cannot be read for these lookups is said, and the return
//! goes on as if the ledger had no record of the coupon.

use anyhow::{Result, bail};

use super::scan::Entry;
use crate::engine::ReturnInput;
use crate::exit::Kind;
use crate::report::{Report, Subject};

/// What the rules ask of the ledger (`Ledger` answers).
pub trait Lookups {
    /// The first record of a request number.
    fn holder_of(&self, request_no: &str) -> Result<Option<Entry>>;
    /// The last record of a coupon.
    fn last_of(&self, code: &str, stock: &str) -> Result<Option<Entry>>;
    /// The last `returned` outcome of a coupon.
    fn last_returned(&self, code: &str, stock: &str) -> Result<Option<Entry>>;
    /// Says `warnings` with the report.
    fn say(&self, warnings: Vec<String>);
}

/// The return to make: `input`, or the same with the ledger's number in
/// resume mode (and what to say about it); an error when the number given
/// is the ledger's for another coupon.
pub fn plan(ledger: &impl Lookups, input: ReturnInput) -> Result<(ReturnInput, Option<String>)> {
    let req = &input.request;
    if !input.generated {
        if let Some(why) = held_elsewhere(ledger, req) {
            bail!("{why}. Pass another --request-no, or none (wxcoupon then makes one up)");
        }
        return Ok((input, None));
    }
    let last = match ledger.last_of(&req.coupon_code, &req.stock_id) {
        Ok(last) => last,
        Err(e) => {
            ledger.say(vec![unread(&e)]);
            None
        }
    };
    let Some(last) = last.filter(open) else {
        return Ok((input, None));
    };
    // The number handed over must be this coupon's own: a record planted, or
    // written by a batch row that reused another coupon's number, must not
    // make a resume "confirm" that coupon's return as this one's.
    let mut handed = req.clone();
    handed.return_request_no = last.return_request_no.clone();
    if let Some(why) = held_elsewhere(ledger, &handed) {
        bail!(
            "{why}; the ledger's last record of this coupon names that number, so it is not \
             repeated. Pass --request-no with a number of this coupon's own"
        );
    }
    let said = format!(
        "the ledger has this coupon's return with request number {} (sent {} by profile {}) {}: \
         it is repeated with that number, in --resume mode, which cannot return the coupon twice",
        last.return_request_no,
        last.time,
        last.profile,
        match last.outcome.as_deref() {
            Some(kind) => format!("with the outcome {kind}"),
            None => "without an answer".to_string(),
        }
    );
    let mut request = input.request.clone();
    request.return_request_no = last.return_request_no;
    let input = ReturnInput {
        request,
        generated: false,
        resume: true,
        ..input
    };
    Ok((input, Some(said)))
}

/// Why `req`'s number must not be sent for it: the ledger holds it for
/// another coupon (WeChat Pay's RESOURCE_ALREADY_EXISTS would "confirm" that
/// coupon's return as this one's). A ledger that cannot be read is said.
pub fn held_elsewhere(
    ledger: &impl Lookups,
    req: &crate::request::ReturnRequest,
) -> Option<String> {
    match ledger.holder_of(&req.return_request_no) {
        Ok(Some(e)) if e.coupon_code != req.coupon_code || e.stock_id != req.stock_id => {
            Some(format!(
                "request number {} is the ledger's for another coupon: {} (stock {}), sent {} by \
             profile {}; a request number belongs to one coupon, and WeChat Pay's \
             RESOURCE_ALREADY_EXISTS would \"confirm\" that coupon's return as this one's",
                req.return_request_no, e.coupon_code, e.stock_id, e.time, e.profile
            ))
        }
        Ok(_) => None,
        Err(e) => {
            ledger.say(vec![unread(&e)]);
            None
        }
    }
}

/// A last record that leaves the return open: sent without an answer, or
/// with an outcome that is not definitive (`unknown`, `unverified`).
fn open(e: &Entry) -> bool {
    match (e.record.as_str(), e.outcome.as_deref()) {
        ("sending", _) => true,
        // Only `returned` and `rejected` are definitive; resuming is always
        // safe, so anything else (an internal error, a word of a later
        // version) is resumed.
        (_, Some(kind)) => !matches!(Kind::from_name(kind), Some(Kind::Returned | Kind::Rejected)),
        _ => false,
    }
}

/// The report to give for a plain command's answer: WeChat Pay's usable
/// coupon, when the ledger has it returned, is `returned` as the ledger
/// has it; every other answer as it is.
/// `plain`: the user gave no request number (the one sent was made up, or
/// the ledger's open one, resumed: then the same answer says `unknown`,
/// since a RULE_LIMIT after a possible send is not a rejection — but a
/// coupon the ledger has returned is where the user wants it all the same).
pub fn judged(ledger: &impl Lookups, input: &ReturnInput, report: Report, plain: bool) -> Report {
    let j = &report.judgement;
    let usable = matches!(j.outcome, Kind::Rejected | Kind::Unknown)
        && j.code.as_deref() == Some("RULE_LIMIT")
        && j.message
            .as_deref()
            .is_some_and(|m| m.contains("券当前是可用的"));
    if !usable || !plain {
        return report;
    }
    let req = &input.request;
    let returned = match ledger.last_returned(&req.coupon_code, &req.stock_id) {
        Ok(r) => r,
        Err(e) => {
            ledger.say(vec![unread(&e)]);
            None
        }
    };
    let Some(r) = returned else {
        return report;
    };
    let time = r.wechatpay_return_time.clone().unwrap_or(r.time.clone());
    let note = format!(
        "the ledger has this coupon returned with request number {} (recorded {} by profile {}); \
         WeChat Pay now says it is usable (RULE_LIMIT 券当前是可用的): it is where the user wants \
         it, nothing more to return. The request number {} sent now returned nothing",
        r.return_request_no, r.time, r.profile, req.return_request_no
    );
    let subject = Subject {
        return_request_no: Some(r.return_request_no),
        ..Subject::from(req)
    };
    report.returned_per_ledger(subject, time, note)
}

fn unread(e: &anyhow::Error) -> String {
    format!(
        "{e:#}; the ledger could not be read for this coupon, so this return goes on as if it had \
         no record of it"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(record: &str, outcome: Option<&str>) -> Entry {
        Entry {
            record: record.into(),
            outcome: outcome.map(String::from),
            ..Entry::default()
        }
    }

    #[test]
    fn a_return_is_open_when_sent_without_an_answer_or_without_a_definitive_one() {
        assert!(open(&entry("sending", None)));
        assert!(open(&entry("outcome", Some("unknown"))));
        assert!(open(&entry("outcome", Some("unverified"))));
        assert!(
            open(&entry("outcome", Some("something new"))),
            "unknown words: resumed (safe)"
        );
        assert!(!open(&entry("outcome", Some("returned"))));
        assert!(!open(&entry("outcome", Some("rejected"))));
        assert!(open(&entry("outcome", Some("internal"))));
    }
}
