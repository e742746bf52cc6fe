//! The product's words, whole: the text (stdout and stderr) and the JSON of
//! every kind of outcome, compared with the files in `snapshots/`. What
//! changes from run to run (the temporary HOME, the port, the clock, the
//! signature of a dry run) is replaced by a placeholder first, so that the
//! snapshots are exact. `SNAPSHOTS=overwrite cargo test --locked` rewrites them.

use std::path::{Path, PathBuf};

use crate::common::*;

fn snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/integration/snapshots")
        .join(name);
    snapbox::assert_data_eq!(actual, snapbox::Data::read_from(&path, None).raw());
}

/// What varies from run to run, replaced by placeholders.
struct Scrub {
    pairs: Vec<(String, String)>,
}

impl Scrub {
    fn new(s: &Setup, base_url: &str) -> Self {
        let port = base_url.rsplit(':').next().unwrap_or_default().to_string();
        Scrub {
            pairs: vec![
                (s.home.path().display().to_string(), "[HOME]".into()),
                (format!("127.0.0.1:{port}"), "127.0.0.1:[PORT]".into()),
                (
                    format!(
                        "wxcoupon/{} ({}; {})",
                        env!("CARGO_PKG_VERSION"),
                        std::env::consts::OS,
                        std::env::consts::ARCH
                    ),
                    "[USER-AGENT]".into(),
                ),
            ],
        }
    }

    fn and(mut self, from: &str, to: &str) -> Self {
        self.pairs.push((from.to_string(), to.to_string()));
        self
    }

    fn text(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (from, to) in &self.pairs {
            out = out.replace(from, to);
        }
        // The clock note measures this machine against the stand-in's Date header.
        out.lines()
            .map(|l| {
                if l.trim_start().starts_with("clock: the local clock is ") {
                    "  clock: [the offset between the local clock and the Date header]"
                } else {
                    l
                }
            })
            .map(|l| format!("{l}\n"))
            .collect()
    }

    /// The JSON line, pretty, scrubbed.
    fn json(&self, stdout: &str) -> String {
        let v: serde_json::Value = serde_json::from_str(stdout.trim_end()).unwrap();
        self.text(&serde_json::to_string_pretty(&v).unwrap())
    }
}

/// Runs `wxcoupon --config CONFIG return ARGS` in text and in JSON mode, and
/// compares both with `NAME.stdout`, `NAME.stderr`, `NAME.json`.
fn both(name: &str, s: &Setup, base_url: &str, args: &[&str], exit: i32) {
    let scrub = Scrub::new(s, base_url);
    let out = s.ret(args);
    assert_eq!(out.code, exit, "{name}: {}", out.stderr);
    snapshot(&format!("{name}.stdout"), &scrub.text(&out.stdout));
    snapshot(&format!("{name}.stderr"), &scrub.text(&out.stderr));
    let out = s.ret(&[args, &["--json"]].concat());
    assert_eq!(out.code, exit, "{name} --json: {}", out.stderr);
    snapshot(&format!("{name}.json"), &scrub.json(&out.stdout));
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
    let scrub = Scrub::new(&s, &server_url);
    let out = s.ret(&args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    snapshot("returned.stdout", &scrub.text(&out.stdout));
    snapshot("returned.stderr", &scrub.text(&out.stderr));
    let (server, s) = coupons(&[("C1", "9856000", "USED")]);
    let out = s.ret(&[&args[..], &["--json"]].concat());
    snapshot(
        "returned.json",
        &Scrub::new(&s, &server.base_url).json(&out.stdout),
    );
}

#[test]
fn returned_confirmed_by_retry() {
    for json in [false, true] {
        let (server, s) = coupons(&[("C1", "9856000", "USED")]);
        server.fault(Fault::DropAfterProcessing);
        let scrub = Scrub::new(&s, &server.base_url);
        let mut args = vec!["--code", "C1", "--stock", "9856000", "--request-no", "R-1"];
        if json {
            args.push("--json");
        }
        let out = s.ret(&args);
        assert_eq!(out.code, 0, "{}", out.stderr);
        if json {
            snapshot("confirmed.json", &scrub.json(&out.stdout));
        } else {
            snapshot("confirmed.stdout", &scrub.text(&out.stdout));
            snapshot("confirmed.stderr", &scrub.text(&out.stderr));
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
        let scrub = Scrub::new(&s, &server.base_url)
            .and(&auth.signature, "[SIGNATURE]")
            .and(&auth.nonce, "[NONCE]")
            .and(&auth.timestamp, "[TIMESTAMP]");
        if json {
            snapshot("dry_run.json", &scrub.json(&out.stdout));
        } else {
            snapshot("dry_run.stdout", &scrub.text(&out.stdout));
            snapshot("dry_run.stderr", &scrub.text(&out.stderr));
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
        let scrub = Scrub::new(&s, &server.base_url)
            .and(&auth.nonce, "[NONCE]")
            .and(&auth.timestamp, "[TIMESTAMP]");
        if json {
            snapshot("sign_error.json", &scrub.json(&out.stdout));
        } else {
            snapshot("sign_error.stdout", &scrub.text(&out.stdout));
            snapshot("sign_error.stderr", &scrub.text(&out.stderr));
        }
    }
}

#[test]
fn unknown_no_answer() {
    // A port nothing listens on: connection refused, twice (retries = 1).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base_url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
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
        let scrub = Scrub::new(&s, &server.base_url);
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
            snapshot("certificates_download.json", &scrub.json(&out.stdout));
        } else {
            snapshot("certificates_download.stdout", &scrub.text(&out.stdout));
            snapshot("certificates_download.stderr", &scrub.text(&out.stderr));
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
    let scrub = Scrub::new(&s, &server.base_url);
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
            snapshot("certificates_refused.json", &scrub.json(&out.stdout));
        } else {
            snapshot("certificates_refused.stderr", &scrub.text(&out.stderr));
        }
    }
}
