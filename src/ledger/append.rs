//! Appending one record to a monthly file: opened never through a link,
//! private (0600), locked only while the record is written (so a cron job
//! and a person append at once, each line whole), a half-written last line
//! (a writer killed while writing it) cut off first, as the journal's is;
//! the record written whole or cut back, and fsync'd, by the journal's own
//! writer.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Serialize;

use crate::batch::journal::Journal;
use crate::files;

/// Who may read and write a ledger file: it holds request numbers.
pub const FILE_MODE: u32 = 0o600;

/// Appends `record` to the file at `path` (created if need be), on disk
/// when this returns; a warning when a half-written last line was cut off.
pub fn append(path: &Path, record: &impl Serialize) -> Result<Option<String>> {
    let file = open(path)?;
    file.lock()
        .with_context(|| format!("locking the ledger {}", path.display()))?;
    let cut = cut_torn_tail(&file, path)?;
    let mut writer = Journal::new(
        file.try_clone()
            .with_context(|| format!("opening the ledger {}", path.display()))?,
        path,
    )
    .called("the ledger");
    writer.append(record)?;
    file.unlock()
        .with_context(|| format!("unlocking the ledger {}", path.display()))?;
    Ok(cut)
}

/// Opens (or creates, private) a ledger file for appending: a regular file,
/// the user's own, never through a link.
pub fn open(path: &Path) -> Result<File> {
    use std::os::unix::fs::MetadataExt;
    let file = match files::open_append(path, FILE_MODE, false) {
        Err(e) if files::is_link(&e) => bail!(
            "the ledger file {} is a symbolic link; nothing was sent. A ledger file is never \
             opened through a link (one planted there would make wxcoupon write elsewhere): \
             remove the link",
            path.display()
        ),
        opened => opened.with_context(|| format!("opening the ledger {}", path.display()))?,
    };
    let meta = file
        .metadata()
        .with_context(|| format!("opening the ledger {}", path.display()))?;
    if !meta.is_file() {
        bail!(
            "the ledger file {} is not a regular file; nothing was sent",
            path.display()
        );
    }
    if meta.uid() != rustix::process::geteuid().as_raw() {
        bail!(
            "the ledger file {} belongs to another user (uid {}); nothing was sent. Each user \
             keeps a ledger of their own: set WXCOUPON_STATE_DIR to a folder of yours",
            path.display(),
            meta.uid()
        );
    }
    Ok(file)
}

/// Cuts a last line without its end (a writer killed while writing it) off
/// the file, locked: what is left ends with a whole record.
fn cut_torn_tail(file: &File, path: &Path) -> Result<Option<String>> {
    let context = || format!("reading the ledger {}", path.display());
    let len = file.metadata().with_context(context)?.len();
    let mut last = [0u8; 1];
    if len == 0 {
        return Ok(None);
    }
    file.read_exact_at(&mut last, len - 1)
        .with_context(context)?;
    if last[0] == b'\n' {
        return Ok(None);
    }
    let mut end = len;
    let mut keep = 0;
    let mut chunk = vec![0u8; 64 << 10];
    while end > 0 {
        let start = end.saturating_sub(chunk.len() as u64);
        let part = &mut chunk[..(end - start) as usize];
        file.read_exact_at(part, start).with_context(context)?;
        if let Some(i) = part.iter().rposition(|b| *b == b'\n') {
            keep = start + i as u64 + 1;
            break;
        }
        end = start;
    }
    file.set_len(keep)
        .with_context(|| format!("cutting the damaged end off the ledger {}", path.display()))?;
    Ok(Some(format!(
        "the ledger {} ended in a half-written line (a wxcoupon killed while writing it?): it \
         was cut off ({} bytes)",
        path.display(),
        len - keep
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_tail_is_cut_before_the_next_record_and_links_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("2026-12.jsonl");
        append(&path, &serde_json::json!({"record": "sending"})).unwrap();
        let whole = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{whole}{{\"record\":\"outc")).unwrap();
        let said = append(&path, &serde_json::json!({"record": "outcome"})).unwrap();
        assert!(said.unwrap().contains("half-written line"));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("{whole}{{\"record\":\"outcome\"}}\n")
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let link = dir.path().join("2027-01.jsonl");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        let e = format!("{:#}", append(&link, &serde_json::json!({})).unwrap_err());
        assert!(e.contains("is a symbolic link"), "{e}");
    }
}
