//! `wxcoupon return --batch FILE`: many returns from a CSV or JSON Lines
//! file, on worker threads sharing one session (keys loaded once, one pace
//! for the merchant's rate limit), each row sent through the same engine as
//! a single return. Never twice: the journal records every row's request
//! number, fsync'd before the request leaves, so a re-run (after a crash, a
//! kill, an interruption) resumes each row with its own number.

mod dry_run;
pub mod input;
pub mod journal;
mod lines;
mod options;
mod plan;
mod row;
mod tally;
mod worker;

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::engine::{self, Session};
use crate::exit::Kind;
use crate::output::Out;
use journal::{Journal, Record};
pub use options::Batch;
use plan::Plan;
use row::{Done, How};

/// Ctrl-C and SIGTERM: the first stops new rows, the second abandons the
/// rows in flight.
static STOPS: AtomicUsize = AtomicUsize::new(0);

/// A row ended unverified: a second Ctrl-C then exits 5, not 4.
static UNVERIFIED: AtomicBool = AtomicBool::new(false);

/// The command that resumes this batch, for a second Ctrl-C.
static AGAIN: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Stops the batch because of an error (the journal cannot be written):
/// no new rows start, as after Ctrl-C.
pub(crate) fn stop_after_error(what: &str) {
    let _ = STOPS.compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst);
    eprintln!("wxcoupon: error: {what}");
}

/// Whether the batch was told to stop (no new rows start).
pub(crate) fn stopping() -> bool {
    STOPS.load(Ordering::SeqCst) > 0
}

fn install_stop_handler(again: &str) {
    let _ = AGAIN.set(crate::escape::term(again));
    let _ = ctrlc::set_handler(move || {
        if STOPS.fetch_add(1, Ordering::SeqCst) >= 1 {
            eprintln!(
                "wxcoupon: stopped again: the rows in flight are abandoned; their journal records make \
                 the next run resume them:\n    {}",
                AGAIN
                    .get()
                    .map(String::as_str)
                    .unwrap_or("the same command")
            );
            let kind = if UNVERIFIED.load(Ordering::SeqCst) {
                Kind::Unverified
            } else {
                Kind::Unknown
            };
            std::process::exit(kind.exit_code().into());
        }
        eprintln!(
            "wxcoupon: stopping: no new rows start; the rows in flight finish (Ctrl-C again abandons them)"
        );
    });
}

/// Whether the input must be spooled first: stdin, and anything that is
/// not a regular file (a FIFO, `<(process substitution)`), which can be read
/// only once.
fn streamed(file: &Path) -> bool {
    file == Path::new("-") || std::fs::metadata(file).is_ok_and(|m| !m.is_file())
}

/// The input as a file: stdin (or a FIFO) is first spooled to a private
/// temporary file, so that its hash is known before anything is sent.
fn source(file: &Path) -> Result<(PathBuf, Option<tempfile::NamedTempFile>)> {
    if !streamed(file) {
        return Ok((file.to_path_buf(), None));
    }
    let mut spool =
        tempfile::NamedTempFile::new().context("creating a private file for the input")?;
    let copied = if file == Path::new("-") {
        std::io::copy(&mut std::io::stdin().lock(), spool.as_file_mut())
    } else {
        std::fs::File::open(file).and_then(|mut f| std::io::copy(&mut f, spool.as_file_mut()))
    };
    copied.with_context(|| format!("reading the batch from {}", name_of(file)))?;
    Ok((spool.path().to_path_buf(), Some(spool)))
}

/// The input's name in messages.
fn name_of(file: &Path) -> String {
    if file == Path::new("-") {
        "stdin".to_string()
    } else {
        crate::escape::term(&file.display().to_string())
    }
}

/// The journal's default place: beside the input.
fn journal_path(b: &Batch) -> Result<PathBuf> {
    match (&b.journal, streamed(&b.file)) {
        (Some(j), _) => Ok(j.clone()),
        (None, true) => bail!(
            "--batch {} needs --journal FILE: the input can be read only once, and the journal is \
             what makes a re-run safe",
            name_of(&b.file)
        ),
        (None, false) => {
            let mut name = b.file.clone().into_os_string();
            name.push(".journal");
            Ok(PathBuf::from(name))
        }
    }
}

/// Runs the batch; the exit code by the rule: 0 when every row ended
/// returned, else the most serious outcome present (5 > 4 > 3 > 2).
pub fn run(session: &Session, b: &Batch, out: &mut Out) -> Result<u8> {
    let journal_at = if b.dry_run {
        PathBuf::new()
    } else {
        journal_path(b)?
    };
    let (path, _spool) = source(&b.file)?;
    let sha = input::sha256(&path)?;
    let rows = input::rows(&path, &name_of(&b.file), b.stock_default.is_some())?;
    if b.dry_run {
        return Ok(dry_run::run(rows, b, out));
    }
    journal::not_the_input(&journal_at, &path)?;
    let started = OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default();
    let (journal, recorded, warnings) =
        journal::open(&journal_at, &sha, b.stock_default.as_deref(), &started)?;
    for w in warnings {
        out.err(&format!("wxcoupon: warning: {w}\n"));
    }
    install_stop_handler(&b.again);
    if let Some(pace) = session.pace() {
        pace.set_stop(stopping);
    }
    let syncer = journal.syncer()?;
    let journal = Mutex::new(journal);
    let clock = Instant::now();
    let mut tally = tally::Tally::default();
    let progress = progress_bar();
    let (jobs, job_rx) = mpsc::sync_channel::<(u64, engine::ReturnInput)>(b.concurrency * 2);
    let job_rx = Mutex::new(job_rx);
    // Bounded: rows settled from the journal wait for their line to be
    // printed, rather than pile up in memory.
    let (done_tx, done_rx) = mpsc::sync_channel::<Done>(256);
    let interrupted_after = std::thread::scope(|scope| {
        for _ in 0..b.concurrency {
            let (job_rx, done_tx, journal, syncer) = (&job_rx, done_tx.clone(), &journal, &syncer);
            scope.spawn(move || {
                worker::worker(session, job_rx, done_tx, journal, syncer, b.verbose)
            });
        }
        let producer = {
            let done_tx = done_tx.clone();
            scope.spawn(move || produce(rows, &recorded, b, jobs, done_tx))
        };
        drop(done_tx);
        for done in done_rx {
            match &progress {
                Some(p) => p.suspend(|| finish(&done, &journal, b.json, out)),
                None => finish(&done, &journal, b.json, out),
            }
            tally.add(&done);
            if done.report.judgement.outcome == Kind::Unverified {
                UNVERIFIED.store(true, Ordering::SeqCst);
            }
            if let Some(p) = &progress {
                p.set_position(tally.rows());
                p.set_message(tally.short());
            }
        }
        producer.join().unwrap_or(None)
    });
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    let journal_path = journal.lock().map(|j| j.path.clone()).unwrap_or(journal_at);
    let stopped = stopping();
    tally.summary(
        clock.elapsed(),
        &journal_path,
        stopped,
        interrupted_after,
        b,
        out,
    );
    Ok(tally.exit_code(stopped))
}

/// Reads the rows and plans each: sent by a worker, or settled at once
/// (invalid, a duplicate, or what the journal already says). Stops at the
/// first Ctrl-C; returns the line after which rows were not started.
fn produce(
    rows: input::Rows,
    recorded: &HashMap<u64, journal::Recorded>,
    b: &Batch,
    jobs: mpsc::SyncSender<(u64, engine::ReturnInput)>,
    done: mpsc::SyncSender<Done>,
) -> Option<u64> {
    let mut seen = plan::Seen::with_journal(recorded);
    let mut last = 0;
    for item in rows {
        if stopping() {
            return Some(last);
        }
        let line = item.line();
        last = line;
        match plan::plan(item, recorded, b, &mut seen) {
            Plan::Settled(d) => {
                let _ = done.send(*d);
            }
            Plan::Send(input) => {
                if jobs.send((line, input)).is_err() {
                    return Some(last);
                }
            }
        }
    }
    None
}

/// A spinner with the counts on stderr, only for a terminal.
fn progress_bar() -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    // No colours in the template: NO_COLOR is respected by having none.
    // `wide_msg` fits the line to the terminal's width: a line that wrapped
    // could not be cleared.
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {pos} rows  {wide_msg}") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    Some(bar)
}

/// Writes the outcome record of a sent row, and prints its line.
fn finish(d: &Done, journal: &Mutex<Journal>, json: bool, out: &mut Out) {
    if d.how == How::NotStarted {
        return;
    }
    if d.how == How::Sent
        && let Ok(mut j) = journal.lock()
        && let Err(e) = j.append_unsynced(&Record::outcome(d.line, &d.report))
    {
        // The row was sent; its `sending` record makes a re-run resume it.
        stop_after_error(&format!(
            "line {}: {e:#}; the batch stops (a re-run resumes this row with its number)",
            d.line
        ));
    }
    out.out(&row::line_of(d, json));
}
