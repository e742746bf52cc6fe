//! `wxcoupon return --batch`: many returns from a file, against the emulator
//! (which verifies every request's signature and signs every answer) and the
//! fault-injecting stand-in. The emulator's log line `USED -> SENDED` is the
//! proof of a return: no coupon may have two.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::*;
use crate::emulator::{Emu, emulator, value_of};

const STOCK: &str = "9856000";

/// What differs from run to run in a batch of `dir` against `emu`: the
/// folder, the emulator's HOME and address, and what `journal` records that
/// wxcoupon or the emulator chose — the request numbers that `input` did not
/// give, and the return times.
fn placeholders(dir: &Path, emu: &Emu, journal: &Path, input: &str) -> Vec<(&'static str, String)> {
    let mut pairs = vec![
        ("[DIR]", dir.display().to_string()),
        ("[HOME]", emu.home.path().display().to_string()),
        ("[SERVER]", server_addr(value_of(&emu.profile, "base_url"))),
    ];
    let text = std::fs::read_to_string(journal).unwrap_or_default();
    for record in text.lines() {
        let record: serde_json::Value = serde_json::from_str(record).unwrap();
        if let Some(no) = record["return_request_no"].as_str()
            && !input.contains(no)
        {
            pairs.push(("[REQUEST_NO]", no.to_string()));
        }
        if let Some(time) = record["wechatpay_return_time"].as_str() {
            pairs.push(("[TIME]", time.to_string()));
        }
    }
    pairs
}

/// The random part of the Request-IDs the emulator chose (`EMU-` and 24
/// letters or digits), as the JSON lines of `stdout` report them.
fn request_ids(stdout: &str) -> Vec<(&'static str, String)> {
    stdout
        .lines()
        .filter_map(|l| {
            let row: serde_json::Value = serde_json::from_str(l).unwrap();
            let random = row["request_id"].as_str()?.strip_prefix("EMU-")?;
            Some(("[REQUEST_ID]", random.to_string()))
        })
        .collect()
}

/// `stderr` without the notice of a stop, which it must have once, saying
/// how many rows are in flight and the longest they may take (minutes,
/// for the emulator's profile; or none in flight, when the signal came
/// between two rows). The signal handler
/// prints the notice while the batch winds down: before or after the
/// batch's last lines, an order nothing promises.
fn without_the_stop_notice(stderr: &str) -> String {
    let start = "wxcoupon: stopping: no new rows start";
    let notices: Vec<&str> = stderr.lines().filter(|l| l.starts_with(start)).collect();
    assert_eq!(notices.len(), 1, "{stderr}");
    let notice = notices[0];
    let none = format!("{start}, and none is in flight");
    let rest = notice.strip_prefix(&format!("{start}; the ")).unwrap_or("");
    let (n, within) = rest
        .split_once(" row(s) in flight finish, within ")
        .unwrap_or(("", ""));
    assert!(
        notice == none
            || (n.parse::<u64>().is_ok()
                && within.ends_with(" at most (Ctrl-C again abandons them)")
                && within.contains(" min")),
        "{notice}"
    );
    stderr.replacen(&format!("{notice}\n"), "", 1)
}

/// The lines of stdout in the order of their input lines (the order they
/// come in is completion order, tested on its own).
fn by_line(stdout: &str) -> String {
    let number = |l: &str| -> u64 {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(l) {
            return v["line"].as_u64().unwrap();
        }
        l.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    let mut lines: Vec<&str> = stdout.lines().collect();
    lines.sort_by_key(|l| number(l));
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// `n` used coupons C0001… in the sample stock, as a `--coupons` file.
fn coupons_file(dir: &Path, n: usize) -> std::path::PathBuf {
    let list: Vec<serde_json::Value> = (1..=n)
        .map(|i| serde_json::json!({"coupon_code": format!("C{i:04}"), "stock_id": STOCK, "state": "USED"}))
        .collect();
    let path = dir.join("coupons.json");
    std::fs::write(&path, serde_json::to_string(&list).unwrap()).unwrap();
    path
}

/// A folder with `in.csv` of `n` rows, and an emulator that has those
/// `n` coupons (and these extra flags).
fn coupons_and_input(n: usize, extra: &[&str]) -> (tempfile::TempDir, Emu, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let coupons = coupons_file(dir.path(), n);
    let mut args = vec!["--coupons", coupons.to_str().unwrap()];
    args.extend_from_slice(extra);
    let emu = emulator(None, &args);
    let input = dir.path().join("in.csv");
    std::fs::write(&input, csv_of(n)).unwrap();
    (dir, emu, input)
}

fn csv_of(n: usize) -> String {
    let mut s = String::from("coupon_code,stock_id\n");
    for i in 1..=n {
        s.push_str(&format!("C{i:04},{STOCK}\n"));
    }
    s
}

/// `wxcoupon --config EMU return ARGS` in the background, its output
/// piped (or dropped).
fn spawn_batch(emu: &Emu, args: &[&str], piped: bool) -> std::process::Child {
    spawn_return(emu.home.path(), &emu.config, args, piped)
}

/// `wxcoupon --config CONFIG return ARGS` in the background, with HOME.
fn spawn_return(home: &Path, config: &Path, args: &[&str], piped: bool) -> std::process::Child {
    let pipe = || if piped { Stdio::piped() } else { Stdio::null() };
    Command::new(assert_cmd::cargo::cargo_bin("wxcoupon"))
        .env_clear()
        .env("HOME", home)
        .arg("--config")
        .arg(config)
        .arg("return")
        .args(args)
        .stdout(pipe())
        .stderr(pipe())
        .spawn()
        .unwrap()
}

/// Waits (at most 20 s) until the text of `file` (a journal, a log)
/// satisfies `ready`.
fn wait_for(file: &Path, ready: impl Fn(&str) -> bool, what: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(file).is_ok_and(|j| ready(&j)) {
        assert!(std::time::Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The emulator's log: how many times each coupon was returned.
pub(crate) fn returns_in_log(emu: &Emu) -> std::collections::BTreeMap<String, usize> {
    let log = std::fs::read_to_string(&emu.stderr).unwrap();
    let mut seen = std::collections::BTreeMap::new();
    for line in log.lines().filter(|l| l.contains("USED -> SENDED")) {
        let code = line.split("returned ").nth(1).unwrap();
        let code = code.split_whitespace().next().unwrap().to_string();
        *seen.entry(code).or_default() += 1;
    }
    seen
}

pub(crate) fn requests_in_log(emu: &Emu) -> usize {
    std::fs::read_to_string(&emu.stderr)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("emulator: POST "))
        .count()
}

/// A spreadsheet export: BOM, CRLF, columns in another order, an extra
/// column with a quoted comma and a quoted line break, a blank line.
const MIXED_CSV: &str = "\u{feff}note,stock_id,coupon_code\r\n\
    \"refund, #1\",9856000,COUPON-USED-1\r\n\
    x,9856000,COUPON-AVAILABLE\r\n\
    \r\n\
    y,9856000,NOPE\r\n\
    z,9856000,\r\n\
    \"two\r\nlines\",9856000,COUPON-USED-1\r\n\
    w,9856000,COUPON-EXPIRED\r\n\
    v,9856000,COUPON-USED-2\r\n";

#[test]
fn a_batch_of_mixed_outcomes_then_its_re_run_from_the_journal() {
    let emu = emulator(None, &[]);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("refund.csv");
    std::fs::write(&input, MIXED_CSV).unwrap();
    let file = input.to_str().unwrap();

    let journal_path = dir.path().join("refund.csv.journal");
    let redacted = || redactions(placeholders(dir.path(), &emu, &journal_path, MIXED_CSV));

    let first = emu.ret(&["--batch", file]);
    assert_eq!(first.code, 3, "{}", first.stderr);
    snapshot("batch_mixed.stdout", &by_line(&first.stdout), &redacted());
    snapshot("batch_mixed.stderr", &first.stderr, &redacted());
    assert_eq!(
        requests_in_log(&emu),
        5,
        "the invalid and duplicate rows were not sent"
    );

    // The journal: JSON Lines, a header, a sending and an outcome per sent row.
    let journal = std::fs::read_to_string(&journal_path).unwrap();
    let records: Vec<serde_json::Value> = journal
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records[0]["record"], "header");
    assert_eq!(records.len(), 1 + 2 * 5, "{journal}");

    // The same command again: nothing is sent; every row is as recorded.
    let again = emu.ret(&["--batch", file, "--json"]);
    assert_eq!(again.code, 3, "{}", again.stderr);
    snapshot(
        "batch_mixed_again.jsonl",
        &by_line(&again.stdout),
        &redacted(),
    );
    assert_eq!(requests_in_log(&emu), 5, "a re-run sends nothing settled");
    let returned = returns_in_log(&emu);
    assert_eq!(returned.get("COUPON-USED-1"), Some(&1));
    assert_eq!(returned.get("COUPON-USED-2"), Some(&1));
    assert_eq!(returned.len(), 2);

    // --retry-rejected sends the rejected rows again, each with a new number.
    let retried = emu.ret(&["--batch", file, "--retry-rejected", "--json"]);
    assert_eq!(retried.code, 3);
    assert_eq!(requests_in_log(&emu), 8, "three rejected rows sent again");
    let mut pairs = placeholders(dir.path(), &emu, &journal_path, MIXED_CSV);
    pairs.extend(request_ids(&retried.stdout));
    snapshot(
        "batch_mixed_retried.jsonl",
        &by_line(&retried.stdout),
        &redactions(pairs),
    );
    let resent: Vec<serde_json::Value> = retried
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|row| row["from_journal"] == false && row["outcome"] != "invalid")
        .collect();
    assert_eq!(resent.len(), 3, "{}", retried.stdout);
    for row in resent {
        let no = row["return_request_no"].as_str().unwrap();
        assert!(
            !no.is_empty() && !journal.contains(no),
            "line {} was re-sent with a number of the first run: {no}",
            row["line"]
        );
    }
}

/// What a row says in WeChat Pay's words, by line: `(outcome, code,
/// message, explanation)` of each JSON line of `stdout`.
fn words_by_line(stdout: &str) -> std::collections::BTreeMap<u64, [serde_json::Value; 4]> {
    stdout
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let field = |k: &str| v[k].clone();
            (
                v["line"].as_u64().unwrap(),
                [
                    field("outcome"),
                    field("code"),
                    field("message"),
                    field("explanation"),
                ],
            )
        })
        .collect()
}

/// A re-run settles each row from the journal with the code, message and
/// explanation the live run printed: the two RULE_LIMITs (usable, expired)
/// are still told apart. An older journal, whose outcomes kept no message,
/// still replays: its rows keep their code.
#[test]
fn rows_settled_from_the_journal_keep_wechat_pays_words() {
    let emu = emulator(None, &[]);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("refund.csv");
    std::fs::write(&input, MIXED_CSV).unwrap();
    let file = input.to_str().unwrap();

    let live = emu.ret(&["--batch", file, "--json"]);
    assert_eq!(live.code, 3, "{}", live.stderr);
    let again = emu.ret(&["--batch", file, "--json"]);
    assert_eq!(again.code, 3, "{}", again.stderr);
    assert_eq!(requests_in_log(&emu), 5, "a re-run sends nothing settled");
    let words = words_by_line(&again.stdout);
    assert_eq!(words, words_by_line(&live.stdout));
    let said = |line: u64| {
        let [outcome, code, message, explanation] = &words[&line];
        assert_eq!(outcome, "rejected");
        (
            code.as_str().unwrap().to_string(),
            message.as_str().unwrap().to_string(),
            explanation.as_str().unwrap().to_string(),
        )
    };
    let (usable, expired) = (said(3), said(9));
    assert_eq!((&*usable.0, &*usable.1), ("RULE_LIMIT", "券当前是可用的"));
    assert_eq!(
        (&*expired.0, &*expired.1),
        ("RULE_LIMIT", "券已不在使用有效期")
    );
    assert!(usable.2.contains("usable") && expired.2.contains("validity period"));
    for v in again.stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(v).unwrap();
        assert_eq!(v["from_journal"], v["outcome"] != "invalid", "{v}");
    }
    // In text, a line shows the code and the message, live or not.
    let text = emu.ret(&["--batch", file]);
    let journal = dir.path().join("refund.csv.journal");
    expect(
        &text.stderr,
        "batch: 7 row(s): 2 already returned (journal), 3 rejected (journal), 2 invalid; 0 sent \
         in [..] s ([..]/s); journal [DIR]/refund.csv.journal\n\
         batch: WeChat Pay's codes, with the command that explains each:\n    \
         2 RULE_LIMIT: wxcoupon explain RULE_LIMIT\n    \
         1 RESOURCE_NOT_EXISTS: wxcoupon explain RESOURCE_NOT_EXISTS\n",
        &redactions(placeholders(dir.path(), &emu, &journal, MIXED_CSV)),
    );
    let text = by_line(&text.stdout);
    for line in [
        "line 3  COUPON-AVAILABLE  rejected  RULE_LIMIT: 券当前是可用的  (from the journal)\n",
        "line 5  NOPE  rejected  RESOURCE_NOT_EXISTS: 券不存在  (from the journal)\n",
        "line 9  COUPON-EXPIRED  rejected  RULE_LIMIT: 券已不在使用有效期  (from the journal)\n",
    ] {
        assert!(text.contains(line), "{text}");
    }

    // The journal of an older wxcoupon: outcomes without their message.
    let old: String = std::fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            if let Some(record) = v.as_object_mut() {
                record.remove("message");
                record.remove("explanation");
            }
            format!("{}\n", serde_json::to_string(&v).unwrap())
        })
        .collect();
    std::fs::write(&journal, old).unwrap();
    let replayed = emu.ret(&["--batch", file, "--json"]);
    assert_eq!(replayed.code, 3, "{}", replayed.stderr);
    assert_eq!(
        requests_in_log(&emu),
        5,
        "an old journal settles its rows too"
    );
    let old_words = words_by_line(&replayed.stdout);
    for (line, [outcome, code, message, explanation]) in &old_words {
        let [was_outcome, was_code, _, _] = &words[line];
        assert_eq!((outcome, code), (was_outcome, was_code), "line {line}");
        if outcome == "rejected" {
            // RULE_LIMIT and RESOURCE_NOT_EXISTS have several meanings:
            // without the message, none is guessed.
            assert_eq!(
                (message, explanation),
                (&serde_json::Value::Null, &serde_json::Value::Null)
            );
        }
    }
}

#[test]
fn json_lines_with_a_stock_default_and_a_given_request_number() {
    let emu = emulator(None, &[]);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("rows.jsonl");
    std::fs::write(
        &input,
        "{\"coupon_code\":\"COUPON-USED-1\",\"return_request_no\":\"REFUND-2026-0001\"}\n\n\
         {\"coupon_code\":\"COUPON-USED-2\",\"stock_id\":\"9856000\"}\n\
         {\"coupon_code\":\"COUPON-USED-3\",\"stock_id\":\"not a stock\"}\n\
         [1,2]\n",
    )
    .unwrap();
    let out = emu.ret(&[
        "--batch",
        input.to_str().unwrap(),
        "--stock",
        STOCK,
        "--json",
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let journal = dir.path().join("rows.jsonl.journal");
    let given = std::fs::read_to_string(&input).unwrap();
    let mut pairs = placeholders(dir.path(), &emu, &journal, &given);
    pairs.extend(request_ids(&out.stdout));
    snapshot(
        "batch_jsonl.jsonl",
        &by_line(&out.stdout),
        &redactions(pairs),
    );
    let log = std::fs::read_to_string(&emu.stderr).unwrap();
    assert!(
        log.contains("(request number REFUND-2026-0001); USED -> SENDED"),
        "{log}"
    );
    assert_eq!(requests_in_log(&emu), 2);
}

#[test]
fn flags_that_do_not_go_with_a_batch_are_refused_and_nothing_is_sent() {
    let emu = emulator(None, &[]);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, csv_of(2)).unwrap();
    let file = input.to_str().unwrap();
    for (args, why) in [
        (vec!["--batch", file, "--code", "C0001"], "--code"),
        (vec!["--batch", file, "--request-no", "R1"], "--request-no"),
        (vec!["--batch", file, "--concurrency", "0"], "--concurrency"),
        (
            vec!["--batch", file, "--concurrency", "65"],
            "--concurrency",
        ),
        (vec!["--batch", file, "--rate=-1"], "--rate"),
        (
            vec!["--batch", file, "--rate", "1e-300"],
            "--rate 1e-300: must be 0",
        ),
        (vec!["--batch", "-"], "--journal"),
        (
            vec!["--batch", &format!("{file}.missing")],
            "in.csv.missing",
        ),
    ] {
        let out = emu.ret(&args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(why), "{args:?}: {}", out.stderr);
    }
    assert_eq!(requests_in_log(&emu), 0);
    assert!(!dir.path().join("in.csv.journal").exists());
}

/// Every length the single return accepts, a batch row accepts too: a
/// request number may be 128 characters long.
#[test]
fn a_long_request_number_is_accepted_as_for_one_return() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    let (long, longer) = ("R".repeat(128), "R".repeat(129));
    std::fs::write(
        &input,
        format!(
            "coupon_code,stock_id,return_request_no\nC0001,{STOCK},{long}\nC0002,{STOCK},{longer}\n"
        ),
    )
    .unwrap();
    let emu = emulator(None, &[]);
    let out = emu.ret(&["--batch", input.to_str().unwrap(), "--dry-run", "--json"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let rows: Vec<serde_json::Value> = by_line(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows[0]["outcome"], "dry_run");
    assert_eq!(rows[0]["return_request_no"], long.as_str());
    assert_eq!(rows[1]["outcome"], "invalid");
    assert!(
        rows[1]["message"]
            .as_str()
            .unwrap()
            .contains("return_request_no"),
        "{}",
        rows[1]
    );
}

#[test]
fn a_dry_run_checks_every_row_sends_nothing_and_writes_no_journal() {
    let emu = emulator(None, &[]);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(
        &input,
        "coupon_code,stock_id,return_request_no\nC0001,9856000,R-1\nC0002,,R-2\n",
    )
    .unwrap();
    let out = emu.ret(&["--batch", input.to_str().unwrap(), "--dry-run"]);
    assert_eq!(out.code, 2);
    let journal = dir.path().join("in.csv.journal");
    let r = redactions(placeholders(dir.path(), &emu, &journal, ""));
    snapshot("batch_dry_run.stdout", &by_line(&out.stdout), &r);
    snapshot("batch_dry_run.stderr", &out.stderr, &r);
    assert_eq!(requests_in_log(&emu), 0);
    assert!(!dir.path().join("in.csv.journal").exists());
}

#[test]
fn stdin_needs_a_journal_resumes_from_it_and_another_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let emu = emulator(
        None,
        &["--coupons", coupons_file(dir.path(), 3).to_str().unwrap()],
    );
    let journal = dir.path().join("stdin.journal");
    let from_stdin = |text: &str| {
        let mut c = wxcoupon(emu.home.path());
        c.arg("--config")
            .arg(&emu.config)
            .args(["return", "--batch", "-", "--journal"])
            .arg(&journal)
            .write_stdin(text.to_string());
        run(&mut c)
    };
    let first = from_stdin(&csv_of(3));
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(first.stdout.lines().count(), 3);
    let again = from_stdin(&csv_of(3));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again
            .stdout
            .lines()
            .all(|l| l.ends_with("(from the journal)")),
        "{}",
        again.stdout
    );
    let other = from_stdin(&csv_of(2));
    assert_eq!(other.code, 2);
    let r = redactions(placeholders(dir.path(), &emu, &journal, ""));
    snapshot("batch_other_input.stderr", &other.stderr, &r);
    assert_eq!(other.stdout, "");
    assert_eq!(requests_in_log(&emu), 3);
}

#[test]
fn killed_in_the_middle_and_resumed_every_coupon_returned_exactly_once() {
    const ROWS: usize = 60;
    let (dir, emu, input) = coupons_and_input(ROWS, &[]);
    let journal = dir.path().join("in.csv.journal");
    // At 2 rows a second the batch needs half a minute: the kill, as soon as
    // the journal has some rows, comes long before its end.
    let mut child = spawn_batch(
        &emu,
        &["--batch", input.to_str().unwrap(), "--rate", "2"],
        false,
    );
    // Wait until some rows are in the journal, then kill -9.
    wait_for(
        &journal,
        |j| j.lines().count() >= 10,
        "the batch did not start",
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let sent_before = requests_in_log(&emu);
    assert!(
        sent_before < ROWS,
        "killed after it finished: {sent_before}"
    );
    // And the last record half-written, as a kill during a write leaves it.
    let mut j = std::fs::OpenOptions::new()
        .append(true)
        .open(&journal)
        .unwrap();
    std::io::Write::write_all(&mut j, b"{\"record\":\"sending\",\"li").unwrap();

    let resumed = emu.ret(&["--batch", input.to_str().unwrap(), "--rate", "0", "--json"]);
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);
    assert!(
        resumed.stderr.contains("ends in a half-written line"),
        "{}",
        resumed.stderr
    );
    let rows: Vec<serde_json::Value> = resumed
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), ROWS, "every row accounted for");
    assert!(rows.iter().all(|r| r["outcome"] == "returned"));
    // A request the killed run had sent may still be on its way through
    // the emulator, which logs it whenever it gets to it.
    wait_for(
        &emu.stderr,
        |log| log.matches("USED -> SENDED").count() >= ROWS,
        "not every coupon was returned",
    );
    let returns = returns_in_log(&emu);
    assert_eq!(returns.len(), ROWS);
    assert!(returns.values().all(|n| *n == 1), "{returns:?}");
}

#[test]
fn sigterm_stops_new_rows_finishes_those_in_flight_and_says_how_to_resume() {
    const ROWS: usize = 40;
    let (dir, emu, input) = coupons_and_input(ROWS, &[]);
    let journal = dir.path().join("in.csv.journal");
    // At 2 rows a second the batch needs 20 s: SIGTERM, as soon as the
    // journal has some rows, comes long before its end.
    let child = spawn_batch(
        &emu,
        &["--batch", input.to_str().unwrap(), "--rate", "2"],
        true,
    );
    wait_for(
        &journal,
        |j| j.lines().count() >= 6,
        "the batch did not start",
    );
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    // Every row that was sent has its outcome in the journal: none is left
    // in flight.
    let text = std::fs::read_to_string(&journal).unwrap();
    let sending = text.matches("\"record\":\"sending\"").count();
    let outcomes = text.matches("\"record\":\"outcome\"").count();
    assert_eq!(sending, outcomes, "{text}");
    let printed = String::from_utf8_lossy(&out.stdout).lines().count();
    assert_eq!(printed, outcomes);
    assert!(outcomes < ROWS);
    // How many rows were queued, and the last line read, depend on when the
    // signal came.
    let rest = without_the_stop_notice(&stderr);
    expect(
        &rest,
        format!(
            "batch: {printed} row(s): {printed} returned now; {printed} sent in [..] s ([..]/s); \
             journal [DIR]/in.csv.journal\n\
             batch: interrupted: [..] queued row(s) were not started, nor the rows after line [..]. \
             Resume with the same command:\n    \
             wxcoupon --config [HOME]/emulator.toml return --batch [DIR]/in.csv --rate 2\n"
        ),
        &redactions(placeholders(dir.path(), &emu, &journal, "")),
    );
    // Every row read (lines 2 to the last read) was finished or is queued.
    let number_after = |words: &str| -> usize {
        let at = rest.find(words).unwrap() + words.len();
        rest[at..]
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let queued = number_after("batch: interrupted: ");
    let last_read = number_after(", nor the rows after line ");
    assert_eq!(printed + queued, last_read - 1, "{rest}");

    let resumed = emu.ret(&["--batch", input.to_str().unwrap(), "--rate", "0"]);
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);
    let returns = returns_in_log(&emu);
    assert_eq!(returns.len(), ROWS);
    assert!(returns.values().all(|n| *n == 1), "{returns:?}");
}

#[test]
fn a_429_storm_pauses_the_whole_batch_and_it_still_finishes() {
    const ROWS: usize = 12;
    let (_dir, emu, input) = coupons_and_input(ROWS, &["--fault", "429:6"]);
    // Six 429s: which rows meet them is up to the threads. Seven attempts
    // a row (6 retries) return even a row that met all six.
    let out = emu.ret(&[
        "--batch",
        input.to_str().unwrap(),
        "--rate",
        "0",
        "--concurrency",
        "4",
        "--retries",
        "6",
        "-v",
    ]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let log = std::fs::read_to_string(&emu.stderr).unwrap();
    assert_eq!(log.matches("fault 429").count(), 6, "{log}");
    let returns = returns_in_log(&emu);
    assert_eq!(returns.len(), ROWS);
    assert!(returns.values().all(|n| *n == 1), "{returns:?}");
}

#[test]
fn lines_come_in_completion_order() {
    let slow = Gate::default();
    let server = outcomes_server_with(&slow);
    let s = setup(&server.base_url, "");
    let input = s.home.path().join("in.csv");
    // Line 2's answer is held until line 3, sent beside it, has been printed.
    std::fs::write(
        &input,
        format!("coupon_code,stock_id\nSLOW,{STOCK}\nRETURNED,{STOCK}\n"),
    )
    .unwrap();
    let file = input.to_str().unwrap();
    let args = ["--batch", file, "--rate", "0", "--concurrency", "2"];
    let mut child = spawn_return(s.home.path(), &s.config, &args, true);
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    slow.open();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{first}{rest}");
    assert_eq!(
        format!("{first}{rest}"),
        format!(
            "line 3  RETURNED  returned  {RETURN_TIME}\nline 2  SLOW  returned  {RETURN_TIME}\n"
        )
    );
}

/// The stand-in answers by coupon code: one kind of outcome each.
fn outcomes_server() -> Server {
    outcomes_server_with(&Gate::default())
}

/// As `outcomes_server`, SLOW's answer held until `slow` opens.
fn outcomes_server_with(slow: &Gate) -> Server {
    let slow = slow.clone();
    Server::start(move |seen| {
        let body = seen.json();
        let code = body["coupon_code"].as_str().unwrap();
        match code.split('-').next().unwrap() {
            "RETURNED" => Reply::returned(),
            "SLOW" => Reply::returned().held_until(&slow),
            "REJECTED" => Reply::error(404, "RESOURCE_NOT_EXISTS", "券不存在"),
            "UNKNOWN" => Reply::error(500, "SYSTEM_ERROR", "系统错误"),
            "UNVERIFIED" => Reply::returned().sig(Sig::WrongKey),
            other => panic!("unexpected coupon {other}"),
        }
    })
}

#[test]
fn the_exit_code_is_the_most_serious_outcome_present() {
    let server = outcomes_server();
    let s = setup(&server.base_url, "retries = 0\n");
    for (codes, expected) in [
        (&["RETURNED-1", "RETURNED-2"][..], 0),
        (&["RETURNED", "bad code!"][..], 2),
        (&["RETURNED", "RETURNED"][..], 2),
        (&["RETURNED", "REJECTED", "bad code!"][..], 3),
        (&["REJECTED", "UNKNOWN", "RETURNED"][..], 4),
        (&["UNKNOWN", "UNVERIFIED", "REJECTED"][..], 5),
        (&[][..], 0),
    ] {
        let mut text = String::from("coupon_code,stock_id\n");
        for c in codes {
            text.push_str(&format!("{c},{STOCK}\n"));
        }
        let input = s
            .home
            .path()
            .join(format!("in-{}.csv", codes.join("_").replace(' ', "_")));
        std::fs::write(&input, text).unwrap();
        let out = s.ret(&["--batch", input.to_str().unwrap(), "--rate", "0"]);
        assert_eq!(
            out.code, expected,
            "{codes:?}\n{}\n{}",
            out.stdout, out.stderr
        );
        assert_eq!(out.stdout.lines().count(), codes.len(), "{}", out.stdout);
    }
}

#[test]
fn an_unverified_row_is_not_sent_again_unless_asked() {
    let server = outcomes_server();
    let s = setup(&server.base_url, "retries = 0\n");
    let input = s.home.path().join("in.csv");
    std::fs::write(
        &input,
        format!("coupon_code,stock_id\nUNVERIFIED,{STOCK}\n"),
    )
    .unwrap();
    let file = input.to_str().unwrap();
    assert_eq!(s.ret(&["--batch", file]).code, 5);
    assert_eq!(server.seen().len(), 1);
    let again = s.ret(&["--batch", file, "--json"]);
    assert_eq!(again.code, 5);
    assert_eq!(server.seen().len(), 1, "not sent again");
    assert_eq!(again.json()["from_journal"], true);
    let retried = s.ret(&["--batch", file, "--retry-unverified"]);
    assert_eq!(retried.code, 5);
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[0].json()["return_request_no"],
        seen[1].json()["return_request_no"],
        "re-sent with its recorded number"
    );
}

#[test]
fn a_request_number_given_twice_is_sent_once() {
    let emu = emulator(None, &[]);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(
        &input,
        "coupon_code,stock_id,return_request_no\nCOUPON-USED-1,9856000,ORDER42\nCOUPON-USED-2,9856000,ORDER42\n",
    )
    .unwrap();
    let out = emu.ret(&["--batch", input.to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let journal = dir.path().join("in.csv.journal");
    let given = std::fs::read_to_string(&input).unwrap();
    expect(
        &by_line(&out.stdout),
        "line 2  COUPON-USED-1  returned  [TIME]\n\
         line 3  COUPON-USED-2  invalid  the same return_request_no as line 2: a request number \
         belongs to one return\n",
        &redactions(placeholders(dir.path(), &emu, &journal, &given)),
    );
    assert_eq!(requests_in_log(&emu), 1);
}

#[test]
fn a_journal_that_is_not_this_runs_own_is_left_untouched() {
    let (dir, emu, input) = coupons_and_input(40, &[]);
    let file = input.to_str().unwrap();
    let journal = dir.path().join("in.csv.journal");
    let r = redactions(placeholders(dir.path(), &emu, &journal, ""));
    // Someone's one-line note given as the journal.
    let note = dir.path().join("note.txt");
    std::fs::write(&note, "my one-line note").unwrap();
    let out = emu.ret(&["--batch", file, "--journal", note.to_str().unwrap()]);
    assert_eq!(out.code, 2);
    expect(
        &out.stderr,
        "wxcoupon: error: [DIR]/note.txt is not a wxcoupon journal (its first line is not a journal \
         header); nothing was sent and the file was not changed. Give another --journal FILE\n",
        &r,
    );
    assert_eq!(std::fs::read_to_string(&note).unwrap(), "my one-line note");
    // The input as its own journal.
    let out = emu.ret(&["--batch", file, "--journal", file]);
    assert_eq!(out.code, 2);
    expect(
        &out.stderr,
        "wxcoupon: error: the journal [DIR]/in.csv is the input file itself; nothing was sent. \
         Give another --journal FILE\n",
        &r,
    );
    assert_eq!(std::fs::read_to_string(&input).unwrap(), csv_of(40));
    // A journal in use by a running batch: one row every 100 s keeps it
    // running while it is asked.
    let mut running = spawn_batch(&emu, &["--batch", file, "--rate", "0.01"], false);
    wait_for(
        &journal,
        |j| j.lines().count() >= 2,
        "the batch did not start",
    );
    let out = emu.ret(&["--batch", file]);
    running.kill().unwrap();
    running.wait().unwrap();
    assert_eq!(out.code, 2, "{}", out.stderr);
    expect(
        &out.stderr,
        "wxcoupon: error: the journal [DIR]/in.csv.journal is in use by another wxcoupon run; \
         nothing was sent. Wait for that run to end (or stop it), then run this command again\n",
        &r,
    );
    let returns = returns_in_log(&emu);
    assert!(returns.values().all(|n| *n == 1), "{returns:?}");
}

/// A failure on a kept-alive connection is judged like one on a new
/// connection: the request may have been processed, so the retry's
/// RESOURCE_ALREADY_EXISTS confirms the return (never a rejection), and a
/// request reset before processing is simply sent again.
#[test]
fn a_lost_answer_on_a_reused_connection_is_confirmed_not_rejected() {
    let (dir, emu, input) = coupons_and_input(
        3,
        &[
            "--fault",
            "pass",
            "--fault",
            "drop-after",
            "--fault",
            "drop-before",
        ],
    );
    let out = emu.ret(&[
        "--batch",
        input.to_str().unwrap(),
        "--concurrency",
        "1",
        "--rate",
        "0",
    ]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let journal = dir.path().join("in.csv.journal");
    expect(
        &by_line(&out.stdout),
        "line 2  C0001  returned  [TIME]\n\
         line 3  C0002  returned  (confirmed by retry)\n\
         line 4  C0003  returned  [TIME]\n",
        &redactions(placeholders(dir.path(), &emu, &journal, "")),
    );
    let returns = returns_in_log(&emu);
    assert_eq!(returns.len(), 3);
    assert!(returns.values().all(|n| *n == 1), "{returns:?}");
    // Settled from the journal, the confirmed row keeps its evidence and
    // the confirmation's explanation.
    let sent = requests_in_log(&emu);
    let again = emu.ret(&["--batch", input.to_str().unwrap(), "--json"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let words = words_by_line(&again.stdout);
    let [outcome, code, message, explanation] = &words[&3];
    assert_eq!(
        (outcome, code),
        (&"returned".into(), &"RESOURCE_ALREADY_EXISTS".into())
    );
    assert!(message.is_string(), "{message}");
    assert!(
        explanation
            .as_str()
            .unwrap()
            .contains("RESOURCE_ALREADY_EXISTS"),
        "{explanation}"
    );
    assert_eq!(requests_in_log(&emu), sent, "the re-run sent nothing");
}

/// A journal that records one request number for two lines (a hand edit,
/// or two journals pasted together) could make WeChat Pay's
/// RESOURCE_ALREADY_EXISTS for one row "confirm" the other row's return:
/// both rows are refused, and nothing is sent.
#[test]
fn a_request_number_the_journal_records_for_two_lines_confirms_neither() {
    let dir = tempfile::tempdir().unwrap();
    // C0002 does not exist: its row is rejected, the first is returned.
    let emu = emulator(
        None,
        &["--coupons", coupons_file(dir.path(), 1).to_str().unwrap()],
    );
    let input = dir.path().join("in.csv");
    std::fs::write(&input, csv_of(2)).unwrap();
    let file = input.to_str().unwrap();
    assert_eq!(emu.ret(&["--batch", file]).code, 3);
    let journal = dir.path().join("in.csv.journal");
    let text = std::fs::read_to_string(&journal).unwrap();
    // The rows ran side by side: line 2's record is found by its line, not
    // by its place in the journal (completion order).
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let line_2: Vec<&serde_json::Value> = records
        .iter()
        .filter(|r| r["record"] == "sending" && r["line"] == 2)
        .collect();
    assert_eq!(line_2.len(), 1, "{text}");
    // Line 3 now claims line 2's number, sent and never answered.
    let forged = serde_json::json!({"record": "sending", "line": 3, "coupon_code": "C0002",
        "stock_id": STOCK, "return_request_no": line_2[0]["return_request_no"]});
    std::fs::write(&journal, format!("{text}{forged}\n")).unwrap();
    let out = emu.ret(&["--batch", file]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        by_line(&out.stdout),
        "line 2  -  invalid  the journal records this line's return_request_no for line 3 too (a \
         hand-edited or mixed-up journal): this row was not sent. Check both rows, then start over \
         with --journal NEW\n\
         line 3  -  invalid  the journal records this line's return_request_no for line 2 too (a \
         hand-edited or mixed-up journal): this row was not sent. Check both rows, then start over \
         with --journal NEW\n"
    );
    assert_eq!(requests_in_log(&emu), 2, "nothing sent by the re-run");
}

/// Ctrl-C while the rows wait for the rate's next token: they are not
/// started, and the batch ends at once.
#[test]
fn a_stop_ends_the_wait_for_the_rate() {
    let (dir, emu, input) = coupons_and_input(3, &[]);
    let journal = dir.path().join("in.csv.journal");
    // One request every 100 s: the first goes at once, the others wait.
    let child = spawn_batch(
        &emu,
        &[
            "--batch",
            input.to_str().unwrap(),
            "--rate",
            "0.01",
            "--json",
        ],
        true,
    );
    wait_for(
        &journal,
        |j| j.matches("\"outcome\"").count() >= 1,
        "the first row did not finish",
    );
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    let r = redactions(placeholders(dir.path(), &emu, &journal, ""));
    let journal_text = std::fs::read_to_string(&journal).unwrap();
    let returned = journal_text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|record| record["record"] == "outcome")
        .unwrap();
    assert_eq!(returned["outcome"], "returned", "{journal_text}");
    let line = returned["line"].as_u64().unwrap();
    let row: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (row["line"].as_u64(), row["outcome"].as_str()),
        (Some(line), Some("returned"))
    );
    expect(
        &without_the_stop_notice(&stderr),
        "batch: 1 row(s): 1 returned now; 1 sent in [..] s ([..]/s); journal \
         [DIR]/in.csv.journal\n\
         batch: interrupted: 2 queued row(s) were not started. Resume with the same command:\n    \
         wxcoupon --config [HOME]/emulator.toml return --batch [DIR]/in.csv --rate 0.01 --json\n",
        &r,
    );
    let text = std::fs::read_to_string(&journal).unwrap();
    assert_eq!(text.matches("\"record\":\"sending\"").count(), 1, "{text}");
    assert_eq!(requests_in_log(&emu), 1);
}

/// A named pipe can be read only once: it is copied first (like stdin), so
/// it needs --journal, and then works like a file.
#[test]
fn a_named_pipe_is_spooled_and_needs_a_journal() {
    let (dir, emu, _) = coupons_and_input(2, &[]);
    let fifo = dir.path().join("rows.fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let refused = emu.ret(&["--batch", fifo.to_str().unwrap()]);
    assert_eq!(refused.code, 2);
    let journal = dir.path().join("fifo.journal");
    let r = redactions(placeholders(dir.path(), &emu, &journal, ""));
    expect(
        &refused.stderr,
        "wxcoupon: error: --batch [DIR]/rows.fifo needs --journal FILE: the input can be read only \
         once, and the journal is what makes a re-run safe\n",
        &r,
    );
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, csv_of(2)).unwrap())
    };
    let out = emu.ret(&[
        "--batch",
        fifo.to_str().unwrap(),
        "--journal",
        journal.to_str().unwrap(),
    ]);
    writer.join().unwrap();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 2);
    assert_eq!(returns_in_log(&emu).len(), 2);
}
