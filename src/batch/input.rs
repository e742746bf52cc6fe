//! The rows of a batch: CSV with a header row, or JSON Lines, told apart by
//! the first character that is not white space (`{` is JSON Lines). Read as
//! a stream, each row with the line of the file it starts on.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use super::lines::LineCounting;
use crate::escape;

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

/// The CSV reader's buffer (the csv crate's default size): how far it reads
/// ahead of the positions it reports.
const CSV_BUFFER: usize = 8 << 10;

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
            if !text.starts_with('{') {
                return Some(Item::Bad {
                    line: line_no,
                    reason: "not a JSON object (a JSON Lines batch has one object per line)".into(),
                });
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

/// The rows of a CSV file, read through a CSV reader with a buffer of
/// `buffer` bytes, each with its line.
fn csv_rows(path: &Path, name: &str, stock_default: bool, buffer: usize) -> Result<Rows> {
    let file = File::open(path).with_context(|| format!("reading {name}"))?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .buffer_capacity(buffer)
        .from_reader(LineCounting::new(file, buffer));
    let headers = reader
        .headers()
        .with_context(|| format!("{name}: the header row is not readable CSV"))?;
    let columns = Columns::of(headers, name, stock_default)?;
    let mut record = csv::StringRecord::new();
    Ok(Box::new(std::iter::from_fn(move || {
        loop {
            // Where the next record starts: after blank lines, on its first
            // line (asked before the record is read: a long one would leave
            // its start behind what the counting reader keeps).
            let start = reader.position().byte();
            let line = reader.get_mut().line_at(start);
            let read = reader.read_record(&mut record);
            return match read {
                Ok(false) => None,
                Err(e) => Some(Item::Bad {
                    line,
                    reason: format!("not readable CSV ({e})"),
                }),
                // A line of white space only is a blank line.
                Ok(true) if record.len() == 1 && record[0].trim().is_empty() => continue,
                Ok(true)
                    if record.len() < columns.width && record.iter().any(|f| f.contains('\n')) =>
                {
                    let after = reader.position().byte();
                    let last = reader.get_mut().line_at(after).saturating_sub(1).max(line);
                    Some(Item::Bad {
                        line,
                        reason: format!(
                            "a quoted field opened on this line runs on to line {last} (an \
                             unterminated quote?); the lines inside it were not read as rows"
                        ),
                    })
                }
                Ok(true) => Some(columns.item(&record, line)),
            };
        }
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
    fn of(headers: &csv::StringRecord, name: &str, stock_default: bool) -> Result<Columns> {
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

    /// A CSV record as a row.
    fn item(&self, record: &csv::StringRecord, line: u64) -> Item {
        let field = |i: Option<usize>| {
            i.and_then(|i| record.get(i))
                .map(str::to_string)
                .filter(|v| !v.is_empty())
        };
        match field(Some(self.code)) {
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

    #[test]
    fn the_hash_is_sha256() {
        let f = file("abc");
        assert_eq!(
            sha256(f.path()).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
