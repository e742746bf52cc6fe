//! `wxcoupon return --batch FILE`: many returns from a CSV or JSON Lines
//! file, on worker threads sharing one session (keys loaded once, one pace
//! for the merchant's rate limit), each row sent through the same engine as
//! a single return. Never twice: the journal records every row's request
//! number, fsync'd before the request leaves, so a re-run (after a crash, a
//! kill, an interruption) resumes each row with its own number.

mod csv_records;
mod dry_run;
pub mod input;
pub mod journal;
mod options;
mod plan;
mod progress;
mod row;
mod stop;
mod tally;
mod worker;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError, mpsc};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::engine::{ReturnInput, Session};
use crate::output::Out;
use journal::{Journal, Record, Recorded};
pub use options::{Batch, Recorder};
use plan::Plan;
use progress::Progress;
use row::{Done, How};
use stop::Stop;
use tally::Tally;
use worker::{Event, Workers};

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

/// The journal's place: named with `--journal`, else beside the input.
fn journal_place(b: &Batch) -> Result<journal::Place> {
    let path = match (&b.journal, streamed(&b.file)) {
        (Some(j), _) => {
            return Ok(journal::Place {
                path: j.clone(),
                named: true,
            });
        }
        (None, true) => bail!(
            "--batch {} needs --journal FILE: the input can be read only once, and the journal is \
             what makes a re-run safe",
            name_of(&b.file)
        ),
        (None, false) => {
            let mut name = b.file.clone().into_os_string();
            name.push(".journal");
            PathBuf::from(name)
        }
    };
    Ok(journal::Place { path, named: false })
}

/// Runs the batch; the exit code by the rule: 0 when every row ended
/// returned, else the most serious outcome present (5 > 4 > 3 > 2).
pub fn run(session: &Session, b: &Batch, out: &mut Out) -> Result<u8> {
    // Before the input is read: stdin without --journal is refused.
    let place = if b.dry_run {
        None
    } else {
        Some(journal_place(b)?)
    };
    let (path, _spool) = source(&b.file)?;
    let sha = input::sha256(&path)?;
    let rows = input::rows(&path, &name_of(&b.file), b.stock_default.is_some())?;
    let Some(place) = place else {
        // A dry run: no journal.
        return Ok(dry_run::run(rows, b, out));
    };
    journal::not_the_input(&place.path, &path)?;
    let started = OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default();
    let (journal, recorded, warnings) =
        journal::open(&place, &sha, b.stock_default.as_deref(), &started)?;
    for w in warnings {
        out.err(&format!("wxcoupon: warning: {w}\n"));
    }
    let (name, stock) = (name_of(&b.file), b.stock_default.is_some());
    let counter = |stop: &Stop| count(stop, || input::rows(&path, &name, stock).ok());
    send(session, b, rows, &counter, journal, &recorded, out)
}

/// The rows of the input, read again beside the batch for the progress
/// line (see `progress`); none if the batch stops first.
fn count(stop: &Stop, rows: impl FnOnce() -> Option<input::Rows>) -> Option<u64> {
    let mut n = 0;
    for _ in rows()? {
        if stop.stopping() {
            return None;
        }
        n += 1;
    }
    Some(n)
}

/// Sends the rows on worker threads (settling at once those that need no
/// request) and prints each as it finishes, then the summary; the exit code.
fn send(
    session: &Session,
    b: &Batch,
    rows: input::Rows,
    counter: &(dyn Fn(&Stop) -> Option<u64> + Sync),
    journal: Journal,
    recorded: &HashMap<u64, Recorded>,
    out: &mut Out,
) -> Result<u8> {
    let stop = Stop::install(session.longest_return());
    if let Some(pace) = session.pace() {
        pace.set_stop(stop.flag());
    }
    let syncer = journal.syncer()?;
    let journal_path = journal.path.clone();
    let journal = Mutex::new(journal);
    let clock = Instant::now();
    let (jobs, job_rx) = mpsc::sync_channel::<(u64, ReturnInput)>(b.concurrency * 2);
    let job_rx = Mutex::new(job_rx);
    let workers = Workers {
        session,
        jobs: &job_rx,
        journal: &journal,
        syncer: &syncer,
        stop: &stop,
        verbose: b.verbose,
        recorder: b.recorder.as_deref(),
    };
    // Bounded: rows settled from the journal wait for their line to be
    // printed, rather than pile up in memory.
    let (events, heard) = mpsc::sync_channel::<Event>(256);
    let mut progress = Progress::new();
    let total = OnceLock::new();
    let (tally, interrupted_after) = std::thread::scope(|scope| {
        if progress.shown() {
            let (stop, total) = (&stop, &total);
            scope.spawn(move || counter(stop).map(|n| total.set(n)));
        }
        for _ in 0..b.concurrency {
            let (workers, events) = (&workers, events.clone());
            scope.spawn(move || workers.work(events));
        }
        let producer = {
            let (stop, events) = (&stop, events.clone());
            scope.spawn(move || produce(rows, recorded, b, stop, jobs, events))
        };
        drop(events);
        let tally = print(heard, &journal, &stop, b, out, &mut progress, &total);
        (tally, producer.join().unwrap_or(None))
    });
    write_kept(&journal, out);
    let stopped = stop.stopping();
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
/// (invalid, a duplicate, or what the journal already says). Stops when
/// the batch is stopped (Ctrl-C, or a journal that cannot be written);
/// returns the line after which rows were not started.
fn produce(
    rows: input::Rows,
    recorded: &HashMap<u64, Recorded>,
    b: &Batch,
    stop: &Stop,
    jobs: mpsc::SyncSender<(u64, ReturnInput)>,
    events: mpsc::SyncSender<Event>,
) -> Option<u64> {
    let mut seen = plan::Seen::with_journal(recorded);
    let mut last = 0;
    for item in rows {
        if stop.stopping() {
            return Some(last);
        }
        let line = item.line();
        last = line;
        match plan::plan(item, recorded, b, &mut seen) {
            Plan::Settled(d) => {
                let _ = events.send(Event::Done(d));
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

/// How long the printing thread waits for news from the workers before it
/// looks at the signals again.
const LISTEN: Duration = Duration::from_millis(100);

/// The printing thread (this one), the only one that writes to `out`: what
/// the workers and the producer tell, and what the signals mean, until every
/// row is finished. A second signal ends the process here, with the exit
/// code of the rows finished so far (at least `unknown`).
fn print(
    heard: mpsc::Receiver<Event>,
    journal: &Mutex<Journal>,
    stop: &Stop,
    b: &Batch,
    out: &mut Out,
    progress: &mut Progress,
    total: &OnceLock<u64>,
) -> Tally {
    let mut tally = Tally::default();
    loop {
        let (event, last) = match heard.recv_timeout(LISTEN) {
            Ok(event) => (Some(event), false),
            Err(mpsc::RecvTimeoutError::Timeout) => (None, false),
            Err(mpsc::RecvTimeoutError::Disconnected) => (None, true),
        };
        // Stopping: the progress line goes before the stop is said, and is
        // not drawn again. A signal heard after this look is said on the
        // next round, once the line is gone.
        if stop.stopping() {
            progress.end();
        }
        let later = progress.shown();
        let say = |out: &mut Out| {
            if stop.tell(out, &b.again, later) {
                std::process::exit(tally.exit_code(true).into());
            }
            match event {
                Some(Event::Done(done)) => {
                    finish(&done, journal, stop, b.json, out);
                    tally.add(&done);
                }
                Some(Event::Say(text)) => out.err(&text),
                None => {}
            }
        };
        progress.around(|| say(out));
        if last {
            break;
        }
        progress.update(&tally, total.get().copied());
    }
    progress.end();
    tally
}

/// Writes the outcome record of a sent row, and prints its line.
fn finish(d: &Done, journal: &Mutex<Journal>, stop: &Stop, json: bool, out: &mut Out) {
    if d.how == How::NotStarted {
        return;
    }
    if d.how == How::Sent {
        let mut j = journal.lock().unwrap_or_else(PoisonError::into_inner);
        if let Err(e) = j.append_outcome(Record::outcome(d.line, &d.report)) {
            stop.after_error();
            out.err(&format!(
                "wxcoupon: error: line {}: {e:#}; the batch stops. The row was sent: its outcome \
                 is kept, to be written to the journal as soon as it can be\n",
                d.line
            ));
        }
    }
    out.out(&row::line_of(d, json));
}

/// At the end of the batch, writes the outcomes kept while the journal could
/// not be written, and says what became of them.
fn write_kept(journal: &Mutex<Journal>, out: &mut Out) {
    let mut j = journal.lock().unwrap_or_else(PoisonError::into_inner);
    if j.late().is_empty() {
        return;
    }
    let _ = j.write_kept();
    let mut unwritten = j.unwritten();
    unwritten.sort_unstable();
    let mut written: Vec<u64> = j
        .late()
        .iter()
        .copied()
        .filter(|l| !unwritten.contains(l))
        .collect();
    written.sort_unstable();
    if !written.is_empty() {
        out.err(&format!(
            "batch: the outcomes kept of line(s) {} are in the journal now\n",
            lines(&written)
        ));
    }
    if !unwritten.is_empty() {
        out.err(&format!(
            "batch: the outcomes of line(s) {} could not be written to the journal (they are \
             printed above): the re-run resumes those rows with their own request numbers, which \
             never returns a coupon twice\n",
            lines(&unwritten)
        ));
    }
}

/// `2, 5, 7`.
fn lines(lines: &[u64]) -> String {
    lines
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
