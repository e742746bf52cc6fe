//! `wxcoupon certificates download` and `wxcoupon certificates list`: the
//! WeChat Pay platform certificates (平台证书) of the profile.

use anyhow::{Result, bail};
use serde_json::json;
use time::OffsetDateTime;

use crate::certs::store::{self, Change, Stored};
use crate::cli::GlobalOpts;
use crate::cst::rfc3339 as cst;
use crate::engine::{Download, Overrides, Session};
use crate::env::Env;
use crate::escape;
use crate::output::Out;
use crate::profile;
use crate::render;
use crate::report::Report;

/// A certificate that expires within this many days is warned about.
const EXPIRY_WARNING_DAYS: i64 = 30;

fn days_left(s: &Stored, now: OffsetDateTime) -> i64 {
    (s.cert.not_after - now).whole_days()
}

/// Warnings for certificates that have expired or expire soon.
fn expiry_warnings(certs: &[&Stored], now: OffsetDateTime, out: &mut Out) {
    for s in certs {
        let left = days_left(s, now);
        if s.cert.not_after < now {
            out.err(&format!(
                "wxcoupon: warning: platform certificate {} expired on {}: an answer signed with \
                 it after that is not verified\n",
                s.cert.serial,
                cst(s.cert.not_after)
            ));
        } else if left <= EXPIRY_WARNING_DAYS {
            out.err(&format!(
                "wxcoupon: warning: platform certificate {} expires in {left} day(s), on {}; \
                 download the certificates again before then\n",
                s.cert.serial,
                cst(s.cert.not_after)
            ));
        }
    }
}

/// WeChat Pay's dates for a certificate that differ from its validity: a
/// rotation under way (the old one's `expire_time` moved up, the new one
/// used from its `effective_time`). Said, not refused.
fn rotation_notes(certs: &[&Stored], out: &mut Out) {
    for c in certs.iter().map(|s| &s.cert).filter(|c| c.dates_differ()) {
        out.err(&format!(
            "wxcoupon: warning: platform certificate {} is in use by WeChat Pay from {} to {} \
             (effective_time, expire_time), within its validity {} to {}: a certificate \
             rotation; requests name the certificate in use\n",
            c.serial,
            cst(c.effective_time),
            cst(c.expire_time),
            cst(c.not_before),
            cst(c.not_after)
        ));
    }
}

pub fn download(g: &GlobalOpts, env: &Env, out: &mut Out) -> Result<u8> {
    let profile = profile::select(g.config.as_deref(), g.profile.as_deref(), env)?;
    let session = Session::open(profile, Overrides::default(), env)?;
    let result = {
        let mut trace = |line: &str| {
            if g.verbose {
                out.err(line);
            }
        };
        session.download_certificates(&mut trace)
    };
    let saved = match result {
        Download::Saved { saved, skipped } => {
            for why in skipped {
                out.err(&format!("wxcoupon: warning: {}\n", escape::term(&why)));
            }
            saved
        }
        Download::Failed(judgement, delivery) => {
            let report = Report::download_failed(judgement, delivery);
            render::print(&report, g.json, out);
            return Ok(report.exit_code());
        }
    };
    let now = OffsetDateTime::now_utc();
    let stored: Vec<&Stored> = saved.iter().map(|s| &s.stored).collect();
    expiry_warnings(&stored, now, out);
    rotation_notes(&stored, out);
    if g.json {
        let certificates: Vec<_> = saved
            .iter()
            .map(|s| {
                json!({
                    "serial_no": s.stored.cert.serial,
                    "effective_time": cst(s.stored.cert.effective_time),
                    "expire_time": cst(s.stored.cert.expire_time),
                    "not_before": cst(s.stored.cert.not_before),
                    "not_after": cst(s.stored.cert.not_after),
                    "file": s.stored.file.display().to_string(),
                    "new": s.change == Change::New,
                    "change": s.change.name(),
                })
            })
            .collect();
        out.json(&json!({"outcome": "downloaded", "certificates": certificates}));
        return Ok(0);
    }
    let mut text = String::new();
    for s in &saved {
        text.push_str(&format!(
            "{}  {} to {}  {:<9}  {}\n",
            s.stored.cert.serial,
            cst(s.stored.cert.not_before),
            cst(s.stored.cert.not_after),
            s.change.name(),
            escape::term(&s.stored.file.display().to_string())
        ));
    }
    out.out(&text);
    let count = |c: Change| saved.iter().filter(|s| s.change == c).count();
    let replaced = match count(Change::Replaced) {
        0 => String::new(),
        n => format!(", {n} replaced"),
    };
    out.err(&format!(
        "downloaded {} platform certificate(s), {} new{replaced}, verified and saved\n",
        saved.len(),
        count(Change::New)
    ));
    Ok(0)
}

pub fn list(g: &GlobalOpts, env: &Env, out: &mut Out) -> Result<u8> {
    let profile = profile::select(g.config.as_deref(), g.profile.as_deref(), env)?;
    let Some(dir) = &profile.platform_certificates_dir else {
        bail!(
            "profile `{}` has no platform_certificates_dir: it uses the WeChat Pay public key only",
            profile.name
        );
    };
    let certs = store::load(dir)?;
    let now = OffsetDateTime::now_utc();
    let in_use = store::in_use(&certs, now.unix_timestamp()).map(|s| s.cert.serial.clone());
    expiry_warnings(&certs.iter().collect::<Vec<_>>(), now, out);
    rotation_notes(&certs.iter().collect::<Vec<_>>(), out);
    if g.json {
        let certificates: Vec<_> = certs
            .iter()
            .map(|s| {
                json!({
                    "serial_no": s.cert.serial,
                    "effective_time": cst(s.cert.effective_time),
                    "expire_time": cst(s.cert.expire_time),
                    "not_before": cst(s.cert.not_before),
                    "not_after": cst(s.cert.not_after),
                    "days_left": days_left(s, now),
                    // `newest` is the older name of `in_use`, kept for scripts.
                    "in_use": Some(&s.cert.serial) == in_use.as_ref(),
                    "newest": Some(&s.cert.serial) == in_use.as_ref(),
                    "expired": s.cert.not_after < now,
                    "file": s.file.display().to_string(),
                })
            })
            .collect();
        out.json(&json!({"certificates": certificates}));
        return Ok(0);
    }
    if certs.is_empty() {
        out.err(&format!(
            "no platform certificate in {}; `wxcoupon certificates download` fetches them\n",
            escape::term(&dir.display().to_string())
        ));
        return Ok(0);
    }
    let mut text = String::new();
    for s in &certs {
        let c = &s.cert;
        let state = if c.not_after < now {
            "expired".to_string()
        } else if c.not_before > now {
            "not yet valid".to_string()
        } else if c.expire_time < now {
            "no longer in use".to_string()
        } else if Some(&c.serial) == in_use.as_ref() {
            format!("{} days left, in use", days_left(s, now))
        } else if c.effective_time > now {
            format!(
                "{} days left, in use from {}",
                days_left(s, now),
                cst(c.effective_time)
            )
        } else {
            format!("{} days left", days_left(s, now))
        };
        text.push_str(&format!(
            "{}  {} to {}  {state}  {}\n",
            c.serial,
            cst(c.not_before),
            cst(c.not_after),
            escape::term(&s.file.display().to_string())
        ));
    }
    out.out(&text);
    Ok(0)
}
