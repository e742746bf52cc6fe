//! The one place that talks HTTP: one ureq Agent, one attempt, the raw answer.

use std::time::{Duration, Instant};

use ureq::Agent;
use ureq::http::HeaderMap;

/// Answers larger than this are cut off: the documented ones are tiny.
const MAX_BODY: u64 = 1 << 20;

/// What came back, untouched: the body bytes are the bytes the signature covers.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    #[allow(dead_code)] // read by the retry trace (issue 3)
    pub elapsed: Duration,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A failure below HTTP: no status line was received (or the body was cut).
#[derive(Debug, Clone)]
pub struct NetError {
    pub what: String,
    /// Whether the request may have reached the server (and been processed).
    #[allow(dead_code)] // read by the retry logic (issue 3)
    pub may_have_reached: bool,
}

pub fn agent(timeout: Duration) -> Agent {
    Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .max_redirects(0)
        .build()
        .into()
}

/// Sends one POST with exactly these headers and body bytes.
pub fn post(
    agent: &Agent,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Answer, NetError> {
    let started = Instant::now();
    let mut req = agent.post(url);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let mut resp = req.send(body).map_err(|e| describe(&e, url, false))?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp
        .body_mut()
        .with_config()
        .limit(MAX_BODY)
        .read_to_vec()
        .map_err(|e| describe(&e, url, true))?;
    Ok(Answer {
        status,
        headers,
        body,
        elapsed: started.elapsed(),
    })
}

fn describe(e: &ureq::Error, url: &str, after_headers: bool) -> NetError {
    use ureq::Error as E;
    use ureq::Timeout as T;
    let (what, reached) = match e {
        E::Timeout(T::Resolve) => (format!("timed out resolving the host of {url}"), false),
        E::Timeout(T::Connect) => (format!("timed out connecting to {url}"), false),
        E::Timeout(t) => (format!("timed out waiting for {url} ({t})"), true),
        E::HostNotFound => (format!("cannot resolve the host of {url}"), false),
        E::ConnectionFailed => (format!("cannot connect to {url}"), false),
        E::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => (
                format!("cannot connect to {url}: connection refused"),
                false,
            ),
            // std's resolver reports a failed lookup as a plain I/O error.
            _ if io.to_string().contains("lookup address") => {
                (format!("cannot resolve the host of {url}: {io}"), false)
            }
            std::io::ErrorKind::ConnectionReset => {
                (format!("the connection to {url} was reset: {io}"), true)
            }
            _ => (format!("network error talking to {url}: {io}"), true),
        },
        E::Tls(m) => (format!("TLS error with {url}: {m}"), false),
        E::Rustls(r) => (format!("TLS error with {url}: {r}"), false),
        E::BodyExceedsLimit(n) => (
            format!("the answer from {url} is larger than {n} bytes; it was not read"),
            true,
        ),
        other => (format!("request to {url} failed: {other}"), true),
    };
    NetError {
        what,
        may_have_reached: reached || after_headers,
    }
}
