//! The scripts under `examples/` that the README and the reference show, run
//! as a reader runs them: the built binary first on PATH, an empty HOME, the
//! environment cleared, against the emulator. Each script's exit code and the
//! key lines of its output are checked; no test waits on time (the emulator
//! prints its profile once it listens, and the scripts read it).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::common::{Out, run};
use crate::emulator::emulator;

pub fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// The files under examples/ whose names end with one of `suffixes`.
pub fn named(suffixes: &[&str]) -> BTreeSet<String> {
    std::fs::read_dir(examples())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| suffixes.iter().any(|s| n.ends_with(s)))
        .collect()
}

/// The shell scripts under examples/ (`rsa_speed.rs` is a cargo example).
fn scripts() -> BTreeSet<String> {
    named(&[".sh"])
}

/// Runs `examples/NAME ARGS…` in `dir`, with wxcoupon's folder first on PATH,
/// HOME an empty folder, TMPDIR `tmp`, and nothing else but `env`.
fn script(name: &str, args: &[&str], dir: &Path, tmp: &Path, env: &[(&str, &Path)]) -> Out {
    let bin = assert_cmd::cargo::cargo_bin("wxcoupon");
    let path = format!("{}:/usr/bin:/bin", bin.parent().unwrap().display());
    let home = tempfile::tempdir().unwrap();
    let mut cmd = assert_cmd::Command::new(examples().join(name));
    cmd.env_clear()
        .env("PATH", path)
        .env("HOME", home.path())
        .env("TMPDIR", tmp)
        .current_dir(dir)
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(&mut cmd)
}

fn empty(dir: &Path) -> bool {
    std::fs::read_dir(dir).unwrap().next().is_none()
}

#[test]
fn every_script_under_examples_has_a_test_here() {
    let tested: BTreeSet<String> = [
        "ci-smoke.sh",
        "return-coupon.sh",
        "return-pending.sh",
        "walkthrough.sh",
    ]
    .map(String::from)
    .into();
    assert_eq!(
        scripts(),
        tested,
        "a script under examples/ with no test here"
    );
}

#[test]
fn the_docs_show_every_example_script_and_name_none_that_is_missing() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut shown = BTreeSet::new();
    for doc in ["README.md", "docs/reference.md", "docs/design.md"] {
        let text = std::fs::read_to_string(root.join(doc)).unwrap();
        for folder in ["examples/", "scripts/"] {
            for (at, _) in text.match_indices(folder) {
                let rest = &text[at + folder.len()..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c)))
                    .unwrap_or(rest.len());
                let name = &rest[..end];
                if !name.ends_with(".sh") {
                    continue;
                }
                assert!(
                    root.join(folder).join(name).is_file(),
                    "{doc} shows {folder}{name}, which does not exist"
                );
                if folder == "examples/" {
                    shown.insert(name.to_string());
                }
            }
        }
    }
    let unshown: Vec<_> = scripts().difference(&shown).cloned().collect();
    assert!(
        unshown.is_empty(),
        "scripts the docs never show: {unshown:?}"
    );
}

/// The walk-through's commands (`$ …` lines) and the exit code each printed
/// (`None` for the emulator's start, which keeps running).
fn steps(stdout: &str) -> Vec<(String, Option<i32>)> {
    stdout
        .split("\n$ ")
        .skip(1)
        .map(|block| {
            let command = block.lines().next().unwrap().to_string();
            let code = block
                .lines()
                .rev()
                .find_map(|l| l.strip_prefix("exit "))
                .map(|c| c.parse().unwrap());
            (command, code)
        })
        .collect()
}

#[test]
fn the_walkthrough_runs_as_the_readme_tells_it() {
    let (dir, tmp) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let out = script("walkthrough.sh", &[], dir.path(), tmp.path(), &[]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let t2 = "    # terminal 2";
    let expected: Vec<(String, Option<i32>)> = [
        (format!("wxcoupon emulator --state emulator-state > emulator.toml{t2}"), None),
        ("wxcoupon doctor".into(), Some(0)),
        ("wxcoupon return --code COUPON-USED-1 --stock 9856000 --request-no refund-1001".into(), Some(0)),
        ("wxcoupon return --code COUPON-USED-1 --stock 9856000 --request-no refund-1001".into(), Some(3)),
        ("wxcoupon return --code COUPON-USED-1 --stock 9856000 --request-no refund-1001 --resume".into(), Some(0)),
        ("wxcoupon return --batch refunds.csv".into(), Some(3)),
        ("wxcoupon return --batch refunds.csv".into(), Some(3)),
        (format!("^C{t2}"), Some(0)),
        ("wxcoupon return --batch more.csv --retries 0".into(), Some(4)),
        (format!("wxcoupon emulator --state emulator-state > emulator.toml{t2}"), None),
        ("wxcoupon return --batch more.csv".into(), Some(0)),
        (format!("^C{t2}"), Some(0)),
        (format!("wxcoupon emulator --state emulator-certs --signer certificate > emulator-certs.toml{t2}"), None),
        ("wxcoupon certificates download".into(), Some(0)),
        ("wxcoupon certificates list".into(), Some(0)),
        ("wxcoupon return --code COUPON-USED-1 --stock 9856000 --request-no refund-2001".into(), Some(0)),
        (format!("^C{t2}"), Some(0)),
    ]
    .into();
    assert_eq!(steps(&out.stdout), expected, "{}", out.stdout);
    for line in [
        "all good",
        "is back in the user's wallet (confirmed by retry)",
        "RESOURCE_ALREADY_EXISTS",
        "line 2  COUPON-USED-2  returned",
        "line 3  COUPON-AVAILABLE  rejected  RULE_LIMIT: 券当前是可用的",
        "line 3  COUPON-AVAILABLE  rejected  RULE_LIMIT: 券当前是可用的  (from the journal)",
        "line 2  COUPON-USED-3  unknown  cannot connect",
        "line 2  COUPON-USED-3  returned",
        "in use",
        "emulator: GET /v3/certificates",
    ] {
        assert!(out.stdout.contains(line), "no {line:?} in\n{}", out.stdout);
    }
    // Restarted with the same --state: the same port, so the saved profile
    // still works; and each coupon was returned once.
    let urls: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("base_url = "))
        .collect();
    assert_eq!(urls.len(), 3, "{}", out.stdout);
    assert_eq!(urls[0], urls[1]);
    for coupon in ["COUPON-USED-2", "COUPON-USED-3"] {
        let returned = format!("200 returned {coupon} ");
        assert_eq!(out.stdout.matches(&returned).count(), 1, "{}", out.stdout);
    }
    assert!(empty(tmp.path()), "the walk-through left files behind");
}

#[test]
fn return_coupon_sh_returns_confirms_and_sorts_what_needs_a_person() {
    let emu = emulator(None, &[]);
    let (dir, tmp) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let config = [("WXCOUPON_CONFIG", emu.config.as_path())];
    let ret = |args: &[&str]| script("return-coupon.sh", args, dir.path(), tmp.path(), &config);

    let first = ret(&["REFUND-1", "COUPON-USED-1", "9856000"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first
            .stdout
            .starts_with("returned: {\"outcome\":\"returned\"")
    );
    assert!(
        first
            .stdout
            .contains("\"return_request_no\":\"REFUND-1:9856000:COUPON-USED-1\"")
    );
    // Re-run: the same number, confirmed.
    let again = ret(&["REFUND-1", "COUPON-USED-1", "9856000"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stdout.contains("\"confirmed_by_retry\":true"));
    // A second coupon of the same refund has a number of its own: returned.
    let second = ret(&["REFUND-1", "COUPON-USED-2", "9856000"]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(second.stdout.contains("\"confirmed_by_retry\":false"));
    let log = std::fs::read_to_string(&emu.stderr).unwrap();
    assert!(log.contains("200 returned COUPON-USED-2 "), "{log}");

    let available = ret(&["REFUND-2", "COUPON-AVAILABLE", "9856000"]);
    assert_eq!(available.code, 3);
    assert!(
        available
            .stderr
            .contains("coupon COUPON-AVAILABLE is not USED")
    );
    let deleted = ret(&["REFUND-3", "COUPON-DELETED", "9856000"]);
    assert_eq!(deleted.code, 3);
    assert!(
        deleted.stderr.starts_with("rejected: "),
        "{}",
        deleted.stderr
    );
    let bad = ret(&["REFUND-4", "NOT A CODE!", "9856000"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.starts_with("configuration or input error: "));
    let usage = ret(&["REFUND-5"]);
    assert_eq!(usage.code, 2);
    assert!(usage.stderr.contains("usage: "));
}

/// What the README's cron advice warns of: `--resume` with a number used
/// for another coupon. The ledger refuses it when it recorded the number for
/// the other coupon; without the ledger (another machine, --no-ledger) it
/// reports that coupon returned, and it was not.
#[test]
fn resume_with_a_number_used_for_another_coupon_is_refused_by_the_ledger_only() {
    let emu = emulator(None, &[]);
    let first = emu.ret(&[
        "--code",
        "COUPON-USED-1",
        "--stock",
        "9856000",
        "--request-no",
        "R-1",
    ]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let other = |extra: &[&str]| {
        let mut args = vec![
            "--code",
            "COUPON-USED-2",
            "--stock",
            "9856000",
            "--request-no",
            "R-1",
            "--resume",
            "--json",
        ];
        args.extend_from_slice(extra);
        emu.ret(&args)
    };
    let refused = other(&[]);
    assert_eq!(refused.code, 2, "{}", refused.stdout);
    let without_ledger = other(&["--no-ledger"]);
    assert_eq!(without_ledger.code, 0, "{}", without_ledger.stderr);
    let json = without_ledger.json();
    assert_eq!(json["outcome"], "returned");
    assert_eq!(json["confirmed_by_retry"], true);
    let log = std::fs::read_to_string(&emu.stderr).unwrap();
    assert!(!log.contains("returned COUPON-USED-2"), "{log}");
}

#[test]
fn return_pending_sh_keeps_only_the_lines_still_to_retry() {
    // The third request gets a 500 (not processed); one attempt per run.
    let emu = emulator(None, &["--fault", "pass:2", "--fault", "500:1"]);
    let mut profile = std::fs::read_to_string(&emu.config).unwrap();
    profile.push_str("retries = 0\n");
    std::fs::write(&emu.config, profile).unwrap();
    let (dir, tmp) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let pending = dir.path().join("pending.txt");
    std::fs::write(
        &pending,
        "R-1 COUPON-USED-1 9856000\nR-2 COUPON-AVAILABLE 9856000\n\nR-3 COUPON-USED-2 9856000\n",
    )
    .unwrap();
    let config = [("WXCOUPON_CONFIG", emu.config.as_path())];
    let file = pending.to_str().unwrap();

    let first = script(
        "return-pending.sh",
        &[file],
        dir.path(),
        tmp.path(),
        &config,
    );
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(first.stdout.contains("\"coupon_code\":\"COUPON-USED-1\""));
    assert!(first.stderr.contains("coupon COUPON-AVAILABLE is not USED"));
    assert!(
        first
            .stderr
            .contains("outcome unknown; the next run retries R-3:9856000:COUPON-USED-2")
    );
    assert_eq!(
        std::fs::read_to_string(&pending).unwrap(),
        "R-3 COUPON-USED-2 9856000\n"
    );

    let second = script(
        "return-pending.sh",
        &[file],
        dir.path(),
        tmp.path(),
        &config,
    );
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(second.stdout.contains("\"coupon_code\":\"COUPON-USED-2\""));
    assert_eq!(std::fs::read_to_string(&pending).unwrap(), "");
    let log = std::fs::read_to_string(&emu.stderr).unwrap();
    assert_eq!(
        log.matches("200 returned COUPON-USED-2 ").count(),
        1,
        "{log}"
    );
}

#[test]
fn ci_smoke_sh_survives_a_lost_answer_and_cleans_up() {
    let (dir, tmp) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let out = script("ci-smoke.sh", &[], dir.path(), tmp.path(), &[]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .starts_with("returned: {\"outcome\":\"returned\""),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("\"confirmed_by_retry\":true"));
    assert!(
        out.stdout.contains("fault drop-after"),
        "the emulator's log: {}",
        out.stdout
    );
    assert!(out.stdout.contains("emulator: stopped"));
    assert!(empty(tmp.path()), "the smoke check left files behind");
    assert!(empty(dir.path()));
}
