//! Reading a config file and choosing one of its profiles. The TOML schema
//! is here; what each field may hold is `fields`' job.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Result, anyhow, bail};
use serde::Deserialize;
use toml::Spanned;

use super::schema::{self, PROFILE_KEYS};
use crate::env::{Env, PRIVATE_KEY_ENV};

/// The file, once `schema` found no problem in it (unknown keys are
/// `schema`'s to report, so that all are reported at once).
#[derive(Debug, Deserialize)]
pub(super) struct RawConfig {
    default_profile: Option<Spanned<String>>,
    #[serde(default)]
    profile: BTreeMap<String, RawProfile>,
}

#[derive(Debug, Deserialize)]
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
    pub(super) ledger: Option<Spanned<bool>>,
    pub(super) ledger_dir: Option<Spanned<String>>,
}

/// The config text, with key material refused before the TOML parser could
/// quote it in an error, and every problem `schema` finds said at once.
pub(super) fn read(at: &Locator<'_>) -> Result<RawConfig> {
    refuse_pem(at)?;
    refuse_key_material(at)?;
    let table = toml::de::DeTable::parse(at.text).map_err(|e| syntax(at, &e))?;
    let problems = schema::problems(at.text, table.get_ref());
    if !problems.is_empty() {
        bail!("{}", said(at, &problems).join("\n"));
    }
    toml::from_str(at.text).map_err(|e: toml::de::Error| syntax(at, &e))
}

/// The problems `schema` finds, as `FILE:LINE: what` lines; and the file,
/// when they leave it readable (none of a wrong type).
pub(super) fn read_all(at: &Locator<'_>) -> (Vec<String>, Option<RawConfig>) {
    if let Err(e) = refuse_pem(at).and_then(|()| refuse_key_material(at)) {
        return (vec![format!("{e:#}")], None);
    }
    let table = match toml::de::DeTable::parse(at.text) {
        Ok(t) => t,
        Err(e) => return (vec![format!("{:#}", syntax(at, &e))], None),
    };
    let problems = schema::problems(at.text, table.get_ref());
    let lines = said(at, &problems);
    if problems.iter().any(|p| p.blocks && !p.on_its_line) {
        return (lines, None);
    }
    // Without the lines of the wrong values, the rest can be read, so that
    // its problems are found too.
    let skip: Vec<usize> = problems.iter().map(|p| p.line).collect();
    let rest = at
        .text
        .split('\n')
        .enumerate()
        .map(|(i, l)| {
            // Spaces of the same length: every other span stays where it is.
            if skip.contains(&(i + 1)) {
                " ".repeat(l.len())
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    (lines, toml::from_str(&rest).ok())
}

/// Problems as `FILE:LINE: what` lines.
fn said(at: &Locator<'_>, problems: &[schema::Problem]) -> Vec<String> {
    problems
        .iter()
        .map(|p| format!("{}:{}: {}", at.path.display(), p.line, p.what))
        .collect()
}

/// A TOML syntax (or type) error, with the line the parser quotes unless
/// that line names a secret.
fn syntax(at: &Locator<'_>, e: &toml::de::Error) -> anyhow::Error {
    let line_of = |at_byte: usize| at.text[..at_byte.min(at.text.len())].matches('\n').count();
    let line = e.span().map(|s| line_of(s.start));
    let text = line
        .and_then(|n| at.text.lines().nth(n))
        .unwrap_or_default();
    let key = text.split('=').next().unwrap_or_default().trim();
    match line {
        Some(n) if secret_named(key) => anyhow!(
            "{}:{}: {} (the line is not shown: `{key}` may hold a secret)",
            at.path.display(),
            n + 1,
            e.message().trim_end()
        ),
        _ => anyhow!(
            "config file {}: {}",
            at.path.display(),
            e.to_string().trim_end()
        ),
    }
}

/// The names of the config's `[profile.NAME]` tables, whatever they hold.
pub(super) fn names(text: &str) -> Result<Vec<String>> {
    let config: toml::Table = toml::from_str(text).map_err(|_| anyhow!("not TOML"))?;
    Ok(match config.get("profile") {
        Some(toml::Value::Table(profiles)) => profiles.keys().cloned().collect(),
        _ => Vec::new(),
    })
}

/// Fields that hold a file name for a secret: their value is never quoted.
const SECRET_FILE_FIELDS: &[&str] = &["private_key_file", "apiv3_key_file"];

/// A key whose name says it holds a secret: one of `SECRET_FILE_FIELDS`, or
/// any key that is not one of ours and says key, secret, password or token.
fn secret_named(key: &str) -> bool {
    let key = key.trim_matches(|c| c == '"' || c == '\'' || c == ' ');
    let last = key.rsplit('.').next().unwrap_or(key);
    if SECRET_FILE_FIELDS.contains(&last) {
        return true;
    }
    let lower = last.to_ascii_lowercase();
    !PROFILE_KEYS.contains(&last)
        && ["key", "secret", "password", "passwd", "token"]
            .iter()
            .any(|w| lower.contains(w))
}

/// The APIv3 key (APIv3密钥) is 32 letters and digits.
fn looks_like_apiv3_key(value: &str) -> bool {
    value.len() == 32 && value.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A secret-named key whose value must not stay in the file (or be quoted):
/// an unknown key naming a secret (`apiv3_key = "…"`), or a secret file
/// field holding what looks like the APIv3 key itself and no such file.
fn secret_value_refusal(at: &Locator<'_>, name: &str, value: &str) -> Option<String> {
    let last = name.rsplit('.').next().unwrap_or(name);
    let is_key = looks_like_apiv3_key(value);
    let put = "put the key in a file of its own (chmod 600) and name that file in apiv3_key_file, \
               or pass it in WXCOUPON_APIV3_KEY";
    if SECRET_FILE_FIELDS.contains(&last) {
        let folder = at.path.parent().unwrap_or(Path::new("."));
        return (is_key && !folder.join(value).is_file()).then(|| {
            format!(
                "{name} holds what looks like the APIv3 key itself (32 letters and digits), not a \
                 file name; {put}"
            )
        });
    }
    if !secret_named(last) {
        return None;
    }
    let looks = if is_key {
        format!("its value looks like the APIv3 key itself; {put}")
    } else {
        "its value is not shown".to_string()
    };
    Some(format!(
        "{name} is not a key wxcoupon knows, and its name says it holds a secret: {looks}. A \
         profile may have: {}",
        PROFILE_KEYS.join(", ")
    ))
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
            "config file {} has no profile; add a [profile.NAME] table (`wxcoupon config example` prints one)",
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
    refuse_secret_values(at, "", table.get_ref())?;
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

/// Every string value under a secret-named key, in file order: refused
/// without quoting it, when it must not stay there.
fn refuse_secret_values(at: &Locator<'_>, path: &str, table: &toml::de::DeTable<'_>) -> Result<()> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    for (k, v) in entries {
        let name = if path.is_empty() {
            k.get_ref().to_string()
        } else {
            format!("{path}.{}", k.get_ref())
        };
        if let toml::de::DeValue::String(value) = v.get_ref()
            && let Some(why) = secret_value_refusal(at, &name, value)
        {
            let line = at.text[..k.span().start.min(at.text.len())]
                .matches('\n')
                .count()
                + 1;
            bail!("{}:{line}: {why}", at.path.display());
        }
        if let Some(inner) = v.get_ref().as_table() {
            refuse_secret_values(at, &name, inner)?;
        }
    }
    Ok(())
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
