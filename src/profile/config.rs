//! Reading a config file and choosing one of its profiles. The TOML schema
//! is here; what each field may hold is `fields`' job.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Result, anyhow, bail};
use serde::Deserialize;
use toml::Spanned;

use crate::env::{Env, PRIVATE_KEY_ENV};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    default_profile: Option<Spanned<String>>,
    #[serde(default)]
    profile: BTreeMap<String, RawProfile>,
}

/// The keys a `[profile.NAME]` table may have (kept in step with `RawProfile`).
pub const PROFILE_KEYS: &[&str] = &[
    "mchid",
    "merchant_serial_no",
    "private_key_file",
    "wechatpay_public_key_id",
    "wechatpay_public_key_file",
    "platform_certificates_dir",
    "apiv3_key_file",
    "base_url",
    "backup_base_url",
    "timeout_secs",
    "retries",
    "proxy",
    "ca_file",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProfile {
    pub(super) mchid: Spanned<String>,
    pub(super) merchant_serial_no: Spanned<String>,
    pub(super) private_key_file: Option<Spanned<String>>,
    pub(super) wechatpay_public_key_id: Option<Spanned<String>>,
    pub(super) wechatpay_public_key_file: Option<Spanned<String>>,
    pub(super) platform_certificates_dir: Option<Spanned<String>>,
    pub(super) apiv3_key_file: Option<Spanned<String>>,
    pub(super) base_url: Option<Spanned<String>>,
    pub(super) backup_base_url: Option<Spanned<String>>,
    pub(super) timeout_secs: Option<Spanned<u64>>,
    pub(super) retries: Option<Spanned<u32>>,
    pub(super) proxy: Option<Spanned<String>>,
    pub(super) ca_file: Option<Spanned<String>>,
}

/// The config text, with key material refused before the TOML parser could
/// quote it in an error.
pub(super) fn read(at: &Locator<'_>) -> Result<RawConfig> {
    refuse_pem(at)?;
    refuse_key_material(at)?;
    toml::from_str(at.text).map_err(|e| {
        anyhow!(
            "config file {}: {}",
            at.path.display(),
            e.to_string().trim_end()
        )
    })
}

/// The profile chosen by `--profile`, `$WXCOUPON_PROFILE`, `default_profile`,
/// or the only one there is.
pub(super) fn choose<'r>(
    raw: &'r RawConfig,
    chosen: Option<&str>,
    env: &Env,
    at: &Locator<'_>,
) -> Result<(String, &'r RawProfile)> {
    let path = at.path;
    if raw.profile.is_empty() {
        bail!(
            "config file {} has no profile; add a [profile.NAME] table (see config.example.toml)",
            path.display()
        );
    }
    let names = || raw.profile.keys().cloned().collect::<Vec<_>>().join(", ");
    if env.profile.as_deref() == Some("") && chosen.is_none() {
        bail!("WXCOUPON_PROFILE is set but empty; set it to a profile's name, or unset it");
    }
    let (name, why) = match (chosen, &env.profile, &raw.default_profile) {
        (Some(n), _, _) => (n.to_string(), "--profile"),
        (None, Some(n), _) => (n.clone(), "WXCOUPON_PROFILE"),
        (None, None, Some(n)) => (n.get_ref().clone(), "default_profile"),
        (None, None, None) if raw.profile.len() == 1 => (
            raw.profile.keys().next().cloned().unwrap_or_default(),
            "the only profile",
        ),
        (None, None, None) => bail!(
            "config file {} has several profiles ({}) and none is chosen; \
             pass --profile NAME, set WXCOUPON_PROFILE, or set default_profile",
            path.display(),
            names()
        ),
    };
    let Some(p) = raw.profile.get(&name) else {
        let place = match (why, &raw.default_profile) {
            ("default_profile", Some(d)) => format!("{} ({})", at.line(d), why),
            _ => why.to_string(),
        };
        bail!(
            "profile `{name}` (from {place}) is not in config file {}; the profiles there are: {}",
            path.display(),
            names()
        );
    };
    Ok((name, p))
}

/// A config file holds names of key files, never keys: a PEM block in it
/// is refused before the TOML parser could quote it in an error.
fn refuse_pem(at: &Locator<'_>) -> Result<()> {
    // A comment may mention a PEM header; a value may not hold one.
    let Some(start) = at
        .text
        .match_indices("-----BEGIN")
        .map(|(i, _)| i)
        .find(|&i| {
            let line_start = at.text[..i].rfind('\n').map_or(0, |n| n + 1);
            !at.text[line_start..i].trim_start().starts_with('#')
        })
    else {
        return Ok(());
    };
    let line = at.text[..start].matches('\n').count() + 1;
    let place = format!("{}:{line}", at.path.display());
    let tail = &at.text[start..];
    let header_end = tail[10..].find("-----").map_or(tail.len(), |e| e + 15);
    let header = &tail[..header_end.min(tail.len())];
    if header.contains("PRIVATE KEY") {
        bail!(
            "{place}: this config file holds a PEM private key (`-----BEGIN PRIVATE KEY-----`); \
             a config file names the key's file instead. Put the key in a file of its own \
             (chmod 600) and set private_key_file = \"apiclient_key.pem\", or pass the PEM text \
             in {PRIVATE_KEY_ENV}"
        );
    }
    bail!(
        "{place}: this config file holds a PEM block; a config file names files instead \
         (private_key_file, wechatpay_public_key_file, ca_file): put the PEM text in a file of \
         its own and name that file"
    )
}

/// No key or value of a config file may be key material: it would be quoted
/// in a message, or (a key id) sent in a request header. Refused before any
/// value is quoted; the line and the field are said, never the value. A file
/// that is not TOML is left to the parser, whose quote is redacted.
fn refuse_key_material(at: &Locator<'_>) -> Result<()> {
    use toml::de::{DeTable, DeValue};
    fn walk(path: &str, table: &DeTable<'_>, found: &mut Option<(String, usize, usize)>) {
        for (k, v) in table.iter() {
            let name = if path.is_empty() {
                k.get_ref().to_string()
            } else {
                format!("{path}.{}", k.get_ref())
            };
            let text = match v.get_ref() {
                DeValue::String(s) => Some(s.as_ref()),
                _ => None,
            };
            for (what, span) in [(Some(&**k.get_ref()), k.span()), (text, v.span())] {
                if found.is_none()
                    && let Some(t) = what
                    && crate::redact::looks_like_key(t)
                {
                    *found = Some((name.clone(), span.start, t.chars().count()));
                }
            }
            if let Some(inner) = v.get_ref().as_table() {
                walk(&name, inner, found);
            }
        }
    }
    let Ok(table) = DeTable::parse(at.text) else {
        return Ok(());
    };
    let mut found = None;
    walk("", table.get_ref(), &mut found);
    match found {
        Some((name, start, n)) => bail!(
            "{}:{}: {name} holds what looks like key material ({n} characters); a config file \
             names key files, never keys: put the key in a file of its own (chmod 600) and name \
             that file in private_key_file, or pass the PEM text in {PRIVATE_KEY_ENV}",
            at.path.display(),
            at.text[..start.min(at.text.len())].matches('\n').count() + 1
        ),
        None => Ok(()),
    }
}

/// Turns a span into `FILE:LINE` for messages.
pub(super) struct Locator<'a> {
    pub path: &'a Path,
    pub text: &'a str,
}

impl Locator<'_> {
    pub fn line<T>(&self, s: &Spanned<T>) -> String {
        let start = s.span().start.min(self.text.len());
        let line = self.text[..start].matches('\n').count() + 1;
        format!("{}:{line}", self.path.display())
    }
}
