//! `wxcoupon return` end to end: the real binary against a local server that
//! verifies request signatures and signs its answers.

use crate::common::*;
use serde_json::Value;

const JSON_FIELDS: [&str; 13] = [
    "outcome",
    "coupon_code",
    "stock_id",
    "return_request_no",
    "wechatpay_return_time",
    "http_status",
    "code",
    "message",
    "detail",
    "explanation",
    "retryable",
    "request_id",
    "attempts",
];

fn assert_json_shape(v: &Value) {
    let obj = v.as_object().unwrap();
    for f in JSON_FIELDS {
        assert!(obj.contains_key(f), "missing {f} in {v}");
    }
}

#[test]
fn a_used_coupon_is_returned_and_the_request_is_exactly_as_documented() {
    let (server, coupons) = Server::with_coupons(Coupons::with(&[("C100", "9856000", "USED")]));
    let s = setup(&server.base_url, "");
    let out = s.ret(&[
        "--code",
        "C100",
        "--stock",
        "9856000",
        "--request-no",
        "R-1",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, format!("{RETURN_TIME}\n"));
    assert!(
        out.stderr.contains("returned: coupon C100"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("request number: R-1"), "{}", out.stderr);
    assert!(
        out.stderr.contains("Request-ID: 08F0D9F7"),
        "{}",
        out.stderr
    );

    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    let rq = &seen[0];
    assert!(rq.auth.is_ok(), "{:?}", rq.auth);
    assert_eq!(rq.method, "POST");
    assert_eq!(rq.url, PATH);
    assert_eq!(
        rq.body,
        br#"{"coupon_code":"C100","stock_id":"9856000","return_request_no":"R-1"}"#
    );
    assert_eq!(rq.header("Accept"), Some("application/json"));
    assert_eq!(rq.header("Content-Type"), Some("application/json"));
    assert_eq!(rq.header("Wechatpay-Serial"), Some(KEY_ID));
    let ua = rq.header("User-Agent").unwrap();
    assert!(
        ua.starts_with(&format!("wxcoupon/{} (", env!("CARGO_PKG_VERSION"))),
        "{ua}"
    );
    let nonce = &rq.auth.as_ref().unwrap().nonce;
    assert_eq!(nonce.len(), 32);
    assert!(nonce.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(coupons.lock().unwrap().coupons["C100"].1, "SENDED");
    assert_eq!(coupons.lock().unwrap().returns, 1);
}

#[test]
fn json_success_has_every_field() {
    let (server, _) = Server::with_coupons(Coupons::with(&[("C1", "1", "USED")]));
    let s = setup(&server.base_url, "");
    let out = s.ret(&["--code", "C1", "--stock", "1", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stderr, "");
    let v = out.json();
    assert_json_shape(&v);
    assert_eq!(v["outcome"], "returned");
    assert_eq!(v["wechatpay_return_time"], RETURN_TIME);
    assert_eq!(v["http_status"], 200);
    assert_eq!(v["attempts"], 1);
    assert_eq!(v["retryable"], false);
    assert_eq!(v["code"], Value::Null);
    assert_eq!(v["request_id"], "08F0D9F7B60610A70218E4AA8F6C20C6A10E-0");
    // The generated request number is reported, and is the one that was sent.
    let no = v["return_request_no"].as_str().unwrap();
    assert!(no.len() <= 128 && no.starts_with("wxc"), "{no}");
    assert_eq!(server.seen()[0].json()["return_request_no"], no);
}

#[test]
fn a_generated_request_number_is_shown_on_stderr_in_text_mode() {
    let (server, _) = Server::with_coupons(Coupons::with(&[]));
    let s = setup(&server.base_url, "");
    let out = s.ret(&["--code", "NOPE", "--stock", "1"]);
    assert_eq!(out.code, 3);
    let sent = server.seen()[0].json()["return_request_no"]
        .as_str()
        .unwrap()
        .to_string();
    // A rejection is settled: the number is shown, without the advice to repeat it.
    assert!(
        out.stderr.ends_with(&format!("  request number: {sent}\n")),
        "{}",
        out.stderr
    );
    assert_eq!(
        out.stderr.matches(&sent).count(),
        1,
        "said once: {}",
        out.stderr
    );
}

#[test]
fn millisecond_return_times_are_accepted() {
    let server = Server::start(|_| {
        Reply::ok(r#"{"wechatpay_return_time":"2020-05-20T13:29:35.120+08:00"}"#)
    });
    let s = setup(&server.base_url, "");
    let out = s.ret(&["--code", "C1", "--stock", "1"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "2020-05-20T13:29:35.120+08:00\n");
}

/// Every row of the documented error table, told apart by its message.
#[test]
fn each_rejection_is_exit_3_with_its_own_explanation() {
    let mut coupons = Coupons::with(&[
        ("USED1", "1", "USED"),
        ("AVAIL", "1", "SENDED"),
        ("OLD", "1", "EXPIRED"),
        ("GONE", "1", "DELETED"),
        ("THEIRS", "1", "USED"),
    ]);
    coupons.coupons.get_mut("THEIRS").unwrap().2 = "1900000999".into();
    coupons.used_request_nos.push("DUP".into());
    let (server, _) = Server::with_coupons(coupons);
    let s = setup(&server.base_url, "");
    for (code, no, status, wx_code, words) in [
        ("AVAIL", "R1", 403, "RULE_LIMIT", "currently usable"),
        (
            "OLD",
            "R2",
            403,
            "RULE_LIMIT",
            "outside its validity period",
        ),
        ("GONE", "R3", 404, "RESOURCE_NOT_EXISTS", "was deleted"),
        (
            "MISSING",
            "R4",
            404,
            "RESOURCE_NOT_EXISTS",
            "No such coupon",
        ),
        (
            "THEIRS",
            "R5",
            403,
            "NO_AUTH",
            "may not operate this coupon",
        ),
        (
            "USED1",
            "DUP",
            400,
            "RESOURCE_ALREADY_EXISTS",
            "it went through",
        ),
    ] {
        let out = s.ret(&["--code", code, "--stock", "1", "--request-no", no]);
        assert_eq!(out.code, 3, "{code}: {}", out.stderr);
        assert_eq!(out.stdout, "", "nothing on stdout on failure");
        assert!(
            out.stderr
                .contains(&format!("rejected: {wx_code} (HTTP {status})")),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains(words), "{code}: {}", out.stderr);
        assert!(
            out.stderr.contains(&format!("request number: {no}")),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains("Request-ID: "), "{}", out.stderr);

        let out = s.ret(&["--code", code, "--stock", "1", "--request-no", no, "--json"]);
        assert_eq!(out.code, 3);
        let v = out.json();
        assert_json_shape(&v);
        assert_eq!(v["outcome"], "rejected");
        assert_eq!(v["code"], wx_code);
        assert_eq!(v["http_status"], status);
        assert_eq!(v["retryable"], false);
        assert!(v["explanation"].as_str().unwrap().contains(words), "{v}");
        assert_eq!(v["wechatpay_return_time"], Value::Null);
    }
    // The one USED coupon was never returned by any of this.
    assert!(server.seen().iter().all(|r| r.auth.is_ok()));
}

#[test]
fn param_error_and_invalid_request_are_rejections_with_the_server_detail() {
    let server = Server::start(|_| {
        let mut r = Reply::error(400, "PARAM_ERROR", "批次号格式错误");
        r.body = r#"{"code":"PARAM_ERROR","message":"批次号格式错误","detail":{"field":"/stock_id","value":"x","issue":"bad","location":"body"}}"#.into();
        r
    });
    let s = setup(&server.base_url, "");
    let out = s.ret(&["--code", "C", "--stock", "1"]);
    assert_eq!(out.code, 3);
    assert!(
        out.stderr.contains("WeChat Pay's message: 批次号格式错误"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("\"field\":\"/stock_id\""),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("参数错误"), "{}", out.stderr);
    let v = s.ret(&["--code", "C", "--stock", "1", "--json"]).json();
    assert_eq!(v["detail"]["field"], "/stock_id");
}

#[test]
fn sign_error_compares_the_signed_message_with_the_servers() {
    let (server, _) = Server::with_coupons(Coupons::with(&[("C", "1", "USED")]));
    // The profile's private key is not the one the server knows.
    let s = setup(&server.base_url, "");
    let text = std::fs::read_to_string(&s.config)
        .unwrap()
        .replace("merchant_key.pem", "other_key.pem");
    std::fs::write(&s.config, text).unwrap();
    let out = s.ret(&["--code", "C", "--stock", "1"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains("rejected: SIGN_ERROR (HTTP 401)"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("does not belong to merchant_serial_no"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("checked the same message wxcoupon signed"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("clock"), "{}", out.stderr);
}

#[test]
fn sign_error_points_at_the_first_difference() {
    let server = Server::start(|seen| {
        let text = truncated_like_wechat_pay(&seen.signed_message).replace(PATH, "/v3/other");
        Reply {
            status: 401,
            body: serde_json::json!({"code": "SIGN_ERROR", "message": "签名错误", "detail": {"sign_information": {
                "truncated_sign_message": text, "sign_message_length": text.len()}}})
            .to_string(),
            sig: Sig::Missing,
            headers: vec![],
            gate: None,
        }
    });
    let s = setup(&server.base_url, "");
    let out = s.ret(&["--code", "C", "--stock", "1"]);
    assert_eq!(out.code, 3);
    let notes: Vec<&str> = out
        .stderr
        .lines()
        .skip_while(|l| !l.contains("sign_information"))
        .take(3)
        .collect();
    assert_eq!(
        notes,
        [
            "  sign_information: the messages differ at line 2 (URL):",
            "    wxcoupon signed:    /v3/marketing/busifavor/coupons/return",
            "    WeChat Pay checked: /v3/other",
        ],
        "{}",
        out.stderr
    );
}

#[test]
fn no_definitive_answer_is_exit_4_with_the_retry_command() {
    // (reply, words, attempts with --retries 1): 429, 5xx and 202 are retried, others not.
    for (reply, words, attempts) in [
        (
            Reply::error(500, "SYSTEM_ERROR", "系统异常，请稍后重试"),
            "SYSTEM_ERROR (HTTP 500)",
            2,
        ),
        (
            Reply::error(429, "FREQUENCY_LIMITED", "频率超限"),
            "FREQUENCY_LIMITED (HTTP 429)",
            2,
        ),
        (
            Reply::raw(502, "<html><body>502 Bad Gateway</body></html>"),
            "HTTP 502 without a WeChat Pay error body",
            2,
        ),
        (
            Reply::raw(202, ""),
            "has not processed it yet (HTTP 202)",
            2,
        ),
        (
            Reply::raw(403, "<html>Forbidden by proxy</html>"),
            "HTTP 403 without a WeChat Pay error body",
            1,
        ),
        (
            Reply::error(409, "SOMETHING_NEW", "新错误"),
            "SOMETHING_NEW (HTTP 409)",
            1,
        ),
    ] {
        let status = reply.status;
        let server = Server::start(move |_| reply.clone());
        let s = setup(&server.base_url, "");
        let args = [
            "--code",
            "C",
            "--stock",
            "1",
            "--request-no",
            "R-9",
            "--retries",
            "1",
        ];
        let out = s.ret(&args);
        assert_eq!(out.code, 4, "{status}: {}", out.stderr);
        assert_eq!(out.stdout, "");
        assert!(out.stderr.contains(words), "{status}: {}", out.stderr);
        assert!(
            out.stderr
                .contains("safe to retry with the same request number"),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr
                .contains("return --code C --stock 1 --request-no R-9 --resume"),
            "{}",
            out.stderr
        );
        let v = s.ret(&[&args[..], &["--json"]].concat()).json();
        assert_json_shape(&v);
        assert_eq!(v["outcome"], "unknown");
        assert_eq!(v["retryable"], true);
        assert_eq!(v["http_status"], status);
        assert_eq!(v["attempts"], attempts, "{status}");
        assert_eq!(server.seen().len(), 2 * attempts as usize, "{status}");
        assert!(
            v["retry_command"]
                .as_str()
                .unwrap()
                .contains("--request-no R-9 --resume")
        );
    }
}

#[test]
fn a_refused_connection_is_exit_4() {
    let (_held, base_url) = refusing();
    let home = tempfile::tempdir().unwrap();
    let config = write_config(home.path(), &base_url, "");
    let out = run(wxcoupon(home.path()).arg("--config").arg(&config).args([
        "return",
        "--code",
        "C",
        "--stock",
        "1",
        "--json",
        "--retries",
        "0",
    ]));
    assert_eq!(out.code, 4);
    let v = out.json();
    assert_eq!(v["outcome"], "unknown");
    assert_eq!(v["http_status"], Value::Null);
    assert!(
        v["message"].as_str().unwrap().contains("cannot connect"),
        "{v}"
    );
}

#[test]
fn an_answer_that_fails_verification_is_never_a_success() {
    for (sig, words) in [
        (Sig::WrongKey, "signature does not match"),
        (Sig::NotBase64, "not valid Base64"),
        (Sig::Missing, "no Wechatpay-Timestamp header"),
        (Sig::TamperedBody, "signature does not match"),
        (
            Sig::StaleTimestamp,
            "s behind the local clock (the limit is 300 s)",
        ),
        (Sig::WrongSerial, "signed by key `PUB_KEY_ID_0000"),
    ] {
        let server = Server::start(move |_| Reply::returned().sig(sig));
        let s = setup(&server.base_url, "");
        let before = now();
        let out = s.ret(&["--code", "C", "--stock", "1"]);
        let after = now();
        assert_eq!(out.code, 5, "{sig:?}: {}", out.stderr);
        assert_eq!(out.stdout, "", "{sig:?}: no return time may be printed");
        assert!(out.stderr.contains(words), "{sig:?}: {}", out.stderr);
        if sig == Sig::StaleTimestamp {
            // Dated 600 s before the stand-in's clock; wxcoupon reads its
            // own clock a moment later, in the same second or the next ones.
            assert!(
                (600..=600 + after - before).any(|age| out
                    .stderr
                    .contains(&format!(": the answer's timestamp is {age} s behind"))),
                "{}",
                out.stderr
            );
        }
        assert!(
            out.stderr.contains("do NOT treat this as a success"),
            "{}",
            out.stderr
        );
        let v = s.ret(&["--code", "C", "--stock", "1", "--json"]).json();
        assert_json_shape(&v);
        assert_eq!(v["outcome"], "unverified");
        assert_eq!(v["wechatpay_return_time"], Value::Null);
        assert_eq!(
            server.seen().len(),
            2,
            "no retry after a failed verification"
        );
    }
}

#[test]
fn a_verified_answer_with_an_unexpected_body_is_unverified() {
    let server = Server::start(|_| Reply::ok(r#"{"status":"ok"}"#));
    let s = setup(&server.base_url, "");
    let out = s.ret(&["--code", "C", "--stock", "1"]);
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert!(out.stderr.contains("not the documented"), "{}", out.stderr);
}

#[test]
fn text_from_the_network_is_escaped() {
    let server = Server::start(|_| {
        Reply::error(403, "RULE_LIMIT", "券当前是可用的\u{1b}[2J\nFAKE: returned")
    });
    let s = setup(&server.base_url, "");
    let out = s.ret(&["--code", "C", "--stock", "1"]);
    assert_eq!(out.code, 3);
    assert!(!out.stderr.contains('\u{1b}'), "{}", out.stderr);
    assert!(
        out.stderr.contains("\\u{001b}[2J\\nFAKE: returned"),
        "{}",
        out.stderr
    );
}

#[test]
fn dry_run_signs_correctly_and_sends_nothing() {
    let server = Server::start(|_| Reply::returned());
    let s = setup(&server.base_url, "");
    let out = s.ret(&[
        "--code",
        "C7",
        "--stock",
        "42",
        "--request-no",
        "R-7",
        "--dry-run",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(server.seen().is_empty(), "a dry run sent a request");
    let mut lines = out.stdout.lines();
    assert_eq!(
        lines.next(),
        Some(&*format!("POST {}{PATH}", server.base_url))
    );
    let host = server.base_url.trim_start_matches("http://");
    assert_eq!(lines.next(), Some(&*format!("Host: {host}")));
    let auth = lines
        .next()
        .unwrap()
        .strip_prefix("Authorization: ")
        .unwrap();
    let auth = parse_authorization(auth).unwrap();
    let body = r#"{"coupon_code":"C7","stock_id":"42","return_request_no":"R-7"}"#;
    assert!(
        out.stdout.ends_with(&format!("\n\n{body}\n")),
        "{}",
        out.stdout
    );
    let message = format!("POST\n{PATH}\n{}\n{}\n{body}\n", auth.timestamp, auth.nonce);
    assert!(verify_with(
        "merchant_key.pem",
        message.as_bytes(),
        &auth.signature
    ));
    assert_eq!(auth.mchid, MCHID);
    assert_eq!(auth.serial_no, SERIAL);
    assert!(out.stderr.contains("nothing was sent"), "{}", out.stderr);

    let v = s
        .ret(&["--code", "C7", "--stock", "42", "--dry-run", "--json"])
        .json();
    assert_eq!(v["outcome"], "dry_run");
    assert_eq!(v["request"]["method"], "POST");
    assert!(server.seen().is_empty());
}

#[test]
fn dry_run_with_the_example_config_works_from_the_repository() {
    let home = tempfile::tempdir().unwrap();
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let out = run(wxcoupon(home.path()).arg("--config").arg(example).args([
        "return",
        "--code",
        "C1",
        "--stock",
        "1",
        "--dry-run",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.starts_with(
            "POST https://api.mch.weixin.qq.com/v3/marketing/busifavor/coupons/return\n"
        )
    );
}

/// Bad input of every kind: exit 2, a message naming the culprit, nothing sent.
#[test]
fn invalid_input_is_exit_2_and_sends_nothing() {
    let server = Server::start(|_| Reply::returned());
    let long = "r".repeat(129);
    let cases: Vec<(&str, String, Vec<&str>, &str)> = vec![
        (
            "empty code",
            String::new(),
            vec!["--code", "", "--stock", "1"],
            "--code is empty",
        ),
        (
            "dot in code",
            String::new(),
            vec!["--code", "a.b", "--stock", "1"],
            "--code \"a.b\" contains '.'; a coupon code is 1 to 32 characters of 0-9 a-z A-Z, space and - _ \\ / = |",
        ),
        (
            "long code",
            String::new(),
            vec![
                "--code",
                "ccccccccccccccccccccccccccccccccc",
                "--stock",
                "1",
            ],
            "--code is 33 characters long; a coupon code is at most 32",
        ),
        (
            "letters in stock",
            String::new(),
            vec!["--code", "C", "--stock", "98x"],
            "--stock \"98x\": a stock id (批次号, stock_id) is digits only, 1 to 20 of them",
        ),
        (
            "long stock",
            String::new(),
            vec!["--code", "C", "--stock", "123456789012345678901"],
            "--stock \"123456789012345678901\": a stock id",
        ),
        (
            "control in stock",
            String::new(),
            vec!["--code", "C", "--stock", "1\t"],
            "--stock",
        ),
        (
            "long request no",
            String::new(),
            vec!["--code", "C", "--stock", "1", "--request-no", &long],
            "--request-no is 129 characters",
        ),
        (
            "timeout 0",
            String::new(),
            vec!["--code", "C", "--stock", "1", "--timeout", "0"],
            "--timeout 0",
        ),
        (
            "unknown key",
            "mchld = \"1\"\n".into(),
            vec!["--code", "C", "--stock", "1"],
            "profile.test.mchld is not a known key (did you mean mchid?)",
        ),
        (
            "wrong type",
            "timeout_secs = \"ten\"\n".into(),
            vec!["--code", "C", "--stock", "1"],
            "timeout_secs",
        ),
        (
            "retries too high",
            "retries = 11\n".into(),
            vec!["--code", "C", "--stock", "1"],
            "profile.test.retries = 11",
        ),
        (
            "unknown profile",
            String::new(),
            vec!["--profile", "shop", "--code", "C", "--stock", "1"],
            "profile `shop` (from --profile) is not in config file",
        ),
    ];
    for (name, extra, args, words) in cases {
        let s = setup(&server.base_url, &extra);
        for json in [false, true] {
            let mut args = args.clone();
            if json {
                args.push("--json");
            }
            let out = s.ret(&args);
            assert_eq!(out.code, 2, "{name}: {}{}", out.stdout, out.stderr);
            if json {
                let v = out.json();
                assert_json_shape(&v);
                assert_eq!(v["outcome"], "invalid");
                assert!(
                    v["message"].as_str().unwrap().contains(words),
                    "{name}: {v}"
                );
            } else {
                assert_eq!(out.stdout, "");
                assert!(out.stderr.contains(words), "{name}: {}", out.stderr);
                assert!(
                    out.stderr.contains("nothing was sent"),
                    "{name}: {}",
                    out.stderr
                );
            }
        }
    }
    assert!(server.seen().is_empty(), "invalid input sent a request");
}

#[test]
fn bad_config_values_name_the_file_and_line() {
    let server = Server::start(|_| Reply::returned());
    let s = setup(&server.base_url, "mchld = \"1\"\n");
    let out = s.ret(&["--code", "C", "--stock", "1"]);
    assert!(
        out.stderr.contains(&s.config.display().to_string()),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.starts_with(&format!(
            "wxcoupon: error: {}:8: profile.test.mchld is not a known key (did you mean mchid?)",
            s.config.display()
        )),
        "{}",
        out.stderr
    );
    std::fs::write(&s.config, config_text("http://example.com", "")).unwrap();
    let out = s.ret(&["--code", "C", "--stock", "1"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains(&format!(
            "{}:7: profile.test.base_url = \"http://example.com\"",
            s.config.display()
        )),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("loopback"), "{}", out.stderr);
    assert!(server.seen().is_empty());
}

#[test]
fn bad_keys_name_the_file_and_send_nothing() {
    let server = Server::start(|_| Reply::returned());
    let missing = "/nonexistent/apiclient_key.pem";
    for (from, to, words) in [
        (
            fixture("merchant_key.pem"),
            std::path::PathBuf::from(missing),
            "reading private key file /nonexistent/apiclient_key.pem".to_string(),
        ),
        (
            fixture("merchant_key.pem"),
            fixture("ec_key.pem"),
            format!(
                "private key file {}: not an RSA key",
                fixture("ec_key.pem").display()
            ),
        ),
        (
            fixture("merchant_key.pem"),
            fixture("merchant_pub.pem"),
            "no private key in it".to_string(),
        ),
        (
            fixture("wechatpay_pub.pem"),
            fixture("merchant_key.pem"),
            "this is a private key".to_string(),
        ),
        (
            fixture("wechatpay_pub.pem"),
            fixture("README.md"),
            "no PEM block".to_string(),
        ),
    ] {
        let s = setup(&server.base_url, "");
        let text = std::fs::read_to_string(&s.config)
            .unwrap()
            .replace(&from.display().to_string(), &to.display().to_string());
        std::fs::write(&s.config, text).unwrap();
        let out = s.ret(&["--code", "C", "--stock", "1"]);
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(out.stderr.contains(&words), "{words}: {}", out.stderr);
    }
    assert!(server.seen().is_empty());
}

#[test]
fn the_pkcs1_private_key_form_works_end_to_end() {
    let (server, coupons) = Server::with_coupons(Coupons::with(&[("C", "1", "USED")]));
    let s = setup(&server.base_url, "");
    let text = std::fs::read_to_string(&s.config)
        .unwrap()
        .replace("merchant_key.pem", "merchant_key_pkcs1.pem");
    std::fs::write(&s.config, text).unwrap();
    let out = s.ret(&["--code", "C", "--stock", "1"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(coupons.lock().unwrap().returns, 1);
}

#[test]
fn config_discovery_and_environment_overrides() {
    let (server, coupons) = Server::with_coupons(Coupons::with(&[
        ("A", "1", "USED"),
        ("B", "1", "USED"),
        ("C", "1", "USED"),
        ("D", "1", "USED"),
    ]));
    let home = tempfile::tempdir().unwrap();
    let args = |code: &'static str| ["return", "--code", code, "--stock", "1"];

    // Nothing anywhere: exit 2 naming the places looked at.
    let out = run(wxcoupon(home.path()).args(args("A")));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains(".config/wxcoupon/config.toml"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("wxcoupon config example > "),
        "{}",
        out.stderr
    );

    // ~/.config/wxcoupon/config.toml
    let dir = home.path().join(".config/wxcoupon");
    std::fs::create_dir_all(&dir).unwrap();
    write_config(&dir, &server.base_url, "");
    let out = run(wxcoupon(home.path()).args(args("A")));
    assert_eq!(out.code, 0, "{}", out.stderr);

    // XDG_CONFIG_HOME replaces ~/.config (and is empty here).
    let xdg = tempfile::tempdir().unwrap();
    let out = run(wxcoupon(home.path())
        .env("XDG_CONFIG_HOME", xdg.path())
        .args(args("B")));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(&xdg.path().display().to_string()),
        "{}",
        out.stderr
    );

    // WXCOUPON_CONFIG naming a missing file: exit 2, no fallback to ~/.config.
    let out = run(wxcoupon(home.path())
        .env("WXCOUPON_CONFIG", "/nonexistent.toml")
        .args(args("B")));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("/nonexistent.toml (from WXCOUPON_CONFIG)"),
        "{}",
        out.stderr
    );

    // Two profiles, none chosen: exit 2 listing them; WXCOUPON_PROFILE chooses.
    let two = format!(
        "{}\n{}",
        config_text(&server.base_url, ""),
        config_text("http://127.0.0.1:9", "").replace("profile.test", "profile.dead")
    );
    let cfg = home.path().join("two.toml");
    std::fs::write(&cfg, two).unwrap();
    let out = run(wxcoupon(home.path())
        .env("WXCOUPON_CONFIG", &cfg)
        .args(args("B")));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("several profiles (dead, test)"),
        "{}",
        out.stderr
    );
    let out = run(wxcoupon(home.path())
        .env("WXCOUPON_CONFIG", &cfg)
        .env("WXCOUPON_PROFILE", "test")
        .args(args("B")));
    assert_eq!(out.code, 0, "{}", out.stderr);
    // --profile wins over WXCOUPON_PROFILE; global options work after the subcommand.
    let out = run(wxcoupon(home.path())
        .env("WXCOUPON_CONFIG", &cfg)
        .env("WXCOUPON_PROFILE", "dead")
        .args(args("C"))
        .args(["--profile", "test"]));
    assert_eq!(out.code, 0, "{}", out.stderr);

    // WXCOUPON_PRIVATE_KEY holds the PEM and no private_key_file is needed.
    let no_file: String = config_text(&server.base_url, "")
        .lines()
        .filter(|l| !l.starts_with("private_key_file"))
        .map(|l| format!("{l}\n"))
        .collect();
    let cfg = home.path().join("envkey.toml");
    std::fs::write(&cfg, no_file).unwrap();
    let out = run(wxcoupon(home.path())
        .arg("--config")
        .arg(&cfg)
        .args(args("D")));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("WXCOUPON_PRIVATE_KEY is not set"),
        "{}",
        out.stderr
    );
    let pem = std::fs::read_to_string(fixture("merchant_key.pem")).unwrap();
    let out = run(wxcoupon(home.path())
        .arg("--config")
        .arg(&cfg)
        .env("WXCOUPON_PRIVATE_KEY", &pem)
        .args(args("D")));
    assert_eq!(out.code, 0, "{}", out.stderr);
    // A broken key in the variable is named as such, and never echoed.
    let out = run(wxcoupon(home.path())
        .arg("--config")
        .arg(&cfg)
        .env(
            "WXCOUPON_PRIVATE_KEY",
            pem.replace("PRIVATE KEY", "PUBLIC KEY"),
        )
        .args(args("D")));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("the private key in WXCOUPON_PRIVATE_KEY"),
        "{}",
        out.stderr
    );

    assert_eq!(coupons.lock().unwrap().returns, 4);
}

#[test]
fn help_documents_the_exit_codes() {
    let home = tempfile::tempdir().unwrap();
    for args in [vec!["--help"], vec!["return", "--help"]] {
        let out = run(wxcoupon(home.path()).args(&args));
        assert_eq!(out.code, 0);
        for line in [
            "0  returned",
            "2  invalid",
            "3  rejected",
            "4  unknown",
            "5  unverified",
            "1  internal",
        ] {
            assert!(out.stdout.contains(line), "{args:?} lacks {line}");
        }
    }
}

#[test]
fn a_usage_error_is_exit_2() {
    let home = tempfile::tempdir().unwrap();
    let out = run(wxcoupon(home.path()).args(["return", "--code", "C"]));
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--stock"), "{}", out.stderr);
}

/// A private key pasted into the config file is never echoed, in text or JSON,
/// and the message says what to do instead.
#[test]
fn a_private_key_pasted_into_the_config_is_never_echoed() {
    let server = Server::start(|_| Reply::returned());
    let pem = std::fs::read_to_string(fixture("merchant_key.pem")).unwrap();
    let one_line = pem.trim_end().replace('\n', "\\n");
    let s = setup(&server.base_url, &format!("private_key = \"{one_line}\"\n"));
    let config = s.config.display().to_string();
    let expected = format!(
        "wxcoupon: error: {config}:8: this config file holds a PEM private key (`-----BEGIN PRIVATE KEY-----`); \
         a config file names the key's file instead. Put the key in a file of its own (chmod 600) and set \
         private_key_file = \"apiclient_key.pem\", or pass the PEM text in WXCOUPON_PRIVATE_KEY\n  nothing was sent\n"
    );
    let out = s.ret(&["--code", "C", "--stock", "1"]);
    assert_eq!((out.code, out.stdout.as_str()), (2, ""));
    assert_eq!(out.stderr, expected);
    let out = s.ret(&["--code", "C", "--stock", "1", "--json"]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.json()["message"],
        expected
            .trim_start_matches("wxcoupon: error: ")
            .trim_end_matches("\n  nothing was sent\n")
    );

    // The PEM text given where a file name belongs.
    let text = config_text(&server.base_url, "").replace(
        &fixture("merchant_key.pem").display().to_string(),
        &one_line,
    );
    std::fs::write(&s.config, text).unwrap();
    let out = s.ret(&["--code", "C", "--stock", "1"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .starts_with(&format!("wxcoupon: error: {config}:4: ")),
        "{}",
        out.stderr
    );

    // Key material without PEM armour, where a file name belongs.
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let text = config_text(&server.base_url, "")
        .replace(&fixture("merchant_key.pem").display().to_string(), &body);
    std::fs::write(&s.config, text).unwrap();
    let out = s.ret(&["--code", "C", "--stock", "1", "--json"]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.json()["message"],
        format!(
            "{config}:4: profile.test.private_key_file holds what looks like key material ({} characters); \
             a config file names key files, never keys: put the key in a file of its own (chmod 600) and \
             name that file in private_key_file, or pass the PEM text in WXCOUPON_PRIVATE_KEY",
            body.len()
        )
    );
    assert!(server.seen().is_empty());
}

/// Key material in any value or name of the config — wrapped at any width,
/// in a multi-line string, as a key id or a profile name — is refused
/// without being quoted, and never sent.
#[test]
fn key_material_anywhere_in_the_config_is_refused_unquoted() {
    let server = Server::start(|_| Reply::returned());
    let pem = std::fs::read_to_string(fixture("merchant_key.pem")).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let wrapped40: Vec<String> = body
        .as_bytes()
        .chunks(40)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect();
    let s = setup(&server.base_url, "");
    let config = s.config.display().to_string();
    let cases = [
        (
            config_text(&server.base_url, "").replace(KEY_ID, &body),
            5,
            "profile.test.wechatpay_public_key_id",
        ),
        (
            config_text(&server.base_url, "").replace(
                &format!("\"{MCHID}\""),
                &format!("\"\"\"\n{}\"\"\"", wrapped40.join("\n")),
            ),
            2,
            "profile.test.mchid",
        ),
        (
            config_text(&server.base_url, "")
                .replace("[profile.test]", &format!("[profile.{body}]")),
            1,
            &format!("profile.{}", "[redacted]"),
        ),
    ];
    for (text, line, field) in cases {
        std::fs::write(&s.config, &text).unwrap();
        for json in [false, true] {
            let mut args = vec!["--code", "C", "--stock", "1"];
            if json {
                args.push("--json");
            }
            let out = s.ret(&args);
            assert_eq!(out.code, 2, "{}", out.stderr);
            let all = format!("{}{}", out.stdout, out.stderr);
            for chunk in wrapped40
                .iter()
                .chain([&body[body.len() - 20..].to_string()])
            {
                assert!(!all.contains(chunk.as_str()), "key material leaked:\n{all}");
            }
            if !field.contains("[redacted]") {
                assert!(
                    all.contains(&format!(
                        "{config}:{line}: {field} holds what looks like key material"
                    )),
                    "{all}"
                );
            }
        }
    }
    assert!(server.seen().is_empty());
}

/// A private key file that group or others can read gets one warning line on
/// stderr (text and JSON mode), and the return goes on.
#[test]
fn a_readable_private_key_file_is_warned_about_not_refused() {
    use std::os::unix::fs::PermissionsExt;
    let (server, coupons) =
        Server::with_coupons(Coupons::with(&[("C1", "1", "USED"), ("C2", "1", "USED")]));
    let s = setup(&server.base_url, "");
    let key = s.home.path().join("apiclient_key.pem");
    std::fs::copy(fixture("merchant_key.pem"), &key).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let text = std::fs::read_to_string(&s.config).unwrap().replace(
        &fixture("merchant_key.pem").display().to_string(),
        &key.display().to_string(),
    );
    std::fs::write(&s.config, text).unwrap();
    let warning = format!(
        "wxcoupon: warning: private key file {0} can be read by group or others (mode 644); run: chmod 600 {0}\n",
        key.display()
    );
    let out = s.ret(&["--code", "C1", "--stock", "1", "--request-no", "R1"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, format!("{RETURN_TIME}\n"));
    assert_eq!(
        out.stderr,
        format!(
            "{warning}returned: coupon C1 (stock 1) is back in the user's wallet; WeChat Pay return time {RETURN_TIME}\n  \
             Request-ID: 08F0D9F7B60610A70218E4AA8F6C20C6A10E-0\n  request number: R1\n"
        )
    );
    let out = s.ret(&["--code", "C2", "--stock", "1", "--json"]);
    assert_eq!((out.code, out.stderr.as_str()), (0, warning.as_str()));
    assert_eq!(coupons.lock().unwrap().returns, 2);
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = s.ret(&["--code", "C3", "--stock", "1", "--json"]);
    assert_eq!((out.code, out.stderr.as_str()), (3, ""));
}

/// Nothing is read without a limit: key files, config files and bodies, and
/// a long unexpected answer is quoted short, with its size.
#[test]
fn what_is_read_is_capped_and_long_answers_are_quoted_short() {
    let server = Server::start(|_| {
        Reply::raw(
            502,
            &format!("<html>\n{}</html>\n", "<p>Bad Gateway</p>\n".repeat(10_000)),
        )
    });
    let s = setup(&server.base_url, "retries = 0\n");
    for (from, what) in [
        ("merchant_key.pem", "private key file"),
        (
            "wechatpay_pub.pem",
            "check wechatpay_public_key_file: it must be the WeChat Pay public key (pub_key.pem) \
             downloaded from the merchant platform: WeChat Pay public key file",
        ),
    ] {
        let text = config_text(&server.base_url, "")
            .replace(&fixture(from).display().to_string(), "/dev/zero");
        std::fs::write(&s.config, text).unwrap();
        let out = s.ret(&["--code", "C", "--stock", "1", "--json"]);
        assert_eq!(out.code, 2);
        assert_eq!(
            out.json()["message"]
                .as_str()
                .unwrap()
                .lines()
                .next()
                .unwrap(),
            format!(
                "{what} /dev/zero is larger than 64 KiB, the most wxcoupon reads for it: is it the right file?"
            )
        );
    }
    let big = format!(
        "{}{}",
        "# padding\n".repeat(110_000),
        config_text(&server.base_url, "")
    );
    std::fs::write(&s.config, big).unwrap();
    let out = s.ret(&["--code", "C", "--stock", "1", "--json"]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.json()["message"],
        format!(
            "config file {} is larger than 1 MiB, the most wxcoupon reads for it: is it the right file?",
            s.config.display()
        )
    );
    assert!(server.seen().is_empty());

    let out = run(wxcoupon(s.home.path())
        .args([
            "sign",
            "--url",
            "/v3/x",
            "--body-file",
            "/dev/zero",
            "--key",
        ])
        .arg(fixture("merchant_key.pem"))
        .args(["--mchid", "1", "--serial", "AB"]));
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "wxcoupon: error: --body-file /dev/zero is larger than 1 MiB, the most wxcoupon reads for it: is it the right file?\n"
    );

    std::fs::write(&s.config, config_text(&server.base_url, "retries = 0\n")).unwrap();
    let out = s.ret(&["--code", "C", "--stock", "1", "--request-no", "R", "--json"]);
    assert_eq!(out.code, 4);
    let page = format!("<html>\n{}</html>\n", "<p>Bad Gateway</p>\n".repeat(10_000));
    let shown: String = "<html> <p>Bad Gateway</p> "
        .chars()
        .chain("<p>Bad Gateway</p> ".repeat(20).chars())
        .take(200)
        .collect();
    assert_eq!(
        out.json()["message"],
        format!(
            "HTTP 502 without a WeChat Pay error body (a gateway or proxy answered?): {shown}… ({} bytes in all)",
            page.len()
        )
    );
}

/// The explanation `--json` gives for the same answer (another request number).
fn explanation_of(s: &Setup, request_no: &str) -> String {
    s.ret(&[
        "--code",
        "C",
        "--stock",
        "1",
        "--request-no",
        request_no,
        "--json",
    ])
    .json()["explanation"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Three unverified answers that are not about the key id or the clock say
/// what they are, what to do (the same explanation as the JSON's) and the
/// command that repeats the return, and give no hint about the key id.
#[test]
fn unverified_answers_say_why_without_misleading_hints() {
    let cases = [
        (
            Reply::returned().sig(Sig::CertificateSerial),
            "answer not verified: the answer is signed by a WeChat Pay platform certificate (serial \
             `3775B6A45ACD588826D15E583A95F5DD2C3A8E0A`), not by the WeChat Pay public key the profile names",
            "The answer was signed by a WeChat Pay platform certificate",
        ),
        (
            Reply::returned().sig(Sig::Sm2Type),
            "answer not verified: the answer is signed with `WECHATPAY2-SM2-WITH-SM3`, which wxcoupon \
             cannot check (it verifies WECHATPAY2-SHA256-RSA2048 only)",
            "signed with an algorithm wxcoupon cannot check",
        ),
        (
            Reply::ok(r#"{"result":"ok"}"#),
            "the answer's signature is valid, but its body is not the documented \
             {\"wechatpay_return_time\": RFC 3339}: {\"result\":\"ok\"}",
            "so it came from WeChat Pay, but its body is not what this API documents",
        ),
    ];
    for (reply, message, explained) in cases {
        let server = Server::start(move |_| reply.clone());
        let s = setup(&server.base_url, "");
        let out = s.ret(&["--code", "C", "--stock", "1", "--request-no", "R"]);
        assert_eq!(out.code, 5, "{}", out.stderr);
        assert_eq!(
            out.stderr,
            format!(
                "wxcoupon: unverified: {}\n  do NOT treat this as a success: the return may or may not have happened\n  \
                 {}\n  \
                 HTTP status: 200\n  Request-ID: 08F0D9F7B60610A70218E4AA8F6C20C6A10E-0\n  request number: R\n  \
                 once the cause is fixed, repeat this same return (it cannot return the coupon twice):\n    \
                 wxcoupon --config {} return --code C --stock 1 --request-no R --resume\n",
                message,
                explanation_of(&s, "R9"),
                s.config.display()
            )
        );
        let v = s
            .ret(&[
                "--code",
                "C",
                "--stock",
                "1",
                "--request-no",
                "R2",
                "--json",
            ])
            .json();
        assert_eq!(v["message"], message);
        let explanation = v["explanation"].as_str().unwrap();
        assert!(explanation.contains(explained), "{explanation}");
        assert!(
            !explanation.contains("clock") && !explanation.contains("wechatpay_public_key_id"),
            "{explanation}"
        );
    }
}

/// The documented 401 SIGN_ERROR messages get their own explanations.
#[test]
fn sign_error_messages_name_their_cause() {
    let server = Server::start(|_| Reply::error(401, "SIGN_ERROR", "商户证书已过期"));
    let s = setup(&server.base_url, "");
    let v = s.ret(&["--code", "C", "--stock", "1", "--json"]).json();
    assert_eq!(v["outcome"], "rejected");
    assert_eq!(
        v["explanation"],
        "[证书已过期] 商户API证书已过期。 在商户平台（账户中心 → API安全）申请新的商户API证书，并更新 private_key_file 与 merchant_serial_no。 \
         The merchant API certificate has expired. Apply for a new merchant API certificate in the merchant platform \
         (账户中心 → API安全) and update private_key_file and merchant_serial_no."
    );
}

/// A coupon code may hold a space and `- _ \ / = |`: it is sent as it is,
/// and the retry command quotes it for the shell.
#[test]
fn a_coupon_code_with_a_space_is_returned() {
    let (server, coupons) = Server::with_coupons(Coupons::with(&[("AB 12/x=|", "1", "USED")]));
    let s = setup(&server.base_url, "");
    let out = s.ret(&["--code", "AB 12/x=|", "--stock", "1", "--request-no", "R"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(server.seen()[0].json()["coupon_code"], "AB 12/x=|");
    assert_eq!(coupons.lock().unwrap().returns, 1);
}

/// `--dry-run` shows every header that a real send puts on the wire, and
/// says how long its Authorization header stays valid.
#[test]
fn dry_run_shows_every_header_that_is_sent() {
    let (server, _) = Server::with_coupons(Coupons::with(&[("C", "1", "USED")]));
    let s = setup(&server.base_url, "");
    let dry = s.ret(&[
        "--code",
        "C",
        "--stock",
        "1",
        "--request-no",
        "R",
        "--dry-run",
    ]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(server.seen().is_empty());
    let shown: Vec<(String, String)> = dry
        .stdout
        .lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(|l| {
            let (k, v) = l.split_once(": ").unwrap();
            (k.to_ascii_lowercase(), v.to_string())
        })
        .collect();
    s.ret(&["--code", "C", "--stock", "1", "--request-no", "R"]);
    let seen = &server.seen()[0];
    let mut sent: Vec<String> = seen
        .headers
        .iter()
        .map(|(k, _)| k.to_ascii_lowercase())
        .collect();
    let mut names: Vec<String> = shown.iter().map(|(k, _)| k.clone()).collect();
    sent.sort();
    names.sort();
    assert_eq!(names, sent);
    for (k, v) in &shown {
        if !matches!(k.as_str(), "authorization") {
            assert_eq!(seen.header(k), Some(v.as_str()), "{k}");
        }
    }
    assert!(
        dry.stderr.contains(
            "dry run: the request above was built and signed; nothing was sent\n\
             warning: the Authorization header of this dry run is valid for 5 minutes: treat it as a password \
             until then (do not paste it into a ticket or a chat)\n"
        ),
        "{}",
        dry.stderr
    );
    let v = s
        .ret(&["--code", "C", "--stock", "1", "--dry-run", "--json"])
        .json();
    assert!(
        v["explanation"]
            .as_str()
            .unwrap()
            .contains("valid for 5 minutes")
    );
}

/// Small things the hostile test found: an empty WXCOUPON_PROFILE is an
/// error like the other empty variables; a huge WeChat Pay message is quoted
/// short with its size; an empty body is said to be empty.
#[test]
fn empty_profile_variable_long_messages_and_empty_bodies_are_said_plainly() {
    let s = setup("http://127.0.0.1:9", "");
    let out = run(wxcoupon(s.home.path())
        .env("WXCOUPON_PROFILE", "")
        .arg("--config")
        .arg(&s.config)
        .args(["return", "--code", "C", "--stock", "1", "--json"]));
    assert_eq!(out.code, 2);
    assert_eq!(
        out.json()["message"],
        "WXCOUPON_PROFILE is set but empty; set it to a profile's name, or unset it"
    );

    let long = "长".repeat(100_000);
    let message = long.clone();
    let server = Server::start(move |_| Reply::error(403, "RULE_LIMIT", &message));
    let s = setup(&server.base_url, "");
    let out = s.ret(&["--code", "C", "--stock", "1"]);
    assert_eq!(out.code, 3);
    let line = out
        .stderr
        .lines()
        .find(|l| l.starts_with("  WeChat Pay's message: "))
        .unwrap();
    assert_eq!(
        line,
        format!(
            "  WeChat Pay's message: {}… (300000 bytes in all)",
            "长".repeat(200)
        )
    );

    let server = Server::start(|_| Reply::raw(502, ""));
    let s = setup(&server.base_url, "retries = 0\n");
    let v = s.ret(&["--code", "C", "--stock", "1", "--json"]).json();
    assert_eq!(
        v["message"],
        "HTTP 502 without a WeChat Pay error body (a gateway or proxy answered?): (empty)"
    );
}
