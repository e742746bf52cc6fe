//! A `Report` in words: text for people (stdout only for a return time or a
//! dry run; the rest on stderr) and one JSON object for scripts. Text that
//! came from the network is escaped here.

use serde::Serialize;
use serde_json::Value;

use crate::catalogue::outcomes::DRY_RUN_WARNING;
use crate::escape;
use crate::exit::Kind;
use crate::output::Out;
use crate::report::{Action, DryRun, Report};

/// The warnings that come before the outcome, in text and JSON mode alike.
/// Prints a report: warnings first, then the JSON or the text.
pub fn print(report: &Report, as_json: bool, out: &mut Out) {
    out.err(&warnings(report));
    if as_json {
        out.out(&json(report));
    } else {
        let (stdout, stderr) = text(report);
        out.out(&stdout);
        out.err(&stderr);
    }
}

pub fn warnings(r: &Report) -> String {
    r.warnings
        .iter()
        .map(|w| format!("wxcoupon: warning: {w}\n"))
        .collect()
}

/// Text for people: (stdout, stderr).
pub fn text(r: &Report) -> (String, String) {
    let (out, mut err) = headline(r);
    let j = &r.judgement;
    // An unverified answer: what it means and what to do, as the JSON says.
    if j.outcome == Kind::Unverified
        && let Some(explanation) = &j.explanation
        && !j.notes.contains(explanation)
    {
        err.push_str(&format!("  {explanation}\n"));
    }
    // Notes are wxcoupon's own words; network text in them was escaped where it was quoted.
    for note in &j.notes {
        for line in note.lines() {
            err.push_str(&format!("  {line}\n"));
        }
    }
    if matches!(j.outcome, Kind::Rejected | Kind::Unknown)
        && let Some(msg) = &j.message
        && j.code.is_some()
    {
        err.push_str(&format!(
            "  WeChat Pay's message: {}\n",
            escape::term(&escape::shorten(msg, msg.len()))
        ));
    }
    if let Some(detail) = &j.detail {
        err.push_str(&format!(
            "  detail: {}\n",
            escape::term(&detail.to_string())
        ));
    }
    err.push_str(&delivery(r));
    (out, err)
}

/// The first line (and stdout) for each kind of outcome.
fn headline(r: &Report) -> (String, String) {
    let j = &r.judgement;
    let field = |v: &Option<String>| v.as_deref().map(escape::term).unwrap_or_default();
    let coupon = field(&r.subject.coupon_code);
    let stock = field(&r.subject.stock_id);
    let status = r.delivery.http_status.unwrap_or_default();
    let mut out = String::new();
    let err = match j.outcome {
        Kind::Returned if j.confirmed_by_retry => format!(
            "returned: coupon {coupon} (stock {stock}) is back in the user's wallet (confirmed by retry)\n"
        ),
        Kind::Returned => {
            let time = field(&j.wechatpay_return_time);
            out = format!("{time}\n");
            format!(
                "returned: coupon {coupon} (stock {stock}) is back in the user's wallet; WeChat Pay return time {time}\n"
            )
        }
        Kind::DryRun => {
            if let Some(req) = &r.dry_run {
                out = dry_run_text(req);
            }
            format!(
                "dry run: the request above was built and signed; nothing was sent\n{DRY_RUN_WARNING}\n"
            )
        }
        Kind::Invalid => format!(
            "wxcoupon: error: {}\n  {}\n",
            escape::term_lines(j.message.as_deref().unwrap_or_default(), "  "),
            if r.action == Action::Download {
                "nothing was written"
            } else {
                "nothing was sent"
            }
        ),
        Kind::Rejected => format!(
            "wxcoupon: rejected: {} (HTTP {status}): WeChat Pay said no; repeating the same call will not help\n",
            field(&j.code)
        ),
        Kind::Unknown => {
            let what = match &j.code {
                Some(code) => format!("{} (HTTP {status})", escape::term(code)),
                None => field(&j.message),
            };
            if j.not_accepted {
                format!(
                    "wxcoupon: not accepted: {what}: WeChat Pay asks to slow down; nothing happened\n"
                )
            } else {
                format!("wxcoupon: outcome unknown: {what}\n")
            }
        }
        Kind::Unverified if r.action == Action::Download => format!(
            "wxcoupon: unverified: {}\n  no certificate was written\n",
            field(&j.message)
        ),
        Kind::Unverified => format!(
            "wxcoupon: unverified: {}\n  do NOT treat this as a success: the return may or may not have happened\n",
            field(&j.message)
        ),
        Kind::Internal => format!("wxcoupon: internal error: {}\n", field(&j.message)),
    };
    (out, err)
}

fn dry_run_text(req: &DryRun) -> String {
    let mut out = format!("{} {}\n", req.method, req.url);
    for (k, v) in &req.headers {
        out.push_str(&format!("{k}: {v}\n"));
    }
    out.push('\n');
    out.push_str(&req.body);
    out.push('\n');
    out
}

/// Status, attempts, Request-ID, request number, and how to retry.
fn delivery(r: &Report) -> String {
    let (j, d) = (&r.judgement, &r.delivery);
    let mut err = String::new();
    if !matches!(j.outcome, Kind::Returned | Kind::DryRun | Kind::Invalid)
        && let Some(status) = d.http_status
    {
        err.push_str(&format!("  HTTP status: {status}\n"));
    }
    if d.attempts > 1
        && let Some(host) = &d.host
    {
        err.push_str(&format!(
            "  attempts: {}, the last to {}\n",
            d.attempts,
            escape::term(host)
        ));
    }
    if let Some(id) = &d.request_id {
        err.push_str(&format!("  Request-ID: {}\n", escape::term(id)));
    }
    if j.outcome != Kind::Invalid
        && let Some(no) = &r.subject.return_request_no
    {
        // Repeating a return matters only when its outcome is not settled.
        let open = matches!(j.outcome, Kind::Unknown | Kind::Unverified | Kind::DryRun);
        let generated = if r.generated_request_no && open {
            " (generated; pass it as --request-no to repeat this same return)"
        } else {
            ""
        };
        err.push_str(&format!(
            "  request number: {}{generated}\n",
            escape::term(no)
        ));
    }
    match (&r.retry_command, j.outcome) {
        (Some(cmd), _) if j.retryable => err.push_str(&format!(
            "  safe to retry with the same request number (it cannot return the coupon twice):\n    {cmd}\n"
        )),
        (Some(cmd), Kind::Unverified) => err.push_str(&format!(
            "  once the cause is fixed, repeat this same return (it cannot return the coupon twice):\n    {cmd}\n"
        )),
        _ => {}
    }
    err
}

/// The JSON object scripts read; its fields, in order, are the documented ones.
#[derive(Serialize)]
struct Json<'a> {
    outcome: Kind,
    coupon_code: &'a Option<String>,
    stock_id: &'a Option<String>,
    return_request_no: &'a Option<String>,
    wechatpay_return_time: &'a Option<String>,
    http_status: Option<u16>,
    code: &'a Option<String>,
    message: &'a Option<String>,
    detail: &'a Option<Value>,
    explanation: &'a Option<String>,
    retryable: bool,
    request_id: &'a Option<String>,
    attempts: u32,
    host: &'a Option<String>,
    confirmed_by_retry: bool,
    retry_command: &'a Option<String>,
    /// Only when true (issue 17): the number, or the outcome, is the ledger's.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    from_ledger: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    request: Option<JsonDryRun<'a>>,
}

#[derive(Serialize)]
struct JsonDryRun<'a> {
    method: &'a str,
    url: &'a str,
    headers: &'a [(String, String)],
    body: &'a str,
}

fn json_view(r: &Report) -> Json<'_> {
    let (j, d) = (&r.judgement, &r.delivery);
    Json {
        outcome: j.outcome,
        coupon_code: &r.subject.coupon_code,
        stock_id: &r.subject.stock_id,
        return_request_no: &r.subject.return_request_no,
        wechatpay_return_time: &j.wechatpay_return_time,
        http_status: d.http_status,
        code: &j.code,
        message: &j.message,
        detail: &j.detail,
        explanation: &j.explanation,
        retryable: j.retryable,
        request_id: &d.request_id,
        attempts: d.attempts,
        host: &d.host,
        confirmed_by_retry: j.confirmed_by_retry,
        retry_command: &r.retry_command,
        from_ledger: r.from_ledger,
        request: r.dry_run.as_ref().map(|q| JsonDryRun {
            method: &q.method,
            url: &q.url,
            headers: &q.headers,
            body: &q.body,
        }),
    }
}

/// Exactly one JSON object, one line.
pub fn json(r: &Report) -> String {
    crate::output::json_line(&json_view(r))
}

/// The JSON object as a value (the demo's steps).
pub fn json_value(r: &Report) -> Value {
    serde_json::to_value(json_view(r)).unwrap_or(Value::Null)
}
