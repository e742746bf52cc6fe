//! Judging the final answer: verification, the error table, what an answer
//! means after an attempt that may have been processed — pure. Every
//! outcome is made by one `Judgement` constructor; nothing is patched after.

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

mod download;
mod sign_diff;

pub use download::{download_error, download_refused, no_apiv3_key, no_certificates_dir};
use sign_diff::sign_diff;

use crate::client::{Answer, ErrorBody, NetError};
use crate::escape;
use crate::explain;
use crate::report::Judgement;
use crate::request::ReturnRequest;
use crate::retry;
use crate::trust::Trust;
use crate::verify::{self, SignatureHeaders};

const UNKNOWN_EXPLANATION: &str = "结果未知：退券可能已经成功，也可能没有。用同一个退券单号重试是安全的，不会重复退券。 \
     The outcome is unknown: the return may or may not have happened. Retrying with the same \
     request number is safe; it can never return the coupon twice.";

const NOT_ACCEPTED_EXPLANATION: &str = "微信支付没有受理这个请求（HTTP 429，请求过于频繁）：这次请求没有退券。稍后用同一个退券单号重试是安全的。 \
     WeChat Pay did not accept this request (HTTP 429, too many requests): it did not return the \
     coupon. Retrying later with the same request number is safe; it can never return the coupon \
     twice.";

const UNVERIFIED_EXPLANATION: &str = "应答验签失败，不能当作成功：退券可能已经成功，也可能没有。请检查 wechatpay_public_key_id 与 \
     wechatpay_public_key_file 是否与商户平台上的微信支付公钥一致、本机时钟是否准确、是否有代理改写了应答。 \
     The answer failed verification, so it is not a success: the return may or may not have \
     happened. Check that wechatpay_public_key_id and wechatpay_public_key_file match the WeChat \
     Pay public key shown on the merchant platform, that the local clock is right, and that no \
     proxy rewrites answers. Re-running with the same request number is safe.";

const UNEXPECTED_BODY_EXPLANATION: &str = "应答签名有效（确实来自微信支付），但内容不是本接口文档所述的格式：退券可能已经成功，也可能没有。\
     请查询券详情确认券状态，并附上 Request-ID 报告 wxcoupon 的问题。 \
     The answer's signature is valid, so it came from WeChat Pay, but its body is not what this API \
     documents: the return may or may not have happened. Query the coupon's details (查询券详情) to \
     be sure, and report this to wxcoupon with the Request-ID. Re-running with the same request \
     number is safe.";

const PLATFORM_CERTIFICATE_EXPLANATION: &str = "应答由微信支付平台证书签名，而不是微信支付公钥：该商户尚未在商户平台开启“切换为微信支付公钥”。\
     请在商户平台（账户中心 → API安全 → 微信支付公钥）完成切换，或在 profile 中配置平台证书（platform_certificates_dir 与 apiv3_key_file）。退券可能已经成功，也可能没有。 \
     The answer was signed by a WeChat Pay platform certificate, not by the WeChat Pay public key: \
     this merchant has not turned on the switch to the WeChat Pay public key in the merchant \
     platform, so WeChat Pay still signs with the certificate. Turn the switch on (账户中心 → \
     API安全 → 微信支付公钥), or give the profile platform certificates too \
     (platform_certificates_dir and apiv3_key_file, then `wxcoupon certificates download`). The \
     return may or may not have happened; re-running with the same request number (--resume) is \
     safe once either is done.";

const UNSUPPORTED_TYPE_EXPLANATION: &str = "应答使用了 wxcoupon 无法验证的签名算法，不能当作成功：退券可能已经成功，也可能没有。 \
     The answer is signed with an algorithm wxcoupon cannot check (it verifies \
     WECHATPAY2-SHA256-RSA2048, the RSA scheme), so it is not a success: the return may or may \
     not have happened. Query the coupon's details (查询券详情) to be sure.";

const UNVERIFIED_CHECK: &str = "check: wechatpay_public_key_id and wechatpay_public_key_file match the merchant platform's \
     WeChat Pay public key; the local clock; a proxy rewriting answers";

const PROBE_EXPLANATION: &str = "微信支付有时会故意返回错误的签名（探测，WECHATPAY/SIGNTEST/…），以检查客户端是否验签；其背后的请求很可能已被处理。\
     wxcoupon 已用同一退券单号重试一次，仍未能确认。请用下面的命令（--resume）重跑确认：不会重复退券。 \
     WeChat Pay sometimes answers with a deliberately invalid signature (a probe, \
     WECHATPAY/SIGNTEST/…) to check that clients verify answers; the request behind it may well \
     have been processed. wxcoupon tried once more with the same request number, which did not \
     confirm the return. Re-run with the command below (--resume) to confirm it: it can never \
     return the coupon twice.";

const UNKNOWN_CERTIFICATE_EXPLANATION: &str = "应答由一张本地没有的微信支付平台证书签名：请下载平台证书（wxcoupon certificates download，需要APIv3密钥），然后用同一退券单号重跑。退券可能已经成功，也可能没有。 \
     The answer was signed by a WeChat Pay platform certificate that is not in \
     platform_certificates_dir: download the certificates (`wxcoupon certificates download`, \
     which needs the APIv3 key: apiv3_key_file or WXCOUPON_APIV3_KEY), then re-run with the same \
     request number (--resume). The return may or may not have happened.";

const CERTIFICATE_NOT_VALID_EXPLANATION: &str = "应答由一张在应答时间已过期或尚未生效的平台证书签名，不能当作成功：请下载当前的平台证书后用同一退券单号重跑。 \
     The answer was signed by a platform certificate that was expired or not yet valid at the \
     answer's time, so it is not a success: download the current certificates (`wxcoupon \
     certificates download`) and re-run with the same request number (--resume). The return may or \
     may not have happened.";

const PUBLIC_KEY_NOT_CONFIGURED_EXPLANATION: &str = "应答由微信支付公钥签名，但该 profile 只配置了平台证书：商户已切换为微信支付公钥。请在 profile 中加上 wechatpay_public_key_id 与 wechatpay_public_key_file。 \
     The answer was signed by the WeChat Pay public key, but the profile has only platform \
     certificates: the merchant has switched to the public key. Add wechatpay_public_key_id and \
     wechatpay_public_key_file (pub_key.pem, from the merchant platform) to the profile, then \
     re-run with the same request number (--resume). The return may or may not have happened.";

/// What an answer that failed verification means, for the JSON `explanation`.
fn unverified_explanation(failure: &verify::Failure) -> &'static str {
    match failure {
        verify::Failure::Probe => PROBE_EXPLANATION,
        verify::Failure::PlatformCertificate { .. } => PLATFORM_CERTIFICATE_EXPLANATION,
        verify::Failure::UnknownCertificate { .. } => UNKNOWN_CERTIFICATE_EXPLANATION,
        verify::Failure::CertificateNotValid { .. } => CERTIFICATE_NOT_VALID_EXPLANATION,
        verify::Failure::PublicKeyNotConfigured { .. } => PUBLIC_KEY_NOT_CONFIGURED_EXPLANATION,
        verify::Failure::UnsupportedType(_) => UNSUPPORTED_TYPE_EXPLANATION,
        _ => UNVERIFIED_EXPLANATION,
    }
}

/// The things to check by hand, when they can be the cause.
fn unverified_check(failure: &verify::Failure) -> Option<&'static str> {
    match failure {
        verify::Failure::PlatformCertificate { .. }
        | verify::Failure::UnknownCertificate { .. }
        | verify::Failure::CertificateNotValid { .. }
        | verify::Failure::PublicKeyNotConfigured { .. }
        | verify::Failure::UnsupportedType(_)
        | verify::Failure::Probe => None,
        _ => Some(UNVERIFIED_CHECK),
    }
}

const CONFIRMED_EXPLANATION: &str = "已退券：之前用同一退券单号发出的请求已被处理（微信支付答复 RESOURCE_ALREADY_EXISTS）。 \
     Returned: an earlier request with this same request number was processed \
     (WeChat Pay answers RESOURCE_ALREADY_EXISTS); no return time is known.";

/// What judging an answer needs besides the answer.
pub struct Judge<'a> {
    pub request: &'a ReturnRequest,
    /// Who may sign the answer.
    pub trust: &'a Trust,
    pub now_unix: i64,
    /// The exact message wxcoupon signed, for SIGN_ERROR comparisons.
    pub signed_message: &'a [u8],
    /// An earlier attempt (of this run, or of an earlier run: `--resume`) may
    /// have been processed.
    pub earlier_may_have_reached: bool,
}

/// No answer at all: a network failure on the last attempt.
pub fn network(error: &NetError) -> Judgement {
    Judgement::unknown(None, Some(error.what.clone()), UNKNOWN_EXPLANATION.into())
}

impl Judge<'_> {
    pub fn judge(&self, answer: &Answer) -> Judgement {
        match answer.status {
            202 => Judgement::unknown(
                None,
                Some(
                    "WeChat Pay accepted the request but has not processed it yet (HTTP 202)"
                        .into(),
                ),
                UNKNOWN_EXPLANATION.into(),
            ),
            200..=299 => self.judge_success(answer),
            status => self.judge_error(answer, status),
        }
    }

    fn check_signature(&self, answer: &Answer) -> Result<(), verify::Failure> {
        let headers = SignatureHeaders {
            timestamp: answer.header("Wechatpay-Timestamp"),
            nonce: answer.header("Wechatpay-Nonce"),
            signature: answer.header("Wechatpay-Signature"),
            serial: answer.header("Wechatpay-Serial"),
            signature_type: answer.header("Wechatpay-Signature-Type"),
        };
        verify::answer(
            &headers,
            &answer.body,
            |serial, at| self.trust.key_for(serial, at),
            self.now_unix,
        )
    }

    fn judge_success(&self, answer: &Answer) -> Judgement {
        if let Err(failure) = self.check_signature(answer) {
            let clock = match failure {
                verify::Failure::Stale { .. } => clock_note(answer, self.now_unix),
                _ => None,
            };
            return Judgement::unverified(
                None,
                format!("answer not verified: {failure}"),
                unverified_explanation(&failure),
            )
            .with_notes(
                clock
                    .into_iter()
                    .chain(unverified_check(&failure).map(String::from)),
            );
        }
        match return_time(&answer.body) {
            Some(t) => Judgement::returned(t),
            None => Judgement::unverified(
                None,
                format!(
                    "the answer's signature is valid, but its body is not the documented \
                     {{\"wechatpay_return_time\": RFC 3339}}: {}",
                    snippet(&answer.body)
                ),
                UNEXPECTED_BODY_EXPLANATION,
            ),
        }
    }

    fn judge_error(&self, answer: &Answer, status: u16) -> Judgement {
        let wx = answer.error();
        if self.earlier_may_have_reached
            && let Some(wx) = &wx
        {
            if wx.code == "RESOURCE_ALREADY_EXISTS" {
                return self.confirmed_by_retry(answer, wx);
            }
            // Only the documented "outside its validity period" is still a
            // rejection: any other RULE_LIMIT may be the coupon's new state,
            // caused by our own earlier attempt.
            if wx.code == "RULE_LIMIT"
                && !wx
                    .message
                    .as_deref()
                    .is_some_and(|m| m.contains(EXPIRED_MESSAGE))
            {
                return Judgement::unknown(Some(wx.clone()), None, RULE_LIMIT_AFTER_SEND.into())
                    .with_notes([RULE_LIMIT_AFTER_SEND.to_string()]);
            }
        }
        let rejected =
            matches!(status, 400 | 401 | 403 | 404) && wx.is_some() && !retry::retried(answer);
        let (explanation, notes) = match &wx {
            Some(wx) => self.explain_error(answer, wx),
            None => (None, Vec::new()),
        };
        if let (true, Some(wx)) = (rejected, wx.clone()) {
            return Judgement::rejected(wx, explanation, notes);
        }
        // 429: WeChat Pay did not accept this request; unknown only when an
        // earlier attempt may have been processed.
        let not_accepted = status == 429 && !self.earlier_may_have_reached;
        let words = if not_accepted {
            NOT_ACCEPTED_EXPLANATION
        } else {
            UNKNOWN_EXPLANATION
        };
        let message = wx.is_none().then(|| {
            format!(
                "HTTP {status} without a WeChat Pay error body (a gateway or proxy answered?): {}",
                snippet(&answer.body)
            )
        });
        let j = Judgement::unknown(wx, message, explanation.unwrap_or_else(|| words.into()))
            .with_notes(std::iter::once(words.to_string()).chain(notes));
        if not_accepted { j.not_accepted() } else { j }
    }

    /// The catalogue's explanation of a WeChat Pay error, and the lines for
    /// people: its meanings, and for SIGN_ERROR the comparison and the clock.
    fn explain_error(&self, answer: &Answer, wx: &ErrorBody) -> (Option<String>, Vec<String>) {
        let entries = explain::lookup(&wx.code, wx.message.as_deref());
        let mut notes = explain::lines(&entries);
        if wx.code == "SIGN_ERROR" {
            if let Some(detail) = &wx.detail {
                notes.extend(sign_diff(self.signed_message, detail));
            }
            notes.extend(clock_note(answer, self.now_unix));
        }
        (explain::one_line(&entries), notes)
    }

    /// `RESOURCE_ALREADY_EXISTS` for this very request number, after an
    /// attempt that may have been processed: the return happened — provided
    /// the answer itself is verified, since it is reported as a success.
    fn confirmed_by_retry(&self, answer: &Answer, wx: &ErrorBody) -> Judgement {
        if let Err(failure) = self.check_signature(answer) {
            return Judgement::unverified(
                Some(wx.code.clone()),
                format!(
                    "RESOURCE_ALREADY_EXISTS would confirm that an earlier attempt returned the coupon, \
                     but the answer is not verified: {failure}"
                ),
                unverified_explanation(&failure),
            )
            .with_notes(unverified_check(&failure).map(String::from));
        }
        Judgement::confirmed(
            wx,
            CONFIRMED_EXPLANATION,
            format!(
                "confirmed by retry: an earlier attempt with request number {} may have reached WeChat Pay, \
                 and WeChat Pay now answers RESOURCE_ALREADY_EXISTS (已使用过此单号退券) for this same \
                 number: that earlier attempt returned the coupon. WeChat Pay did not repeat the return \
                 time, so none is printed.",
                self.request.return_request_no
            ),
        )
    }
}

/// The one RULE_LIMIT message that is a rejection even after an attempt
/// that may have been processed.
const EXPIRED_MESSAGE: &str = "券已不在使用有效期";

const RULE_LIMIT_AFTER_SEND: &str = "微信支付答复 RULE_LIMIT（券不是“已核销”状态），而之前的一次请求可能已被处理（或使用了 --resume）。\
     两种可能：之前的请求已经退回了这张券（券已回到用户卡包，无需再做什么）；或者之前的请求从未到达微信支付，而这张券本来就不是已核销状态（无需退券），\
     此时重跑会一直得到同样的答复。请查询券详情或在商户平台确认券状态；如果券是可用的（SENDED），请把这次退券从重试队列中去掉。 \
     WeChat Pay answers RULE_LIMIT (the coupon is not in state USED), but an earlier attempt may \
     have been processed (or --resume says an earlier run may have sent this return). Either an \
     earlier attempt returned the coupon (it is back in the user's wallet and nothing more is \
     needed), or no earlier attempt ever reached WeChat Pay and the coupon was not USED to begin \
     with (there is nothing to return), in which case re-running will keep getting this answer. \
     Query the coupon's details (查询券详情) or check the merchant platform: if the coupon is \
     usable (SENDED), the return is done or was never needed; take it off your retry queue.";

/// The start of a body for a message (see `escape::cut`).
fn snippet(body: &[u8]) -> String {
    escape::cut(&String::from_utf8_lossy(body))
}

/// The `wechatpay_return_time` of a 200 body, when it is an RFC 3339 time.
fn return_time(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let t = v.get("wechatpay_return_time")?.as_str()?;
    OffsetDateTime::parse(t, &Rfc3339).ok()?;
    Some(t.to_string())
}

/// The offset between the local clock and the server's `Date` header.
fn clock_note(answer: &Answer, now_unix: i64) -> Option<String> {
    let date = answer.header("Date")?;
    let server = crate::http_date::parse(date)?.unix_timestamp();
    let offset = now_unix.saturating_sub(server);
    let side = if offset >= 0 { "ahead of" } else { "behind" };
    Some(format!(
        "clock: the local clock is {} s {side} the server's Date header ({}); \
         WeChat Pay allows 5 minutes",
        offset.unsigned_abs(),
        escape::term(date)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn snippets_are_folded_and_cut_with_the_size() {
        assert_eq!(
            snippet(b"<html>\n  <b>Bad   Gateway</b>\n</html>\n"),
            "<html> <b>Bad Gateway</b> </html>"
        );
        let long = "x".repeat(300);
        assert_eq!(
            snippet(long.as_bytes()),
            format!("{}… (300 bytes in all)", "x".repeat(200))
        );
        assert_eq!(snippet(b""), "(empty)");
    }

    #[test]
    fn return_time_accepts_seconds_and_milliseconds_only_as_rfc3339() {
        for t in ["2020-05-20T13:29:35+08:00", "2020-05-20T13:29:35.120+08:00"] {
            let body = json!({ "wechatpay_return_time": t }).to_string();
            assert_eq!(return_time(body.as_bytes()).as_deref(), Some(t));
        }
        assert_eq!(
            return_time(br#"{"wechatpay_return_time":"yesterday"}"#),
            None
        );
        assert_eq!(return_time(br#"{"other":1}"#), None);
        assert_eq!(return_time(b"<html>"), None);
    }
}
