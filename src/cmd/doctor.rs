//! `wxcoupon doctor`: checks a profile offline and lists every problem in
//! words, instead of stopping at the first one.

use std::fmt;

use anyhow::Result;
use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;

use crate::cli::GlobalOpts;
use crate::env::Env;
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

/// Every key that the file has and wxcoupon does not know, with its line.
fn unknown_keys(text: &str) -> Result<Vec<String>, String> {
    let table = toml::de::DeTable::parse(text).map_err(|e| e.to_string())?;
    let line = |at: usize| text[..at.min(text.len())].matches('\n').count() + 1;
    let mut unknown = Vec::new();
    for (k, v) in table.get_ref().iter() {
        match &**k.get_ref() {
            "default_profile" => {}
            "profile" => {
                let Some(profiles) = v.get_ref().as_table() else {
                    continue;
                };
                for (name, p) in profiles.iter() {
                    let Some(p) = p.get_ref().as_table() else {
                        continue;
                    };
                    for (key, _) in p.iter() {
                        if !profile::PROFILE_KEYS.contains(&&**key.get_ref()) {
                            unknown.push(format!(
                                "line {}: profile.{}.{} is not a known key",
                                line(key.span().start),
                                &**name.get_ref(),
                                &**key.get_ref()
                            ));
                        }
                    }
                }
            }
            other => unknown.push(format!(
                "line {}: `{other}` is not a known top-level key (default_profile, profile)",
                line(k.span().start)
            )),
        }
    }
    Ok(unknown)
}

fn check_profile(c: &mut Checks, p: &Profile) {
    c.ok("profile", format!("profile `{}`", p.name));
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
    match p.load_public_key() {
        Ok(k) => c.ok(
            "WeChat Pay public key",
            format!("{}: RSA-{}", p.wechatpay_public_key, k.bits()),
        ),
        Err(e) => c.problem("WeChat Pay public key", format!("{e:#}")),
    }
    let serial = &p.merchant_serial_no;
    if serial.len() == 40 && serial.bytes().all(|b| b.is_ascii_hexdigit()) {
        c.ok("merchant_serial_no", "40 hexadecimal characters");
    } else {
        c.problem(
            "merchant_serial_no",
            format!(
                "{serial:?} is {} characters; the merchant API certificate's serial number is 40 \
                 hexadecimal characters (openssl x509 -in apiclient_cert.pem -noout -serial)",
                serial.len()
            ),
        );
    }
    let id = &p.wechatpay_public_key_id;
    match id.strip_prefix("PUB_KEY_ID_") {
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            c.ok("wechatpay_public_key_id", id.clone())
        }
        _ => c.problem(
            "wechatpay_public_key_id",
            format!("{id:?} does not look like PUB_KEY_ID_ followed by digits (微信支付公钥ID)"),
        ),
    }
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
    // This version of wxcoupon was written in 2026: a clock before that is wrong.
    if (2026..2100).contains(&now.year()) {
        c.ok(
            "system clock",
            format!("{now} (UTC); WeChat Pay allows 5 minutes of difference"),
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
                    match unknown_keys(&text) {
                        Err(e) => c.problem("TOML", e.trim_end().to_string()),
                        Ok(unknown) if unknown.is_empty() => c.ok("keys", "every key is known"),
                        Ok(unknown) => {
                            for u in unknown {
                                c.problem("keys", u);
                            }
                        }
                    }
                    if c.count(Status::Problem) == 0 {
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
    Ok(if c.count(Status::Problem) == 0 { 0 } else { 2 })
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
        let mut lines = check.detail.lines();
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
    fn unknown_keys_are_all_listed_with_lines() {
        let text = "default_profile = \"a\"\nextra = 1\n[profile.a]\nmchid = \"1\"\nmchld = \"2\"\ntimeout = 3\n";
        let u = unknown_keys(text).unwrap();
        assert_eq!(u.len(), 3, "{u:?}");
        assert!(u[0].starts_with("line 2: `extra`"), "{u:?}");
        assert!(u[1].starts_with("line 5: profile.a.mchld"), "{u:?}");
        assert!(u[2].starts_with("line 6: profile.a.timeout"), "{u:?}");
    }

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
