//! The rows of a batch: CSV with a header row, or JSON Lines, told apart by
//! the first character that is not white space (`{` is JSON Lines). Read as
//! a stream, each row with the line of the file it starts on.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use super::csv_records::{CsvRecord, CsvRecords, FIELDS_MAX, Fields, RECORD_MAX};
use crate::{escape, files};

/// One row as the file gives it; checked later like `--code`/`--stock`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub line: u64,
    pub coupon_code: String,
    pub stock_id: Option<String>,
    pub return_request_no: Option<String>,
}

/// A row, or a record that could not be read as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Row(Row),
    Bad { line: u64, reason: String },
}

impl Item {
    /// The input line the row starts on.
    pub fn line(&self) -> u64 {
        match self {
            Item::Row(r) => r.line,
            Item::Bad { line, .. } => *line,
        }
    }
}

/// The SHA-256 of a file, hexadecimal, read in a stream.
pub fn sha256(path: &Path) -> Result<String> {
    let mut file = File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = file
            .read(&mut buf)
            .with_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        ctx.update(&buf[..n]);
    }
    Ok(ctx
        .finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Whether the file is JSON Lines: its first character that is not white
/// space (after a UTF-8 BOM) is `{`.
fn is_json_lines(path: &Path) -> Result<bool> {
    let mut reader =
        BufReader::new(File::open(path).with_context(|| format!("reading {}", path.display()))?);
    let mut head = Vec::new();
    reader
        .by_ref()
        .take(64 << 10)
        .read_to_end(&mut head)
        .with_context(|| format!("reading {}", path.display()))?;
    let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&head);
    Ok(text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'))
}

/// The rows of a batch file, streamed.
pub type Rows = Box<dyn Iterator<Item = Item> + Send>;

/// The rows of the batch file, streamed. A header that lacks a column the
/// batch needs is an error before any row is read.
pub fn rows(path: &Path, name: &str, stock_default: bool) -> Result<Rows> {
    if is_json_lines(path)? {
        return Ok(Box::new(json_lines(path)?));
    }
    csv_rows(path, name, stock_default, CSV_BUFFER)
}

/// The buffer a CSV file is read through.
const CSV_BUFFER: usize = 8 << 10;

#[derive(Deserialize)]
struct JsonRow {
    coupon_code: Option<String>,
    stock_id: Option<String>,
    return_request_no: Option<String>,
}

/// The rows of a JSON Lines file, each line read up to `RECORD_MAX` bytes:
/// a longer one is passed over, not kept.
fn json_lines(path: &Path) -> Result<impl Iterator<Item = Item> + Send + use<>> {
    let file = File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut reader = BufReader::new(file);
    let (mut line, mut text, mut done) = (0, Vec::new(), false);
    Ok(std::iter::from_fn(move || {
        while !done {
            line += 1;
            text.clear();
            let read = (&mut reader)
                .take(RECORD_MAX as u64 + 1)
                .read_until(b'\n', &mut text);
            let too_long = matches!(read, Ok(n) if n > RECORD_MAX && !text.ends_with(b"\n"));
            let read = match read {
                Ok(0) => return None,
                Ok(_) if too_long => pass_line(&mut reader),
                other => other.map(|_| ()),
            };
            if let Err(e) = read {
                // The file cannot be read on: said once, then the end.
                done = true;
                let reason = format!("not readable ({e}); the rest of the file was not read");
                return Some(Item::Bad { line, reason });
            }
            if too_long {
                let reason = format!(
                    "a line longer than {}: far beyond any row; not read",
                    files::size(RECORD_MAX as u64)
                );
                return Some(Item::Bad { line, reason });
            }
            if let Some(item) = json_item(line, &text) {
                return Some(item);
            }
        }
        None
    }))
}

/// Reads on to the end of the line (or the file), keeping nothing.
fn pass_line(reader: &mut impl BufRead) -> std::io::Result<()> {
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(at) => {
                reader.consume(at + 1);
                return Ok(());
            }
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    }
}

/// One line of a JSON Lines file as a row; none for a blank line.
fn json_item(line: u64, text: &[u8]) -> Option<Item> {
    let bad = |reason: String| Some(Item::Bad { line, reason });
    let text = match std::str::from_utf8(text) {
        Ok(t) => t.trim_start_matches('\u{feff}').trim(),
        Err(e) => return bad(format!("not readable as UTF-8 text ({e})")),
    };
    if text.is_empty() {
        return None;
    }
    if !text.starts_with('{') {
        return bad("not a JSON object (a JSON Lines batch has one object per line)".into());
    }
    match serde_json::from_str::<JsonRow>(text) {
        Ok(JsonRow {
            coupon_code: Some(coupon_code),
            stock_id,
            return_request_no,
        }) => Some(Item::Row(Row {
            line,
            coupon_code,
            stock_id,
            return_request_no,
        })),
        Ok(_) => bad("no coupon_code".into()),
        Err(e) => bad(format!(
            "not a JSON object with string fields coupon_code, stock_id, return_request_no ({e})"
        )),
    }
}

/// The rows of a CSV file, read through a buffer of `buffer` bytes, each
/// with its line.
fn csv_rows(path: &Path, name: &str, stock_default: bool, buffer: usize) -> Result<Rows> {
    let file = File::open(path).with_context(|| format!("reading {name}"))?;
    let mut records = CsvRecords::new(file, buffer);
    let header = records
        .next_record()
        .with_context(|| format!("reading {name}"))?;
    let headers = match header.map(|h| h.fields) {
        None => Vec::new(),
        Some(Fields::Text(names)) => names,
        Some(Fields::TooLong | Fields::TooWide) => bail!(
            "{name}:1: the header row is longer than {} or has more than {FIELDS_MAX} columns \
             (an unterminated quote?): a batch file is CSV with a header row naming coupon_code, \
             stock_id and optionally return_request_no, or JSON Lines",
            files::size(RECORD_MAX as u64)
        ),
        Some(Fields::NotUtf8(n)) => {
            bail!("{name}:1: the header row's column {n} is not UTF-8 text")
        }
    };
    let columns = Columns::of(&headers, name, stock_default)?;
    let mut done = false;
    Ok(Box::new(std::iter::from_fn(move || {
        while !done {
            let record = match records.next_record() {
                Ok(Some(record)) => record,
                Ok(None) => return None,
                Err(e) => {
                    // The file cannot be read on: said once, then the end.
                    done = true;
                    return Some(Item::Bad {
                        line: records.line(),
                        reason: format!("not readable ({e}); the rest of the file was not read"),
                    });
                }
            };
            match columns.item(record) {
                Some(item) => return Some(item),
                None => continue,
            }
        }
        None
    })))
}

/// Where a CSV file's header row puts the columns a batch reads.
struct Columns {
    code: usize,
    stock: Option<usize>,
    request_no: Option<usize>,
    /// How many columns the header row names.
    width: usize,
}

impl Columns {
    /// The columns of this header row. One that lacks a column the batch
    /// needs, or names one twice, is an error.
    fn of(headers: &[String], name: &str, stock_default: bool) -> Result<Columns> {
        let names: Vec<String> = headers
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').trim().to_string())
            .collect();
        if names.iter().all(String::is_empty) {
            bail!(
                "{name}: the file is empty: a batch file is CSV with a header row naming \
                 coupon_code, stock_id and optionally return_request_no, or JSON Lines"
            );
        }
        let column = |wanted: &str| -> Result<Option<usize>> {
            let mut at = names.iter().enumerate().filter(|(_, n)| *n == wanted);
            let first = at.next().map(|(i, _)| i);
            if at.next().is_some() {
                bail!(
                    "{name}:1: the header row names {wanted} twice: which one is meant is unclear"
                );
            }
            Ok(first)
        };
        let Some(code) = column("coupon_code")? else {
            let columns = names.join(", ");
            let shown = escape::clip(&columns, 200, &format!("{} bytes", columns.len()));
            bail!(
                "{name}:1: the header row has no coupon_code column (it has: {}); a batch file is \
                 CSV with a header row naming coupon_code, stock_id and optionally \
                 return_request_no, or JSON Lines",
                escape::term(&shown)
            );
        };
        let stock = column("stock_id")?;
        if stock.is_none() && !stock_default {
            bail!(
                "{name}:1: the header row has no stock_id column; add one, or give --stock for \
                 every row"
            );
        }
        Ok(Columns {
            code,
            stock,
            request_no: column("return_request_no")?,
            width: headers.len(),
        })
    }

    /// A CSV record as a row; none for a blank line (white space only).
    fn item(&self, record: CsvRecord) -> Option<Item> {
        let (line, last) = (record.first_line, record.last_line);
        let bad = |reason: String| Some(Item::Bad { line, reason });
        let too = match record.fields {
            Fields::Text(fields) => Ok(fields),
            Fields::TooLong => Err(format!("longer than {}", files::size(RECORD_MAX as u64))),
            Fields::TooWide => Err(format!("of more than {FIELDS_MAX} fields")),
            Fields::NotUtf8(n) => return bad(format!("field {n} is not UTF-8 text")),
        };
        let record = match too {
            Ok(fields) => fields,
            Err(what) if last > line => {
                return bad(format!(
                    "a record {what} runs from this line to line {last} (an unterminated \
                     quote?); the lines inside it were not read as rows"
                ));
            }
            Err(what) => return bad(format!("a line {what}: far beyond any row; not read")),
        };
        if record.len() == 1 && record[0].trim().is_empty() {
            return None;
        }
        if record.len() < self.width && record.iter().any(|f| f.contains('\n')) {
            return bad(format!(
                "a quoted field opened on this line runs on to line {last} (an unterminated \
                 quote?); the lines inside it were not read as rows"
            ));
        }
        let field = |i: Option<usize>| {
            i.and_then(|i| record.get(i))
                .filter(|v| !v.is_empty())
                .cloned()
        };
        Some(match field(Some(self.code)) {
            Some(coupon_code) => Item::Row(Row {
                line,
                coupon_code,
                stock_id: field(self.stock),
                return_request_no: field(self.request_no),
            }),
            None => Item::Bad {
                line,
                reason: "no coupon_code".into(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f
    }

    fn read(text: &str) -> Vec<Item> {
        let f = file(text);
        rows(f.path(), "in.csv", false).unwrap().collect()
    }

    fn row(line: u64, code: &str, stock: &str, no: Option<&str>) -> Item {
        Item::Row(Row {
            line,
            coupon_code: code.into(),
            stock_id: Some(stock.into()),
            return_request_no: no.map(String::from),
        })
    }

    #[test]
    fn csv_with_bom_crlf_quotes_extra_columns_and_blank_lines() {
        let text = "\u{feff}note,stock_id,coupon_code\r\n\
                    \"a, b\",1,C1\r\n\
                    \r\n\
                    \"two\nlines\",2,\"C 2\"\r\n";
        assert_eq!(
            read(text),
            [row(2, "C1", "1", None), row(4, "C 2", "2", None)]
        );
    }

    #[test]
    fn json_lines_with_blank_lines_and_bad_lines() {
        let text = "{\"coupon_code\":\"C1\",\"stock_id\":\"1\",\"return_request_no\":\"R1\"}\n\n\
                    {\"stock_id\":\"1\"}\n\
                    {\"coupon_code\":5}\n";
        let items = read(text);
        assert_eq!(items[0], row(1, "C1", "1", Some("R1")));
        assert_eq!(
            items[1],
            Item::Bad {
                line: 3,
                reason: "no coupon_code".into()
            }
        );
        assert!(matches!(&items[2], Item::Bad { line: 4, .. }));
    }

    #[test]
    fn a_header_without_the_needed_columns_is_refused_whole() {
        let f = file("code,stock\nC1,1\n");
        let e = format!("{:#}", rows(f.path(), "in.csv", false).err().unwrap());
        assert!(
            e.contains(":1: the header row has no coupon_code column (it has: code, stock)"),
            "{e}"
        );
        let f = file("coupon_code\nC1\n");
        assert!(rows(f.path(), "in.csv", false).is_err());
        assert_eq!(rows(f.path(), "in.csv", true).unwrap().count(), 1);
        for (text, says) in [
            ("", "in.csv: the file is empty"),
            ("  \n\n", "in.csv: the file is empty"),
            (
                "coupon_code,stock_id,coupon_code\nC1,1,C2\n",
                "names coupon_code twice",
            ),
        ] {
            let f = file(text);
            let e = format!("{:#}", rows(f.path(), "in.csv", false).err().unwrap());
            assert!(e.contains(says), "{text:?}: {e}");
        }
    }

    #[test]
    fn lone_carriage_returns_end_lines_and_blank_looking_lines_are_skipped() {
        let text = "coupon_code,stock_id\rC1,1\r  \rC2,2\r";
        assert_eq!(
            read(text),
            [row(2, "C1", "1", None), row(4, "C2", "2", None)]
        );
    }

    #[test]
    fn an_unterminated_quote_is_said_not_swallowed() {
        let items = read("coupon_code,stock_id\nC1,1\n\"C2,1\nC3,1\nC4,1\n");
        assert_eq!(items[0], row(2, "C1", "1", None));
        let Item::Bad { line: 3, reason } = &items[1] else {
            panic!("{items:?}")
        };
        assert!(reason.contains("unterminated quote"), "{reason}");
        assert_eq!(items.len(), 2);
        // Opened on the last line.
        let items = read("coupon_code,stock_id\nC1,1\n\"C2,1\n");
        assert_eq!(
            items[1],
            Item::Bad {
                line: 3,
                reason: "a quoted field opened on this line runs on to line 3 (an unterminated \
                         quote?); the lines inside it were not read as rows"
                    .into()
            }
        );
    }

    #[test]
    fn lines_are_the_same_whatever_the_csv_reader_buffers() {
        let text = format!(
            "coupon_code,stock_id\r\n{}C1,1\r\n\"C\n2\"\r\r\r{}C3,3\n\"C4,4\nC5,5\n",
            "\n".repeat(20_000),
            "\r\n".repeat(5_000)
        );
        let f = file(&text);
        let read = |buffer| -> Vec<Item> {
            csv_rows(f.path(), "in.csv", false, buffer)
                .unwrap()
                .collect()
        };
        let items = read(CSV_BUFFER);
        assert_eq!(items[0], row(20_002, "C1", "1", None));
        assert!(matches!(&items[1], Item::Bad { line: 20_003, .. }));
        assert_eq!(items[2], row(25_007, "C3", "3", None));
        assert!(matches!(&items[3], Item::Bad { line: 25_008, .. }));
        for buffer in [1, 2, 3, 64, 1000] {
            assert_eq!(read(buffer), items, "buffer {buffer}");
        }
    }

    /// A field far longer than a row can be (an unterminated quote near the
    /// top of a big export makes the rest of the file one field) is not
    /// kept: its row is invalid, on its line, and reading goes on.
    #[test]
    fn a_record_longer_than_a_row_can_be_is_invalid_on_its_line_and_reading_goes_on() {
        let huge = "x".repeat(RECORD_MAX + 1);
        let csv = format!("coupon_code,stock_id\nC1,1\n\"{huge}\",1\nC2,2\n");
        let items = read(&csv);
        assert_eq!(items[0], row(2, "C1", "1", None));
        assert_eq!(
            items[1],
            Item::Bad {
                line: 3,
                reason: "a line longer than 64 KiB: far beyond any row; not read".into()
            }
        );
        assert_eq!(items[2], row(4, "C2", "2", None));
        assert_eq!(items.len(), 3);

        let lines = "C3,3\n".repeat(RECORD_MAX / 4);
        let items = read(&format!("coupon_code,stock_id\nC1,1\n\"C2,2\n{lines}"));
        assert_eq!(
            items[1],
            Item::Bad {
                line: 3,
                reason: format!(
                    "a record longer than 64 KiB runs from this line to line {} (an unterminated \
                     quote?); the lines inside it were not read as rows",
                    3 + RECORD_MAX / 4
                )
            }
        );
        assert_eq!(items.len(), 2);

        let json = format!(
            "{{\"coupon_code\":\"C1\"}}\n{{\"coupon_code\":\"{huge}\"}}\n{{\"coupon_code\":\"C2\"}}"
        );
        let items = read(&json);
        assert_eq!(
            items[1],
            Item::Bad {
                line: 2,
                reason: "a line longer than 64 KiB: far beyond any row; not read".into()
            }
        );
        assert!(
            matches!(&items[2], Item::Row(Row { line: 3, .. })),
            "{items:?}"
        );
        assert_eq!(items.len(), 3);
    }

    #[test]
    fn the_hash_is_sha256() {
        let f = file("abc");
        assert_eq!(
            sha256(f.path()).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
