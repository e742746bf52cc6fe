//! Who the emulator believes the caller is (the merchant: its mchid, its
//! certificate's serial, its public key), and who it is itself (the WeChat
//! Pay key and the platform that sign its answers, as WeChat Pay does).

use super::platform::{Platform, Signer};
use super::samples::{EMULATOR_KEY_ID, SAMPLE_WECHATPAY_KEY};
use crate::keys::{PrivateKey, PublicKey};
use crate::sign;

/// Who the emulator believes the caller is, and who it is itself.
pub struct Identity {
    pub mchid: String,
    pub merchant_serial_no: String,
    pub merchant_public_key: PublicKey,
    pub wechatpay_key: PrivateKey,
    pub wechatpay_key_id: String,
    /// Which key signs answers, and the platform certificates.
    pub platform: Platform,
}

impl Identity {
    /// The emulator's identity for this merchant, signing with the sample WeChat Pay key.
    pub fn with_sample_wechatpay_key(
        mchid: &str,
        serial: &str,
        merchant_key: &PrivateKey,
    ) -> anyhow::Result<Self> {
        Ok(Identity {
            mchid: mchid.into(),
            merchant_serial_no: serial.into(),
            merchant_public_key: PublicKey::from_pkcs1_der(merchant_key.public_der())?,
            wechatpay_key: PrivateKey::from_pem(SAMPLE_WECHATPAY_KEY.as_bytes())?,
            wechatpay_key_id: EMULATOR_KEY_ID.into(),
            platform: Platform::sample(Signer::PublicKey)?,
        })
    }
}

/// The headers that sign an answer, as WeChat Pay sends them.
pub fn signature_headers(
    id: &Identity,
    body: &[u8],
    now_unix: i64,
) -> anyhow::Result<Vec<(String, String)>> {
    let nonce = sign::random_alphanumeric(32)?;
    let ts = now_unix.to_string();
    let (key, serial) = id
        .platform
        .next_signer((&id.wechatpay_key, &id.wechatpay_key_id));
    let signature = key.sign_base64(&crate::verify::message(&ts, &nonce, body))?;
    Ok(vec![
        ("Wechatpay-Timestamp".into(), ts),
        ("Wechatpay-Nonce".into(), nonce),
        ("Wechatpay-Signature".into(), signature),
        ("Wechatpay-Serial".into(), serial.to_string()),
        ("Wechatpay-Signature-Type".into(), sign::SCHEME.into()),
    ])
}
