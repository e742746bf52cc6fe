//! The person at the terminal gets everything the script gets (issue 16):
//! the same facts and the same next command in text as in `--json`, and
//! never a command that sends them the wrong way.

use std::sync::{Arc, Mutex};

use crate::certificates::{APIV3, CERT, CERT_FROM, CERT_TO, certificates_body, fixture_text};
use crate::common::*;
use crate::emulator::{emulator, value_of};

/// The request number a text run generated, read from its stderr.
fn generated_number(stderr: &str) -> String {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("  request number: "))
        .unwrap();
    line["  request number: ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .to_string()
}

/// A profile on the public key meets an answer signed by a platform
/// certificate (the merchant has not switched): text mode says what it
/// means, what to do and the exact command that repeats the return. Doing
/// exactly that, once the profile has the certificates, confirms the return
/// — it was returned once — instead of "rejected: repeating will not help".
#[test]
fn an_unverified_return_tells_the_person_the_way_forward() {
    let coupons = Arc::new(Mutex::new(Coupons::with(&[("C1", "9856000", "USED")])));
    let cert = fixture_text("platform_cert.pem");
    let download = certificates_body(APIV3, &[(&cert, CERT, CERT_FROM, CERT_TO)]);
    let ledger = coupons.clone();
    let server = Server::start(move |seen| {
        if seen.url.starts_with("/v3/certificates") {
            return Reply::ok(&download).sig(Sig::Certificate(CERT));
        }
        ledger
            .lock()
            .unwrap()
            .answer(seen)
            .sig(Sig::Certificate(CERT))
    });
    let s = setup(&server.base_url, "");
    let out = s.ret(&["--code", "C1", "--stock", "9856000"]);
    assert_eq!(out.code, 5, "{}", out.stderr);
    let no = generated_number(&out.stderr);
    let command = format!(
        "wxcoupon --config {} return --code C1 --stock 9856000 --request-no {no} --resume",
        s.config.display()
    );
    let text = &out.stderr;
    assert!(
        text.starts_with(&format!(
            "wxcoupon: unverified: answer not verified: the answer is signed by a WeChat Pay \
             platform certificate (serial `{CERT}`), not by the WeChat Pay public key the profile \
             names\n  do NOT treat this as a success: the return may or may not have happened\n  \
             应答由微信支付平台证书签名"
        )),
        "{text}"
    );
    assert!(
        text.contains(
            "or give the profile platform certificates too (platform_certificates_dir and \
             apiv3_key_file, then `wxcoupon certificates download`)"
        ),
        "{text}"
    );
    assert!(
        text.ends_with(&format!(
            "  request number: {no} (generated; pass it as --request-no to repeat this same \
             return)\n  once the cause is fixed, repeat this same return (it cannot return the \
             coupon twice):\n    {command}\n"
        )),
        "{text}"
    );
    // The script gets the same command.
    let again = s.ret(&[
        "--code",
        "C1",
        "--stock",
        "9856000",
        "--request-no",
        &no,
        "--json",
    ]);
    assert_eq!(again.json()["retry_command"], command);

    // The merchant does what it says: certificates in the profile, then
    // exactly the printed command.
    std::fs::write(s.home.path().join("apiv3.txt"), APIV3).unwrap();
    let text = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(
        &s.config,
        format!("{text}platform_certificates_dir = \"certs\"\napiv3_key_file = \"apiv3.txt\"\n"),
    )
    .unwrap();
    let args: Vec<&str> = command.split(' ').skip(3).collect();
    let out = run(wxcoupon(s.home.path())
        .arg("--config")
        .arg(&s.config)
        .args(&args));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.starts_with(
            "returned: coupon C1 (stock 9856000) is back in the user's wallet (confirmed by retry)\n"
        ),
        "{}",
        out.stderr
    );
    assert_eq!(coupons.lock().unwrap().returns, 1, "returned once");
}

/// A request number WeChat Pay says was used already, without --resume:
/// rejected, saying that the number was used before and the command that
/// confirms the return if it was for this coupon; the JSON has that command.
#[test]
fn a_number_used_before_says_how_to_confirm_it() {
    let server =
        Server::start(|_| Reply::error(400, "RESOURCE_ALREADY_EXISTS", "已使用过此单号退券"));
    let s = setup(&server.base_url, "");
    let args = ["--code", "C1", "--stock", "9856000", "--request-no", "R7"];
    let out = s.ret(&args);
    assert_eq!(out.code, 3, "{}", out.stderr);
    let command = format!(
        "wxcoupon --config {} return --code C1 --stock 9856000 --request-no R7 --resume",
        s.config.display()
    );
    assert_eq!(
        out.stderr,
        format!(
            "wxcoupon: rejected: RESOURCE_ALREADY_EXISTS (HTTP 400): WeChat Pay said no; repeating \
             the same call will not help\n  \
             已使用过此单号退券。 如果是在重跑一次结果未知的退券，说明那次退券已经成功；否则请换一个新的退券单号。\n  \
             This return request number was used already. If you are re-running a return whose \
             earlier outcome was unknown, it went through. Otherwise use a new request number.\n  \
             this request number was used before; if it was for this very coupon, the return went \
             through, and this confirms it: {command}\n  \
             WeChat Pay's message: 已使用过此单号退券\n  HTTP status: 400\n  \
             Request-ID: 08F0D9F7B60610A70218E4AA8F6C20C6A10E-0\n  request number: R7\n"
        )
    );
    let mut json = args.to_vec();
    json.push("--json");
    let v = s.ret(&json).json();
    assert_eq!(
        (v["outcome"].as_str(), v["retryable"].as_bool()),
        (Some("rejected"), Some(false))
    );
    assert_eq!(v["retry_command"], command);
}

/// `emulator --state DIR`, day after day: the profile it prints is the same
/// after a restart (files, port), a saved profile keeps working, and the
/// coupons keep their states. A batch's CSV seeds the coupons.
#[test]
fn the_emulator_keeps_its_state_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let rows = dir.path().join("rows.csv");
    std::fs::write(&rows, "coupon_code,stock_id\nK1,9856000\nK2,9856000\n").unwrap();
    let state = dir.path().join("emu");
    let args = |with_coupons: bool| {
        let mut a = vec!["--state".to_string(), state.display().to_string()];
        if with_coupons {
            a.extend(["--coupons".to_string(), rows.display().to_string()]);
        }
        a
    };
    let first_args = args(true);
    let emu = emulator(
        None,
        &first_args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let saved = dir.path().join("saved.toml");
    std::fs::write(&saved, &emu.profile).unwrap();
    let ret = |code: &str| {
        run(wxcoupon(dir.path()).arg("--config").arg(&saved).args([
            "return",
            "--code",
            code,
            "--stock",
            "9856000",
            "--request-no",
            code,
        ]))
    };
    assert_eq!(ret("K1").code, 0);
    let printed = emu.profile.clone();
    drop(emu);

    let again_args = args(false);
    let emu = emulator(
        None,
        &again_args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(emu.profile, printed, "the same profile after a restart");
    assert_eq!(ret("K2").code, 0, "the saved profile works");
    let out = ret("K1");
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr
            .starts_with("wxcoupon: rejected: RESOURCE_ALREADY_EXISTS (HTTP 400)"),
        "K1's request number was kept: {}",
        out.stderr
    );
    let out = run(wxcoupon(dir.path()).arg("--config").arg(&saved).args([
        "return",
        "--code",
        "K1",
        "--stock",
        "9856000",
        "--request-no",
        "NEW",
    ]));
    assert_eq!(
        out.code, 3,
        "K1 was returned before the restart: {}",
        out.stderr
    );
    drop(emu);
}

/// Without --state, the printed profile names files in a folder removed
/// when the emulator stops: using it afterwards says so, and what to do.
#[test]
fn a_profile_of_a_stopped_emulator_says_what_happened() {
    let home = tempfile::tempdir().unwrap();
    let emu = emulator(None, &[]);
    let saved = home.path().join("saved.toml");
    std::fs::write(&saved, &emu.profile).unwrap();
    let key = value_of(&emu.profile, "private_key_file").to_string();
    drop(emu);
    let out = run(wxcoupon(home.path())
        .arg("--config")
        .arg(&saved)
        .args(["return", "--code", "C1", "--stock", "9856000"]));
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        format!(
            "wxcoupon: error: reading private key file {key}: No such file or directory (os \
             error 2); it was in the folder of a `wxcoupon emulator` that has stopped (that \
             folder is removed when it stops): start the emulator again and use the profile it \
             prints, or start it with --state DIR to keep its files, and its port, across \
             restarts\n  nothing was sent\n"
        )
    );
}

/// The demo reads no config: --config and --profile are refused, not
/// ignored.
#[test]
fn demo_refuses_the_flags_it_cannot_honour() {
    let home = tempfile::tempdir().unwrap();
    for (args, flag, why) in [
        (
            vec!["--config", "/nonexistent.toml", "demo"],
            "--config",
            "it reads no config file",
        ),
        (
            vec!["demo", "--profile", "zzz"],
            "--profile",
            "it uses no profile",
        ),
    ] {
        let out = run(wxcoupon(home.path()).args(&args));
        assert_eq!(out.code, 2, "{args:?}");
        assert_eq!(
            out.stderr,
            format!("wxcoupon: error: {flag} does not apply to `wxcoupon demo`: {why}\n")
        );
        assert_eq!(out.stdout, "");
    }
}
