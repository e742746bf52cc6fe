//! A WeChat Pay platform certificate (平台证书): its serial, validity window
//! and RSA public key, read with x509-cert from the PEM WeChat Pay delivers.

use anyhow::{Result, anyhow, bail};
use time::OffsetDateTime;
use x509_cert::Certificate;
use x509_cert::der::{Decode, Encode};

use crate::keys::{NotRsa, PublicKey, rsa_in_spki};

/// A certificate whose key is not RSA (an SM2 certificate): a download
/// passes over it, with a warning.
#[derive(Debug)]
pub struct NotRsaCertificate {
    pub oid: String,
}

impl std::fmt::Display for NotRsaCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the certificate's key is not RSA (algorithm {})",
            self.oid
        )
    }
}

impl std::error::Error for NotRsaCertificate {}

#[derive(Debug, Clone)]
pub struct PlatformCert {
    /// Upper-case hexadecimal, as WeChat Pay writes it.
    pub serial: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// When WeChat Pay starts using it (启用时间) and stops (弃用时间), from
    /// its download entry; its own validity when that is not known. Before
    /// a rotation WeChat Pay moves the old certificate's `expire_time` up.
    /// These decide which certificate a request names, never whether an
    /// answer is trusted (the validity does).
    pub effective_time: OffsetDateTime,
    pub expire_time: OffsetDateTime,
    pub public_key: PublicKey,
    /// The certificate as PEM text, as it is saved.
    pub pem: String,
}

/// A serial as hexadecimal without regard to case or leading zeros.
pub fn same_serial(a: &str, b: &str) -> bool {
    normal(a) == normal(b)
}

/// A serial's one spelling for comparing and keying: upper case, without
/// leading zeros.
pub fn normal(serial: &str) -> String {
    let upper = serial.trim().to_ascii_uppercase();
    let stripped = upper.trim_start_matches('0');
    if stripped.is_empty() {
        "0".into()
    } else {
        stripped.into()
    }
}

impl PlatformCert {
    /// Parses one PEM certificate. Errors never quote its bytes.
    pub fn from_pem(text: &str) -> Result<Self> {
        let blocks = pem::parse_many(text.as_bytes())
            .map_err(|_| anyhow!("not a readable PEM certificate"))?;
        let certs: Vec<_> = blocks.iter().filter(|b| b.tag() == "CERTIFICATE").collect();
        let [block] = certs.as_slice() else {
            bail!(
                "expected one `BEGIN CERTIFICATE` block, found {}",
                certs.len()
            );
        };
        let cert = Certificate::from_der(block.contents())
            .map_err(|_| anyhow!("the certificate's DER is damaged"))?;
        let tbs = cert.tbs_certificate();
        let spki = tbs
            .subject_public_key_info()
            .to_der()
            .map_err(|_| anyhow!("the certificate's public key is malformed"))?;
        let key = rsa_in_spki(&spki).map_err(|e| match e {
            NotRsa::Algorithm(oid) => anyhow::Error::new(NotRsaCertificate { oid }),
            NotRsa::Damaged(_) | NotRsa::BitString => {
                anyhow!("the certificate's public key is malformed")
            }
        })?;
        let when = |t: x509_cert::time::Time| {
            OffsetDateTime::from_unix_timestamp(t.to_unix_duration().as_secs() as i64)
                .map_err(|_| anyhow!("the certificate's validity is out of range"))
        };
        // The DER integer's bytes, without the zero byte that keeps it
        // positive: 20 bytes are WeChat Pay's 40 hexadecimal digits, a
        // leading zero digit kept (`0A1B…`).
        let bytes = tbs.serial_number().as_bytes();
        let serial: String = match bytes {
            [0, rest @ ..] if !rest.is_empty() => rest,
            all => all,
        }
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
        let (not_before, not_after) = (
            when(tbs.validity().not_before)?,
            when(tbs.validity().not_after)?,
        );
        Ok(PlatformCert {
            serial,
            not_before,
            not_after,
            effective_time: not_before,
            expire_time: not_after,
            public_key: PublicKey::from_pkcs1_der(key)?,
            // As WeChat Pay delivers it: 64-character lines ending in \n.
            pem: pem::encode_config(
                block,
                pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
            ),
        })
    }

    /// Valid now and not past the time WeChat Pay stops using it.
    pub fn usable_at(&self, unix: i64) -> bool {
        self.valid_at(unix) && unix <= self.expire_time.unix_timestamp()
    }

    /// WeChat Pay's dates for it differ from its own validity.
    pub fn dates_differ(&self) -> bool {
        (self.effective_time, self.expire_time) != (self.not_before, self.not_after)
    }

    /// Valid at this Unix time (the window's ends included).
    pub fn valid_at(&self, unix: i64) -> bool {
        self.not_before.unix_timestamp() <= unix && unix <= self.not_after.unix_timestamp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/vectors");

    #[test]
    fn the_java_sdk_certificate_reads() {
        let text = std::fs::read_to_string(format!("{VECTORS}/java_downloaded_cert.pem")).unwrap();
        let c = PlatformCert::from_pem(&text).unwrap();
        assert_eq!(c.serial, "5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC");
        // 2023-09-19T23:15:58+08:00 to 2028-09-17T23:15:58+08:00
        assert_eq!(c.not_before.unix_timestamp(), 1_695_136_558);
        assert_eq!(c.not_after.unix_timestamp(), 1_852_816_558);
        assert_eq!(c.public_key.bits(), 2048);
        assert!(c.valid_at(1_800_000_000) && !c.valid_at(1_900_000_000));
    }

    #[test]
    fn serials_compare_as_hex() {
        assert!(same_serial("00ab", "AB"));
        assert!(same_serial("5dea10ef", "5DEA10EF"));
        assert!(!same_serial("AB", "ABC"));
    }

    #[test]
    fn a_certificate_whose_key_is_not_rsa_is_said() {
        let ec = rcgen::generate_simple_self_signed(vec!["sm2.example".into()]).unwrap();
        let e = PlatformCert::from_pem(&ec.cert.pem())
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "the certificate's key is not RSA (algorithm 1.2.840.10045.2.1)"
        );
        let e = PublicKey::from_pem(ec.signing_key.public_key_pem().as_bytes())
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "not an RSA public key (algorithm 1.2.840.10045.2.1); WeChat Pay public keys are RSA"
        );
    }

    #[test]
    fn not_a_certificate_is_said() {
        let e = PlatformCert::from_pem("hello").unwrap_err().to_string();
        assert!(e.contains("one `BEGIN CERTIFICATE`"), "{e}");
    }

    /// The Java SDK's RSAVerifierTest triple (tests/fixtures/published):
    /// verifies with the certificate it names, expired or not (trust is not
    /// a signature's business), and not with the WeChat Pay public key.
    #[test]
    fn the_java_sdk_signature_triple_verifies_with_its_certificate_only() {
        use base64::Engine as _;
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/published/signatures"
        );
        let triple: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(format!("{dir}/java_rsaverifier.json")).unwrap(),
        )
        .unwrap();
        let signature = base64::engine::general_purpose::STANDARD
            .decode(triple["signature"].as_str().unwrap())
            .unwrap();
        let message = triple["message"].as_str().unwrap().as_bytes();
        let cert = PlatformCert::from_pem(
            &std::fs::read_to_string(format!("{dir}/java_merchant_certificate.pem")).unwrap(),
        )
        .unwrap();
        assert_eq!(cert.serial, triple["signer_serial"]);
        assert!(cert.public_key.verify(message, &signature));
        let other = PublicKey::from_pem(
            &std::fs::read(format!("{dir}/java_wechat_pay_public_key.pem")).unwrap(),
        )
        .unwrap();
        assert!(!other.verify(message, &signature));
    }
}
