//! Stopping a batch: Ctrl-C or SIGTERM (the first stops new rows, the second
//! abandons the rows in flight), or an error that leaves the journal
//! unwritable (no new rows either). One handle per run, made by `batch::run`
//! where the signal handler is installed, and handed down to the producer,
//! the workers and the pace; the printing thread says what it means.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use super::tally::span;
use crate::escape;
use crate::output::Out;

/// A run's stop handle; its clones share it.
#[derive(Clone, Default)]
pub struct Stop(Arc<State>);

#[derive(Default)]
struct State {
    /// Raised by the first stop: no new rows start. The pace holds it too.
    stopping: Arc<AtomicBool>,
    /// A signal was the first stop, not yet said.
    signalled: AtomicBool,
    /// A signal came when the batch was already stopping: the rows in
    /// flight are abandoned.
    again: AtomicBool,
    /// Rows sent and not yet finished, for the notice of a stop.
    in_flight: AtomicU64,
    /// The longest a row in flight may still take (`Session::longest_return`).
    longest: Duration,
}

impl Stop {
    /// A handle that Ctrl-C, SIGTERM and SIGHUP stop. The signal handler can
    /// be installed only once in a process, so only the first run of a
    /// process is stopped by them; its handler only marks the handle.
    /// `longest`: the longest a row may take once sent, said on a stop.
    pub fn install(longest: Duration) -> Stop {
        let stop = Stop::with_longest(longest);
        let heard = stop.clone();
        let _ = ctrlc::set_handler(move || heard.signal());
        stop
    }

    fn with_longest(longest: Duration) -> Stop {
        Stop(Arc::new(State {
            longest,
            ..State::default()
        }))
    }

    /// A row was sent (its `sending` record is on disk): it is in flight
    /// until `landed`.
    pub fn sent(&self) {
        self.0.in_flight.fetch_add(1, Ordering::SeqCst);
    }

    /// A row sent has finished.
    pub fn landed(&self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }

    fn signal(&self) {
        if self.0.stopping.swap(true, Ordering::SeqCst) {
            self.0.again.store(true, Ordering::SeqCst);
        } else {
            self.0.signalled.store(true, Ordering::SeqCst);
        }
    }

    /// What a first stop means: how many rows are in flight, and the
    /// longest they may take.
    fn stopping_notice(&self) -> String {
        match self.0.in_flight.load(Ordering::SeqCst) {
            0 => "wxcoupon: stopping: no new rows start, and none is in flight\n".to_string(),
            n => format!(
                "wxcoupon: stopping: no new rows start; the {n} row(s) in flight finish, within \
                 {} at most (Ctrl-C again abandons them)\n",
                span(self.0.longest)
            ),
        }
    }

    /// Stops the batch because of an error (the journal cannot be written):
    /// no new rows start, as after Ctrl-C. The caller says why.
    pub fn after_error(&self) {
        self.0.stopping.store(true, Ordering::SeqCst);
    }

    /// Whether the batch was told to stop (no new rows start).
    pub fn stopping(&self) -> bool {
        self.0.stopping.load(Ordering::SeqCst)
    }

    /// The flag that the first stop raises, for the pace.
    pub fn flag(&self) -> Arc<AtomicBool> {
        self.0.stopping.clone()
    }

    /// Says what the signals heard since the last call mean; true when the
    /// rows in flight are abandoned, and the batch is to exit at once.
    /// `again` is the command that resumes the batch. `later`: the notice
    /// of a first signal waits (the progress line is still up; it goes
    /// first, so that it is not drawn again after the notice).
    pub fn tell(&self, out: &mut Out, again: &str, later: bool) -> bool {
        if !later && self.0.signalled.swap(false, Ordering::SeqCst) {
            out.err(&self.stopping_notice());
        }
        if !self.0.again.load(Ordering::SeqCst) {
            return false;
        }
        out.err(&format!(
            "wxcoupon: stopped again: the rows in flight are abandoned; their journal records make \
             the next run resume them:\n    {}\n",
            escape::term(again)
        ));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `tell` writes to stderr, and what it returns.
    fn said(stop: &Stop) -> (String, bool) {
        use std::io::{Read, Seek};
        let mut stderr = tempfile::tempfile().unwrap();
        let mut out = Out::to(
            Box::new(std::io::sink()),
            Box::new(stderr.try_clone().unwrap()),
        );
        let abandoned = stop.tell(&mut out, "wxcoupon return --batch 'a b.csv'", false);
        let mut text = String::new();
        stderr.rewind().unwrap();
        stderr.read_to_string(&mut text).unwrap();
        (text, abandoned)
    }

    #[test]
    fn a_signal_stops_new_rows_and_a_second_abandons_those_in_flight() {
        let stop = Stop::with_longest(Duration::from_secs(130));
        assert!(!stop.stopping());
        assert_eq!(said(&stop), (String::new(), false));
        for _ in 0..3 {
            stop.sent();
        }
        stop.landed();
        stop.signal();
        assert!(stop.stopping() && stop.flag().load(Ordering::SeqCst));
        let mut out = Out::to(Box::new(std::io::sink()), Box::new(std::io::sink()));
        assert!(!stop.tell(&mut out, "wxcoupon", true), "the notice waits");
        let (text, abandoned) = said(&stop);
        assert_eq!(
            text,
            "wxcoupon: stopping: no new rows start; the 2 row(s) in flight finish, within 2 min \
             10 s at most (Ctrl-C again abandons them)\n"
        );
        assert!(!abandoned);
        assert_eq!(said(&stop), (String::new(), false), "said once");
        stop.signal();
        let (text, abandoned) = said(&stop);
        assert!(abandoned);
        assert_eq!(
            text,
            "wxcoupon: stopped again: the rows in flight are abandoned; their journal records \
             make the next run resume them:\n    wxcoupon return --batch 'a b.csv'\n"
        );
    }

    #[test]
    fn a_stop_between_rows_says_none_is_in_flight() {
        let stop = Stop::with_longest(Duration::from_secs(300));
        stop.sent();
        stop.landed();
        stop.signal();
        assert_eq!(
            said(&stop).0,
            "wxcoupon: stopping: no new rows start, and none is in flight\n"
        );
    }

    #[test]
    fn after_an_error_the_first_signal_abandons() {
        let stop = Stop::default();
        stop.after_error();
        assert!(stop.stopping());
        assert_eq!(
            said(&stop),
            (String::new(), false),
            "the error is said by its finder"
        );
        stop.signal();
        let (text, abandoned) = said(&stop);
        assert!(
            abandoned && text.starts_with("wxcoupon: stopped again: "),
            "{text}"
        );
    }
}
