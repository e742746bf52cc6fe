//! The limits that more than one module enforces, each written once.

/// WeChat Pay refuses a request, and wxcoupon an answer, whose timestamp is
/// this many seconds or more away from the clock (5 minutes).
pub const CLOCK_SKEW_SECS: i64 = 300;

/// `return_request_no` is at most this long.
pub const MAX_REQUEST_NO_LEN: usize = 128;

/// `retries` and `--retries`: 0 to this.
pub const MAX_RETRIES: u32 = 10;
pub const DEFAULT_RETRIES: u32 = 2;

/// `timeout_secs`, `--timeout` and the emulator's `--delay`: 1 to this.
pub const MAX_TIMEOUT_SECS: u64 = 600;
pub const DEFAULT_TIMEOUT_SECS: u64 = 10;

/// A timeout in seconds, from 1 to `MAX_TIMEOUT_SECS`.
pub fn check_timeout(secs: u64) -> Result<(), String> {
    if (1..=MAX_TIMEOUT_SECS).contains(&secs) {
        Ok(())
    } else {
        Err(format!("must be from 1 to {MAX_TIMEOUT_SECS} seconds"))
    }
}

/// A number of retries, from 0 to `MAX_RETRIES`.
pub fn check_retries(n: u32) -> Result<(), String> {
    if n <= MAX_RETRIES {
        Ok(())
    } else {
        Err(format!("must be from 0 to {MAX_RETRIES}"))
    }
}
