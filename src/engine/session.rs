//! The session: everything returns need, read and checked once (the
//! profile, keys, who may sign answers, the routes), and what every request
//! of it shares (the time, the User-Agent, what the attempts delivered).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use anyhow::{Result, anyhow};
use time::OffsetDateTime;

use crate::certs::ApiV3Key;
use crate::client;
use crate::env::Env;
use crate::keys::PrivateKey;
use crate::profile::Profile;
use crate::report::Delivery;
use crate::sign::{self, Signer};
use crate::trust::Trust;
use crate::url::BaseUrl;

/// Everything returns need, read and checked once, before anything is sent:
/// the profile, the private key, who may sign answers (the WeChat Pay public
/// key, platform certificates), the APIv3 key, and how to reach each base URL.
pub struct Session {
    pub profile: Profile,
    pub(super) private_key: PrivateKey,
    /// Who may sign answers; platform certificates join it when downloaded.
    pub(super) trust: RwLock<Trust>,
    pub(super) apiv3_key: Option<ApiV3Key>,
    pub(super) route: client::Route,
    /// The route to `backup_base_url`: the same but for its proxy.
    pub(super) backup_route: Option<client::Route>,
    pub(super) retries: u32,
    /// Warnings about the set-up (a private key file others can read).
    pub(super) warnings: Vec<String>,
    /// The pace of a batch's requests.
    pub(super) pace: Option<crate::pace::Pace>,
    /// The platform certificate downloads of this run, by the serial that
    /// started each, with what they said: one per unknown serial, shared by
    /// every worker; a failed one is remembered, not tried again.
    pub(super) fetched: Mutex<HashMap<String, Vec<String>>>,
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
            fetched: Mutex::new(HashMap::new()),
        })
    }

    /// Who may sign answers, now.
    pub(super) fn trust(&self) -> std::sync::RwLockReadGuard<'_, Trust> {
        self.trust
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Signs a request afresh: a new timestamp and nonce each time.
    pub(super) fn sign(&self, method: &str, path: &str, body: &[u8]) -> Result<sign::Signed> {
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

    /// The longest one return may take once started (a bound, not an
    /// estimate): its attempts, and after a signature probe one more
    /// (`send`); up to two platform certificate downloads (one per unknown
    /// serial, the first answer's and the probe attempt's), each with its
    /// attempts and one more after a probe (`certificates`).
    pub fn longest_return(&self) -> Duration {
        let timeout = self.route.timeout;
        let (all, one) = (
            crate::retry::longest(self.retries, timeout),
            crate::retry::longest(0, timeout),
        );
        (all + one).saturating_mul(3)
    }

    /// The route to `to`, one of the profile's base URLs.
    pub(super) fn route_for(&self, to: &BaseUrl) -> &client::Route {
        match &self.backup_route {
            Some(backup) if Some(to) == self.profile.backup_base_url.as_ref() => backup,
            _ => &self.route,
        }
    }
}

/// What the attempts of a request delivered: the final status, its
/// `Request-ID`, how many attempts, and which host answered.
pub(super) fn delivery_of(fin: &crate::retry::Final) -> Delivery {
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

pub(super) fn now_unix() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

pub(super) fn user_agent() -> String {
    format!(
        "wxcoupon/{} ({}; {})",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}
