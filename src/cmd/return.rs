//! `wxcoupon return`: the flags become a `ReturnInput` and a `Session`
//! (checked before anything is read or sent), the engine makes the return,
//! `render` says what happened.

use std::time::Duration;

use anyhow::{Result, anyhow};

use crate::cli::{GlobalOpts, ReturnArgs};
use crate::engine::{self, Overrides, ReturnInput, Session};
use crate::env::Env;
use crate::limits;
use crate::output::Out;
use crate::profile;
use crate::render;
use crate::report::{Report, Subject};
use crate::request;

pub fn run(g: &GlobalOpts, a: &ReturnArgs, env: &Env, out: &mut Out) -> u8 {
    let report = {
        let mut trace = |line: &str| {
            if g.verbose {
                out.err(line);
            }
        };
        make(g, a, env, &mut trace)
    };
    print(&report, g.json, out);
    report.exit_code()
}

/// Prints a report: warnings first, then the JSON or the text.
pub fn print(report: &Report, json: bool, out: &mut Out) {
    out.err(&render::warnings(report));
    if json {
        out.out(&render::json(report));
    } else {
        let (stdout, stderr) = render::text(report);
        out.out(&stdout);
        out.err(&stderr);
    }
}

fn make(g: &GlobalOpts, a: &ReturnArgs, env: &Env, trace: &mut dyn FnMut(&str)) -> Report {
    // Flags first: nothing else is read while they are wrong.
    let (request, generated) = match request::validate(&a.code, &a.stock, a.request_no.as_deref()) {
        Ok(v) => v,
        Err(e) => {
            // The raw flags, as given; key material pasted into one is hidden.
            let raw = |v: &str| crate::redact::secrets(v).into_owned();
            let raw = Subject {
                coupon_code: Some(raw(&a.code)),
                stock_id: Some(raw(&a.stock)),
                return_request_no: a.request_no.as_deref().map(raw),
            };
            return Report::invalid(raw, &e);
        }
    };
    let session = match open(g, a, env) {
        Ok(s) => s,
        Err(e) => return Report::invalid(Subject::from(&request), &e),
    };
    let input = ReturnInput {
        request,
        generated,
        resume: a.resume,
        dry_run: a.dry_run,
        invocation: invocation(g),
    };
    engine::run(&session, &input, trace)
}

/// The overrides checked, then the profile and its keys read.
fn open(g: &GlobalOpts, a: &ReturnArgs, env: &Env) -> Result<Session> {
    if let Some(t) = a.timeout {
        limits::check_timeout(t).map_err(|e| anyhow!("--timeout {t}: {e}"))?;
    }
    if let Some(n) = a.retries {
        limits::check_retries(n).map_err(|e| anyhow!("--retries {n}: {e}"))?;
    }
    let profile = profile::select(g.config.as_deref(), g.profile.as_deref(), env)?;
    let over = Overrides {
        timeout: a.timeout.map(Duration::from_secs),
        retries: a.retries,
    };
    Session::open(profile, over, env)
}

/// `wxcoupon` with the flags that chose this profile; the config's path made
/// absolute, so that the command works from another folder (cron).
fn invocation(g: &GlobalOpts) -> String {
    let mut parts = vec!["wxcoupon".to_string()];
    if let Some(c) = &g.config {
        let path = std::path::absolute(c).unwrap_or_else(|_| c.clone());
        parts.push(engine::flag("--config", &path.to_string_lossy()));
    }
    if let Some(p) = &g.profile {
        parts.push(engine::flag("--profile", p));
    }
    parts.join(" ")
}
