//! The request numbers the ledger holds, for a batch: each row asks whether
//! its number is held for another coupon, and a full scan per row made a
//! batch quadratic in the ledger's size (6,000 rows: 2.2 ms of CPU a row, and
//! growing). This set of the numbers' hashes is filled by reading each month
//! file once and then only what was appended since (other processes' records
//! too), so "not held" is answered from memory; a number that may be held
//! (in the set, or a hash shared with another) still gets the exact scan.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::path::{Path, PathBuf};

use anyhow::Result;

use super::scan::{self, Position};

#[derive(Debug, Default)]
pub struct Known {
    read: HashMap<PathBuf, Position>,
    numbers: HashSet<u64>,
    hasher: RandomState,
}

impl Known {
    /// Whether the ledger in `dir` may hold `request_no` for any coupon:
    /// false is certain (every record's number is in the set); true asks for
    /// the exact scan. Damage met on the way goes to `warnings`, once.
    pub fn may_hold(
        &mut self,
        dir: &Path,
        request_no: &str,
        warnings: &mut Vec<String>,
    ) -> Result<bool> {
        for path in scan::months(dir)? {
            let from = self.read.get(&path).copied().unwrap_or_default();
            let (numbers, hasher) = (&mut self.numbers, &self.hasher);
            let to = scan::each_from(&path, from, "", warnings, |e| {
                numbers.insert(hasher.hash_one(&e.return_request_no));
            })?;
            self.read.insert(path, to);
        }
        Ok(self.numbers.contains(&self.hasher.hash_one(request_no)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(no: &str) -> String {
        format!(
            "{{\"record\":\"sending\",\"line\":1,\"coupon_code\":\"C\",\"stock_id\":\"S\",\"return_request_no\":\"{no}\"}}\n"
        )
    }

    #[test]
    fn numbers_appended_after_a_reading_are_known_at_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let month = dir.path().join("2026-12.jsonl");
        std::fs::write(&month, format!("{}{}", record("N1"), "{\"record\":\"sen")).unwrap();
        let mut known = Known::default();
        let mut warnings = Vec::new();
        assert!(known.may_hold(dir.path(), "N1", &mut warnings).unwrap());
        // The torn last line is not read yet; once whole, it is.
        assert!(!known.may_hold(dir.path(), "N2", &mut warnings).unwrap());
        let appended = format!("{}{}garbage\n", record("N1"), record("N2"));
        std::fs::write(&month, appended).unwrap();
        assert!(known.may_hold(dir.path(), "N2", &mut warnings).unwrap());
        // A new month file, and a line of damage said once.
        std::fs::write(dir.path().join("2027-01.jsonl"), record("N3")).unwrap();
        assert!(known.may_hold(dir.path(), "N3", &mut warnings).unwrap());
        assert!(!known.may_hold(dir.path(), "N4", &mut warnings).unwrap());
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("2026-12.jsonl is damaged at line 3"),
            "{warnings:?}"
        );
        // A file rewritten shorter (repaired by hand) is read again.
        std::fs::write(&month, record("N5")).unwrap();
        assert!(known.may_hold(dir.path(), "N5", &mut warnings).unwrap());
    }
}
