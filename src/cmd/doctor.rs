//! `wxcoupon doctor`: checks a profile offline and lists every problem in
//! words, instead of stopping at the first one.

use std::fmt;

use anyhow::Result;
use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;

use crate::certs::store;
use crate::cli::GlobalOpts;
use crate::env::Env;
use crate::escape;
use crate::exit::Kind;
use crate::output::Out;
use crate::profile::{self, KeySource, Profile};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Status {
    Ok,
    Warning,
    Problem,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Status::Ok => "ok",
            Status::Warning => "warning",
            Status::Problem => "problem",
        })
    }
}

#[derive(Debug, Serialize)]
struct Check {
    check: &'static str,
    status: Status,
    detail: String,
}

#[derive(Default)]
struct Checks(Vec<Check>);

impl Checks {
    fn add(&mut self, check: &'static str, status: Status, detail: impl Into<String>) {
        let detail = detail.into();
        self.0.push(Check {
            check,
            status,
            detail: crate::redact::secrets(&detail).into_owned(),
        });
    }
    fn ok(&mut self, check: &'static str, detail: impl Into<String>) {
        self.add(check, Status::Ok, detail);
    }
    fn warn(&mut self, check: &'static str, detail: impl Into<String>) {
        self.add(check, Status::Warning, detail);
    }
    fn problem(&mut self, check: &'static str, detail: impl Into<String>) {
        self.add(check, Status::Problem, detail);
    }
    fn count(&self, s: Status) -> usize {
        self.0.iter().filter(|c| c.status == s).count()
    }
}

fn check_profile(c: &mut Checks, p: &Profile) {
    c.ok("profile", format!("profile `{}`", p.name));
    check_merchant(c, p);
    check_trust(c, p);
    check_network(c, p);
}

/// The merchant's private key and certificate serial.
fn check_merchant(c: &mut Checks, p: &Profile) {
    match p.load_private_key() {
        Ok(k) => {
            c.ok(
                "private key",
                format!("{}: RSA-{}", p.private_key, k.bits()),
            );
            match profile::loose_key_file(&p.private_key) {
                Some(w) => c.warn("private key permissions", w),
                None if matches!(p.private_key, KeySource::File(_)) => {
                    c.ok("private key permissions", "readable by its owner only")
                }
                None => {}
            }
        }
        Err(e) => c.problem("private key", format!("{e:#}")),
    }
    // The profile's own rules (profile::fields) accepted the serial; WeChat
    // Pay's are 40 hexadecimal characters, so anything else is worth a look.
    let serial = &p.merchant_serial_no;
    if serial.len() == 40 {
        c.ok("merchant_serial_no", "40 hexadecimal characters");
    } else {
        c.warn(
            "merchant_serial_no",
            format!(
                "{serial:?} is {} characters; the merchant API certificate's serial number is \
                 usually 40 hexadecimal characters (openssl x509 -in apiclient_cert.pem \
                 -noout -serial)",
                serial.len()
            ),
        );
    }
}

/// How answers are verified: the mode, the public key, the certificates, the APIv3 key.
fn check_trust(c: &mut Checks, p: &Profile) {
    c.ok("verification", format!("{}", p.mode()));
    match (p.load_public_key(), &p.wechatpay_public_key) {
        (Ok(Some((_, k))), Some(w)) => c.ok(
            "WeChat Pay public key",
            format!("{}: RSA-{}", w.source, k.bits()),
        ),
        (Ok(_), _) => {}
        (Err(e), _) => c.problem("WeChat Pay public key", format!("{e:#}")),
    }
    if let Some(w) = &p.wechatpay_public_key {
        // The profile's rules accepted the id; WeChat Pay's ids end in digits.
        let id = &w.id;
        if id
            .bytes()
            .skip("PUB_KEY_ID_".len())
            .all(|b| b.is_ascii_digit())
        {
            c.ok("wechatpay_public_key_id", id.clone())
        } else {
            c.warn(
                "wechatpay_public_key_id",
                format!(
                    "{id:?}: the ids WeChat Pay gives (微信支付公钥ID) are PUB_KEY_ID_ followed by \
                     digits; check it against the merchant platform"
                ),
            )
        }
    }
    if let Some(dir) = &p.platform_certificates_dir {
        check_certificates(c, dir, p.wechatpay_public_key.is_none());
        match p.load_apiv3_key() {
            Ok(Some(_)) => c.ok("APIv3 key", "32 bytes"),
            Ok(None) => c.warn(
                "APIv3 key",
                "none (apiv3_key_file or WXCOUPON_APIV3_KEY): platform certificates cannot be \
                 downloaded, nor fetched when an answer names a new one",
            ),
            Err(e) => c.problem("APIv3 key", format!("{e:#}")),
        }
    }
}

/// The platform certificates folder: every file read, expiry warned.
fn check_certificates(c: &mut Checks, dir: &std::path::Path, only_certificates: bool) {
    let files = match store::scan(dir) {
        Ok(files) => files,
        Err(e) => return c.problem("platform certificates", format!("{e:#}")),
    };
    // The trust anchors: nobody else may swap them.
    for path in std::iter::once(dir).chain(files.iter().map(|(p, _)| p.as_path())) {
        if let Some(w) = writable_by_others(path) {
            c.warn("platform certificates permissions", w);
        }
    }
    // Every file is reported, not only the first that is wrong.
    let mut certs = Vec::new();
    for (_, read) in files {
        match read {
            Ok(s) => certs.push(s),
            Err(e) => c.problem("platform certificates", format!("{e:#}")),
        }
    }
    let now = OffsetDateTime::now_utc();
    for s in &certs {
        let left = (s.cert.not_after - now).whole_days();
        if s.cert.not_after < now {
            c.warn(
                "platform certificates",
                format!("{} has expired", s.cert.serial),
            );
        } else if left <= 30 {
            c.warn(
                "platform certificates",
                format!(
                    "{} expires in {left} day(s): run `wxcoupon certificates download`",
                    s.cert.serial
                ),
            );
        }
    }
    match store::in_use(&certs, now.unix_timestamp()) {
        Some(in_use) => c.ok(
            "platform certificates",
            format!(
                "{} in {}; requests name {}, the one in use",
                certs.len(),
                dir.display(),
                in_use.cert.serial
            ),
        ),
        None if only_certificates => c.warn(
            "platform certificates",
            format!(
                "none valid in {}: requests name no Wechatpay-Serial until `wxcoupon certificates \
                 download` fetches them",
                dir.display()
            ),
        ),
        None => c.warn(
            "platform certificates",
            format!(
                "none valid in {}: `wxcoupon certificates download` fetches them",
                dir.display()
            ),
        ),
    }
}

/// A warning when group or others can write `path` (Unix).
fn writable_by_others(path: &std::path::Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        if mode & 0o022 != 0 {
            return Some(format!(
                "{} can be written by group or others (mode {mode:03o}): they could swap the \
                 certificates that verify answers; run: chmod go-w {}",
                path.display(),
                escape::shell(&path.display().to_string())
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    None
}

/// Base URLs, proxy, CA bundle.
fn check_network(c: &mut Checks, p: &Profile) {
    let mut urls = format!("base_url {}", p.base_url);
    match &p.backup_base_url {
        Some(b) => urls.push_str(&format!(", backup_base_url {b}")),
        None => urls.push_str(", no backup"),
    }
    c.ok("base URLs", urls);
    if let Some(proxy) = &p.proxy {
        c.ok(
            "proxy",
            format!(
                "requests to WeChat Pay go through {}",
                crate::redact::url(proxy)
            ),
        );
    }
    if p.ca_file.is_some() {
        match p.load_roots() {
            Ok(roots) => c.ok(
                "ca_file",
                match roots.map_or(0, |r| r.len()) {
                    1 => "1 certificate".to_string(),
                    n => format!("{n} certificates"),
                },
            ),
            Err(e) => c.problem("ca_file", format!("{e:#}")),
        }
    }
}

fn check_clock(c: &mut Checks, now: OffsetDateTime) {
    let year = now.year();
    let now_text = now
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| now.to_string());
    let now = now_text;
    // This version of wxcoupon was written in 2026: a clock before that is wrong.
    if (2026..2100).contains(&year) {
        c.ok(
            "system clock",
            format!("{now}; WeChat Pay allows 5 minutes of difference"),
        );
    } else {
        c.problem(
            "system clock",
            format!("the system clock says {now}; every request would be refused with SIGN_ERROR"),
        );
    }
}

pub fn run(g: &GlobalOpts, env: &Env, out: &mut Out) -> Result<u8> {
    let mut c = Checks::default();
    let mut config = None;
    let mut profile_name = None;
    match profile::locate(g.config.as_deref(), env) {
        Err(e) => c.problem("config file", format!("{e:#}")),
        Ok(path) => {
            let how = if g.config.is_some() {
                "from --config"
            } else if env.config.is_some() {
                "from WXCOUPON_CONFIG"
            } else {
                "the default location"
            };
            c.ok("config file", format!("{} ({how})", path.display()));
            config = Some(path.display().to_string());
            match profile::read_config(&path) {
                Err(e) => c.problem("config file", format!("{e:#}")),
                Ok(text) => {
                    // Every problem of the file at once, by the profile's own rules.
                    let problems = profile::problems(&path, &text, g.profile.as_deref(), env);
                    for p in &problems {
                        c.problem("config", p.clone());
                    }
                    if problems.is_empty() {
                        c.ok("keys", "every key is known");
                        match profile::parse(&path, &text, g.profile.as_deref(), env) {
                            Ok(p) => {
                                profile_name = Some(p.name.clone());
                                check_profile(&mut c, &p);
                            }
                            Err(e) => c.problem("profile", format!("{e:#}")),
                        }
                    }
                }
            }
        }
    }
    check_clock(&mut c, OffsetDateTime::now_utc());

    let hide = |v: Option<String>| v.map(|v| crate::redact::secrets(&v).into_owned());
    print(&c, hide(config), hide(profile_name), g.json, out);
    Ok(if c.count(Status::Problem) == 0 {
        0
    } else {
        Kind::Invalid.exit_code()
    })
}

fn print(c: &Checks, config: Option<String>, profile: Option<String>, json: bool, out: &mut Out) {
    let problems = c.count(Status::Problem);
    let warnings = c.count(Status::Warning);
    if json {
        out.json(
            &json!({"ok": problems == 0, "config": config, "profile": profile, "checks": c.0}),
        );
        return;
    }
    let mut text = String::new();
    for check in &c.0 {
        // A detail may quote a file name or a server's words: escaped.
        let mut lines = check.detail.lines().map(escape::term);
        text.push_str(&format!(
            "{:<8} {}: {}\n",
            check.status,
            check.check,
            lines.next().unwrap_or_default()
        ));
        for more in lines {
            text.push_str(&format!("{:<8}   {more}\n", ""));
        }
    }
    text.push_str(&match (problems, warnings) {
        (0, 0) => "all good\n".to_string(),
        (0, w) => format!("no problems, {w} warning(s)\n"),
        (p, w) => format!("{p} problem(s), {w} warning(s)\n"),
    });
    out.out(&text);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_before_2026_is_a_problem() {
        let mut c = Checks::default();
        check_clock(&mut c, OffsetDateTime::UNIX_EPOCH);
        assert_eq!(c.count(Status::Problem), 1);
        let mut c = Checks::default();
        check_clock(&mut c, OffsetDateTime::now_utc());
        assert_eq!(c.count(Status::Problem), 0);
    }
}
