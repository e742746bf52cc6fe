//! Sending a return and judging its answer: attempts with retries, the one
//! more attempt a signature probe gets, an unknown platform certificate
//! fetched before the judgement; and a dry run's request as it would be sent.

use anyhow::Result;

use super::attempt::{Live, RETURN, request_headers};
use super::certificates;
use super::session::{Session, delivery_of, now_unix, user_agent};
use crate::catalogue::outcomes::PROBE_CONFIRMED;
use crate::escape;
use crate::judge::{self, Judge};
use crate::report::{Delivery, DryRun, Judgement};
use crate::request::{self, ReturnRequest};
use crate::retry;
use crate::sign;
use crate::verify;

/// Attempts with retries, then the judgement of the final answer. An answer
/// that would have said "returned" (a 2xx, or a confirming
/// RESOURCE_ALREADY_EXISTS) but carries a WeChat Pay signature probe
/// (`WECHATPAY/SIGNTEST/…`) is treated like a lost answer: one more attempt with the same request number,
/// as `--resume` makes it, where RESOURCE_ALREADY_EXISTS confirms the return.
pub fn send_and_judge(
    live: &mut Live<'_>,
    req: &ReturnRequest,
    resume: bool,
) -> (Judgement, Delivery) {
    let (first, first_delivery, probe) = attempts(live, req, live.s.retries, resume);
    if !probe {
        return (first, first_delivery);
    }
    retry::Effects::trace(
        live,
        "the answer's signature is a WeChat Pay probe (WECHATPAY/SIGNTEST/…); one more attempt \
         with the same request number, as after a lost answer"
            .to_string(),
    );
    let (second, second_delivery, _) = attempts(live, req, 0, true);
    let attempts = first_delivery.attempts + second_delivery.attempts;
    if second.outcome == crate::exit::Kind::Returned {
        let explanation = format!(
            "{PROBE_CONFIRMED} {}",
            second.explanation.clone().unwrap_or_default()
        );
        let notes = std::iter::once(PROBE_CONFIRMED.to_string()).chain(second.notes.clone());
        let judgement = Judgement {
            explanation: Some(explanation),
            notes: notes.collect(),
            ..second
        };
        return (
            judgement,
            Delivery {
                attempts,
                ..second_delivery
            },
        );
    }
    let got = match (&second.code, &second.message) {
        (Some(code), _) => format!(
            "{code} (HTTP {})",
            second_delivery.http_status.unwrap_or_default()
        ),
        (None, Some(message)) => message.clone(),
        (None, None) => "no answer".to_string(),
    };
    let note = format!(
        "one more attempt with the same request number did not confirm the return: it ended \
         `{}`: {}",
        second.outcome.name(),
        escape::term(&got)
    );
    (
        first.with_notes([note]).retryable(),
        Delivery {
            attempts,
            host: second_delivery.host,
            ..first_delivery
        },
    )
}

/// One run of attempts and its judgement; whether the final answer is a 2xx
/// carrying a signature probe. An answer signed by a platform certificate
/// this profile lacks fetches the certificates first, when it can.
fn attempts(
    live: &mut Live<'_>,
    req: &ReturnRequest,
    retries: u32,
    resume: bool,
) -> (Judgement, Delivery, bool) {
    let s = live.s;
    let fin = retry::run(
        retries,
        &s.profile.base_url,
        s.profile.backup_base_url.as_ref(),
        resume,
        live,
    );
    let delivery = delivery_of(&fin);
    match &fin.result {
        Ok(answer) => {
            let probed = answer
                .header("Wechatpay-Signature")
                .is_some_and(|s| s.starts_with(verify::PROBE_PREFIX));
            let fetched = certificates::fetch_for(live, answer);
            let judgement = Judge {
                request: req,
                trust: &s.trust(),
                now_unix: now_unix(),
                signed_message: &live.last_signed,
                earlier_may_have_reached: fin.earlier_may_have_reached,
            }
            .judge(answer)
            .with_notes(fetched);
            // A probe on an answer that would have said "returned" (a 2xx, or
            // a confirming RESOURCE_ALREADY_EXISTS): one more attempt may.
            let probe = probed
                && ((200..300).contains(&answer.status)
                    || judgement.outcome == crate::exit::Kind::Unverified);
            (judgement, delivery, probe)
        }
        Err(e) => (judge::network(e), delivery, false),
    }
}

/// The request as it would be sent, and the lines for people.
pub fn dry_run(s: &Session, body: &[u8]) -> Result<(DryRun, Vec<String>)> {
    let signed = s.sign(RETURN.method, RETURN.path, body)?;
    let ua = user_agent();
    let serial = s.trust().request_serial(now_unix());
    let headers = request_headers(&signed.authorization, &ua, serial.as_deref(), true);
    let authority = s
        .profile
        .base_url
        .origin
        .split("://")
        .nth(1)
        .unwrap_or_default();
    let length = body.len().to_string();
    let sent = [("Host", authority)]
        .into_iter()
        .chain(headers)
        .chain([("Content-Length", length.as_str())]);
    let request = DryRun {
        method: request::METHOD.into(),
        url: format!("{}{}", s.profile.base_url, request::PATH),
        headers: sent.map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        body: String::from_utf8_lossy(body).into_owned(),
    };
    let notes = vec![
        format!(
            "profile `{}` from {}",
            s.profile.name,
            s.profile.config_path.display()
        ),
        format!("signed message:\n{}", sign::visible(&signed.message)),
    ];
    Ok((request, notes))
}
