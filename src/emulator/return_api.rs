//! The coupon-return API behind the emulated gateway: its parameters, and the
//! business rules of its error table, applied to the ledger for a request
//! already authenticated. Pure: no sockets, the clock passed in.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use super::http::{Incoming, Verdict, error};
use super::identity::Identity;
use super::ledger::{Coupon, Ledger, State};
use crate::cst;

#[derive(Deserialize)]
struct ReturnBody {
    coupon_code: Option<String>,
    stock_id: Option<String>,
    return_request_no: Option<String>,
}

/// coupon_code, stock_id and return_request_no, as strings.
fn parameters(req: &Incoming<'_>) -> Result<(String, String, String), Verdict> {
    let Ok(body) = serde_json::from_slice::<ReturnBody>(req.body) else {
        return Err(error(
            400,
            "PARAM_ERROR",
            "请求体不是合法的JSON，或参数不是字符串",
            "body is not JSON with string fields",
        ));
    };
    let (Some(code), Some(stock), Some(no)) =
        (body.coupon_code, body.stock_id, body.return_request_no)
    else {
        return Err(error(
            400,
            "PARAM_ERROR",
            "缺少参数coupon_code、stock_id或return_request_no",
            "missing parameter",
        ));
    };
    if no.is_empty() || no.len() > crate::limits::MAX_REQUEST_NO_LEN {
        return Err(error(
            400,
            "PARAM_ERROR",
            "return_request_no长度应为1到128",
            "bad request number",
        ));
    }
    Ok((code, stock, no))
}

/// The return API's business rules, for an authenticated request.
pub(super) fn business(
    id: &Identity,
    ledger: &mut Ledger,
    req: &Incoming<'_>,
    now_unix: i64,
) -> Verdict {
    let (code, stock, no) = match parameters(req) {
        Ok(p) => p,
        Err(refused) => return refused,
    };
    if let Some(earlier) = ledger.request_nos.get(&no) {
        return error(
            400,
            "RESOURCE_ALREADY_EXISTS",
            "已使用过此单号退券",
            format!("request number {no} was used already (for {earlier})"),
        );
    }
    let coupon = match find_coupon(&mut ledger.coupons, &id.mchid, &code, &stock) {
        Ok(c) => c,
        Err(refused) => return refused,
    };
    match coupon.state {
        State::Used => {
            coupon.state = State::Sended;
            ledger.request_nos.insert(no.clone(), code.clone());
            ledger.returns += 1;
            let time = rfc3339(now_unix);
            Verdict {
                status: 200,
                body: json!({"wechatpay_return_time": time}).to_string(),
                log: format!("returned {code} (request number {no}); USED -> SENDED"),
            }
        }
        State::Sended => error(
            403,
            "RULE_LIMIT",
            "券当前是可用的",
            format!("{code} is usable (SENDED)"),
        ),
        State::Expired => error(
            403,
            "RULE_LIMIT",
            "券已不在使用有效期",
            format!("{code} is EXPIRED"),
        ),
        // WeChat Pay documents only 券当前是可用的 and 券已不在使用有效期 for
        // RULE_LIMIT; this message for a deactivated coupon is our assumption.
        State::Deactivated => error(
            403,
            "RULE_LIMIT",
            "券已失效",
            format!("{code} is DEACTIVATED"),
        ),
        State::Deleted => error(
            404,
            "RESOURCE_NOT_EXISTS",
            "券已被删除",
            format!("{code} is DELETED"),
        ),
    }
}

/// The coupon `code`, if it exists, is in `stock` and is `mchid`'s; else
/// the answer that says which it is not.
fn find_coupon<'a>(
    coupons: &'a mut BTreeMap<String, Coupon>,
    mchid: &str,
    code: &str,
    stock: &str,
) -> Result<&'a mut Coupon, Verdict> {
    let Some(coupon) = coupons.get_mut(code) else {
        return Err(error(
            404,
            "RESOURCE_NOT_EXISTS",
            "券不存在",
            format!("no coupon {code}"),
        ));
    };
    if coupon.stock_id != stock {
        return Err(error(
            404,
            "RESOURCE_NOT_EXISTS",
            "券不存在",
            format!("coupon {code} is not in stock {stock}"),
        ));
    }
    if coupon.mchid.as_deref().is_some_and(|m| m != mchid) {
        return Err(error(
            403,
            "NO_AUTH",
            "商户无权限操作该券",
            format!("coupon {code} belongs to another merchant"),
        ));
    }
    Ok(coupon)
}

/// RFC 3339 in China Standard Time, as WeChat Pay writes times.
fn rfc3339(unix: i64) -> String {
    cst::rfc3339(OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH))
}
