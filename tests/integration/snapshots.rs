//! The product's words, whole: the text (stdout and stderr) and the JSON of
//! every kind of outcome, compared with the files in `snapshots/`. What
//! changes from run to run (the temporary HOME, the port, the signature of a
//! dry run) is replaced by a placeholder first, each for its exact value; the
//! clock's offset, known to no one, is `[..]` in the file.
//! `SNAPSHOTS=overwrite cargo test --locked` rewrites them.

use std::path::PathBuf;

use crate::common::*;

/// What differs from run to run for `s` against `base_url`: its HOME, the
/// server's address, this build's User-Agent.
fn placeholders(s: &Setup, base_url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("[HOME]", s.home.path().display().to_string()),
        ("[SERVER]", server_addr(base_url)),
        (
            "[USER_AGENT]",
            format!(
                "wxcoupon/{} ({}; {})",
                env!("CARGO_PKG_VERSION"),
                std::env::consts::OS,
                std::env::consts::ARCH
            ),
        ),
    ]
}

/// The JSON line of `stdout`, pretty.
fn pretty(stdout: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(stdout.trim_end()).unwrap();
    format!("{}\n", serde_json::to_string_pretty(&v).unwrap())
}

/// Runs `wxcoupon --config CONFIG return ARGS` in text and in JSON mode, and
/// compares both with `NAME.stdout`, `NAME.stderr`, `NAME.json`.
fn both(name: &str, s: &Setup, base_url: &str, args: &[&str], exit: i32) {
    let r = redactions(placeholders(s, base_url));
    let out = s.ret(args);
    assert_eq!(out.code, exit, "{name}: {}", out.stderr);
    snapshot(&format!("{name}.stdout"), &out.stdout, &r);
    snapshot(&format!("{name}.stderr"), &out.stderr, &r);
    let out = s.ret(&[args, &["--json"]].concat());
    assert_eq!(out.code, exit, "{name} --json: {}", out.stderr);
    snapshot(&format!("{name}.json"), &pretty(&out.stdout), &r);
}

fn coupons(list: &[(&str, &str, &str)]) -> (Server, Setup) {
    let (server, _) = Server::with_coupons(Coupons::with(list));
    let s = setup(&server.base_url, "retries = 1\n");
    (server, s)
}

#[test]
fn returned() {
    let (server, s) = coupons(&[("C1", "9856000", "USED")]);
    // The JSON run returns a second coupon, so that both runs are returns.
    let server_url = server.base_url.clone();
    let args = ["--code", "C1", "--stock", "9856000", "--request-no", "R-1"];
    let r = redactions(placeholders(&s, &server_url));
    let out = s.ret(&args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    snapshot("returned.stdout", &out.stdout, &r);
    snapshot("returned.stderr", &out.stderr, &r);
    let (server, s) = coupons(&[("C1", "9856000", "USED")]);
    let out = s.ret(&[&args[..], &["--json"]].concat());
    let r = redactions(placeholders(&s, &server.base_url));
    snapshot("returned.json", &pretty(&out.stdout), &r);
}

#[test]
fn returned_confirmed_by_retry() {
    for json in [false, true] {
        let (server, s) = coupons(&[("C1", "9856000", "USED")]);
        server.fault(Fault::DropAfterProcessing);
        let r = redactions(placeholders(&s, &server.base_url));
        let mut args = vec!["--code", "C1", "--stock", "9856000", "--request-no", "R-1"];
        if json {
            args.push("--json");
        }
        let out = s.ret(&args);
        assert_eq!(out.code, 0, "{}", out.stderr);
        if json {
            snapshot("confirmed.json", &pretty(&out.stdout), &r);
        } else {
            snapshot("confirmed.stdout", &out.stdout, &r);
            snapshot("confirmed.stderr", &out.stderr, &r);
        }
    }
}

#[test]
fn dry_run() {
    let (server, s) = coupons(&[]);
    for json in [false, true] {
        let mut args = vec![
            "--code",
            "C1",
            "--stock",
            "9856000",
            "--request-no",
            "R-1",
            "--dry-run",
        ];
        if json {
            args.push("--json");
        }
        let out = s.ret(&args);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let authorization = out
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("Authorization: "))
            .map(str::to_string)
            .unwrap_or_else(|| {
                let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
                v["request"]["headers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|h| h[0] == "Authorization")
                    .unwrap()[1]
                    .as_str()
                    .unwrap()
                    .to_string()
            });
        let auth = parse_authorization(&authorization).unwrap();
        let mut pairs = placeholders(&s, &server.base_url);
        pairs.extend([
            ("[SIGNATURE]", auth.signature),
            ("[NONCE]", auth.nonce),
            ("[TIMESTAMP]", auth.timestamp),
        ]);
        let r = redactions(pairs);
        if json {
            snapshot("dry_run.json", &pretty(&out.stdout), &r);
        } else {
            snapshot("dry_run.stdout", &out.stdout, &r);
            snapshot("dry_run.stderr", &out.stderr, &r);
        }
    }
    assert!(server.seen().is_empty());
}

#[test]
fn invalid() {
    let (server, s) = coupons(&[]);
    both(
        "invalid",
        &s,
        &server.base_url,
        &["--code", "C.1", "--stock", "9856000"],
        2,
    );
    assert!(server.seen().is_empty());
}

#[test]
fn rejected() {
    let (server, s) = coupons(&[("C1", "9856000", "SENDED")]);
    both(
        "rejected",
        &s,
        &server.base_url,
        &["--code", "C1", "--stock", "9856000", "--request-no", "R-1"],
        3,
    );
}

#[test]
fn rejected_sign_error() {
    let (server, s) = coupons(&[("C1", "9856000", "USED")]);
    let text = std::fs::read_to_string(&s.config)
        .unwrap()
        .replace("merchant_key.pem", "other_key.pem");
    std::fs::write(&s.config, text).unwrap();
    for json in [false, true] {
        let mut args = vec!["--code", "C1", "--stock", "9856000", "--request-no", "R-1"];
        if json {
            args.push("--json");
        }
        let out = s.ret(&args);
        assert_eq!(out.code, 3, "{}", out.stderr);
        // WeChat Pay's sign_information quotes the timestamp and nonce it checked.
        let seen = server.seen().pop().unwrap();
        let auth = parse_authorization(seen.header("Authorization").unwrap()).unwrap();
        let mut pairs = placeholders(&s, &server.base_url);
        pairs.extend([("[NONCE]", auth.nonce), ("[TIMESTAMP]", auth.timestamp)]);
        let r = redactions(pairs);
        if json {
            snapshot("sign_error.json", &pretty(&out.stdout), &r);
        } else {
            snapshot("sign_error.stdout", &out.stdout, &r);
            snapshot("sign_error.stderr", &out.stderr, &r);
        }
    }
}

#[test]
fn unknown_no_answer() {
    // A port nothing listens on: connection refused, twice (retries = 1).
    let (_held, base_url) = refusing();
    let s = setup(&base_url, "retries = 1\n");
    both(
        "unknown_network",
        &s,
        &base_url,
        &["--code", "C1", "--stock", "9856000", "--request-no", "R-1"],
        4,
    );
}

#[test]
fn unknown_system_error() {
    let server = Server::start(|_| Reply::error(500, "SYSTEM_ERROR", "系统繁忙，请稍后重试"));
    let s = setup(&server.base_url, "retries = 1\n");
    both(
        "unknown_500",
        &s,
        &server.base_url,
        &["--code", "C1", "--stock", "9856000", "--request-no", "R-1"],
        4,
    );
}

#[test]
fn not_accepted() {
    let server = Server::start(|_| {
        Reply::error(429, "FREQUENCY_LIMITED", "频率超限").header("Retry-After", "0")
    });
    let s = setup(&server.base_url, "retries = 1\n");
    both(
        "not_accepted",
        &s,
        &server.base_url,
        &["--code", "C1", "--stock", "9856000", "--request-no", "R-1"],
        4,
    );
}

#[test]
fn unverified() {
    let server = Server::start(|_| Reply::returned().sig(Sig::WrongKey));
    let s = setup(&server.base_url, "");
    both(
        "unverified",
        &s,
        &server.base_url,
        &["--code", "C1", "--stock", "9856000", "--request-no", "R-1"],
        5,
    );
}

#[test]
fn the_warning_comes_first() {
    use std::os::unix::fs::PermissionsExt;
    let (server, s) = coupons(&[("C1", "9856000", "SENDED")]);
    let key: PathBuf = s.home.path().join("apiclient_key.pem");
    std::fs::copy(fixture("merchant_key.pem"), &key).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o640)).unwrap();
    let text = std::fs::read_to_string(&s.config).unwrap().replace(
        &fixture("merchant_key.pem").display().to_string(),
        &key.display().to_string(),
    );
    std::fs::write(&s.config, text).unwrap();
    both(
        "warning",
        &s,
        &server.base_url,
        &["--code", "C1", "--stock", "9856000", "--request-no", "R-1"],
        3,
    );
}

#[test]
fn certificates_download() {
    let body = crate::certificates::fixture_certificates_body();
    let server = Server::start(move |_| {
        Reply::ok(&body).sig(Sig::Certificate("3A1B5C7D9E0F21436587A9CBEDF0123456789ABC"))
    });
    for json in [false, true] {
        let s = crate::certificates::cert_setup(&server.base_url);
        let r = redactions(placeholders(&s, &server.base_url));
        let mut c = wxcoupon(s.home.path());
        c.arg("--config")
            .arg(&s.config)
            .args(["certificates", "download"]);
        if json {
            c.arg("--json");
        }
        let out = run(&mut c);
        assert_eq!(out.code, 0, "{}", out.stderr);
        if json {
            snapshot("certificates_download.json", &pretty(&out.stdout), &r);
        } else {
            snapshot("certificates_download.stdout", &out.stdout, &r);
            snapshot("certificates_download.stderr", &out.stderr, &r);
        }
    }
}

#[test]
fn certificates_download_refused() {
    let body = crate::certificates::fixture_certificates_body().replacen(
        "\"ciphertext\":\"",
        "\"ciphertext\":\"AAAA",
        1,
    );
    let server = Server::start(move |_| {
        Reply::ok(&body).sig(Sig::Certificate("3A1B5C7D9E0F21436587A9CBEDF0123456789ABC"))
    });
    let s = crate::certificates::cert_setup(&server.base_url);
    let r = redactions(placeholders(&s, &server.base_url));
    for json in [false, true] {
        let mut c = wxcoupon(s.home.path());
        c.arg("--config")
            .arg(&s.config)
            .args(["certificates", "download"]);
        if json {
            c.arg("--json");
        }
        let out = run(&mut c);
        assert_eq!(out.code, 5, "{}", out.stderr);
        if json {
            snapshot("certificates_refused.json", &pretty(&out.stdout), &r);
        } else {
            snapshot("certificates_refused.stderr", &out.stderr, &r);
        }
    }
}
