//! Attempts, retries and the backup domain. Every attempt carries the same
//! request number and body (the caller signs each one afresh), so a retry can
//! never return a coupon twice. Retry decisions use only the HTTP status or
//! the network failure; judging the final answer is `outcome`'s job.

use std::time::Duration;

use time::OffsetDateTime;

use crate::client::{Answer, NetError};
use crate::url::BaseUrl;

/// First backoff, before jitter.
pub const BASE_DELAY: Duration = Duration::from_millis(500);
/// No backoff is longer than this.
pub const MAX_DELAY: Duration = Duration::from_secs(8);
/// A `Retry-After` longer than this is cut to it.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// The error code in an answer's body, upper-cased, when it has one.
fn code(answer: &Answer) -> Option<String> {
    answer.error().map(|e| e.code.to_ascii_uppercase())
}

/// The codes WeChat Pay answers a frequency limit with, besides HTTP 429
/// (the Go SDK's generated APIs spell one without its D).
const RATE_LIMIT_CODES: &[&str] = &[
    "RATELIMIT_EXCEEDED",
    "RATELIMIT_EXCEED",
    "FREQUENCY_LIMITED",
    "FREQUENCY_LIMIT_EXCEED",
    "RATE_LIMITED",
];

/// A frequency limit: "not accepted, nothing happened". HTTP 429, one of
/// `RATE_LIMIT_CODES` at any status, or (for the coupon APIs) a 400
/// `INVALID_REQUEST` whose message speaks of the frequency (调用频率过高).
pub fn rate_limited(answer: &Answer) -> bool {
    if answer.status == 429 {
        return true;
    }
    let Some(wx) = answer.error() else {
        return false;
    };
    let code = wx.code.to_ascii_uppercase();
    RATE_LIMIT_CODES.contains(&code.as_str())
        || (answer.status == 400
            && code == "INVALID_REQUEST"
            && wx.message.as_deref().is_some_and(|m| m.contains("频率")))
}

/// Answers that carry no result and are retried with the same request:
/// 202, 500, 502, 503, 504; a frequency limit (`rate_limited`); `400
/// SYSTEM_ERROR` (for these APIs, "retry with the same parameters"); `501
/// SERVICE_UNAVAILABLE`.
pub fn retried(answer: &Answer) -> bool {
    match answer.status {
        202 | 500 | 502 | 503 | 504 => true,
        _ if rate_limited(answer) => true,
        400 => matches!(
            code(answer).as_deref(),
            Some("SYSTEM_ERROR" | "SYSTEMERROR")
        ),
        501 => code(answer).as_deref() == Some("SERVICE_UNAVAILABLE"),
        _ => false,
    }
}

/// Retried answers after which the request may have been processed: all of
/// them but a frequency limit, which says the request was not accepted.
pub fn may_have_reached(answer: &Answer) -> bool {
    retried(answer) && !rate_limited(answer)
}

/// Exponential backoff: 0.5 s, 1 s, 2 s, … capped at 8 s, each scaled by a
/// jitter factor from 0.75 to 1.25 (`jitter` in [0, 1)).
pub fn backoff(failures: u32, jitter: f64) -> Duration {
    let exp = BASE_DELAY.saturating_mul(1u32 << failures.saturating_sub(1).min(16));
    exp.min(MAX_DELAY)
        .mul_f64(0.75 + 0.5 * jitter.clamp(0.0, 1.0))
}

/// The longest a run of attempts (`run` with `retries`) may take: each
/// attempt at most `timeout` (a whole request, connecting included), each
/// wait between them at most the longer of a backoff (jitter included) and
/// a `Retry-After`.
pub fn longest(retries: u32, timeout: Duration) -> Duration {
    let wait = MAX_DELAY.mul_f64(1.25).max(MAX_RETRY_AFTER);
    timeout.saturating_mul(retries + 1) + wait.saturating_mul(retries)
}

/// `Retry-After`: delay-seconds or an HTTP date, capped.
pub fn retry_after(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    let delay = match value.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        // Seconds too many for a u64 are still "a long time": the cap.
        Err(_) if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => MAX_RETRY_AFTER,
        Err(_) => {
            let at = crate::http_date::parse(value)?;
            let secs = (at - now).whole_seconds().max(0) as u64;
            Duration::from_secs(secs)
        }
    };
    Some(delay.min(MAX_RETRY_AFTER))
}

/// How the attempts went.
pub struct Final {
    pub result: Result<Answer, NetError>,
    pub attempts: u32,
    /// Whether an attempt before the final one may have been processed.
    pub earlier_may_have_reached: bool,
    /// The origin that gave the final result.
    pub host: BaseUrl,
}

/// The side effects a run of attempts needs, so that the loop is testable.
pub trait Effects {
    fn send(&mut self, to: &BaseUrl, attempt: u32) -> Result<Answer, NetError>;
    fn sleep(&mut self, d: Duration);
    fn jitter(&mut self) -> f64;
    fn now(&mut self) -> OffsetDateTime;
    fn trace(&mut self, line: String);
}

/// Traces an attempt. For one that gave no result: why, how long to wait at
/// least, and whether to switch domains; `None` for a final answer.
fn no_result(
    result: &Result<Answer, NetError>,
    label: &str,
    has_backup: bool,
    fx: &mut impl Effects,
) -> Option<(String, Duration, bool)> {
    match result {
        Err(e) => {
            fx.trace(format!(
                "{label}: no answer after {} ms: {}",
                e.elapsed.as_millis(),
                e.what
            ));
            Some(("network failure".to_string(), Duration::ZERO, has_backup))
        }
        Ok(a) => {
            fx.trace(format!(
                "{label}: HTTP {} in {} ms, Request-ID {}",
                a.status,
                a.elapsed.as_millis(),
                a.header("Request-ID").unwrap_or("(none)")
            ));
            if !retried(a) {
                fx.trace(format!("stopping: HTTP {} is a final answer", a.status));
                return None;
            }
            let after = a
                .header("Retry-After")
                .and_then(|v| retry_after(v, fx.now()))
                .unwrap_or_default();
            Some((format!("HTTP {} carries no result", a.status), after, false))
        }
    }
}

pub fn run(
    retries: u32,
    primary: &BaseUrl,
    backup: Option<&BaseUrl>,
    already_sent: bool,
    fx: &mut impl Effects,
) -> Final {
    let total = retries + 1;
    let mut reached = already_sent;
    let mut host = primary.clone();
    let mut failures = 0;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = fx.send(&host, attempt);
        let last = attempt == total;
        let label = format!("attempt {attempt}/{total} to {host}");
        let Some((why, wait_at_least, switch)) = no_result(&result, &label, backup.is_some(), fx)
        else {
            return Final {
                result,
                attempts: attempt,
                earlier_may_have_reached: reached,
                host,
            };
        };
        if last {
            fx.trace(format!("stopping: {why}, and no retries are left"));
            return Final {
                result,
                attempts: attempt,
                earlier_may_have_reached: reached,
                host,
            };
        }
        reached |= match &result {
            Err(e) => e.may_have_reached,
            Ok(a) => may_have_reached(a),
        };
        failures += 1;
        let jitter = fx.jitter();
        let delay = backoff(failures, jitter).max(wait_at_least);
        if switch && let Some(b) = backup {
            host = if host == *primary {
                b.clone()
            } else {
                primary.clone()
            };
        }
        fx.trace(format!(
            "retrying in {:.1} s: {why}; next attempt to {host}, same request number",
            delay.as_secs_f64()
        ));
        fx.sleep(delay);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use ureq::http::HeaderMap;

    #[test]
    fn backoff_starts_near_half_a_second_and_is_capped() {
        assert_eq!(backoff(1, 0.5), Duration::from_millis(500));
        assert_eq!(backoff(2, 0.5), Duration::from_secs(1));
        assert_eq!(backoff(3, 0.5), Duration::from_secs(2));
        assert_eq!(backoff(10, 0.5), MAX_DELAY);
        assert_eq!(backoff(100, 0.5), MAX_DELAY);
        assert_eq!(backoff(1, 0.0), Duration::from_millis(375));
        assert_eq!(backoff(1, 1.0), Duration::from_millis(625));
        assert_eq!(
            longest(3, Duration::from_secs(10)),
            Duration::from_secs(4 * 10 + 3 * 30)
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_dates_and_is_capped() {
        let now = OffsetDateTime::from_unix_timestamp(1_445_412_480).unwrap(); // Wed, 21 Oct 2015 07:28:00 GMT
        assert_eq!(retry_after("2", now), Some(Duration::from_secs(2)));
        assert_eq!(retry_after("3600", now), Some(MAX_RETRY_AFTER));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(retry_after("soon", now), None);
        // Too large for a u64, or far in the future: the cap, like any long wait.
        assert_eq!(
            retry_after("99999999999999999999", now),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(
            retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(retry_after("-5", now), None);
    }

    struct Script {
        answers: VecDeque<Result<(u16, &'static str), bool>>,
        sent_to: Vec<String>,
        slept: Vec<Duration>,
    }

    impl Effects for Script {
        fn send(&mut self, to: &BaseUrl, _attempt: u32) -> Result<Answer, NetError> {
            self.sent_to.push(to.origin.clone());
            match self.answers.pop_front().unwrap() {
                Ok((status, body)) => Ok(Answer {
                    status,
                    headers: HeaderMap::new(),
                    body: body.as_bytes().to_vec(),
                    elapsed: Duration::ZERO,
                }),
                Err(reached) => Err(NetError {
                    what: "boom".into(),
                    may_have_reached: reached,
                    elapsed: Duration::ZERO,
                }),
            }
        }
        fn sleep(&mut self, d: Duration) {
            self.slept.push(d);
        }
        fn jitter(&mut self) -> f64 {
            0.5
        }
        fn now(&mut self) -> OffsetDateTime {
            OffsetDateTime::UNIX_EPOCH
        }
        fn trace(&mut self, _line: String) {}
    }

    fn script(answers: Vec<Result<u16, bool>>) -> Script {
        with_bodies(answers.into_iter().map(|a| a.map(|s| (s, ""))).collect())
    }

    fn with_bodies(answers: Vec<Result<(u16, &'static str), bool>>) -> Script {
        Script {
            answers: answers.into(),
            sent_to: Vec::new(),
            slept: Vec::new(),
        }
    }

    fn url(s: &str) -> BaseUrl {
        BaseUrl::parse(s).unwrap()
    }

    #[test]
    fn final_answers_stop_at_once() {
        let mut s = script(vec![Ok(403)]);
        let f = run(2, &url("https://a"), None, false, &mut s);
        assert_eq!(f.attempts, 1);
        assert!(s.slept.is_empty());
    }

    #[test]
    fn retried_statuses_run_out_after_retries_plus_one() {
        let mut s = script(vec![Ok(500), Ok(503), Ok(502)]);
        let f = run(2, &url("https://a"), Some(&url("https://b")), false, &mut s);
        assert_eq!(f.attempts, 3);
        assert!(f.earlier_may_have_reached);
        assert_eq!(
            s.sent_to, ["https://a"; 3],
            "HTTP answers never switch domains"
        );
        assert_eq!(
            s.slept,
            [Duration::from_millis(500), Duration::from_secs(1)]
        );
    }

    #[test]
    fn network_failures_switch_to_the_backup_and_back() {
        let mut s = script(vec![Err(false), Err(false), Ok(200)]);
        let f = run(2, &url("https://a"), Some(&url("https://b")), false, &mut s);
        assert_eq!(s.sent_to, ["https://a", "https://b", "https://a"]);
        assert_eq!(f.host.origin, "https://a");
        assert!(
            !f.earlier_may_have_reached,
            "refused connections reach nothing"
        );
    }

    #[test]
    fn what_may_have_reached_is_remembered() {
        let mut s = script(vec![Ok(429), Ok(400)]);
        assert!(!run(2, &url("https://a"), None, false, &mut s).earlier_may_have_reached);
        let mut s = script(vec![Err(true), Ok(400)]);
        assert!(run(2, &url("https://a"), None, false, &mut s).earlier_may_have_reached);
        let mut s = script(vec![Ok(400)]);
        assert!(run(2, &url("https://a"), None, true, &mut s).earlier_may_have_reached);
        let mut s = script(vec![Ok(202), Ok(400)]);
        assert!(run(2, &url("https://a"), None, false, &mut s).earlier_may_have_reached);
    }

    #[test]
    fn system_error_on_400_and_service_unavailable_on_501_are_retried() {
        let system = r#"{"code":"SYSTEM_ERROR","message":"系统异常，请稍后重试"}"#;
        let unavailable = r#"{"code":"SERVICE_UNAVAILABLE","message":"服务不可用"}"#;
        let param = r#"{"code":"PARAM_ERROR","message":"参数错误"}"#;
        let mut s = with_bodies(vec![
            Ok((400, system)),
            Ok((501, unavailable)),
            Ok((400, param)),
        ]);
        let f = run(2, &url("https://a"), None, false, &mut s);
        assert_eq!(f.attempts, 3);
        assert!(f.earlier_may_have_reached);
        let mut s = with_bodies(vec![Ok((501, "")), Ok((200, ""))]);
        assert_eq!(run(2, &url("https://a"), None, false, &mut s).attempts, 1);
    }

    #[test]
    fn zero_retries_is_one_attempt() {
        let mut s = script(vec![Ok(500)]);
        assert_eq!(run(0, &url("https://a"), None, false, &mut s).attempts, 1);
    }
}
