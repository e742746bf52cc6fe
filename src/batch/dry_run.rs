//! `wxcoupon return --batch FILE --dry-run`: every row planned and shown,
//! nothing sent, no journal.

use std::collections::HashMap;

use super::input::Rows;
use super::options::Batch;
use super::plan::{Plan, Seen, plan};
use super::row::line_of;
use crate::escape;
use crate::exit::Kind;
use crate::output::Out;

/// `--dry-run --batch`: every row checked and shown; nothing sent, no journal.
pub fn run(rows: Rows, b: &Batch, out: &mut Out) -> u8 {
    let mut seen = Seen::default();
    let none = HashMap::new();
    let mut invalid_rows = 0;
    for item in rows {
        let line = item.line();
        match plan(item, &none, b, &mut seen) {
            Plan::Settled(d) => {
                invalid_rows += 1;
                out.out(&line_of(&d, b.json));
            }
            Plan::Send(input) => {
                let r = &input.request;
                let body = String::from_utf8_lossy(&r.body()).into_owned();
                if b.json {
                    out.json(&serde_json::json!({
                        "line": line, "outcome": "dry_run", "coupon_code": r.coupon_code,
                        "stock_id": r.stock_id, "return_request_no": r.return_request_no,
                        "body": body,
                    }));
                } else {
                    out.out(&format!(
                        "line {line}  {}  would send  {}\n",
                        escape::term(&r.coupon_code),
                        escape::term(&body)
                    ));
                }
            }
        }
    }
    out.err(&format!(
        "dry run: nothing was sent and no journal was written; {invalid_rows} invalid row(s)\n"
    ));
    if invalid_rows > 0 {
        Kind::Invalid.exit_code()
    } else {
        0
    }
}
