//! Reading the files wxcoupon is given: never more than a limit (a key file
//! named `/dev/zero` must not fill the memory), and the path in every error.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};

/// A PEM key is about 2 KiB; no key file is anywhere near this.
pub const KEY_FILE_MAX: u64 = 64 << 10;
/// A config file.
pub const CONFIG_MAX: u64 = 1 << 20;
/// A CA bundle (Mozilla's whole bundle is about 220 KiB).
pub const CA_FILE_MAX: u64 = 4 << 20;
/// The emulator's `--coupons` file (a test of a large batch may seed many).
pub const COUPONS_MAX: u64 = 64 << 20;
/// A request or answer body: `--body-file`, and answers from WeChat Pay.
pub const BODY_MAX: u64 = 1 << 20;

/// `1 MiB`, `64 KiB`, `512 bytes`.
pub fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

/// How long a file that is not a regular file (a pipe, a device) may take to
/// give its content: a named pipe nobody writes to would otherwise hang.
pub const PIPE_DEADLINE: Duration = Duration::from_secs(5);

/// Reads at most `max` bytes of `path`; a longer file is an error that
/// names `what` (e.g. "private key file") and the path. A file that is not a
/// regular file is read within `PIPE_DEADLINE`.
/// The start of the name of a temporary folder `wxcoupon emulator` writes
/// its files in (removed when it stops).
pub const EMULATOR_FOLDER_PREFIX: &str = "wxcoupon-emulator-";

pub fn read(path: &Path, what: &str, max: u64) -> Result<Vec<u8>> {
    let regular = std::fs::metadata(path).map_or(true, |m| m.is_file());
    if regular {
        return read_now(path, what, max);
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let (owned, label) = (path.to_path_buf(), what.to_string());
    // The reader may stay blocked in open(2); the process ends without it.
    std::thread::spawn(move || {
        let _ = tx.send(read_now(&owned, &label, max));
    });
    rx.recv_timeout(PIPE_DEADLINE).unwrap_or_else(|_| {
        bail!(
            "{what} {}: nothing came through it within {} s (a named pipe that nobody writes to?)",
            path.display(),
            PIPE_DEADLINE.as_secs()
        )
    })
}

fn read_now(path: &Path, what: &str, max: u64) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path).map_err(|e| {
        let gone = e.kind() == std::io::ErrorKind::NotFound
            && path.to_string_lossy().contains(EMULATOR_FOLDER_PREFIX);
        if gone {
            anyhow::anyhow!(
                "reading {what} {}: {e}; it was in the folder of a `wxcoupon emulator` that has \
                 stopped (that folder is removed when it stops): start the emulator again and use \
                 the profile it prints, or start it with --state DIR to keep its files, and its \
                 port, across restarts",
                path.display()
            )
        } else {
            anyhow::Error::new(e).context(format!("reading {what} {}", path.display()))
        }
    })?;
    let mut data = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut data)
        .with_context(|| format!("reading {what} {}", path.display()))?;
    if data.len() as u64 > max {
        bail!(
            "{what} {} is larger than {}, the most wxcoupon reads for it: is it the right file?",
            path.display(),
            size(max)
        );
    }
    Ok(data)
}

/// Like `read`, for text.
pub fn read_text(path: &Path, what: &str, max: u64) -> Result<String> {
    String::from_utf8(read(path, what, max)?)
        .map_err(|_| anyhow::anyhow!("{what} {} is not UTF-8 text", path.display()))
}

/// `--body TEXT` or `--body-file FILE` (byte for byte), else empty.
pub fn body(text: &Option<String>, file: Option<&Path>) -> Result<Vec<u8>> {
    match (text, file) {
        (Some(t), _) => Ok(t.clone().into_bytes()),
        (None, Some(f)) => read(f, "--body-file", BODY_MAX),
        (None, None) => Ok(Vec::new()),
    }
}

/// Creates `path` for writing, failing if anything (a link too) is there,
/// with `mode` at most, whatever the umask allows (Unix).
pub fn create_new(path: &Path, mode: u32) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // The umask may take bits away from `mode`, never add any.
        options.mode(mode).open(path)
    }
    #[cfg(not(unix))]
    {
        let _ = mode;
        options.open(path)
    }
}

/// Opens `path` for reading and appending, creating it with `mode` at most
/// (Unix) if it is not there. A final link is followed only when
/// `follow_link`; otherwise a link there is an error that `is_link` knows.
/// The open never waits on a named pipe or a device (O_NONBLOCK, which
/// changes nothing for a regular file): the caller checks what it opened.
pub fn open_append(path: &Path, mode: u32, follow_link: bool) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true).append(true).create(true);
    #[cfg(unix)]
    {
        use rustix::fs::OFlags;
        use std::os::unix::fs::OpenOptionsExt;
        let mut flags = OFlags::NONBLOCK;
        if !follow_link {
            flags |= OFlags::NOFOLLOW;
        }
        options.mode(mode).custom_flags(flags.bits() as i32);
    }
    #[cfg(not(unix))]
    let _ = (mode, follow_link);
    options.open(path)
}

/// Whether `open_append` failed on a link it was not to follow (ELOOP: also
/// a loop of links in the folders above; the caller looks).
pub fn is_link(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    return e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error());
    #[cfg(not(unix))]
    false
}

/// Creates a folder and its parents; the ones it creates get `mode`, never
/// more than the umask allows (Unix). An existing folder is left as it is.
pub fn create_dir(path: &Path, mode: u32) -> std::io::Result<()> {
    if path.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(mode).create(path)
    }
    #[cfg(not(unix))]
    {
        let _ = mode;
        builder.create(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_stops_at_the_limit() {
        let e = read(Path::new("/dev/zero"), "key file", 16).unwrap_err();
        assert_eq!(
            e.to_string(),
            "key file /dev/zero is larger than 16 bytes, the most wxcoupon reads for it: is it the right file?"
        );
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("k");
        std::fs::write(&f, [b'x'; 16]).unwrap();
        assert_eq!(read(&f, "key file", 16).unwrap().len(), 16);
        assert_eq!(size(KEY_FILE_MAX), "64 KiB");
        assert_eq!(size(CONFIG_MAX), "1 MiB");
    }
}
