//! What was built: the version, the commit and its date, whether the working
//! tree differed from the commit, the target and the C library's linkage, as
//! `build.rs` found them. `--version` prints the line; `--version --json` the
//! object, so that a bug report says exactly what ran.

/// `0.1.0 (1a2b3c4d5e6f 2026-12-03)`: clap prints it after the name.
pub const LINE: &str = env!("WXCOUPON_VERSION_LINE");

/// The same facts as one JSON object; a field that is not known is null.
pub fn json() -> serde_json::Value {
    let known = |s: &'static str| (!s.is_empty()).then_some(s);
    serde_json::json!({
        "name": env!("CARGO_PKG_NAME"),
        "version": env!("CARGO_PKG_VERSION"),
        "commit": known(env!("WXCOUPON_COMMIT")),
        "commit_date": known(env!("WXCOUPON_COMMIT_DATE")),
        "modified": known(env!("WXCOUPON_MODIFIED")).map(|m| m == "true"),
        "target": env!("WXCOUPON_TARGET"),
        "linkage": if cfg!(target_feature = "crt-static") { "static" } else { "dynamic" },
    })
}
