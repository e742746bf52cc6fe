//! Checking a WeChat Pay answer: its headers, its age and its signature — pure.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::keys::PublicKey;

/// An answer is accepted only when its timestamp is less than this many
/// seconds away from the local clock, either way.
pub const MAX_AGE_SECS: i64 = crate::limits::CLOCK_SKEW_SECS;

pub const PROBE_PREFIX: &str = "WECHATPAY/SIGNTEST/";

/// The four signature headers of an answer, as received.
#[derive(Debug, Default, Clone)]
pub struct SignatureHeaders<'a> {
    pub timestamp: Option<&'a str>,
    pub nonce: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub serial: Option<&'a str>,
    /// `Wechatpay-Signature-Type`; absent means the RSA scheme.
    pub signature_type: Option<&'a str>,
}

impl<'a> SignatureHeaders<'a> {
    /// The five `Wechatpay-*` headers, each read by `header(name)`.
    pub fn read(header: impl Fn(&str) -> Option<&'a str>) -> Self {
        SignatureHeaders {
            timestamp: header("Wechatpay-Timestamp"),
            nonce: header("Wechatpay-Nonce"),
            signature: header("Wechatpay-Signature"),
            serial: header("Wechatpay-Serial"),
            signature_type: header("Wechatpay-Signature-Type"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    MissingHeader(&'static str),
    SerialMismatch {
        got: String,
        expected: String,
    },
    /// Signed by a platform certificate (a hexadecimal serial) where the
    /// profile has the WeChat Pay public key: the merchant has not switched.
    PlatformCertificate {
        serial: String,
    },
    /// Signed by a platform certificate that is not in the folder.
    UnknownCertificate {
        serial: String,
    },
    /// Signed by a platform certificate that was not valid at the answer's time.
    CertificateNotValid {
        serial: String,
        from: String,
        to: String,
    },
    /// Signed by a WeChat Pay public key where the profile has only certificates.
    PublicKeyNotConfigured {
        id: String,
    },
    UnsupportedType(String),
    BadTimestamp(String),
    Stale {
        offset_secs: i64,
    },
    Probe,
    NotBase64,
    BadSignature,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::MissingHeader(h) => write!(f, "the answer has no {h} header"),
            Failure::SerialMismatch { got, expected } => write!(
                f,
                "the answer is signed by key `{got}`, but the profile's wechatpay_public_key_id is `{expected}`"
            ),
            Failure::PlatformCertificate { serial } => write!(
                f,
                "the answer is signed by a WeChat Pay platform certificate (serial `{serial}`), \
                 not by the WeChat Pay public key the profile names"
            ),
            Failure::UnknownCertificate { serial } => write!(
                f,
                "the answer is signed by platform certificate `{serial}`, which is not in \
                 platform_certificates_dir"
            ),
            Failure::CertificateNotValid { serial, from, to } => write!(
                f,
                "the answer is signed by platform certificate `{serial}`, valid from {from} to \
                 {to}, not at the answer's time"
            ),
            Failure::PublicKeyNotConfigured { id } => write!(
                f,
                "the answer is signed by the WeChat Pay public key `{id}`, but the profile has no \
                 wechatpay_public_key_id and wechatpay_public_key_file"
            ),
            Failure::UnsupportedType(t) => write!(
                f,
                "the answer is signed with `{t}`, which wxcoupon cannot check (it verifies {} only)",
                crate::sign::SCHEME
            ),
            Failure::BadTimestamp(t) => {
                write!(f, "Wechatpay-Timestamp `{t}` is not a Unix time in seconds")
            }
            Failure::Stale { offset_secs } => write!(
                f,
                "the answer's timestamp is {} s {} the local clock (the limit is {MAX_AGE_SECS} s)",
                offset_secs.unsigned_abs(),
                if *offset_secs < 0 {
                    "behind"
                } else {
                    "ahead of"
                }
            ),
            Failure::Probe => write!(
                f,
                "the signature is a WeChat Pay probe (`{PROBE_PREFIX}…`), invalid by design"
            ),
            Failure::NotBase64 => write!(f, "the signature is not valid Base64"),
            Failure::BadSignature => write!(
                f,
                "the signature does not match the answer under the configured WeChat Pay public key"
            ),
        }
    }
}

/// `TIMESTAMP\nNONCE\nBODY\n` over the raw body bytes.
pub fn message(timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut m = format!("{timestamp}\n{nonce}\n").into_bytes();
    m.extend_from_slice(body);
    m.push(b'\n');
    m
}

/// Checks the signature alone: probe prefix, Base64, RSA.
pub fn signature(
    key: &PublicKey,
    timestamp: &str,
    nonce: &str,
    body: &[u8],
    signature: &str,
) -> Result<(), Failure> {
    if signature.starts_with(PROBE_PREFIX) {
        return Err(Failure::Probe);
    }
    let raw = STANDARD
        .decode(signature.trim())
        .map_err(|_| Failure::NotBase64)?;
    if key.verify(&message(timestamp, nonce, body), &raw) {
        Ok(())
    } else {
        Err(Failure::BadSignature)
    }
}

/// A platform certificate's serial: up to 40 hexadecimal digits (WeChat Pay
/// writes 40 upper-case ones), unlike a public key id (`PUB_KEY_ID_…`).
pub fn is_certificate_serial(serial: &str) -> bool {
    (1..=40).contains(&serial.len()) && serial.bytes().all(|b| b.is_ascii_hexdigit())
}

/// How far the timestamp is from `now` (positive: ahead of the local clock).
pub fn offset(timestamp: &str, now_unix: i64) -> Result<i64, Failure> {
    timestamp
        .trim()
        .parse::<i64>()
        .map(|t| t.saturating_sub(now_unix))
        .map_err(|_| Failure::BadTimestamp(timestamp.to_string()))
}

/// The full check of an answer: its signature type, every header present,
/// the timestamp fresh, a key for its `Wechatpay-Serial` at its timestamp
/// (`key_for`, the profile's trust), the signature valid.
pub fn answer<'k>(
    headers: &SignatureHeaders<'_>,
    body: &[u8],
    key_for: impl FnOnce(&str, i64) -> Result<&'k PublicKey, Failure>,
    now_unix: i64,
) -> Result<(), Failure> {
    if let Some(t) = headers.signature_type
        && t.trim() != crate::sign::SCHEME
    {
        return Err(Failure::UnsupportedType(t.to_string()));
    }
    let timestamp = headers
        .timestamp
        .ok_or(Failure::MissingHeader("Wechatpay-Timestamp"))?;
    let nonce = headers
        .nonce
        .ok_or(Failure::MissingHeader("Wechatpay-Nonce"))?;
    let sig = headers
        .signature
        .ok_or(Failure::MissingHeader("Wechatpay-Signature"))?;
    let serial = headers
        .serial
        .ok_or(Failure::MissingHeader("Wechatpay-Serial"))?;
    let offset_secs = offset(timestamp, now_unix)?;
    if offset_secs.unsigned_abs() >= MAX_AGE_SECS.unsigned_abs() {
        return Err(Failure::Stale { offset_secs });
    }
    let key = key_for(serial, now_unix.saturating_add(offset_secs))?;
    signature(key, timestamp, nonce, body, sig)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::PrivateKey;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    const SERIAL: &str = "PUB_KEY_ID_0119000001092024112700000000000001";
    const NOW: i64 = 1_700_000_000;
    const BODY: &[u8] = br#"{"wechatpay_return_time":"2020-05-20T13:29:35+08:00"}"#;

    fn key(name: &str) -> Vec<u8> {
        std::fs::read(format!("{FIXTURES}/{name}")).unwrap()
    }

    fn wechatpay_public() -> PublicKey {
        PublicKey::from_pem(&key("wechatpay_pub.pem")).unwrap()
    }

    fn signed_by(private: &str, ts: &str, nonce: &str, body: &[u8]) -> String {
        PrivateKey::from_pem(&key(private))
            .unwrap()
            .sign_base64(&message(ts, nonce, body))
            .unwrap()
    }

    /// The public-key profile's trust: one key, by its id.
    fn key_for(serial: &str, _at: i64) -> Result<&'static PublicKey, Failure> {
        static KEY: std::sync::OnceLock<PublicKey> = std::sync::OnceLock::new();
        if serial == SERIAL {
            Ok(KEY.get_or_init(wechatpay_public))
        } else {
            Err(Failure::SerialMismatch {
                got: serial.into(),
                expected: SERIAL.into(),
            })
        }
    }

    fn check(ts: &str, sig: &str, serial: &str, body: &[u8]) -> Result<(), Failure> {
        let h = SignatureHeaders {
            timestamp: Some(ts),
            nonce: Some("abc"),
            signature: Some(sig),
            serial: Some(serial),
            signature_type: Some("WECHATPAY2-SHA256-RSA2048"),
        };
        answer(&h, body, key_for, NOW)
    }

    #[test]
    fn a_correct_answer_verifies() {
        let ts = NOW.to_string();
        let sig = signed_by("wechatpay_key.pem", &ts, "abc", BODY);
        assert_eq!(check(&ts, &sig, SERIAL, BODY), Ok(()));
    }

    #[test]
    fn a_tampered_body_fails() {
        let ts = NOW.to_string();
        let sig = signed_by("wechatpay_key.pem", &ts, "abc", BODY);
        let tampered = br#"{"wechatpay_return_time":"2020-05-20T13:29:36+08:00"}"#;
        assert_eq!(
            check(&ts, &sig, SERIAL, tampered),
            Err(Failure::BadSignature)
        );
    }

    #[test]
    fn another_key_fails() {
        let ts = NOW.to_string();
        let sig = signed_by("other_key.pem", &ts, "abc", BODY);
        assert_eq!(check(&ts, &sig, SERIAL, BODY), Err(Failure::BadSignature));
    }

    #[test]
    fn a_wrong_serial_fails_before_the_signature() {
        let ts = NOW.to_string();
        let sig = signed_by("wechatpay_key.pem", &ts, "abc", BODY);
        assert!(matches!(
            check(&ts, &sig, "PUB_KEY_ID_OTHER", BODY),
            Err(Failure::SerialMismatch { .. })
        ));
    }

    #[test]
    fn another_signature_type_is_refused_by_name() {
        let ts = NOW.to_string();
        let sig = signed_by("wechatpay_key.pem", &ts, "abc", BODY);
        let h = SignatureHeaders {
            timestamp: Some(&ts),
            nonce: Some("abc"),
            signature: Some(&sig),
            serial: Some(SERIAL),
            signature_type: Some("WECHATPAY2-SM2-WITH-SM3"),
        };
        let e = answer(&h, BODY, key_for, NOW).unwrap_err();
        assert_eq!(
            e,
            Failure::UnsupportedType("WECHATPAY2-SM2-WITH-SM3".into())
        );
        assert_eq!(
            e.to_string(),
            "the answer is signed with `WECHATPAY2-SM2-WITH-SM3`, which wxcoupon cannot check (it verifies WECHATPAY2-SHA256-RSA2048 only)"
        );
    }

    #[test]
    fn stale_timestamps_fail_both_ways_at_300_seconds() {
        for (delta, ok) in [(-300, false), (-299, true), (299, true), (300, false)] {
            let ts = (NOW + delta).to_string();
            let sig = signed_by("wechatpay_key.pem", &ts, "abc", BODY);
            assert_eq!(check(&ts, &sig, SERIAL, BODY).is_ok(), ok, "delta {delta}");
        }
    }

    #[test]
    fn an_absurd_timestamp_is_stale_not_a_wrap() {
        for t in [i64::MIN, i64::MIN + NOW, i64::MAX] {
            let ts = t.to_string();
            let sig = signed_by("wechatpay_key.pem", &ts, "abc", BODY);
            assert!(
                matches!(check(&ts, &sig, SERIAL, BODY), Err(Failure::Stale { .. })),
                "{ts}"
            );
        }
    }

    #[test]
    fn probes_and_non_base64_fail_cleanly() {
        let ts = NOW.to_string();
        assert_eq!(
            check(&ts, "WECHATPAY/SIGNTEST/abcdefg", SERIAL, BODY),
            Err(Failure::Probe)
        );
        assert_eq!(
            check(&ts, "not base64 !!", SERIAL, BODY),
            Err(Failure::NotBase64)
        );
        assert_eq!(
            check("12a", "AAAA", SERIAL, BODY),
            Err(Failure::BadTimestamp("12a".into()))
        );
    }

    #[test]
    fn missing_headers_are_named() {
        let h = SignatureHeaders::default();
        assert_eq!(
            answer(&h, BODY, key_for, NOW),
            Err(Failure::MissingHeader("Wechatpay-Timestamp"))
        );
    }
}
