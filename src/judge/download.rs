//! What a failed platform-certificate download means, in the same terms as
//! a return's failures (exit 3, 4 or 5, or 2 for a profile that cannot
//! download).

use crate::catalogue::codes;
use crate::catalogue::outcomes::{
    APIV3_KEY_EXPLANATION, DOWNLOAD_SIGNED_BY_PUBLIC_KEY_EXPLANATION, DOWNLOAD_UNKNOWN_EXPLANATION,
    NO_CERTIFICATES_EXPLANATION, NOT_SAVED_EXPLANATION, REFUSED_EXPLANATION,
};
use crate::certs::aead::DecryptError;
use crate::certs::download::Refused;
use crate::client::Answer;
use crate::report::Judgement;
use crate::verify::Failure;

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
            Judgement::unknown(wx, message, DOWNLOAD_UNKNOWN_EXPLANATION.into())
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
        Refused::Signature(Failure::PublicKeyNotConfigured { .. }) => {
            DOWNLOAD_SIGNED_BY_PUBLIC_KEY_EXPLANATION
        }
        _ => REFUSED_EXPLANATION,
    };
    Judgement::unverified(
        None,
        format!("platform certificates not saved: {refused}"),
        explanation,
    )
    .with_notes([explanation.to_string()])
}

/// A verified download whose certificates could not be written (a full
/// disk, a folder that cannot be written): the request was sent, nothing is
/// kept, and running it again is safe.
pub fn not_saved(error: &anyhow::Error) -> Judgement {
    Judgement::unknown(
        None,
        Some(format!(
            "the platform certificates were downloaded and verified, but not saved: {error:#}"
        )),
        NOT_SAVED_EXPLANATION.into(),
    )
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
