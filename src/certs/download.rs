//! The answer to `GET /v3/certificates`, checked before anything is kept:
//! every entry decrypts under the APIv3 key (whose AEAD tag authenticates
//! it), its certificate has the entry's serial, no serial is listed twice,
//! and the answer's own signature verifies — with the WeChat Pay public key
//! when it names that key, else with the delivered certificate it names (as
//! the official SDKs bootstrap). An entry's `effective_time` and
//! `expire_time` say when WeChat Pay uses the certificate, and may differ
//! from its validity (a rotation moves the old one's `expire_time` up): they
//! are kept, never compared. Pure: the answer and the clock are passed in.

use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::aead::{ApiV3Key, DecryptError};
use super::cert::{NotRsaCertificate, PlatformCert, same_serial};
use crate::client::Answer;
use crate::keys::PublicKey;
use crate::verify::{self, Failure, SignatureHeaders};

/// The path of the certificate download API.
pub const PATH: &str = "/v3/certificates";

/// The download asks for RSA certificates only, as the Java SDK does; an
/// entry that is not RSA all the same is passed over with a warning.
pub const PATH_AND_QUERY: &str = "/v3/certificates?algorithm_type=RSA";

/// What a download delivered: the certificates, and what was passed over.
#[derive(Debug)]
pub struct Delivered {
    pub certs: Vec<PlatformCert>,
    /// Entries passed over (not RSA), said as warnings.
    pub skipped: Vec<String>,
}

/// Why a download is refused; nothing is kept then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// The body is not the documented JSON.
    Malformed(String),
    /// An entry does not decrypt (a wrong APIv3 key, or a tampered entry).
    Decrypt { serial: String, why: DecryptError },
    /// An entry's certificate does not parse.
    Certificate { serial: String, why: String },
    /// An entry's certificate is not RSA (passed over, not refused).
    NotRsa { serial: String, oid: String },
    /// An entry's certificate disagrees with the entry.
    Disagrees { serial: String, what: String },
    /// Two entries name one serial.
    DuplicateSerial(String),
    /// The answer's signature does not verify.
    Signature(Failure),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Malformed(why) => write!(f, "the answer is not the documented JSON: {why}"),
            Refused::Decrypt { serial, why } => {
                write!(f, "the certificate for serial {serial}: {why}")
            }
            Refused::Certificate { serial, why } => {
                write!(
                    f,
                    "the certificate for serial {serial} does not read: {why}"
                )
            }
            Refused::NotRsa { serial, oid } => write!(
                f,
                "the certificate for serial {serial} is not RSA (algorithm {oid})"
            ),
            Refused::Disagrees { serial, what } => write!(
                f,
                "the certificate delivered for serial {serial} disagrees with its entry: {what}"
            ),
            Refused::DuplicateSerial(serial) => write!(
                f,
                "the answer lists serial {serial} twice; a serial names one certificate"
            ),
            Refused::Signature(failure) => write!(f, "the answer is not verified: {failure}"),
        }
    }
}

#[derive(Deserialize)]
struct Body {
    data: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    serial_no: String,
    // The Java SDK's own fixture spells it with a trailing space.
    #[serde(alias = "effective_time ")]
    effective_time: Option<String>,
    #[serde(alias = "expire_time ")]
    expire_time: Option<String>,
    encrypt_certificate: Encrypted,
}

#[derive(Deserialize)]
struct Encrypted {
    algorithm: String,
    nonce: String,
    associated_data: String,
    ciphertext: String,
}

fn time(serial: &str, field: &str, text: &str) -> Result<OffsetDateTime, Refused> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|_| {
        Refused::Malformed(format!(
            "entry {serial}: {field} {text:?} is not an RFC 3339 time"
        ))
    })
}

/// One entry, decrypted and checked against itself.
fn open(entry: &Entry, key: &ApiV3Key) -> Result<PlatformCert, Refused> {
    let serial = entry.serial_no.clone();
    let e = &entry.encrypt_certificate;
    if e.algorithm != "AEAD_AES_256_GCM" {
        return Err(Refused::Malformed(format!(
            "entry {serial}: algorithm {:?} (expected AEAD_AES_256_GCM)",
            e.algorithm
        )));
    }
    let plain = key
        .decrypt(&e.nonce, &e.associated_data, &e.ciphertext)
        .map_err(|why| Refused::Decrypt {
            serial: serial.clone(),
            why,
        })?;
    let text = String::from_utf8(plain).map_err(|_| Refused::Certificate {
        serial: serial.clone(),
        why: "it is not text".into(),
    })?;
    let mut cert =
        PlatformCert::from_pem(&text).map_err(|e| match e.downcast_ref::<NotRsaCertificate>() {
            Some(not_rsa) => Refused::NotRsa {
                serial: serial.clone(),
                oid: not_rsa.oid.clone(),
            },
            None => Refused::Certificate {
                serial: serial.clone(),
                why: format!("{e:#}"),
            },
        })?;
    let disagrees = |what: String| Refused::Disagrees {
        serial: serial.clone(),
        what,
    };
    if !same_serial(&cert.serial, &serial) || !serial.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(disagrees(format!(
            "the certificate's serial is {}",
            cert.serial
        )));
    }
    // WeChat Pay's spelling of the serial (40 digits, a leading zero kept).
    cert.serial = serial.to_ascii_uppercase();
    // When WeChat Pay uses it: may differ from the certificate's validity
    // (before a rotation the old one's expire_time is moved up).
    if let Some(t) = &entry.effective_time {
        cert.effective_time = time(&serial, "effective_time", t)?;
    }
    if let Some(t) = &entry.expire_time {
        cert.expire_time = time(&serial, "expire_time", t)?;
    }
    Ok(cert)
}

/// The certificates of a 200 answer, every one checked, and the answer
/// verified; `public_key` is the profile's WeChat Pay public key, if any.
pub fn certificates(
    answer: &Answer,
    key: &ApiV3Key,
    public_key: Option<(&str, &PublicKey)>,
    now_unix: i64,
) -> Result<Delivered, Refused> {
    let body: Body = serde_json::from_slice(&answer.body)
        .map_err(|e| Refused::Malformed(crate::escape::cut(&e.to_string())))?;
    let mut certs = Vec::new();
    let mut skipped = Vec::new();
    for entry in &body.data {
        match open(entry, key) {
            Ok(cert) => certs.push(cert),
            Err(not_rsa @ Refused::NotRsa { .. }) => skipped.push(format!(
                "{not_rsa}: passed over (wxcoupon verifies with RSA certificates, \
                 WECHATPAY2-SHA256-RSA2048)"
            )),
            Err(refused) => return Err(refused),
        }
    }
    // One serial, two certificates: which one would verify, which be kept?
    for (i, c) in certs.iter().enumerate() {
        if certs[..i].iter().any(|o| same_serial(&o.serial, &c.serial)) {
            return Err(Refused::DuplicateSerial(c.serial.clone()));
        }
    }
    let headers = SignatureHeaders::read(|name| answer.header(name));
    let key_for = |serial: &str, at: i64| -> Result<&PublicKey, Failure> {
        if let Some((id, k)) = public_key
            && id == serial
        {
            return Ok(k);
        }
        if public_key.is_none() && !crate::verify::is_certificate_serial(serial) {
            return Err(Failure::PublicKeyNotConfigured { id: serial.into() });
        }
        match certs.iter().find(|c| same_serial(&c.serial, serial)) {
            Some(c) if c.valid_at(at) => Ok(&c.public_key),
            Some(c) => Err(Failure::CertificateNotValid {
                serial: c.serial.clone(),
                from: c.not_before.format(&Rfc3339).unwrap_or_default(),
                to: c.not_after.format(&Rfc3339).unwrap_or_default(),
            }),
            None => Err(Failure::UnknownCertificate {
                serial: serial.into(),
            }),
        }
    };
    verify::answer(&headers, &answer.body, key_for, now_unix).map_err(Refused::Signature)?;
    Ok(Delivered { certs, skipped })
}
