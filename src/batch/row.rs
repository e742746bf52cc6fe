//! One row of a batch: what to do with it (send it, resume it, or settle it
//! from the journal or as invalid), sending it on a worker, the line it
//! prints; `--dry-run`.

use std::collections::HashMap;
use std::sync::{Mutex, mpsc};

use serde_json::Value;

use super::input::{Item, Row};
use super::journal::{Journal, Record, Recorded};
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
    /// Sent in this run (its outcome goes into the journal).
    pub sent: bool,
    /// Settled by what the journal recorded.
    pub from_journal: bool,
    /// Queued, then not started because the batch was stopped.
    pub not_started: bool,
}

impl Done {
    fn not_started(line: u64, input: &ReturnInput) -> Done {
        Done {
            line,
            report: Report::invalid(
                Subject::from(&input.request),
                &anyhow::anyhow!("not started: the batch was stopped"),
            ),
            sent: false,
            from_journal: false,
            not_started: true,
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
        sent: false,
        from_journal: false,
        not_started: false,
    }))
}

fn kind(outcome: &str) -> Kind {
    match outcome {
        "returned" => Kind::Returned,
        "rejected" => Kind::Rejected,
        "unverified" => Kind::Unverified,
        _ => Kind::Unknown,
    }
}

/// What to do with one row, given what the journal recorded of its line.
pub fn plan(
    item: Item,
    recorded: &HashMap<u64, Recorded>,
    b: &Batch,
    seen: &mut HashMap<String, u64>,
) -> Plan {
    let row = match item {
        Item::Row(r) => r,
        Item::Bad { line, reason } => return invalid(line, Subject::default(), reason),
    };
    let hide = |v: &str| crate::redact::secrets(v).into_owned();
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
    let checked = request::check_code("coupon_code", &row.coupon_code)
        .and_then(|()| request::check_stock("stock_id", &stock))
        .and_then(|()| match &row.return_request_no {
            Some(no) => {
                request::check_token("return_request_no", no, Some(request::MAX_REQUEST_NO_LEN))
            }
            None => Ok(()),
        });
    if let Err(e) = checked {
        return invalid(row.line, subject, format!("{e:#}"));
    }
    if let Some(first) = seen.get(&format!("{stock}\t{}", row.coupon_code)) {
        return invalid(
            row.line,
            subject,
            format!(
                "the same coupon as line {first} (stock {stock}): it is sent once, for line {first}"
            ),
        );
    }
    seen.insert(format!("{stock}\t{}", row.coupon_code), row.line);
    decide(row, stock, recorded, b)
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
    let settled = || {
        let subject = Subject {
            coupon_code: Some(row.coupon_code.clone()),
            stock_id: Some(stock.clone()),
            return_request_no: Some(r.return_request_no.clone()),
        };
        let outcome = r.outcome.as_deref().unwrap_or("unknown");
        Plan::Settled(Box::new(Done {
            line,
            report: Report::recorded(
                subject,
                Judgement::recorded(
                    kind(outcome),
                    r.code.clone(),
                    r.wechatpay_return_time.clone(),
                    r.confirmed_by_retry,
                ),
            ),
            sent: false,
            from_journal: true,
            not_started: false,
        }))
    };
    match r.outcome.as_deref() {
        Some("returned") => settled(),
        // A rejection is definitive: its number must never confirm anything.
        Some("rejected") if b.retry_rejected => match request::generate_request_no() {
            Ok(no) => send(no, false, true),
            Err(e) => invalid(line, Subject::default(), format!("{e:#}")),
        },
        Some("rejected") => settled(),
        Some("unverified") if b.retry_unverified => send(r.return_request_no.clone(), true, false),
        Some("unverified") => settled(),
        // Unknown, or sent and never answered (the process died): resume.
        _ => send(r.return_request_no.clone(), true, false),
    }
}

/// A worker: for each row, the `sending` record (on disk before the request
/// leaves), then the return through the engine.
pub fn worker(
    session: &Session,
    jobs: &Mutex<mpsc::Receiver<(u64, ReturnInput)>>,
    done: mpsc::Sender<Done>,
    journal: &Mutex<Journal>,
    verbose: bool,
) {
    loop {
        let next = jobs.lock().ok().and_then(|rx| rx.recv().ok());
        let Some((line, input)) = next else {
            return;
        };
        if super::stopping() {
            // Stopped: a row still queued is not started (no `sending`
            // record), and the summary counts it.
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
                j.append(&Record::Sending {
                    line,
                    coupon_code: req.coupon_code.clone(),
                    stock_id: req.stock_id.clone(),
                    return_request_no: req.return_request_no.clone(),
                })
            });
        let (report, sent) = match written {
            Ok(()) => {
                let mut trace = |text: &str| {
                    if verbose {
                        let text = text.strip_prefix("wxcoupon: ").unwrap_or(text);
                        eprint!("wxcoupon: line {line}: {text}");
                    }
                };
                (engine::run(session, &input, &mut trace), true)
            }
            Err(e) => (Report::invalid(Subject::from(req), &e), false),
        };
        if done
            .send(Done {
                line,
                report,
                sent,
                from_journal: false,
                not_started: false,
            })
            .is_err()
        {
            return;
        }
    }
}

/// Writes the outcome record of a sent row, and prints its line.
pub fn finish(d: &Done, journal: &Mutex<Journal>, json: bool, out: &mut Out) {
    if d.not_started {
        return;
    }
    if d.sent
        && let Ok(mut j) = journal.lock()
        && let Err(e) = j.append(&outcome_record(d.line, &d.report))
    {
        out.err(&format!("wxcoupon: error: line {}: {e:#}\n", d.line));
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
            m.insert("from_journal".into(), d.from_journal.into());
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
            .unwrap_or_default(),
    };
    let outcome = serde_json::to_value(j.outcome)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default();
    format!(
        "line {}  {}  {outcome}  {}{}\n",
        d.line,
        escape::term(r.subject.coupon_code.as_deref().unwrap_or("-")),
        escape::term(&what),
        if d.from_journal {
            "  (from the journal)"
        } else {
            ""
        }
    )
}

/// `--dry-run --batch`: every row checked and shown; nothing sent, no journal.
pub fn dry_run(rows: super::input::Rows, b: &Batch, out: &mut Out) -> u8 {
    let mut seen = HashMap::new();
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
