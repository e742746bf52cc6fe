//! The pace of a batch across all its workers: requests evenly spaced at
//! `--rate` per second (0: no limit) — one every 1/rate seconds, never a
//! burst: not at the start, not after a pause, not when a slow worker
//! catches up, so a merchant limited to R requests in any sliding second
//! gets R a second and no 429 — slowed by a frequency limit (`Retry-After`
//! pauses every worker, the rate is halved; with no limit: half the rate of
//! the last second) and recovering a quarter at a time, once a second,
//! while none comes.

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
    /// The earliest time the next request may go.
    next: Instant,
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

/// Requests leave evenly spaced, but arrive with a jitter of a few
/// milliseconds, and WeChat Pay counts arrivals in any sliding second: 3%
/// more than 1/R between them leaves 30 ms of slack in every second, at 97%
/// of R.
const SPACING: f64 = 1.03;

/// The longest a wait sleeps before it looks at the stop flag again.
const LOOK: Duration = Duration::from_millis(100);

impl Pace {
    pub fn new(rate: f64) -> Self {
        let now = Instant::now();
        Pace {
            state: Mutex::new(State {
                target: rate,
                rate,
                next: now,
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
            let Some(wait) = take_slot(&mut s, now) else {
                break;
            };
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
            s.next = s.next.max(now + interval(s.rate));
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

/// The time between two requests at `rate` per second.
fn interval(rate: f64) -> Duration {
    Duration::from_secs_f64(SPACING / rate)
}

/// Takes the slot for a request at `now` (None), or says how long until the
/// next one (rate above 0). The slot after a request is one interval after
/// it, never earlier: a late or idle request does not let the next catch up.
fn take_slot(s: &mut State, now: Instant) -> Option<Duration> {
    if now < s.next {
        return Some(s.next - now);
    }
    s.next = now + interval(s.rate);
    None
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
    fn requests_are_evenly_spaced_with_no_burst_at_the_start_or_after_a_pause() {
        let p = Pace::new(20.0);
        let mut s = p.state.lock().unwrap();
        let t0 = s.next;
        let ms = |n: u64| t0 + Duration::from_millis(n);
        assert_eq!(take_slot(&mut s, ms(0)), None, "the first goes at once");
        // 1.03 / 20 s apart: 51.5 ms.
        let gap = interval(20.0);
        assert_eq!(gap, Duration::from_micros(51_500));
        assert_eq!(take_slot(&mut s, ms(0)), Some(gap));
        assert_eq!(take_slot(&mut s, ms(51)), Some(Duration::from_micros(500)));
        assert_eq!(take_slot(&mut s, t0 + gap), None);
        // Idle for ten seconds: one goes, the next waits a whole interval.
        assert_eq!(take_slot(&mut s, ms(10_000)), None);
        assert_eq!(take_slot(&mut s, ms(10_000)), Some(gap));
        // A late request (70 ms after its slot) does not let the next catch up.
        let slot = ms(10_000) + gap;
        assert_eq!(take_slot(&mut s, slot + Duration::from_millis(70)), None);
        assert_eq!(
            take_slot(&mut s, slot + Duration::from_millis(100)),
            Some(gap - Duration::from_millis(30))
        );
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
