//! What each field of a profile may hold: the checks, with the file, line,
//! field and value in every message, turning the raw table into a `Profile`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use toml::Spanned;

use super::checked::{KeySource, Profile, SecretPem, WechatpayPublicKey};
use super::config::{Locator, RawProfile};
use crate::env::{APIV3_KEY_ENV, Env, PRIVATE_KEY_ENV};
use crate::limits::{DEFAULT_RETRIES, DEFAULT_TIMEOUT_SECS, check_retries, check_timeout};
use crate::url::{BaseUrl, OFFICIAL_BASE_URL};

/// Where a profile's values are: for messages, and for relative file names.
struct Place<'a> {
    name: &'a str,
    at: &'a Locator<'a>,
    folder: &'a Path,
}

impl Place<'_> {
    fn field(&self, f: &str) -> String {
        format!("profile.{}.{f}", self.name)
    }

    /// A file name, relative to the config file's folder; never key material.
    fn file(&self, s: &Spanned<String>, f: &str) -> Result<PathBuf> {
        let value = s.get_ref();
        if value.is_empty() {
            bail!(
                "{}: {}: the file name is empty",
                self.at.line(s),
                self.field(f)
            );
        }
        if crate::redact::looks_like_key(value) {
            bail!(
                "{}: {} holds what looks like key material ({} characters), not a file name; \
                 put the key in a file of its own (chmod 600) and name that file here, or pass \
                 the PEM text in {PRIVATE_KEY_ENV}",
                self.at.line(s),
                self.field(f),
                value.chars().count()
            );
        }
        Ok(self.folder.join(value))
    }

    fn url(&self, s: &Spanned<String>, f: &str) -> Result<BaseUrl> {
        BaseUrl::parse(s.get_ref()).map_err(|e| {
            anyhow!(
                "{}: {} = {:?}: {e}",
                self.at.line(s),
                self.field(f),
                s.get_ref()
            )
        })
    }
}

/// The raw table `p` of profile `name`, checked field by field: the
/// profile, or every field's problem (in the order of the fields' checks).
pub(super) fn validate(
    name: String,
    p: &RawProfile,
    at: &Locator<'_>,
    env: &Env,
) -> Result<Profile, Vec<anyhow::Error>> {
    let place = Place {
        name: &name,
        at,
        folder: at.path.parent().unwrap_or(Path::new(".")),
    };
    let mut problems = Vec::new();
    let identity = keep(identity(p, &place), &mut problems);
    let private_key = keep(private_key(p, &place, env), &mut problems);
    let trust = keep(trust(p, &place, env), &mut problems);
    let urls = keep(urls(p, &place), &mut problems);
    let numbers = keep(numbers(p, &place), &mut problems);
    let proxy = keep(proxy(p, &place), &mut problems);
    let ca_file = keep(
        p.ca_file
            .as_ref()
            .map(|f| place.file(f, "ca_file"))
            .transpose(),
        &mut problems,
    );
    let ledger_dir = keep(
        p.ledger_dir
            .as_ref()
            .map(|f| place.file(f, "ledger_dir"))
            .transpose(),
        &mut problems,
    );
    let (
        Some((mchid, merchant_serial_no)),
        Some(private_key),
        Some((wechatpay_public_key, platform_certificates_dir, apiv3_key)),
        Some((base_url, backup_base_url)),
        Some((timeout, retries)),
        Some(proxy),
        Some(ca_file),
        Some(ledger_dir),
    ) = (
        identity,
        private_key,
        trust,
        urls,
        numbers,
        proxy,
        ca_file,
        ledger_dir,
    )
    else {
        return Err(problems);
    };
    Ok(Profile {
        config_path: at.path.to_path_buf(),
        name,
        mchid,
        merchant_serial_no,
        private_key,
        wechatpay_public_key,
        platform_certificates_dir,
        apiv3_key,
        base_url,
        backup_base_url,
        timeout,
        retries,
        proxy,
        ca_file,
        ledger: p.ledger.as_ref().is_none_or(|l| *l.get_ref()),
        ledger_dir,
    })
}

/// The value of a check that passed; a problem kept for the list.
fn keep<T>(checked: Result<T>, problems: &mut Vec<anyhow::Error>) -> Option<T> {
    checked.map_err(|e| problems.push(e)).ok()
}

/// mchid, merchant_serial_no.
fn identity(p: &RawProfile, place: &Place<'_>) -> Result<(String, String)> {
    let at = place.at;
    let mchid = p.mchid.get_ref();
    check_mchid(mchid).map_err(|e| {
        anyhow!(
            "{}: {} = {mchid:?}: {e}",
            at.line(&p.mchid),
            place.field("mchid")
        )
    })?;
    let serial = p.merchant_serial_no.get_ref();
    check_serial(serial).map_err(|e| {
        anyhow!(
            "{}: {} = {serial:?}: {e}",
            at.line(&p.merchant_serial_no),
            place.field("merchant_serial_no")
        )
    })?;
    Ok((mchid.clone(), serial.clone()))
}

/// How answers are verified: the WeChat Pay public key (its id and file,
/// both or neither), platform certificates (a folder, and the APIv3 key that
/// downloads them), or both while a merchant switches. At least one.
fn trust(
    p: &RawProfile,
    place: &Place<'_>,
    env: &Env,
) -> Result<(
    Option<WechatpayPublicKey>,
    Option<PathBuf>,
    Option<KeySource>,
)> {
    let public_key = match (&p.wechatpay_public_key_id, &p.wechatpay_public_key_file) {
        (Some(id), Some(file)) => {
            let key_id = id.get_ref();
            if !is_public_key_id(key_id) {
                bail!(
                    "{}: {} = {:?}: must be the WeChat Pay public key id (微信支付公钥ID): PUB_KEY_ID_ and \
                     digits, as the merchant platform shows it",
                    place.at.line(id),
                    place.field("wechatpay_public_key_id"),
                    key_id
                );
            }
            Some(WechatpayPublicKey {
                id: key_id.clone(),
                source: KeySource::File(place.file(file, "wechatpay_public_key_file")?),
            })
        }
        (None, None) => None,
        (Some(s), None) | (None, Some(s)) => bail!(
            "{}: {} and {} go together (the WeChat Pay public key's id and its file): set both, \
             or neither when the profile uses platform certificates",
            place.at.line(s),
            place.field("wechatpay_public_key_id"),
            place.field("wechatpay_public_key_file")
        ),
    };
    let certificates_dir = match &p.platform_certificates_dir {
        Some(d) => Some(place.file(d, "platform_certificates_dir")?),
        None => None,
    };
    if public_key.is_none() && certificates_dir.is_none() {
        bail!(
            "config file {}: profile.{} has no way to verify WeChat Pay's answers: set \
             wechatpay_public_key_id and wechatpay_public_key_file (the WeChat Pay public key, \
             微信支付公钥), or platform_certificates_dir (platform certificates, 平台证书), or both \
             while the merchant switches from certificates to the public key",
            place.at.path.display(),
            place.name
        );
    }
    let apiv3_key = match (&env.apiv3_key, &p.apiv3_key_file) {
        (Some(v), _) if v.trim().is_empty() => bail!(
            "{APIV3_KEY_ENV} is set but empty; put the APIv3 key in it, or unset it to use apiv3_key_file"
        ),
        (Some(v), _) => Some(KeySource::Env(SecretPem(v.clone()))),
        (None, Some(f)) => Some(KeySource::File(place.file(f, "apiv3_key_file")?)),
        (None, None) => None,
    };
    Ok((public_key, certificates_dir, apiv3_key))
}

/// `$WXCOUPON_PRIVATE_KEY` wins over `private_key_file`; set but empty is an error.
fn private_key(p: &RawProfile, place: &Place<'_>, env: &Env) -> Result<KeySource> {
    Ok(match (&env.private_key, &p.private_key_file) {
        (Some(v), _) if v.trim().is_empty() => bail!(
            "{PRIVATE_KEY_ENV} is set but empty; put the key's PEM text in it, or unset it to use private_key_file"
        ),
        (Some(v), _) if v.len() as u64 > crate::files::KEY_FILE_MAX => bail!(
            "{PRIVATE_KEY_ENV} holds {} bytes; a PEM private key is about 2 KiB (at most {} are read)",
            v.len(),
            crate::files::size(crate::files::KEY_FILE_MAX)
        ),
        (Some(v), _) => KeySource::Env(SecretPem(v.clone())),
        (None, Some(f)) => KeySource::File(place.file(f, "private_key_file")?),
        (None, None) => bail!(
            "config file {}: {} is missing and {PRIVATE_KEY_ENV} is not set; \
             one of them must give the merchant's API private key (apiclient_key.pem)",
            place.at.path.display(),
            place.field("private_key_file")
        ),
    })
}

/// base_url and backup_base_url (by default the official backup of an official primary).
fn urls(p: &RawProfile, place: &Place<'_>) -> Result<(BaseUrl, Option<BaseUrl>)> {
    let base_url = match &p.base_url {
        Some(s) => place.url(s, "base_url")?,
        None => BaseUrl::parse(OFFICIAL_BASE_URL).map_err(|e| anyhow!(e))?,
    };
    let backup_base_url = match &p.backup_base_url {
        Some(s) if s.get_ref().is_empty() => None,
        Some(s) => Some(place.url(s, "backup_base_url")?),
        // An official backup only stands behind its official primary.
        None => match base_url.official_backup() {
            Some(b) => Some(BaseUrl::parse(b).map_err(|e| anyhow!(e))?),
            None => None,
        },
    };
    Ok((base_url, backup_base_url))
}

/// timeout_secs and retries.
fn numbers(p: &RawProfile, place: &Place<'_>) -> Result<(Duration, u32)> {
    let at = place.at;
    let timeout_secs = match &p.timeout_secs {
        Some(t) => {
            let v = *t.get_ref();
            check_timeout(v).map_err(|e| {
                anyhow!("{}: {} = {v}: {e}", at.line(t), place.field("timeout_secs"))
            })?;
            v
        }
        None => DEFAULT_TIMEOUT_SECS,
    };
    let retries = match &p.retries {
        Some(r) => {
            let v = *r.get_ref();
            check_retries(v)
                .map_err(|e| anyhow!("{}: {} = {v}: {e}", at.line(r), place.field("retries")))?;
            v
        }
        None => DEFAULT_RETRIES,
    };
    Ok((Duration::from_secs(timeout_secs), retries))
}

/// The profile's proxy URL, checked; "" is none.
fn proxy(p: &RawProfile, place: &Place<'_>) -> Result<Option<String>> {
    match &p.proxy {
        Some(s) if s.get_ref().is_empty() => Ok(None),
        Some(s) => {
            crate::url::check_proxy(s.get_ref())
                .and_then(|()| {
                    ureq::Proxy::new(s.get_ref())
                        .map(|_| ())
                        .map_err(|_| "not a proxy URL; expected http://host:port".to_string())
                })
                .map_err(|e| {
                    anyhow!(
                        "{}: {} = {:?}: {e}",
                        place.at.line(s),
                        place.field("proxy"),
                        crate::redact::url(s.get_ref())
                    )
                })?;
            Ok(Some(s.get_ref().clone()))
        }
        None => Ok(None),
    }
}

/// `PUB_KEY_ID_` and up to 64 letters or digits (WeChat Pay's are digits).
pub fn is_public_key_id(id: &str) -> bool {
    id.strip_prefix("PUB_KEY_ID_").is_some_and(|rest| {
        (1..=64).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_alphanumeric())
    })
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
