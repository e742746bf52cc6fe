//! The pace of a batch across all its workers: a token bucket of `--rate`
//! requests per second (a burst of at most one second's worth; 0: no limit),
//! slowed by a 429 — `Retry-After` pauses every worker, the rate is halved
//! (with no limit: half the rate of the last second) — and recovering a
//! quarter at a time, once a second, while no 429 comes.

use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

struct State {
    /// The rate asked for (0: none).
    target: f64,
    /// The rate now (0: none).
    rate: f64,
    tokens: f64,
    refilled: Instant,
    paused_until: Option<Instant>,
    last_change: Instant,
    /// The last halving: the 429s of one storm (answers to requests that
    /// were in flight together) halve the rate once.
    halved: Option<Instant>,
    /// When requests went, for the last second's rate.
    recent: VecDeque<Instant>,
}

pub struct Pace {
    state: Mutex<State>,
    woken: Condvar,
    /// Raised when the run stops (Ctrl-C): waits end at once.
    stop: OnceLock<Arc<AtomicBool>>,
}

thread_local! {
    /// A token this thread took before its row started (`reserve`), used
    /// by the row's first attempt.
    static RESERVED: Cell<bool> = const { Cell::new(false) };
}

/// The longest a wait sleeps before it looks at the stop flag again.
const LOOK: Duration = Duration::from_millis(100);

impl Pace {
    pub fn new(rate: f64) -> Self {
        let now = Instant::now();
        Pace {
            state: Mutex::new(State {
                target: rate,
                rate,
                tokens: rate.max(1.0),
                refilled: now,
                paused_until: None,
                last_change: now,
                halved: None,
                recent: VecDeque::new(),
            }),
            woken: Condvar::new(),
            stop: OnceLock::new(),
        }
    }

    /// Gives the pace the run's stop flag, which whoever stops the run
    /// raises: from then on, waits end at once.
    pub fn set_stop(&self, stop: Arc<AtomicBool>) {
        let _ = self.stop.set(stop);
    }

    fn stopping(&self) -> bool {
        self.stop.get().is_some_and(|s| s.load(Ordering::SeqCst))
    }

    /// Before a row starts: waits for a token and keeps it for this
    /// thread's next `acquire`. False, with no token, when the run stops
    /// meanwhile: the row is then not started.
    pub fn reserve(&self) -> bool {
        let got = self.wait();
        RESERVED.with(|r| r.set(got));
        got
    }

    /// Waits until a request may go (at once with a reserved token). A row
    /// already in flight when the run stops does not wait any more: it
    /// finishes.
    pub fn acquire(&self) {
        if !RESERVED.with(|r| r.replace(false)) {
            self.wait();
        }
    }

    /// Waits for a token; false if the run stopped first.
    fn wait(&self) -> bool {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if self.stopping() {
                return false;
            }
            let now = Instant::now();
            if let Some(until) = s.paused_until {
                if now < until {
                    s = self
                        .woken
                        .wait_timeout(s, (until - now).min(LOOK))
                        .unwrap_or_else(|p| p.into_inner())
                        .0;
                    continue;
                }
                s.paused_until = None;
            }
            recover(&mut s, now);
            if s.rate <= 0.0 {
                break;
            }
            let burst = s.rate.max(1.0);
            s.tokens = (s.tokens + (now - s.refilled).as_secs_f64() * s.rate).min(burst);
            s.refilled = now;
            if s.tokens >= 1.0 {
                s.tokens -= 1.0;
                break;
            }
            let wait = Duration::from_secs_f64((1.0 - s.tokens) / s.rate);
            s = self
                .woken
                .wait_timeout(s, wait.min(LOOK))
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        let now = Instant::now();
        s.recent.push_back(now);
        while s
            .recent
            .front()
            .is_some_and(|t| now - *t > Duration::from_secs(1))
        {
            s.recent.pop_front();
        }
        true
    }

    /// A 429: pause everyone for `retry_after`, and halve the rate.
    pub fn slow_down(&self, retry_after: Duration) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if s.halved.is_none_or(|t| now - t >= Duration::from_secs(1)) {
            let current = if s.rate > 0.0 {
                s.rate
            } else {
                s.recent.len().max(1) as f64
            };
            s.rate = (current / 2.0).max(0.5);
            s.tokens = s.tokens.min(1.0);
            s.halved = Some(now);
        }
        s.last_change = now;
        if !retry_after.is_zero() {
            let until = now + retry_after;
            s.paused_until = Some(s.paused_until.map_or(until, |p| p.max(until)));
        }
        self.woken.notify_all();
    }

    /// The rate now (requests per second; 0: no limit).
    #[cfg(test)]
    pub fn rate(&self) -> f64 {
        self.state.lock().map(|s| s.rate).unwrap_or_default()
    }
}

/// A quarter back towards the target rate for every quiet second.
fn recover(s: &mut State, now: Instant) {
    if s.rate == s.target || now - s.last_change < Duration::from_secs(1) {
        return;
    }
    s.last_change = now;
    s.rate *= 1.25;
    if s.target > 0.0 && s.rate >= s.target {
        s.rate = s.target;
    } else if s.target == 0.0 && s.rate >= 1000.0 {
        s.rate = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_429_halves_the_rate_and_quiet_seconds_bring_it_back() {
        let p = Pace::new(8.0);
        p.slow_down(Duration::ZERO);
        assert_eq!(p.rate(), 4.0);
        p.slow_down(Duration::ZERO);
        assert_eq!(p.rate(), 4.0, "one storm halves once");
        let mut s = p.state.lock().unwrap();
        s.halved = s.halved.map(|t| t - Duration::from_secs(1));
        drop(s);
        p.slow_down(Duration::ZERO);
        assert_eq!(p.rate(), 2.0, "a later 429 halves again");
        let mut s = p.state.lock().unwrap();
        let later = Instant::now() + Duration::from_secs(2);
        recover(&mut s, later);
        assert_eq!(s.rate, 2.5);
        for i in 2..20 {
            recover(&mut s, later + Duration::from_secs(i));
        }
        assert_eq!(s.rate, 8.0, "back to the target, never above");
    }

    #[test]
    fn a_raised_stop_flag_ends_every_wait() {
        // One token every 100 s: only the first is there at once.
        let p = Pace::new(0.01);
        let stop = Arc::new(AtomicBool::new(false));
        p.set_stop(stop.clone());
        assert!(p.reserve());
        stop.store(true, Ordering::SeqCst);
        assert!(!p.reserve(), "stopped: no token, and no wait for one");
        // A row in flight does not wait for a token either.
        p.acquire();
    }

    #[test]
    fn no_limit_slows_to_half_the_last_second_and_recovers_to_none() {
        let p = Pace::new(0.0);
        for _ in 0..10 {
            p.acquire();
        }
        p.slow_down(Duration::ZERO);
        assert_eq!(p.rate(), 5.0);
        let mut s = p.state.lock().unwrap();
        let start = Instant::now();
        for i in 1..60 {
            recover(&mut s, start + Duration::from_secs(i));
        }
        assert_eq!(s.rate, 0.0);
    }
}
