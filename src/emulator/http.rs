//! The emulator's HTTP/1.1, over std's TcpStream with httparse: a request as
//! read (`Raw`) and as the gateway sees it (`Incoming`), an answer before
//! signing (`Verdict`); reading one request (bounded), writing bytes, and
//! resetting a connection (RST), which the faults need.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::json;

const MAX_HEAD: usize = 16 * 1024;
const MAX_BODY: usize = 64 * 1024;

pub struct Raw {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// An HTTP request as received.
pub struct Incoming<'a> {
    pub method: &'a str,
    pub target: &'a str,
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

impl Incoming<'_> {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An answer before signing, plus a line for the request log.
pub struct Verdict {
    pub status: u16,
    pub body: String,
    pub log: String,
}

/// An answer in WeChat Pay's error shape: `{"code": …, "message": …}`.
pub(super) fn error(status: u16, code: &str, message: &str, log: impl Into<String>) -> Verdict {
    Verdict {
        status,
        body: json!({"code": code, "message": message}).to_string(),
        log: log.into(),
    }
}

pub enum ReadError {
    Closed,
    TooLarge,
    Malformed,
}

pub fn read_request(stream: &mut TcpStream) -> Result<Raw, ReadError> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let (head_len, method, target, headers) = loop {
        let n = stream.read(&mut chunk).map_err(|_| ReadError::Closed)?;
        if n == 0 {
            return Err(ReadError::Closed);
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut hs = [httparse::EMPTY_HEADER; 64];
        let mut rq = httparse::Request::new(&mut hs);
        match rq.parse(&buf) {
            Ok(httparse::Status::Complete(len)) => {
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
                let method = rq.method.unwrap_or_default().to_string();
                let target = rq.path.unwrap_or_default().to_string();
                break (len, method, target, headers);
            }
            Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => {}
            Ok(httparse::Status::Partial) => return Err(ReadError::TooLarge),
            Err(_) => return Err(ReadError::Malformed),
        }
    };
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Content-Length"))
        .map(|(_, v)| v.trim().parse::<usize>().map_err(|_| ReadError::Malformed))
        .transpose()?
        .unwrap_or(0);
    if length > MAX_BODY {
        return Err(ReadError::TooLarge);
    }
    let mut body = buf[head_len..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).map_err(|_| ReadError::Closed)?;
        if n == 0 {
            return Err(ReadError::Closed);
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Ok(Raw {
        method,
        target,
        headers,
        body,
    })
}

pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        _ => "Unknown",
    }
}

/// Resets the connection (RST) instead of closing it politely.
pub fn reset(stream: TcpStream) {
    let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
    drop(stream);
}

pub fn send(stream: &mut TcpStream, bytes: &[u8]) -> std::io::Result<()> {
    stream.write_all(bytes)?;
    stream.flush()
}
