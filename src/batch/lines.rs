//! The line of a position in a file, counted by the reader under the CSV
//! reader: every byte passes through once, on its way to the CSV reader, so
//! the file is read once and memory stays flat.

use std::collections::VecDeque;
use std::io::{self, Read};

/// A reader that counts the line ends of the bytes it hands on (`\n`,
/// `\r\n`, and a lone `\r`, as the CSV reader reads them) and keeps the
/// last of them: those a position the CSV reader reports can still point
/// at. A buffered reader above it (the CSV reader's) is at most its buffer
/// ahead of the position it reports, so `ahead` is that buffer's size.
pub struct LineCounting<R> {
    file: R,
    /// The file's bytes from offset `kept_from` on: the last `ahead` handed
    /// on, then any looked ahead (by `line_at`) and not handed on yet.
    kept: VecDeque<u8>,
    kept_from: u64,
    /// Bytes handed on.
    handed: u64,
    ahead: u64,
    /// Line ends before `kept_from`, and the offsets of those after it.
    ends_before: u64,
    ends: VecDeque<u64>,
    /// The last byte read was `\r`: a `\n` after it ends no other line.
    after_cr: bool,
    eof: bool,
}

impl<R: Read> LineCounting<R> {
    pub fn new(file: R, ahead: usize) -> Self {
        LineCounting {
            file,
            kept: VecDeque::new(),
            kept_from: 0,
            handed: 0,
            ahead: ahead as u64,
            ends_before: 0,
            ends: VecDeque::new(),
            after_cr: false,
            eof: false,
        }
    }

    /// The line of the first character at or after `byte` that is not a
    /// line end (the CSV reader's positions point at the end of the line
    /// before, and blank lines are skipped); at the end of the file, the
    /// line after its last line end. `byte` is a position of the reader
    /// above, so it is never before what is kept.
    pub fn line_at(&mut self, byte: u64) -> u64 {
        debug_assert!(byte >= self.kept_from, "{byte} < {}", self.kept_from);
        let mut at = byte.max(self.kept_from);
        loop {
            let end = self.kept_from + self.kept.len() as u64;
            while at < end {
                if !matches!(self.kept[(at - self.kept_from) as usize], b'\n' | b'\r') {
                    return self.line_of(at);
                }
                at += 1;
            }
            // Nothing but line ends kept after `byte`: look further.
            if !self.look_ahead().unwrap_or(false) {
                return self.line_of(end);
            }
        }
    }

    /// The line of the byte at `at` (kept, or the end of the file).
    fn line_of(&self, at: u64) -> u64 {
        1 + self.ends_before + self.ends.partition_point(|&end| end < at) as u64
    }

    /// Reads more of the file than was handed on, kept for the reader
    /// above; false at the end of the file.
    fn look_ahead(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        let mut chunk = [0u8; 512];
        let n = self.file.read(&mut chunk)?;
        self.note(&chunk[..n]);
        Ok(n > 0)
    }

    /// Keeps bytes just read from the file, and notes their line ends.
    fn note(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            self.eof = true;
            return;
        }
        let first = self.kept_from + self.kept.len() as u64;
        for (at, &b) in (first..).zip(bytes) {
            if b == b'\r' || (b == b'\n' && !self.after_cr) {
                self.ends.push_back(at);
            }
            self.after_cr = b == b'\r';
        }
        self.kept.extend(bytes);
    }

    /// Forgets what no position of the reader above can point at any more.
    fn forget(&mut self) {
        let keep_from = self.handed.saturating_sub(self.ahead);
        if keep_from <= self.kept_from {
            return;
        }
        self.kept.drain(..(keep_from - self.kept_from) as usize);
        self.kept_from = keep_from;
        while self.ends.front().is_some_and(|&end| end < keep_from) {
            self.ends.pop_front();
            self.ends_before += 1;
        }
    }
}

impl<R: Read> Read for LineCounting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let next = (self.handed - self.kept_from) as usize;
        let n = if next < self.kept.len() {
            // Looked ahead already: those bytes first.
            let n = buf.len().min(self.kept.len() - next);
            for (to, from) in buf.iter_mut().zip(self.kept.range(next..next + n)) {
                *to = *from;
            }
            n
        } else if buf.is_empty() {
            0
        } else {
            let n = self.file.read(buf)?;
            self.note(&buf[..n]);
            n
        };
        self.handed += n as u64;
        self.forget();
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line of `byte`, counted from the start of the whole text.
    fn line_in(text: &[u8], byte: usize) -> u64 {
        let at = (byte..text.len())
            .find(|&i| !matches!(text[i], b'\n' | b'\r'))
            .unwrap_or(text.len());
        let lone_cr_or_lf = text[..at]
            .iter()
            .enumerate()
            .filter(|&(i, &b)| b == b'\r' || (b == b'\n' && (i == 0 || text[i - 1] != b'\r')))
            .count();
        1 + lone_cr_or_lf as u64
    }

    #[test]
    fn every_position_has_the_line_counted_from_the_start() {
        let text = b"a,b\r\n\r\nc\n\n\rd\r\re\n\"f\ng\"\r\n\r\n\n\n\n\n\nh";
        for ahead in [1, 2, 3, 5, 8, 64] {
            // Read in small steps, as a buffered reader with `ahead` bytes
            // would; ask for every position it could report.
            let mut counting = LineCounting::new(&text[..], ahead);
            let mut buf = vec![0u8; ahead];
            let mut position = 0;
            loop {
                let n = counting.read(&mut buf).unwrap();
                for byte in position..position + n {
                    assert_eq!(
                        counting.line_at(byte as u64),
                        line_in(text, byte),
                        "ahead {ahead}, byte {byte}"
                    );
                }
                position += n;
                if n == 0 {
                    break;
                }
            }
            let end = text.len();
            assert_eq!(counting.line_at(end as u64), line_in(text, end));
        }
    }

    #[test]
    fn bytes_looked_ahead_are_still_handed_on_and_little_is_kept() {
        let text = format!("a{}b{}", "\r\n".repeat(3000), "\n".repeat(3000));
        let mut counting = LineCounting::new(text.as_bytes(), 4);
        let mut first = [0u8; 1];
        assert_eq!(counting.read(&mut first).unwrap(), 1);
        assert_eq!(counting.line_at(1), 3001, "b, looked for past the buffer");
        let mut rest = Vec::new();
        counting.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, text.as_bytes()[1..]);
        assert!(counting.kept.len() <= 4, "{}", counting.kept.len());
        assert_eq!(counting.line_at(text.len() as u64 - 4), 6001);
    }
}
