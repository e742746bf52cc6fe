//! The checked profile: its values, and its keys read on demand.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::env::{APIV3_KEY_ENV, PRIVATE_KEY_ENV};
use crate::keys::{PrivateKey, PublicKey};
use crate::url::BaseUrl;

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

/// The WeChat Pay public key: its id (`PUB_KEY_ID_…`) and where it is.
#[derive(Debug, Clone)]
pub struct WechatpayPublicKey {
    pub id: String,
    pub source: KeySource,
}

/// How a profile verifies WeChat Pay's answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    PublicKey,
    Certificates,
    /// Both: a merchant switching from certificates to the public key.
    Switching,
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mode::PublicKey => "the WeChat Pay public key (公钥模式)",
            Mode::Certificates => "platform certificates (平台证书模式)",
            Mode::Switching => {
                "switching: the WeChat Pay public key and platform certificates, whichever signs"
            }
        })
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
    /// The WeChat Pay public key (公钥模式), when the profile uses it.
    pub wechatpay_public_key: Option<WechatpayPublicKey>,
    /// The folder of platform certificates (平台证书), when the profile uses them.
    pub platform_certificates_dir: Option<PathBuf>,
    /// The APIv3 key, which downloads platform certificates.
    pub apiv3_key: Option<KeySource>,
    pub base_url: BaseUrl,
    pub backup_base_url: Option<BaseUrl>,
    pub timeout: Duration,
    pub retries: u32,
    /// `http://host:port` (or socks5://…), for every non-loopback request.
    pub proxy: Option<String>,
    /// A PEM bundle that replaces the Mozilla roots.
    pub ca_file: Option<PathBuf>,
    /// Returns are recorded in the ledger (`ledger = false`: not).
    pub ledger: bool,
    /// The ledger's folder (`ledger_dir`, relative to the config's folder).
    pub ledger_dir: Option<PathBuf>,
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
        // The pem crate passes over a BEGIN line without its END line; a
        // bundle cut short is refused all the same.
        let begun = text.windows(11).filter(|w| w == b"-----BEGIN ").count();
        let blocks = pem::parse_many(&text)
            .ok()
            .filter(|b| b.len() == begun)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "ca_file {}: not a readable PEM bundle (a BEGIN line without its END line, or \
                 damaged Base64)",
                    path.display()
                )
            })?;
        let certs: Vec<_> = blocks
            .iter()
            .filter(|b| b.tag() == "CERTIFICATE")
            .map(|b| ureq::tls::Certificate::from_der(b.contents()).to_owned())
            .collect();
        if certs.is_empty() {
            bail!(
                "ca_file {} holds no certificate (expected `-----BEGIN CERTIFICATE-----` blocks)",
                path.display()
            );
        }
        Ok(Some(certs))
    }

    pub fn mode(&self) -> Mode {
        match (&self.wechatpay_public_key, &self.platform_certificates_dir) {
            (Some(_), Some(_)) => Mode::Switching,
            (None, Some(_)) => Mode::Certificates,
            _ => Mode::PublicKey,
        }
    }

    /// The APIv3 key, when the profile has one (`$WXCOUPON_APIV3_KEY` or `apiv3_key_file`).
    pub fn load_apiv3_key(&self) -> Result<Option<crate::certs::ApiV3Key>> {
        let (text, from) = match &self.apiv3_key {
            None => return Ok(None),
            Some(KeySource::Env(SecretPem(text))) => (text.clone(), APIV3_KEY_ENV.to_string()),
            Some(KeySource::File(path)) => (
                crate::files::read_text(path, "apiv3_key_file", 1024)?,
                format!("apiv3_key_file {}", path.display()),
            ),
            Some(KeySource::Builtin { pem, name }) => {
                (pem.to_string(), format!("the built-in {name}"))
            }
        };
        crate::certs::ApiV3Key::from_text(&text).map(Some).map_err(|n| {
            anyhow::anyhow!(
                "{from} holds {n} bytes; the APIv3 key (APIv3密钥, set in the merchant platform) \
                 is 32 characters"
            )
        })
    }

    /// The WeChat Pay public key and its id, when the profile uses one.
    pub fn load_public_key(&self) -> Result<Option<(String, PublicKey)>> {
        let Some(w) = &self.wechatpay_public_key else {
            return Ok(None);
        };
        let key = match &w.source {
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
        .map(|k| Some((w.id.clone(), k)))
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
