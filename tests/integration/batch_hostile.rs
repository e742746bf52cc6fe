//! `wxcoupon return --batch` under attack (issue 14): a link planted where
//! the journal goes, a permissive umask, a disk that fills up in the middle
//! of a batch, a record that never ends. Against the emulator, whose log
//! line `USED -> SENDED` is the proof of a return: no coupon may have two.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

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

/// The emulator's log: how many times each coupon was returned.
fn returns_in_log(emu: &Emu) -> BTreeMap<String, usize> {
    let log = std::fs::read_to_string(&emu.stderr).unwrap();
    let mut seen = BTreeMap::new();
    for line in log.lines().filter(|l| l.contains("USED -> SENDED")) {
        let code = line.split("returned ").nth(1).unwrap();
        let code = code.split_whitespace().next().unwrap().to_string();
        *seen.entry(code).or_default() += 1;
    }
    seen
}

fn requests_in_log(emu: &Emu) -> usize {
    std::fs::read_to_string(&emu.stderr)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("emulator: POST "))
        .count()
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
