//! The ledger: every return wxcoupon sends, single or batch, recorded under
//! the state folder (`$WXCOUPON_STATE_DIR`, else the profile's `ledger_dir`,
//! else `$XDG_STATE_HOME/wxcoupon/`, else `~/.local/state/wxcoupon/`).
//!
//! - Layout: one file per month, `YYYY-MM.jsonl` (the month of the record's
//!   time, China Standard Time as WeChat Pay's times), so that `history
//!   --since` reads only the months it asks for; the folder is 0700, the
//!   files 0600; neither the default folder nor any file is opened through a
//!   link (a folder named with `WXCOUPON_STATE_DIR` or `ledger_dir` is the
//!   user's choice and may be one).
//! - Format: the batch journal's, documented once in `batch::journal`: JSON
//!   Lines, a `sending` record (fsync'd before the request leaves) and an
//!   `outcome` record after, with the ledger's own fields added: `time`,
//!   `profile`, `mchid`, and in an outcome `coupon_code`, `stock_id`,
//!   `request_id` and `message` (so an outcome reads alone). `line` is the
//!   batch input's line, 0 for a single return. `scan::Entry` reads a line.
//! - Writing: `append`, with the journal's writer (each record whole or cut
//!   back, then fsync), under a lock on the file held only while writing:
//!   several processes append at once, no line torn. A half-written last
//!   line is cut off by the next append, as the journal's is; damage before
//!   it is said with its file and line, and left out (`scan`).
//! - Decisions where issue 17 is silent:
//!   - The folder: `--no-ledger`, then `ledger = false`, then
//!     `WXCOUPON_STATE_DIR`, then `ledger_dir`, then an absolute
//!     `XDG_STATE_HOME`, then `HOME`. Times are RFC 3339 at +08:00 to the
//!     second; the order of records is the order of lines.
//!   - A ledger that cannot be read for a lookup is said on stderr and the
//!     return goes on as without a ledger entry; an outcome that cannot be
//!     recorded after the send is a warning (the return happened; the
//!     ledger then shows it as sent without an answer, so the plain command
//!     resumes it with its number, which is safe). A dry run neither reads
//!     nor writes the ledger.
//!   - A coupon is its code and stock, whatever the profile. Only
//!     `returned` and `rejected` close its return; anything else is resumed.
//!   - The usable-coupon rule (`reuse`) is the plain command's only, and
//!     looks for the coupon's last `returned` outcome anywhere (not only its
//!     last record), so a third run stays green too; the ledger records
//!     WeChat Pay's real answer (`rejected`, `RULE_LIMIT`, the new number).
//!   - A batch's row: the ledger's `sending` before the journal's (so the
//!     journal's still means "sent"); the journal, not the ledger, decides
//!     what a re-run resumes. Its number is checked against `known` (each
//!     month file read once, then only what was appended), and scanned for
//!     exactly only when it may be held: a batch stays linear in its rows.
//!   - `"from_ledger"` is in the JSON only when true.

mod append;
pub mod history;
mod known;
pub mod reuse;
pub mod scan;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result, bail};
use serde::Serialize;

use crate::batch::journal::Record;
use crate::env::Env;
use crate::profile::Profile;
use crate::report::Report;
use crate::request::ReturnRequest;
pub use scan::Entry;

/// The default folder's mode: private.
pub const DIR_MODE: u32 = 0o700;

/// Who returns: recorded with every record.
#[derive(Debug, Clone, Serialize)]
pub struct Who {
    pub profile: String,
    pub mchid: String,
}

/// Where the ledger is, and who chose it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub dir: PathBuf,
    /// `WXCOUPON_STATE_DIR` or `ledger_dir`: the user's choice.
    pub named: bool,
}

/// The ledger's folder for this run: none when it is off (`--no-ledger`,
/// `ledger = false`).
pub fn place(env: &Env, dir: Option<&Path>, on: bool) -> Result<Option<Place>> {
    if !on {
        return Ok(None);
    }
    let named = |d: PathBuf| {
        Ok(Some(Place {
            dir: d,
            named: true,
        }))
    };
    if let Some(d) = &env.state_dir {
        // As for WXCOUPON_CONFIG: set but empty is a mistake, not "unset"; and
        // a relative folder would be another ledger in every current folder
        // (a cron job's lookups would miss the person's).
        let d = PathBuf::from(d);
        if d.as_os_str().is_empty() {
            bail!(
                "WXCOUPON_STATE_DIR is set but empty; set it to the ledger's folder, or unset it \
                 (the default is ~/.local/state/wxcoupon); nothing was sent"
            );
        }
        if !d.is_absolute() {
            bail!(
                "WXCOUPON_STATE_DIR {}: the ledger's folder must be an absolute path (a relative \
                 one would be another ledger in every current folder); nothing was sent",
                d.display()
            );
        }
        return named(d);
    }
    if let Some(d) = dir {
        return named(d.to_path_buf());
    }
    // XDG: a relative XDG_STATE_HOME is ignored.
    let xdg = env
        .xdg_state_home
        .as_ref()
        .filter(|x| Path::new(x).is_absolute());
    let base = match (xdg, &env.home) {
        (Some(x), _) => PathBuf::from(x),
        (None, Some(h)) => Path::new(h).join(".local/state"),
        (None, None) => bail!(
            "no folder for the ledger: neither XDG_STATE_HOME nor HOME is set; nothing was sent. \
             Set WXCOUPON_STATE_DIR to a folder, or pass --no-ledger"
        ),
    };
    Ok(Some(Place {
        dir: base.join("wxcoupon"),
        named: false,
    }))
}

/// The ledger of a run with `profile`: none when it is off (`--no-ledger`:
/// `off`, or `ledger = false`); an error when it cannot be written.
pub fn for_profile(env: &Env, profile: &Profile, off: bool) -> Result<Option<Ledger>> {
    let Some(place) = place(env, profile.ledger_dir.as_deref(), profile.ledger && !off)? else {
        return Ok(None);
    };
    let who = Who {
        profile: profile.name.clone(),
        mchid: profile.mchid.clone(),
    };
    Ledger::open(&place, who).map(Some)
}

/// The ledger of this run.
#[derive(Debug)]
pub struct Ledger {
    pub dir: PathBuf,
    who: Who,
    warnings: Mutex<Vec<String>>,
    /// The numbers a batch's rows are checked against (`known`).
    known: Mutex<known::Known>,
}

impl Ledger {
    /// The ledger at `place`: its folder made (0700) if need be, and this
    /// month's file opened for appending, so that a ledger that cannot be
    /// written is an error before anything is sent.
    pub fn open(place: &Place, who: Who) -> Result<Ledger> {
        let dir = &place.dir;
        folder(place)?;
        let ledger = Ledger {
            dir: dir.clone(),
            who,
            warnings: Mutex::new(Vec::new()),
            known: Mutex::new(known::Known::default()),
        };
        append::open(&ledger.file(&now())).context(
            "the ledger cannot be written (on a read-only machine, pass --no-ledger or set \
             `ledger = false` in the profile; or set WXCOUPON_STATE_DIR to a folder you can write)",
        )?;
        Ok(ledger)
    }

    /// The `sending` record of a request about to leave, on disk when this
    /// returns. `line`: the batch input's line, 0 for a single return.
    pub fn sending(&self, line: u64, req: &ReturnRequest) -> Result<()> {
        let record = Record::Sending {
            line,
            coupon_code: req.coupon_code.clone(),
            stock_id: req.stock_id.clone(),
            return_request_no: req.return_request_no.clone(),
        };
        self.write(&record, None)
    }

    /// The `outcome` record of a sent request.
    pub fn outcome(&self, line: u64, report: &Report) -> Result<()> {
        let about = Outcome {
            coupon_code: report.subject.coupon_code.clone().unwrap_or_default(),
            stock_id: report.subject.stock_id.clone().unwrap_or_default(),
            request_id: report.delivery.request_id.clone(),
        };
        self.write(&Record::outcome(line, report), Some(about))
    }

    fn write(&self, record: &Record, outcome: Option<Outcome>) -> Result<()> {
        let time = now();
        let written = Written {
            record,
            time: &time,
            who: &self.who,
            outcome,
        };
        let path = self.file(&time);
        let said = append::append(&path, &written)
            .with_context(|| format!("recording the return in the ledger {}", path.display()))?;
        self.say(said);
        Ok(())
    }

    /// The file of the month of `time`.
    fn file(&self, time: &str) -> PathBuf {
        self.dir
            .join(format!("{}.jsonl", &time[..7.min(time.len())]))
    }

    pub fn say(&self, warning: impl IntoIterator<Item = String>) {
        if let Ok(mut w) = self.warnings.lock() {
            w.extend(warning);
        }
    }

    /// What the ledger has to say (damage cut off or left out), once.
    pub fn take_warnings(&self) -> Vec<String> {
        self.warnings
            .lock()
            .map(|mut w| std::mem::take(&mut *w))
            .unwrap_or_default()
    }

    /// The last record of a coupon: from the newest month that has one.
    pub fn last_of(&self, code: &str, stock: &str) -> Result<Option<Entry>> {
        self.last_where(code, stock, |_| true)
    }

    /// The last `returned` outcome of a coupon.
    pub fn last_returned(&self, code: &str, stock: &str) -> Result<Option<Entry>> {
        self.last_where(code, stock, |e| e.outcome.as_deref() == Some("returned"))
    }

    /// The last record of a coupon that `pick` takes.
    fn last_where(
        &self,
        code: &str,
        stock: &str,
        pick: impl Fn(&Entry) -> bool,
    ) -> Result<Option<Entry>> {
        let needle = scan::needle("coupon_code", code);
        let mut warnings = Vec::new();
        let mut last = None;
        for path in scan::months(&self.dir)?.iter().rev() {
            scan::each(path, &needle, &mut warnings, |e| {
                // A merchant's own records: request numbers and coupons are
                // WeChat Pay's per merchant (the emulator's sample merchant
                // shares the ledger with the real one).
                if e.mchid == self.who.mchid
                    && e.coupon_code == code
                    && e.stock_id == stock
                    && pick(&e)
                {
                    last = Some(e);
                }
            })?;
            if last.is_some() {
                break;
            }
        }
        self.say(warnings);
        Ok(last)
    }

    /// The first record of a request number, in any month.
    pub fn holder_of(&self, request_no: &str) -> Result<Option<Entry>> {
        let needle = scan::needle("return_request_no", request_no);
        let mut warnings = Vec::new();
        let mut first = None;
        for path in scan::months(&self.dir)? {
            scan::each(&path, &needle, &mut warnings, |e| {
                if first.is_none() && e.mchid == self.who.mchid && e.return_request_no == request_no
                {
                    first = Some(e);
                }
            })?;
            if first.is_some() {
                break;
            }
        }
        self.say(warnings);
        Ok(first)
    }
}

impl reuse::Lookups for Ledger {
    fn holder_of(&self, request_no: &str) -> Result<Option<Entry>> {
        Ledger::holder_of(self, request_no)
    }
    fn last_of(&self, code: &str, stock: &str) -> Result<Option<Entry>> {
        Ledger::last_of(self, code, stock)
    }
    fn last_returned(&self, code: &str, stock: &str) -> Result<Option<Entry>> {
        Ledger::last_returned(self, code, stock)
    }
    fn say(&self, warnings: Vec<String>) {
        Ledger::say(self, warnings)
    }
}

/// A batch records its rows here as well as in its journal.
impl crate::batch::Recorder for Ledger {
    fn refuses(&self, input: &crate::engine::ReturnInput) -> Option<String> {
        let mut warnings = Vec::new();
        let no = &input.request.return_request_no;
        let may = match self.known.lock() {
            Ok(mut known) => known.may_hold(&self.dir, no, &mut warnings),
            Err(_) => Ok(true),
        };
        self.say(warnings);
        match may {
            // Certain: no record of the ledger has this number.
            Ok(false) => None,
            // Held, or cannot tell: the exact scan, which says what it cannot read.
            Ok(true) | Err(_) => reuse::held_elsewhere(self, &input.request),
        }
    }
    fn sending(&self, line: u64, input: &crate::engine::ReturnInput) -> Result<()> {
        Ledger::sending(self, line, &input.request)
    }
    fn outcome(&self, line: u64, report: &Report) -> Result<()> {
        Ledger::outcome(self, line, report)
    }
}

/// A journal record with the ledger's fields: one line of the ledger.
#[derive(Serialize)]
struct Written<'a> {
    #[serde(flatten)]
    record: &'a Record,
    time: &'a str,
    #[serde(flatten)]
    who: &'a Who,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    outcome: Option<Outcome>,
}

/// What an `outcome` record adds, so that it reads alone (its `message` is
/// the journal record's own).
#[derive(Serialize)]
struct Outcome {
    coupon_code: String,
    stock_id: String,
    request_id: Option<String>,
}

/// Now, RFC 3339 at +08:00, to the second (the order of the records is the
/// order of the lines).
pub fn now() -> String {
    let t = time::OffsetDateTime::now_utc();
    crate::cst::rfc3339(t.replace_nanosecond(0).unwrap_or(t))
}

/// The ledger's folder: made private if it is not there; the default one
/// never a link, and the user's own.
fn folder(place: &Place) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let dir = &place.dir;
    let meta = match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            crate::files::create_dir(dir, DIR_MODE).with_context(|| {
                format!(
                    "making the ledger's folder {}; nothing was sent. Set WXCOUPON_STATE_DIR to \
                     a folder you can write, or pass --no-ledger on a read-only machine",
                    dir.display()
                )
            })?;
            std::fs::symlink_metadata(dir)
        }
        meta => meta,
    }
    .with_context(|| format!("opening the ledger's folder {}", dir.display()))?;
    if meta.is_symlink() && !place.named {
        bail!(
            "the ledger's folder {} is a symbolic link; nothing was sent. The default state \
             folder is never used through a link: remove it, or set WXCOUPON_STATE_DIR",
            dir.display()
        );
    }
    if !place.named && meta.uid() != rustix::process::geteuid().as_raw() {
        bail!(
            "the ledger's folder {} belongs to another user (uid {}); nothing was sent",
            dir.display(),
            meta.uid()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests;
