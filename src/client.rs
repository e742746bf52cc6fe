//! The one place that talks HTTP: one ureq Agent per route, shared by the
//! attempts and the worker threads of a session so that connections are kept
//! alive; the raw answer; and what a network failure means for "may the
//! request have been sent?" — exact for new and reused connections alike.

use std::cell::Cell;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use ureq::Agent;
use ureq::http::HeaderMap;
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use ureq::unversioned::resolver::DefaultResolver;
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, DefaultConnector, NextTimeout, Transport,
};

use crate::env::ProxyEnv;
use crate::url::BaseUrl;

/// What came back, untouched: the body bytes are the bytes the signature covers.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub elapsed: Duration,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The WeChat Pay JSON error in the body, if the body is one.
    pub fn error(&self) -> Option<ErrorBody> {
        let v: serde_json::Value = serde_json::from_slice(&self.body).ok()?;
        Some(ErrorBody {
            code: v.get("code")?.as_str()?.to_string(),
            message: v
                .get("message")
                .and_then(|m| m.as_str())
                .map(str::to_string),
            detail: v.get("detail").cloned(),
        })
    }
}

/// A WeChat Pay JSON error body: `{"code", "message", "detail"}`.
#[derive(Debug, Clone)]
pub struct ErrorBody {
    pub code: String,
    pub message: Option<String>,
    pub detail: Option<serde_json::Value>,
}

/// A failure below HTTP: no complete answer was received.
#[derive(Debug, Clone)]
pub struct NetError {
    pub what: String,
    /// The connection (TCP and TLS) was made, so the request may have been
    /// sent and processed. False for DNS failures, refused connections and
    /// failed TLS handshakes.
    pub may_have_reached: bool,
    pub elapsed: Duration,
}

/// How to reach the server for one attempt.
#[derive(Debug, Clone)]
pub struct Route {
    pub timeout: Duration,
    /// `None`: connect directly (never the environment's proxy behind our back).
    pub proxy: Option<ureq::Proxy>,
    /// `None`: Mozilla's roots.
    pub roots: Option<Arc<Vec<Certificate<'static>>>>,
    /// The route's agent and its pool of kept-alive connections, made on
    /// first use.
    pub agent: OnceLock<Agent>,
}

impl Route {
    pub fn new(
        timeout: Duration,
        proxy: Option<ureq::Proxy>,
        roots: Option<Arc<Vec<Certificate<'static>>>>,
    ) -> Route {
        Route {
            timeout,
            proxy,
            roots,
            agent: OnceLock::new(),
        }
    }
}

thread_local! {
    /// Whether this thread's current request handed bytes to a connection
    /// to the target host. ureq's blocking calls run on the calling thread,
    /// whether the connection is new or taken from the pool, so this answers
    /// "may the request have reached the server?" for exactly this request.
    static HANDED_OVER: Cell<bool> = const { Cell::new(false) };
}

/// Wraps the connections to the target host (after TCP, any proxy tunnel,
/// and TLS) in `Marked`. The chain also runs for the connection to a CONNECT
/// proxy itself; that one is not wrapped.
#[derive(Debug)]
struct MarkTarget {
    target_host: String,
}

impl Connector<Box<dyn Transport>> for MarkTarget {
    type Out = Box<dyn Transport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<Box<dyn Transport>>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        Ok(chained.map(|inner| {
            if details.uri.host() == Some(self.target_host.as_str()) {
                Box::new(Marked { inner }) as Box<dyn Transport>
            } else {
                inner
            }
        }))
    }
}

/// A connection to the target host that notes, for the calling thread,
/// that request bytes were handed to it.
#[derive(Debug)]
struct Marked {
    inner: Box<dyn Transport>,
}

impl Transport for Marked {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        if amount > 0 {
            HANDED_OVER.with(|h| h.set(true));
        }
        self.inner.transmit_output(amount, timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.inner.await_input(timeout)
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

fn agent(t: &Route, target_host: &str) -> Agent {
    let mut tls = TlsConfig::builder();
    if let Some(roots) = &t.roots {
        tls = tls.root_certs(RootCerts::Specific(roots.clone()));
    }
    let config = Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(t.timeout))
        .max_redirects(0)
        .proxy(t.proxy.clone())
        .tls_config(tls.build())
        .build();
    let connector = DefaultConnector::new().chain(MarkTarget {
        target_host: target_host.to_string(),
    });
    Agent::with_parts(config, connector, DefaultResolver::default())
}

/// Sends one request (`POST` with a body, or `GET`) to `base` + `path` with
/// exactly these headers and body bytes, on a kept-alive connection when
/// the route has one.
pub fn send(
    t: &Route,
    base: &BaseUrl,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Answer, NetError> {
    let url = format!("{base}{path}");
    let host = base.origin.split("://").nth(1).unwrap_or(&base.origin);
    let agent = t.agent.get_or_init(|| agent(t, base.host.as_str()));
    HANDED_OVER.with(|h| h.set(false));
    let started = Instant::now();
    let fail = |e: ureq::Error| {
        let reached = HANDED_OVER.with(Cell::get);
        let mut what = describe(&e, host, reached, t.timeout);
        if !reached && let Some(p) = &t.proxy {
            what.push_str(&format!(" (through proxy {}:{})", p.host(), p.port()));
        }
        NetError {
            what,
            may_have_reached: reached,
            elapsed: started.elapsed(),
        }
    };
    let mut resp = if method == "GET" {
        let mut req = agent.get(&url);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        req.call()
    } else {
        let mut req = agent.post(&url);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        req.send(body)
    }
    .map_err(fail)?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp
        .body_mut()
        .with_config()
        .limit(crate::files::BODY_MAX)
        .read_to_vec()
        .map_err(fail)?;
    Ok(Answer {
        status,
        headers,
        body,
        elapsed: started.elapsed(),
    })
}

/// The `rustls::Error` the downcast in `describe` looks for must be ureq's
/// own: this line stops compiling when the two versions drift apart, where
/// the downcast would silently stop matching.
const _SAME_RUSTLS_AS_UREQ: fn(rustls::Error) -> ureq::Error = ureq::Error::Rustls;

fn describe(e: &ureq::Error, host: &str, connected: bool, timeout: Duration) -> String {
    use ureq::Error as E;
    match e {
        E::Timeout(_) if connected => format!(
            "no answer from {host} within {} s (connected; the request may have been processed)",
            timeout.as_secs()
        ),
        E::Timeout(_) => format!(
            "timed out connecting to {host} after {} s",
            timeout.as_secs()
        ),
        E::HostNotFound => format!("cannot resolve {host} (DNS)"),
        E::ConnectionFailed => format!("cannot connect to {host}"),
        // rustls reports a failed handshake through an I/O error.
        E::Io(io) if io.get_ref().is_some_and(|e| e.is::<rustls::Error>()) => {
            tls_words(host, &io.to_string())
        }
        E::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            format!("cannot connect to {host}: connection refused")
        }
        // std's resolver reports a failed lookup as a plain I/O error.
        E::Io(io) if !connected && io.to_string().contains("lookup address") => {
            format!("cannot resolve {host} (DNS): {io}")
        }
        E::Io(io) if connected => format!("the connection to {host} broke: {io}"),
        E::Io(io) => format!("cannot connect to {host}: {io}"),
        E::Tls(m) => tls_words(host, m),
        E::Rustls(r) => tls_words(host, &r.to_string()),
        E::ConnectProxyFailed(m) => format!("the proxy refused the connection to {host}: {m}"),
        E::InvalidProxyUrl => "the proxy URL is not valid".to_string(),
        E::BodyExceedsLimit(n) => {
            format!("the answer from {host} is larger than {n} bytes; it was not read")
        }
        other => format!("request to {host} failed: {other}"),
    }
}

fn tls_words(host: &str, what: &str) -> String {
    format!(
        "TLS error with {host}: {what}. If this network inspects TLS (a corporate proxy), set \
         ca_file in the profile to its CA bundle; otherwise check the system clock and that \
         {host} is the WeChat Pay API"
    )
}

/// Which proxy URL to use for `scheme://host`: never one for loopback hosts;
/// none when `NO_PROXY` matches; else the profile's `proxy`, else
/// `https_proxy` (for https) or `http_proxy` (for http), else `all_proxy`.
pub fn proxy_for<'a>(
    scheme: &str,
    host: &str,
    profile_proxy: Option<&'a str>,
    env: &'a ProxyEnv,
) -> Option<&'a str> {
    if crate::url::is_loopback(host) || no_proxy_matches(env.no_proxy.as_deref(), host) {
        return None;
    }
    let by_scheme = if scheme == "https" {
        &env.https
    } else {
        &env.http
    };
    profile_proxy
        .or(by_scheme.as_deref())
        .or(env.all.as_deref())
}

/// `NO_PROXY` as curl reads it: comma-separated names, `*` for all; a name
/// matches itself and its subdomains (a leading dot is ignored); ports are ignored.
fn no_proxy_matches(list: Option<&str>, host: &str) -> bool {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    list.unwrap_or_default().split(',').any(|entry| {
        let entry = entry.trim();
        if entry == "*" {
            return true;
        }
        let name = entry
            .rsplit_once(':')
            .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()) && !entry.contains("::"))
            .map_or(entry, |(name, _)| name)
            .trim_start_matches('.')
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        !name.is_empty() && (host == name || host.ends_with(&format!(".{name}")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> ProxyEnv {
        ProxyEnv {
            https: Some("http://secure:3128".into()),
            http: Some("http://plain:3128".into()),
            all: Some("http://all:3128".into()),
            no_proxy: Some("internal.example, .corp.example:443".into()),
        }
    }

    #[test]
    fn loopback_is_never_proxied() {
        for host in ["127.0.0.1", "localhost", "[::1]"] {
            assert_eq!(proxy_for("http", host, Some("http://p:1"), &env()), None);
        }
    }

    #[test]
    fn the_profile_then_the_scheme_then_all_proxy() {
        let e = env();
        assert_eq!(
            proxy_for("https", "api.mch.weixin.qq.com", Some("http://mine:8"), &e),
            Some("http://mine:8")
        );
        assert_eq!(
            proxy_for("https", "api.mch.weixin.qq.com", None, &e),
            Some("http://secure:3128")
        );
        assert_eq!(
            proxy_for("http", "10.1.1.1", None, &e),
            Some("http://plain:3128")
        );
        let only_all = ProxyEnv {
            all: Some("socks5://all:1080".into()),
            ..ProxyEnv::default()
        };
        assert_eq!(
            proxy_for("https", "api.mch.weixin.qq.com", None, &only_all),
            Some("socks5://all:1080")
        );
        assert_eq!(
            proxy_for("https", "api.mch.weixin.qq.com", None, &ProxyEnv::default()),
            None
        );
    }

    #[test]
    fn no_proxy_matches_names_and_subdomains() {
        let e = env();
        assert_eq!(
            proxy_for("https", "internal.example", Some("http://p:1"), &e),
            None
        );
        assert_eq!(proxy_for("https", "a.internal.example", None, &e), None);
        assert_eq!(proxy_for("https", "x.corp.example", None, &e), None);
        assert!(proxy_for("https", "notinternal.example", None, &e).is_some());
        let all = ProxyEnv {
            https: Some("http://p:1".into()),
            no_proxy: Some("*".into()),
            ..ProxyEnv::default()
        };
        assert_eq!(
            proxy_for("https", "api.mch.weixin.qq.com", None, &all),
            None
        );
    }
}
