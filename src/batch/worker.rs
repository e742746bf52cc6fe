//! The worker threads of a batch: for each row they are given, the
//! `sending` record (on disk before the request leaves), then the return
//! through the engine. They print nothing themselves: what they have to say
//! goes to the printing thread, as an `Event`.

use std::sync::{Mutex, mpsc};

use anyhow::Result;

use super::journal::{Journal, Record, Syncer};
use super::options::Recorder;
use super::row::{Done, How};
use super::stop::Stop;
use crate::engine::{self, ReturnInput, Session};
use crate::report::{Report, Subject};

/// What the workers and the producer tell the printing thread.
pub enum Event {
    /// A finished row.
    Done(Box<Done>),
    /// Text for stderr: an attempt traced (`-v`), an error that stops the
    /// batch.
    Say(String),
}

/// What every worker of a run shares.
pub struct Workers<'a> {
    pub session: &'a Session,
    /// The rows to send, each with its line.
    pub jobs: &'a Mutex<mpsc::Receiver<(u64, ReturnInput)>>,
    pub journal: &'a Mutex<Journal>,
    pub syncer: &'a Syncer,
    pub stop: &'a Stop,
    /// `-v`: each attempt traced, with its row's line.
    pub verbose: bool,
    /// The ledger: told of each row as the journal is.
    pub recorder: Option<&'a dyn Recorder>,
}

impl Workers<'_> {
    /// One worker: takes rows until there are none, or the printing thread
    /// is gone.
    pub fn work(&self, events: mpsc::SyncSender<Event>) {
        loop {
            let next = self.jobs.lock().ok().and_then(|rx| rx.recv().ok());
            let Some((line, input)) = next else {
                return;
            };
            // Stopped (also while waiting for the rate's token): a row still
            // queued is not started (no `sending` record); the summary counts it.
            let pace = self.session.pace();
            if self.stop.stopping() || pace.is_some_and(|p| !p.reserve()) {
                if events.send(not_started(line, &input)).is_err() {
                    return;
                }
                continue;
            }
            // A number the ledger holds for another coupon: WeChat Pay's
            // RESOURCE_ALREADY_EXISTS would "confirm" that coupon's return as
            // this row's. The row is invalid, nothing is sent.
            if let Some(why) = self.recorder.and_then(|r| r.refuses(&input)) {
                let done = Done {
                    line,
                    report: Report::invalid(Subject::from(&input.request), &anyhow::anyhow!(why)),
                    how: How::Invalid,
                };
                if events.send(Event::Done(Box::new(done))).is_err() {
                    return;
                }
                continue;
            }
            if let Err(e) = self.write_sending(line, &input) {
                // No row leaves without its journal record: the batch stops.
                self.stop.after_error();
                let why = format!(
                    "wxcoupon: error: line {line}: {e:#}; the batch stops, since no row is sent \
                     without its journal record\n"
                );
                if events.send(Event::Say(why)).is_err()
                    || events.send(not_started(line, &input)).is_err()
                {
                    return;
                }
                continue;
            }
            let mut trace = |text: &str| {
                if self.verbose {
                    let text = text.strip_prefix("wxcoupon: ").unwrap_or(text);
                    let _ = events.send(Event::Say(format!("wxcoupon: line {line}: {text}")));
                }
            };
            self.stop.sent();
            let report = engine::run(self.session, &input, &mut trace);
            self.stop.landed();
            if let Some(Err(e)) = self.recorder.map(|r| r.outcome(line, &report)) {
                let _ = events.send(Event::Say(format!(
                    "wxcoupon: warning: line {line}: {e:#}\n"
                )));
            }
            let done = Done {
                line,
                report,
                how: How::Sent,
            };
            if events.send(Event::Done(Box::new(done))).is_err() {
                return;
            }
        }
    }

    /// The row's `sending` record, on disk when this returns; the journal's
    /// lock is released while it is synced, so that the workers' records
    /// share one sync.
    fn write_sending(&self, line: u64, input: &ReturnInput) -> Result<()> {
        // The ledger first: a row the journal says was sent always was.
        if let Some(r) = self.recorder {
            r.sending(line, input)?;
        }
        let req = &input.request;
        let record = Record::Sending {
            line,
            coupon_code: req.coupon_code.clone(),
            stock_id: req.stock_id.clone(),
            return_request_no: req.return_request_no.clone(),
        };
        let written = self
            .journal
            .lock()
            .map_err(|_| anyhow::anyhow!("the journal is unusable"))?
            .write_numbered(&record)?;
        self.syncer.sync_through(written)
    }
}

fn not_started(line: u64, input: &ReturnInput) -> Event {
    Event::Done(Box::new(Done::not_started(line, input)))
}
