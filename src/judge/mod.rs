//! Judging the final answer: verification, the error table, what an answer
//! means after an attempt that may have been processed — pure. Every
//! outcome is made by one `Judgement` constructor; nothing is patched after.

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

mod download;
pub mod recorded;
mod sign_diff;

pub use download::{
    download_error, download_refused, no_apiv3_key, no_certificates_dir, not_saved,
};
use sign_diff::sign_diff;

use crate::catalogue::codes;
use crate::catalogue::outcomes::{
    CERTIFICATE_NOT_VALID_EXPLANATION, CONFIRMED_EXPLANATION, NOT_ACCEPTED_EXPLANATION,
    PLATFORM_CERTIFICATE_EXPLANATION, PROBE_EXPLANATION, PUBLIC_KEY_NOT_CONFIGURED_EXPLANATION,
    UNEXPECTED_BODY_EXPLANATION, UNKNOWN_CERTIFICATE_EXPLANATION, UNKNOWN_EXPLANATION,
    UNSUPPORTED_TYPE_EXPLANATION, UNVERIFIED_CHECK, UNVERIFIED_EXPLANATION,
};
use crate::client::{Answer, ErrorBody, NetError};
use crate::escape;
use crate::report::Judgement;
use crate::request::ReturnRequest;
use crate::retry;
use crate::trust::Trust;
use crate::verify::{self, SignatureHeaders};

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
        let headers = SignatureHeaders::read(|name| answer.header(name));
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
        // A frequency limit: WeChat Pay did not accept this request; unknown
        // only when an earlier attempt may have been processed.
        let not_accepted = retry::rate_limited(answer) && !self.earlier_may_have_reached;
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
        let entries = codes::lookup(&wx.code, wx.message.as_deref());
        let mut notes = codes::lines(&entries);
        if wx.code == "SIGN_ERROR" {
            if let Some(detail) = &wx.detail {
                notes.extend(sign_diff(self.signed_message, detail));
            }
            notes.extend(clock_note(answer, self.now_unix));
        }
        (codes::one_line(&entries), notes)
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
