//! PEM/DER → ring keys. Private keys: PKCS#8 (`BEGIN PRIVATE KEY`) and PKCS#1
//! (`BEGIN RSA PRIVATE KEY`). Public keys: SPKI (`BEGIN PUBLIC KEY`) and PKCS#1
//! (`BEGIN RSA PUBLIC KEY`). Encrypted keys, a certificate given as the private
//! key, and a file holding several private keys are refused in words.
//!
//! Error messages never quote key material: parse errors from the PEM and DER
//! layers are replaced by our own words, since their texts can carry bytes of
//! the input.

use std::fmt;

use anyhow::{Result, anyhow, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::rand::SystemRandom;
use ring::signature::{self, RsaKeyPair, UnparsedPublicKey};

/// rsaEncryption, 1.2.840.113549.1.1.1
const RSA_ENCRYPTION_OID: &str = "1.2.840.113549.1.1.1";

/// The merchant's API private key. Its `Debug` prints nothing secret.
pub struct PrivateKey {
    pair: RsaKeyPair,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey(RSA-{}, redacted)", self.bits())
    }
}

impl PrivateKey {
    /// Parses PEM text. `errors` never contain the key's bytes.
    pub fn from_pem(text: &[u8]) -> Result<Self> {
        let blocks = pem::parse_many(text).map_err(|_| {
            anyhow!("not a readable PEM file (expected `-----BEGIN PRIVATE KEY-----`)")
        })?;
        let mut keys = blocks.iter().filter(|b| b.tag().contains("PRIVATE KEY"));
        let Some(block) = keys.next() else {
            if blocks.iter().any(|b| b.tag() == "CERTIFICATE") {
                bail!(
                    "this is a certificate (`BEGIN CERTIFICATE`), not a private key: \
                     the merchant API private key (apiclient_key.pem) is needed here, \
                     not the merchant API certificate (apiclient_cert.pem)"
                );
            }
            bail!("no private key in it (expected `-----BEGIN PRIVATE KEY-----`)");
        };
        let more = keys.count();
        if more > 0 {
            bail!(
                "it holds {} private keys; keep only the merchant API private key \
                 (apiclient_key.pem) in it",
                more + 1
            );
        }
        // Legacy OpenSSL encryption of a PKCS#1 key: `Proc-Type: 4,ENCRYPTED`.
        let encrypted = block
            .headers()
            .get("Proc-Type")
            .is_some_and(|v| v.contains("ENCRYPTED"));
        let pair = match block.tag() {
            "ENCRYPTED PRIVATE KEY" => bail!(
                "the private key is encrypted; decrypt it first: \
                 openssl pkey -in FILE -out apiclient_key.pem"
            ),
            _ if encrypted => bail!(
                "the private key is encrypted (`Proc-Type: 4,ENCRYPTED`); decrypt it first: \
                 openssl pkey -in FILE -out apiclient_key.pem"
            ),
            "PRIVATE KEY" => RsaKeyPair::from_pkcs8(block.contents()),
            "RSA PRIVATE KEY" => RsaKeyPair::from_der(block.contents()),
            other => bail!("`BEGIN {other}` is not an RSA private key"),
        }
        .map_err(|e| anyhow!("{}", key_rejected_words(&e.to_string())))?;
        Ok(Self { pair })
    }

    pub fn bits(&self) -> usize {
        self.pair.public().modulus_len() * 8
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256, standard Base64 with padding.
    pub fn sign_base64(&self, message: &[u8]) -> Result<String> {
        let mut sig = vec![0; self.pair.public().modulus_len()];
        self.pair
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut sig,
            )
            .map_err(|_| anyhow!("signing failed (the system random source failed)"))?;
        Ok(STANDARD.encode(sig))
    }

    /// The PKCS#1 DER of the public half.
    pub fn public_der(&self) -> &[u8] {
        self.pair.public().as_ref()
    }
}

fn key_rejected_words(why: &str) -> String {
    match why {
        "WrongAlgorithm" => "not an RSA key (WeChat Pay APIv3 keys are RSA)".into(),
        "TooSmall" => "the RSA key is too small (at least 2048 bits are needed)".into(),
        "TooLarge" => "the RSA key is too large (at most 8192 bits are supported)".into(),
        "InvalidEncoding" => "the key's DER encoding is damaged or not an RSA key".into(),
        "VersionNotSupported" => "this PKCS#8 version is not supported".into(),
        other => format!("the key was rejected ({other})"),
    }
}

/// A WeChat Pay public key, ready to verify signatures.
/// Why a SubjectPublicKeyInfo holds no RSA key.
#[derive(Debug)]
pub enum NotRsa {
    /// Its DER does not parse (the parser's words).
    Damaged(String),
    /// Another algorithm (its OID).
    Algorithm(String),
    /// The key's bit string has unused bits.
    BitString,
}

/// The PKCS#1 `RSAPublicKey` inside a SubjectPublicKeyInfo (the `PUBLIC KEY`
/// PEM block, a certificate's key), when its algorithm is rsaEncryption.
pub fn rsa_in_spki(der: &[u8]) -> Result<&[u8], NotRsa> {
    let spki =
        spki::SubjectPublicKeyInfoRef::try_from(der).map_err(|e| NotRsa::Damaged(e.to_string()))?;
    if spki.algorithm.oid.to_string() != RSA_ENCRYPTION_OID {
        return Err(NotRsa::Algorithm(spki.algorithm.oid.to_string()));
    }
    spki.subject_public_key.as_bytes().ok_or(NotRsa::BitString)
}

#[derive(Clone)]
pub struct PublicKey {
    /// PKCS#1 `RSAPublicKey` DER, the form ring verifies with.
    pkcs1: Vec<u8>,
    bits: usize,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey(RSA-{})", self.bits)
    }
}

impl PublicKey {
    pub fn from_pem(text: &[u8]) -> Result<Self> {
        let blocks = pem::parse_many(text).map_err(|e| {
            anyhow!("not a readable PEM file ({e}); expected `-----BEGIN PUBLIC KEY-----`")
        })?;
        let Some(block) = blocks.first() else {
            bail!("no PEM block in it (expected `-----BEGIN PUBLIC KEY-----`)");
        };
        match block.tag() {
            "PUBLIC KEY" => {
                let bytes = rsa_in_spki(block.contents()).map_err(|e| match e {
                    NotRsa::Damaged(e) => anyhow!("the public key's DER is damaged ({e})"),
                    NotRsa::Algorithm(oid) => anyhow!(
                        "not an RSA public key (algorithm {oid}); WeChat Pay public keys are RSA"
                    ),
                    NotRsa::BitString => anyhow!("the public key's bit string is malformed"),
                })?;
                Self::from_pkcs1_der(bytes)
            }
            "RSA PUBLIC KEY" => Self::from_pkcs1_der(block.contents()),
            "CERTIFICATE" => bail!(
                "this is a certificate, not a public key; wxcoupon needs the WeChat Pay \
                 public key (pub_key.pem, `BEGIN PUBLIC KEY`). To use a platform certificate's \
                 key: openssl x509 -in FILE -pubkey -noout > pub_key.pem"
            ),
            t if t.contains("PRIVATE KEY") => bail!(
                "this is a private key; wxcoupon needs the WeChat Pay public key \
                 (`BEGIN PUBLIC KEY`) here"
            ),
            other => bail!("`BEGIN {other}` is not a public key (expected `BEGIN PUBLIC KEY`)"),
        }
    }

    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self> {
        let key = pkcs1::RsaPublicKeyRef::try_from(der)
            .map_err(|e| anyhow!("the RSA public key's DER is damaged ({e})"))?;
        let n = key.modulus.as_bytes();
        let bits = n.len() * 8 - n.first().map_or(8, |b| b.leading_zeros() as usize);
        if bits < 2048 {
            bail!("the RSA public key has {bits} bits; at least 2048 are needed");
        }
        Ok(Self {
            pkcs1: der.to_vec(),
            bits,
        })
    }

    pub fn bits(&self) -> usize {
        self.bits
    }

    /// Checks an RSASSA-PKCS1-v1_5 SHA-256 signature (raw bytes).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &self.pkcs1)
            .verify(message, signature)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

    fn read(name: &str) -> Vec<u8> {
        std::fs::read(format!("{FIXTURES}/{name}")).unwrap()
    }

    #[test]
    fn both_private_key_forms_parse_to_the_same_key() {
        let p8 = PrivateKey::from_pem(&read("merchant_key.pem")).unwrap();
        let p1 = PrivateKey::from_pem(&read("merchant_key_pkcs1.pem")).unwrap();
        assert_eq!(p8.public_der(), p1.public_der());
        assert_eq!(p8.bits(), 2048);
    }

    #[test]
    fn spki_public_key_matches_private_key() {
        let key = PrivateKey::from_pem(&read("merchant_key.pem")).unwrap();
        let public = PublicKey::from_pem(&read("merchant_pub.pem")).unwrap();
        assert_eq!(public.pkcs1, key.public_der());
        let sig = key.sign_base64(b"hello").unwrap();
        let raw = STANDARD.decode(sig).unwrap();
        assert!(public.verify(b"hello", &raw));
        assert!(!public.verify(b"hellO", &raw));
    }

    #[test]
    fn ec_key_is_refused_in_words() {
        let err = PrivateKey::from_pem(&read("ec_key.pem")).unwrap_err();
        assert!(err.to_string().contains("not an RSA key"), "{err}");
    }

    #[test]
    fn public_key_where_private_expected_and_vice_versa() {
        let err = PrivateKey::from_pem(&read("merchant_pub.pem")).unwrap_err();
        assert!(err.to_string().contains("no private key"), "{err}");
        let err = PublicKey::from_pem(&read("merchant_key.pem")).unwrap_err();
        assert!(err.to_string().contains("this is a private key"), "{err}");
    }

    #[test]
    fn garbage_is_refused_without_echoing_it() {
        let text = b"-----BEGIN PRIVATE KEY-----\nSECRETSECRET!!!\n-----END PRIVATE KEY-----\n";
        let err = PrivateKey::from_pem(text).unwrap_err().to_string();
        assert!(!err.contains("SECRET"), "{err}");
        let err = PrivateKey::from_pem(b"hello").unwrap_err().to_string();
        assert!(err.contains("PEM") || err.contains("private key"), "{err}");
    }

    /// No line of the file (but its BEGIN/END and header lines) is in `err`.
    fn echoes_nothing(file: &str, err: &str) {
        let text = String::from_utf8(read(file)).unwrap();
        for line in text.lines() {
            if line.starts_with("-----") || line.contains(": ") || line.is_empty() {
                continue;
            }
            assert!(!err.contains(line), "{file}: key material in {err}");
        }
    }

    #[test]
    fn an_encrypted_pkcs1_key_gets_the_command_that_decrypts_it() {
        let text = read("merchant_key_pkcs1_encrypted.pem");
        assert!(String::from_utf8_lossy(&text).contains("Proc-Type: 4,ENCRYPTED"));
        let err = PrivateKey::from_pem(&text).unwrap_err().to_string();
        assert!(err.contains("the private key is encrypted"), "{err}");
        assert!(
            err.contains("openssl pkey -in FILE -out apiclient_key.pem"),
            "{err}"
        );
        assert!(!err.contains("damaged"), "{err}");
        echoes_nothing("merchant_key_pkcs1_encrypted.pem", &err);
    }

    #[test]
    fn two_private_keys_in_one_file_are_refused() {
        let err = PrivateKey::from_pem(&read("two_keys.pem"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("holds 2 private keys; keep only the merchant API private key"),
            "{err}"
        );
        echoes_nothing("two_keys.pem", &err);
    }

    #[test]
    fn a_certificate_where_the_private_key_belongs_is_named() {
        let err = PrivateKey::from_pem(&read("other_cert.pem"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("a certificate"), "{err}");
        assert!(err.contains("apiclient_cert.pem"), "{err}");
        assert!(err.contains("apiclient_key.pem"), "{err}");
        echoes_nothing("other_cert.pem", &err);
    }

    #[test]
    fn debug_does_not_print_the_key() {
        let key = PrivateKey::from_pem(&read("merchant_key.pem")).unwrap();
        assert_eq!(format!("{key:?}"), "PrivateKey(RSA-2048, redacted)");
    }
}
