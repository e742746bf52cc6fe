//! How the emulated gateway authenticates a request, in WeChat Pay's order:
//! the Authorization header parsed strictly, who, when, the signature over
//! the bytes received, a fresh nonce. Every refusal is `401 SIGN_ERROR`,
//! with `sign_information` shaped like the real gateway's.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use super::http::{Incoming, Verdict, error};
use super::identity::Identity;
use super::ledger::Ledger;
use crate::sign;

/// Requests whose timestamp is this far from the emulator's clock are refused.
const MAX_SKEW_SECS: i64 = crate::limits::CLOCK_SKEW_SECS;

/// The Authorization header's five fields.
struct Authorization {
    mchid: String,
    nonce: String,
    signature: String,
    timestamp: String,
    serial_no: String,
}

/// Strict: the scheme, then exactly the five `key="value"` fields, once each.
fn parse_authorization(value: &str) -> Result<Authorization, String> {
    let rest = value
        .strip_prefix(sign::SCHEME)
        .and_then(|r| r.strip_prefix(' '))
        .ok_or_else(|| format!("the scheme is not {}", sign::SCHEME))?;
    let mut fields: BTreeMap<&str, &str> = BTreeMap::new();
    for part in rest.split(',') {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("`{part}` is not key=\"value\""))?;
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .ok_or_else(|| format!("the value of {k} is not in double quotes"))?;
        if fields.insert(k, v).is_some() {
            return Err(format!("{k} appears twice"));
        }
    }
    let mut take = |k: &str| {
        fields
            .remove(k)
            .map(str::to_string)
            .ok_or_else(|| format!("{k} is missing"))
    };
    let auth = Authorization {
        mchid: take("mchid")?,
        nonce: take("nonce_str")?,
        signature: take("signature")?,
        timestamp: take("timestamp")?,
        serial_no: take("serial_no")?,
    };
    if let Some(k) = fields.keys().next() {
        return Err(format!("unknown field {k}"));
    }
    Ok(auth)
}

/// How many characters of the body WeChat Pay's `truncated_sign_message` keeps.
const SIGN_MESSAGE_BODY_CHARS: usize = 8;

/// The message as WeChat Pay shows it in `sign_information`: the four header
/// lines whole, the body cut to its first few characters, a final `\n`.
fn truncated_sign_message(message: &[u8]) -> String {
    let text = String::from_utf8_lossy(message);
    let parts: Vec<&str> = text.splitn(5, '\n').collect();
    let body: String = parts
        .get(4)
        .map(|b| b.strip_suffix('\n').unwrap_or(b))
        .unwrap_or_default()
        .chars()
        .take(SIGN_MESSAGE_BODY_CHARS)
        .collect();
    let mut out: String = parts.iter().take(4).map(|p| format!("{p}\n")).collect();
    out.push_str(&body);
    out.push('\n');
    out
}

fn sign_error(req: &Incoming<'_>, issue: &str, message: &[u8]) -> Verdict {
    let truncated = truncated_sign_message(message);
    Verdict {
        status: 401,
        body: json!({
            "code": "SIGN_ERROR",
            "message": "签名错误",
            "detail": {
                "detail": {"issue": issue},
                "field": "signature",
                "location": "authorization",
                "sign_information": {
                    "method": req.method,
                    "sign_message_length": message.len(),
                    "truncated_sign_message": truncated,
                    "url": req.target,
                }
            }
        })
        .to_string(),
        log: format!("SIGN_ERROR ({issue})"),
    }
}

/// The Authorization header, present and well-formed.
fn authorization(req: &Incoming<'_>) -> Result<Authorization, Verdict> {
    let Some(header) = req.header("Authorization") else {
        return Err(error(
            401,
            "SIGN_ERROR",
            "Http头缺少Authorization",
            "no Authorization header",
        ));
    };
    parse_authorization(header).map_err(|why| {
        error(
            401,
            "SIGN_ERROR",
            "Authorization格式错误",
            format!("SIGN_ERROR (Authorization: {why})"),
        )
    })
}

/// `Ok` when the request is the merchant's, fresh and correctly signed;
/// else the SIGN_ERROR to answer.
pub fn authenticate(
    id: &Identity,
    ledger: &mut Ledger,
    req: &Incoming<'_>,
    now_unix: i64,
) -> Result<(), Verdict> {
    // In WeChat Pay's order: the header, who, when, the signature.
    let auth = authorization(req)?;
    // The message, rebuilt from what was received, byte for byte.
    let mut message = format!(
        "{}\n{}\n{}\n{}\n",
        req.method, req.target, auth.timestamp, auth.nonce
    )
    .into_bytes();
    message.extend_from_slice(req.body);
    message.push(b'\n');
    if auth.mchid != id.mchid {
        return Err(sign_error(
            req,
            &format!("mchid {} is not this merchant", auth.mchid),
            &message,
        ));
    }
    if auth.serial_no != id.merchant_serial_no {
        return Err(sign_error(
            req,
            &format!(
                "serial_no {} is not the merchant certificate's",
                auth.serial_no
            ),
            &message,
        ));
    }
    let Ok(ts) = auth.timestamp.parse::<i64>() else {
        return Err(sign_error(req, "timestamp is not a number", &message));
    };
    if ts.saturating_sub(now_unix).unsigned_abs() > MAX_SKEW_SECS.unsigned_abs() {
        return Err(sign_error(
            req,
            &format!(
                "timestamp is {} s away from the server's clock",
                ts.saturating_sub(now_unix)
            ),
            &message,
        ));
    }
    let raw = STANDARD.decode(&auth.signature).ok();
    if !raw.is_some_and(|sig| id.merchant_public_key.verify(&message, &sig)) {
        return Err(sign_error(req, "sign not match", &message));
    }
    ledger
        .nonces
        .retain(|_, t| t.saturating_sub(now_unix).unsigned_abs() <= MAX_SKEW_SECS.unsigned_abs());
    if ledger.nonces.insert(auth.nonce.clone(), ts).is_some() {
        return Err(sign_error(
            req,
            "nonce_str was used already (replay)",
            &message,
        ));
    }

    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authorization_header_is_parsed_strictly() {
        assert!(parse_authorization("WECHATPAY2-SHA256-RSA2048 mchid=\"1\",nonce_str=\"n\",signature=\"s\",timestamp=\"1\",serial_no=\"x\"").is_ok());
        for bad in [
            "Bearer x",
            "WECHATPAY2-SHA256-RSA2048 mchid=1,nonce_str=\"n\",signature=\"s\",timestamp=\"1\",serial_no=\"x\"",
            "WECHATPAY2-SHA256-RSA2048 mchid=\"1\",mchid=\"1\",nonce_str=\"n\",signature=\"s\",timestamp=\"1\",serial_no=\"x\"",
            "WECHATPAY2-SHA256-RSA2048 mchid=\"1\",nonce_str=\"n\",signature=\"s\",timestamp=\"1\"",
            "WECHATPAY2-SHA256-RSA2048 mchid=\"1\",nonce_str=\"n\",signature=\"s\",timestamp=\"1\",serial_no=\"x\",extra=\"y\"",
        ] {
            assert!(parse_authorization(bad).is_err(), "{bad}");
        }
    }
}
