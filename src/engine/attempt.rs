//! One attempt of a request: what it is (`Api`: the method and path), its
//! headers, and `Live`, the real effects of attempts (sign afresh, send,
//! sleep, trace) that `retry` drives.

use std::time::Duration;

use time::OffsetDateTime;

use super::session::{Session, now_unix, user_agent};
use crate::client::{self, Answer, NetError};
use crate::escape;
use crate::request;
use crate::retry;
use crate::sign;
use crate::url::BaseUrl;

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
    path: crate::certs::download::PATH_AND_QUERY,
};

/// The request headers wxcoupon sets; the Authorization value is the
/// caller's. ureq adds only `Host` and `Content-Length` (`--dry-run` shows
/// those too). `Accept-Encoding` is ureq's own default, set here so that
/// it is written in one place. `Wechatpay-Serial` names the key that should
/// sign the answer (none when no certificate is valid); `Content-Type` goes
/// with a body.
pub(super) fn request_headers<'a>(
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
    pub(super) last_signed: Vec<u8>,
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
        // A frequency limit slows every thread of the session down, not just
        // this row.
        if let (Some(pace), Ok(answer)) = (&self.s.pace, &result)
            && retry::rate_limited(answer)
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
