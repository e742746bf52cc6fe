//! Writing the journal, when the disk may fill up (or fail) at any record.
//!
//! - Each record is written whole or not at all: a write that fails is cut
//!   back to the end of the last whole record, so half a record is never
//!   followed by others (which a re-run would refuse as damage, losing the
//!   request numbers after it). If even the cut fails, nothing more is
//!   written: a half-written end is what `kill -9` leaves, and the re-run
//!   cuts it off.
//! - A `sending` record that cannot be written, or synced, stops its row:
//!   no row is sent unless its record is whole on disk. A failed fsync fails
//!   every later one (what the disk kept is then unknown).
//! - An `outcome` record that cannot be written belongs to a row that WAS
//!   sent: it is kept in memory, and written before the next outcome and
//!   once more at the end of the batch. One never written leaves its row
//!   with a `sending` record and no outcome, as `kill -9` would: the re-run
//!   resumes it with its own number, which never returns a coupon twice.

use std::collections::VecDeque;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};

use super::record::Record;

/// The journal of this run: locked, open for appending.
pub struct Journal {
    file: File,
    pub path: PathBuf,
    /// What it is called in messages: "the journal", or "the ledger".
    name: &'static str,
    /// Records written so far (for `Syncer`).
    written: Arc<AtomicU64>,
    /// Outcome records not written yet (their rows were sent), in order.
    kept: VecDeque<Record>,
    /// The lines whose outcome record was ever kept.
    late: Vec<u64>,
    /// Why nothing more may be written: a failed write could not be cut back.
    broken: Option<String>,
    /// In unit tests, a full disk: the size no write may make the file
    /// grow past (as `prlimit --fsize`), and a cut that fails.
    #[cfg(test)]
    pub(super) disk: Option<u64>,
    #[cfg(test)]
    pub(super) cut_fails: bool,
}

impl Journal {
    /// The same writer, called `name` in its messages (the ledger's).
    pub fn called(mut self, name: &'static str) -> Journal {
        self.name = name;
        self
    }

    /// The journal in `file` (open for appending, locked), at `path`.
    pub fn new(file: File, path: &Path) -> Journal {
        Journal {
            file,
            path: path.to_path_buf(),
            name: "the journal",
            written: Arc::new(AtomicU64::new(0)),
            kept: VecDeque::new(),
            late: Vec::new(),
            broken: None,
            #[cfg(test)]
            disk: None,
            #[cfg(test)]
            cut_fails: false,
        }
    }

    /// Appends one record and waits until it is on disk: the header (and
    /// each record of the ledger, which adds fields to the journal's).
    pub fn append(&mut self, record: &impl serde::Serialize) -> Result<()> {
        self.write(record)?;
        self.file
            .sync_data()
            .with_context(|| format!("writing {} {}", self.name, self.path.display()))
    }

    /// Writes one record (a `sending` record) without waiting for the disk;
    /// its number, for `Syncer::sync_through`.
    pub fn write_numbered(&mut self, record: &Record) -> Result<u64> {
        self.write(record)?;
        Ok(self.written.load(Ordering::SeqCst))
    }

    /// Appends the `outcome` record of a sent row, handed to the system
    /// without waiting for the disk (a kill cannot lose it; a crash of the
    /// whole machine can, and then the re-run resumes the row with its
    /// number, which is safe). The outcomes kept go first. If it cannot be
    /// written, it is kept, and the error returned.
    pub fn append_outcome(&mut self, record: Record) -> Result<()> {
        if let Record::Outcome { line, .. } = &record {
            self.late.push(*line);
        }
        self.kept.push_back(record);
        let written = self.write_kept();
        // Only those that had to wait are late.
        if written.is_ok() {
            self.late.pop();
        }
        written
    }

    /// Writes the outcome records kept, in order; what cannot be written
    /// stays kept.
    pub fn write_kept(&mut self) -> Result<()> {
        while let Some(record) = self.kept.front().cloned() {
            self.write(&record)?;
            self.kept.pop_front();
        }
        Ok(())
    }

    /// The lines whose outcome records are kept, not in the journal.
    pub fn unwritten(&self) -> Vec<u64> {
        self.kept.iter().filter_map(line_of).collect()
    }

    /// The lines whose outcome records had to be kept, written or not.
    pub fn late(&self) -> &[u64] {
        &self.late
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
            synced: Mutex::new(Ok(0)),
        })
    }

    /// Writes one record whole, or leaves the journal as it was.
    fn write(&mut self, record: &impl serde::Serialize) -> Result<()> {
        let path = self.path.display().to_string();
        if let Some(why) = &self.broken {
            bail!("{why}");
        }
        let mut line = serde_json::to_string(record).context("writing a journal record")?;
        line.push('\n');
        let end = self
            .file
            .metadata()
            .with_context(|| format!("writing {} {path}", self.name))?
            .len();
        let Err(e) = self.put(line.as_bytes()) else {
            self.written.fetch_add(1, Ordering::SeqCst);
            return Ok(());
        };
        if let Err(cut) = self.cut(end) {
            self.broken = Some(format!(
                "{} {path} could not be written ({e}), nor its half-written last record \
                 cut off ({cut}): nothing more is written to it (a re-run cuts that record off)",
                self.name
            ));
        }
        Err(e).with_context(|| format!("writing {} {path}", self.name))
    }

    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        #[cfg(test)]
        if let Some(limit) = self.disk {
            let room = limit.saturating_sub(self.file.metadata()?.len());
            let n = bytes.len().min(room as usize);
            self.file.write_all(&bytes[..n])?;
            if n < bytes.len() {
                let enospc = rustix::io::Errno::NOSPC.raw_os_error();
                return Err(std::io::Error::from_raw_os_error(enospc));
            }
            return Ok(());
        }
        self.file.write_all(bytes)
    }

    /// Cuts the journal back to `len` bytes (appends still go to its end).
    fn cut(&mut self, len: u64) -> std::io::Result<()> {
        #[cfg(test)]
        if self.cut_fails {
            return Err(std::io::Error::other("injected"));
        }
        self.file.set_len(len)
    }
}

fn line_of(record: &Record) -> Option<u64> {
    match record {
        Record::Sending { line, .. } | Record::Outcome { line, .. } => Some(*line),
        Record::Header { .. } => None,
    }
}

/// Group commit: a worker's `sending` record is on disk when its
/// `sync_through` returns, and one `fsync` covers every record written
/// before it, so workers that write at the same moment share one.
pub struct Syncer {
    file: File,
    path: PathBuf,
    written: Arc<AtomicU64>,
    /// Records on disk so far; or, after an fsync failed, why none is known
    /// to be from then on.
    synced: Mutex<Result<u64, String>>,
}

impl Syncer {
    /// Returns once record number `n` (from `Journal::write_numbered`) is on
    /// disk; an error once any fsync has failed.
    pub fn sync_through(&self, n: u64) -> Result<()> {
        let mut synced = self.synced.lock().unwrap_or_else(|p| p.into_inner());
        let done = match &*synced {
            Ok(done) => *done,
            Err(why) => bail!("{why}"),
        };
        if done >= n {
            return Ok(());
        }
        let target = self.written.load(Ordering::SeqCst);
        if let Err(e) = self.file.sync_data() {
            *synced = Err(format!(
                "the journal {} could not be written to disk ({e}); no row is sent after that",
                self.path.display()
            ));
            return Err(e).with_context(|| format!("writing the journal {}", self.path.display()));
        }
        *synced = Ok(target);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(line: u64) -> Record {
        Record::Outcome {
            line,
            outcome: "returned".into(),
            return_request_no: format!("R{line}"),
            code: None,
            wechatpay_return_time: None,
            confirmed_by_retry: false,
            message: Some(None),
            explanation: None,
        }
    }

    fn sending(line: u64) -> Record {
        Record::Sending {
            line,
            coupon_code: "C".into(),
            stock_id: "1".into(),
            return_request_no: format!("R{line}"),
        }
    }

    #[test]
    fn one_sync_covers_every_record_written_before_it_and_a_failed_one_all_after() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let mut j = Journal::new(File::create(&path).unwrap(), &path);
        let mut syncer = j.syncer().unwrap();
        let first = j.write_numbered(&sending(2)).unwrap();
        let second = j.write_numbered(&sending(3)).unwrap();
        assert_eq!(second, first + 1);
        syncer.sync_through(second).unwrap();
        assert_eq!(*syncer.synced.lock().unwrap(), Ok(second));
        // The earlier record was covered: no second fsync, nothing changes.
        syncer.sync_through(first).unwrap();
        assert_eq!(*syncer.synced.lock().unwrap(), Ok(second));

        // fsync fails on a named pipe: then every later sync fails, though
        // the file would sync again.
        // (Made in-process: a child forked beside the other unit tests
        // would hold their journals' fds, and so their locks, until exec.)
        let fifo = dir.path().join("p");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        let regular = std::mem::replace(
            &mut syncer.file,
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&fifo)
                .unwrap(),
        );
        let third = j.write_numbered(&sending(4)).unwrap();
        let e = format!("{:#}", syncer.sync_through(third).unwrap_err());
        assert!(e.starts_with("writing the journal "), "{e}");
        syncer.file = regular;
        let fourth = j.write_numbered(&sending(5)).unwrap();
        let e = format!("{:#}", syncer.sync_through(fourth).unwrap_err());
        assert_eq!(
            e,
            format!(
                "the journal {} could not be written to disk (Invalid argument (os error 22)); \
                 no row is sent after that",
                path.display()
            )
        );
        assert!(syncer.sync_through(first).is_err());
    }

    #[test]
    fn a_write_that_cannot_be_cut_back_is_the_last() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let mut j = Journal::new(File::create(&path).unwrap(), &path);
        j.write_numbered(&sending(2)).unwrap();
        let whole = std::fs::read_to_string(&path).unwrap();
        j.disk = Some(whole.len() as u64 + 10);
        j.cut_fails = true;
        let e = format!("{:#}", j.write_numbered(&sending(3)).unwrap_err());
        assert_eq!(
            e,
            format!(
                "writing the journal {}: No space left on device (os error 28)",
                path.display()
            )
        );
        let half = std::fs::read_to_string(&path).unwrap();
        assert_eq!(half.len(), whole.len() + 10);
        // The disk frees again: still nothing more is written.
        j.disk = None;
        let e = format!("{:#}", j.append_outcome(outcome(2)).unwrap_err());
        assert_eq!(
            e,
            format!(
                "the journal {} could not be written (No space left on device (os error 28)), nor its half-written last \
                 record cut off (injected): nothing more is written to it (a re-run cuts that \
                 record off)",
                path.display()
            )
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), half);
        assert_eq!(j.unwritten(), [2]);
    }
}
