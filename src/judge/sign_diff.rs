//! SIGN_ERROR: what WeChat Pay says it checked, against what wxcoupon signed.

use serde_json::Value;

use crate::escape;

/// Compares what WeChat Pay says it checked (`detail.sign_information`) with
/// the message wxcoupon signed. WeChat Pay keeps the four header lines whole
/// (method, URL, timestamp, nonce) but cuts the body to its first few
/// characters, still ending with `\n`; `sign_message_length` is the byte
/// length of the whole message it checked. So: the header lines exactly, the
/// body as a prefix, then the lengths.
pub fn sign_diff(ours: &[u8], detail: &Value) -> Vec<String> {
    let Some(info) = find_key(detail, "sign_information") else {
        return Vec::new();
    };
    let Some(theirs) = info.get("truncated_sign_message").and_then(Value::as_str) else {
        return Vec::new();
    };
    let their_len = info.get("sign_message_length").and_then(Value::as_u64);
    let ours = String::from_utf8_lossy(ours);
    let ours_len = ours.len() as u64;
    let our_parts: Vec<&str> = ours.splitn(5, '\n').collect();
    let their_parts: Vec<&str> = theirs.splitn(5, '\n').collect();
    for (i, name) in ["method", "URL", "timestamp", "nonce"].iter().enumerate() {
        let (a, b) = (our_parts.get(i), their_parts.get(i));
        if b.is_some() && a != b {
            return vec![
                format!(
                    "sign_information: the messages differ at line {} ({name}):",
                    i + 1
                ),
                format!("  wxcoupon signed:    {}", escape::term(a.unwrap_or(&""))),
                format!("  WeChat Pay checked: {}", escape::term(b.unwrap_or(&""))),
            ];
        }
    }
    let body = |parts: &[&str]| {
        let rest = parts.get(4).copied().unwrap_or_default();
        rest.strip_suffix('\n').unwrap_or(rest).to_string()
    };
    let (our_body, their_body) = (body(&our_parts), body(&their_parts));
    if !our_body.starts_with(&their_body) {
        let ours_shown: String = our_body.chars().take(their_body.chars().count()).collect();
        return vec![
            "sign_information: the bodies differ: something between wxcoupon and WeChat Pay changed \
             the body (a proxy?)"
                .to_string(),
            format!("  wxcoupon signed a body starting:    {}", escape::term(&ours_shown)),
            format!("  WeChat Pay checked a body starting: {}", escape::term(&their_body)),
        ];
    }
    match their_len {
        Some(n) if n != ours_len => vec![format!(
            "sign_information: the message WeChat Pay shows agrees with ours as far as it goes, \
             but it counted {n} bytes where wxcoupon signed {ours_len}: the body was changed on \
             the way (a proxy?)."
        )],
        _ => vec![format!(
            "sign_information: WeChat Pay checked the same message wxcoupon signed ({ours_len} bytes), \
             so the signature itself does not match: the private key does not belong to \
             merchant_serial_no, or mchid / merchant_serial_no is wrong."
        )],
    }
}

fn find_key<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    match v {
        Value::Object(map) => map
            .get(key)
            .or_else(|| map.values().find_map(|x| find_key(x, key))),
        _ => None,
    }
}

/// `sign_diff` against SIGN_ERROR details as WeChat Pay writes them: a
/// body cut short, a header line that differs, a changed body or length.
#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const OURS: &[u8] =
        b"POST\n/v3/marketing/busifavor/coupons/return\n1700000000\nNONCE\n{\"a\":1}\n";

    fn info(truncated: &str, length: usize) -> Value {
        json!({"detail": {"issue": "sign not match"}, "sign_information": {
            "truncated_sign_message": truncated, "sign_message_length": length}})
    }

    #[test]
    fn sign_diff_says_the_messages_agree_when_the_headers_and_body_start_do() {
        // As the real gateway answers: header lines whole, the body cut, a final \n.
        let d = info(
            "POST\n/v3/marketing/busifavor/coupons/return\n1700000000\nNONCE\n{\"a\n",
            OURS.len(),
        );
        let notes = sign_diff(OURS, &d);
        assert!(
            notes[0].contains("checked the same message wxcoupon signed (69 bytes)"),
            "{notes:?}"
        );
        let d = info(
            "POST\n/v3/marketing/busifavor/coupons/return\n1700000000\nNONCE\n\n",
            OURS.len(),
        );
        assert!(sign_diff(OURS, &d)[0].contains("same message"));
    }

    #[test]
    fn sign_diff_points_at_the_header_line_that_differs() {
        let d = info(
            "POST\n/v3/marketing/busifavor/coupons/return\n1700000001\nNONCE\n{\"a\n",
            OURS.len(),
        );
        assert_eq!(
            sign_diff(OURS, &d),
            [
                "sign_information: the messages differ at line 3 (timestamp):",
                "  wxcoupon signed:    1700000000",
                "  WeChat Pay checked: 1700000001",
            ]
        );
    }

    #[test]
    fn sign_diff_notices_a_changed_body_or_length() {
        let d = info(
            "POST\n/v3/marketing/busifavor/coupons/return\n1700000000\nNONCE\n{\"b\n",
            OURS.len(),
        );
        let notes = sign_diff(OURS, &d);
        assert!(notes[0].contains("the bodies differ"), "{notes:?}");
        assert_eq!(notes[2], "  WeChat Pay checked a body starting: {\"b");
        let d = info(
            "POST\n/v3/marketing/busifavor/coupons/return\n1700000000\nNONCE\n{\"a\n",
            3,
        );
        assert!(sign_diff(OURS, &d)[0].contains("counted 3 bytes where wxcoupon signed 69"));
        assert!(sign_diff(OURS, &json!({"field": "x"})).is_empty());
    }
}
