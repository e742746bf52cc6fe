//! The return request: validated from the flags before anything else happens,
//! and serialized once — the bytes signed are the bytes sent.

use anyhow::{Result, bail};
use serde::Serialize;
use time::OffsetDateTime;
use time::macros::format_description;

use crate::sign::random_alphanumeric;

pub const METHOD: &str = "POST";
pub const PATH: &str = "/v3/marketing/busifavor/coupons/return";
pub use crate::limits::MAX_REQUEST_NO_LEN;
/// A coupon code: 1 to 32 of `0-9 a-z A-Z`, space and `- _ \ / = |`.
pub const MAX_CODE_LEN: usize = 32;
const CODE_PUNCTUATION: &str = " -_\\/=|";
/// A stock id: digits, at most 20.
pub const MAX_STOCK_LEN: usize = 20;

/// The JSON body, field order as documented.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ReturnRequest {
    pub coupon_code: String,
    pub stock_id: String,
    pub return_request_no: String,
}

impl ReturnRequest {
    /// Compact JSON, serialized once.
    pub fn body(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("three strings always serialize")
    }
}

/// Non-empty printable ASCII without whitespace, at most `max` characters.
pub fn check_token(flag: &str, value: &str, max: Option<usize>) -> Result<()> {
    if value.is_empty() {
        bail!("{flag} is empty; it needs a value");
    }
    if let Some(bad) = value.chars().find(|c| !c.is_ascii_graphic()) {
        bail!(
            "{flag} {:?} contains {:?}; only printable ASCII without spaces is allowed",
            value,
            bad
        );
    }
    if let Some(max) = max
        && value.len() > max
    {
        bail!(
            "{flag} is {} characters long; at most {max} are allowed",
            value.len()
        );
    }
    Ok(())
}

/// A coupon code as WeChat Pay allows them (the upload-code documentation).
pub fn check_code(flag: &str, code: &str) -> Result<()> {
    if code.is_empty() {
        bail!("{flag} is empty; it needs a value");
    }
    if let Some(bad) = code
        .chars()
        .find(|c| !c.is_ascii_alphanumeric() && !CODE_PUNCTUATION.contains(*c))
    {
        bail!(
            "{flag} {code:?} contains {bad:?}; a coupon code is 1 to {MAX_CODE_LEN} characters of \
             0-9 a-z A-Z, space and - _ \\ / = |"
        );
    }
    let n = code.chars().count();
    if n > MAX_CODE_LEN {
        bail!("{flag} is {n} characters long; a coupon code is at most {MAX_CODE_LEN}");
    }
    Ok(())
}

/// A stock id (批次号): digits only, at most 20.
pub fn check_stock(flag: &str, stock: &str) -> Result<()> {
    if stock.is_empty() {
        bail!("{flag} is empty; it needs a value");
    }
    if !stock.bytes().all(|b| b.is_ascii_digit()) || stock.len() > MAX_STOCK_LEN {
        bail!(
            "{flag} {stock:?}: a stock id (批次号, stock_id) is digits only, 1 to {MAX_STOCK_LEN} of them"
        );
    }
    Ok(())
}

/// What a request's three fields are called in messages: the flags of one
/// return, or the columns (and JSON fields) of a batch's rows.
pub struct FieldNames {
    pub code: &'static str,
    pub stock: &'static str,
    pub request_no: &'static str,
}

/// `wxcoupon return --code --stock --request-no`.
pub const FLAGS: FieldNames = FieldNames {
    code: "--code",
    stock: "--stock",
    request_no: "--request-no",
};

/// A batch's columns, named as in the request body.
pub const COLUMNS: FieldNames = FieldNames {
    code: "coupon_code",
    stock: "stock_id",
    request_no: "return_request_no",
};

/// The three fields checked, in this order, each error naming its field as
/// `names` calls it; a request number only when one is given.
pub fn check_fields(
    names: &FieldNames,
    code: &str,
    stock: &str,
    request_no: Option<&str>,
) -> Result<()> {
    check_code(names.code, code)?;
    check_stock(names.stock, stock)?;
    match request_no {
        Some(no) => check_token(names.request_no, no, Some(MAX_REQUEST_NO_LEN)),
        None => Ok(()),
    }
}

/// Checks the flags; generates a request number when none was given.
pub fn validate(
    code: &str,
    stock: &str,
    request_no: Option<&str>,
) -> Result<(ReturnRequest, bool)> {
    check_fields(&FLAGS, code, stock, request_no)?;
    let (no, generated) = match request_no {
        Some(no) => (no.to_string(), false),
        None => (generate_request_no()?, true),
    };
    Ok((
        ReturnRequest {
            coupon_code: code.to_string(),
            stock_id: stock.to_string(),
            return_request_no: no,
        },
        generated,
    ))
}

/// `wxc` + UTC time to the second + 16 random characters: sortable, unique,
/// 33 characters.
pub fn generate_request_no() -> Result<String> {
    let now = OffsetDateTime::now_utc();
    let stamp = now
        .format(format_description!(
            "[year][month][day][hour][minute][second]"
        ))
        .unwrap_or_default();
    Ok(format!("wxc{stamp}{}", random_alphanumeric(16)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_compact_json_in_documented_order() {
        let (r, generated) = validate("C1", "1212", Some("R-1")).unwrap();
        assert!(!generated);
        assert_eq!(
            r.body(),
            br#"{"coupon_code":"C1","stock_id":"1212","return_request_no":"R-1"}"#
        );
    }

    #[test]
    fn a_batch_names_the_columns() {
        let e = check_fields(&COLUMNS, "C", "12a", None).unwrap_err();
        assert!(e.to_string().starts_with("stock_id \"12a\""), "{e}");
        let e = check_fields(&COLUMNS, "C", "1", Some("a b")).unwrap_err();
        assert!(e.to_string().starts_with("return_request_no "), "{e}");
        check_fields(&COLUMNS, "C", "1", None).unwrap();
    }

    #[test]
    fn generated_numbers_are_unique_and_fit() {
        let (a, generated) = validate("C", "1", None).unwrap();
        let (b, _) = validate("C", "1", None).unwrap();
        assert!(generated);
        assert_ne!(a.return_request_no, b.return_request_no);
        assert_eq!(a.return_request_no.len(), 3 + 14 + 16);
        check_token("--request-no", &a.return_request_no, Some(128)).unwrap();
    }

    #[test]
    fn bad_values_name_the_flag() {
        for (code, stock, no, flag) in [
            ("", "1", None, "--code"),
            ("a\tb", "1", None, "--code"),
            ("a.b", "1", None, "--code"),
            ("券", "1", None, "--code"),
            ("C", "1\n", None, "--stock"),
            ("C", "券", None, "--stock"),
            ("C", "12a", None, "--stock"),
            ("C", "123456789012345678901", None, "--stock"),
            ("C", "1", Some(""), "--request-no"),
            ("C", "1", Some("a b"), "--request-no"),
        ] {
            let e = validate(code, stock, no).unwrap_err().to_string();
            assert!(e.starts_with(flag), "{e}");
        }
        let long = "x".repeat(129);
        let e = validate("C", "1", Some(&long)).unwrap_err().to_string();
        assert!(e.contains("129 characters"), "{e}");
        validate("C", "1", Some(&"x".repeat(128))).unwrap();
        validate("A b-c_d\\e/f=g|h", "12345678901234567890", None).unwrap();
        validate(&"c".repeat(32), "1", None).unwrap();
        let e = validate(&"c".repeat(33), "1", None)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "--code is 33 characters long; a coupon code is at most 32"
        );
    }
}
