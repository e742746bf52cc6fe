//! A re-run replays the journal: what each line last became, and with
//! which number; how much of the file is good (a half-written last line is
//! left out, damage before it refused); a request number recorded for two
//! lines marks both.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::{Context, Result, bail};

use super::record::{Record, Recorded, VERSION, coupon_key, number_key};
use crate::exit::Kind;

/// The run a journal is replayed for: the journal's place (for messages),
/// and the input and `--stock` it must belong to.
pub struct ThisRun<'a> {
    pub path: &'a Path,
    pub input_sha256: &'a str,
    pub stock_default: Option<&'a str>,
}

/// The state of each line; the length of the good part; warnings. Streamed:
/// one record in memory at a time.
pub fn replay(
    this: &ThisRun,
    file: &mut File,
) -> Result<(HashMap<u64, Recorded>, u64, Vec<String>)> {
    let path = this.path;
    let mut state: HashMap<u64, Recorded> = HashMap::new();
    let mut warnings = Vec::new();
    let mut reader = BufReader::new(file);
    let mut good: u64 = 0;
    let mut raw = Vec::new();
    let mut number = 0;
    let mut numbers = Numbers::default();
    loop {
        raw.clear();
        let n = reader
            .read_until(b'\n', &mut raw)
            .with_context(|| format!("reading the journal {}", path.display()))?;
        if n == 0 {
            break;
        }
        number += 1;
        if raw.iter().all(u8::is_ascii_whitespace) && raw.ends_with(b"\n") {
            // A blank line (a hand edit): nothing to replay.
            good += n as u64;
            continue;
        }
        let parsed = std::str::from_utf8(&raw)
            .ok()
            .filter(|text| text.ends_with('\n'))
            .and_then(|text| serde_json::from_str::<Record>(text.trim_end()).ok());
        let Some(record) = parsed else {
            let at_end = reader
                .fill_buf()
                .map(|rest| rest.is_empty())
                .unwrap_or(false);
            // Line 1 is a header, or the start of one cut short by a kill.
            if number == 1 && !(at_end && raw.starts_with(b"{\"record\":\"header\"")) {
                bail!(
                    "{} is not a wxcoupon journal (its first line is not a journal header); nothing \
                     was sent and the file was not changed. Give another --journal FILE",
                    path.display()
                );
            }
            if at_end {
                warnings.push(format!(
                    "the journal {} ends in a half-written line (line {number}; the process was killed \
                     while writing it?): it is cut off, and that row is resumed",
                    path.display()
                ));
                break;
            }
            bail!(
                "the journal {} is damaged at line {number}: it is not a journal record; nothing was \
                 sent. Start over with --journal NEW (or remove the journal)",
                path.display()
            );
        };
        good += n as u64;
        numbers.note(&record);
        apply(this, number, record, &mut state)?;
    }
    numbers.mark(&mut state);
    Ok((state, good, warnings))
}

/// Request numbers recorded for two lines: a hand-edited or mixed-up
/// journal. Such a number could "confirm" one row with another row's
/// return, so both rows are refused.
#[derive(Default)]
struct Numbers {
    first_line: HashMap<u64, u64>,
    clashes: Vec<(u64, u64)>,
}

impl Numbers {
    fn note(&mut self, record: &Record) {
        let (Record::Sending {
            line,
            return_request_no,
            ..
        }
        | Record::Outcome {
            line,
            return_request_no,
            ..
        }) = record
        else {
            return;
        };
        let key = number_key(return_request_no);
        match self.first_line.get(&key) {
            Some(first) if first != line => self.clashes.push((*first, *line)),
            Some(_) => {}
            None => {
                self.first_line.insert(key, *line);
            }
        }
    }

    fn mark(self, state: &mut HashMap<u64, Recorded>) {
        for (a, b) in self.clashes {
            if let Some(r) = state.get_mut(&a) {
                r.clash = Some(b);
            }
            if let Some(r) = state.get_mut(&b) {
                r.clash = Some(a);
            }
        }
    }
}

/// One journal record replayed onto the state of the lines.
fn apply(
    this: &ThisRun,
    number: u64,
    record: Record,
    state: &mut HashMap<u64, Recorded>,
) -> Result<()> {
    match record {
        Record::Header {
            version,
            input_sha256: sha,
            stock_default: stock,
            ..
        } => check_header(this, number, version, &sha, stock.as_deref())?,
        _ if number == 1 => bail!(
            "the journal {} does not start with its header; nothing was sent. Start over with \
             --journal NEW (or remove the journal)",
            this.path.display()
        ),
        Record::Sending {
            line,
            return_request_no,
            coupon_code,
            stock_id,
        } => {
            state.insert(
                line,
                Recorded {
                    coupon: Some(coupon_key(&stock_id, &coupon_code)),
                    return_request_no: return_request_no.into(),
                    ..Recorded::default()
                },
            );
        }
        Record::Outcome {
            line,
            outcome,
            return_request_no,
            code,
            wechatpay_return_time,
            confirmed_by_retry,
            message,
            explanation,
        } => {
            let coupon = state.get(&line).and_then(|r| r.coupon);
            state.insert(
                line,
                Recorded {
                    coupon,
                    return_request_no: return_request_no.into(),
                    outcome: Some(outcome_kind(&outcome)),
                    code: code.map(String::into_boxed_str),
                    message_recorded: message.is_some(),
                    message: message.flatten().map(String::into_boxed_str),
                    explanation: explanation.map(String::into_boxed_str),
                    wechatpay_return_time: wechatpay_return_time.map(String::into_boxed_str),
                    confirmed_by_retry,
                    clash: None,
                },
            );
        }
    }
    Ok(())
}

/// A header: only on line 1, of this version, for this run's input and
/// `--stock`.
fn check_header(
    this: &ThisRun,
    number: u64,
    version: u32,
    sha: &str,
    stock: Option<&str>,
) -> Result<()> {
    let path = this.path.display();
    if number != 1 || version != VERSION {
        bail!(
            "the journal {path} has a header at line {number} of version {version}; it is not a \
             journal of this wxcoupon (version {VERSION})"
        );
    }
    if sha != this.input_sha256 || stock != this.stock_default {
        bail!(
            "the journal {path} belongs to another input (or another --stock): it records input \
             SHA-256 {sha} and --stock {}, this run has {} and {}. To start over for this input, \
             pass --journal NEW, or remove the old journal (after checking that its unknown rows \
             are settled)",
            stock.unwrap_or("(none)"),
            this.input_sha256,
            this.stock_default.unwrap_or("(none)")
        );
    }
    Ok(())
}

/// An outcome record's `outcome` as a kind: `returned`, `rejected` or
/// `unverified`; anything else is `unknown` (so the row is resumed, which is
/// always safe).
fn outcome_kind(outcome: &str) -> Kind {
    match Kind::from_name(outcome) {
        Some(kind @ (Kind::Returned | Kind::Rejected | Kind::Unverified)) => kind,
        _ => Kind::Unknown,
    }
}
