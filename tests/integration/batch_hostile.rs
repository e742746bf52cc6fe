//! `wxcoupon return --batch` under attack (issue 14): a link planted where
//! the journal goes, a permissive umask, a disk that fills up in the middle
//! of a batch, a record that never ends. Against the emulator, whose log
//! line `USED -> SENDED` is the proof of a return: no coupon may have two.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::batch::{requests_in_log, returns_in_log};
use crate::common::*;
use crate::emulator::{Emu, emulator};

const STOCK: &str = "9856000";

/// A folder with `in.csv` of `n` rows, and an emulator that has those `n`
/// used coupons.
fn coupons_and_input(n: usize) -> (tempfile::TempDir, Emu, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let list: Vec<serde_json::Value> = (1..=n)
        .map(|i| serde_json::json!({"coupon_code": format!("C{i:04}"), "stock_id": STOCK, "state": "USED"}))
        .collect();
    let coupons = dir.path().join("coupons.json");
    std::fs::write(&coupons, serde_json::to_string(&list).unwrap()).unwrap();
    let emu = emulator(None, &["--coupons", coupons.to_str().unwrap()]);
    let input = dir.path().join("in.csv");
    let mut csv = String::from("coupon_code,stock_id\n");
    for i in 1..=n {
        csv.push_str(&format!("C{i:04},{STOCK}\n"));
    }
    std::fs::write(&input, csv).unwrap();
    (dir, emu, input)
}

/// `wxcoupon --config EMU return ARGS` started by `sh -c SHELL` (which
/// ends in `exec "$@"`): a umask, a file size limit.
fn ret_in_shell(emu: &Emu, shell: &str, args: &[&str]) -> Out {
    let mut c = assert_cmd::Command::new("sh");
    c.env_clear()
        .env("HOME", emu.home.path())
        .args(["-c", shell, "sh"])
        .arg(assert_cmd::cargo::cargo_bin("wxcoupon"))
        .arg("--config")
        .arg(&emu.config)
        .arg("return")
        .args(args);
    run(&mut c)
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A link planted where the default journal goes (a shared folder) is
/// refused, naming it, and nothing is written through it; a journal the
/// user names with --journal may be a link, since the user chose it.
#[test]
fn a_link_planted_at_the_default_journal_is_refused_and_nothing_written_through_it() {
    let (dir, emu, input) = coupons_and_input(2);
    let elsewhere = tempfile::tempdir().unwrap();
    let target = elsewhere.path().join("x");
    let planted = dir.path().join("in.csv.journal");
    std::os::unix::fs::symlink(&target, &planted).unwrap();
    let out = emu.ret(&["--batch", input.to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        format!(
            "wxcoupon: error: the journal {} is a symbolic link; nothing was sent. The journal \
             beside the input is never opened through a link (one planted in a shared folder \
             would make the batch write elsewhere): remove the link, or name the journal you \
             mean with --journal FILE\n",
            planted.display()
        )
    );
    assert!(!target.exists(), "written through the link");
    assert_eq!(requests_in_log(&emu), 0);

    // Named with --journal, the same link is the user's choice.
    let out = emu.ret(&[
        "--batch",
        input.to_str().unwrap(),
        "--journal",
        planted.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = std::fs::read_to_string(&target).unwrap();
    assert_eq!(text.matches("\"record\":\"outcome\"").count(), 2, "{text}");
    assert!(std::fs::symlink_metadata(&planted).unwrap().is_symlink());
}

/// A journal that another user left where the default journal goes (a
/// shared folder), with a header for this very input, could mark rows
/// returned: it is refused. So is a journal that is not a regular file.
#[test]
fn a_default_journal_of_another_user_or_not_a_file_is_refused() {
    let (dir, emu, input) = coupons_and_input(2);
    let planted = dir.path().join("in.csv.journal");
    std::fs::write(&planted, "").unwrap();
    std::os::unix::fs::chown(&planted, Some(4242), Some(4242)).unwrap();
    let out = emu.ret(&["--batch", input.to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        format!(
            "wxcoupon: error: the journal {} belongs to another user (uid 4242); nothing was sent. \
             The journal beside the input is used only if it is yours (another user could have \
             written rows into it): remove it, or name the journal you mean with --journal FILE\n",
            planted.display()
        )
    );
    assert_eq!(std::fs::read(&planted).unwrap(), b"");
    assert_eq!(requests_in_log(&emu), 0);

    std::fs::remove_file(&planted).unwrap();
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&planted)
            .status()
            .unwrap()
            .success()
    );
    for named in [false, true] {
        let mut args = vec!["--batch", input.to_str().unwrap()];
        if named {
            args.extend(["--journal", planted.to_str().unwrap()]);
        }
        let out = emu.ret(&args);
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert_eq!(
            out.stderr,
            format!(
                "wxcoupon: error: the journal {} is not a regular file (a named pipe, a device?); \
                 nothing was sent. Give --journal FILE\n",
                planted.display()
            )
        );
    }
    assert_eq!(requests_in_log(&emu), 0);
}

/// Under `umask 000` the journal, which holds the request numbers, is still
/// the user's alone.
#[test]
fn the_journal_is_private_whatever_the_umask() {
    let (dir, emu, input) = coupons_and_input(4);
    std::fs::write(
        &input,
        format!("coupon_code,stock_id\nC0001,{STOCK}\nC0002,{STOCK}\n"),
    )
    .unwrap();
    let out = ret_in_shell(
        &emu,
        "umask 000; exec \"$@\"",
        &["--batch", input.to_str().unwrap()],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(mode(&dir.path().join("in.csv.journal")), 0o600);
    let other = dir.path().join("other.csv");
    std::fs::write(
        &other,
        format!("coupon_code,stock_id\nC0003,{STOCK}\nC0004,{STOCK}\n"),
    )
    .unwrap();
    let named = dir.path().join("named.journal");
    let out = ret_in_shell(
        &emu,
        "umask 000; exec \"$@\"",
        &[
            "--batch",
            other.to_str().unwrap(),
            "--journal",
            named.to_str().unwrap(),
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(mode(&named), 0o600);
    let returns = returns_in_log(&emu);
    assert_eq!(returns.len(), 4);
    assert!(returns.values().all(|n| *n == 1), "{returns:?}");
}

/// `text` as shapes: the journal as `[JOURNAL]`, `dir` as `[DIR]`, the
/// emulator's config as `[CONFIG]`, every number as `N` and a list of
/// numbers as one.
fn shapes(text: &str, journal: &Path, dir: &Path, emu: &Emu) -> Vec<String> {
    let text = text
        .replace(&journal.display().to_string(), "[JOURNAL]")
        .replace(&emu.config.display().to_string(), "[CONFIG]")
        .replace(&dir.display().to_string(), "[DIR]");
    let mut out = String::new();
    let mut digits = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !digits {
                out.push('N');
            }
            digits = true;
        } else {
            out.push(c);
            digits = false;
        }
    }
    while out.contains("N, N") {
        out = out.replace("N, N", "N");
    }
    out.lines().map(String::from).collect()
}

/// The records of a journal: each line whole JSON, none half-written.
fn records(journal: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(journal).unwrap();
    assert!(text.ends_with('\n'), "a half-written record:\n{text}");
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}\n{text}")))
        .collect()
}

/// The lines of a journal's records of one kind.
fn lines_of(records: &[serde_json::Value], kind: &str) -> BTreeSet<u64> {
    records
        .iter()
        .filter(|r| r["record"] == kind)
        .map(|r| r["line"].as_u64().unwrap())
        .collect()
}

/// The journal of a batch stopped by a failing disk: whole records; every
/// row sent has its `sending` record (and was sent once), every row sent
/// without an outcome record is said in `stderr`, which has nothing but
/// the errors, what became of the outcomes kept, and the summary.
fn check_stopped_by_the_disk(dir: &Path, emu: &Emu, journal: &Path, first: &Out, error: &str) {
    assert_eq!(first.code, 4, "{}", first.stderr);
    let recs = records(journal);
    let (sent, answered) = (lines_of(&recs, "sending"), lines_of(&recs, "outcome"));
    assert!(answered.is_subset(&sent));
    assert_eq!(
        requests_in_log(emu),
        sent.len(),
        "sent only with its record"
    );
    let shapes = shapes(&first.stderr, journal, dir, emu);
    let errors = shapes
        .iter()
        .take_while(|l| l.starts_with("wxcoupon: error: "))
        .count();
    assert!(errors > 0, "{}", first.stderr);
    let failed = format!("wxcoupon: error: line N: writing the journal [JOURNAL]: {error}");
    for l in &shapes[..errors] {
        assert!(
            *l == format!("{failed}{NOT_SENT}") || *l == format!("{failed}{KEPT}"),
            "{l}"
        );
    }
    let mut rest: Vec<&str> = shapes[errors..].iter().map(String::as_str).collect();
    if rest.first() == Some(&"batch: the outcomes kept of line(s) N are in the journal now") {
        rest.remove(0);
    }
    let unwritten: BTreeSet<u64> = sent.difference(&answered).copied().collect();
    if !unwritten.is_empty() {
        assert_eq!(rest.remove(0), format!("{UNWRITTEN}N{RESUMED}"));
        let said = first.stderr.lines().find(|l| l.starts_with(UNWRITTEN));
        let listed: BTreeSet<u64> = said.unwrap()[UNWRITTEN.len()..]
            .split(RESUMED)
            .next()
            .unwrap()
            .split(", ")
            .map(|n| n.parse().unwrap())
            .collect();
        assert_eq!(listed, unwritten);
    }
    assert_eq!(rest.remove(0), SUMMARY);
    let interrupted = rest.remove(0);
    assert!(
        interrupted
            == "batch: interrupted: N queued row(s) were not started, nor the rows after line N. \
                Resume with the same command:"
            || interrupted
                == "batch: interrupted: N queued row(s) were not started. Resume with the same \
                    command:",
        "{interrupted}"
    );
    assert_eq!(rest.len(), 1, "{}", first.stderr);
    let again = "    wxcoupon --config [CONFIG] return --batch [DIR]/in.csv ";
    assert!(rest[0].starts_with(again), "{}", rest[0]);
}

const NOT_SENT: &str = "; the batch stops, since no row is sent without its journal record";
const KEPT: &str = "; the batch stops. The row was sent: its outcome is kept, to be written to \
                    the journal as soon as it can be";
const UNWRITTEN: &str = "batch: the outcomes of line(s) ";
const RESUMED: &str = " could not be written to the journal (they are printed above): the \
                       re-run resumes those rows with their own request numbers, which never \
                       returns a coupon twice";
const SUMMARY: &str = "batch: N row(s): N returned now; N sent in N.N s (N.N/s); journal [JOURNAL]";

/// The summary of a re-run: some rows settled by the journal, maybe some
/// resumed or sent now. Which one depends on how far the first run got
/// before the disk stopped it (threads and scheduling decide): a first run
/// whose journal filled up before any outcome was written leaves every row
/// to be returned now (seen under load).
const RE_RUN_SUMMARIES: [&str; 3] = [
    "batch: N row(s): N returned now, N already returned (journal); N sent in N.N s (N.N/s); \
     journal [JOURNAL]",
    "batch: N row(s): N already returned (journal); N sent in N.N s (N.N/s); journal [JOURNAL]",
    SUMMARY,
];

/// The re-run after the disk has room again: it resumes, every row
/// returned, each coupon exactly once, each row with its own number.
fn check_the_re_run(dir: &Path, emu: &Emu, journal: &Path, again: &Out, rows: usize) {
    assert_eq!(again.code, 0, "{}", again.stderr);
    let said = shapes(&again.stderr, journal, dir, emu);
    assert!(
        said.len() == 1 && RE_RUN_SUMMARIES.contains(&said[0].as_str()),
        "{said:?}"
    );
    assert_eq!(again.stdout.lines().count(), rows);
    assert!(
        again.stdout.lines().all(|l| l.contains("  returned  ")),
        "{}",
        again.stdout
    );
    let returns = returns_in_log(emu);
    assert_eq!(returns.len(), rows);
    assert!(returns.values().all(|n| *n == 1), "{returns:?}");
    let mut numbers: BTreeMap<u64, BTreeSet<String>> = BTreeMap::new();
    for r in records(journal).iter().filter(|r| r["record"] != "header") {
        let no = r["return_request_no"].as_str().unwrap().to_string();
        numbers
            .entry(r["line"].as_u64().unwrap())
            .or_default()
            .insert(no);
    }
    assert_eq!(numbers.len(), rows);
    assert!(numbers.values().all(|n| n.len() == 1), "{numbers:?}");
}

/// A file size limit (`prlimit --fsize`, with SIGXFSZ ignored: a write past
/// it fails with EFBIG, as on a full disk) stops the batch in the middle:
/// the journal holds only whole records, each row sent has its record, the
/// outcomes that could not be written are said, and the re-run resumes.
#[test]
fn a_file_size_limit_stops_the_batch_with_a_whole_journal_and_the_re_run_resumes() {
    const ROWS: usize = 20;
    let (dir, emu, input) = coupons_and_input(ROWS);
    let journal = dir.path().join("in.csv.journal");
    let first = ret_in_shell(
        &emu,
        "trap '' XFSZ; exec prlimit --fsize=1200 \"$@\"",
        // The limit is the journal's: the ledger (issue 17), limited too,
        // would add its own errors to the output this test reads.
        &[
            "--batch",
            input.to_str().unwrap(),
            "--rate",
            "0",
            "--no-ledger",
        ],
    );
    check_stopped_by_the_disk(
        dir.path(),
        &emu,
        &journal,
        &first,
        "File too large (os error N)",
    );
    assert!(std::fs::metadata(&journal).unwrap().len() <= 1200);
    let again = emu.ret(&["--batch", input.to_str().unwrap(), "--rate", "0"]);
    check_the_re_run(dir.path(), &emu, &journal, &again, ROWS);
}

/// A small tmpfs, unmounted when dropped.
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    /// None where a tmpfs cannot be mounted (not root, a container that
    /// forbids it).
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        mounted.then_some(Tmpfs(dir))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.0.path())
            .status();
    }
}

/// Fills the folder's file system but for one page, with `filler`.
fn fill_but_one_page(filler: &Path) {
    use std::io::Write;
    let mut f = std::fs::File::create(filler).unwrap();
    let page = [b'x'; 4096];
    while f.write_all(&page).is_ok() {}
    let len = std::fs::metadata(filler).unwrap().len() / 4096 * 4096;
    f.set_len(len - 4096).unwrap();
}

/// The case, on a real full disk: the journal's tmpfs fills up in
/// the middle of a batch, while rows are in flight (every answer is held
/// back 2 s), and frees again as soon as the batch says it stops. The
/// outcomes that come after are written on whole records only: the re-run
/// resumes every row with its own number (it refused the journal as
/// damaged before).
#[test]
fn a_disk_that_fills_up_and_frees_again_mid_batch_leaves_a_journal_the_re_run_resumes() {
    let Some(tmpfs) = Tmpfs::mount("64k") else {
        eprintln!("skipped: a tmpfs cannot be mounted here");
        return;
    };
    const ROWS: usize = 40;
    let dir = tempfile::tempdir().unwrap();
    let list: Vec<serde_json::Value> = (1..=ROWS)
        .map(|i| serde_json::json!({"coupon_code": format!("C{i:04}"), "stock_id": STOCK, "state": "USED"}))
        .collect();
    let coupons = dir.path().join("coupons.json");
    std::fs::write(&coupons, serde_json::to_string(&list).unwrap()).unwrap();
    let emu = emulator(
        None,
        &[
            "--coupons",
            coupons.to_str().unwrap(),
            "--fault",
            "delay:32",
            "--delay",
            "2",
        ],
    );
    let input = dir.path().join("in.csv");
    let mut csv = String::from("coupon_code,stock_id\n");
    for i in 1..=ROWS {
        csv.push_str(&format!("C{i:04},{STOCK}\n"));
    }
    std::fs::write(&input, csv).unwrap();
    let journal = tmpfs.0.path().join("in.journal");
    let filler = tmpfs.0.path().join("filler");
    fill_but_one_page(&filler);
    let args = [
        "--batch",
        input.to_str().unwrap(),
        "--journal",
        journal.to_str().unwrap(),
        "--rate",
        "0",
        "--concurrency",
        "16",
    ];
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("wxcoupon"))
        .env_clear()
        .env("HOME", emu.home.path())
        .arg("--config")
        .arg(&emu.config)
        .arg("return")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let printed = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap());
    // As soon as the batch says it stops, the disk frees again.
    let mut stderr = String::new();
    for line in std::io::BufRead::lines(std::io::BufReader::new(child.stderr.take().unwrap())) {
        let line = line.unwrap();
        if line.starts_with("wxcoupon: error: ") && filler.exists() {
            std::fs::remove_file(&filler).unwrap();
        }
        stderr.push_str(&line);
        stderr.push('\n');
    }
    let first = Out {
        code: child.wait().unwrap().code().unwrap_or(-1),
        stdout: printed.join().unwrap(),
        stderr,
    };
    assert!(
        !filler.exists(),
        "the disk never filled up:\n{}",
        first.stderr
    );
    check_stopped_by_the_disk(
        dir.path(),
        &emu,
        &journal,
        &first,
        "No space left on device (os error N)",
    );
    let again = emu.ret(&args);
    check_the_re_run(dir.path(), &emu, &journal, &again, ROWS);
}

/// A file of `head`, then `hole` zero bytes (a sparse file: nothing on
/// disk), then `tail`.
fn sparse(path: &Path, head: &str, hole: u64, tail: &str) {
    use std::io::{Seek, SeekFrom, Write};
    let mut f = std::fs::File::create(path).unwrap();
    f.write_all(head.as_bytes()).unwrap();
    f.seek(SeekFrom::Current(hole as i64)).unwrap();
    f.write_all(tail.as_bytes()).unwrap();
}

/// A field of 80 MiB — a quoted field, an unterminated quote near the top,
/// a JSON Lines line — is an invalid row on its line, and the dry run
/// reads on, under a 64 MiB data limit (`prlimit --data`): it read such a
/// field whole, several times over, before.
#[test]
fn a_huge_field_is_an_invalid_row_and_memory_stays_under_64_mib() {
    const HOLE: u64 = 80 << 20;
    let emu = emulator(None, &[]);
    let dir = tempfile::tempdir().unwrap();
    let header = "coupon_code,stock_id,return_request_no\nC1,9856000,R1\n";
    let cases = [
        (
            "field.csv",
            (format!("{header}\""), "\",9856000,R2\nC3,9856000,R3\n"),
            "line 2  C1  would send  {\"coupon_code\":\"C1\",\"stock_id\":\"9856000\",\"return_request_no\":\"R1\"}\n\
             line 3  -  invalid  a line longer than 64 KiB: far beyond any row; not read\n\
             line 4  C3  would send  {\"coupon_code\":\"C3\",\"stock_id\":\"9856000\",\"return_request_no\":\"R3\"}\n",
        ),
        (
            "open.csv",
            (format!("{header}\"C2,9856000,R2\n"), "\nC3,9856000,R3\n"),
            "line 2  C1  would send  {\"coupon_code\":\"C1\",\"stock_id\":\"9856000\",\"return_request_no\":\"R1\"}\n\
             line 3  -  invalid  a record longer than 64 KiB runs from this line to line 5 (an \
             unterminated quote?); the lines inside it were not read as rows\n",
        ),
        (
            "field.jsonl",
            (
                "{\"coupon_code\":\"C1\",\"stock_id\":\"9856000\",\"return_request_no\":\"R1\"}\n{\"coupon_code\":\"".to_string(),
                "\"}\n{\"coupon_code\":\"C3\",\"stock_id\":\"9856000\",\"return_request_no\":\"R3\"}\n",
            ),
            "line 1  C1  would send  {\"coupon_code\":\"C1\",\"stock_id\":\"9856000\",\"return_request_no\":\"R1\"}\n\
             line 2  -  invalid  a line longer than 64 KiB: far beyond any row; not read\n\
             line 3  C3  would send  {\"coupon_code\":\"C3\",\"stock_id\":\"9856000\",\"return_request_no\":\"R3\"}\n",
        ),
    ];
    for (name, (head, tail), stdout) in cases {
        let input = dir.path().join(name);
        sparse(&input, &head, HOLE, tail);
        let out = ret_in_shell(
            &emu,
            "exec prlimit --data=67108864 \"$@\"",
            &["--batch", input.to_str().unwrap(), "--dry-run"],
        );
        assert_eq!(out.code, 2, "{name}: {}", out.stderr);
        assert_eq!(out.stdout, stdout, "{name}");
        assert_eq!(
            out.stderr, "dry run: nothing was sent and no journal was written; 1 invalid row(s)\n",
            "{name}"
        );
    }
}
