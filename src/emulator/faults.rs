//! The faults the emulator can inject (`--fault KIND[:N]`), for testing a
//! client's handling of lost answers, delays, errors and signature probes.

use std::str::FromStr;

/// What the emulator does to a request instead of answering it normally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// No fault: answer normally (`pass:N` lets N requests through before
    /// the faults that follow it).
    Pass,
    /// Reset the connection after reading the request, before processing it.
    DropBefore,
    /// Process the request, then reset the connection without answering.
    DropAfter,
    /// Process the request, then answer only after the delay.
    Delay,
    /// Answer 500 SYSTEM_ERROR without processing.
    Error500,
    /// Answer 429 FREQUENCY_LIMITED (Retry-After: 1) without processing.
    TooMany429,
    /// Process the request, then answer with a signature probe
    /// (`WECHATPAY/SIGNTEST/…`), invalid by design, as WeChat Pay sometimes does.
    Probe,
}

/// `KIND[:N]`: apply KIND to the next N requests (default 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    pub kind: FaultKind,
    pub count: u32,
}

pub const FAULT_KINDS: &str = "pass, drop-before, drop-after, delay, 500, 429, probe";

impl FromStr for Fault {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (kind, count) = match s.split_once(':') {
            Some((k, n)) => (
                k,
                n.parse::<u32>()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| format!("`{n}` is not a count from 1 to 1000"))?,
            ),
            None => (s, 1),
        };
        let kind = match kind {
            "pass" => FaultKind::Pass,
            "drop-before" => FaultKind::DropBefore,
            "drop-after" => FaultKind::DropAfter,
            "delay" => FaultKind::Delay,
            "500" => FaultKind::Error500,
            "429" => FaultKind::TooMany429,
            "probe" => FaultKind::Probe,
            other => {
                return Err(format!(
                    "unknown fault `{other}`; the kinds are: {FAULT_KINDS}"
                ));
            }
        };
        Ok(Fault { kind, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse_with_counts_and_refuse_unknown_kinds() {
        assert_eq!(
            "drop-after:3".parse::<Fault>().unwrap(),
            Fault {
                kind: FaultKind::DropAfter,
                count: 3
            }
        );
        assert_eq!("500".parse::<Fault>().unwrap().count, 1);
        assert!("boom".parse::<Fault>().unwrap_err().contains("drop-before"));
        assert!("429:0".parse::<Fault>().is_err());
    }
}
