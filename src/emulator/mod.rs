//! A local stand-in for WeChat Pay's coupon-return API, on loopback only:
//! it authenticates requests like WeChat Pay, applies the error table's rules,
//! signs every answer, and can inject faults. Used by `wxcoupon emulator` and
//! `wxcoupon demo`.
//!
//! HTTP is parsed with httparse over std's TcpListener rather than a server
//! crate, because the faults (dropping a connection before or after
//! processing) need the socket itself.

mod auth;
mod exchange;
mod faults;
mod gateway;
mod http;
mod identity;
mod ledger;
mod limit;
mod platform;
mod return_api;
mod samples;
mod seed;

pub use exchange::{Exchange, log_line};
pub use faults::{Fault, FaultKind};
use http::{Incoming, Raw, ReadError, Verdict, read_request, reason, reset, send};
pub use identity::Identity;
pub use ledger::{Coupon, Ledger, State};
pub use platform::{Platform, Rotation, Signer};
pub use samples::{
    EMULATOR_KEY_ID, SAMPLE_APIV3_KEY, SAMPLE_MCHID, SAMPLE_MERCHANT_KEY, SAMPLE_SERIAL,
    SAMPLE_STOCK, SAMPLE_WECHATPAY_PUB, pem_block, sample_coupons,
};
pub use seed::read_coupons;

use std::collections::VecDeque;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use time::OffsetDateTime;

/// How many exchanges are kept for `demo` and the tests; later ones are
/// logged only, so that a long benchmark does not grow the emulator.
const KEPT_EXCHANGES: usize = 10_000;

type LogFn = Box<dyn Fn(&Exchange) + Send + Sync>;

struct Shared {
    identity: Identity,
    ledger: Mutex<Ledger>,
    faults: Mutex<VecDeque<FaultKind>>,
    limit: Option<limit::Limit>,
    /// Where the ledger is kept after every change (`--state DIR`).
    keep: Option<std::path::PathBuf>,
    delay: Duration,
    log: LogFn,
    exchanges: Mutex<Vec<Exchange>>,
}

/// A running emulator; stops when dropped.
pub struct Running {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Running {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn exchanges(&self) -> Vec<Exchange> {
        self.shared
            .exchanges
            .lock()
            .map(|e| e.clone())
            .unwrap_or_default()
    }

    pub fn coupon_state(&self, code: &str) -> Option<State> {
        self.shared.ledger.lock().ok()?.state(code)
    }

    /// A handle that stops the server from another thread (Ctrl-C).
    pub fn stopper(&self) -> impl Fn() + Send + Sync + 'static {
        let (stop, addr) = (self.stop.clone(), self.addr);
        move || {
            stop.store(true, Ordering::SeqCst);
            let _ = TcpStream::connect(addr);
        }
    }

    /// Blocks until the server stops.
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub struct Setup {
    pub identity: Identity,
    pub coupons: Vec<Coupon>,
    pub faults: Vec<Fault>,
    /// At most this many requests in any sliding second (429 past it).
    pub limit: Option<u32>,
    /// The ledger to start from (kept in `--state DIR`), instead of `coupons`.
    pub ledger: Option<Ledger>,
    /// Where to keep the ledger after every change.
    pub keep: Option<std::path::PathBuf>,
    pub delay: Duration,
}

/// Starts serving on `listener` (which the caller bound to a loopback address).
pub fn start(listener: TcpListener, setup: Setup, log: LogFn) -> std::io::Result<Running> {
    let addr = listener.local_addr()?;
    let faults = setup
        .faults
        .iter()
        .flat_map(|f| std::iter::repeat_n(f.kind, f.count as usize))
        .collect();
    let shared = Arc::new(Shared {
        identity: setup.identity,
        ledger: Mutex::new(setup.ledger.unwrap_or_else(|| Ledger::new(setup.coupons))),
        faults: Mutex::new(faults),
        limit: setup.limit.map(limit::Limit::new),
        keep: setup.keep,
        delay: setup.delay,
        log,
        exchanges: Mutex::new(Vec::new()),
    });
    let stop = Arc::new(AtomicBool::new(false));
    let (s, halt) = (shared.clone(), stop.clone());
    let thread = std::thread::spawn(move || {
        for stream in listener.incoming() {
            if halt.load(Ordering::SeqCst) {
                break;
            }
            let Ok(stream) = stream else { continue };
            let s = s.clone();
            std::thread::spawn(move || serve(stream, &s));
        }
    });
    Ok(Running {
        addr,
        shared,
        stop,
        thread: Some(thread),
    })
}

fn now_unix() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// Serves one connection: requests one after another (kept alive, as
/// WeChat Pay's gateway does), until the client closes it, asks to close,
/// stays idle for 30 s, or a fault or a refusal ends it.
fn serve(mut stream: TcpStream, s: &Shared) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    loop {
        match serve_one(&mut stream, s) {
            Next::Again => {}
            Next::Close => return,
            Next::Reset => return reset(stream),
        }
    }
}

/// What becomes of a connection after one request.
enum Next {
    Again,
    Close,
    Reset,
}

/// One request and its answer.
fn serve_one(stream: &mut TcpStream, s: &Shared) -> Next {
    let raw = match read_request(stream) {
        Ok(raw) => raw,
        Err(ReadError::Closed) => return Next::Close,
        Err(ReadError::TooLarge) => {
            let body = r#"{"code":"PARAM_ERROR","message":"请求过大"}"#;
            refuse(stream, s, 413, body);
            return Next::Close;
        }
        Err(ReadError::Malformed) => {
            let body = r#"{"code":"INVALID_REQUEST","message":"HTTP请求格式错误"}"#;
            refuse(stream, s, 400, body);
            return Next::Close;
        }
    };
    let close = raw.headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("Connection") && v.trim().eq_ignore_ascii_case("close")
    });
    let fault = s
        .faults
        .lock()
        .ok()
        .and_then(|mut f| f.pop_front())
        .filter(|f| *f != FaultKind::Pass);
    let mut exchange = Exchange {
        method: raw.method.clone(),
        target: raw.target.clone(),
        request_headers: raw.headers.clone(),
        request_body: String::from_utf8_lossy(&raw.body).into_owned(),
        status: None,
        response_headers: Vec::new(),
        response_body: String::new(),
        note: String::new(),
    };
    let Some(verdict) = verdict(s, &raw, fault) else {
        exchange.note = "fault drop-before: connection reset, request not processed".into();
        record(s, exchange);
        return Next::Reset;
    };
    exchange.status = Some(verdict.status);
    exchange.note = verdict.log.clone();
    match fault {
        Some(FaultKind::DropAfter) => {
            exchange.note = format!(
                "{}; fault drop-after: answer dropped, connection reset",
                verdict.log
            );
            exchange.status = None;
            record(s, exchange);
            return Next::Reset;
        }
        Some(FaultKind::Delay) => {
            exchange.note = format!(
                "{}; fault delay: answered after {} s",
                verdict.log,
                s.delay.as_secs()
            );
            std::thread::sleep(s.delay);
        }
        Some(FaultKind::Probe) => {
            exchange.note = format!(
                "{}; fault probe: signature WECHATPAY/SIGNTEST/…",
                verdict.log
            );
        }
        _ => {}
    }
    match deliver(stream, s, exchange, verdict, fault, close) {
        true if !close => Next::Again,
        _ => Next::Close,
    }
}

/// What to answer: the fault's canned answer, or the gateway's decision;
/// `None` for a request dropped before processing.
fn verdict(s: &Shared, raw: &Raw, fault: Option<FaultKind>) -> Option<Verdict> {
    let incoming = Incoming {
        method: &raw.method,
        target: &raw.target,
        headers: &raw.headers,
        body: &raw.body,
    };
    Some(match fault {
        Some(FaultKind::DropBefore) => return None,
        Some(FaultKind::Error500) => Verdict {
            status: 500,
            body: r#"{"code":"SYSTEM_ERROR","message":"系统异常，请稍后重试"}"#.into(),
            log: "fault 500: not processed".into(),
        },
        Some(FaultKind::TooMany429) => Verdict {
            status: 429,
            body: r#"{"code":"FREQUENCY_LIMITED","message":"频率超限"}"#.into(),
            log: "fault 429: not processed".into(),
        },
        _ if s
            .limit
            .as_ref()
            .is_some_and(|l| !l.admit(std::time::Instant::now())) =>
        {
            Verdict {
                status: 429,
                body: r#"{"code":"FREQUENCY_LIMITED","message":"频率超限"}"#.into(),
                log: "over the --limit: not processed".into(),
            }
        }
        _ => match s.ledger.lock() {
            Ok(mut ledger) => {
                let v = gateway::decide(&s.identity, &mut ledger, &incoming, now_unix());
                if let Some(path) = &s.keep
                    && let Err(e) = ledger.save(path)
                {
                    (s.log)(&Exchange::note(format!(
                        "cannot keep the ledger in {}: {e}",
                        path.display()
                    )));
                }
                v
            }
            Err(_) => Verdict {
                status: 500,
                body: r#"{"code":"SYSTEM_ERROR","message":"模拟器内部错误"}"#.into(),
                log: "internal error".into(),
            },
        },
    })
}

/// Signs and writes the answer. Recorded before it is written: whoever
/// holds the answer (the demo, as soon as its client returns) finds the
/// exchange already in the record. Whether the answer went out.
fn deliver(
    stream: &mut TcpStream,
    s: &Shared,
    mut exchange: Exchange,
    verdict: Verdict,
    fault: Option<FaultKind>,
    close: bool,
) -> bool {
    let mut extra = vec![("Connection", if close { "close" } else { "keep-alive" })];
    if fault == Some(FaultKind::TooMany429) {
        extra.push(("Retry-After", "1"));
    }
    let probe = fault == Some(FaultKind::Probe);
    match answer(s, verdict.status, &verdict.body, &extra, probe) {
        Ok(a) => {
            exchange.response_headers = a.headers;
            exchange.response_body = verdict.body;
            record(s, exchange);
            send(stream, &a.bytes).is_ok()
        }
        Err(e) => {
            exchange.note = format!("{}; no answer: {e}", exchange.note);
            exchange.status = None;
            record(s, exchange);
            false
        }
    }
}

/// An answer to a request that could not be read whole.
fn refuse(stream: &mut TcpStream, s: &Shared, status: u16, body: &str) {
    if let Ok(a) = answer(s, status, body, &[("Connection", "close")], false) {
        let _ = send(stream, &a.bytes);
    }
}

/// Logs and keeps one exchange. Called before its answer is written, so that
/// both are there by the time a client holds the answer.
fn record(s: &Shared, exchange: Exchange) {
    (s.log)(&exchange);
    if let Ok(mut all) = s.exchanges.lock()
        && all.len() < KEPT_EXCHANGES
    {
        all.push(exchange);
    }
}

/// A signed answer: its bytes on the wire, and its headers for the record.
struct Answer {
    bytes: Vec<u8>,
    headers: Vec<(String, String)>,
}

/// Builds a signed answer (with `probe`, a signature probe); writes nothing.
fn answer(
    s: &Shared,
    status: u16,
    body: &str,
    extra: &[(&str, &str)],
    probe: bool,
) -> anyhow::Result<Answer> {
    let mut headers = vec![
        (
            "Content-Type".to_string(),
            "application/json; charset=utf-8".to_string(),
        ),
        ("Content-Length".to_string(), body.len().to_string()),
        (
            "Date".to_string(),
            crate::http_date::format(OffsetDateTime::now_utc()),
        ),
        (
            "Request-ID".to_string(),
            format!("EMU-{}", crate::sign::random_alphanumeric(24)?),
        ),
    ];
    headers.extend(identity::signature_headers(
        &s.identity,
        body.as_bytes(),
        now_unix(),
    )?);
    if probe {
        for (k, v) in headers.iter_mut() {
            if k == "Wechatpay-Signature" {
                *v = format!("{}{v}", crate::verify::PROBE_PREFIX);
            }
        }
    }
    headers.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let mut out = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (k, v) in &headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(body);
    Ok(Answer {
        bytes: out.into_bytes(),
        headers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// Reads exactly one answer (head, then Content-Length bytes) without
    /// waiting for the connection to close, as HTTP clients such as ureq do.
    fn read_answer(stream: &mut TcpStream) -> (u16, Vec<(String, String)>, String) {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = stream.read(&mut chunk).unwrap();
            assert!(n > 0, "connection closed before a full answer");
            buf.extend_from_slice(&chunk[..n]);
            let mut hs = [httparse::EMPTY_HEADER; 32];
            let mut resp = httparse::Response::new(&mut hs);
            if let httparse::Status::Complete(len) = resp.parse(&buf).unwrap() {
                let headers: Vec<(String, String)> = resp
                    .headers
                    .iter()
                    .map(|h| {
                        let value = String::from_utf8_lossy(h.value).into_owned();
                        (h.name.to_string(), value)
                    })
                    .collect();
                let length: usize = headers
                    .iter()
                    .find(|(k, _)| k == "Content-Length")
                    .unwrap()
                    .1
                    .parse()
                    .unwrap();
                if buf.len() >= len + length {
                    let body = String::from_utf8(buf[len..len + length].to_vec()).unwrap();
                    return (resp.code.unwrap(), headers, body);
                }
            }
        }
    }

    /// `demo` reads the emulator's record as soon as its client has the
    /// answer: the exchange must be recorded before the answer is written.
    #[test]
    fn an_exchange_is_recorded_before_its_answer_is_sent() {
        let key = crate::keys::PrivateKey::from_pem(SAMPLE_MERCHANT_KEY.as_bytes()).unwrap();
        let identity =
            Identity::with_sample_wechatpay_key(SAMPLE_MCHID, SAMPLE_SERIAL, &key).unwrap();
        let running = start(
            TcpListener::bind("127.0.0.1:0").unwrap(),
            Setup {
                identity,
                coupons: sample_coupons(),
                faults: Vec::new(),
                limit: None,
                ledger: None,
                keep: None,
                delay: Duration::ZERO,
            },
            Box::new(|_| {}),
        )
        .unwrap();
        let signer = crate::sign::Signer {
            key: &key,
            mchid: SAMPLE_MCHID,
            serial_no: SAMPLE_SERIAL,
        };
        for n in 0..100 {
            let body = format!(
                r#"{{"coupon_code":"COUPON-AVAILABLE","stock_id":"{SAMPLE_STOCK}","return_request_no":"R-{n}"}}"#
            );
            let nonce = crate::sign::random_alphanumeric(32).unwrap();
            let signed = signer
                .sign(
                    "POST",
                    crate::request::PATH,
                    now_unix(),
                    &nonce,
                    body.as_bytes(),
                )
                .unwrap();
            let mut stream = TcpStream::connect(running.addr).unwrap();
            let request = format!(
                "POST {} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\n\
                 User-Agent: test\r\nContent-Type: application/json\r\n\
                 Authorization: {}\r\nContent-Length: {}\r\n\r\n{body}",
                crate::request::PATH,
                running.addr,
                signed.authorization,
                body.len()
            );
            stream.write_all(request.as_bytes()).unwrap();
            let (status, headers, answer) = read_answer(&mut stream);
            assert_eq!(status, 403, "request {n}: {answer}");
            let seen = running.exchanges();
            assert_eq!(seen.len(), n + 1, "request {n} was not recorded yet");
            let last = &seen[n];
            assert_eq!(last.status, Some(403));
            assert!(last.request_body.contains(&format!("R-{n}\"")));
            assert_eq!(last.response_body, answer, "request {n}");
            let id = |h: &[(String, String)]| {
                h.iter()
                    .find(|(k, _)| k == "Request-ID")
                    .map(|(_, v)| v.clone())
            };
            assert_eq!(id(&last.response_headers), id(&headers), "request {n}");
        }
    }
}
