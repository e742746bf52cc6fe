//! The progress line on stderr, only for a terminal (indicatif): rows
//! finished, of how many once that is known, this run's rate and the time
//! left, and the counts (`Tally::progress`). Once the batch stops (before
//! the notice of a stop is said) or ends (before the summary), it is
//! cleared and never drawn again.
//!
//! The total: rows are planned from a stream, as they are read (the input
//! is read whole only for its SHA-256, before anything is sent), so it is
//! not known when sending starts. Rather than hold the first request back
//! until the file is parsed twice, a second reader counts the rows beside
//! the batch (`batch::count`, on its own thread), and the line says
//! `68 rows` until it is done, `68/200 rows` from then on. Only for a
//! terminal: a script pays nothing.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use super::tally::Tally;

pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    started: Instant,
}

impl Progress {
    /// A progress line on stderr if it is a terminal; else none is drawn.
    pub fn new() -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            // No colours in the template: NO_COLOR is respected by having
            // none. `wide_msg` fits the line to the terminal's width: a
            // line that wrapped could not be cleared.
            if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {wide_msg}") {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress {
            bar,
            started: Instant::now(),
        }
    }

    /// Whether the line is drawn.
    pub fn shown(&self) -> bool {
        self.bar.is_some()
    }

    /// Runs `print` with the line out of the way, and draws it again after.
    pub fn around<R>(&self, print: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }

    /// Draws the line for `tally`, of `total` rows once they are counted.
    pub fn update(&self, tally: &Tally, total: Option<u64>) {
        if let Some(bar) = &self.bar {
            bar.set_message(tally.progress(total, self.started.elapsed()));
        }
    }

    /// Clears the line, for good.
    pub fn end(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
