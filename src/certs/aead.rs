//! AEAD_AES_256_GCM, as WeChat Pay encrypts platform certificates: the key
//! is the merchant's 32-byte APIv3 key, the nonce and associated data are
//! given as UTF-8 text, the ciphertext is Base64 with the 16-byte tag at its
//! end. ring does the cryptography.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};

/// Why a ciphertext did not decrypt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecryptError {
    /// The nonce is not 12 bytes.
    Nonce(usize),
    NotBase64,
    /// The tag did not match: a wrong APIv3 key, or a tampered entry.
    Tag,
}

impl std::fmt::Display for DecryptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecryptError::Nonce(n) => {
                write!(f, "the nonce is {n} bytes; AES-256-GCM needs {NONCE_LEN}")
            }
            DecryptError::NotBase64 => write!(f, "the ciphertext is not valid Base64"),
            DecryptError::Tag => write!(
                f,
                "it does not decrypt under the APIv3 key (a wrong APIv3 key, or a tampered answer)"
            ),
        }
    }
}

/// The merchant's APIv3 key (APIv3密钥): 32 bytes. Its `Debug` prints nothing secret.
#[derive(Clone)]
pub struct ApiV3Key([u8; 32]);

impl std::fmt::Debug for ApiV3Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiV3Key(redacted)")
    }
}

impl ApiV3Key {
    /// The key from its text, surrounding white space trimmed; `Err` gives
    /// the length found.
    pub fn from_text(text: &str) -> Result<Self, usize> {
        let trimmed = text.trim();
        <[u8; 32]>::try_from(trimmed.as_bytes())
            .map(ApiV3Key)
            .map_err(|_| trimmed.len())
    }

    pub fn decrypt(
        &self,
        nonce: &str,
        associated_data: &str,
        ciphertext_b64: &str,
    ) -> Result<Vec<u8>, DecryptError> {
        let nonce = <[u8; NONCE_LEN]>::try_from(nonce.as_bytes())
            .map_err(|_| DecryptError::Nonce(nonce.len()))?;
        let mut data = STANDARD
            .decode(ciphertext_b64.trim())
            .map_err(|_| DecryptError::NotBase64)?;
        let key = UnboundKey::new(&AES_256_GCM, &self.0).map_err(|_| DecryptError::Tag)?;
        let plain = LessSafeKey::new(key)
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(associated_data.as_bytes()),
                &mut data,
            )
            .map_err(|_| DecryptError::Tag)?;
        Ok(plain.to_vec())
    }

    /// Encrypts, for the emulator: Base64 of ciphertext and tag.
    pub fn encrypt(
        &self,
        nonce: &str,
        associated_data: &str,
        plain: &[u8],
    ) -> Result<String, DecryptError> {
        let nonce = <[u8; NONCE_LEN]>::try_from(nonce.as_bytes())
            .map_err(|_| DecryptError::Nonce(nonce.len()))?;
        let key = UnboundKey::new(&AES_256_GCM, &self.0).map_err(|_| DecryptError::Tag)?;
        let mut data = plain.to_vec();
        LessSafeKey::new(key)
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(associated_data.as_bytes()),
                &mut data,
            )
            .map_err(|_| DecryptError::Tag)?;
        Ok(STANDARD.encode(data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/vectors");

    fn key() -> ApiV3Key {
        ApiV3Key::from_text("a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb").unwrap()
    }

    #[test]
    fn the_published_vector_decrypts() {
        let plain = key()
            .decrypt(
                "uluk4a9R25RW",
                "associatedData",
                "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=",
            )
            .unwrap();
        assert_eq!(plain, b"message");
    }

    #[test]
    fn the_java_sdk_certificate_answer_decrypts_to_its_certificate() {
        let ciphertext =
            std::fs::read_to_string(format!("{VECTORS}/java_certificates_ciphertext.txt")).unwrap();
        let plain = key()
            .decrypt("14b16c03dc1b", "certificate", &ciphertext)
            .unwrap();
        let expected =
            std::fs::read_to_string(format!("{VECTORS}/java_downloaded_cert.pem")).unwrap();
        assert_eq!(String::from_utf8(plain).unwrap().trim(), expected.trim());
    }

    #[test]
    fn a_wrong_key_a_tampered_text_and_a_bad_nonce_are_named() {
        let other = ApiV3Key::from_text("b7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb").unwrap();
        let e = other.decrypt(
            "uluk4a9R25RW",
            "associatedData",
            "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=",
        );
        assert_eq!(e, Err(DecryptError::Tag));
        let e = key().decrypt(
            "uluk4a9R25RW",
            "associatedDatA",
            "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=",
        );
        assert_eq!(e, Err(DecryptError::Tag));
        let e = key().decrypt(
            "short",
            "associatedData",
            "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=",
        );
        assert_eq!(e, Err(DecryptError::Nonce(5)));
        assert_eq!(
            key().decrypt("uluk4a9R25RW", "a", "!!"),
            Err(DecryptError::NotBase64)
        );
        assert_eq!(ApiV3Key::from_text(" short\n").unwrap_err(), 5);
        assert_eq!(format!("{:?}", key()), "ApiV3Key(redacted)");
    }

    #[test]
    fn what_is_sealed_opens() {
        let sealed = key()
            .encrypt("0123456789ab", "certificate", b"hello")
            .unwrap();
        assert_eq!(
            key()
                .decrypt("0123456789ab", "certificate", &sealed)
                .unwrap(),
            b"hello"
        );
    }
}
