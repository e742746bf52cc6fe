//! The batch journal: JSON Lines, append-only, one record per event — a
//! header (format version, the input's SHA-256, the `--stock` default, the
//! start time), then per row a `sending` record, written and fsync'd before
//! the request leaves, and an `outcome` record after (`line`, `outcome`,
//! `return_request_no`, `code`, `wechatpay_return_time`,
//! `confirmed_by_retry`, `message`, and `explanation` only where the
//! catalogue cannot say it again). Readable with `jq`. A re-run replays it
//! (`replay`): what each line last became, with which number and which of
//! WeChat Pay's words, so that a row settled from it carries the code,
//! message and explanation of the live row. Fields are only ever added,
//! never renamed: an older journal (an `outcome` without `message`) still
//! replays, its rows known by their code. The records, and the keys a row is known by, are in `record`;
//! writing them when the disk may fill up at any moment (each record whole
//! or not at all, outcomes kept until they can be written), in `writer`.
//! The file is private (0600); the default one, beside the input, is never
//! opened through a link and must be the user's own.

mod record;
mod replay;
mod writer;

use std::collections::HashMap;
use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::files;

pub use record::{Record, Recorded, VERSION, coupon_key, number_key};
pub use writer::{Journal, Syncer};

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
    let mut journal = Journal::new(
        file.try_clone()
            .with_context(|| format!("opening the journal {}", path.display()))?,
        path,
    );
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
            message: Some(None),
            explanation: None,
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

    /// An outcome record of a journal written before outcomes kept the
    /// message still replays: its row is known by its code alone; one of
    /// now keeps WeChat Pay's message, whole.
    #[test]
    fn an_outcome_without_a_message_still_replays_and_one_with_it_keeps_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let (mut j, _, _) = open(&at(&path), "abc", None, "t").unwrap();
        j.append(&sending(2, "R2")).unwrap();
        j.append(&sending(3, "R3")).unwrap();
        drop(j);
        let old = r#"{"record":"outcome","line":2,"outcome":"rejected","return_request_no":"R2","code":"RULE_LIMIT","wechatpay_return_time":null,"confirmed_by_retry":false}"#;
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str(old);
        text.push('\n');
        std::fs::write(&path, text).unwrap();
        let (mut j, state, _) = open(&at(&path), "abc", None, "t").unwrap();
        let r = &state[&2];
        assert_eq!(r.outcome, Some(Kind::Rejected));
        assert_eq!(
            (r.code.as_deref(), r.message_recorded),
            (Some("RULE_LIMIT"), false)
        );
        assert_eq!(
            r.judgement().explanation,
            None,
            "RULE_LIMIT has several meanings"
        );
        j.append(&Record::Outcome {
            line: 3,
            outcome: "rejected".into(),
            return_request_no: "R3".into(),
            code: Some("RULE_LIMIT".into()),
            wechatpay_return_time: None,
            confirmed_by_retry: false,
            message: Some(Some("券已不在使用有效期\u{1b}[2J".into())),
            explanation: None,
        })
        .unwrap();
        drop(j);
        let (_, state, _) = open(&at(&path), "abc", None, "t").unwrap();
        let judged = state[&3].judgement();
        assert_eq!(
            judged.message.as_deref(),
            Some("券已不在使用有效期\u{1b}[2J")
        );
        assert!(judged.explanation.unwrap().contains("validity period"));
    }

    fn outcome(line: u64, no: &str) -> Record {
        Record::Outcome {
            line,
            outcome: "returned".into(),
            return_request_no: no.into(),
            code: None,
            wechatpay_return_time: Some("T".into()),
            confirmed_by_retry: false,
            message: Some(None),
            explanation: None,
        }
    }

    /// A disk fills up while rows 2, 3, 5 and 6 are in flight, then frees
    /// again, then fills up again: row 4's `sending` record is half-written,
    /// row 2's outcome cannot be written at first, those of rows 3 and 5
    /// can later, row 6's never. The journal is never damaged: a re-run
    /// settles rows 2, 3 and 5, resumes row 6 with its own number, and sends
    /// row 4 as new.
    #[test]
    fn a_disk_that_fills_up_and_frees_again_leaves_the_journal_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let (mut j, _, _) = open(&at(&path), "abc", None, "t").unwrap();
        for (line, no) in [(2, "R2"), (3, "R3"), (5, "R5"), (6, "R6")] {
            j.write_numbered(&sending(line, no)).unwrap();
        }
        let whole = std::fs::read_to_string(&path).unwrap();
        j.disk = Some(whole.len() as u64 + 40);
        let e = format!("{:#}", j.write_numbered(&sending(4, "R4")).unwrap_err());
        assert!(e.starts_with("writing the journal "), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), whole, "cut back");
        assert!(j.append_outcome(outcome(2, "R2")).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), whole, "cut back");
        assert_eq!(j.unwritten(), [2], "kept");
        j.disk = None;
        j.append_outcome(outcome(3, "R3")).unwrap();
        j.append_outcome(outcome(5, "R5")).unwrap();
        assert_eq!((j.unwritten(), j.late()), (vec![], &[2][..]));
        let len = std::fs::metadata(&path).unwrap().len();
        j.disk = Some(len + 100);
        assert!(j.append_outcome(outcome(6, "R6")).is_err());
        assert!(j.write_kept().is_err(), "at the end, still full");
        assert_eq!((j.unwritten(), j.late()), (vec![6], &[2, 6][..]));
        drop(j);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), len);
        let (_, state, warnings) = open(&at(&path), "abc", None, "t").unwrap();
        assert_eq!(warnings, Vec::<String>::new());
        for line in [2, 3, 5] {
            assert_eq!(state[&line].outcome, Some(Kind::Returned), "line {line}");
        }
        assert_eq!(state[&6].outcome, None, "sent, no outcome: resumed");
        assert_eq!(&*state[&6].return_request_no, "R6");
        assert!(!state.contains_key(&4), "never sent: no record");
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
