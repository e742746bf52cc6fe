//! Finding the config file, reading it, and validating one profile into plain
//! values — before any key is read or anything is sent.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;
use toml::Spanned;

use crate::keys::{PrivateKey, PublicKey};

use crate::env::{Env, PRIVATE_KEY_ENV};
use crate::limits::{DEFAULT_RETRIES, DEFAULT_TIMEOUT_SECS, check_retries, check_timeout};
use crate::url::{BaseUrl, OFFICIAL_BASE_URL};

/// Where the config file comes from: the first match wins, and an explicit
/// choice that names a missing file is an error, never a fallback.
pub fn locate(explicit: Option<&Path>, env: &Env) -> Result<PathBuf> {
    if let Some(path) = explicit {
        return readable(path, "--config").map(Path::to_path_buf);
    }
    if let Some(path) = &env.config {
        if path.is_empty() {
            bail!(
                "WXCOUPON_CONFIG is set but empty; set it to the config file's path, or unset it \
                 to use the default location"
            );
        }
        return readable(Path::new(path), "WXCOUPON_CONFIG").map(Path::to_path_buf);
    }
    let default = default_path(env);
    match default {
        Some(path) if path.is_file() => Ok(path),
        _ => {
            let looked = default.map_or_else(
                || "the default location (neither XDG_CONFIG_HOME nor HOME is set)".to_string(),
                |p| p.display().to_string(),
            );
            bail!(
                "no config file found; looked at: --config (not given), WXCOUPON_CONFIG (not set), {looked}\n\
                 hint: copy config.example.toml there and fill in your merchant's values, \
                 or pass --config FILE"
            )
        }
    }
}

/// An explicitly named config file: anything that exists and is not a
/// folder (a pipe such as `--config <(…)` too).
fn readable<'p>(path: &'p Path, from: &str) -> Result<&'p Path> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => bail!(
            "config file {} (from {from}) is a folder; name the config file in it",
            path.display()
        ),
        Ok(_) => Ok(path),
        Err(_) => bail!(
            "config file {} (from {from}) does not exist or cannot be read",
            path.display()
        ),
    }
}

fn default_path(env: &Env) -> Option<PathBuf> {
    let base = match (&env.xdg_config_home, &env.home) {
        (Some(xdg), _) => PathBuf::from(xdg),
        (None, Some(home)) => PathBuf::from(home).join(".config"),
        (None, None) => return None,
    };
    Some(base.join("wxcoupon").join("config.toml"))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
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
    "base_url",
    "backup_base_url",
    "timeout_secs",
    "retries",
    "proxy",
    "ca_file",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    mchid: Spanned<String>,
    merchant_serial_no: Spanned<String>,
    private_key_file: Option<Spanned<String>>,
    wechatpay_public_key_id: Spanned<String>,
    wechatpay_public_key_file: Spanned<String>,
    base_url: Option<Spanned<String>>,
    backup_base_url: Option<Spanned<String>>,
    timeout_secs: Option<Spanned<u64>>,
    retries: Option<Spanned<u32>>,
    proxy: Option<Spanned<String>>,
    ca_file: Option<Spanned<String>>,
}

/// PEM text that must never be printed: its `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretPem(pub String);

impl fmt::Debug for SecretPem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretPem(redacted)")
    }
}

/// Where a key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The PEM text of `WXCOUPON_PRIVATE_KEY`.
    Env(SecretPem),
    File(PathBuf),
    /// A sample key compiled into wxcoupon (emulator and demo only).
    Builtin {
        name: &'static str,
        pem: &'static str,
    },
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Env(_) => write!(f, "the key in {PRIVATE_KEY_ENV}"),
            KeySource::File(p) => write!(f, "key file {}", p.display()),
            KeySource::Builtin { name, .. } => write!(f, "the built-in {name}"),
        }
    }
}

/// One validated profile. Keys are read on demand by `private_key()` and
/// `public_key()`, so commands that need only one of them read only that one.
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub config_path: PathBuf,
    pub mchid: String,
    pub merchant_serial_no: String,
    pub private_key: KeySource,
    pub wechatpay_public_key_id: String,
    pub wechatpay_public_key: KeySource,
    pub base_url: BaseUrl,
    pub backup_base_url: Option<BaseUrl>,
    pub timeout: Duration,
    pub retries: u32,
    /// `http://host:port` (or socks5://…), for every non-loopback request.
    pub proxy: Option<String>,
    /// A PEM bundle that replaces the Mozilla roots.
    pub ca_file: Option<PathBuf>,
}

impl Profile {
    pub fn load_private_key(&self) -> Result<PrivateKey> {
        match &self.private_key {
            KeySource::Env(SecretPem(text)) => PrivateKey::from_pem(text.as_bytes())
                .with_context(|| format!("reading the private key in {PRIVATE_KEY_ENV}")),
            KeySource::File(path) => read_private_key(path),
            KeySource::Builtin { pem, name } => {
                PrivateKey::from_pem(pem.as_bytes()).with_context(|| format!("the built-in {name}"))
            }
        }
    }

    /// The CA bundle's certificates, when `ca_file` is set.
    pub fn load_roots(&self) -> Result<Option<Vec<ureq::tls::Certificate<'static>>>> {
        let Some(path) = &self.ca_file else {
            return Ok(None);
        };
        let text = crate::files::read(path, "ca_file", crate::files::CA_FILE_MAX)?;
        let mut certs = Vec::new();
        for item in ureq::tls::parse_pem(&text) {
            match item {
                Ok(ureq::tls::PemItem::Certificate(c)) => certs.push(c),
                Ok(_) => {}
                Err(e) => bail!(
                    "ca_file {}: not a readable PEM bundle ({e})",
                    path.display()
                ),
            }
        }
        if certs.is_empty() {
            bail!(
                "ca_file {} holds no certificate (expected `-----BEGIN CERTIFICATE-----` blocks)",
                path.display()
            );
        }
        Ok(Some(certs))
    }

    pub fn load_public_key(&self) -> Result<PublicKey> {
        let key = match &self.wechatpay_public_key {
            KeySource::File(path) => read_public_key(path),
            KeySource::Env(SecretPem(text)) => PublicKey::from_pem(text.as_bytes()),
            KeySource::Builtin { pem, name } => {
                PublicKey::from_pem(pem.as_bytes()).with_context(|| format!("the built-in {name}"))
            }
        };
        key.context(
            "check wechatpay_public_key_file: it must be the WeChat Pay public key (pub_key.pem) \
             downloaded from the merchant platform",
        )
    }
}

/// A warning when the private key file can be read by group or others.
pub fn loose_key_file(source: &KeySource) -> Option<String> {
    #[cfg(unix)]
    if let KeySource::File(path) = source {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Some(format!(
                "private key file {} can be read by group or others (mode {mode:03o}); run: chmod 600 {}",
                path.display(),
                crate::escape::shell(&path.display().to_string())
            ));
        }
    }
    None
}

pub fn read_private_key(path: &Path) -> Result<PrivateKey> {
    let text = crate::files::read(path, "private key file", crate::files::KEY_FILE_MAX)?;
    PrivateKey::from_pem(&text).with_context(|| format!("private key file {}", path.display()))
}

pub fn read_public_key(path: &Path) -> Result<PublicKey> {
    let text = crate::files::read(
        path,
        "WeChat Pay public key file",
        crate::files::KEY_FILE_MAX,
    )?;
    PublicKey::from_pem(&text)
        .with_context(|| format!("WeChat Pay public key file {}", path.display()))
}

/// The profile that `--config`/`--profile` (else their environment
/// variables and defaults) choose, validated.
pub fn select(config: Option<&Path>, chosen: Option<&str>, env: &Env) -> Result<Profile> {
    let path = locate(config, env)?;
    load(&path, chosen, env)
}

/// Reads the config file at `path` (once: it may be a pipe).
pub fn read_config(path: &Path) -> Result<String> {
    crate::files::read_text(path, "config file", crate::files::CONFIG_MAX)
}

/// Reads the config file at `path` and validates the chosen profile.
pub fn load(path: &Path, chosen: Option<&str>, env: &Env) -> Result<Profile> {
    parse(path, &read_config(path)?, chosen, env)
}

/// Validates the chosen profile of the config text read from `path`.
pub fn parse(path: &Path, text: &str, chosen: Option<&str>, env: &Env) -> Result<Profile> {
    let at = Locator { path, text };
    refuse_pem(&at)?;
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        anyhow!(
            "config file {}: {}",
            path.display(),
            e.to_string().trim_end()
        )
    })?;

    if raw.profile.is_empty() {
        bail!(
            "config file {} has no profile; add a [profile.NAME] table (see config.example.toml)",
            path.display()
        );
    }
    let names = || raw.profile.keys().cloned().collect::<Vec<_>>().join(", ");
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

    let field = |f: &str| format!("profile.{name}.{f}");
    let mchid = p.mchid.get_ref();
    check_mchid(mchid)
        .map_err(|e| anyhow!("{}: {} = {mchid:?}: {e}", at.line(&p.mchid), field("mchid")))?;
    let serial = p.merchant_serial_no.get_ref();
    check_serial(serial).map_err(|e| {
        anyhow!(
            "{}: {} = {serial:?}: {e}",
            at.line(&p.merchant_serial_no),
            field("merchant_serial_no")
        )
    })?;
    let key_id = p.wechatpay_public_key_id.get_ref();
    if key_id.is_empty() || !key_id.bytes().all(|b| b.is_ascii_graphic() && b != b'"') {
        bail!(
            "{}: {} = {:?}: must be the WeChat Pay public key id (微信支付公钥ID), e.g. PUB_KEY_ID_…",
            at.line(&p.wechatpay_public_key_id),
            field("wechatpay_public_key_id"),
            key_id
        );
    }
    let folder = path.parent().unwrap_or(Path::new("."));
    let resolve = |s: &Spanned<String>, f: &str| -> Result<PathBuf> {
        let value = s.get_ref();
        if value.is_empty() {
            bail!("{}: {}: the file name is empty", at.line(s), field(f));
        }
        if crate::redact::looks_like_key(value) {
            bail!(
                "{}: {} holds what looks like key material ({} characters), not a file name; \
                 put the key in a file of its own (chmod 600) and name that file here, or pass \
                 the PEM text in {PRIVATE_KEY_ENV}",
                at.line(s),
                field(f),
                value.chars().count()
            );
        }
        Ok(folder.join(value))
    };
    let private_key = match (&env.private_key, &p.private_key_file) {
        (Some(v), _) if v.trim().is_empty() => {
            bail!(
                "{PRIVATE_KEY_ENV} is set but empty; put the key's PEM text in it, or unset it to use private_key_file"
            )
        }
        (Some(v), _) if v.len() as u64 > crate::files::KEY_FILE_MAX => bail!(
            "{PRIVATE_KEY_ENV} holds {} bytes; a PEM private key is about 2 KiB (at most {} are read)",
            v.len(),
            crate::files::size(crate::files::KEY_FILE_MAX)
        ),
        (Some(v), _) => KeySource::Env(SecretPem(v.clone())),
        (None, Some(f)) => KeySource::File(resolve(f, "private_key_file")?),
        (None, None) => bail!(
            "config file {}: {} is missing and {PRIVATE_KEY_ENV} is not set; \
             one of them must give the merchant's API private key (apiclient_key.pem)",
            path.display(),
            field("private_key_file")
        ),
    };
    let wechatpay_public_key = KeySource::File(resolve(
        &p.wechatpay_public_key_file,
        "wechatpay_public_key_file",
    )?);

    let url = |s: &Spanned<String>, f: &str| -> Result<BaseUrl> {
        BaseUrl::parse(s.get_ref())
            .map_err(|e| anyhow!("{}: {} = {:?}: {e}", at.line(s), field(f), s.get_ref()))
    };
    let base_url = match &p.base_url {
        Some(s) => url(s, "base_url")?,
        None => BaseUrl::parse(OFFICIAL_BASE_URL).map_err(|e| anyhow!(e))?,
    };
    let backup_base_url = match &p.backup_base_url {
        Some(s) if s.get_ref().is_empty() => None,
        Some(s) => Some(url(s, "backup_base_url")?),
        // An official backup only stands behind its official primary.
        None => match base_url.official_backup() {
            Some(b) => Some(BaseUrl::parse(b).map_err(|e| anyhow!(e))?),
            None => None,
        },
    };
    let timeout_secs = match &p.timeout_secs {
        Some(t) => {
            let v = *t.get_ref();
            check_timeout(v)
                .map_err(|e| anyhow!("{}: {} = {v}: {e}", at.line(t), field("timeout_secs")))?;
            v
        }
        None => DEFAULT_TIMEOUT_SECS,
    };
    let retries = match &p.retries {
        Some(r) if check_retries(*r.get_ref()).is_err() => bail!(
            "{}: {} = {}: {}",
            at.line(r),
            field("retries"),
            r.get_ref(),
            check_retries(*r.get_ref()).unwrap_err()
        ),
        Some(r) => *r.get_ref(),
        None => DEFAULT_RETRIES,
    };

    let proxy = match &p.proxy {
        Some(s) if s.get_ref().is_empty() => None,
        Some(s) => {
            ureq::Proxy::new(s.get_ref()).map_err(|_| {
                anyhow!(
                    "{}: {} = {:?}: not a proxy URL; expected http://host:port",
                    at.line(s),
                    field("proxy"),
                    crate::redact::url(s.get_ref())
                )
            })?;
            Some(s.get_ref().clone())
        }
        None => None,
    };
    let ca_file = match &p.ca_file {
        Some(f) => Some(resolve(f, "ca_file")?),
        None => None,
    };

    Ok(Profile {
        name,
        config_path: path.to_path_buf(),
        mchid: mchid.clone(),
        merchant_serial_no: serial.clone(),
        private_key,
        wechatpay_public_key_id: key_id.clone(),
        wechatpay_public_key,
        base_url,
        backup_base_url,
        timeout: Duration::from_secs(timeout_secs),
        retries,
        proxy,
        ca_file,
    })
}

/// A config file holds names of key files, never keys: a PEM block in it
/// is refused before the TOML parser could quote it in an error.
fn refuse_pem(at: &Locator<'_>) -> Result<()> {
    let Some(start) = at.text.find("-----BEGIN") else {
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

/// A merchant id (商户号): digits.
pub fn check_mchid(mchid: &str) -> Result<(), String> {
    if mchid.is_empty() || !mchid.bytes().all(|b| b.is_ascii_digit()) {
        return Err("must be the merchant id (商户号), digits only".into());
    }
    Ok(())
}

/// A merchant API certificate serial number: hexadecimal.
pub fn check_serial(serial: &str) -> Result<(), String> {
    if serial.is_empty() || !serial.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(
            "must be the merchant API certificate serial number (商户API证书序列号), hexadecimal"
                .into(),
        );
    }
    Ok(())
}

/// Turns a span into `FILE:LINE` for messages.
struct Locator<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Locator<'_> {
    fn line<T>(&self, s: &Spanned<T>) -> String {
        let start = s.span().start.min(self.text.len());
        let line = self.text[..start].matches('\n').count() + 1;
        format!("{}:{line}", self.path.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::url::OFFICIAL_BACKUP_URL;
    use std::fs;

    const GOOD: &str = r#"
[profile.shop]
mchid = "1900000109"
merchant_serial_no = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
private_key_file = "apiclient_key.pem"
wechatpay_public_key_id = "PUB_KEY_ID_0119000001092024112700000000000001"
wechatpay_public_key_file = "pub_key.pem"
"#;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        fs::write(&path, text).unwrap();
        (dir, path)
    }

    fn err(text: &str, chosen: Option<&str>, env: &Env) -> String {
        let (_dir, path) = write(text);
        format!("{:#}", load(&path, chosen, env).unwrap_err())
    }

    #[test]
    fn a_minimal_profile_gets_the_documented_defaults() {
        let (dir, path) = write(GOOD);
        let p = load(&path, None, &Env::default()).unwrap();
        assert_eq!(p.name, "shop");
        assert_eq!(p.base_url.origin, OFFICIAL_BASE_URL);
        assert_eq!(p.backup_base_url.unwrap().origin, OFFICIAL_BACKUP_URL);
        assert_eq!(p.timeout, Duration::from_secs(10));
        assert_eq!(p.retries, 2);
        assert_eq!(
            p.private_key,
            KeySource::File(dir.path().join("apiclient_key.pem"))
        );
        assert_eq!(
            p.wechatpay_public_key,
            KeySource::File(dir.path().join("pub_key.pem"))
        );
    }

    #[test]
    fn api_wechatpay_cn_has_its_own_backup() {
        let text = format!("{GOOD}base_url = \"https://api.wechatpay.cn/\"\n");
        let (_d, path) = write(&text);
        let p = load(&path, None, &Env::default()).unwrap();
        assert_eq!(p.base_url.origin, "https://api.wechatpay.cn");
        assert_eq!(
            p.backup_base_url.unwrap().origin,
            "https://api2.wechatpay.cn"
        );
    }

    #[test]
    fn a_custom_base_url_has_no_backup_unless_named() {
        let text = format!("{GOOD}base_url = \"http://127.0.0.1:8080/\"\n");
        let (_d, path) = write(&text);
        let p = load(&path, None, &Env::default()).unwrap();
        assert_eq!(p.base_url.origin, "http://127.0.0.1:8080");
        assert_eq!(p.backup_base_url, None);
    }

    #[test]
    fn unknown_keys_name_the_file_and_line() {
        let e = err(&format!("{GOOD}mchld = \"1\"\n"), None, &Env::default());
        assert!(
            e.contains("config.toml") && e.contains("line 8") && e.contains("mchld"),
            "{e}"
        );
    }

    #[test]
    fn wrong_types_name_the_line() {
        let e = err(
            &format!("{GOOD}timeout_secs = \"ten\"\n"),
            None,
            &Env::default(),
        );
        assert!(
            e.contains("line 8") && e.contains("timeout_secs") || e.contains("integer"),
            "{e}"
        );
    }

    #[test]
    fn bad_values_name_file_line_field_and_value() {
        let e = err(
            &GOOD.replace("\"1900000109\"", "\"19x\""),
            None,
            &Env::default(),
        );
        assert!(
            e.contains("config.toml:3: profile.shop.mchid = \"19x\""),
            "{e}"
        );
        let e = err(
            &format!("{GOOD}base_url = \"http://example.com\"\n"),
            None,
            &Env::default(),
        );
        assert!(
            e.contains(":8: profile.shop.base_url") && e.contains("loopback"),
            "{e}"
        );
        let e = err(
            &format!("{GOOD}base_url = \"https://h/v3/x\"\n"),
            None,
            &Env::default(),
        );
        assert!(e.contains("scheme://host[:port]"), "{e}");
        let e = err(&format!("{GOOD}timeout_secs = 0\n"), None, &Env::default());
        assert!(e.contains("timeout_secs = 0"), "{e}");
    }

    #[test]
    fn several_profiles_and_none_chosen_lists_them() {
        let two = format!("{GOOD}\n{}", GOOD.replace("profile.shop", "profile.other"));
        let e = err(&two, None, &Env::default());
        assert!(e.contains("several profiles (other, shop)"), "{e}");
        let e = err(&two, Some("nope"), &Env::default());
        assert!(
            e.contains("profile `nope` (from --profile)") && e.contains("other, shop"),
            "{e}"
        );
        let env = Env {
            profile: Some("other".into()),
            ..Env::default()
        };
        let (_d, path) = write(&two);
        assert_eq!(load(&path, None, &env).unwrap().name, "other");
        assert_eq!(load(&path, Some("shop"), &env).unwrap().name, "shop");
        let with_default = format!("default_profile = \"other\"\n{two}");
        let (_d, path) = write(&with_default);
        assert_eq!(load(&path, None, &Env::default()).unwrap().name, "other");
    }

    #[test]
    fn the_private_key_env_wins_and_empty_is_an_error() {
        let (_d, path) = write(GOOD);
        let env = Env {
            private_key: Some("PEM".into()),
            ..Env::default()
        };
        assert_eq!(
            load(&path, None, &env).unwrap().private_key,
            KeySource::Env(SecretPem("PEM".into()))
        );
        assert!(!format!("{:?}", load(&path, None, &env).unwrap()).contains("PEM\""));
        let env = Env {
            private_key: Some(String::new()),
            ..Env::default()
        };
        let e = format!("{:#}", load(&path, None, &env).unwrap_err());
        assert!(e.contains("WXCOUPON_PRIVATE_KEY is set but empty"), "{e}");
    }

    #[test]
    fn locate_follows_flag_env_xdg_home_and_never_falls_back() {
        let (dir, path) = write(GOOD);
        let missing = dir.path().join("missing.toml");
        let env = Env {
            config: Some(path.clone().into()),
            ..Env::default()
        };
        assert_eq!(locate(None, &env).unwrap(), path);
        let e = locate(Some(&missing), &env).unwrap_err().to_string();
        assert!(e.contains("missing.toml (from --config)"), "{e}");
        let env = Env {
            config: Some(missing.clone().into()),
            ..Env::default()
        };
        let e = locate(None, &env).unwrap_err().to_string();
        assert!(e.contains("(from WXCOUPON_CONFIG)"), "{e}");

        let xdg = dir.path().join("xdg");
        fs::create_dir_all(xdg.join("wxcoupon")).unwrap();
        fs::write(xdg.join("wxcoupon/config.toml"), GOOD).unwrap();
        let env = Env {
            xdg_config_home: Some(xdg.clone().into()),
            home: Some(dir.path().into()),
            ..Env::default()
        };
        assert_eq!(
            locate(None, &env).unwrap(),
            xdg.join("wxcoupon/config.toml")
        );
        let env = Env {
            home: Some(dir.path().into()),
            ..Env::default()
        };
        let e = locate(None, &env).unwrap_err().to_string();
        assert!(
            e.contains(".config/wxcoupon/config.toml") && e.contains("config.example.toml"),
            "{e}"
        );
    }

    #[test]
    fn profile_keys_match_what_the_parser_accepts() {
        let mut text = GOOD.to_string();
        for k in [
            "base_url = \"https://a\"",
            "backup_base_url = \"\"",
            "timeout_secs = 5",
            "retries = 1",
            "proxy = \"\"",
            "ca_file = \"ca.pem\"",
        ] {
            text.push_str(k);
            text.push('\n');
        }
        let (_d, path) = write(&text);
        load(&path, None, &Env::default()).unwrap();
        let keys: Vec<&str> = text
            .lines()
            .filter_map(|l| l.split_once(" = ").map(|(k, _)| k))
            .collect();
        assert_eq!(keys.len(), PROFILE_KEYS.len());
        for k in keys {
            assert!(PROFILE_KEYS.contains(&k), "{k}");
        }
    }
}
