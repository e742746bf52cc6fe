//! One row of a batch: what to do with it (send it, resume it, or settle it
//! from the journal or as invalid), sending it on a worker, the line it
//! prints; `--dry-run`.

use std::collections::HashMap;
use std::sync::{Mutex, mpsc};

use serde_json::Value;

use super::input::{Item, Row};
use super::journal::{Journal, Record, Recorded, Syncer};
use super::{Batch, outcome_record};
use crate::engine::{self, ReturnInput, Session};
use crate::escape;
use crate::exit::Kind;
use crate::output::Out;
use crate::report::{Judgement, Report, Subject};
use crate::request::{self, ReturnRequest};

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
    fn not_started(line: u64, input: &ReturnInput) -> Done {
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
        let numbers = recorded
            .iter()
            .map(|(line, r)| (number_key(&r.return_request_no), *line))
            .collect();
        Seen {
            coupons: HashMap::new(),
            numbers,
        }
    }
}

/// The key of a coupon: its stock and code.
pub fn coupon_key(stock: &str, code: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    (stock, code).hash(&mut h);
    h.finish()
}

pub fn number_key(no: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    no.hash(&mut h);
    h.finish()
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
    let too_long = [
        ("coupon_code", row.coupon_code.as_str()),
        ("stock_id", stock.as_str()),
        (
            "return_request_no",
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
        &request::COLUMNS,
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
            report: Report::recorded(
                subject,
                Judgement::recorded(
                    r.outcome.unwrap_or(Kind::Unknown),
                    r.code.as_deref().map(String::from),
                    r.wechatpay_return_time.as_deref().map(String::from),
                    r.confirmed_by_retry,
                ),
            ),
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

/// A worker: for each row, the `sending` record (on disk before the request
/// leaves), then the return through the engine.
pub fn worker(
    session: &Session,
    jobs: &Mutex<mpsc::Receiver<(u64, ReturnInput)>>,
    done: mpsc::SyncSender<Done>,
    journal: &Mutex<Journal>,
    syncer: &Syncer,
    verbose: bool,
) {
    loop {
        let next = jobs.lock().ok().and_then(|rx| rx.recv().ok());
        let Some((line, input)) = next else {
            return;
        };
        // Stopped (also while waiting for the rate's token): a row still
        // queued is not started (no `sending` record); the summary counts it.
        if super::stopping() || session.pace().is_some_and(|p| !p.reserve()) {
            if done.send(Done::not_started(line, &input)).is_err() {
                return;
            }
            continue;
        }
        let req = &input.request;
        let written = journal
            .lock()
            .map_err(|_| anyhow::anyhow!("the journal is unusable"))
            .and_then(|mut j| {
                j.write_numbered(&Record::Sending {
                    line,
                    coupon_code: req.coupon_code.clone(),
                    stock_id: req.stock_id.clone(),
                    return_request_no: req.return_request_no.clone(),
                })
            })
            // On disk before the request leaves (the journal's lock released).
            .and_then(|n| syncer.sync_through(n));
        if let Err(e) = written {
            // No row leaves without its journal record: the batch stops.
            super::stop_after_error(&format!(
                "line {line}: {e:#}; the batch stops, since no row is sent without its journal record"
            ));
            if done.send(Done::not_started(line, &input)).is_err() {
                return;
            }
            continue;
        }
        let mut trace = |text: &str| {
            if verbose {
                let text = text.strip_prefix("wxcoupon: ").unwrap_or(text);
                eprint!("wxcoupon: line {line}: {text}");
            }
        };
        let report = engine::run(session, &input, &mut trace);
        if done
            .send(Done {
                line,
                report,
                how: How::Sent,
            })
            .is_err()
        {
            return;
        }
    }
}

/// Writes the outcome record of a sent row, and prints its line.
pub fn finish(d: &Done, journal: &Mutex<Journal>, json: bool, out: &mut Out) {
    if d.how == How::NotStarted {
        return;
    }
    if d.how == How::Sent
        && let Ok(mut j) = journal.lock()
        && let Err(e) = j.append_unsynced(&outcome_record(d.line, &d.report))
    {
        // The row was sent; its `sending` record makes a re-run resume it.
        super::stop_after_error(&format!(
            "line {}: {e:#}; the batch stops (a re-run resumes this row with its number)",
            d.line
        ));
    }
    out.out(&line_of(d, json));
}

/// One line of output for a finished row: text for people, or the single
/// return's JSON object with `line` and `from_journal`.
fn line_of(d: &Done, json: bool) -> String {
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

/// `--dry-run --batch`: every row checked and shown; nothing sent, no journal.
pub fn dry_run(rows: super::input::Rows, b: &Batch, out: &mut Out) -> u8 {
    let mut seen = Seen::default();
    let none = HashMap::new();
    let mut invalid_rows = 0;
    for item in rows {
        let line = item.line();
        match plan(item, &none, b, &mut seen) {
            Plan::Settled(d) => {
                invalid_rows += 1;
                out.out(&line_of(&d, b.json));
            }
            Plan::Send(input) => {
                let r = &input.request;
                let body = String::from_utf8_lossy(&r.body()).into_owned();
                if b.json {
                    out.json(&serde_json::json!({
                        "line": line, "outcome": "dry_run", "coupon_code": r.coupon_code,
                        "stock_id": r.stock_id, "return_request_no": r.return_request_no,
                        "body": body,
                    }));
                } else {
                    out.out(&format!(
                        "line {line}  {}  would send  {}\n",
                        escape::term(&r.coupon_code),
                        escape::term(&body)
                    ));
                }
            }
        }
    }
    out.err(&format!(
        "dry run: nothing was sent and no journal was written; {invalid_rows} invalid row(s)\n"
    ));
    if invalid_rows > 0 {
        Kind::Invalid.exit_code()
    } else {
        0
    }
}
