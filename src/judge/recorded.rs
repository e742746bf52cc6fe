//! What a batch journal recorded of a row, judged again on a re-run: the
//! row carries the code, message and explanation a live row carried. The
//! explanation is said again from the catalogue (`codes::lookup` and
//! `one_line`, as for a live answer), so the journal keeps it only where
//! the catalogue cannot give it again (`kept_explanation`).

use crate::catalogue::codes;
use crate::catalogue::outcomes::CONFIRMED_EXPLANATION;
use crate::exit::Kind;
use crate::report::Judgement;

/// WeChat Pay's message as a journal has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message<'a> {
    /// Recorded: the message, or none when the answer had none.
    Recorded(Option<&'a str>),
    /// A journal written before outcomes kept their message.
    NotRecorded,
}

/// The explanation the catalogue gives of an outcome with this code and
/// message, as `judge` gives it for a live answer: a rejection's from the
/// code and message, a return confirmed by retry the confirmation's. None
/// for what the catalogue cannot say again (an unverified answer's
/// explanation comes from how its verification failed). Without the
/// message (an old journal), a code is explained only when it has one
/// meaning: a code of several (RULE_LIMIT: usable, or expired) cannot be
/// told apart without it.
pub fn catalogue_explanation(
    outcome: Kind,
    code: Option<&str>,
    message: Message<'_>,
    confirmed_by_retry: bool,
) -> Option<String> {
    match outcome {
        Kind::Returned if confirmed_by_retry => Some(CONFIRMED_EXPLANATION.to_string()),
        Kind::Rejected => {
            let code = code?;
            match message {
                Message::Recorded(m) => codes::one_line(&codes::lookup(code, m)),
                Message::NotRecorded => {
                    let all = codes::meanings(code);
                    (all.len() == 1).then(|| codes::one_line(&all)).flatten()
                }
            }
        }
        _ => None,
    }
}

/// What a journal must keep of a live row's explanation, given the
/// message it keeps: none when the catalogue gives it again from the row's
/// code and that message, nor for an unknown outcome (its row is resumed,
/// never settled from the journal).
pub fn kept_explanation(j: &Judgement, message: Option<&str>) -> Option<String> {
    if j.outcome == Kind::Unknown {
        return None;
    }
    let again = catalogue_explanation(
        j.outcome,
        j.code.as_deref(),
        Message::Recorded(message),
        j.confirmed_by_retry,
    );
    j.explanation.clone().filter(|e| Some(e) != again.as_ref())
}

/// What one `outcome` record says of a row.
pub struct Recorded<'a> {
    pub outcome: Kind,
    pub code: Option<&'a str>,
    pub message: Message<'a>,
    /// The explanation the journal kept (`kept_explanation`).
    pub explanation: Option<&'a str>,
    pub wechatpay_return_time: Option<&'a str>,
    pub confirmed_by_retry: bool,
}

/// The judgement of a row settled from its journal record: the code,
/// message and explanation a live row of that outcome carried.
pub fn recorded(r: &Recorded<'_>) -> Judgement {
    let message = match r.message {
        Message::Recorded(m) => m,
        Message::NotRecorded => None,
    };
    let explanation = r
        .explanation
        .map(String::from)
        .or_else(|| catalogue_explanation(r.outcome, r.code, r.message, r.confirmed_by_retry));
    Judgement::recorded(
        r.outcome,
        r.code.map(String::from),
        message.map(String::from),
        explanation,
        r.wechatpay_return_time.map(String::from),
        r.confirmed_by_retry,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_limit_is_told_apart_by_its_message_and_without_one_not_at_all() {
        let usable = catalogue_explanation(
            Kind::Rejected,
            Some("RULE_LIMIT"),
            Message::Recorded(Some("券当前是可用的")),
            false,
        )
        .unwrap();
        let expired = catalogue_explanation(
            Kind::Rejected,
            Some("RULE_LIMIT"),
            Message::Recorded(Some("券已不在使用有效期")),
            false,
        )
        .unwrap();
        assert!(usable.contains("usable") && expired.contains("validity"));
        let old = Message::NotRecorded;
        assert_eq!(
            catalogue_explanation(Kind::Rejected, Some("RULE_LIMIT"), old, false),
            None,
            "several meanings, no message"
        );
        let one = codes::meanings("MCH_NOT_EXISTS");
        assert_eq!(one.len(), 1);
        assert_eq!(
            catalogue_explanation(Kind::Rejected, Some("MCH_NOT_EXISTS"), old, false),
            codes::one_line(&one)
        );
    }

    #[test]
    fn the_journal_keeps_only_the_explanations_the_catalogue_cannot_give_again() {
        let wx = crate::client::ErrorBody {
            code: "RESOURCE_NOT_EXISTS".into(),
            message: Some("券不存在".into()),
            detail: None,
        };
        let e = codes::one_line(&codes::lookup(&wx.code, wx.message.as_deref()));
        let rejected = Judgement::rejected(wx, e.clone(), Vec::new());
        assert_eq!(kept_explanation(&rejected, Some("券不存在")), None);
        let again = recorded(&Recorded {
            outcome: Kind::Rejected,
            code: Some("RESOURCE_NOT_EXISTS"),
            message: Message::Recorded(Some("券不存在")),
            explanation: None,
            wechatpay_return_time: None,
            confirmed_by_retry: false,
        });
        assert_eq!(
            (
                again.code.as_deref(),
                again.message.as_deref(),
                again.explanation
            ),
            (Some("RESOURCE_NOT_EXISTS"), Some("券不存在"), e)
        );
        let unverified = Judgement::unverified(None, "answer not verified".into(), "why");
        assert_eq!(kept_explanation(&unverified, None).as_deref(), Some("why"));
    }
}
