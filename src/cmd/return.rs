//! `wxcoupon return`: the flags become a `ReturnInput` and a `Session`
//! (checked before anything is read or sent), the engine makes the return,
//! `render` says what happened.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, anyhow};

use crate::cli::{GlobalOpts, ReturnArgs};
use crate::engine::{self, Overrides, ReturnInput, Session};
use crate::env::Env;
use crate::ledger::{self, Ledger};
use crate::limits;
use crate::output::Out;
use crate::profile;
use crate::render;
use crate::report::{Report, Subject};
use crate::request;

pub fn run(g: &GlobalOpts, a: &ReturnArgs, env: &Env, out: &mut Out) -> u8 {
    if a.batch.is_some() {
        return match batch(g, a, env, out) {
            Ok(code) => code,
            Err(e) => out.invalid(&e, g.json),
        };
    }
    let batch_only = [
        ("--journal", a.journal.is_some()),
        ("--concurrency", a.concurrency.is_some()),
        ("--rate", a.rate.is_some()),
        ("--retry-rejected", a.retry_rejected),
        ("--retry-unverified", a.retry_unverified),
    ];
    if let Some((flag, _)) = batch_only.iter().find(|(_, given)| *given) {
        let e = anyhow!("{flag} goes with --batch FILE only; nothing was sent");
        return out.invalid(&e, g.json);
    }
    let mut said = Vec::new();
    let report = {
        let mut trace = |line: &str| {
            if g.verbose {
                out.err(line);
            }
        };
        make(g, a, env, &mut trace, &mut said)
    };
    for warning in said {
        out.err(&format!("wxcoupon: warning: {warning}\n"));
    }
    render::print(&report, g.json, out);
    report.exit_code()
}

/// The return of these flags; what the ledger has to say goes to `said`.
fn make(
    g: &GlobalOpts,
    a: &ReturnArgs,
    env: &Env,
    trace: &mut dyn FnMut(&str),
    said: &mut Vec<String>,
) -> Report {
    // Flags first: nothing else is read while they are wrong.
    let (code, stock) = (
        a.code.clone().unwrap_or_default(),
        a.stock.clone().unwrap_or_default(),
    );
    let (request, generated) = match request::validate(&code, &stock, a.request_no.as_deref()) {
        Ok(v) => v,
        Err(e) => {
            // The raw flags, as given; key material pasted into one is hidden.
            let raw = |v: &str| crate::redact::secrets(v).into_owned();
            let raw = Subject {
                coupon_code: Some(raw(&code)),
                stock_id: Some(raw(&stock)),
                return_request_no: a.request_no.as_deref().map(raw),
            };
            return Report::invalid(raw, &e);
        }
    };
    let session = match open(g, a, env, None) {
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
    if input.dry_run {
        return engine::run(&session, &input, trace);
    }
    let ledger = match ledger::for_profile(env, &session.profile, a.no_ledger) {
        Ok(l) => l,
        Err(e) => return Report::invalid(Subject::from(&input.request), &e),
    };
    let Some(ledger) = ledger else {
        return engine::run(&session, &input, trace);
    };
    recorded(&ledger, &session, &input, trace, said)
}

/// The return, recorded: its `sending` record on disk before the request
/// leaves (or nothing is sent), its outcome after.
fn recorded(
    ledger: &Ledger,
    session: &Session,
    input: &ReturnInput,
    trace: &mut dyn FnMut(&str),
    said: &mut Vec<String>,
) -> Report {
    let planned = ledger::reuse::plan(ledger, input.clone());
    let (input, from_ledger) = match planned {
        Ok(p) => p,
        Err(e) => {
            said.extend(ledger.take_warnings());
            return Report::invalid(Subject::from(&input.request), &e);
        }
    };
    if let Err(e) = ledger.sending(0, &input.request) {
        said.extend(ledger.take_warnings());
        return Report::invalid(Subject::from(&input.request), &e);
    }
    let report = engine::run(session, &input, trace);
    if let Err(e) = ledger.outcome(0, &report) {
        said.push(format!(
            "{e:#}; the ledger shows this return as sent without an answer, so the same command \
             resumes it with its number"
        ));
    }
    // A plain command: no --request-no given (made up, or the ledger's).
    let plain = from_ledger.is_some() || input.generated;
    let report = ledger::reuse::judged(ledger, &input, report, plain);
    let report = match from_ledger {
        Some(note) if !report.from_ledger => report.with_number_from_ledger(note),
        _ => report,
    };
    said.extend(ledger.take_warnings());
    report
}

/// `--batch FILE`: the flags checked, one session for every row.
fn batch(g: &GlobalOpts, a: &ReturnArgs, env: &Env, out: &mut Out) -> Result<u8> {
    let (concurrency, rate) = (a.concurrency.unwrap_or(4), a.rate.unwrap_or(10.0));
    if !(1..=64).contains(&concurrency) {
        anyhow::bail!("--concurrency {concurrency}: must be from 1 to 64");
    }
    if !(rate == 0.0 || (0.01..=10_000.0).contains(&rate)) {
        let shown = if rate.abs() < 1e-3 || rate.abs() > 1e6 {
            format!("{rate:e}")
        } else {
            rate.to_string()
        };
        anyhow::bail!(
            "--rate {shown}: must be 0 (no limit) or from 0.01 to 10000 requests per second"
        );
    }
    if a.resume {
        anyhow::bail!(
            "--resume does not go with --batch: the batch's journal resumes every row that needs it"
        );
    }
    if let Some(stock) = &a.stock {
        request::check_stock("--stock", stock)?;
    }
    let file = a.batch.clone().unwrap_or_default();
    let plan = crate::batch::Batch {
        journal: a.journal.clone(),
        stock_default: a.stock.clone(),
        concurrency,
        retry_rejected: a.retry_rejected,
        retry_unverified: a.retry_unverified,
        dry_run: a.dry_run,
        json: g.json,
        verbose: g.verbose,
        invocation: invocation(g),
        again: again(g, a, &file),
        file,
        recorder: None,
    };
    let session = open(g, a, env, Some(rate))?;
    // The ledger is opened (or refused) before anything is sent; a dry run
    // writes none.
    let ledger = match a.dry_run {
        true => None,
        false => ledger::for_profile(env, &session.profile, a.no_ledger)?.map(Arc::new),
    };
    let plan = crate::batch::Batch {
        recorder: ledger.clone().map(|l| l as Arc<dyn crate::batch::Recorder>),
        ..plan
    };
    let code = crate::batch::run(&session, &plan, out);
    for w in ledger.iter().flat_map(|l| l.take_warnings()) {
        out.err(&format!("wxcoupon: warning: {w}\n"));
    }
    code
}

/// The command line that runs this batch again: the same, with absolute paths.
fn again(g: &GlobalOpts, a: &ReturnArgs, file: &std::path::Path) -> String {
    let abs = |p: &std::path::Path| {
        if p == std::path::Path::new("-") {
            "-".to_string()
        } else {
            std::path::absolute(p)
                .unwrap_or_else(|_| p.to_path_buf())
                .to_string_lossy()
                .into_owned()
        }
    };
    let mut parts = vec![
        invocation(g),
        "return".into(),
        engine::flag("--batch", &abs(file)),
    ];
    if let Some(j) = &a.journal {
        parts.push(engine::flag("--journal", &abs(j)));
    }
    if let Some(s) = &a.stock {
        parts.push(engine::flag("--stock", s));
    }
    if let Some(n) = a.concurrency {
        parts.push(format!("--concurrency {n}"));
    }
    if let Some(r) = a.rate {
        parts.push(format!("--rate {r}"));
    }
    if a.retry_rejected {
        parts.push("--retry-rejected".into());
    }
    if a.retry_unverified {
        parts.push("--retry-unverified".into());
    }
    if let Some(t) = a.timeout {
        parts.push(format!("--timeout {t}"));
    }
    if let Some(n) = a.retries {
        parts.push(format!("--retries {n}"));
    }
    if g.json {
        parts.push("--json".into());
    }
    parts.join(" ")
}

/// The overrides checked, then the profile and its keys read.
fn open(g: &GlobalOpts, a: &ReturnArgs, env: &Env, rate: Option<f64>) -> Result<Session> {
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
        rate,
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
