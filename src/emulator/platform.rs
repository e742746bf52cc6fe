//! The emulated WeChat Pay's signers: which key signs an answer (the WeChat
//! Pay public key, the newest platform certificate, or the two in turn while
//! a merchant switches), and `GET /v3/certificates`, which delivers the two
//! sample platform certificates encrypted under the sample APIv3 key.

use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Result;
use serde_json::json;

use super::http::{Verdict, error};
use super::samples::{SAMPLE_APIV3_KEY, SAMPLE_PLATFORM};
use crate::certs::ApiV3Key;
use crate::certs::cert::PlatformCert;
use crate::cst::rfc3339 as cst;
use crate::keys::PrivateKey;

/// Which key signs the emulator's answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signer {
    /// The WeChat Pay public key (a merchant on the public key).
    PublicKey,
    /// The newest platform certificate (a merchant on certificates).
    Certificate,
    /// The two in turn (a merchant switching, before the switch is on).
    Switching,
}

/// A phase of a platform certificate rotation, as WeChat Pay plays one: it
/// moves the old certificate's `expire_time` (弃用时间) up, publishes the new
/// one in use from its `effective_time` (启用时间), and signs with the one in
/// use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    /// The old certificate only.
    Before,
    /// Both published; the old one in use for 24 more hours, signing.
    During,
    /// The new one in use and signing; the old one no longer published.
    After,
}

/// How far ahead of a rotation WeChat Pay moves the old `expire_time` up.
const ROTATION_NOTICE_SECS: i64 = 24 * 3600;

pub struct Platform {
    pub signer: Signer,
    /// The sample certificates and their keys, oldest first, with WeChat
    /// Pay's dates for them (their validity unless a rotation moves them).
    certs: Vec<(PlatformCert, PrivateKey)>,
    pub apiv3_key: ApiV3Key,
    answers: AtomicU64,
}

impl Platform {
    /// The sample certificates at a phase of a rotation, seen from `now`
    /// (Unix time): which are published, with which dates.
    pub fn rotated(mut self, phase: Rotation, now: i64) -> Self {
        let at = |unix: i64| {
            time::OffsetDateTime::from_unix_timestamp(unix)
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        };
        match phase {
            Rotation::Before => self.certs.truncate(1),
            Rotation::During => {
                let switch = at(now + ROTATION_NOTICE_SECS);
                self.certs[0].0.expire_time = switch;
                if let Some((new, _)) = self.certs.get_mut(1) {
                    new.effective_time = switch;
                }
            }
            Rotation::After => {
                self.certs.remove(0);
                if let Some((new, _)) = self.certs.get_mut(0) {
                    new.effective_time = at(now - 3600);
                }
            }
        }
        self
    }

    pub fn sample(signer: Signer) -> Result<Self> {
        let certs = SAMPLE_PLATFORM
            .iter()
            .map(|(cert, key)| {
                Ok((
                    PlatformCert::from_pem(cert)?,
                    PrivateKey::from_pem(key.as_bytes())?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let apiv3_key = ApiV3Key::from_text(SAMPLE_APIV3_KEY)
            .map_err(|n| anyhow::anyhow!("the sample APIv3 key has {n} bytes"))?;
        Ok(Platform {
            signer,
            certs,
            apiv3_key,
            answers: AtomicU64::new(0),
        })
    }

    /// The key and serial that sign the next answer; `public` is the WeChat
    /// Pay public key's private half and id.
    pub fn next_signer<'a>(
        &'a self,
        public: (&'a PrivateKey, &'a str),
    ) -> (&'a PrivateKey, &'a str) {
        // The certificate in use: the one WeChat Pay started using last.
        let now = time::OffsetDateTime::now_utc();
        let newest = self
            .certs
            .iter()
            .filter(|(c, _)| c.effective_time <= now)
            .max_by_key(|(c, _)| c.effective_time)
            .or(self.certs.first())
            .map(|(c, k)| (k, c.serial.as_str()));
        match (self.signer, newest) {
            (Signer::Certificate, Some(n)) => n,
            (Signer::Switching, Some(n))
                if self.answers.fetch_add(1, Ordering::SeqCst) % 2 == 1 =>
            {
                n
            }
            _ => public,
        }
    }

    /// The answer to `GET /v3/certificates`.
    pub fn certificates(&self) -> Verdict {
        if self.signer == Signer::PublicKey {
            return error(
                404,
                "RESOURCE_NOT_EXISTS",
                "无可用的平台证书，请在商户平台-API安全申请使用微信支付公钥",
                "no platform certificates (signer public-key)",
            );
        }
        let mut data = Vec::new();
        for (cert, _) in &self.certs {
            let nonce = crate::sign::random_alphanumeric(12).unwrap_or_default();
            let Ok(ciphertext) = self
                .apiv3_key
                .encrypt(&nonce, "certificate", cert.pem.as_bytes())
            else {
                return error(500, "SYSTEM_ERROR", "模拟器内部错误", "cannot encrypt");
            };
            data.push(json!({
                "serial_no": cert.serial,
                "effective_time": cst(cert.effective_time),
                "expire_time": cst(cert.expire_time),
                "encrypt_certificate": {
                    "algorithm": "AEAD_AES_256_GCM",
                    "nonce": nonce,
                    "associated_data": "certificate",
                    "ciphertext": ciphertext,
                },
            }));
        }
        Verdict {
            status: 200,
            body: json!({ "data": data }).to_string(),
            log: format!("delivered {} platform certificates", data.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_certificates_read_and_the_newest_signs() {
        let p = Platform::sample(Signer::Certificate).unwrap();
        assert_eq!(p.certs.len(), 2);
        assert!(p.certs[0].0.not_before < p.certs[1].0.not_before);
        let public =
            PrivateKey::from_pem(crate::emulator::samples::SAMPLE_WECHATPAY_KEY.as_bytes())
                .unwrap();
        assert_eq!(p.next_signer((&public, "PUB")).1, p.certs[1].0.serial);
        let s = Platform::sample(Signer::Switching).unwrap();
        let serials: Vec<String> = (0..4)
            .map(|_| s.next_signer((&public, "PUB")).1.to_string())
            .collect();
        assert_eq!(serials[0], "PUB");
        assert_ne!(serials[1], "PUB");
        assert_eq!(serials[2], "PUB");
    }

    #[test]
    fn the_certificates_answer_decrypts_under_the_sample_key() {
        let p = Platform::sample(Signer::Certificate).unwrap();
        let v = p.certificates();
        assert_eq!(v.status, 200);
        let body: serde_json::Value = serde_json::from_str(&v.body).unwrap();
        let e = &body["data"][1];
        let plain = p
            .apiv3_key
            .decrypt(
                e["encrypt_certificate"]["nonce"].as_str().unwrap(),
                "certificate",
                e["encrypt_certificate"]["ciphertext"].as_str().unwrap(),
            )
            .unwrap();
        let cert = PlatformCert::from_pem(std::str::from_utf8(&plain).unwrap()).unwrap();
        assert_eq!(cert.serial, e["serial_no"]);
        assert_eq!(
            Platform::sample(Signer::PublicKey)
                .unwrap()
                .certificates()
                .status,
            404
        );
    }
}
