//! The platform certificate folder (`platform_certificates_dir`): one PEM
//! file per certificate, named `SERIAL.pem`, as the official SDKs keep them,
//! and beside it `SERIAL.json`, WeChat Pay's dates for it (`entry`).
//! Written atomically: fresh files that do not end in `.pem` (other tools
//! load every `*.pem`), then renamed; a leftover from a crash blocks nothing.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::cert::{PlatformCert, same_serial};
use super::entry;
use crate::files;

/// A certificate file in the folder.
#[derive(Debug, Clone)]
pub struct Stored {
    pub cert: PlatformCert,
    pub file: PathBuf,
}

/// Every `*.pem` file of the folder, read and checked: each must be one
/// certificate whose serial is its file name. A missing folder is empty.
/// The first file that is not such a certificate fails the whole folder.
pub fn load(dir: &Path) -> Result<Vec<Stored>> {
    let mut stored = scan(dir)?
        .into_iter()
        .map(|(_, read)| read)
        .collect::<Result<Vec<_>>>()?;
    sort(&mut stored);
    Ok(stored)
}

/// Oldest first; the serial breaks a tie, so the order never follows the
/// folder's listing.
pub fn sort(certs: &mut [Stored]) {
    certs.sort_by(|a, b| {
        (a.cert.not_before, &a.cert.serial).cmp(&(b.cert.not_before, &b.cert.serial))
    });
}

/// Every `*.pem` file of the folder, in name order, each with what reading
/// it gave: a certificate, or why it is not one (for `doctor`, which reports
/// them all).
pub fn scan(dir: &Path) -> Result<Vec<(PathBuf, Result<Stored>)>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(e)
                .with_context(|| format!("reading platform_certificates_dir {}", dir.display()));
        }
    };
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry
            .with_context(|| format!("reading platform_certificates_dir {}", dir.display()))?
            .path();
        if path.extension().is_some_and(|e| e == "pem") {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths
        .into_iter()
        .map(|path| {
            let read = read_one(&path);
            (path, read)
        })
        .collect())
}

/// One certificate file, named for its serial.
fn read_one(path: &Path) -> Result<Stored> {
    let text = files::read_text(path, "platform certificate", files::KEY_FILE_MAX)?;
    let mut cert = PlatformCert::from_pem(&text)
        .with_context(|| format!("platform certificate {}", path.display()))?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !same_serial(&stem, &cert.serial) {
        bail!(
            "platform certificate {}: its serial is {}, but the file is named {stem}.pem; \
             name it {}.pem (or download the certificates again)",
            path.display(),
            cert.serial,
            cert.serial
        );
    }
    // The file name is WeChat Pay's spelling of the serial (a leading zero kept).
    if stem.bytes().all(|b| b.is_ascii_hexdigit()) {
        cert.serial = stem.to_ascii_uppercase();
    }
    entry::read_into(&mut cert, path)?;
    Ok(Stored {
        cert,
        file: path.to_path_buf(),
    })
}

/// The certificate a request names at `unix`: among those valid then and
/// not past their `expire_time`, the one WeChat Pay started using last
/// (latest `effective_time` not after `unix`); when none has started yet,
/// the one that starts first. None when none is usable.
pub fn in_use(certs: &[Stored], unix: i64) -> Option<&Stored> {
    let usable = || certs.iter().filter(|s| s.cert.usable_at(unix));
    usable()
        .filter(|s| s.cert.effective_time.unix_timestamp() <= unix)
        .max_by_key(|s| (s.cert.effective_time, s.cert.serial.clone()))
        .or_else(|| usable().min_by_key(|s| (s.cert.effective_time, s.cert.serial.clone())))
}

/// What saving did to a certificate's file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    New,
    /// The file held this very certificate already.
    Unchanged,
    /// The file held something else (or was a link): now the certificate.
    Replaced,
}

impl Change {
    pub fn name(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Unchanged => "unchanged",
            Change::Replaced => "replaced",
        }
    }
}

/// Saves every certificate as `SERIAL.pem`, or none: each is written to a
/// temporary file first (0644, never through a link), and only when all are
/// written are they renamed into place. The folder is made 0755.
pub fn save_all(dir: &Path, certs: &[PlatformCert]) -> Result<Vec<(PathBuf, Change)>> {
    save_with(dir, certs, |f, bytes| {
        f.write_all(bytes).and_then(|()| f.sync_all())
    })
}

/// `save_all` with the write of one temporary file given (tests fail it).
fn save_with(
    dir: &Path,
    certs: &[PlatformCert],
    write: impl Fn(&mut std::fs::File, &[u8]) -> std::io::Result<()>,
) -> Result<Vec<(PathBuf, Change)>> {
    files::create_dir(dir, 0o755)
        .with_context(|| format!("creating platform_certificates_dir {}", dir.display()))?;
    // Each certificate is two files: SERIAL.pem and SERIAL.json.
    let mut planned = Vec::new();
    for cert in certs {
        let file = dir.join(format!("{}.pem", cert.serial));
        let parts = [
            (file.clone(), cert.pem.clone()),
            (entry::path_for(&file), entry::text(cert)),
        ];
        let same = |(path, text): &(PathBuf, String)| {
            std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
                && std::fs::read_to_string(path).is_ok_and(|t| t == *text)
        };
        let change = match std::fs::symlink_metadata(&file) {
            Err(_) => Change::New,
            Ok(_) if parts.iter().all(same) => Change::Unchanged,
            Ok(_) => Change::Replaced,
        };
        planned.push((file, change, parts));
    }
    // Every temporary file first; any failure removes them all.
    let mut temps: Vec<(PathBuf, PathBuf)> = Vec::new();
    let cleanup = |temps: &[(PathBuf, PathBuf)]| {
        for (t, _) in temps {
            let _ = std::fs::remove_file(t);
        }
    };
    for (file, change, parts) in &planned {
        if *change == Change::Unchanged {
            continue;
        }
        for (path, text) in parts {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            let tmp = dir.join(format!(
                ".{name}.{}.partial",
                crate::sign::random_alphanumeric(12)?
            ));
            let written = files::create_new(&tmp, 0o644).and_then(|mut f| {
                temps.push((tmp.clone(), path.clone()));
                write(&mut f, text.as_bytes())
            });
            if let Err(e) = written {
                cleanup(&temps);
                return Err(e).with_context(|| {
                    format!("writing {} (no certificate was saved)", file.display())
                });
            }
        }
    }
    // Then the renames, each certificate's file before its dates: dates
    // never stand beside a certificate they were not written for.
    let mut done: Vec<String> = Vec::new();
    for (at, (tmp, to)) in temps.iter().enumerate() {
        if let Err(e) = std::fs::rename(tmp, to) {
            cleanup(&temps[at..]);
            let saved = if done.is_empty() {
                "no certificate was saved".to_string()
            } else {
                format!("saved before it: {}", done.join(", "))
            };
            return Err(e).with_context(|| format!("writing {} ({saved})", to.display()));
        }
        if to.extension().is_some_and(|e| e == "pem") {
            done.push(to.display().to_string());
        }
    }
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(planned
        .into_iter()
        .map(|(file, change, _)| (file, change))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/vectors");

    fn java_cert() -> PlatformCert {
        let text = std::fs::read_to_string(format!("{VECTORS}/java_downloaded_cert.pem")).unwrap();
        PlatformCert::from_pem(&text).unwrap()
    }

    #[test]
    fn saved_certificates_load_and_a_leftover_blocks_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let certs = dir.path().join("certs");
        assert!(
            load(&certs).unwrap().is_empty(),
            "a missing folder is empty"
        );
        // A leftover of a crashed write, and a stray file, are ignored.
        std::fs::create_dir_all(&certs).unwrap();
        std::fs::write(
            certs.join(".5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC.pem.x.partial"),
            "half",
        )
        .unwrap();
        std::fs::write(certs.join("README.txt"), "notes").unwrap();
        let saved = save_all(&certs, &[java_cert()]).unwrap();
        let file = certs.join("5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC.pem");
        assert_eq!(saved, [(file.clone(), Change::New)]);
        let again = save_all(&certs, &[java_cert()]).unwrap();
        assert_eq!(again, [(file, Change::Unchanged)]);
        let loaded = load(&certs).unwrap();
        assert_eq!(loaded.len(), 1);
        assert_eq!(
            loaded[0].cert.serial,
            "5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC"
        );
        assert!(in_use(&loaded, 1_800_000_000).is_some());
        assert!(in_use(&loaded, 1_900_000_000).is_none());
    }

    #[test]
    fn a_write_that_fails_leaves_no_half_written_certificate() {
        let dir = tempfile::tempdir().unwrap();
        // The rename cannot replace a folder: the write fails at its last step.
        std::fs::create_dir(
            dir.path()
                .join("5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC.pem"),
        )
        .unwrap();
        assert!(save_all(dir.path(), &[java_cert()]).is_err());
        let left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            left,
            ["5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC.pem"],
            "no partial file is left"
        );
    }

    #[test]
    fn a_file_named_for_another_serial_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ABCDEF.pem"), java_cert().pem).unwrap();
        let e = format!("{:#}", load(dir.path()).unwrap_err());
        assert!(e.contains("but the file is named ABCDEF.pem"), "{e}");
    }

    fn fixture_cert(name: &str) -> PlatformCert {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        PlatformCert::from_pem(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// A write that fails on the second certificate (a disk that fills up)
    /// saves neither, and leaves no temporary file.
    #[test]
    fn all_certificates_are_saved_or_none() {
        let dir = tempfile::tempdir().unwrap();
        let certs = [java_cert(), fixture_cert("platform_cert.pem")];
        let calls = std::cell::Cell::new(0);
        let e = save_with(dir.path(), &certs, |f, bytes| {
            calls.set(calls.get() + 1);
            // The second certificate's PEM (each is a PEM and its dates).
            if calls.get() == 3 {
                return Err(std::io::Error::other("No space left on device"));
            }
            f.write_all(bytes)
        })
        .unwrap_err();
        assert_eq!(
            format!("{e:#}"),
            format!(
                "writing {}/{}.pem (no certificate was saved): No space left on device",
                dir.path().display(),
                certs[1].serial
            )
        );
        assert_eq!(names(dir.path()), Vec::<String>::new());
        // Once there is room, both are saved.
        let saved = save_all(dir.path(), &certs).unwrap();
        assert_eq!(saved.len(), 2);
        assert_eq!(load(dir.path()).unwrap().len(), 2);
    }

    /// A file that held something else, or a link planted in the folder, is
    /// replaced (the link itself, not what it points at), and said so.
    #[test]
    fn a_changed_file_or_a_planted_link_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let cert = java_cert();
        let file = dir.path().join(format!("{}.pem", cert.serial));
        std::fs::write(&file, "not this").unwrap();
        assert_eq!(
            save_all(dir.path(), std::slice::from_ref(&cert)).unwrap(),
            [(file.clone(), Change::Replaced)]
        );
        assert_eq!(std::fs::read_to_string(&file).unwrap(), cert.pem);
        #[cfg(unix)]
        {
            let target = elsewhere.path().join("x");
            std::fs::write(&target, &cert.pem).unwrap();
            std::fs::remove_file(&file).unwrap();
            std::os::unix::fs::symlink(&target, &file).unwrap();
            assert_eq!(
                save_all(dir.path(), std::slice::from_ref(&cert)).unwrap(),
                [(file.clone(), Change::Replaced)]
            );
            assert!(!std::fs::symlink_metadata(&file).unwrap().is_symlink());
            assert_eq!(std::fs::read_to_string(&target).unwrap(), cert.pem);
        }
    }
}
