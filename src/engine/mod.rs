//! One coupon return through the whole normal path: the request signed
//! afresh for every attempt, sent with retries, the final answer judged, the
//! report assembled once. It takes domain values only, never clap types:
//! `cmd::return`, `cmd::demo` and the batch's workers build them.
//!
//! The files, each using only those listed after it: this one (a return
//! and its report), `send` (attempts and the judgement), `certificates`
//! (downloading platform certificates), `attempt` (one request's effects),
//! `session` (what every request of a run shares).

mod attempt;
mod certificates;
mod send;
mod session;

pub use certificates::Download;
pub use session::{Overrides, Session};

use crate::catalogue::outcomes::DRY_RUN_WARNING;
use crate::escape;
use crate::report::{Delivery, Judgement, Report, Subject};
use crate::request::ReturnRequest;

/// One return to make.
#[derive(Debug, Clone)]
pub struct ReturnInput {
    pub request: ReturnRequest,
    /// The request number was made up by wxcoupon (no `--request-no`).
    pub generated: bool,
    /// An earlier run may already have sent this return.
    pub resume: bool,
    pub dry_run: bool,
    /// How to invoke wxcoupon again for this profile (`wxcoupon --config F`),
    /// for the command that repeats this return.
    pub invocation: String,
}

/// Makes one return (or its dry run) and reports it. `trace` hears each
/// attempt as it happens (`-v`).
pub fn run(s: &Session, input: &ReturnInput, trace: &mut dyn FnMut(&str)) -> Report {
    let req = &input.request;
    let body = req.body();
    let (judgement, delivery, dry_run) = if input.dry_run {
        match send::dry_run(s, &body) {
            Ok(d) => (
                Judgement::dry_run(DRY_RUN_WARNING).with_notes(d.1),
                Delivery {
                    host: Some(s.profile.base_url.origin.clone()),
                    ..Delivery::default()
                },
                Some(d.0),
            ),
            Err(e) => (Judgement::invalid(&e), Delivery::default(), None),
        }
    } else {
        let mut live = attempt::Live::new(s, attempt::RETURN, &body, trace);
        let (j, d) = send::send_and_judge(&mut live, req, input.resume);
        (j, d, None)
    };
    let outcome = judgement.outcome;
    // The command that repeats this very return, where repeating it is the
    // way forward: an open outcome (unknown, unverified), or a request
    // number WeChat Pay says was used already (--resume confirms it, if it
    // was for this coupon).
    let used_before = outcome == crate::exit::Kind::Rejected
        && judgement.code.as_deref() == Some("RESOURCE_ALREADY_EXISTS");
    let repeat = matches!(
        outcome,
        crate::exit::Kind::Unknown | crate::exit::Kind::Unverified
    ) || used_before;
    let judgement = if used_before && !input.resume {
        judgement.with_notes([format!(
            "this request number was used before; if it was for this very coupon, the return \
             went through, and this confirms it: {}",
            retry_command(input)
        )])
    } else {
        judgement
    };
    Report {
        action: crate::report::Action::Return,
        subject: Subject::from(req),
        retry_command: repeat.then(|| retry_command(input)),
        generated_request_no: input.generated
            && !matches!(
                outcome,
                crate::exit::Kind::Returned | crate::exit::Kind::Invalid
            ),
        judgement,
        delivery,
        dry_run,
        warnings: s.warnings.clone(),
        from_ledger: false,
    }
}

/// The command line that repeats this very return, saying it may have been sent.
fn retry_command(input: &ReturnInput) -> String {
    let req = &input.request;
    format!(
        "{} return {} {} {} --resume",
        input.invocation,
        flag("--code", &req.coupon_code),
        flag("--stock", &req.stock_id),
        flag("--request-no", &req.return_request_no)
    )
}

/// `--flag VALUE`, quoted for a POSIX shell; `--flag=VALUE` when the value
/// starts with `-`, which would otherwise read as a flag.
pub fn flag(name: &str, value: &str) -> String {
    if value.starts_with('-') {
        format!("{name}={}", escape::shell(value))
    } else {
        format!("{name} {}", escape::shell(value))
    }
}
