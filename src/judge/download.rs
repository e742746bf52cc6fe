//! What a failed platform-certificate download means, in the same terms as
//! a return's failures (exit 3, 4 or 5, or 2 for a profile that cannot
//! download).

use crate::catalogue::codes;
use crate::certs::aead::DecryptError;
use crate::certs::download::Refused;
use crate::client::Answer;
use crate::report::Judgement;

const NO_CERTIFICATES_EXPLANATION: &str = "该商户没有可用的平台证书：商户只使用微信支付公钥，或平台证书已过期。请在 profile 中使用 wechatpay_public_key_id 与 wechatpay_public_key_file。 \
     WeChat Pay has no usable platform certificate for this merchant: the merchant uses only the \
     WeChat Pay public key (微信支付公钥), or its platform certificates have expired. Use the public \
     key in the profile (wechatpay_public_key_id and wechatpay_public_key_file, from the merchant \
     platform: 账户中心 → API安全); this is not a failure of wxcoupon.";

const APIV3_KEY_EXPLANATION: &str = "平台证书无法用 APIv3 密钥解密：APIv3 密钥多半不对（商户平台 → 账户中心 → API安全 → 设置APIv3密钥），或应答被篡改。没有写入任何证书。 \
     The platform certificates do not decrypt under the APIv3 key: most likely the APIv3 key is \
     wrong (the one set in the merchant platform: 账户中心 → API安全 → APIv3密钥; apiv3_key_file or \
     WXCOUPON_APIV3_KEY), or the answer was tampered with. No certificate was written.";

const REFUSED_EXPLANATION: &str = "下载的平台证书没有通过校验，没有写入任何证书。 The downloaded platform certificates \
     did not pass the checks (the answer's signature, or a certificate against its entry), so no \
     certificate was written: something between wxcoupon and WeChat Pay may have changed the \
     answer. Try again; if it persists, report it with the Request-ID.";

/// A download answered with another status than 200.
pub fn download_error(answer: &Answer) -> Judgement {
    let wx = answer.error();
    let retried = crate::retry::retried(answer);
    match wx {
        Some(wx) if wx.code == "RESOURCE_NOT_EXISTS" && answer.status == 404 => {
            Judgement::rejected(
                wx,
                Some(NO_CERTIFICATES_EXPLANATION.into()),
                vec![NO_CERTIFICATES_EXPLANATION.into()],
            )
        }
        Some(wx) if (400..500).contains(&answer.status) && !retried => {
            let entries = codes::lookup(&wx.code, wx.message.as_deref());
            let (explanation, notes) = (codes::one_line(&entries), codes::lines(&entries));
            Judgement::rejected(wx, explanation, notes)
        }
        wx => {
            let message = wx.is_none().then(|| {
                format!(
                    "HTTP {} without a WeChat Pay error body (a gateway or proxy answered?): {}",
                    answer.status,
                    crate::escape::cut(&String::from_utf8_lossy(&answer.body))
                )
            });
            Judgement::unknown(
                wx,
                message,
                "下载没有得到明确的结果，可以重试。 The download got no definitive answer; run it again."
                    .into(),
            )
        }
    }
}

/// A 200 answer whose certificates or signature did not pass: nothing written.
pub fn download_refused(refused: &Refused) -> Judgement {
    let explanation = match refused {
        Refused::Decrypt {
            why: DecryptError::Tag,
            ..
        } => APIV3_KEY_EXPLANATION,
        _ => REFUSED_EXPLANATION,
    };
    Judgement::unverified(
        None,
        format!("platform certificates not saved: {refused}"),
        explanation,
    )
    .with_notes([explanation.to_string()])
}

/// A download without an APIv3 key.
pub fn no_apiv3_key() -> Judgement {
    Judgement::invalid(&anyhow::anyhow!(
        "downloading platform certificates needs the APIv3 key (APIv3密钥): set apiv3_key_file in \
         the profile, or WXCOUPON_APIV3_KEY"
    ))
}

/// A download for a profile without a certificates folder.
pub fn no_certificates_dir() -> Judgement {
    Judgement::invalid(&anyhow::anyhow!(
        "the profile has no platform_certificates_dir: name the folder to keep the platform \
         certificates in (e.g. platform_certificates_dir = \"wechatpay_certs\")"
    ))
}
