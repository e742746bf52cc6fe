//! The records of a CSV file, read as a stream with csv-core (RFC 4180
//! quoting; `\n`, `\r\n` and a lone `\r` end lines and records; blank lines
//! are skipped), each with the lines it starts and ends on. A record longer
//! than a row can be is passed over, not kept: memory stays under a few
//! hundred KiB whatever the file holds (an unterminated quote near the top
//! of a big export makes the rest of the file one record).

use std::io::{self, BufRead, BufReader, Read};

/// The most field bytes a record may have: every field a batch reads is
/// under 256 characters, and a spreadsheet's other columns are short too.
pub const RECORD_MAX: usize = 64 << 10;

/// The most fields a record may have.
pub const FIELDS_MAX: usize = 1024;

/// One record of the file.
pub struct CsvRecord {
    /// The line it starts on (after blank lines).
    pub first_line: u64,
    /// The line its last character is on.
    pub last_line: u64,
    pub fields: Fields,
}

/// A record's fields, or why there are none.
pub enum Fields {
    Text(Vec<String>),
    /// More than `RECORD_MAX` bytes: not kept.
    TooLong,
    /// More than `FIELDS_MAX` fields: not kept.
    TooWide,
    /// Field number `n` (from 1) is not UTF-8.
    NotUtf8(usize),
}

/// The records of a file, read through a buffer of a given size.
pub struct CsvRecords<R> {
    input: BufReader<R>,
    core: csv_core::Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
    lines: Lines,
}

/// Where the reading is, in lines.
struct Lines {
    /// The line of the next byte.
    line: u64,
    /// The line of the last byte that was not a line end.
    last_text: u64,
    /// The last byte was `\r`: a `\n` after it ends no other line.
    after_cr: bool,
}

impl Lines {
    fn pass(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match b {
                b'\r' => self.line += 1,
                b'\n' if !self.after_cr => self.line += 1,
                b'\n' => {}
                _ => self.last_text = self.line,
            }
            self.after_cr = b == b'\r';
        }
    }
}

impl<R: Read> CsvRecords<R> {
    pub fn new(file: R, buffer: usize) -> Self {
        CsvRecords {
            input: BufReader::with_capacity(buffer.max(1), file),
            core: csv_core::Reader::new(),
            out: vec![0; RECORD_MAX],
            ends: vec![0; FIELDS_MAX],
            lines: Lines {
                line: 1,
                last_text: 1,
                after_cr: false,
            },
        }
    }

    /// The line of the next byte to be read.
    pub fn line(&self) -> u64 {
        self.lines.line
    }

    /// The next record; none at the end of the file.
    pub fn next_record(&mut self) -> io::Result<Option<CsvRecord>> {
        use csv_core::ReadRecordResult::*;
        self.skip_line_ends()?;
        let first_line = self.lines.line;
        let (mut out_len, mut ends_len) = (0, 0);
        let mut too_long = None;
        loop {
            let input = self.input.fill_buf()?;
            let (result, read, wrote, ended) =
                self.core
                    .read_record(input, &mut self.out[out_len..], &mut self.ends[ends_len..]);
            self.lines.pass(&input[..read]);
            self.input.consume(read);
            out_len += wrote;
            ends_len += ended;
            match result {
                InputEmpty => {}
                // Passed over: the rest of the record goes where this went.
                OutputFull => (out_len, too_long) = (0, Some(Fields::TooLong)),
                OutputEndsFull => (ends_len, too_long) = (0, Some(Fields::TooWide)),
                Record => {
                    let fields = too_long.unwrap_or_else(|| self.fields(ends_len));
                    return Ok(Some(CsvRecord {
                        first_line,
                        last_line: self.lines.last_text.max(first_line),
                        fields,
                    }));
                }
                End => return Ok(None),
            }
        }
    }

    /// Passes the line ends before a record (csv-core skips them too), so
    /// that the record's first line is known.
    fn skip_line_ends(&mut self) -> io::Result<()> {
        loop {
            let input = self.input.fill_buf()?;
            let n = input
                .iter()
                .position(|b| !matches!(b, b'\r' | b'\n'))
                .unwrap_or(input.len());
            if n == 0 {
                return Ok(());
            }
            self.lines.pass(&input[..n]);
            self.input.consume(n);
        }
    }

    /// The fields of the record just read, whose ends are `ends[..n]`.
    fn fields(&self, n: usize) -> Fields {
        let mut fields = Vec::with_capacity(n);
        let mut start = 0;
        for (i, &end) in self.ends[..n].iter().enumerate() {
            match std::str::from_utf8(&self.out[start..end]) {
                Ok(text) => fields.push(text.to_string()),
                Err(_) => return Fields::NotUtf8(i + 1),
            }
            start = end;
        }
        Fields::Text(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each record of `text` as its lines and fields (`!` too long).
    fn records(text: &[u8], buffer: usize) -> Vec<(u64, u64, String)> {
        let mut r = CsvRecords::new(text, buffer);
        let mut all = Vec::new();
        while let Some(rec) = r.next_record().unwrap() {
            let fields = match rec.fields {
                Fields::Text(f) => f.join("|"),
                Fields::TooLong => "!".into(),
                Fields::TooWide => ",!".into(),
                Fields::NotUtf8(n) => format!("?{n}"),
            };
            all.push((rec.first_line, rec.last_line, fields));
        }
        all
    }

    #[test]
    fn records_have_their_lines_whatever_the_buffer() {
        let text = b"a,b\r\n\r\nc\n\n\rd\r\re\n\"f\ng\",\"\"\"h\"\r\n\r\n\n\n\n\n\ni,\xff";
        let want = [
            (1, 1, "a|b".to_string()),
            (3, 3, "c".into()),
            (6, 6, "d".into()),
            (8, 8, "e".into()),
            (9, 10, "f\ng|\"h".into()),
            (17, 17, "?2".into()),
        ];
        for buffer in [1, 2, 3, 5, 8, 64, 8192] {
            assert_eq!(records(text, buffer), want, "buffer {buffer}");
        }
    }

    #[test]
    fn a_record_too_long_is_passed_over_and_reading_goes_on() {
        let long = "x".repeat(RECORD_MAX);
        let commas = ",".repeat(FIELDS_MAX);
        let text = format!(
            "a\n\"{long}\",1\nb\n{commas}\nc\n\"open\n{}",
            "d,1\n".repeat(50_000)
        );
        let mut r = CsvRecords::new(text.as_bytes(), 8192);
        let mut seen = Vec::new();
        while let Some(rec) = r.next_record().unwrap() {
            assert!(r.out.capacity() == RECORD_MAX && r.ends.capacity() == FIELDS_MAX);
            let kept = match rec.fields {
                Fields::Text(_) => "kept",
                Fields::TooLong => "too long",
                Fields::TooWide => "too wide",
                Fields::NotUtf8(_) => "not UTF-8",
            };
            seen.push((rec.first_line, rec.last_line, kept));
        }
        assert_eq!(
            seen,
            [
                (1, 1, "kept"),
                (2, 2, "too long"),
                (3, 3, "kept"),
                (4, 4, "too wide"),
                (5, 5, "kept"),
                (6, 50_006, "too long")
            ]
        );
    }
}
