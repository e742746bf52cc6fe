//! Stopping a batch: Ctrl-C or SIGTERM (the first stops new rows, the second
//! abandons the rows in flight), or an error that leaves the journal
//! unwritable (no new rows either). One handle per run, made by `batch::run`
//! where the signal handler is installed, and handed down to the producer,
//! the workers and the pace; the printing thread says what it means.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

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
}

impl Stop {
    /// A handle that Ctrl-C, SIGTERM and SIGHUP stop. The signal handler can
    /// be installed only once in a process, so only the first run of a
    /// process is stopped by them; its handler only marks the handle.
    pub fn install() -> Stop {
        let stop = Stop::default();
        let heard = stop.clone();
        let _ = ctrlc::set_handler(move || heard.signal());
        stop
    }

    fn signal(&self) {
        if self.0.stopping.swap(true, Ordering::SeqCst) {
            self.0.again.store(true, Ordering::SeqCst);
        } else {
            self.0.signalled.store(true, Ordering::SeqCst);
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
    /// `again` is the command that resumes the batch.
    pub fn tell(&self, out: &mut Out, again: &str) -> bool {
        if self.0.signalled.swap(false, Ordering::SeqCst) {
            out.err(
                "wxcoupon: stopping: no new rows start; the rows in flight finish (Ctrl-C again \
                 abandons them)\n",
            );
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
        let abandoned = stop.tell(&mut out, "wxcoupon return --batch 'a b.csv'");
        let mut text = String::new();
        stderr.rewind().unwrap();
        stderr.read_to_string(&mut text).unwrap();
        (text, abandoned)
    }

    #[test]
    fn a_signal_stops_new_rows_and_a_second_abandons_those_in_flight() {
        let stop = Stop::default();
        assert!(!stop.stopping());
        assert_eq!(said(&stop), (String::new(), false));
        stop.signal();
        assert!(stop.stopping() && stop.flag().load(Ordering::SeqCst));
        let (text, abandoned) = said(&stop);
        assert!(text.starts_with("wxcoupon: stopping: "), "{text}");
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
