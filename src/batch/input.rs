//! The rows of a batch: CSV with a header row, or JSON Lines, told apart by
//! the first character that is not white space (`{` is JSON Lines). Read as
//! a stream, each row with the line of the file it starts on.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

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
pub fn rows(path: &Path, stock_default: bool) -> Result<Rows> {
    if is_json_lines(path)? {
        return Ok(Box::new(json_lines(path)?));
    }
    csv_rows(path, stock_default)
}

#[derive(Deserialize)]
struct JsonRow {
    coupon_code: Option<String>,
    stock_id: Option<String>,
    return_request_no: Option<String>,
}

fn json_lines(path: &Path) -> Result<impl Iterator<Item = Item> + Send + use<>> {
    let file = File::open(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(BufReader::new(file)
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let line_no = i as u64 + 1;
            let text = match line {
                Ok(t) => t,
                Err(e) => {
                    return Some(Item::Bad {
                        line: line_no,
                        reason: format!("not readable as UTF-8 text ({e})"),
                    });
                }
            };
            let text = text.trim_start_matches('\u{feff}').trim();
            if text.is_empty() {
                return None;
            }
            Some(match serde_json::from_str::<JsonRow>(text) {
                Ok(JsonRow {
                    coupon_code: Some(code),
                    stock_id,
                    return_request_no,
                }) => Item::Row(Row {
                    line: line_no,
                    coupon_code: code,
                    stock_id,
                    return_request_no,
                }),
                Ok(_) => Item::Bad {
                    line: line_no,
                    reason: "no coupon_code".into(),
                },
                Err(e) => Item::Bad {
                    line: line_no,
                    reason: format!(
                        "not a JSON object with string fields coupon_code, stock_id, \
                         return_request_no ({e})"
                    ),
                },
            })
        }))
}

fn csv_rows(path: &Path, stock_default: bool) -> Result<Rows> {
    let file = File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(file);
    let headers = reader
        .headers()
        .with_context(|| format!("{}: the header row is not readable CSV", path.display()))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().trim_start_matches('\u{feff}') == name)
    };
    let Some(code) = column("coupon_code") else {
        bail!(
            "{}:1: the header row has no coupon_code column (it has: {}); a batch file is CSV with \
             a header row naming coupon_code, stock_id and optionally return_request_no, or JSON Lines",
            path.display(),
            headers.iter().collect::<Vec<_>>().join(", ")
        );
    };
    let stock = column("stock_id");
    if stock.is_none() && !stock_default {
        bail!(
            "{}:1: the header row has no stock_id column; add one, or give --stock for every row",
            path.display()
        );
    }
    let request_no = column("return_request_no");
    let mut lines = LineCounter::new(path)?;
    let mut record = csv::StringRecord::new();
    Ok(Box::new(std::iter::from_fn(move || {
        // Where the next record starts: after blank lines, on its first line.
        let start = reader.position().byte();
        let read = reader.read_record(&mut record);
        let line = lines.line_at(start);
        match read {
            Ok(false) => None,
            Err(e) => Some(Item::Bad {
                line,
                reason: format!("not readable CSV ({e})"),
            }),
            Ok(true) => {
                let field = |i: Option<usize>| {
                    i.and_then(|i| record.get(i))
                        .map(str::to_string)
                        .filter(|v| !v.is_empty())
                };
                Some(match field(Some(code)) {
                    Some(coupon_code) => Item::Row(Row {
                        line,
                        coupon_code,
                        stock_id: field(stock),
                        return_request_no: field(request_no),
                    }),
                    None => Item::Bad {
                        line,
                        reason: "no coupon_code".into(),
                    },
                })
            }
        }
    })))
}

/// The line of a byte offset, counted as the offsets grow: a second reader
/// of the file follows the CSV reader, so memory stays flat.
struct LineCounter {
    reader: BufReader<File>,
    at: u64,
    line: u64,
}

impl LineCounter {
    fn new(path: &Path) -> Result<Self> {
        let file = File::open(path).with_context(|| format!("reading {}", path.display()))?;
        Ok(LineCounter {
            reader: BufReader::new(file),
            at: 0,
            line: 1,
        })
    }

    /// The line of the first character at or after `byte` that is not a
    /// line end (the CSV reader's positions point at the end of the line
    /// before, and blank lines are skipped).
    fn line_at(&mut self, byte: u64) -> u64 {
        loop {
            let Ok(buf) = self.reader.fill_buf() else {
                return self.line;
            };
            if buf.is_empty() {
                return self.line;
            }
            let mut used = 0;
            let mut found = false;
            for &b in buf {
                if self.at >= byte && b != b'\n' && b != b'\r' {
                    found = true;
                    break;
                }
                if b == b'\n' {
                    self.line += 1;
                }
                self.at += 1;
                used += 1;
            }
            self.reader.consume(used);
            if found {
                return self.line;
            }
        }
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
        rows(f.path(), false).unwrap().collect()
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
        let e = format!("{:#}", rows(f.path(), false).err().unwrap());
        assert!(
            e.contains(":1: the header row has no coupon_code column (it has: code, stock)"),
            "{e}"
        );
        let f = file("coupon_code\nC1\n");
        assert!(rows(f.path(), false).is_err());
        assert_eq!(rows(f.path(), true).unwrap().count(), 1);
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
