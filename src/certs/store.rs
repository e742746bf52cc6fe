//! The platform certificate folder (`platform_certificates_dir`): one PEM
//! file per certificate, named `SERIAL.pem`, as the official SDKs keep them.
//! Written atomically: a fresh file that does not end in `.pem` (other tools
//! load every `*.pem`), then renamed; a leftover from a crash blocks nothing.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::cert::{PlatformCert, same_serial};
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
    stored.sort_by_key(|s| s.cert.not_before);
    Ok(stored)
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
    let cert = PlatformCert::from_pem(&text)
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
    Ok(Stored {
        cert,
        file: path.to_path_buf(),
    })
}

/// The newest certificate valid at `unix`: the latest `not_before` among them.
pub fn newest_valid(certs: &[Stored], unix: i64) -> Option<&Stored> {
    certs
        .iter()
        .filter(|s| s.cert.valid_at(unix))
        .max_by_key(|s| s.cert.not_before)
}

/// Saves a certificate as `SERIAL.pem`; `true` when it is new (an identical
/// file is left as it is).
pub fn save(dir: &Path, cert: &PlatformCert) -> Result<(PathBuf, bool)> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating platform_certificates_dir {}", dir.display()))?;
    let file = dir.join(format!("{}.pem", cert.serial));
    if std::fs::read_to_string(&file).is_ok_and(|t| t == cert.pem) {
        return Ok((file, false));
    }
    let existed = file.exists();
    let tmp = dir.join(format!(
        ".{}.pem.{}.partial",
        cert.serial,
        crate::sign::random_alphanumeric(12)?
    ));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .with_context(|| format!("creating {}", tmp.display()))?;
    let written = f
        .write_all(cert.pem.as_bytes())
        .and_then(|()| f.sync_all())
        .and_then(|()| std::fs::rename(&tmp, &file));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("writing {}", file.display()));
    }
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok((file, !existed))
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
        let (file, new) = save(&certs, &java_cert()).unwrap();
        assert!(new);
        assert_eq!(
            file,
            certs.join("5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC.pem")
        );
        let (_, again) = save(&certs, &java_cert()).unwrap();
        assert!(!again, "an identical file is not new");
        let loaded = load(&certs).unwrap();
        assert_eq!(loaded.len(), 1);
        assert_eq!(
            loaded[0].cert.serial,
            "5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC"
        );
        assert!(newest_valid(&loaded, 1_800_000_000).is_some());
        assert!(newest_valid(&loaded, 1_900_000_000).is_none());
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
        assert!(save(dir.path(), &java_cert()).is_err());
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
}
