//! The batch journal: JSON Lines, append-only, one record per event — a
//! header (format version, the input's SHA-256, the `--stock` default, the
//! start time), then per row a `sending` record, written and fsync'd before
//! the request leaves, and an `outcome` record after. Readable with `jq`. A
//! re-run replays it (`replay`): what each line last became, and with which
//! number. The records, and the keys a row is known by, are in `record`.

mod record;
mod replay;

use std::collections::HashMap;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};

use crate::files;

pub use record::{Record, Recorded, VERSION, coupon_key, number_key};

/// The journal of this run: locked, open for appending.
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
    place: &Place,
    input_sha256: &str,
    stock_default: Option<&str>,
    started: &str,
) -> Result<(Journal, HashMap<u64, Recorded>, Vec<String>)> {
    let path = place.path.as_path();
    let mut file = open_file(place)?;
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
    let (state, good_len, warnings) = replay::replay(
        &replay::ThisRun {
            path,
            input_sha256,
            stock_default,
        },
        &mut file,
    )?;
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

/// Where a journal is, and who chose it.
pub struct Place {
    pub path: PathBuf,
    /// Named with `--journal`: the user's choice, which may be a link. The
    /// default journal beside the input (in a folder others may write, say
    /// a shared temporary folder) is never opened through a link, and is
    /// used only if it is the user's own.
    pub named: bool,
}

/// Who may read and write a journal: it holds the request numbers, and a
/// line written into it could settle a row unsent.
const MODE: u32 = 0o600;

/// Opens (or creates, private) the journal file at `place`, which must be
/// a regular file; the default one not through a link, and only the user's.
fn open_file(place: &Place) -> Result<File> {
    use std::os::unix::fs::MetadataExt;
    let path = &place.path;
    let opened = files::open_append(path, MODE, place.named);
    let file = match opened {
        Err(e)
            if files::is_link(&e)
                && std::fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink()) =>
        {
            bail!(
                "the journal {} is a symbolic link; nothing was sent. The journal beside the \
                 input is never opened through a link (one planted in a shared folder would make \
                 the batch write elsewhere): remove the link, or name the journal you mean with \
                 --journal FILE",
                path.display()
            )
        }
        opened => opened.with_context(|| format!("opening the journal {}", path.display()))?,
    };
    let meta = file
        .metadata()
        .with_context(|| format!("opening the journal {}", path.display()))?;
    if !meta.is_file() {
        bail!(
            "the journal {} is not a regular file (a named pipe, a device?); nothing was sent. \
             Give --journal FILE",
            path.display()
        );
    }
    let me = rustix::process::geteuid().as_raw();
    if !place.named && meta.uid() != me {
        bail!(
            "the journal {} belongs to another user (uid {}); nothing was sent. The journal \
             beside the input is used only if it is yours (another user could have written rows \
             into it): remove it, or name the journal you mean with --journal FILE",
            path.display(),
            meta.uid()
        );
    }
    Ok(file)
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
    use crate::exit::Kind;

    /// The default journal at `path`.
    fn at(path: &Path) -> Place {
        Place {
            path: path.to_path_buf(),
            named: false,
        }
    }

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
        let (mut j, state, _) = open(&at(&path), "abc", None, "t").unwrap();
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
        let (_, state, warnings) = open(&at(&path), "abc", None, "t").unwrap();
        assert!(warnings.is_empty());
        assert_eq!(state[&2].outcome, Some(Kind::Returned));
        assert_eq!(state[&3].outcome, None, "sent, no answer recorded");
        assert_eq!(&*state[&3].return_request_no, "R3");
        let e = format!("{:#}", open(&at(&path), "other", None, "t").err().unwrap());
        assert!(e.contains("belongs to another input"), "{e}");
        let e = format!(
            "{:#}",
            open(&at(&path), "abc", Some("9"), "t").err().unwrap()
        );
        assert!(
            e.contains("--stock (none)") || e.contains("another --stock"),
            "{e}"
        );
    }

    #[test]
    fn one_sync_covers_every_record_written_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let (mut j, _, _) = open(&at(&dir.path().join("j")), "abc", None, "t").unwrap();
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
        let (mut j, _, _) = open(&at(&path), "abc", None, "t").unwrap();
        j.append(&sending(2, "R2")).unwrap();
        drop(j);
        let good = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{good}{{\"record\":\"send")).unwrap();
        let (mut j, state, warnings) = open(&at(&path), "abc", None, "t").unwrap();
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
        let e = format!("{:#}", open(&at(&path), "abc", None, "t").err().unwrap());
        assert!(e.contains("is damaged at line 3"), "{e}");
    }
}
