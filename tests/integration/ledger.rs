//! The ledger (issue 17): every return recorded under the state folder of
//! the test's own HOME (or `WXCOUPON_STATE_DIR`), never the machine's.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::common::*;
use serde_json::Value;

const STOCK: &str = "9856000";

/// The default ledger folder inside `home`.
fn state(home: &Path) -> PathBuf {
    home.join(".local/state/wxcoupon")
}

/// Every record of the ledger in `dir`, month by month.
fn records(dir: &Path) -> Vec<Value> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn ret(s: &Setup, args: &[&str]) -> Out {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let mut c = wxcoupon(s.home.path());
    c.arg("--config").arg(&s.config).arg("return").args(&all);
    run(&mut c)
}

#[test]
fn a_return_is_recorded_sending_then_outcome_in_a_private_monthly_file() {
    let (server, _) = Server::with_coupons(Coupons::with(&[("C1", STOCK, "USED")]));
    let s = setup(&server.base_url, "");
    let out = ret(
        &s,
        &["--code", "C1", "--stock", STOCK, "--request-no", "R-1"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let dir = state(s.home.path());
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    assert_eq!(mode(&files[0]), 0o600);
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.len() == 13 && name.ends_with(".jsonl"), "{name}");
    let r = records(&dir);
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!(r[0]["record"], "sending");
    assert_eq!(r[0]["coupon_code"], "C1");
    assert_eq!(r[0]["return_request_no"], "R-1");
    assert_eq!(r[0]["profile"], "test");
    assert_eq!(r[0]["mchid"], MCHID);
    assert_eq!(r[1]["record"], "outcome");
    assert_eq!(r[1]["outcome"], "returned");
    assert_eq!(r[1]["coupon_code"], "C1");
    assert_eq!(r[1]["stock_id"], STOCK);
    assert_eq!(r[1]["wechatpay_return_time"], RETURN_TIME);
    assert!(r[1]["request_id"].is_string(), "{}", r[1]);
    assert!(r[1]["time"].as_str().unwrap().starts_with(&name[..7]));
}

#[test]
fn no_ledger_and_ledger_false_write_nothing_and_the_state_dir_can_be_set() {
    let (server, _) = Server::with_coupons(Coupons::with(&[
        ("C1", STOCK, "USED"),
        ("C2", STOCK, "USED"),
        ("C3", STOCK, "USED"),
    ]));
    let s = setup(&server.base_url, "");
    let out = ret(&s, &["--code", "C1", "--stock", STOCK, "--no-ledger"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!state(s.home.path()).exists());

    let off = setup(&server.base_url, "ledger = false\n");
    let out = ret(&off, &["--code", "C2", "--stock", STOCK]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!state(off.home.path()).exists());

    let elsewhere = tempfile::tempdir().unwrap();
    let mut c = wxcoupon(s.home.path());
    c.env("WXCOUPON_STATE_DIR", elsewhere.path())
        .arg("--config")
        .arg(&s.config)
        .args(["return", "--code", "C3", "--stock", STOCK]);
    let out = run(&mut c);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(records(elsewhere.path()).len(), 2);
    assert!(!state(s.home.path()).exists());
}

#[test]
fn a_ledger_that_cannot_be_written_is_an_error_before_anything_is_sent() {
    if rustix::process::geteuid().as_raw() == 0 {
        return; // root writes anywhere: nothing to check
    }
    let (server, coupons) = Server::with_coupons(Coupons::with(&[("C1", STOCK, "USED")]));
    let s = setup(&server.base_url, "");
    let dir = state(s.home.path());
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o500)).unwrap();
    let out = ret(&s, &["--code", "C1", "--stock", STOCK]);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    let v = out.json();
    assert_eq!(v["outcome"], "invalid");
    assert!(
        v["message"].as_str().unwrap().contains("ledger"),
        "{}",
        v["message"]
    );
    assert!(server.seen().is_empty(), "nothing sent");
    assert_eq!(coupons.lock().unwrap().returns, 0);
}

#[test]
fn the_demo_writes_no_ledger_and_leaves_home_empty() {
    let home = tempfile::tempdir().unwrap();
    let out = run(wxcoupon(home.path()).arg("demo"));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(std::fs::read_dir(home.path()).unwrap().count(), 0);
}

/// The request numbers the server saw, each once, in order.
fn numbers(server: &Server) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for rq in server.seen() {
        let no = rq.json()["return_request_no"].as_str().unwrap().to_string();
        if !seen.contains(&no) {
            seen.push(no);
        }
    }
    seen
}

/// A cron job repeats the plain command after an answer lost on the way
/// back: the second run repeats the first's number (from the ledger), the
/// coupon is returned once; a third run, told the coupon is usable, stays
/// green with the ledger's number.
#[test]
fn the_cron_loop_uses_one_request_number_and_returns_once() {
    let (server, coupons) = Server::with_coupons(Coupons::with(&[("C1", STOCK, "USED")]));
    let s = setup(&server.base_url, "");
    let plain = ["--code", "C1", "--stock", STOCK, "--retries", "0"];
    server.fault(Fault::DropAfterProcessing);
    let first = ret(&s, &plain);
    assert_eq!(first.code, 4, "{}{}", first.stdout, first.stderr);
    let number = first.json()["return_request_no"]
        .as_str()
        .unwrap()
        .to_string();

    let second = ret(&s, &plain);
    assert_eq!(second.code, 0, "{}{}", second.stdout, second.stderr);
    let v = second.json();
    assert_eq!(v["outcome"], "returned");
    assert_eq!(v["from_ledger"], true);
    assert_eq!(v["return_request_no"], number.as_str());
    assert_eq!(numbers(&server), std::slice::from_ref(&number));
    assert_eq!(coupons.lock().unwrap().returns, 1);

    // Text mode says where the number came from.
    let mut c = wxcoupon(s.home.path());
    c.arg("--config").arg(&s.config).arg("return").args(plain);
    let third = run(&mut c);
    assert_eq!(third.code, 0, "{}{}", third.stdout, third.stderr);
    assert!(
        third.stderr.contains("the ledger has this coupon returned"),
        "{}",
        third.stderr
    );
    assert!(third.stderr.contains(&number), "{}", third.stderr);
    assert_eq!(coupons.lock().unwrap().returns, 1);
    let fourth = ret(&s, &plain);
    assert_eq!(fourth.code, 0, "{}{}", fourth.stdout, fourth.stderr);
    let v = fourth.json();
    assert_eq!(
        (v["from_ledger"].clone(), v["return_request_no"].clone()),
        (Value::Bool(true), Value::from(number.as_str()))
    );
    assert_eq!(v["code"], "RULE_LIMIT");
    assert_eq!(coupons.lock().unwrap().returns, 1);
}

#[test]
fn a_usable_coupon_the_ledger_never_returned_is_rejected_as_it_is() {
    let (server, _) = Server::with_coupons(Coupons::with(&[("C1", STOCK, "SENDED")]));
    let s = setup(&server.base_url, "");
    let out = ret(&s, &["--code", "C1", "--stock", STOCK]);
    assert_eq!(out.code, 3, "{}{}", out.stdout, out.stderr);
    assert!(out.json().get("from_ledger").is_none());
}

#[test]
fn a_number_the_ledger_holds_for_another_coupon_is_refused_before_sending() {
    let (server, coupons) = Server::with_coupons(Coupons::with(&[
        ("C1", STOCK, "USED"),
        ("C2", STOCK, "USED"),
    ]));
    let s = setup(&server.base_url, "");
    let out = ret(
        &s,
        &["--code", "C1", "--stock", STOCK, "--request-no", "R-9"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    for extra in [&[][..], &["--resume"][..]] {
        let mut args = vec!["--code", "C2", "--stock", STOCK, "--request-no", "R-9"];
        args.extend_from_slice(extra);
        let out = ret(&s, &args);
        assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
        let msg = out.json()["message"].as_str().unwrap().to_string();
        assert!(msg.contains("another coupon: C1"), "{msg}");
    }
    assert_eq!(server.seen().len(), 1, "nothing more sent");
    assert_eq!(coupons.lock().unwrap().returns, 1);
    // The same number for its own coupon goes (and confirms).
    let out = ret(
        &s,
        &[
            "--code",
            "C1",
            "--stock",
            STOCK,
            "--request-no",
            "R-9",
            "--resume",
        ],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
}

/// `kill -9` while the request is out: the ledger has `sending` and no
/// outcome; the plain command again repeats that number.
#[test]
fn killed_between_sending_and_the_answer_then_the_plain_command_again() {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let gate = Gate::default();
    let held = gate.clone();
    let mut coupons = Coupons::with(&[("C1", STOCK, "USED")]);
    let mut first = true;
    let server = Server::start(move |seen| {
        let reply = coupons.answer(seen);
        if std::mem::take(&mut first) {
            let _ = tx.send(());
            return reply.held_until(&held);
        }
        reply
    });
    let s = setup(&server.base_url, "");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("wxcoupon"))
        .env_clear()
        .env("HOME", s.home.path())
        .arg("--config")
        .arg(&s.config)
        .args(["return", "--code", "C1", "--stock", STOCK])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    rx.recv_timeout(GATE_BOUND).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    gate.open();
    let r = records(&state(s.home.path()));
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0]["record"], "sending");
    let out = ret(&s, &["--code", "C1", "--stock", STOCK]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let v = out.json();
    assert_eq!(v["from_ledger"], true);
    assert_eq!(v["confirmed_by_retry"], true);
    assert_eq!(numbers(&server).len(), 1);
}

/// Two processes return at once into one ledger: every line whole.
#[test]
fn two_processes_appending_at_once_tear_no_line() {
    let list: Vec<(String, &str, &str)> =
        (0..16).map(|i| (format!("C{i}"), STOCK, "USED")).collect();
    let borrowed: Vec<(&str, &str, &str)> = list
        .iter()
        .map(|(c, s, st)| (c.as_str(), *s, *st))
        .collect();
    let (server, coupons) = Server::with_coupons(Coupons::with(&borrowed));
    let s = setup(&server.base_url, "");
    let spawn = |half: usize| {
        let script: Vec<String> = (0..8).map(|i| format!("C{}", half * 8 + i)).collect();
        let bin = assert_cmd::cargo::cargo_bin("wxcoupon");
        let mut sh = String::new();
        for code in &script {
            sh.push_str(&format!(
                "\"$0\" --config \"$1\" return --code {code} --stock {STOCK} >/dev/null 2>&1 || exit 1\n"
            ));
        }
        std::process::Command::new("sh")
            .env_clear()
            .env("HOME", s.home.path())
            .args(["-c", &sh])
            .arg(&bin)
            .arg(&s.config)
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (spawn(0), spawn(1));
    assert!(a.wait().unwrap().success());
    assert!(b.wait().unwrap().success());
    let r = records(&state(s.home.path()));
    assert_eq!(r.len(), 32);
    assert_eq!(coupons.lock().unwrap().returns, 16);
}

fn history(s: &Setup, args: &[&str]) -> Out {
    let mut c = wxcoupon(s.home.path());
    c.arg("--config").arg(&s.config).arg("history").args(args);
    run(&mut c)
}

#[test]
fn history_says_what_was_returned_when_with_which_number_and_filters() {
    let (server, _) = Server::with_coupons(Coupons::with(&[
        ("C1", STOCK, "USED"),
        ("C2", STOCK, "SENDED"),
        ("C3", "1234567", "USED"),
    ]));
    let s = setup(&server.base_url, "");
    for (code, stock, no) in [
        ("C1", STOCK, "R-1"),
        ("C2", STOCK, "R-2"),
        ("C3", "1234567", "R-3"),
    ] {
        ret(&s, &["--code", code, "--stock", stock, "--request-no", no]);
    }
    let out = history(&s, &["--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3, "{}", out.stdout);
    let c1 = rows.iter().find(|r| r["coupon_code"] == "C1").unwrap();
    assert_eq!(c1["outcome"], "returned");
    assert_eq!(c1["return_request_no"], "R-1");
    assert_eq!(c1["stock_id"], STOCK);
    assert_eq!(c1["wechatpay_return_time"], RETURN_TIME);
    assert_eq!(c1["profile"], "test");
    assert_eq!(c1["mchid"], MCHID);
    assert!(c1["request_id"].is_string());
    assert!(c1["time"].is_string() && c1["sent"].is_string());

    let only = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = history(&s, &all);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let mut codes: Vec<String> = out
            .stdout
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["coupon_code"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        codes.sort();
        codes
    };
    assert_eq!(only(&["--outcome", "rejected"]), ["C2"]);
    assert_eq!(only(&["--stock", "1234567"]), ["C3"]);
    assert_eq!(only(&["--code", "C1"]), ["C1"]);
    assert_eq!(
        only(&["--since", "2000-01-01", "--until", "2999-12-31"]).len(),
        3
    );
    assert!(only(&["--until", "2000-01-01"]).is_empty());
    assert!(only(&["--since", "2999-01-01"]).is_empty());

    let table = history(&s, &["--code", "C2"]);
    assert_eq!(table.code, 0);
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", table.stdout);
    assert!(lines[0].starts_with("TIME"));
    assert!(
        lines[1].contains("rejected RULE_LIMIT") && lines[1].contains("R-2"),
        "{}",
        lines[1]
    );

    let bad = history(&s, &["--since", "yesterday"]);
    assert_eq!(bad.code, 2);
}

/// A batch records its rows in the ledger as well as in its journal, with
/// their input lines; a dry run records nothing.
#[test]
fn a_batch_records_its_rows_in_the_ledger_too() {
    let (server, coupons) = Server::with_coupons(Coupons::with(&[
        ("B1", STOCK, "USED"),
        ("B2", STOCK, "SENDED"),
    ]));
    let s = setup(&server.base_url, "");
    let input = s.home.path().join("rows.csv");
    std::fs::write(
        &input,
        format!("coupon_code,stock_id\nB1,{STOCK}\nB2,{STOCK}\n"),
    )
    .unwrap();
    let file = input.to_str().unwrap();
    let dry = ret(&s, &["--batch", file, "--dry-run"]);
    assert_eq!(dry.code, 0, "{}{}", dry.stdout, dry.stderr);
    assert!(!state(s.home.path()).exists());
    let out = ret(&s, &["--batch", file]);
    assert_eq!(out.code, 3, "{}{}", out.stdout, out.stderr);
    assert_eq!(coupons.lock().unwrap().returns, 1);
    let r = records(&state(s.home.path()));
    assert_eq!(r.len(), 4, "{r:?}");
    let outcome = |code: &str| {
        r.iter()
            .find(|v| v["record"] == "outcome" && v["coupon_code"] == code)
            .unwrap()
            .clone()
    };
    assert_eq!(
        (
            outcome("B1")["outcome"].clone(),
            outcome("B1")["line"].clone()
        ),
        ("returned".into(), 2.into())
    );
    assert_eq!(
        (
            outcome("B2")["outcome"].clone(),
            outcome("B2")["line"].clone()
        ),
        ("rejected".into(), 3.into())
    );
    let h = history(&s, &["--json", "--code", "B1"]);
    let row: Value = serde_json::from_str(h.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(row["batch_line"], 2);
}

/// Damage in the middle of the ledger is said, with its file and line, and
/// does not block a return; a half-written last line is cut off.
#[test]
fn damage_is_said_and_does_not_block_a_return() {
    let (server, coupons) = Server::with_coupons(Coupons::with(&[
        ("C1", STOCK, "USED"),
        ("C2", STOCK, "USED"),
    ]));
    let s = setup(&server.base_url, "");
    let out = ret(&s, &["--code", "C1", "--stock", STOCK]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let dir = state(s.home.path());
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("not a record\n{text}{{\"record\":\"send")).unwrap();
    let out = ret(&s, &["--code", "C2", "--stock", STOCK]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("damaged at line 1"), "{}", out.stderr);
    assert!(out.stderr.contains("half-written line"), "{}", out.stderr);
    assert_eq!(coupons.lock().unwrap().returns, 2);
    let after = std::fs::read_to_string(&file).unwrap();
    assert!(
        after.ends_with('\n') && after.lines().count() == 5,
        "{after}"
    );
    let h = history(&s, &["--json"]);
    assert_eq!(h.stdout.lines().count(), 2, "{}", h.stdout);
    assert!(h.stderr.contains("damaged at line 1"), "{}", h.stderr);
}

/// An answer that fails verification (`unverified`): the plain command
/// again repeats that number, and WeChat Pay's verified answer settles it.
#[test]
fn an_unverified_return_is_repeated_with_its_number_by_the_plain_command() {
    let mut coupons = Coupons::with(&[("C1", STOCK, "USED")]);
    let mut first = true;
    let server = Server::start(move |seen| {
        let reply = coupons.answer(seen);
        match std::mem::take(&mut first) {
            true => reply.sig(Sig::WrongKey),
            false => reply,
        }
    });
    let s = setup(&server.base_url, "");
    let plain = ["--code", "C1", "--stock", STOCK];
    let out = ret(&s, &plain);
    assert_eq!(out.json()["outcome"], "unverified", "{}", out.stdout);
    let number = out.json()["return_request_no"].clone();
    let again = ret(&s, &plain);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    let v = again.json();
    assert_eq!(
        (v["from_ledger"].clone(), v["return_request_no"].clone()),
        (Value::Bool(true), number)
    );
    assert_eq!(numbers(&server).len(), 1);
}

/// The hostile pass's false successes, closed: a batch row whose number the
/// ledger holds for another coupon is refused (nothing sent), and the plain
/// command never resumes a number the ledger holds for another coupon (a
/// planted or a batch-written record).
#[test]
fn a_number_of_another_coupon_is_never_sent_by_a_batch_nor_resumed() {
    let (server, coupons) = Server::with_coupons(Coupons::with(&[
        ("C6", STOCK, "USED"),
        ("C7", STOCK, "USED"),
        ("C14", STOCK, "USED"),
    ]));
    let s = setup(&server.base_url, "");
    let out = ret(
        &s,
        &["--code", "C6", "--stock", STOCK, "--request-no", "R-2"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows = s.home.path().join("b.csv");
    std::fs::write(
        &rows,
        format!("coupon_code,stock_id,return_request_no\nC7,{STOCK},R-2\n"),
    )
    .unwrap();
    let sent = server.seen().len();
    let out = ret(&s, &["--batch", rows.to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    let v: Value = serde_json::from_str(out.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(v["outcome"], "invalid");
    assert!(
        v["message"].as_str().unwrap().starts_with(
            "request number R-2 is the ledger's for another coupon: C6 (stock 9856000)"
        ),
        "{v}"
    );
    assert_eq!(server.seen().len(), sent, "nothing sent");

    // A `sending` record of C14 planted with C6's number: not resumed.
    let dir = state(s.home.path());
    let month = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut text = std::fs::read_to_string(&month).unwrap();
    text.push_str(&format!(
        "{{\"record\":\"sending\",\"line\":0,\"coupon_code\":\"C14\",\"stock_id\":\"{STOCK}\",\
         \"return_request_no\":\"R-2\",\"time\":\"2026-12-03T07:21:00+08:00\",\"profile\":\"test\",\
         \"mchid\":\"1900000109\"}}\n"
    ));
    std::fs::write(&month, text).unwrap();
    let out = ret(&s, &["--code", "C14", "--stock", STOCK]);
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert_eq!(server.seen().len(), sent, "nothing sent");
    assert_eq!(
        coupons.lock().unwrap().returns,
        1,
        "only C6 was ever returned"
    );
}

/// A coupon the ledger has returned, whose last record is an open resume
/// (a --resume run that met RULE_LIMIT): the plain command's RULE_LIMIT
/// 券当前是可用的 is `returned` as the ledger has it, not `unknown` for ever.
#[test]
fn an_open_record_after_a_return_does_not_keep_the_plain_command_at_exit_4() {
    let (server, _) = Server::with_coupons(Coupons::with(&[("C59", STOCK, "USED")]));
    let s = setup(&server.base_url, "");
    assert_eq!(ret(&s, &["--code", "C59", "--stock", STOCK]).code, 0);
    let out = ret(
        &s,
        &[
            "--code",
            "C59",
            "--stock",
            STOCK,
            "--request-no",
            "W-59",
            "--resume",
        ],
    );
    assert_eq!(out.code, 4, "{}", out.stderr);
    let out = ret(&s, &["--code", "C59", "--stock", STOCK]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = out.json();
    assert_eq!(
        (v["outcome"].as_str(), v["from_ledger"].as_bool()),
        (Some("returned"), Some(true))
    );
}

/// A FIFO named like a month in the state folder: `history` and `return`
/// end, never hang on it.
#[test]
fn a_fifo_in_the_state_folder_hangs_nothing() {
    let (server, _) = Server::with_coupons(Coupons::with(&[("C11", STOCK, "USED")]));
    let s = setup(&server.base_url, "");
    let dir = state(s.home.path());
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    rustix_free_mkfifo(&dir.join("2026-10.jsonl"));
    let out = history(&s, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = ret(&s, &["--code", "C11", "--stock", STOCK]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

/// `mkfifo`, run before the test's own wxcoupon runs.
fn rustix_free_mkfifo(path: &Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(made.success());
}
