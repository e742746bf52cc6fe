//! The sample merchant and the emulated WeChat Pay's sample material: keys,
//! ids, platform certificates, the APIv3 key, and the coupons that exist when
//! no `--coupons FILE` is given. All labelled as samples; none is real.

use super::ledger::{Coupon, State};

/// The sample keys: labelled as such inside the source files (text before the
/// PEM block), and sign nothing real. Files written for other tools hold only
/// the PEM block: see [`pem_block`].
pub const SAMPLE_MERCHANT_KEY: &str = include_str!("sample_merchant_key.pem");
pub const SAMPLE_WECHATPAY_KEY: &str = include_str!("sample_wechatpay_key.pem");
pub const SAMPLE_WECHATPAY_PUB: &str = include_str!("sample_wechatpay_pub.pem");
pub const SAMPLE_MCHID: &str = "1230000109";
pub const SAMPLE_SERIAL: &str = "3775B6A45ACD588826D15E583A95F5DD2C3A8E0A";
/// The emulator's WeChat Pay public key id: obviously not a real one.
pub const EMULATOR_KEY_ID: &str = "PUB_KEY_ID_0000000000000000000000000000000001";
pub const SAMPLE_STOCK: &str = "9856000";

/// Sample platform certificates and their keys: labelled as such inside the
/// files, and sign nothing real.
pub(super) const SAMPLE_PLATFORM: [(&str, &str); 2] = [
    (
        include_str!("sample_platform_cert_1.pem"),
        include_str!("sample_platform_key_1.pem"),
    ),
    (
        include_str!("sample_platform_cert_2.pem"),
        include_str!("sample_platform_key_2.pem"),
    ),
];

/// The emulator's sample APIv3 key (32 characters): it protects nothing real.
pub const SAMPLE_APIV3_KEY: &str = "wxcouponEmulatorApiV3SampleKey32";

/// `text` from its first `-----BEGIN` on: plain PEM, without the label in
/// front, which some SDKs (e.g. PyPI wechatpayv3) refuse.
pub fn pem_block(text: &str) -> &str {
    text.find("-----BEGIN").map_or(text, |at| &text[at..])
}

/// The coupons that exist when no `--coupons FILE` is given.
pub fn sample_coupons() -> Vec<Coupon> {
    let c = |code: &str, state, mchid: Option<&str>| Coupon {
        coupon_code: code.into(),
        stock_id: SAMPLE_STOCK.into(),
        state,
        mchid: mchid.map(str::to_string),
    };
    vec![
        c("COUPON-USED-1", State::Used, None),
        c("COUPON-USED-2", State::Used, None),
        c("COUPON-USED-3", State::Used, None),
        c("COUPON-AVAILABLE", State::Sended, None),
        c("COUPON-EXPIRED", State::Expired, None),
        c("COUPON-DELETED", State::Deleted, None),
        c("COUPON-DEACTIVATED", State::Deactivated, None),
        c("COUPON-OTHER-MERCHANT", State::Used, Some("1900000999")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_keys_are_labelled_and_parse() {
        for pem in [
            SAMPLE_MERCHANT_KEY,
            SAMPLE_WECHATPAY_KEY,
            SAMPLE_WECHATPAY_PUB,
        ] {
            assert!(pem.starts_with("SAMPLE KEY"), "unlabelled sample key");
            assert!(pem.contains("signs nothing real"));
        }
        for pem in [SAMPLE_MERCHANT_KEY, SAMPLE_WECHATPAY_PUB] {
            let plain = pem_block(pem);
            assert!(plain.starts_with("-----BEGIN "));
            assert!(!plain.contains("SAMPLE KEY"));
        }
        crate::keys::PrivateKey::from_pem(pem_block(SAMPLE_MERCHANT_KEY).as_bytes()).unwrap();
        crate::keys::PublicKey::from_pem(pem_block(SAMPLE_WECHATPAY_PUB).as_bytes()).unwrap();
        crate::keys::PrivateKey::from_pem(SAMPLE_MERCHANT_KEY.as_bytes()).unwrap();
        let k = crate::keys::PrivateKey::from_pem(SAMPLE_WECHATPAY_KEY.as_bytes()).unwrap();
        let p = crate::keys::PublicKey::from_pem(SAMPLE_WECHATPAY_PUB.as_bytes()).unwrap();
        let sig = k.sign_base64(b"m").unwrap();
        assert!(crate::verify::signature(&p, "m", "", b"", &sig).is_err());
        let msg = crate::verify::message("1", "n", b"b");
        let sig = k.sign_base64(&msg).unwrap();
        assert!(crate::verify::signature(&p, "1", "n", b"b", &sig).is_ok());
    }
}
