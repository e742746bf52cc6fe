//! Reading the ledger: its monthly files in order, each line a record (the
//! journal's, with the ledger's fields), streamed one line at a time. A
//! line that is not a record is damage: a half-written last line is left
//! out (the next append cuts it off); one before the last is skipped and
//! said, with its file and line, so that nothing depends on it silently.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// One ledger line as read back: every field the ledger writes (a `sending`
/// record has no outcome; an `outcome` record has every field).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Entry {
    /// `sending` or `outcome`.
    pub record: String,
    /// The batch input's line; 0 for a single return.
    pub line: u64,
    pub coupon_code: String,
    pub stock_id: String,
    pub return_request_no: String,
    pub outcome: Option<String>,
    pub code: Option<String>,
    pub message: Option<String>,
    pub wechatpay_return_time: Option<String>,
    pub confirmed_by_retry: bool,
    pub request_id: Option<String>,
    /// When it was written, RFC 3339 at +08:00.
    pub time: String,
    pub profile: String,
    pub mchid: String,
}

/// The monthly files of the ledger in `dir` (`YYYY-MM.jsonl`), oldest first.
pub fn months(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let listing = match std::fs::read_dir(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        listing => listing.with_context(|| format!("reading the ledger {}", dir.display()))?,
    };
    for entry in listing {
        let entry = entry.with_context(|| format!("reading the ledger {}", dir.display()))?;
        let name = entry.file_name();
        // Only regular files: a FIFO, a folder or a link named like a month
        // is no month of the ledger (writing refuses it too), and reading a
        // FIFO would hang.
        let regular = entry.file_type().is_ok_and(|t| t.is_file());
        if regular && name.to_str().is_some_and(is_month_file) {
            found.push(entry.path());
        }
    }
    found.sort();
    Ok(found)
}

/// `2026-12.jsonl`.
pub fn is_month_file(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() == 13
        && name.ends_with(".jsonl")
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
}

/// Calls `each` with every record of `path` whose line holds `needle` (all
/// of them for an empty needle), in file order; warnings about damage go to
/// `warnings`. Lines without the needle are not parsed (a lookup in a
/// million records reads, but does not parse, the others).
pub fn each(
    path: &Path,
    needle: &str,
    warnings: &mut Vec<String>,
    each: impl FnMut(Entry),
) -> Result<()> {
    each_from(path, Position::default(), needle, warnings, each).map(|_| ())
}

/// Where a reading of a month file stopped: after its last whole line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Position {
    pub offset: u64,
    /// Lines read so far, to name a damaged one.
    pub line: u64,
}

/// `each`, from `from` on (the lines appended since an earlier reading);
/// where this reading stopped. A file now shorter than `from` was rewritten:
/// it is read again from its start.
pub fn each_from(
    path: &Path,
    from: Position,
    needle: &str,
    warnings: &mut Vec<String>,
    mut each: impl FnMut(Entry),
) -> Result<Position> {
    let reading = || format!("reading the ledger {}", path.display());
    let mut file = File::open(path).with_context(reading)?;
    let mut at = from;
    if file.metadata().with_context(reading)?.len() < at.offset {
        at = Position::default();
    }
    file.seek(SeekFrom::Start(at.offset))
        .with_context(reading)?;
    let mut reader = BufReader::with_capacity(256 << 10, file);
    let mut raw = Vec::new();
    loop {
        raw.clear();
        let n = (&mut reader)
            .take(LINE_MAX as u64 + 1)
            .read_until(b'\n', &mut raw)
            .with_context(reading)?;
        if n == 0 {
            return Ok(at);
        }
        if raw.len() > LINE_MAX && !raw.ends_with(b"\n") {
            // Far longer than any record: not kept in memory, passed over
            // to its end, and said.
            let (ended, rest) = skip_line(&mut reader).with_context(reading)?;
            if !ended {
                warnings.push(damaged(path, at.line + 1));
                return Ok(at);
            }
            at.line += 1;
            at.offset += (n + rest) as u64;
            warnings.push(damaged(path, at.line));
            continue;
        }
        if !raw.ends_with(b"\n") {
            // A half-written last line: the next append cuts it off.
            return Ok(at);
        }
        at.line += 1;
        at.offset += n as u64;
        let text = std::str::from_utf8(&raw).ok().map(str::trim_end);
        let parsed = match text {
            Some(t) if !t.starts_with('{') || !t.ends_with('}') => None,
            Some(t) if !t.contains(needle) => continue,
            Some(t) => serde_json::from_str::<Entry>(t).ok(),
            None => None,
        };
        match parsed {
            Some(entry) => each(entry),
            None => warnings.push(damaged(path, at.line)),
        }
    }
}

/// No record is longer than this: a longer line is damage, never read whole.
const LINE_MAX: usize = 64 << 10;

/// Reads past the rest of a line, a bounded piece at a time: whether it
/// ended (false: the file did), and the bytes read.
fn skip_line(reader: &mut impl BufRead) -> std::io::Result<(bool, usize)> {
    let mut piece = Vec::new();
    let mut read = 0;
    loop {
        piece.clear();
        let n = reader.take(LINE_MAX as u64).read_until(b'\n', &mut piece)?;
        read += n;
        if n == 0 {
            return Ok((false, read));
        }
        if piece.ends_with(b"\n") {
            return Ok((true, read));
        }
    }
}

/// What a damaged line means, and the way forward.
pub fn damaged(path: &Path, number: u64) -> String {
    format!(
        "the ledger {} is damaged at line {number} (not a ledger record): that line is left out, \
         so what the ledger says may miss one return. To repair it, move that line out of the \
         file (keep a copy); the other lines are read as they are",
        path.display()
    )
}

/// The JSON form of `text` inside a record (`"C\"1"`), to look for it.
pub fn needle(field: &str, text: &str) -> String {
    format!(
        "\"{field}\":{}",
        serde_json::to_string(text).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damage_before_the_end_is_said_and_a_torn_end_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("2026-12.jsonl");
        let good = r#"{"record":"sending","line":0,"coupon_code":"C1","stock_id":"S","return_request_no":"N1"}"#;
        std::fs::write(
            &path,
            format!("{good}\ngarbage\n{good}\n{{\"record\":\"out"),
        )
        .unwrap();
        let mut seen = Vec::new();
        let mut warnings = Vec::new();
        each(&path, &needle("coupon_code", "C1"), &mut warnings, |e| {
            seen.push(e)
        })
        .unwrap();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].return_request_no, "N1");
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("damaged at line 2"), "{warnings:?}");
        let mut none = 0;
        each(&path, &needle("coupon_code", "C2"), &mut warnings, |_| {
            none += 1
        })
        .unwrap();
        assert_eq!(none, 0);
        assert!(is_month_file("2026-12.jsonl"));
        assert!(!is_month_file("2026-12.jsonl.bak"));
        assert_eq!(months(dir.path()).unwrap(), [path]);
    }
}
