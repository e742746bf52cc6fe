//! The error-code catalogue of the return API: data, not logic. One code can
//! have several meanings; WeChat Pay's `message` tells them apart.

/// One meaning of one code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub code: &'static str,
    pub http: u16,
    /// The documented `message`, when one code has several meanings.
    pub message: Option<&'static str>,
    pub zh: &'static str,
    pub en: &'static str,
    pub next_zh: &'static str,
    pub next_en: &'static str,
}

pub const CATALOGUE: &[Entry] = &[
    Entry {
        code: "PARAM_ERROR",
        http: 400,
        message: None,
        zh: "参数错误。",
        en: "A parameter is wrong (coupon code, stock id or request number).",
        next_zh: "按错误信息（message 与 detail.field）改正参数后重试。",
        next_en: "Correct the parameter named in WeChat Pay's message and detail.field, then run again.",
    },
    Entry {
        code: "INVALID_REQUEST",
        http: 400,
        message: None,
        zh: "请求不符合本接口的业务规则（微信支付的 message 会说明是哪一条），或 HTTP 请求不符合 APIv3 接口规则。",
        en: "The request does not meet a business rule of this API (WeChat Pay's message says which), \
             or the HTTP request breaks the APIv3 rules (headers or JSON).",
        next_zh: "按 message 处理；如果 message 说的是 HTTP 头或 JSON，可能有代理改写了请求，请附上 Request-ID 报告 wxcoupon 的问题。",
        next_en: "Act on WeChat Pay's message. If it is about headers or JSON, a proxy may be altering the \
                  request: wxcoupon sends the documented headers and JSON; report it with the Request-ID.",
    },
    Entry {
        code: "MCH_NOT_EXISTS",
        http: 400,
        message: None,
        zh: "商户号不存在。",
        en: "The merchant id (mchid) does not exist.",
        next_zh: "检查 profile 中的 mchid（商户号）。",
        next_en: "Check mchid (商户号) in the profile.",
    },
    Entry {
        code: "SIGN_ERROR",
        http: 401,
        message: None,
        zh: "签名验证不通过。",
        en: "WeChat Pay could not verify the request signature.",
        next_zh: "常见原因：私钥与 merchant_serial_no 不匹配；merchant_serial_no 填错（应为商户API证书序列号，\
                  不是微信支付公钥ID）；mchid 填错；本机时钟偏差超过 5 分钟。",
        next_en: "Usual causes: the private key does not belong to merchant_serial_no; merchant_serial_no \
                  is wrong (it is the merchant API certificate's serial, not the WeChat Pay public key id); \
                  mchid is wrong; the local clock is more than 5 minutes off. \
                  `wxcoupon sign` shows exactly what is signed.",
    },
    Entry {
        code: "SIGN_ERROR",
        http: 401,
        message: Some("证书序列号有误"),
        zh: "商户证书序列号与签名私钥不匹配。",
        en: "merchant_serial_no is not the serial of the certificate that belongs to the private key.",
        next_zh: "用 openssl x509 -in apiclient_cert.pem -noout -serial 查看证书序列号，并确认 apiclient_key.pem 与之同属一对。",
        next_en: "Read the serial with `openssl x509 -in apiclient_cert.pem -noout -serial` and check that \
                  apiclient_key.pem is the key of that same certificate.",
    },
    Entry {
        code: "SIGN_ERROR",
        http: 401,
        message: Some("证书已过期"),
        zh: "商户API证书已过期。",
        en: "The merchant API certificate has expired.",
        next_zh: "在商户平台（账户中心 → API安全）申请新的商户API证书，并更新 private_key_file 与 merchant_serial_no。",
        next_en: "Apply for a new merchant API certificate in the merchant platform (账户中心 → API安全) \
                  and update private_key_file and merchant_serial_no.",
    },
    Entry {
        code: "SIGN_ERROR",
        http: 401,
        message: Some("已作废"),
        zh: "商户API证书已作废。",
        en: "The merchant API certificate was revoked.",
        next_zh: "在商户平台申请新的商户API证书，并更新 private_key_file 与 merchant_serial_no。",
        next_en: "Apply for a new merchant API certificate in the merchant platform and update \
                  private_key_file and merchant_serial_no.",
    },
    Entry {
        code: "SIGN_ERROR",
        http: 401,
        message: Some("已更换证书"),
        zh: "商户已更换API证书，这张证书不再有效。",
        en: "The merchant replaced its API certificate; this one is no longer valid.",
        next_zh: "使用新证书的私钥与序列号更新 private_key_file 与 merchant_serial_no。",
        next_en: "Use the new certificate's private key and serial: update private_key_file and \
                  merchant_serial_no.",
    },
    Entry {
        code: "SIGN_ERROR",
        http: 401,
        message: Some("未设置APIv3密钥"),
        zh: "商户尚未设置APIv3密钥。",
        en: "The merchant has not set its APIv3 key.",
        next_zh: "在商户平台（账户中心 → API安全）设置APIv3密钥。",
        next_en: "Set the APIv3 key in the merchant platform (账户中心 → API安全).",
    },
    Entry {
        code: "SIGN_ERROR",
        http: 401,
        message: Some("认证类型"),
        zh: "Authorization 的认证类型不正确。",
        en: "The Authorization header's scheme is wrong.",
        next_zh: "wxcoupon 发送的是 WECHATPAY2-SHA256-RSA2048；可能有代理改写了 Authorization 头。",
        next_en: "wxcoupon sends WECHATPAY2-SHA256-RSA2048: a proxy may be rewriting the Authorization header.",
    },
    Entry {
        code: "SIGN_ERROR",
        http: 401,
        message: Some("5分钟"),
        zh: "请求的时间戳与微信支付的时间相差超过 5 分钟。",
        en: "The request's timestamp is more than 5 minutes away from WeChat Pay's clock.",
        next_zh: "校准本机时钟（例如开启 NTP 自动对时）后重试。",
        next_en: "Set the local clock right (turn on NTP time sync), then run again.",
    },
    Entry {
        code: "SYSTEM_ERROR",
        http: 500,
        message: None,
        zh: "系统异常，请稍后重试。",
        en: "WeChat Pay had a system error; the outcome is unknown.",
        next_zh: "稍后用同一个退券单号（--request-no）重试。",
        next_en: "Retry later with the same request number (--request-no): it cannot return the coupon twice.",
    },
    Entry {
        code: "RESOURCE_ALREADY_EXISTS",
        http: 400,
        message: None,
        zh: "已使用过此单号退券。",
        en: "This return request number was used already.",
        next_zh: "如果是在重跑一次结果未知的退券，说明那次退券已经成功；否则请换一个新的退券单号。",
        next_en: "If you are re-running a return whose earlier outcome was unknown, it went through. \
                  Otherwise use a new request number.",
    },
    Entry {
        code: "NO_AUTH",
        http: 403,
        message: None,
        zh: "商户无权限操作该券。",
        en: "This merchant may not operate this coupon.",
        next_zh: "检查调用的商户号（mchid）是否为该券的创建或归属商户。",
        next_en: "Check that the calling mchid is the merchant that owns this coupon's stock.",
    },
    Entry {
        code: "RULE_LIMIT",
        http: 403,
        message: Some("券当前是可用的"),
        zh: "券当前是可用的：券状态不是“已核销”（USED），无需退券。",
        en: "The coupon is currently usable: its state is not USED, so there is nothing to return.",
        next_zh: "查询券详情确认券状态。",
        next_en: "Query the coupon's details to check its state.",
    },
    Entry {
        code: "RULE_LIMIT",
        http: 403,
        message: Some("券已不在使用有效期"),
        zh: "券已不在使用有效期。",
        en: "The coupon is outside its validity period.",
        next_zh: "该券不能退回；退款时券已过期则无需退券。",
        next_en: "It cannot be returned; a coupon that had expired when the refund happened needs no return.",
    },
    Entry {
        code: "RESOURCE_NOT_EXISTS",
        http: 404,
        message: Some("券不存在"),
        zh: "券不存在。",
        en: "No such coupon.",
        next_zh: "检查券码（--code）与批次号（--stock）。",
        next_en: "Check the coupon code (--code) and the stock id (--stock).",
    },
    Entry {
        code: "RESOURCE_NOT_EXISTS",
        http: 404,
        message: Some("券已被删除"),
        zh: "券已被删除。",
        en: "The coupon was deleted.",
        next_zh: "查询券详情确认券状态。",
        next_en: "Query the coupon's details to check its state.",
    },
    Entry {
        code: "NOAUTH",
        http: 403,
        message: None,
        zh: "商户无权限操作该券。",
        en: "This merchant may not operate this coupon (WeChat Pay's return API documents NOAUTH \
             as 商户无权限操作该券).",
        next_zh: "请确认调用API的商户号（mchid）是该券的创建或归属商户。",
        next_en: "Check that the calling mchid is the merchant that owns this coupon's stock.",
    },
    Entry {
        code: "FREQUENCY_LIMITED",
        http: 429,
        message: None,
        zh: "请求频率超限：微信支付没有受理这个请求。",
        en: "Too many requests: WeChat Pay did not accept this request.",
        next_zh: "稍等片刻后用同一个退券单号重试。",
        next_en: "Wait a little, then retry with the same request number.",
    },
    Entry {
        code: "INVALID_REQUEST",
        http: 400,
        message: Some("频率"),
        zh: "调用频率过高：微信支付没有受理这个请求。",
        en: "Calls too frequent: WeChat Pay did not accept this request.",
        next_zh: "稍等片刻后用同一个退券单号重试。",
        next_en: "Wait a little, then retry with the same request number.",
    },
    Entry {
        code: "NOT_ENOUGH",
        http: 403,
        message: None,
        zh: "平台证书已过期失效：该商户没有可用的平台证书。",
        en: "The merchant's platform certificates have expired: WeChat Pay has none to deliver.",
        next_zh: "改用微信支付公钥：在商户平台（账户中心 → API安全 → 微信支付公钥）下载公钥，并在 profile 中配置 \
                  wechatpay_public_key_id 与 wechatpay_public_key_file。",
        next_en: "Move to the WeChat Pay public key: download it in the merchant platform (账户中心 → \
                  API安全 → 微信支付公钥) and set wechatpay_public_key_id and \
                  wechatpay_public_key_file in the profile.",
    },
    Entry {
        code: "REQUEST_BLOCKED",
        http: 403,
        message: None,
        zh: "请求被拦截：该商户的这类请求暂时被微信支付阻止。",
        en: "The request was blocked: WeChat Pay refuses this kind of request from this merchant \
             for now.",
        next_zh: "按 message 处理，或联系微信支付客服，附上 Request-ID。",
        next_en: "Act on WeChat Pay's message, or contact WeChat Pay support with the Request-ID.",
    },
    Entry {
        code: "SERVICE_UNAVAILABLE",
        http: 503,
        message: None,
        zh: "服务暂时不可用，结果未知。",
        en: "WeChat Pay's service is unavailable for now; the outcome is unknown.",
        next_zh: "稍后用同一个退券单号（--request-no）重试。",
        next_en: "Retry later with the same request number (--request-no): it cannot return the coupon twice.",
    },
];

/// Other spellings seen on other WeChat Pay pages.
const ALIASES: &[(&str, &str)] = &[
    ("SYSTEMERROR", "SYSTEM_ERROR"),
    ("RATELIMIT_EXCEEDED", "FREQUENCY_LIMITED"),
    ("RATE_LIMITED", "FREQUENCY_LIMITED"),
    ("RATELIMIT_EXCEED", "FREQUENCY_LIMITED"),
    ("FREQUENCY_LIMIT_EXCEED", "FREQUENCY_LIMITED"),
];

/// The catalogue's spelling of a code: upper case, an alias resolved.
pub fn canonical(code: &str) -> String {
    let upper = code.trim().to_ascii_uppercase();
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == upper)
        .map_or(upper, |(_, c)| c.to_string())
}

/// Every meaning of a code (empty when it is not in the catalogue).
pub fn meanings(code: &str) -> Vec<&'static Entry> {
    let code = canonical(code);
    CATALOGUE.iter().filter(|e| e.code == code).collect()
}

/// The meanings that fit WeChat Pay's `message`: the one whose documented
/// message it contains; else the code's general meaning (the entry without a
/// message), when it has one; else every meaning of the code.
pub fn lookup(code: &str, message: Option<&str>) -> Vec<&'static Entry> {
    let all = meanings(code);
    if let Some(msg) = message {
        let matched: Vec<_> = all
            .iter()
            .copied()
            .filter(|e| e.message.is_some_and(|m| msg.contains(m)))
            .collect();
        if !matched.is_empty() {
            return matched;
        }
    }
    let general: Vec<_> = all
        .iter()
        .copied()
        .filter(|e| e.message.is_none())
        .collect();
    if general.is_empty() { all } else { general }
}

/// The codes the catalogue knows, once each, in order.
pub fn known_codes() -> Vec<&'static str> {
    let mut codes: Vec<&str> = Vec::new();
    for e in CATALOGUE {
        if !codes.contains(&e.code) {
            codes.push(e.code);
        }
    }
    codes
}

/// One string, Chinese and English, for the JSON `explanation` field.
pub fn one_line(entries: &[&Entry]) -> Option<String> {
    if entries.is_empty() {
        return None;
    }
    let parts: Vec<String> = entries
        .iter()
        .map(|e| {
            let when = e.message.map(|m| format!("[{m}] ")).unwrap_or_default();
            format!("{when}{} {} {} {}", e.zh, e.next_zh, e.en, e.next_en)
        })
        .collect();
    Some(parts.join(" | "))
}

/// Lines for people: meaning and next step, Chinese then English.
pub fn lines(entries: &[&Entry]) -> Vec<String> {
    let mut out = Vec::new();
    let several = entries.len() > 1;
    for e in entries {
        if several {
            out.push(format!(
                "if the message is “{}”:",
                e.message.unwrap_or("(other)")
            ));
        }
        out.push(format!("{} {}", e.zh, e.next_zh));
        out.push(format!("{} {}", e.en, e.next_en));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_of_the_documented_table_has_an_entry() {
        for (code, http, msg) in [
            ("PARAM_ERROR", 400, None),
            ("INVALID_REQUEST", 400, None),
            ("SIGN_ERROR", 401, None),
            ("SYSTEM_ERROR", 500, None),
            ("RESOURCE_ALREADY_EXISTS", 400, None),
            ("NO_AUTH", 403, None),
            ("RULE_LIMIT", 403, Some("券当前是可用的")),
            ("RULE_LIMIT", 403, Some("券已不在使用有效期")),
            ("RESOURCE_NOT_EXISTS", 404, Some("券不存在")),
            ("RESOURCE_NOT_EXISTS", 404, Some("券已被删除")),
        ] {
            let found = lookup(code, msg);
            assert_eq!(found.len(), 1, "{code} {msg:?}");
            assert_eq!(found[0].http, http);
            assert_eq!(found[0].message, msg);
        }
    }

    #[test]
    fn the_message_tells_meanings_apart_and_unknown_messages_show_all() {
        let e = lookup("RULE_LIMIT", Some("券已不在使用有效期，无法退券"));
        assert_eq!(e.len(), 1);
        assert!(e[0].en.contains("validity"));
        assert_eq!(lookup("RULE_LIMIT", Some("something new")).len(), 2);
        assert_eq!(lookup("RULE_LIMIT", None).len(), 2);
    }

    #[test]
    fn aliases_and_case_are_accepted_and_unknown_codes_give_nothing() {
        assert_eq!(lookup("systemerror", None)[0].code, "SYSTEM_ERROR");
        assert_eq!(lookup("NOAUTH", None)[0].code, "NOAUTH");
        assert_eq!(
            lookup("RATELIMIT_EXCEEDED", None)[0].code,
            "FREQUENCY_LIMITED"
        );
        assert!(lookup("NOT_A_CODE", None).is_empty());
        assert_eq!(one_line(&[]), None);
    }

    #[test]
    fn sign_error_messages_have_their_own_meanings_and_others_the_general_one() {
        for (message, words) in [
            (
                "商户证书序列号有误。请使用签名私钥匹配的证书序列号",
                "openssl x509",
            ),
            ("商户证书已过期", "has expired"),
            ("商户证书已作废", "revoked"),
            ("商户已更换证书", "replaced"),
            ("商户未设置APIv3密钥", "APIv3 key"),
            ("Authorization认证类型不正确", "scheme"),
            (
                "Http头Authorization中的timestamp与发起请求的时间不得超过5分钟",
                "5 minutes",
            ),
        ] {
            let e = lookup("SIGN_ERROR", Some(message));
            assert_eq!(e.len(), 1, "{message}");
            assert!(
                format!("{} {}", e[0].en, e[0].next_en).contains(words),
                "{message}"
            );
        }
        let e = lookup("SIGN_ERROR", Some("错误的签名，验签失败"));
        assert_eq!((e.len(), e[0].message), (1, None));
        assert_eq!(meanings("SIGN_ERROR").len(), 8);
    }

    #[test]
    fn codes_from_outside_the_return_table_are_known() {
        for code in ["SERVICE_UNAVAILABLE", "MCH_NOT_EXISTS", "NOAUTH"] {
            assert!(known_codes().contains(&code), "{code}");
        }
        assert_eq!(lookup("RATE_LIMITED", None)[0].code, "FREQUENCY_LIMITED");
        assert!(
            lookup("INVALID_REQUEST", None)[0]
                .en
                .starts_with("The request does not meet a business rule")
        );
    }

    #[test]
    fn resource_already_exists_mentions_the_unknown_rerun() {
        let e = lookup("RESOURCE_ALREADY_EXISTS", None);
        assert!(e[0].next_en.contains("went through"));
    }
}
