//! One coupon return through the whole normal path: the request signed
//! afresh for every attempt, sent with retries, the final answer judged, the
//! report assembled once. It takes domain values only, never clap types:
//! `cmd::return` and `cmd::demo` build them (and, next, a batch loop).
//! `live` holds the effects of attempts; `certificates` downloads platform
//! certificates.

mod certificates;
mod live;

pub use certificates::Download;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::{Result, anyhow};
use time::OffsetDateTime;

use crate::certs::ApiV3Key;
use crate::client;
use crate::env::Env;
use crate::escape;
use crate::keys::PrivateKey;
use crate::profile::Profile;
use crate::report::{DRY_RUN_WARNING, Delivery, Judgement, Report, Subject};
use crate::request::ReturnRequest;
use crate::sign::{self, Signer};
use crate::trust::Trust;
use crate::url::BaseUrl;

/// Everything returns need, read and checked once, before anything is sent:
/// the profile, the private key, who may sign answers (the WeChat Pay public
/// key, platform certificates), the APIv3 key, and how to reach each base URL.
pub struct Session {
    pub profile: Profile,
    private_key: PrivateKey,
    /// Who may sign answers; platform certificates join it when downloaded.
    trust: RwLock<Trust>,
    apiv3_key: Option<ApiV3Key>,
    route: client::Route,
    /// The route to `backup_base_url`: the same but for its proxy.
    backup_route: Option<client::Route>,
    retries: u32,
    /// Warnings about the set-up (a private key file others can read).
    warnings: Vec<String>,
    /// The pace of a batch's requests.
    pace: Option<crate::pace::Pace>,
}

/// What the command line may change of a profile, already checked.
#[derive(Debug, Clone, Copy, Default)]
pub struct Overrides {
    pub timeout: Option<Duration>,
    pub retries: Option<u32>,
    /// Requests per second across every thread using the session (a batch);
    /// `Some(0.0)`: paced by 429s only.
    pub rate: Option<f64>,
}

impl Session {
    /// Loads both keys and the CA bundle, and picks the proxies.
    pub fn open(profile: Profile, over: Overrides, env: &Env) -> Result<Session> {
        let private_key = profile.load_private_key()?;
        let trust = Trust::load(&profile)?;
        let apiv3_key = profile.load_apiv3_key()?;
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
        let timeout = over.timeout.unwrap_or(profile.timeout);
        let route = client::Route::new(timeout, proxy(&profile.base_url)?, roots.clone());
        let backup_route = match &profile.backup_base_url {
            Some(b) => Some(client::Route::new(timeout, proxy(b)?, roots)),
            None => None,
        };
        Ok(Session {
            pace: over.rate.map(crate::pace::Pace::new),
            retries: over.retries.unwrap_or(profile.retries),
            warnings: crate::profile::loose_key_file(&profile.private_key)
                .into_iter()
                .collect(),
            profile,
            private_key,
            trust: RwLock::new(trust),
            apiv3_key,
            route,
            backup_route,
        })
    }

    /// Who may sign answers, now.
    fn trust(&self) -> std::sync::RwLockReadGuard<'_, Trust> {
        self.trust
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Signs a request afresh: a new timestamp and nonce each time.
    fn sign(&self, method: &str, path: &str, body: &[u8]) -> Result<sign::Signed> {
        let signer = Signer {
            key: &self.private_key,
            mchid: &self.profile.mchid,
            serial_no: &self.profile.merchant_serial_no,
        };
        let nonce = sign::nonce()?;
        signer.sign(method, path, now_unix(), &nonce, body)
    }

    /// A batch's shared pace (none for a single return).
    pub fn pace(&self) -> Option<&crate::pace::Pace> {
        self.pace.as_ref()
    }

    /// The route to `to`, one of the profile's base URLs.
    fn route_for(&self, to: &BaseUrl) -> &client::Route {
        match &self.backup_route {
            Some(backup) if Some(to) == self.profile.backup_base_url.as_ref() => backup,
            _ => &self.route,
        }
    }
}

/// What the attempts of a request delivered: the final status, its
/// `Request-ID`, how many attempts, and which host answered.
fn delivery_of(fin: &crate::retry::Final) -> Delivery {
    let answer = fin.result.as_ref().ok();
    Delivery {
        http_status: answer.map(|a| a.status),
        request_id: answer
            .and_then(|a| a.header("Request-ID"))
            .map(str::to_string),
        attempts: fin.attempts,
        host: Some(fin.host.origin.clone()),
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
        match live::dry_run(s, &body) {
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
        let mut live = live::Live::new(s, live::RETURN, &body, trace);
        let (j, d) = live::send_and_judge(&mut live, req, input.resume);
        (j, d, None)
    };
    let outcome = judgement.outcome;
    Report {
        action: crate::report::Action::Return,
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
