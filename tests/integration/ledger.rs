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
