//! The batch journal: JSON Lines, append-only, one record per event — a
//! header (format version, the input's SHA-256, the `--stock` default, the
//! start time), then per row a `sending` record, written and fsync'd before
//! the request leaves, and an `outcome` record after. Readable with `jq`. A
//! re-run replays it: what each line last became, and with which number.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::exit::Kind;

pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum Record {
    Header {
        version: u32,
        input_sha256: String,
        stock_default: Option<String>,
        started: String,
    },
    Sending {
        line: u64,
        coupon_code: String,
        stock_id: String,
        return_request_no: String,
    },
    Outcome {
        line: u64,
        /// `returned`, `rejected`, `unknown`, `unverified` (as in `--json`).
        outcome: String,
        return_request_no: String,
        code: Option<String>,
        wechatpay_return_time: Option<String>,
        confirmed_by_retry: bool,
    },
}

/// What the journal says of one row: the number it was sent with, and what
/// it last became (none: sent, and the process died before the answer).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    /// The coupon the line was sent for (`row::coupon_key`); none when the
    /// journal has an outcome for the line but no `sending` record.
    pub coupon: Option<u64>,
    pub return_request_no: Box<str>,
    pub outcome: Option<Kind>,
    pub code: Option<Box<str>>,
    pub wechatpay_return_time: Option<Box<str>>,
    pub confirmed_by_retry: bool,
    /// Another line the journal records this line's request number for.
    pub clash: Option<u64>,
}

/// An outcome record's `outcome` as a kind: `returned`, `rejected` or
/// `unverified`; anything else is `unknown` (so the row is resumed, which is
/// always safe).
fn outcome_kind(outcome: &str) -> Kind {
    match Kind::from_name(outcome) {
        Some(kind @ (Kind::Returned | Kind::Rejected | Kind::Unverified)) => kind,
        _ => Kind::Unknown,
    }
}

pub struct Journal {
    file: File,
    pub path: PathBuf,
    /// Records written so far (for `Syncer`).
    written: Arc<AtomicU64>,
}

/// Group commit: a worker's `sending` record is on disk when its
/// `sync_through` returns, and one `fsync` covers every record written
/// before it, so workers that write at the same moment share one.
pub struct Syncer {
    file: File,
    path: PathBuf,
    written: Arc<AtomicU64>,
    synced: Mutex<u64>,
}

impl Syncer {
    /// Returns once record number `n` (from `Journal::write_numbered`) is on disk.
    pub fn sync_through(&self, n: u64) -> Result<()> {
        let mut synced = self.synced.lock().unwrap_or_else(|p| p.into_inner());
        if *synced >= n {
            return Ok(());
        }
        let target = self.written.load(Ordering::SeqCst);
        self.file
            .sync_data()
            .with_context(|| format!("writing the journal {}", self.path.display()))?;
        *synced = target;
        Ok(())
    }
}

/// Opens the journal at `path` for this input: a new one gets its header;
/// an old one must belong to the same input and `--stock`, and is replayed.
/// A half-written last line (the process killed while writing it) is cut
/// off, with a warning; damage before the last line is an error.
pub fn open(
    path: &Path,
    input_sha256: &str,
    stock_default: Option<&str>,
    started: &str,
) -> Result<(Journal, HashMap<u64, Recorded>, Vec<String>)> {
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .with_context(|| format!("opening the journal {}", path.display()))?;
    lock(&file, path)?;
    let mut journal = Journal {
        file: file
            .try_clone()
            .with_context(|| format!("opening the journal {}", path.display()))?,
        path: path.to_path_buf(),
        written: Arc::new(AtomicU64::new(0)),
    };
    let empty = file
        .metadata()
        .map(|m| m.len() == 0)
        .with_context(|| format!("reading the journal {}", path.display()))?;
    let header = Record::Header {
        version: VERSION,
        input_sha256: input_sha256.into(),
        stock_default: stock_default.map(String::from),
        started: started.into(),
    };
    if empty {
        journal.append(&header)?;
        return Ok((journal, HashMap::new(), Vec::new()));
    }
    let (state, good_len, warnings) = replay(path, &mut file, input_sha256, stock_default)?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(good_len);
    if good_len < len {
        file.set_len(good_len)
            .and_then(|()| file.seek(SeekFrom::End(0)).map(|_| ()))
            .with_context(|| {
                format!("cutting the damaged end off the journal {}", path.display())
            })?;
    }
    if good_len == 0 {
        // Killed while its header was being written: nothing was sent yet.
        journal.append(&header)?;
    }
    Ok((journal, state, warnings))
}

/// One run at a time per journal: two runs would send every row twice,
/// with different numbers. The lock goes with the process, even after
/// `kill -9`.
fn lock(file: &File, path: &Path) -> Result<()> {
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "the journal {} is in use by another wxcoupon run; nothing was sent. Wait for that run \
             to end (or stop it), then run this command again",
            path.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("locking the journal {}", path.display()))
        }
    }
}

/// Refuses a journal that is the input itself (the same file under any
/// name): writing the journal would destroy the input.
pub fn not_the_input(journal: &Path, input: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    if let (Ok(j), Ok(i)) = (std::fs::metadata(journal), std::fs::metadata(input))
        && j.dev() == i.dev()
        && j.ino() == i.ino()
    {
        bail!(
            "the journal {} is the input file itself; nothing was sent. Give another --journal FILE",
            journal.display()
        );
    }
    Ok(())
}

/// The state of each line; the length of the good part; warnings. Streamed:
/// one record in memory at a time.
fn replay(
    path: &Path,
    file: &mut File,
    input_sha256: &str,
    stock_default: Option<&str>,
) -> Result<(HashMap<u64, Recorded>, u64, Vec<String>)> {
    let mut state: HashMap<u64, Recorded> = HashMap::new();
    let mut warnings = Vec::new();
    let mut reader = BufReader::new(file);
    let mut good: u64 = 0;
    let mut raw = Vec::new();
    let mut number = 0;
    let mut numbers = Numbers::default();
    loop {
        raw.clear();
        let n = reader
            .read_until(b'\n', &mut raw)
            .with_context(|| format!("reading the journal {}", path.display()))?;
        if n == 0 {
            break;
        }
        number += 1;
        if raw.iter().all(u8::is_ascii_whitespace) && raw.ends_with(b"\n") {
            // A blank line (a hand edit): nothing to replay.
            good += n as u64;
            continue;
        }
        let parsed = std::str::from_utf8(&raw)
            .ok()
            .filter(|text| text.ends_with('\n'))
            .and_then(|text| serde_json::from_str::<Record>(text.trim_end()).ok());
        let Some(record) = parsed else {
            let at_end = reader
                .fill_buf()
                .map(|rest| rest.is_empty())
                .unwrap_or(false);
            // Line 1 is a header, or the start of one cut short by a kill.
            if number == 1 && !(at_end && raw.starts_with(b"{\"record\":\"header\"")) {
                bail!(
                    "{} is not a wxcoupon journal (its first line is not a journal header); nothing \
                     was sent and the file was not changed. Give another --journal FILE",
                    path.display()
                );
            }
            if at_end {
                warnings.push(format!(
                    "the journal {} ends in a half-written line (line {number}; the process was killed \
                     while writing it?): it is cut off, and that row is resumed",
                    path.display()
                ));
                break;
            }
            bail!(
                "the journal {} is damaged at line {number}: it is not a journal record; nothing was \
                 sent. Start over with --journal NEW (or remove the journal)",
                path.display()
            );
        };
        good += n as u64;
        numbers.note(&record);
        apply(
            path,
            number,
            record,
            &mut state,
            input_sha256,
            stock_default,
        )?;
    }
    numbers.mark(&mut state);
    Ok((state, good, warnings))
}

/// Request numbers recorded for two lines: a hand-edited or mixed-up
/// journal. Such a number could "confirm" one row with another row's
/// return, so both rows are refused.
#[derive(Default)]
struct Numbers {
    first_line: HashMap<u64, u64>,
    clashes: Vec<(u64, u64)>,
}

impl Numbers {
    fn note(&mut self, record: &Record) {
        let (Record::Sending {
            line,
            return_request_no,
            ..
        }
        | Record::Outcome {
            line,
            return_request_no,
            ..
        }) = record
        else {
            return;
        };
        let key = super::row::number_key(return_request_no);
        match self.first_line.get(&key) {
            Some(first) if first != line => self.clashes.push((*first, *line)),
            Some(_) => {}
            None => {
                self.first_line.insert(key, *line);
            }
        }
    }

    fn mark(self, state: &mut HashMap<u64, Recorded>) {
        for (a, b) in self.clashes {
            if let Some(r) = state.get_mut(&a) {
                r.clash = Some(b);
            }
            if let Some(r) = state.get_mut(&b) {
                r.clash = Some(a);
            }
        }
    }
}

/// One journal record replayed onto the state of the lines.
fn apply(
    path: &Path,
    number: u64,
    record: Record,
    state: &mut HashMap<u64, Recorded>,
    input_sha256: &str,
    stock_default: Option<&str>,
) -> Result<()> {
    match record {
        Record::Header {
            version,
            input_sha256: sha,
            stock_default: stock,
            ..
        } => {
            if number != 1 || version != VERSION {
                bail!(
                    "the journal {} has a header at line {number} of version {version}; it is not a \
                     journal of this wxcoupon (version {VERSION})",
                    path.display(),
                );
            }
            if sha != input_sha256 || stock.as_deref() != stock_default {
                bail!(
                    "the journal {} belongs to another input (or another --stock): it records input \
                     SHA-256 {sha} and --stock {}, this run has {input_sha256} and {}. To start over \
                     for this input, pass --journal NEW, or remove the old journal (after checking \
                     that its unknown rows are settled)",
                    path.display(),
                    stock.as_deref().unwrap_or("(none)"),
                    stock_default.unwrap_or("(none)")
                );
            }
        }
        _ if number == 1 => bail!(
            "the journal {} does not start with its header; nothing was sent. Start over with \
             --journal NEW (or remove the journal)",
            path.display()
        ),
        Record::Sending {
            line,
            return_request_no,
            coupon_code,
            stock_id,
        } => {
            state.insert(
                line,
                Recorded {
                    coupon: Some(super::row::coupon_key(&stock_id, &coupon_code)),
                    return_request_no: return_request_no.into(),
                    ..Recorded::default()
                },
            );
        }
        Record::Outcome {
            line,
            outcome,
            return_request_no,
            code,
            wechatpay_return_time,
            confirmed_by_retry,
        } => {
            let coupon = state.get(&line).and_then(|r| r.coupon);
            state.insert(
                line,
                Recorded {
                    coupon,
                    return_request_no: return_request_no.into(),
                    outcome: Some(outcome_kind(&outcome)),
                    code: code.map(String::into_boxed_str),
                    wechatpay_return_time: wechatpay_return_time.map(String::into_boxed_str),
                    confirmed_by_retry,
                    clash: None,
                },
            );
        }
    }
    Ok(())
}

impl Journal {
    /// Appends one record and waits until it is on disk: a `sending`
    /// record must be there before its request leaves.
    pub fn append(&mut self, record: &Record) -> Result<()> {
        self.write(record)?;
        self.file
            .sync_data()
            .with_context(|| format!("writing the journal {}", self.path.display()))
    }

    /// Appends one record, handed to the system without waiting for the
    /// disk: an `outcome` record. A kill cannot lose it; a crash of the
    /// whole machine can, and then the re-run resumes the row with its
    /// recorded number, which is safe (RESOURCE_ALREADY_EXISTS confirms).
    pub fn append_unsynced(&mut self, record: &Record) -> Result<()> {
        self.write(record)
    }

    /// Writes one record without waiting for the disk; its number, for
    /// `Syncer::sync_through`.
    pub fn write_numbered(&mut self, record: &Record) -> Result<u64> {
        self.write(record)?;
        Ok(self.written.load(Ordering::SeqCst))
    }

    /// The group-commit side of this journal, for the workers.
    pub fn syncer(&self) -> Result<Syncer> {
        Ok(Syncer {
            file: self
                .file
                .try_clone()
                .with_context(|| format!("opening the journal {}", self.path.display()))?,
            path: self.path.clone(),
            written: self.written.clone(),
            synced: Mutex::new(0),
        })
    }

    fn write(&mut self, record: &Record) -> Result<()> {
        let mut line = serde_json::to_string(record).context("writing a journal record")?;
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .with_context(|| format!("writing the journal {}", self.path.display()))?;
        self.written.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sending(line: u64, no: &str) -> Record {
        Record::Sending {
            line,
            coupon_code: "C".into(),
            stock_id: "1".into(),
            return_request_no: no.into(),
        }
    }

    #[test]
    fn a_journal_replays_and_refuses_another_input() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let (mut j, state, _) = open(&path, "abc", None, "t").unwrap();
        assert!(state.is_empty());
        j.append(&sending(2, "R2")).unwrap();
        j.append(&sending(3, "R3")).unwrap();
        j.append(&Record::Outcome {
            line: 2,
            outcome: "returned".into(),
            return_request_no: "R2".into(),
            code: None,
            wechatpay_return_time: Some("T".into()),
            confirmed_by_retry: false,
        })
        .unwrap();
        drop(j);
        let (_, state, warnings) = open(&path, "abc", None, "t").unwrap();
        assert!(warnings.is_empty());
        assert_eq!(state[&2].outcome, Some(Kind::Returned));
        assert_eq!(state[&3].outcome, None, "sent, no answer recorded");
        assert_eq!(&*state[&3].return_request_no, "R3");
        let e = format!("{:#}", open(&path, "other", None, "t").err().unwrap());
        assert!(e.contains("belongs to another input"), "{e}");
        let e = format!("{:#}", open(&path, "abc", Some("9"), "t").err().unwrap());
        assert!(
            e.contains("--stock (none)") || e.contains("another --stock"),
            "{e}"
        );
    }

    #[test]
    fn one_sync_covers_every_record_written_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let (mut j, _, _) = open(&dir.path().join("j"), "abc", None, "t").unwrap();
        let syncer = j.syncer().unwrap();
        let first = j.write_numbered(&sending(2, "R2")).unwrap();
        let second = j.write_numbered(&sending(3, "R3")).unwrap();
        assert_eq!(second, first + 1);
        syncer.sync_through(second).unwrap();
        assert_eq!(*syncer.synced.lock().unwrap(), second);
        // The earlier record was covered: no second fsync, nothing changes.
        syncer.sync_through(first).unwrap();
        assert_eq!(*syncer.synced.lock().unwrap(), second);
    }

    #[test]
    fn a_half_written_last_line_is_cut_off_and_damage_before_it_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let (mut j, _, _) = open(&path, "abc", None, "t").unwrap();
        j.append(&sending(2, "R2")).unwrap();
        drop(j);
        let good = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{good}{{\"record\":\"send")).unwrap();
        let (mut j, state, warnings) = open(&path, "abc", None, "t").unwrap();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(&*state[&2].return_request_no, "R2");
        j.append(&sending(3, "R3")).unwrap();
        drop(j);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with(&good) && text.ends_with("\"R3\"}\n"),
            "{text}"
        );
        std::fs::write(
            &path,
            format!(
                "{good}garbage\n{}",
                serde_json::to_string(&sending(4, "R4")).unwrap() + "\n"
            ),
        )
        .unwrap();
        let e = format!("{:#}", open(&path, "abc", None, "t").err().unwrap());
        assert!(e.contains("is damaged at line 3"), "{e}");
    }
}
