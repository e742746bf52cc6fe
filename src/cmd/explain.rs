//! `wxcoupon explain CODE`: the catalogue, offline.

use anyhow::{Result, bail};
use serde_json::json;

use crate::catalogue::codes;
use crate::cli::ExplainArgs;
use crate::output::Out;

pub fn run(a: &ExplainArgs, json: bool, out: &mut Out) -> Result<u8> {
    let entries = match &a.message {
        Some(m) => codes::lookup(&a.code, Some(m)),
        None => codes::meanings(&a.code),
    };
    let Some(first) = entries.first() else {
        bail!(
            "unknown error code {:?}; the known codes are: {}",
            a.code,
            codes::known_codes().join(", ")
        );
    };
    if json {
        let meanings: Vec<_> = entries
            .iter()
            .map(|e| {
                json!({
                    "http_status": e.http, "message": e.message,
                    "zh": e.zh, "en": e.en, "next_zh": e.next_zh, "next_en": e.next_en,
                })
            })
            .collect();
        out.json(&json!({"code": first.code, "meanings": meanings}));
    } else {
        let mut s = format!("{} (HTTP {})\n", first.code, first.http);
        for line in codes::lines(&entries) {
            s.push_str(&format!("  {line}\n"));
        }
        out.out(&s);
    }
    Ok(0)
}
