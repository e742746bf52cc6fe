//! A worker thread of a batch: for each row it is given, the `sending`
//! record, then the return through the engine.

use std::sync::{Mutex, mpsc};

use super::journal::{Journal, Record, Syncer};
use super::row::{Done, How};
use crate::engine::{self, ReturnInput, Session};

/// A worker: for each row, the `sending` record (on disk before the request
/// leaves), then the return through the engine.
pub fn worker(
    session: &Session,
    jobs: &Mutex<mpsc::Receiver<(u64, ReturnInput)>>,
    done: mpsc::SyncSender<Done>,
    journal: &Mutex<Journal>,
    syncer: &Syncer,
    verbose: bool,
) {
    loop {
        let next = jobs.lock().ok().and_then(|rx| rx.recv().ok());
        let Some((line, input)) = next else {
            return;
        };
        // Stopped (also while waiting for the rate's token): a row still
        // queued is not started (no `sending` record); the summary counts it.
        if super::stopping() || session.pace().is_some_and(|p| !p.reserve()) {
            if done.send(Done::not_started(line, &input)).is_err() {
                return;
            }
            continue;
        }
        let req = &input.request;
        let written = journal
            .lock()
            .map_err(|_| anyhow::anyhow!("the journal is unusable"))
            .and_then(|mut j| {
                j.write_numbered(&Record::Sending {
                    line,
                    coupon_code: req.coupon_code.clone(),
                    stock_id: req.stock_id.clone(),
                    return_request_no: req.return_request_no.clone(),
                })
            })
            // On disk before the request leaves (the journal's lock released).
            .and_then(|n| syncer.sync_through(n));
        if let Err(e) = written {
            // No row leaves without its journal record: the batch stops.
            super::stop_after_error(&format!(
                "line {line}: {e:#}; the batch stops, since no row is sent without its journal record"
            ));
            if done.send(Done::not_started(line, &input)).is_err() {
                return;
            }
            continue;
        }
        let mut trace = |text: &str| {
            if verbose {
                let text = text.strip_prefix("wxcoupon: ").unwrap_or(text);
                eprint!("wxcoupon: line {line}: {text}");
            }
        };
        let report = engine::run(session, &input, &mut trace);
        if done
            .send(Done {
                line,
                report,
                how: How::Sent,
            })
            .is_err()
        {
            return;
        }
    }
}
