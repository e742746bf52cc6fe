//! `wxcoupon verify`: an answer's or callback's signature checked by hand.

use anyhow::{Context, Result, bail};
use serde_json::json;
use time::OffsetDateTime;

use crate::certs::cert::PlatformCert;
use crate::cli::{GlobalOpts, VerifyArgs};
use crate::env::Env;
use crate::exit::Kind;
use crate::files;
use crate::keys::PublicKey;
use crate::output::Out;
use crate::profile;
use crate::verify;

/// The WeChat Pay public key, or a platform certificate's key (its validity
/// is not checked: verify checks a signature, not who may sign now).
fn public_key_or_certificate(path: &std::path::Path) -> Result<PublicKey> {
    let text = files::read(path, "--public-key", files::KEY_FILE_MAX)?;
    if !text.windows(17).any(|w| w == b"BEGIN CERTIFICATE") {
        return profile::read_public_key(path);
    }
    let text = String::from_utf8_lossy(&text);
    PlatformCert::from_pem(&text)
        .map(|c| c.public_key)
        .with_context(|| format!("--public-key {}", path.display()))
}

pub fn run(g: &GlobalOpts, a: &VerifyArgs, env: &Env, out: &mut Out) -> Result<u8> {
    if a.timestamp.trim().parse::<i64>().is_err() {
        bail!(
            "--timestamp {:?}: must be a Unix time in seconds (the Wechatpay-Timestamp header)",
            a.timestamp
        );
    }
    let body = files::body(&a.body, a.body_file.as_deref())?;
    let key: PublicKey = match &a.public_key {
        Some(path) => public_key_or_certificate(path)?,
        None => profile::select(g.config.as_deref(), g.profile.as_deref(), env)
            .context("verify needs --public-key FILE, or a profile with wechatpay_public_key_file")?
            .load_public_key()?
            .map(|(_, key)| key)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "verify needs --public-key FILE: the profile has no wechatpay_public_key_file \
                     (a platform certificate's PEM file does too)"
                )
            })?,
    };
    let result = verify::signature(&key, &a.timestamp, &a.nonce, &body, &a.signature);
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let offset = verify::offset(&a.timestamp, now).ok();
    let code = match result {
        Ok(()) => 0,
        Err(_) => Kind::Unverified.exit_code(),
    };
    if g.json {
        out.json(&json!({
            "valid": result.is_ok(),
            "reason": result.as_ref().err().map(ToString::to_string),
            "timestamp_offset_secs": offset,
        }));
        return Ok(code);
    }
    let age = match offset {
        Some(o) => format!(
            "the timestamp is {} s {} the local clock{}",
            o.unsigned_abs(),
            if o < 0 { "behind" } else { "ahead of" },
            if o.unsigned_abs() >= verify::MAX_AGE_SECS.unsigned_abs() {
                " (wxcoupon return would refuse an answer this old; verify does not)"
            } else {
                ""
            }
        ),
        None => format!(
            "the timestamp {:?} is not a Unix time in seconds",
            a.timestamp
        ),
    };
    match result {
        Ok(()) => {
            out.out("valid\n");
            out.err(&format!("signature valid; {age}\n"));
        }
        Err(f) => out.err(&format!("wxcoupon: invalid signature: {f}\n  {age}\n")),
    }
    Ok(code)
}
