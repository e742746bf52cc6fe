//! `explain`, `sign`, `verify` and `completions`, through the real binary.

use std::path::Path;

use crate::common::*;

const GET_SIG: &str = "Lc9VXxmeonkdV8Xk9tmigQFLhl0vRWTerdmoRu01aAnYwIrD/5nsSwE1WlmZGLRlAFTNQ3QsMa0+VRDlJp1Wp5p0nO8EK68b5sJBbjouxaFciIfq1zfDWWz+jqhcMoKXI1A6dPm1AW7D4d30WsMTNzp6g23OXakIsh9LO3lUmwvTuE0BY8ncf6tNGk4wKmvXwERd/ZpoQY3MAVKz+Nakwc+2XBmzT66KcUehU5kr4IvGa/lEU5RZb/q00zP9VLdBhC/jQSX3X1UcJLCtEc4gTmib4tnmAT+bHF/e17ZAuxDNcx6rqT8gNEXqaJGG+1OflMSTU2tpyG65G4dMKdFcoA==";

fn home() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn explain_knows_every_code_and_lists_them_for_an_unknown_one() {
    let h = home();
    let out =
        run(wxcoupon(h.path()).args(["explain", "rule_limit", "--message", "券已不在使用有效期"]));
    assert_eq!(out.code, 0);
    assert!(
        out.stdout.starts_with("RULE_LIMIT (HTTP 403)\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("outside its validity period")
            && out.stdout.contains("券已不在使用有效期")
    );
    assert!(!out.stdout.contains("currently usable"));

    let out = run(wxcoupon(h.path()).args(["explain", "SIGN_ERROR", "--json"]));
    assert_eq!(out.code, 0);
    let v = out.json();
    assert_eq!(v["code"], "SIGN_ERROR");
    assert!(
        v["meanings"][0]["en"]
            .as_str()
            .unwrap()
            .contains("signature")
    );

    let out = run(wxcoupon(h.path()).args(["explain", "BOGUS"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("unknown error code \"BOGUS\""),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("RESOURCE_NOT_EXISTS"), "{}", out.stderr);
    let out = run(wxcoupon(h.path()).args(["explain", "BOGUS", "--json"]));
    assert_eq!(out.code, 2);
    assert_eq!(out.json()["outcome"], "invalid");
}

#[test]
fn sign_matches_the_published_vector_without_any_config() {
    let h = home();
    let key = fixture("vectors/official_test_key_pkcs1.pem");
    let out = run(wxcoupon(h.path())
        .args([
            "sign",
            "--method",
            "GET",
            "--url",
            "/v3/refund/domestic/refunds/123123123123",
        ])
        .args([
            "--timestamp",
            "1554208460",
            "--nonce",
            "593BEC0C930BF1AFEB40B4A08C8FB242",
        ])
        .arg("--key")
        .arg(&key)
        .args([
            "--mchid",
            "1900007291",
            "--serial",
            "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB",
        ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        format!(
            "WECHATPAY2-SHA256-RSA2048 mchid=\"1900007291\",nonce_str=\"593BEC0C930BF1AFEB40B4A08C8FB242\",\
             signature=\"{GET_SIG}\",timestamp=\"1554208460\",serial_no=\"408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB\"\n"
        )
    );
    assert!(
        out.stderr
            .contains("GET\\n\n/v3/refund/domestic/refunds/123123123123\\n\n1554208460\\n\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn sign_takes_missing_values_from_the_profile_and_json_has_the_parts() {
    let h = home();
    let cfg = write_config(h.path(), "http://127.0.0.1:9", "");
    let body = h.path().join("body.json");
    std::fs::write(&body, "{\"a\":1}").unwrap();
    let out = run(wxcoupon(h.path())
        .arg("--config")
        .arg(&cfg)
        .args([
            "sign",
            "--url",
            PATH,
            "--json",
            "--timestamp",
            "1700000000",
            "--nonce",
            "N1",
        ])
        .arg("--body-file")
        .arg(&body));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = out.json();
    let message = format!("POST\n{PATH}\n1700000000\nN1\n{{\"a\":1}}\n");
    assert_eq!(v["message"], message);
    assert!(verify_with(
        "merchant_key.pem",
        message.as_bytes(),
        v["signature"].as_str().unwrap()
    ));
    let auth = parse_authorization(v["authorization"].as_str().unwrap()).unwrap();
    assert_eq!(
        (auth.mchid.as_str(), auth.serial_no.as_str()),
        (MCHID, SERIAL)
    );

    // No key flag and no config: exit 2, saying what is needed.
    let out = run(wxcoupon(h.path()).args(["sign", "--url", PATH]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("sign needs --key, --mchid and --serial"),
        "{}",
        out.stderr
    );
    let out = run(wxcoupon(h.path()).args(["sign", "--url", "https://x/v3", "--mchid", "1"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("--url \"https://x/v3\""),
        "{}",
        out.stderr
    );
}

fn signed_answer(body: &str, ts: &str) -> String {
    sign_with(
        "wechatpay_key.pem",
        format!("{ts}\nNONCE\n{body}\n").as_bytes(),
    )
}

#[test]
fn verify_says_valid_or_invalid_with_exit_0_or_5() {
    let h = home();
    let body = r#"{"wechatpay_return_time":"2020-05-20T13:29:35+08:00"}"#;
    let ts = now().to_string();
    let sig = signed_answer(body, &ts);
    let verify = |ts: &str, sig: &str, body: &str, key: &str| {
        run(wxcoupon(h.path())
            .args([
                "verify",
                "--timestamp",
                ts,
                "--nonce",
                "NONCE",
                "--signature",
                sig,
                "--body",
                body,
            ])
            .arg("--public-key")
            .arg(fixture(key)))
    };
    let out = verify(&ts, &sig, body, "wechatpay_pub.pem");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "valid\n");

    for (sig, body, key, words) in [
        (
            sig.clone(),
            body.replace("35", "36"),
            "wechatpay_pub.pem",
            "does not match",
        ),
        (
            sig.clone(),
            body.to_string(),
            "other_pub.pem",
            "does not match",
        ),
        (
            format!("WECHATPAY/SIGNTEST/{sig}"),
            body.to_string(),
            "wechatpay_pub.pem",
            "probe",
        ),
        (
            "@@not-base64@@".to_string(),
            body.to_string(),
            "wechatpay_pub.pem",
            "not valid Base64",
        ),
    ] {
        let out = verify(&ts, &sig, &body, key);
        assert_eq!(out.code, 5, "{words}: {}", out.stderr);
        assert_eq!(out.stdout, "");
        assert!(out.stderr.contains(words), "{}", out.stderr);
    }

    // An old answer: the signature is checked, the age only reported. The
    // age is what wxcoupon's clock says, read between these two readings.
    let old = now() - 3600;
    let old_sig = signed_answer(body, &old.to_string());
    let before = now();
    let out = verify(&old.to_string(), &old_sig, body, "wechatpay_pub.pem");
    let after = now();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let said = |age: i64| {
        format!(
            "signature valid; the timestamp is {age} s behind the local clock (wxcoupon return \
             would refuse an answer this old; verify does not)\n"
        )
    };
    assert!(
        (before - old..=after - old).any(|age| out.stderr == said(age)),
        "{}",
        out.stderr
    );

    // The profile's key when no --public-key is given; --json.
    let cfg = write_config(h.path(), "http://127.0.0.1:9", "");
    let out = run(wxcoupon(h.path()).arg("--config").arg(&cfg).args([
        "verify",
        "--timestamp",
        &ts,
        "--nonce",
        "NONCE",
        "--signature",
        &sig,
        "--body",
        body,
        "--json",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = out.json();
    assert_eq!(v["valid"], true);
    assert_eq!(v["reason"], serde_json::Value::Null);
}

/// The committed completion scripts are what the clap definition generates.
/// `SNAPSHOTS=overwrite cargo test --locked` rewrites them.
#[test]
fn committed_completions_are_fresh() {
    let h = home();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    for (shell, file) in [
        ("bash", "wxcoupon.bash"),
        ("zsh", "_wxcoupon"),
        ("fish", "wxcoupon.fish"),
        ("powershell", "_wxcoupon.ps1"),
        ("elvish", "wxcoupon.elv"),
    ] {
        let out = run(wxcoupon(h.path()).args(["completions", shell]));
        assert_eq!(out.code, 0);
        assert!(out.stdout.contains("wxcoupon"));
        // SNAPSHOTS=overwrite rewrites the committed script.
        snapbox::assert_data_eq!(
            out.stdout,
            snapbox::Data::read_from(&dir.join(file), None).raw()
        );
    }
}

/// The committed man pages — one for wxcoupon and one per command — are
/// what the clap definition generates, and every page they refer to exists.
/// `SNAPSHOTS=overwrite cargo test --locked` rewrites them.
#[test]
fn committed_man_pages_are_fresh_and_complete() {
    let h = home();
    let fresh = h.path().join("man");
    let out = run(wxcoupon(h.path()).arg("man").arg(&fresh));
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "", "")
    );
    let names = |dir: &Path| -> std::collections::BTreeSet<String> {
        std::fs::read_dir(dir)
            .map(|d| {
                d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let generated = names(&fresh);
    let expected: std::collections::BTreeSet<String> = [
        "wxcoupon.1",
        "wxcoupon-return.1",
        "wxcoupon-explain.1",
        "wxcoupon-history.1",
        "wxcoupon-sign.1",
        "wxcoupon-verify.1",
        "wxcoupon-completions.1",
        "wxcoupon-emulator.1",
        "wxcoupon-demo.1",
        "wxcoupon-doctor.1",
        "wxcoupon-certificates.1",
        "wxcoupon-certificates-download.1",
        "wxcoupon-certificates-list.1",
        "wxcoupon-config.1",
        "wxcoupon-config-example.1",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(generated, expected);
    let committed_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    for name in &generated {
        // SNAPSHOTS=overwrite rewrites (or adds) the committed page.
        snapbox::assert_data_eq!(
            std::fs::read_to_string(fresh.join(name)).unwrap(),
            snapbox::Data::read_from(&committed_dir.join(name), None).raw()
        );
    }
    assert_eq!(
        names(&committed_dir),
        generated,
        "man/ holds other pages than the generated ones"
    );
    for name in &generated {
        let page = std::fs::read_to_string(fresh.join(name)).unwrap();
        // Every page named in a SEE ALSO or subcommand list exists.
        for referred in page.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '\\'))
        {
            let referred = referred.replace("\\-", "-");
            if referred.starts_with("wxcoupon-")
                && page.contains(&format!("{}(1)", referred.replace('-', "\\-")))
            {
                assert!(
                    generated.contains(&format!("{referred}.1")),
                    "{name} refers to {referred}(1)"
                );
            }
        }
    }
    // The return page documents its options.
    let ret = std::fs::read_to_string(fresh.join("wxcoupon-return.1")).unwrap();
    for option in [
        "\\-\\-code",
        "\\-\\-stock",
        "\\-\\-request\\-no",
        "\\-\\-resume",
        "\\-\\-dry\\-run",
    ] {
        assert!(ret.contains(option), "{option}");
    }
    // Without a folder, the main page on stdout.
    let out = run(wxcoupon(h.path()).arg("man"));
    assert_eq!(
        out.stdout,
        std::fs::read_to_string(fresh.join("wxcoupon.1")).unwrap()
    );
}

/// `wxcoupon … | head -1` is not a crash: the reader is gone before the
/// writer starts (closed before wxcoupon is started), the write fails with
/// EPIPE, and wxcoupon still exits 0, saying nothing.
#[test]
fn a_closed_pipe_is_not_a_crash() {
    let h = home();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = std::process::Command::new(assert_cmd::cargo::cargo_bin("wxcoupon"))
        .arg("man")
        .env_clear()
        .env("HOME", h.path())
        .stdout(writer)
        .output()
        .unwrap();
    assert_eq!(
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).as_ref()
        ),
        (Some(0), "")
    );
}

/// A password in a proxy URL is never printed: not by doctor, not in errors.
#[test]
fn proxy_passwords_are_never_printed() {
    let h = home();
    let cfg = write_config(
        h.path(),
        "https://api.example.com",
        "proxy = \"http://alice:s3cret@proxy.corp:3128\"\n",
    );
    for json in [false, true] {
        let mut c = wxcoupon(h.path());
        c.arg("--config").arg(&cfg).arg("doctor");
        if json {
            c.arg("--json");
        }
        let out = run(&mut c);
        assert!(
            out.stdout
                .contains("proxy: requests to WeChat Pay go through http://***@proxy.corp:3128")
                || out.stdout.contains(
                    "\"detail\":\"requests to WeChat Pay go through http://***@proxy.corp:3128\""
                ),
            "{}",
            out.stdout
        );
        assert!(!out.stdout.contains("s3cret") && !out.stderr.contains("s3cret"));
    }
    // An invalid proxy URL in the profile is named without its password.
    let cfg = write_config(
        h.path(),
        "https://api.example.com",
        "proxy = \"ftp://alice:s3cret@[proxy\"\n",
    );
    let out = run(wxcoupon(h.path())
        .arg("--config")
        .arg(&cfg)
        .args(["return", "--code", "C", "--stock", "1"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        format!(
            "wxcoupon: error: {}:8: profile.test.proxy = \"ftp://***@[proxy\": `ftp` is not a proxy scheme \
             (http, https, socks4, socks4a, socks5, socks5h)\n  nothing was sent\n",
            cfg.display()
        )
    );
    // Without a scheme, or with an unencoded / in the password: refused, password hidden.
    for (proxy, why) in [
        ("alice:S3cretPW@127.0.0.1:18090", "no scheme"),
        (
            "http://alice:S3cret/PW@127.0.0.1:18090",
            "percent-encode it",
        ),
        ("http://u:S3cretPW@127.0.0.1:99999", "not a port"),
    ] {
        let cfg = write_config(
            h.path(),
            "https://api.example.com",
            &format!("proxy = \"{proxy}\"\n"),
        );
        for cmd in ["doctor", "return"] {
            let mut c = wxcoupon(h.path());
            c.arg("--config").arg(&cfg).arg(cmd);
            if cmd == "return" {
                c.args(["--code", "C", "--stock", "1"]);
            }
            let out = run(&mut c);
            assert_eq!(out.code, 2, "{proxy} {cmd}: {}{}", out.stdout, out.stderr);
            let all = format!("{}{}", out.stdout, out.stderr);
            assert!(
                all.contains(why) && !all.contains("S3cret"),
                "{proxy} {cmd}: {all}"
            );
        }
    }
    // The same from the environment.
    let cfg = write_config(h.path(), "https://api.example.com", "");
    let out = run(wxcoupon(h.path())
        .env("https_proxy", "ftp://bob:hunter2@[bad")
        .arg("--config")
        .arg(&cfg)
        .args(["return", "--code", "C", "--stock", "1"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(!out.stderr.contains("hunter2"), "{}", out.stderr);
}

/// A failed write to stdout (a full disk), other than a closed pipe, is said
/// on stderr: exit 2 where stdout is the product, the coupon's outcome for
/// `return`.
#[test]
fn a_failed_write_to_stdout_is_said() {
    let h = home();
    let to_full = |args: &[&std::ffi::OsStr]| {
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("wxcoupon"))
            .env_clear()
            .env("HOME", h.path())
            .args(args)
            .stdout(
                std::fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/full")
                    .unwrap(),
            )
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let said = "wxcoupon: error: cannot write to stdout: No space left on device (os error 28)\n";
    for args in [
        &["completions", "zsh"][..],
        &["man"],
        &["explain", "RULE_LIMIT"],
        &["config", "example"],
    ] {
        let args: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
        assert_eq!(to_full(&args), (2, said.to_string()), "{args:?}");
    }
    let (server, coupons) = Server::with_coupons(Coupons::with(&[("C1", "1", "USED")]));
    let cfg = write_config(h.path(), &server.base_url, "");
    let mut args: Vec<&std::ffi::OsStr> = vec!["--config".as_ref(), cfg.as_os_str()];
    args.extend(
        [
            "return",
            "--code",
            "C1",
            "--stock",
            "1",
            "--request-no",
            "R",
        ]
        .map(std::ffi::OsStr::new),
    );
    let (code, stderr) = to_full(&args);
    assert_eq!(code, 0, "the coupon was returned: {stderr}");
    assert!(stderr.starts_with(said), "{stderr}");
    assert!(stderr.contains("returned: coupon C1"), "{stderr}");
    assert_eq!(coupons.lock().unwrap().returns, 1);
}

/// Input mistakes of the other commands are usage errors that say so, and a
/// config file may come through a pipe.
#[test]
fn flags_and_config_sources_are_checked_like_the_profile() {
    let h = home();
    let out = run(wxcoupon(h.path())
        .args([
            "verify",
            "--timestamp",
            "abc",
            "--nonce",
            "n",
            "--signature",
            "AAAA",
            "--public-key",
        ])
        .arg(fixture("wechatpay_pub.pem")));
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            2,
            "wxcoupon: error: --timestamp \"abc\": must be a Unix time in seconds (the Wechatpay-Timestamp header)\n"
        )
    );
    let out = run(wxcoupon(h.path())
        .args([
            "sign", "--url", "/v3/x", "--mchid", "1", "--serial", "NOT-HEX", "--key",
        ])
        .arg(fixture("merchant_key.pem")));
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            2,
            "wxcoupon: error: --serial \"NOT-HEX\": must be the merchant API certificate serial number (商户API证书序列号), hexadecimal\n"
        )
    );
    let out = run(wxcoupon(h.path())
        .env("WXCOUPON_CONFIG", "")
        .args(["return", "--code", "C", "--stock", "1"]));
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            2,
            "wxcoupon: error: WXCOUPON_CONFIG is set but empty; set it to the config file's path, or unset it to use the default location\n  nothing was sent\n"
        )
    );
    let out = run(wxcoupon(h.path())
        .arg("--config")
        .arg(h.path())
        .arg("doctor"));
    assert_eq!(out.code, 2);
    assert!(
        out.stdout.contains(&format!(
            "config file {} (from --config) is a folder",
            h.path().display()
        )),
        "{}",
        out.stdout
    );

    // --config <(…): a pipe is read once, by return and by doctor alike.
    let cfg = write_config(h.path(), "https://api.example.com", "");
    for (cmd, expect) in [("return --code C --stock 1 --dry-run", 0), ("doctor", 0)] {
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "exec \"$0\" --config <(cat {}) {cmd}",
                cfg.display()
            ))
            .arg(assert_cmd::cargo::cargo_bin("wxcoupon"))
            .env_clear()
            .env("HOME", h.path())
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(expect),
            "{cmd}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Global flags a command cannot honour are refused, never silently ignored;
/// demo honours -v.
#[test]
fn global_flags_are_honoured_or_refused() {
    let h = home();
    let out = run(wxcoupon(h.path()).args(["completions", "zsh", "--json"]));
    assert_eq!(out.code, 2);
    assert_eq!(
        out.json()["message"],
        "--json does not apply to `wxcoupon completions`: it prints a script, a page or a file, not a result"
    );
    let out = run(wxcoupon(h.path()).args(["-v", "explain", "RULE_LIMIT"]));
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            2,
            "",
            "wxcoupon: error: -v does not apply to `wxcoupon explain`: it traces the requests that `return`, `certificates download` and `demo` send, and `explain` sends none\n"
        )
    );
    let out = run(wxcoupon(h.path()).args(["demo", "-v"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let traced: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("wxcoupon: attempt 1: POST http://127.0.0.1:"))
        .collect();
    assert_eq!(traced.len(), 2, "{}", out.stderr);
}

/// clap's own usage errors pass through the same redaction: a key given as
/// a flag's value (`sign --key "$KEY"`, the likely CI mistake) is not echoed.
#[test]
fn a_key_given_as_a_flag_value_is_not_echoed() {
    let h = home();
    let pem = std::fs::read_to_string(fixture("merchant_key.pem")).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    for args in [
        vec![
            "sign",
            "--url",
            "/x",
            "--mchid",
            "1",
            "--serial",
            "AB",
            "--key",
            pem.trim_end(),
        ],
        vec!["return", "--code", "C", "--stock", "1", "--retries", &body],
        vec!["--config", pem.trim_end(), "doctor"],
    ] {
        let out = run(wxcoupon(h.path()).args(&args));
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(
            out.stderr.contains("characters redacted]")
                || out.stderr.contains("[key material redacted]"),
            "{}",
            out.stderr
        );
    }
}

/// A named pipe that nobody writes to, where a key file belongs, is an
/// error after a few seconds, never a hang.
#[test]
fn a_named_pipe_nobody_writes_to_is_not_a_hang() {
    let h = home();
    let fifo = h.path().join("key.pem");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let out = run(wxcoupon(h.path())
        .args([
            "sign", "--url", "/x", "--mchid", "1", "--serial", "AB", "--key",
        ])
        .arg(&fifo));
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            2,
            format!(
                "wxcoupon: error: private key file {}: nothing came through it within 5 s (a named pipe that nobody writes to?)\n",
                fifo.display()
            )
            .as_str()
        )
    );
}

/// Key material given where a value belongs is hidden in the JSON's echo of
/// the flags too, and sign refuses to sign a key as a body.
#[test]
fn key_material_in_values_is_hidden_everywhere() {
    let h = home();
    let pem = std::fs::read_to_string(fixture("merchant_key.pem")).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let cfg = write_config(h.path(), "https://api.example.com", "");
    let out = run(wxcoupon(h.path())
        .arg("--config")
        .arg(&cfg)
        .args(["return", "--stock", "1", "--json", "--code", &body]));
    assert_eq!(out.code, 2);
    let v = out.json();
    assert_eq!(
        v["coupon_code"],
        format!("[{} characters redacted]", body.len())
    );
    let out = run(wxcoupon(h.path())
        .args([
            "sign", "--url", "/x", "--mchid", "1", "--serial", "AB", "--key",
        ])
        .arg(fixture("merchant_key.pem"))
        .arg("--body-file")
        .arg(fixture("merchant_key.pem")));
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            2,
            "",
            "wxcoupon: error: the body holds a PEM private key; sign signs request bodies (the JSON sent to \
             WeChat Pay), never keys — give the key with --key FILE\n"
        )
    );
}
