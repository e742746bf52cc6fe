//! A local WeChat Pay stand-in for the integration tests, and helpers to run
//! the real binary in an isolated environment.
//!
//! The server checks every request the way WeChat Pay does — strict
//! Authorization header, mchid and merchant serial, timestamp within 5
//! minutes, RSA signature over the exact bytes received with the merchant's
//! public key — and signs its answers with the WeChat-Pay-side test key.
//! Its crypto uses ring directly, not wxcoupon's code.

use std::collections::{BTreeMap, VecDeque};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::rand::SystemRandom;
use ring::signature::{self, RsaKeyPair, UnparsedPublicKey};

pub const MCHID: &str = "1900000109";
pub const SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
pub const KEY_ID: &str = "PUB_KEY_ID_0119000001092024112700000000000001";
pub const PATH: &str = "/v3/marketing/busifavor/coupons/return";
pub const RETURN_TIME: &str = "2026-11-27T13:29:35+08:00";

/// A file of tests/fixtures. Private keys are handed out as copies with mode
/// 0600 (git keeps no such mode), as a careful user keeps them: wxcoupon
/// warns about a key file that group or others can read.
pub fn fixture(name: &str) -> PathBuf {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    if !name.contains("_key") {
        return committed;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("private-fixtures");
    let copy = dir.join(name.replace('/', "_"));
    let fresh = std::fs::read(&copy).ok() == std::fs::read(&committed).ok()
        && std::fs::metadata(&copy).is_ok_and(|m| m.permissions().mode() & 0o777 == 0o600);
    if !fresh {
        // Test threads (and test binaries) copy at the same time: each
        // through a file of its own, renamed into place whole.
        std::fs::create_dir_all(&dir).unwrap();
        let tmp = tempfile::NamedTempFile::new_in(&dir).unwrap();
        std::fs::write(tmp.path(), std::fs::read(&committed).unwrap()).unwrap();
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o600)).unwrap();
        tmp.persist(&copy).unwrap();
    }
    copy
}

fn key_pair(name: &str) -> RsaKeyPair {
    let text = std::fs::read(fixture(name)).unwrap();
    let block = pem::parse(text).unwrap();
    RsaKeyPair::from_pkcs8(block.contents()).unwrap()
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub fn sign_with(key: &str, message: &[u8]) -> String {
    let pair = key_pair(key);
    let mut sig = vec![0; pair.public().modulus_len()];
    pair.sign(
        &signature::RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        message,
        &mut sig,
    )
    .unwrap();
    STANDARD.encode(sig)
}

/// Verifies with the public half of a fixture's private key.
pub fn verify_with(key: &str, message: &[u8], sig_b64: &str) -> bool {
    let pair = key_pair(key);
    let Ok(sig) = STANDARD.decode(sig_b64) else {
        return false;
    };
    UnparsedPublicKey::new(
        &signature::RSA_PKCS1_2048_8192_SHA256,
        pair.public().as_ref(),
    )
    .verify(message, &sig)
    .is_ok()
}

/// The Authorization header, parsed strictly.
#[derive(Debug, Clone)]
pub struct Auth {
    pub mchid: String,
    pub nonce: String,
    pub signature: String,
    pub timestamp: String,
    pub serial_no: String,
}

pub fn parse_authorization(value: &str) -> Result<Auth, String> {
    let rest = value
        .strip_prefix("WECHATPAY2-SHA256-RSA2048 ")
        .ok_or("wrong scheme")?;
    let mut fields = BTreeMap::new();
    for part in rest.split(',') {
        let (k, v) = part.split_once('=').ok_or("no =")?;
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .ok_or("value not quoted")?;
        if fields.insert(k.to_string(), v.to_string()).is_some() {
            return Err(format!("{k} twice"));
        }
    }
    let mut take = |k: &str| fields.remove(k).ok_or(format!("no {k}"));
    let auth = Auth {
        mchid: take("mchid")?,
        nonce: take("nonce_str")?,
        signature: take("signature")?,
        timestamp: take("timestamp")?,
        serial_no: take("serial_no")?,
    };
    if !fields.is_empty() {
        return Err(format!("unknown fields {fields:?}"));
    }
    Ok(auth)
}

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The parsed Authorization when it verified; the reason otherwise.
    pub auth: Result<Auth, String>,
    /// The message the server rebuilt and checked.
    pub signed_message: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// How an answer is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sig {
    Valid,
    WrongKey,
    Probe,
    NotBase64,
    Missing,
    TamperedBody,
    StaleTimestamp,
    WrongSerial,
    /// Valid, but the serial is a platform certificate's (40 hex digits).
    CertificateSerial,
    /// Valid RSA, but `Wechatpay-Signature-Type` names SM2.
    Sm2Type,
    /// Signed by the test platform certificate with this serial (the key of
    /// `platform_other_cert.pem` for its serial, else `platform_key.pem`).
    Certificate(&'static str),
    /// This certificate serial, but signed with an unrelated key.
    CertificateWrongKey(&'static str),
}

/// The serial of `platform_other_cert.pem`.
pub const OTHER_PLATFORM_SERIAL: &str = "5C3D7E9F1A2B43658709CBEDAF2345678901BCDE";

/// Held answers wait for this gate, at most this long: a bound no test
/// reaches unless the behaviour it checks is missing.
pub const GATE_BOUND: Duration = Duration::from_secs(60);

/// A gate that opens once (`open`), for the test to say when a held answer
/// may go: after something happened, never after a guessed time.
#[derive(Clone, Default)]
pub struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    pub fn open(&self) {
        let (opened, changed) = &*self.0;
        *opened.lock().unwrap() = true;
        changed.notify_all();
    }

    /// Waits until the gate is open, at most `GATE_BOUND`.
    pub fn wait(&self) {
        let (opened, changed) = &*self.0;
        let guard = opened.lock().unwrap();
        let _ = changed
            .wait_timeout_while(guard, GATE_BOUND, |opened| !*opened)
            .unwrap();
    }
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let opened = *self.0.0.lock().unwrap();
        write!(f, "Gate({})", if opened { "open" } else { "closed" })
    }
}

#[derive(Debug, Clone)]
pub struct Reply {
    /// Held back until this gate opens (the handler's lock released).
    pub gate: Option<Gate>,
    pub status: u16,
    pub body: String,
    pub sig: Sig,
    pub headers: Vec<(String, String)>,
}

impl Reply {
    pub fn ok(body: &str) -> Self {
        Reply {
            gate: None,
            status: 200,
            body: body.into(),
            sig: Sig::Valid,
            headers: Vec::new(),
        }
    }

    pub fn returned() -> Self {
        Reply::ok(&format!(r#"{{"wechatpay_return_time":"{RETURN_TIME}"}}"#))
    }

    pub fn error(status: u16, code: &str, message: &str) -> Self {
        Reply {
            gate: None,
            status,
            body: serde_json::json!({"code": code, "message": message}).to_string(),
            sig: Sig::Valid,
            headers: Vec::new(),
        }
    }

    pub fn raw(status: u16, body: &str) -> Self {
        Reply {
            gate: None,
            status,
            body: body.into(),
            sig: Sig::Missing,
            headers: Vec::new(),
        }
    }

    pub fn sig(mut self, sig: Sig) -> Self {
        self.sig = sig;
        self
    }

    /// Written only once `gate` opens.
    pub fn held_until(mut self, gate: &Gate) -> Self {
        self.gate = Some(gate.clone());
        self
    }

    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }
}

/// The coupons the stand-in knows: code → (stock, state, owner mchid).
#[derive(Debug, Default)]
pub struct Coupons {
    pub coupons: BTreeMap<String, (String, String, String)>,
    pub used_request_nos: Vec<String>,
    pub returns: u32,
}

impl Coupons {
    pub fn with(list: &[(&str, &str, &str)]) -> Self {
        let mut c = Coupons::default();
        for (code, stock, state) in list {
            c.coupons.insert(
                code.to_string(),
                (stock.to_string(), state.to_string(), MCHID.into()),
            );
        }
        c
    }

    /// The business rules of the return API's error table.
    pub fn answer(&mut self, seen: &Seen) -> Reply {
        let Ok(body) = serde_json::from_slice::<serde_json::Value>(&seen.body) else {
            return Reply::error(400, "PARAM_ERROR", "请求体不是合法的JSON");
        };
        let field = |k: &str| body.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let (Some(code), Some(stock), Some(no)) = (
            field("coupon_code"),
            field("stock_id"),
            field("return_request_no"),
        ) else {
            return Reply::error(400, "PARAM_ERROR", "缺少参数");
        };
        if self.used_request_nos.contains(&no) {
            return Reply::error(400, "RESOURCE_ALREADY_EXISTS", "已使用过此单号退券");
        }
        let Some((c_stock, state, owner)) = self.coupons.get_mut(&code) else {
            return Reply::error(404, "RESOURCE_NOT_EXISTS", "券不存在");
        };
        if *c_stock != stock {
            return Reply::error(404, "RESOURCE_NOT_EXISTS", "券不存在");
        }
        if owner != MCHID {
            return Reply::error(403, "NO_AUTH", "商户无权限操作该券");
        }
        match state.as_str() {
            "USED" => {
                *state = "SENDED".into();
                self.used_request_nos.push(no);
                self.returns += 1;
                Reply::returned()
            }
            "SENDED" => Reply::error(403, "RULE_LIMIT", "券当前是可用的"),
            "EXPIRED" => Reply::error(403, "RULE_LIMIT", "券已不在使用有效期"),
            "DELETED" => Reply::error(404, "RESOURCE_NOT_EXISTS", "券已被删除"),
            other => panic!("unknown state {other}"),
        }
    }
}

type Handler = Box<dyn FnMut(&Seen) -> Reply + Send>;

/// What the server does to the next request, instead of answering normally.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Reset the connection after reading the request, before processing it.
    ResetBeforeProcessing,
    /// Process the request (coupon state changes), then reset without answering.
    DropAfterProcessing,
    /// Process the request, then answer only once the next request has
    /// arrived: a client that waits for this answer gives up first.
    AnswerAfterTheNextRequest,
    /// Answer this, without processing the request.
    Answer(Reply),
}

/// A WeChat Pay stand-in on 127.0.0.1: one thread accepting, one per
/// connection, `Connection: close` on every answer.
pub struct Server {
    pub base_url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    faults: Arc<Mutex<VecDeque<Fault>>>,
    /// Answers held until the next request arrives (and when it stops).
    waiting: Arc<Mutex<Vec<Gate>>>,
    stop: Arc<AtomicBool>,
    addr: SocketAddr,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Starts on a free port. `handler` sees only requests that passed
    /// authentication; the others get WeChat Pay's answers.
    pub fn start(handler: impl FnMut(&Seen) -> Reply + Send + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let faults = Arc::new(Mutex::new(VecDeque::new()));
        let waiting = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Mutex<Handler>> = Arc::new(Mutex::new(Box::new(handler)));
        let shared = Shared {
            log: seen.clone(),
            queue: faults.clone(),
            waiting: waiting.clone(),
            handler,
        };
        let halt = stop.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if halt.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let shared = shared.clone();
                std::thread::spawn(move || serve(stream, &shared));
            }
        });
        Server {
            base_url: format!("http://{addr}"),
            seen,
            faults,
            waiting,
            stop,
            addr,
            thread: Some(thread),
        }
    }

    /// Answers every authenticated request with the coupon rules.
    pub fn with_coupons(coupons: Coupons) -> (Server, Arc<Mutex<Coupons>>) {
        let state = Arc::new(Mutex::new(coupons));
        let s = state.clone();
        (
            Server::start(move |seen| s.lock().unwrap().answer(seen)),
            state,
        )
    }

    /// Queues a fault for the next request not yet faulted.
    pub fn fault(&self, f: Fault) -> &Self {
        self.faults.lock().unwrap().push_back(f);
        self
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for gate in self.waiting.lock().unwrap().drain(..) {
            gate.open();
        }
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads one request: head with httparse, body by Content-Length.
fn read_request(stream: &mut TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let (head_len, method, url, headers) = loop {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut hs = [httparse::EMPTY_HEADER; 64];
        let mut rq = httparse::Request::new(&mut hs);
        if let httparse::Status::Complete(len) = rq.parse(&buf).ok()? {
            let headers = rq
                .headers
                .iter()
                .map(|h| {
                    (
                        h.name.to_string(),
                        String::from_utf8_lossy(h.value).into_owned(),
                    )
                })
                .collect::<Vec<_>>();
            break (len, rq.method?.to_string(), rq.path?.to_string(), headers);
        }
    };
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Content-Length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = buf[head_len..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Seen {
        method,
        url,
        headers,
        body,
        auth: Err("not checked".into()),
        signed_message: Vec::new(),
    })
}

fn reset(stream: TcpStream) {
    let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
    drop(stream);
}

/// What the connection threads share with the server.
#[derive(Clone)]
struct Shared {
    log: Arc<Mutex<Vec<Seen>>>,
    queue: Arc<Mutex<VecDeque<Fault>>>,
    waiting: Arc<Mutex<Vec<Gate>>>,
    handler: Arc<Mutex<Handler>>,
}

fn serve(mut stream: TcpStream, shared: &Shared) {
    let Some(mut seen) = read_request(&mut stream) else {
        return;
    };
    let Shared {
        log,
        queue,
        waiting,
        handler,
    } = shared;
    // This request is the next one that held answers wait for.
    for gate in waiting.lock().unwrap().drain(..) {
        gate.open();
    }
    let fault = queue.lock().unwrap().pop_front();
    // Waits for the request after this one, however soon it comes.
    let next_request = matches!(fault, Some(Fault::AnswerAfterTheNextRequest)).then(|| {
        let gate = Gate::default();
        waiting.lock().unwrap().push(gate.clone());
        gate
    });
    if let Some(Fault::ResetBeforeProcessing) = fault {
        seen.auth = Err("reset before processing".into());
        log.lock().unwrap().push(seen);
        return reset(stream);
    }
    let refusal = authenticate(&mut seen);
    let reply = match (refusal, fault.clone()) {
        (_, Some(Fault::Answer(reply))) => reply,
        (Some(refusal), _) => refusal,
        (None, _) => (handler.lock().unwrap())(&seen),
    };
    log.lock().unwrap().push(seen);
    if let Some(Fault::DropAfterProcessing) = fault {
        return reset(stream);
    }
    for gate in next_request.iter().chain(&reply.gate) {
        gate.wait();
    }
    let _ = stream.write_all(&build(reply));
    let _ = stream.flush();
}

/// `sign_information.truncated_sign_message` as the real gateway writes it:
/// the four header lines whole, the body cut to 8 characters, a final `\n`.
pub fn truncated_like_wechat_pay(message: &[u8]) -> String {
    let text = String::from_utf8_lossy(message);
    let lines: Vec<&str> = text.splitn(5, '\n').collect();
    let body: String = lines[4].trim_end_matches('\n').chars().take(8).collect();
    format!(
        "{}\n{}\n{}\n{}\n{body}\n",
        lines[0], lines[1], lines[2], lines[3]
    )
}

/// WeChat Pay's checks; `Some(answer)` refuses the request.
fn authenticate(seen: &mut Seen) -> Option<Reply> {
    // Content-Type goes with a body (a POST).
    let required: &[&str] = if seen.method == "POST" {
        &["Accept", "User-Agent", "Content-Type"]
    } else {
        &["Accept", "User-Agent"]
    };
    for &h in required {
        if seen.header(h).is_none() {
            return Some(Reply::error(
                400,
                "INVALID_REQUEST",
                "Http头缺少Accept或User-Agent",
            ));
        }
    }
    let auth = match seen.header("Authorization").map(parse_authorization) {
        Some(Ok(a)) => a,
        Some(Err(e)) => {
            seen.auth = Err(e);
            return Some(Reply::error(401, "SIGN_ERROR", "Authorization 格式错误"));
        }
        None => {
            seen.auth = Err("no Authorization".into());
            return Some(Reply::error(401, "SIGN_ERROR", "缺少 Authorization"));
        }
    };
    let mut message = format!(
        "{}\n{}\n{}\n{}\n",
        seen.method, seen.url, auth.timestamp, auth.nonce
    )
    .into_bytes();
    message.extend_from_slice(&seen.body);
    message.push(b'\n');
    seen.signed_message = message.clone();
    let fresh = auth
        .timestamp
        .parse::<i64>()
        .is_ok_and(|t| (t - now()).abs() < 300);
    let problem = if auth.mchid != MCHID {
        Some("mchid mismatch")
    } else if auth.serial_no != SERIAL {
        Some("serial_no mismatch")
    } else if !fresh {
        Some("timestamp out of range")
    } else if !verify_with("merchant_key.pem", &message, &auth.signature) {
        Some("sign not match")
    } else {
        None
    };
    if let Some(p) = problem {
        seen.auth = Err(p.into());
        let text = truncated_like_wechat_pay(&message);
        let detail = serde_json::json!({
            "detail": {"issue": p},
            "field": "signature",
            "location": "authorization",
            "sign_information": {
                "method": seen.method,
                "sign_message_length": message.len(),
                "truncated_sign_message": text,
                "url": seen.url,
            }
        });
        let mut reply = Reply::error(401, "SIGN_ERROR", "签名错误");
        let mut v: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
        v["detail"] = detail;
        reply.body = v.to_string();
        return Some(reply);
    }
    seen.auth = Ok(auth);
    None
}

fn http_date() -> String {
    time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        ))
        .unwrap()
}

fn build(reply: Reply) -> Vec<u8> {
    let ts = match reply.sig {
        Sig::StaleTimestamp => now() - 600,
        _ => now(),
    }
    .to_string();
    let nonce = format!("{:032x}", now() as u128 * 7919);
    let signed_body = match reply.sig {
        Sig::TamperedBody => reply.body.replace("13:29", "14:29"),
        _ => reply.body.clone(),
    };
    let message = |body: &str| {
        let mut m = format!("{ts}\n{nonce}\n").into_bytes();
        m.extend_from_slice(body.as_bytes());
        m.push(b'\n');
        m
    };
    let signature = match reply.sig {
        Sig::Valid
        | Sig::StaleTimestamp
        | Sig::WrongSerial
        | Sig::CertificateSerial
        | Sig::Sm2Type => Some(sign_with("wechatpay_key.pem", &message(&reply.body))),
        Sig::TamperedBody => Some(sign_with("wechatpay_key.pem", &message(&signed_body))),
        Sig::WrongKey => Some(sign_with("other_key.pem", &message(&reply.body))),
        Sig::Probe => Some(format!(
            "WECHATPAY/SIGNTEST/{}",
            sign_with("wechatpay_key.pem", &message(&reply.body))
        )),
        Sig::NotBase64 => Some("this is not base64!".into()),
        Sig::Missing => None,
        Sig::Certificate(serial) => Some(sign_with(
            if serial == OTHER_PLATFORM_SERIAL {
                "platform_other_key.pem"
            } else {
                "platform_key.pem"
            },
            &message(&reply.body),
        )),
        Sig::CertificateWrongKey(_) => Some(sign_with("other_key.pem", &message(&reply.body))),
    };
    let mut headers = vec![
        ("Content-Type".to_string(), "application/json".to_string()),
        (
            "Request-ID".to_string(),
            "08F0D9F7B60610A70218E4AA8F6C20C6A10E-0".to_string(),
        ),
        ("Date".to_string(), http_date()),
        ("Connection".to_string(), "close".to_string()),
        ("Content-Length".to_string(), reply.body.len().to_string()),
    ];
    if let Some(sig) = signature {
        let serial = match reply.sig {
            Sig::WrongSerial => "PUB_KEY_ID_0000000000000000000000000000000000",
            Sig::CertificateSerial => "3775B6A45ACD588826D15E583A95F5DD2C3A8E0A",
            Sig::Certificate(serial) | Sig::CertificateWrongKey(serial) => serial,
            _ => KEY_ID,
        };
        let kind = if reply.sig == Sig::Sm2Type {
            "WECHATPAY2-SM2-WITH-SM3"
        } else {
            "WECHATPAY2-SHA256-RSA2048"
        };
        headers.extend([
            ("Wechatpay-Timestamp".to_string(), ts),
            ("Wechatpay-Nonce".to_string(), nonce),
            ("Wechatpay-Signature".to_string(), sig),
            ("Wechatpay-Serial".to_string(), serial.to_string()),
            ("Wechatpay-Signature-Type".to_string(), kind.to_string()),
        ]);
    }
    headers.extend(reply.headers);
    let mut out = format!("HTTP/1.1 {} X\r\n", reply.status);
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(reply.body.as_bytes());
    bytes
}

/// Compares `actual` with the file `tests/integration/snapshots/NAME`, each
/// value of `redactions` replaced by its placeholder first. In the file,
/// `[..]` stands for any text within a line: only for what no test can
/// know, such as an elapsed time. `SNAPSHOTS=overwrite cargo test --locked`
/// rewrites the file, keeping its placeholders and `[..]` where they match.
#[track_caller]
pub fn snapshot(name: &str, actual: &str, redactions: &snapbox::Redactions) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/integration/snapshots")
        .join(name);
    expect(actual, snapbox::Data::read_from(&path, None), redactions);
}

/// As `snapshot`, against an expectation written in the test
/// (`snapbox::str![…]`, which `SNAPSHOTS=overwrite` rewrites in place).
#[track_caller]
pub fn expect(actual: &str, expected: impl snapbox::IntoData, redactions: &snapbox::Redactions) {
    snapbox::Assert::new()
        .action_env(snapbox::assert::DEFAULT_ACTION_ENV)
        // Backslashes are the product's words, not a Windows path.
        .normalize_paths(false)
        .redact_with(redactions.clone())
        .eq(actual, expected);
}

/// Placeholders (`[NAME]`), each for exact values that differ from run to
/// run: a temporary folder, a port, a generated number.
pub fn redactions(pairs: impl IntoIterator<Item = (&'static str, String)>) -> snapbox::Redactions {
    let mut r = snapbox::Redactions::new();
    for (placeholder, value) in pairs {
        // (snapbox would take an empty value as "this placeholder matches nothing".)
        assert!(!value.is_empty(), "no value for {placeholder}");
        r.insert(placeholder, value).unwrap();
    }
    r
}

/// `127.0.0.1:PORT` of a `http://127.0.0.1:PORT` base URL: `[SERVER]` in
/// snapshots, the local server the profile names.
pub fn server_addr(base_url: &str) -> String {
    base_url.trim_start_matches("http://").to_string()
}

/// A base URL on 127.0.0.1 that refuses connections, for as long as the
/// socket lives: the socket is bound there but does not listen. (A listener
/// closed again would free the port for the next test that binds one.)
pub fn refusing() -> (socket2::Socket, String) {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    let any_port: SocketAddr = "127.0.0.1:0".parse().unwrap();
    socket.bind(&any_port.into()).unwrap();
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    (socket, format!("http://{addr}"))
}

/// A config file for the test merchant, pointing at `base_url`.
pub fn write_config(dir: &Path, base_url: &str, extra: &str) -> PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(&path, config_text(base_url, extra)).unwrap();
    path
}

pub fn config_text(base_url: &str, extra: &str) -> String {
    format!(
        r#"[profile.test]
mchid = "{MCHID}"
merchant_serial_no = "{SERIAL}"
private_key_file = "{}"
wechatpay_public_key_id = "{KEY_ID}"
wechatpay_public_key_file = "{}"
base_url = "{base_url}"
{extra}"#,
        fixture("merchant_key.pem").display(),
        fixture("wechatpay_pub.pem").display(),
    )
}

/// A HOME of its own with a config file for the test merchant at `base_url`.
pub struct Setup {
    pub home: tempfile::TempDir,
    pub config: PathBuf,
}

pub fn setup(base_url: &str, extra: &str) -> Setup {
    let home = tempfile::tempdir().unwrap();
    let config = write_config(home.path(), base_url, extra);
    Setup { home, config }
}

impl Setup {
    /// `wxcoupon --config CONFIG return ARGS`
    pub fn ret(&self, args: &[&str]) -> Out {
        let mut c = wxcoupon(self.home.path());
        c.arg("--config").arg(&self.config).arg("return").args(args);
        run(&mut c)
    }
}

/// The binary with an empty environment but for HOME: no proxies, no
/// XDG_CONFIG_HOME, no WXCOUPON_* from the machine running the tests.
pub fn wxcoupon(home: &Path) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("wxcoupon").unwrap();
    c.env_clear().env("HOME", home);
    c
}

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn json(&self) -> serde_json::Value {
        let lines: Vec<&str> = self.stdout.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "exactly one JSON line expected:\n{}",
            self.stdout
        );
        serde_json::from_str(lines[0]).unwrap()
    }
}

/// Runs and checks that no secret leaked: no private key material anywhere,
/// and no Authorization header outside `--dry-run`.
pub fn run(cmd: &mut assert_cmd::Command) -> Out {
    let output = cmd
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let out = Out {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    for key in [
        "merchant_key.pem",
        "merchant_key_pkcs1.pem",
        "other_key.pem",
    ] {
        let text = std::fs::read_to_string(fixture(key)).unwrap();
        for line in text.lines().filter(|l| !l.starts_with("-----")) {
            assert!(
                !out.stdout.contains(line) && !out.stderr.contains(line),
                "private key material of {key} leaked:\n{}\n{}",
                out.stdout,
                out.stderr
            );
        }
    }
    // APIv3 keys (the emulator's sample, the tests') are never printed either.
    for key in [
        "wxcouponEmulatorApiV3SampleKey32",
        "0123456789abcdef0123456789abcdef",
    ] {
        assert!(
            !out.stdout.contains(key) && !out.stderr.contains(key),
            "an APIv3 key was printed:\n{}\n{}",
            out.stdout,
            out.stderr
        );
    }
    let dry_or_sign = format!("{cmd:?}");
    if !dry_or_sign.contains("--dry-run") && !dry_or_sign.contains("\"sign\"") {
        // A trace may show the header's other fields, never its signature.
        let both = format!("{}{}", out.stdout, out.stderr);
        for (at, _) in both.match_indices("signature=\"") {
            assert!(
                both[at..].starts_with("signature=\"(redacted)\""),
                "a request signature was printed:\n{both}"
            );
        }
    }
    out
}

/// Reads one HTTP message's bytes (head, then a Content-Length body).
fn read_message(r: &mut impl Read) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = r.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = r.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(buf)
}

/// A TLS front on 127.0.0.1 for `backend` (a plain `Server`), with a fresh
/// self-signed certificate for `localhost`. Returns the port and the
/// certificate's PEM, for a `ca_file`.
pub fn tls_front(backend: &str) -> (u16, String) {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let ca_pem = ck.cert.pem();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(ck.signing_key.serialize_der().into());
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![ck.cert.der().clone()], key)
        .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let backend = backend.trim_start_matches("http://").to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let (config, backend) = (config.clone(), backend.clone());
            std::thread::spawn(move || {
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, stream);
                let Some(request) = read_message(&mut tls) else {
                    return;
                };
                let mut back = TcpStream::connect(&backend).unwrap();
                back.write_all(&request).unwrap();
                let mut answer = Vec::new();
                let _ = back.read_to_end(&mut answer);
                let _ = tls.write_all(&answer);
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    (port, ca_pem)
}
