//! `wxcoupon explain CODE`: the catalogue, offline.

use anyhow::{Result, bail};
use serde_json::json;

use crate::catalogue::codes;
use crate::cli::ExplainArgs;
use crate::escape;
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
        // An alias is named as asked, with the catalogue's spelling.
        let asked = a.code.trim().to_ascii_uppercase();
        let mut s = if asked == first.code {
            format!("{} (HTTP {})\n", first.code, first.http)
        } else {
            format!(
                "{} (HTTP {}; also written {})\n",
                escape::term(&asked),
                first.http,
                first.code
            )
        };
        for line in codes::lines(&entries) {
            s.push_str(&format!("  {line}\n"));
        }
        out.out(&s);
    }
    Ok(0)
}
