//! `wxcoupon sign`: a request signed by hand, for debugging SIGN_ERROR. The
//! one command besides `--dry-run` that prints an Authorization header.

use anyhow::{Context, Result, anyhow, bail};
use serde_json::json;
use time::OffsetDateTime;

use crate::cli::{GlobalOpts, SignArgs};
use crate::env::Env;
use crate::output::Out;
use crate::profile::{self, Profile};
use crate::request;
use crate::sign::{self, Signer};

/// The method, URL, nonce and body, checked; the body's bytes.
fn checked_body(a: &SignArgs) -> Result<Vec<u8>> {
    if a.method.is_empty() || !a.method.bytes().all(|b| b.is_ascii_uppercase()) {
        bail!(
            "--method {:?}: must be an upper-case HTTP method such as POST or GET",
            a.method
        );
    }
    if !a.url.starts_with('/') || a.url.contains("://") {
        bail!(
            "--url {:?}: must be the canonical URL: the path plus ?query, without scheme and host \
             (e.g. {})",
            a.url,
            request::PATH
        );
    }
    request::check_token("--url", &a.url, None)?;
    if let Some(n) = &a.nonce {
        request::check_token("--nonce", n, None)?;
    }
    let body = crate::files::body(&a.body, a.body_file.as_deref())?;
    if String::from_utf8_lossy(&body).contains("PRIVATE KEY-----") {
        bail!(
            "the body holds a PEM private key; sign signs request bodies (the JSON sent to \
             WeChat Pay), never keys — give the key with --key FILE"
        );
    }

    Ok(body)
}

pub fn run(g: &GlobalOpts, a: &SignArgs, env: &Env, out: &mut Out) -> Result<u8> {
    let body = checked_body(a)?;
    let profile = if a.key.is_some() && a.mchid.is_some() && a.serial.is_some() {
        None
    } else {
        Some(
            profile::select(g.config.as_deref(), g.profile.as_deref(), env).context(
                "sign needs --key, --mchid and --serial, or a profile to take the missing ones from",
            )?,
        )
    };
    let key = match (&a.key, &profile) {
        (Some(path), _) => profile::read_private_key(path)?,
        (None, Some(p)) => p.load_private_key()?,
        (None, None) => bail!("sign needs --key FILE or a profile"),
    };
    let pick = |flag: &Option<String>, from_profile: fn(&Profile) -> &String| {
        flag.clone()
            .or_else(|| profile.as_ref().map(|p| from_profile(p).clone()))
            .unwrap_or_default()
    };
    let mchid = pick(&a.mchid, |p| &p.mchid);
    let serial = pick(&a.serial, |p| &p.merchant_serial_no);
    profile::check_mchid(&mchid).map_err(|e| anyhow!("--mchid {mchid:?}: {e}"))?;
    profile::check_serial(&serial).map_err(|e| anyhow!("--serial {serial:?}: {e}"))?;

    let timestamp = a
        .timestamp
        .unwrap_or_else(|| OffsetDateTime::now_utc().unix_timestamp());
    let nonce = match &a.nonce {
        Some(n) => n.clone(),
        None => sign::nonce()?,
    };
    let signed = Signer {
        key: &key,
        mchid: &mchid,
        serial_no: &serial,
    }
    .sign(&a.method, &a.url, timestamp, &nonce, &body)?;
    if g.json {
        out.json(&json!({
            "message": String::from_utf8_lossy(&signed.message),
            "signature": signed.signature,
            "authorization": signed.authorization,
            "timestamp": timestamp, "nonce": nonce,
        }));
    } else {
        out.out(&format!("{}\n", signed.authorization));
        out.err(&format!(
            "signed message ({} bytes; each \\n is a line end):\n{}",
            signed.message.len(),
            sign::visible(&signed.message)
        ));
    }
    Ok(0)
}
