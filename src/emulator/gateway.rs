//! What the emulated WeChat Pay gateway decides for one request: the route
//! and the headers WeChat Pay requires, then authentication as WeChat Pay
//! does it (`auth`), then the platform certificates (`platform`) or the
//! return API's business rules (`return_api`). Pure: no sockets, the clock
//! passed in.

use super::http::{Incoming, Verdict, error};
use super::identity::Identity;
use super::ledger::Ledger;
use super::{auth, return_api};
use crate::request::PATH;

/// Decides the answer to one request: the route and headers, then
/// authentication (`auth`), then the certificates or the error table's
/// business rules.
pub fn decide(id: &Identity, ledger: &mut Ledger, req: &Incoming<'_>, now_unix: i64) -> Verdict {
    if let Some(refused) = route_and_headers(req) {
        return refused;
    }
    if let Err(refused) = auth::authenticate(id, ledger, req, now_unix) {
        return refused;
    }
    if api(req) == crate::certs::download::PATH {
        return id.platform.certificates();
    }
    return_api::business(id, ledger, req, now_unix)
}

/// The API a request names: its path without the query.
fn api<'a>(req: &Incoming<'a>) -> &'a str {
    req.target.split('?').next().unwrap_or_default()
}

/// The API, its method, and the headers WeChat Pay requires.
fn route_and_headers(req: &Incoming<'_>) -> Option<Verdict> {
    let method = match api(req) {
        PATH => "POST",
        crate::certs::download::PATH => "GET",
        _ => {
            return Some(error(
                404,
                "RESOURCE_NOT_EXISTS",
                "该接口不存在（本模拟器只提供申请退券与下载平台证书）",
                format!("no such API {}", req.target),
            ));
        }
    };
    if req.method != method {
        return Some(error(
            405,
            "INVALID_REQUEST",
            if method == "POST" {
                "请求方法应为 POST"
            } else {
                "请求方法应为 GET"
            },
            format!("method {}", req.method),
        ));
    }
    for h in ["Accept", "User-Agent"] {
        if req.header(h).is_none_or(|v| v.trim().is_empty()) {
            return Some(error(
                400,
                "INVALID_REQUEST",
                "Http头缺少Accept或User-Agent",
                format!("no {h} header"),
            ));
        }
    }
    if method == "POST"
        && !req
            .header("Content-Type")
            .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"))
    {
        return Some(error(
            400,
            "INVALID_REQUEST",
            "Http头Content-Type值必须为application/json",
            "no JSON Content-Type",
        ));
    }

    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::ledger::{Coupon, State};
    use crate::emulator::samples::{
        SAMPLE_MCHID, SAMPLE_MERCHANT_KEY, SAMPLE_SERIAL, SAMPLE_WECHATPAY_KEY, sample_coupons,
    };
    use crate::keys::PrivateKey;
    use crate::sign::{self, Signer};
    use serde_json::json;

    const NOW: i64 = 1_800_000_000;

    fn identity() -> Identity {
        let merchant = PrivateKey::from_pem(SAMPLE_MERCHANT_KEY.as_bytes()).unwrap();
        Identity::with_sample_wechatpay_key(SAMPLE_MCHID, SAMPLE_SERIAL, &merchant).unwrap()
    }

    struct Req {
        key: &'static str,
        ts: i64,
        nonce: String,
        body: String,
        headers: Vec<(String, String)>,
    }

    fn req(code: &str, no: &str) -> Req {
        Req {
            key: SAMPLE_MERCHANT_KEY,
            ts: NOW,
            nonce: sign::random_alphanumeric(32).unwrap(),
            body: json!({"coupon_code": code, "stock_id": "9856000", "return_request_no": no})
                .to_string(),
            headers: vec![
                ("Accept".into(), "application/json".into()),
                ("Content-Type".into(), "application/json".into()),
                ("User-Agent".into(), "test".into()),
            ],
        }
    }

    fn send(ledger: &mut Ledger, r: &Req) -> Verdict {
        let key = PrivateKey::from_pem(r.key.as_bytes()).unwrap();
        let signed = Signer {
            key: &key,
            mchid: SAMPLE_MCHID,
            serial_no: SAMPLE_SERIAL,
        }
        .sign("POST", PATH, r.ts, &r.nonce, r.body.as_bytes())
        .unwrap();
        let mut headers = r.headers.clone();
        headers.push(("Authorization".into(), signed.authorization));
        let incoming = Incoming {
            method: "POST",
            target: PATH,
            headers: &headers,
            body: r.body.as_bytes(),
        };
        decide(&identity(), ledger, &incoming, NOW)
    }

    fn code(v: &Verdict) -> String {
        let body: serde_json::Value = serde_json::from_str(&v.body).unwrap();
        format!(
            "{} {} {}",
            v.status,
            body["code"].as_str().unwrap_or("-"),
            body["message"].as_str().unwrap_or("-")
        )
    }

    #[test]
    fn each_coupon_state_gets_its_documented_answer() {
        let mut l = Ledger::new(sample_coupons());
        let v = send(&mut l, &req("COUPON-USED-1", "R1"));
        assert_eq!(v.status, 200, "{}", v.body);
        assert!(v.body.contains("wechatpay_return_time"));
        assert_eq!(l.state("COUPON-USED-1"), Some(State::Sended));
        for (coupon, no, expected) in [
            ("COUPON-USED-1", "R2", "403 RULE_LIMIT 券当前是可用的"),
            (
                "COUPON-USED-2",
                "R1",
                "400 RESOURCE_ALREADY_EXISTS 已使用过此单号退券",
            ),
            ("COUPON-AVAILABLE", "R3", "403 RULE_LIMIT 券当前是可用的"),
            ("COUPON-EXPIRED", "R4", "403 RULE_LIMIT 券已不在使用有效期"),
            ("COUPON-DEACTIVATED", "R9", "403 RULE_LIMIT 券已失效"),
            ("COUPON-DELETED", "R5", "404 RESOURCE_NOT_EXISTS 券已被删除"),
            ("NO-SUCH-COUPON", "R6", "404 RESOURCE_NOT_EXISTS 券不存在"),
            (
                "COUPON-OTHER-MERCHANT",
                "R7",
                "403 NO_AUTH 商户无权限操作该券",
            ),
        ] {
            assert_eq!(code(&send(&mut l, &req(coupon, no))), expected, "{coupon}");
        }
        let mut r = req("COUPON-USED-2", "R8");
        r.body = r.body.replace("9856000", "1");
        assert_eq!(code(&send(&mut l, &r)), "404 RESOURCE_NOT_EXISTS 券不存在");
        assert_eq!(l.returns, 1);
    }

    #[test]
    fn a_deactivated_coupon_is_read_and_cannot_be_returned() {
        let c: Coupon = serde_json::from_str(
            r#"{"coupon_code":"D","stock_id":"9856000","state":"DEACTIVATED"}"#,
        )
        .unwrap();
        assert_eq!(c.state, State::Deactivated);
        let mut l = Ledger::new(vec![c]);
        let v = send(&mut l, &req("D", "R1"));
        assert_eq!(code(&v), "403 RULE_LIMIT 券已失效");
        assert!(v.log.contains("DEACTIVATED"), "{}", v.log);
        assert_eq!(l.state("D"), Some(State::Deactivated));
        assert_eq!(l.returns, 0);
    }

    #[test]
    fn authentication_failures_are_sign_error_with_sign_information() {
        let mut l = Ledger::new(sample_coupons());
        let mut r = req("COUPON-USED-1", "R1");
        r.key = SAMPLE_WECHATPAY_KEY;
        let v = send(&mut l, &r);
        assert_eq!(code(&v), "401 SIGN_ERROR 签名错误");
        let body: serde_json::Value = serde_json::from_str(&v.body).unwrap();
        let info = &body["detail"]["sign_information"];
        let shown = info["truncated_sign_message"].as_str().unwrap();
        assert!(shown.starts_with("POST\n/v3/marketing"), "{shown}");
        assert!(shown.ends_with("\n{\"coupon\n"), "{shown}");
        assert_eq!(shown.lines().count(), 5, "{shown}");
        assert_eq!(info["url"], PATH);

        let mut r = req("COUPON-USED-1", "R1");
        r.ts = NOW - 301;
        assert!(send(&mut l, &r).log.contains("timestamp"));

        let r = req("COUPON-USED-1", "R1");
        assert_eq!(send(&mut l, &r).status, 200);
        let v = send(
            &mut l,
            &Req {
                body: r.body.replace("R1", "R2"),
                ..r
            },
        );
        assert!(v.log.contains("nonce_str was used already"), "{}", v.log);
        assert_eq!(l.returns, 1);
    }

    #[test]
    fn missing_headers_are_invalid_request() {
        let mut l = Ledger::new(sample_coupons());
        for h in ["Accept", "User-Agent", "Content-Type"] {
            let mut r = req("COUPON-USED-1", "R1");
            r.headers.retain(|(k, _)| k != h);
            assert_eq!(send(&mut l, &r).status, 400, "{h}");
        }
        assert_eq!(l.returns, 0);
    }
}
