//! The request signature of WeChat Pay APIv3 — pure functions over bytes.

use anyhow::{Result, anyhow};
use ring::rand::{SecureRandom, SystemRandom};

use crate::keys::PrivateKey;

pub const SCHEME: &str = "WECHATPAY2-SHA256-RSA2048";

/// `METHOD\nCANONICAL_URL\nTIMESTAMP\nNONCE\nBODY\n`: five lines, the last one too.
pub fn message(
    method: &str,
    canonical_url: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
) -> Vec<u8> {
    let mut m = format!("{method}\n{canonical_url}\n{timestamp}\n{nonce}\n").into_bytes();
    m.extend_from_slice(body);
    m.push(b'\n');
    m
}

/// The value of the `Authorization` header.
pub fn authorization(
    mchid: &str,
    nonce: &str,
    signature: &str,
    timestamp: i64,
    serial_no: &str,
) -> String {
    format!(
        "{SCHEME} mchid=\"{mchid}\",nonce_str=\"{nonce}\",signature=\"{signature}\",\
         timestamp=\"{timestamp}\",serial_no=\"{serial_no}\""
    )
}

/// Everything one signed request needs.
pub struct Signed {
    pub message: Vec<u8>,
    pub signature: String,
    pub authorization: String,
}

pub struct Signer<'a> {
    pub key: &'a PrivateKey,
    pub mchid: &'a str,
    pub serial_no: &'a str,
}

impl Signer<'_> {
    pub fn sign(
        &self,
        method: &str,
        canonical_url: &str,
        timestamp: i64,
        nonce: &str,
        body: &[u8],
    ) -> Result<Signed> {
        let message = message(method, canonical_url, timestamp, nonce, body);
        let signature = self.key.sign_base64(&message)?;
        let authorization = authorization(self.mchid, nonce, &signature, timestamp, self.serial_no);
        Ok(Signed {
            message,
            signature,
            authorization,
        })
    }
}

const ALPHANUMERIC: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `len` characters from `[0-9A-Za-z]`, drawn from the system CSPRNG without bias.
pub fn random_alphanumeric(len: usize) -> Result<String> {
    let rng = SystemRandom::new();
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        rng.fill(&mut buf)
            .map_err(|_| anyhow!("the system random source failed"))?;
        // 248 = 4 * 62: bytes at or above it would bias the draw, so they are skipped.
        for &b in buf.iter().filter(|&&b| b < 248) {
            if out.len() == len {
                break;
            }
            out.push(ALPHANUMERIC[(b % 62) as usize] as char);
        }
    }
    Ok(out)
}

/// A fresh 32-character nonce, as the official SDKs make them.
pub fn nonce() -> Result<String> {
    random_alphanumeric(32)
}

/// The Authorization header with its signature hidden, for traces and the demo.
pub fn redact_authorization(authorization: &str) -> String {
    authorization
        .split(',')
        .map(|part| {
            if part.starts_with("signature=") {
                "signature=\"(redacted)\""
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Shows a signed message with its line ends made visible, for people.
pub fn visible(message: &[u8]) -> String {
    crate::escape::term(&String::from_utf8_lossy(message)).replace("\\n", "\\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/vectors");
    const TS: i64 = 1554208460;
    const NONCE: &str = "593BEC0C930BF1AFEB40B4A08C8FB242";
    const GET_SIG: &str = "Lc9VXxmeonkdV8Xk9tmigQFLhl0vRWTerdmoRu01aAnYwIrD/5nsSwE1WlmZGLRlAFTNQ3QsMa0+VRDlJp1Wp5p0nO8EK68b5sJBbjouxaFciIfq1zfDWWz+jqhcMoKXI1A6dPm1AW7D4d30WsMTNzp6g23OXakIsh9LO3lUmwvTuE0BY8ncf6tNGk4wKmvXwERd/ZpoQY3MAVKz+Nakwc+2XBmzT66KcUehU5kr4IvGa/lEU5RZb/q00zP9VLdBhC/jQSX3X1UcJLCtEc4gTmib4tnmAT+bHF/e17ZAuxDNcx6rqT8gNEXqaJGG+1OflMSTU2tpyG65G4dMKdFcoA==";
    const POST_SIG: &str = "jnks4dlrPw3ZX+ozVvSK39oa0t7OMBsg83BHAwd8BRdUFiVaQNTLTvci+wURgP1OQBbKYhFGvt7iqYpDSTQkp7Uq1sltaQKyncCyrA1g88m5bsKERQfPyT0ahSwKTYJ1CAn9QiJuSJRq1QsQs07eehbU/k9BCS51jTyc1Jpsi2H77HF9f/BnjXAOP3/sPObg6V5Ee4EzwLox684hhuMuIwHo7D8KFk3LIHOKDcNI4It1aCXydFWNpNK+SG86VUDe5kwoDpw4Ulqfu9z8OFDGbDs9TCxEv8iqQzbpxOlEVoOe2kalSYM5kApQb3nZcxdUtoE0liJGW3RGUNE0t4v01A==";
    const POST_BODY: &str = r#"{"appid":"wxd678efh567hg6787","mchid":"1900007291","description":"Image形象店-深圳腾大-QQ公仔","out_trade_no":"1217752501201407033233368018","notify_url":"https://www.weixin.qq.com/wxpay/pay.php","amount":{"total":100,"currency":"CNY"},"payer":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}}"#;

    fn official_key(file: &str) -> PrivateKey {
        PrivateKey::from_pem(&std::fs::read(format!("{VECTORS}/{file}")).unwrap()).unwrap()
    }

    fn signer(key: &PrivateKey) -> Signer<'_> {
        Signer {
            key,
            mchid: "1900007291",
            serial_no: "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB",
        }
    }

    #[test]
    fn message_has_five_lines_each_ending_in_newline() {
        assert_eq!(
            message("GET", "/v3/refund/domestic/refunds/123123123123", TS, NONCE, b""),
            b"GET\n/v3/refund/domestic/refunds/123123123123\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n"
        );
    }

    #[test]
    fn get_vector_matches_byte_for_byte_with_both_key_forms() {
        for file in ["official_test_key_pkcs1.pem", "official_test_key_pkcs8.pem"] {
            let key = official_key(file);
            let s = signer(&key)
                .sign(
                    "GET",
                    "/v3/refund/domestic/refunds/123123123123",
                    TS,
                    NONCE,
                    b"",
                )
                .unwrap();
            assert_eq!(s.signature, GET_SIG, "{file}");
        }
    }

    #[test]
    fn post_vector_matches_byte_for_byte_with_both_key_forms() {
        for file in ["official_test_key_pkcs1.pem", "official_test_key_pkcs8.pem"] {
            let key = official_key(file);
            let s = signer(&key)
                .sign(
                    "POST",
                    "/v3/pay/transactions/jsapi",
                    TS,
                    NONCE,
                    POST_BODY.as_bytes(),
                )
                .unwrap();
            assert_eq!(s.signature, POST_SIG, "{file}");
        }
    }

    #[test]
    fn authorization_header_has_the_documented_format() {
        let key = official_key("official_test_key_pkcs1.pem");
        let s = signer(&key)
            .sign(
                "GET",
                "/v3/refund/domestic/refunds/123123123123",
                TS,
                NONCE,
                b"",
            )
            .unwrap();
        assert_eq!(
            s.authorization,
            format!(
                "WECHATPAY2-SHA256-RSA2048 mchid=\"1900007291\",nonce_str=\"{NONCE}\",\
                 signature=\"{GET_SIG}\",timestamp=\"1554208460\",\
                 serial_no=\"408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB\""
            )
        );
    }

    #[test]
    fn redaction_hides_only_the_signature() {
        let h = authorization("1", "N", "SIG+/=", 5, "AB");
        let r = redact_authorization(&h);
        assert!(!r.contains("SIG+/="));
        assert_eq!(r, h.replace("SIG+/=", "(redacted)"));
    }

    #[test]
    fn nonces_are_32_alphanumerics_and_differ() {
        let a = nonce().unwrap();
        let b = nonce().unwrap();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }
}
