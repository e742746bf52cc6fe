//! The effects of attempts: sign afresh, send, sleep, trace; the request's
//! headers; the judgement of the final answer, with the one more attempt a
//! signature probe gets; and a dry run's request as it would be sent.

use std::time::Duration;

use anyhow::Result;
use time::OffsetDateTime;

use super::{Session, now_unix, user_agent};
use crate::client::{self, Answer, NetError};
use crate::escape;
use crate::judge::{self, Judge};
use crate::report::{Delivery, DryRun, Judgement};
use crate::request::{self, ReturnRequest};
use crate::retry;
use crate::sign;
use crate::url::BaseUrl;
use crate::verify;

/// What a request is: its method and path.
#[derive(Debug, Clone, Copy)]
pub struct Api {
    pub method: &'static str,
    pub path: &'static str,
}

pub const RETURN: Api = Api {
    method: request::METHOD,
    path: request::PATH,
};

pub const CERTIFICATES: Api = Api {
    method: "GET",
    path: crate::certs::download::PATH,
};

/// The request headers wxcoupon sets; the Authorization value is the
/// caller's. ureq adds only `Host` and `Content-Length` (`--dry-run` shows
/// those too). `Accept-Encoding` is ureq's own default, set here so that
/// it is written in one place. `Wechatpay-Serial` names the key that should
/// sign the answer (none when no certificate is valid); `Content-Type` goes
/// with a body.
fn request_headers<'a>(
    authorization: &'a str,
    ua: &'a str,
    serial: Option<&'a str>,
    has_body: bool,
) -> Vec<(&'static str, &'a str)> {
    let mut headers = vec![
        ("Authorization", authorization),
        ("Accept", "application/json"),
    ];
    if has_body {
        headers.push(("Content-Type", "application/json"));
    }
    headers.push(("User-Agent", ua));
    if let Some(serial) = serial {
        headers.push(("Wechatpay-Serial", serial));
    }
    headers.push(("Accept-Encoding", "gzip"));
    headers
}

/// The real effects of attempts: sign afresh, send, sleep, trace.
pub struct Live<'a> {
    pub s: &'a Session,
    api: Api,
    body: &'a [u8],
    ua: String,
    pub(super) trace: &'a mut dyn FnMut(&str),
    /// The message signed for the latest attempt (for SIGN_ERROR comparisons).
    last_signed: Vec<u8>,
}

impl<'a> Live<'a> {
    pub fn new(s: &'a Session, api: Api, body: &'a [u8], trace: &'a mut dyn FnMut(&str)) -> Self {
        Live {
            s,
            api,
            body,
            ua: user_agent(),
            trace,
            last_signed: Vec::new(),
        }
    }

    pub fn note(&mut self, line: &str) {
        retry::Effects::trace(self, line.to_string());
    }
}

impl retry::Effects for Live<'_> {
    fn send(&mut self, to: &BaseUrl, attempt: u32) -> Result<Answer, NetError> {
        if let Some(pace) = &self.s.pace {
            pace.acquire();
        }
        let signed = self
            .s
            .sign(self.api.method, self.api.path, self.body)
            .map_err(|e| NetError {
                what: format!("{e:#}"),
                may_have_reached: false,
                elapsed: Duration::ZERO,
            })?;
        self.trace(format!(
            "attempt {attempt}: {} {to}{} with {}",
            self.api.method,
            self.api.path,
            sign::redact_authorization(&signed.authorization)
        ));
        self.last_signed = signed.message;
        let serial = self.s.trust().request_serial(now_unix());
        let headers = request_headers(
            &signed.authorization,
            &self.ua,
            serial.as_deref(),
            !self.body.is_empty(),
        );
        let route = self.s.route_for(to);
        let result = client::send(
            route,
            to,
            self.api.method,
            self.api.path,
            &headers,
            self.body,
        );
        // A 429 slows every thread of the session down, not just this row.
        if let (Some(pace), Ok(answer)) = (&self.s.pace, &result)
            && answer.status == 429
        {
            let after = answer
                .header("Retry-After")
                .and_then(|v| retry::retry_after(v, OffsetDateTime::now_utc()))
                .unwrap_or_default();
            pace.slow_down(after);
        }
        result
    }

    fn sleep(&mut self, d: Duration) {
        std::thread::sleep(d);
    }

    fn jitter(&mut self) -> f64 {
        let mut b = [0u8; 2];
        let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b);
        f64::from(u16::from_le_bytes(b)) / 65536.0
    }

    fn now(&mut self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    fn trace(&mut self, line: String) {
        (self.trace)(&format!("wxcoupon: {}\n", escape::term(&line)));
    }
}

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

const PROBE_CONFIRMED: &str = "WeChat Pay's first answer carried a signature probe (WECHATPAY/SIGNTEST/…), \
     invalid by design; one more attempt with the same request number confirmed the return.";

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
    let delivery = super::delivery_of(&fin);
    match &fin.result {
        Ok(answer) => {
            let probed = answer
                .header("Wechatpay-Signature")
                .is_some_and(|s| s.starts_with(verify::PROBE_PREFIX));
            let fetched = super::certificates::fetch_for(live, answer);
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
