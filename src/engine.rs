//! One coupon return through the whole normal path: the request signed
//! afresh for every attempt, sent with retries, the final answer judged, the
//! report assembled once. It takes domain values only, never clap types:
//! `cmd::return` and `cmd::demo` build them (and, next, a batch loop).

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, anyhow};
use time::OffsetDateTime;

use crate::client::{self, Answer, NetError};
use crate::env::Env;
use crate::escape;
use crate::judge::{self, Judge};
use crate::keys::{PrivateKey, PublicKey};
use crate::profile::Profile;
use crate::report::{DRY_RUN_WARNING, Delivery, DryRun, Judgement, Report, Subject};
use crate::request::{self, ReturnRequest};
use crate::retry;
use crate::sign::{self, Signer};
use crate::url::BaseUrl;
use crate::verify;

/// Everything returns need, read and checked once, before anything is sent:
/// the profile, both keys, and how to reach each base URL.
pub struct Session {
    pub profile: Profile,
    private_key: PrivateKey,
    public_key: PublicKey,
    route: client::Route,
    /// The route to `backup_base_url`: the same but for its proxy.
    backup_route: Option<client::Route>,
    retries: u32,
    /// Warnings about the set-up (a private key file others can read).
    warnings: Vec<String>,
}

/// What the command line may change of a profile, already checked.
#[derive(Debug, Clone, Copy, Default)]
pub struct Overrides {
    pub timeout: Option<Duration>,
    pub retries: Option<u32>,
}

impl Session {
    /// Loads both keys and the CA bundle, and picks the proxies.
    pub fn open(profile: Profile, over: Overrides, env: &Env) -> Result<Session> {
        let private_key = profile.load_private_key()?;
        let public_key = profile.load_public_key()?;
        let roots = profile.load_roots()?.map(Arc::new);
        let proxy = |url: &BaseUrl| -> Result<Option<ureq::Proxy>> {
            let scheme = url.origin.split(':').next().unwrap_or("https");
            client::proxy_for(scheme, &url.host, profile.proxy.as_deref(), &env.proxies)
                .map(|p| {
                    crate::url::check_proxy(p)
                        .and_then(|()| ureq::Proxy::new(p).map_err(|e| e.to_string()))
                        .map_err(|e| {
                            anyhow!(
                                "proxy {:?} (from the profile or the environment): {e}",
                                crate::redact::url(p)
                            )
                        })
                })
                .transpose()
        };
        let route = client::Route {
            timeout: over.timeout.unwrap_or(profile.timeout),
            proxy: proxy(&profile.base_url)?,
            roots,
        };
        let backup_route = match &profile.backup_base_url {
            Some(b) => Some(client::Route {
                proxy: proxy(b)?,
                ..route.clone()
            }),
            None => None,
        };
        Ok(Session {
            retries: over.retries.unwrap_or(profile.retries),
            warnings: crate::profile::loose_key_file(&profile.private_key)
                .into_iter()
                .collect(),
            profile,
            private_key,
            public_key,
            route,
            backup_route,
        })
    }

    /// Signs the return request afresh: a new timestamp and nonce each time.
    fn sign(&self, body: &[u8]) -> Result<sign::Signed> {
        let signer = Signer {
            key: &self.private_key,
            mchid: &self.profile.mchid,
            serial_no: &self.profile.merchant_serial_no,
        };
        let nonce = sign::nonce()?;
        signer.sign(request::METHOD, request::PATH, now_unix(), &nonce, body)
    }

    /// The route to `to`, one of the profile's base URLs.
    fn route_for(&self, to: &BaseUrl) -> &client::Route {
        match &self.backup_route {
            Some(backup) if Some(to) == self.profile.backup_base_url.as_ref() => backup,
            _ => &self.route,
        }
    }

}

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
        match dry_run(s, &body) {
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
        let mut live = Live {
            s,
            body: &body,
            ua: user_agent(),
            trace,
            last_signed: Vec::new(),
        };
        let (j, d) = send_and_judge(&mut live, req, input.resume);
        (j, d, None)
    };
    let outcome = judgement.outcome;
    Report {
        subject: Subject::from(req),
        retry_command: judgement.retryable.then(|| retry_command(input)),
        generated_request_no: input.generated
            && !matches!(
                outcome,
                crate::exit::Kind::Returned | crate::exit::Kind::Invalid
            ),
        judgement,
        delivery,
        dry_run,
        warnings: s.warnings.clone(),
    }
}

fn now_unix() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

fn user_agent() -> String {
    format!(
        "wxcoupon/{} ({}; {})",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    )
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

/// The request headers wxcoupon sets; the Authorization value is the
/// caller's. ureq adds only `Host` and `Content-Length` (`--dry-run` shows
/// those too). `Accept-Encoding` is ureq's own default, set here so that
/// it is written in one place.
fn request_headers<'a>(
    authorization: &'a str,
    ua: &'a str,
    key_id: &'a str,
) -> [(&'static str, &'a str); 6] {
    [
        ("Authorization", authorization),
        ("Accept", "application/json"),
        ("Content-Type", "application/json"),
        ("User-Agent", ua),
        ("Wechatpay-Serial", key_id),
        ("Accept-Encoding", "gzip"),
    ]
}

/// The real effects of attempts: sign afresh, send, sleep, trace.
struct Live<'a> {
    s: &'a Session,
    body: &'a [u8],
    ua: String,
    trace: &'a mut dyn FnMut(&str),
    /// The message signed for the latest attempt (for SIGN_ERROR comparisons).
    last_signed: Vec<u8>,
}

impl retry::Effects for Live<'_> {
    fn send(&mut self, to: &BaseUrl, attempt: u32) -> Result<Answer, NetError> {
        let signed = self.s.sign(self.body).map_err(|e| NetError {
            what: format!("{e:#}"),
            may_have_reached: false,
            elapsed: Duration::ZERO,
        })?;
        self.trace(format!(
            "attempt {attempt}: POST {to}{} with {}",
            request::PATH,
            sign::redact_authorization(&signed.authorization)
        ));
        self.last_signed = signed.message;
        let headers = request_headers(
            &signed.authorization,
            &self.ua,
            &self.s.profile.wechatpay_public_key_id,
        );
        client::post(self.s.route_for(to), to, request::PATH, &headers, self.body)
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
fn send_and_judge(live: &mut Live<'_>, req: &ReturnRequest, resume: bool) -> (Judgement, Delivery) {
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
        serde_json::to_value(second.outcome)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
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
/// carrying a signature probe.
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
    let delivery = Delivery {
        http_status: fin.result.as_ref().ok().map(|a| a.status),
        request_id: fin
            .result
            .as_ref()
            .ok()
            .and_then(|a| a.header("Request-ID"))
            .map(str::to_string),
        attempts: fin.attempts,
        host: Some(fin.host.origin.clone()),
    };
    match &fin.result {
        Ok(answer) => {
            let probed = answer
                .header("Wechatpay-Signature")
                .is_some_and(|s| s.starts_with(verify::PROBE_PREFIX));
            let judgement = Judge {
                request: req,
                wechatpay_public_key_id: &s.profile.wechatpay_public_key_id,
                public_key: &s.public_key,
                now_unix: now_unix(),
                signed_message: &live.last_signed,
                earlier_may_have_reached: fin.earlier_may_have_reached,
            }
            .judge(answer);
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
fn dry_run(s: &Session, body: &[u8]) -> Result<(DryRun, Vec<String>)> {
    let signed = s.sign(body)?;
    let ua = user_agent();
    let headers = request_headers(
        &signed.authorization,
        &ua,
        &s.profile.wechatpay_public_key_id,
    );
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
