//! A frequency limit as WeChat Pay keeps one: at most `per_second` requests
//! in any sliding second; a request past it is answered 429
//! `FREQUENCY_LIMITED` and not processed (`wxcoupon emulator --limit R`).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Limit {
    per_second: usize,
    /// When the admitted requests of the last second came.
    admitted: Mutex<VecDeque<Instant>>,
}

impl Limit {
    pub fn new(per_second: u32) -> Self {
        Limit {
            per_second: per_second as usize,
            admitted: Mutex::new(VecDeque::new()),
        }
    }

    /// Whether a request arriving at `now` is within the limit (and then
    /// counted).
    pub fn admit(&self, now: Instant) -> bool {
        let mut admitted = self.admitted.lock().unwrap_or_else(|p| p.into_inner());
        while admitted
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            admitted.pop_front();
        }
        if admitted.len() >= self.per_second {
            return false;
        }
        admitted.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_n_in_any_sliding_second() {
        let l = Limit::new(2);
        let t = Instant::now();
        let ms = |n| t + Duration::from_millis(n);
        assert!(l.admit(ms(0)) && l.admit(ms(100)));
        assert!(!l.admit(ms(900)), "a third within the second");
        assert!(!l.admit(ms(999)));
        assert!(l.admit(ms(1000)), "the first has left the window");
        assert!(!l.admit(ms(1050)));
        assert!(l.admit(ms(1100)));
    }
}
