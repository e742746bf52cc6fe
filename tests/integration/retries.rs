//! Retries end to end: a fault-injecting stand-in that verifies signatures and
//! keeps coupon state, and the real binary. Each scenario checks the same
//! request number in every attempt, fresh nonces, the coupon's final state,
//! the exit code and the JSON. No assertion is about elapsed time.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use crate::common::*;
use serde_json::Value;

fn one_coupon() -> (Server, Arc<Mutex<Coupons>>) {
    Server::with_coupons(Coupons::with(&[("C1", "9856000", "USED")]))
}

const ARGS: [&str; 6] = [
    "--code",
    "C1",
    "--stock",
    "9856000",
    "--request-no",
    "REFUND-77",
];

/// Every attempt: authenticated, the same request number and body, a new nonce.
fn assert_attempts(seen: &[Seen], expected: usize) {
    assert_eq!(seen.len(), expected, "attempts seen by the server");
    let bodies: BTreeSet<_> = seen.iter().map(|s| s.body.clone()).collect();
    assert_eq!(bodies.len(), 1, "every attempt sends the same body");
    assert_eq!(seen[0].json()["return_request_no"], "REFUND-77");
    let nonces: BTreeSet<_> = seen
        .iter()
        .map(|s| s.header("Authorization").unwrap().to_string())
        .map(|a| parse_authorization(&a).unwrap().nonce)
        .collect();
    assert_eq!(nonces.len(), expected, "every attempt has a fresh nonce");
    for s in seen
        .iter()
        .filter(|s| s.auth.as_ref().err().map(String::as_str) != Some("reset before processing"))
    {
        assert!(s.auth.is_ok(), "attempt not authenticated: {:?}", s.auth);
    }
}

fn state(coupons: &Mutex<Coupons>) -> (String, u32) {
    let c = coupons.lock().unwrap();
    (c.coupons["C1"].1.clone(), c.returns)
}

#[test]
fn a_reset_before_processing_is_retried_and_returns_once() {
    let (server, coupons) = one_coupon();
    server.fault(Fault::ResetBeforeProcessing);
    let s = setup(&server.base_url, "");
    let out = s.ret(&[&ARGS[..], &["--json"]].concat());
    assert_eq!(out.code, 0, "{}", out.stdout);
    let v = out.json();
    assert_eq!(v["outcome"], "returned");
    assert_eq!(v["wechatpay_return_time"], RETURN_TIME);
    assert_eq!(v["attempts"], 2);
    assert_eq!(v["confirmed_by_retry"], false);
    assert_attempts(&server.seen(), 2);
    assert_eq!(state(&coupons), ("SENDED".into(), 1));
}

#[test]
fn an_answer_lost_after_processing_is_a_confirmed_return() {
    let (server, coupons) = one_coupon();
    server.fault(Fault::DropAfterProcessing);
    let s = setup(&server.base_url, "");
    let out = s.ret(&ARGS);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout, "",
        "no return time is known, so none is printed"
    );
    assert!(out.stderr.contains("confirmed by retry"), "{}", out.stderr);
    assert!(
        out.stderr.contains("RESOURCE_ALREADY_EXISTS"),
        "{}",
        out.stderr
    );
    assert_attempts(&server.seen(), 2);
    assert_eq!(
        state(&coupons),
        ("SENDED".into(), 1),
        "returned exactly once"
    );

    // The same in JSON, on a fresh coupon.
    let (server, coupons) = one_coupon();
    server.fault(Fault::DropAfterProcessing);
    let s = setup(&server.base_url, "");
    let v = s.ret(&[&ARGS[..], &["--json"]].concat()).json();
    assert_eq!(v["outcome"], "returned");
    assert_eq!(v["confirmed_by_retry"], true);
    assert_eq!(v["wechatpay_return_time"], Value::Null);
    assert_eq!(v["attempts"], 2);
    assert_eq!(v["code"], "RESOURCE_ALREADY_EXISTS", "the evidence is kept");
    assert!(
        v["explanation"]
            .as_str()
            .unwrap()
            .contains("no return time is known")
    );
    assert_eq!(state(&coupons), ("SENDED".into(), 1));
}

#[test]
fn an_answer_slower_than_the_timeout_is_a_confirmed_return() {
    let (server, coupons) = one_coupon();
    // The first answer waits for the second attempt: it can only come too late.
    server.fault(Fault::AnswerAfterTheNextRequest);
    let s = setup(&server.base_url, "");
    let out = s.ret(&[&ARGS[..], &["--timeout", "1", "--json", "-v"]].concat());
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let v = out.json();
    assert_eq!(v["outcome"], "returned");
    assert_eq!(v["confirmed_by_retry"], true);
    assert!(
        out.stderr.contains("no answer from 127.0.0.1"),
        "{}",
        out.stderr
    );
    assert_attempts(&server.seen(), 2);
    assert_eq!(state(&coupons), ("SENDED".into(), 1));
}

#[test]
fn a_500_then_success_returns_with_the_return_time() {
    let (server, coupons) = one_coupon();
    server.fault(Fault::Answer(Reply::error(
        500,
        "SYSTEM_ERROR",
        "系统异常，请稍后重试",
    )));
    let s = setup(&server.base_url, "");
    let out = s.ret(&ARGS);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, format!("{RETURN_TIME}\n"));
    assert!(out.stderr.contains("attempts: 2"), "{}", out.stderr);
    assert_attempts(&server.seen(), 2);
    assert_eq!(state(&coupons), ("SENDED".into(), 1));
}

#[test]
fn a_429_with_retry_after_is_honoured() {
    let (server, coupons) = one_coupon();
    server.fault(Fault::Answer(
        Reply::error(429, "FREQUENCY_LIMITED", "频率超限").header("Retry-After", "1"),
    ));
    let s = setup(&server.base_url, "");
    let out = s.ret(&[&ARGS[..], &["-v", "--json"]].concat());
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["attempts"], 2);
    // The backoff would be 0.4–0.6 s; Retry-After makes it 1 s.
    assert!(
        out.stderr
            .contains("retrying in 1.0 s: HTTP 429 carries no result"),
        "{}",
        out.stderr
    );
    assert_attempts(&server.seen(), 2);
    assert_eq!(state(&coupons), ("SENDED".into(), 1));
}

#[test]
fn server_errors_until_the_retries_run_out_are_exit_4() {
    let (server, coupons) = one_coupon();
    for _ in 0..3 {
        server.fault(Fault::Answer(Reply::error(503, "SYSTEM_ERROR", "系统繁忙")));
    }
    let s = setup(&server.base_url, "retries = 2\n");
    let out = s.ret(&[&ARGS[..], &["--json"]].concat());
    assert_eq!(out.code, 4, "{}", out.stdout);
    let v = out.json();
    assert_eq!(v["outcome"], "unknown");
    assert_eq!(v["retryable"], true);
    assert_eq!(v["attempts"], 3, "retries + 1");
    assert_eq!(v["http_status"], 503);
    assert_eq!(v["return_request_no"], "REFUND-77");
    assert!(
        v["retry_command"]
            .as_str()
            .unwrap()
            .ends_with("return --code C1 --stock 9856000 --request-no REFUND-77 --resume")
    );
    assert_attempts(&server.seen(), 3);
    assert_eq!(state(&coupons), ("USED".into(), 0));
}

#[test]
fn an_html_502_page_is_retried() {
    let (server, coupons) = one_coupon();
    server.fault(Fault::Answer(Reply::raw(
        502,
        "<html><body><h1>502 Bad Gateway</h1></body></html>",
    )));
    let s = setup(&server.base_url, "");
    let v = s.ret(&[&ARGS[..], &["--json"]].concat()).json();
    assert_eq!(v["outcome"], "returned");
    assert_eq!(v["attempts"], 2);
    assert_attempts(&server.seen(), 2);
    assert_eq!(state(&coupons), ("SENDED".into(), 1));

    // With no retries left it is exit 4, and the page is quoted.
    let (server, coupons) = one_coupon();
    server.fault(Fault::Answer(Reply::raw(
        502,
        "<html>502 Bad Gateway</html>",
    )));
    let s = setup(&server.base_url, "");
    let out = s.ret(&[&ARGS[..], &["--retries", "0"]].concat());
    assert_eq!(out.code, 4);
    assert!(
        out.stderr
            .contains("HTTP 502 without a WeChat Pay error body"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("--request-no REFUND-77 --resume"),
        "{}",
        out.stderr
    );
    assert_eq!(state(&coupons), ("USED".into(), 0));
}

#[test]
fn an_unreachable_primary_falls_back_to_the_backup() {
    let (server, coupons) = one_coupon();
    let (_held, primary) = refusing();
    let s = setup(
        &primary,
        &format!("backup_base_url = \"{}\"\n", server.base_url),
    );
    let out = s.ret(&[&ARGS[..], &["--json", "-v"]].concat());
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let v = out.json();
    assert_eq!(v["outcome"], "returned");
    assert_eq!(v["attempts"], 2);
    assert_eq!(v["host"], server.base_url);
    assert_eq!(v["confirmed_by_retry"], false);
    assert!(
        out.stderr
            .contains(&format!("next attempt to {}", server.base_url)),
        "{}",
        out.stderr
    );
    assert_attempts(&server.seen(), 1);
    assert_eq!(state(&coupons), ("SENDED".into(), 1));

    // A custom base_url has no backup unless one is named.
    let s = setup(&primary, "");
    let v = s
        .ret(&[&ARGS[..], &["--json", "--retries", "1"]].concat())
        .json();
    assert_eq!(v["outcome"], "unknown");
    assert_eq!(v["host"], primary);
}

#[test]
fn a_2xx_with_a_bad_signature_is_exit_5_at_once() {
    let server = Server::start(|_| Reply::returned().sig(Sig::WrongKey));
    let s = setup(&server.base_url, "");
    let v = s.ret(&[&ARGS[..], &["--json"]].concat()).json();
    assert_eq!(v["outcome"], "unverified");
    assert_eq!(v["attempts"], 1);
    assert_attempts(&server.seen(), 1);
}

#[test]
fn rule_limit_after_a_lost_answer_is_unknown_unless_it_says_expired() {
    // (message, exit): only the documented "outside its validity period" is a
    // rejection after an attempt that may have been processed.
    for (message, exit) in [
        ("券当前是可用的", 4),
        ("券状态不允许退券", 4),
        ("券已不在使用有效期", 3),
    ] {
        let mut first = true;
        let server = Server::start(move |_| {
            let reply = if first {
                Reply::returned()
            } else {
                Reply::error(403, "RULE_LIMIT", message)
            };
            first = false;
            reply
        });
        server.fault(Fault::DropAfterProcessing);
        let s = setup(&server.base_url, "");
        let out = s.ret(&[&ARGS[..], &["--json"]].concat());
        assert_eq!(out.code, exit, "{message}: {}", out.stderr);
        assert_attempts(&server.seen(), 2);
        let v = out.json();
        assert_eq!(
            (v["code"].as_str(), v["message"].as_str()),
            (Some("RULE_LIMIT"), Some(message))
        );
        if exit == 4 {
            assert_eq!(v["outcome"], "unknown");
            assert_eq!(
                v["retry_command"],
                format!(
                    "wxcoupon --config {} return --code C1 --stock 9856000 --request-no REFUND-77 --resume",
                    s.config.display()
                )
            );
            let e = v["explanation"].as_str().unwrap();
            assert!(
                e.contains("Either an earlier attempt returned the coupon")
                    && e.contains("or no earlier attempt ever reached WeChat Pay"),
                "{e}"
            );
        } else {
            assert_eq!(v["outcome"], "rejected");
        }
    }
}

#[test]
fn rule_limit_under_resume_explains_both_possibilities() {
    let (server, _) = Server::with_coupons(Coupons::with(&[("C1", "9856000", "SENDED")]));
    let s = setup(&server.base_url, "");
    let out = s.ret(&[&ARGS[..], &["--resume"]].concat());
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert_attempts(&server.seen(), 1);
    assert!(
        out.stderr
            .contains("or no earlier attempt ever reached WeChat Pay")
            && out
                .stderr
                .contains("re-running will keep getting this answer"),
        "{}",
        out.stderr
    );
}

#[test]
fn resource_already_exists_on_a_first_attempt_stays_a_rejection() {
    let mut coupons = Coupons::with(&[("C1", "9856000", "SENDED")]);
    coupons.used_request_nos.push("REFUND-77".into());
    let (server, _) = Server::with_coupons(coupons);
    let s = setup(&server.base_url, "");
    let out = s.ret(&ARGS);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "If you are re-running a return whose earlier outcome was unknown, it went through"
        ),
        "{}",
        out.stderr
    );
}

/// Across runs: an exit-4 run prints the command that resumes it, and that
/// command confirms the return.
#[test]
fn resume_confirms_a_return_sent_by_an_earlier_run() {
    let (server, coupons) = one_coupon();
    server.fault(Fault::DropAfterProcessing);
    let s = setup(&server.base_url, "");
    let v = s
        .ret(&[&ARGS[..], &["--json", "--retries", "0"]].concat())
        .json();
    assert_eq!(v["outcome"], "unknown");
    assert_eq!(
        state(&coupons),
        ("SENDED".into(), 1),
        "the lost answer's return happened"
    );

    let command = v["retry_command"].as_str().unwrap().to_string();
    let words: Vec<&str> = command.split(' ').collect();
    assert_eq!(words[0], "wxcoupon");
    let mut c = wxcoupon(s.home.path());
    c.env("WXCOUPON_CONFIG", &s.config)
        .args(&words[1..])
        .arg("--json");
    let v = run(&mut c).json();
    assert_eq!(v["outcome"], "returned", "{v}");
    assert_eq!(v["confirmed_by_retry"], true);
    assert_attempts(&server.seen(), 2);
    assert_eq!(
        state(&coupons),
        ("SENDED".into(), 1),
        "returned exactly once"
    );

    // Without --resume the same answer is a rejection (exit 3).
    let out = s.ret(&ARGS);
    assert_eq!(out.code, 3);
    // --resume needs --request-no.
    let out = s.ret(&["--code", "C1", "--stock", "1", "--resume"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--request-no"), "{}", out.stderr);
}

#[test]
fn an_unverified_resource_already_exists_confirms_nothing() {
    let mut first = true;
    let server = Server::start(move |_| {
        let reply = if first {
            Reply::returned()
        } else {
            Reply::error(400, "RESOURCE_ALREADY_EXISTS", "已使用过此单号退券").sig(Sig::Missing)
        };
        first = false;
        reply
    });
    server.fault(Fault::DropAfterProcessing);
    let s = setup(&server.base_url, "");
    let out = s.ret(&ARGS);
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("not verified"), "{}", out.stderr);
}

#[test]
fn the_verbose_trace_names_each_attempt_and_redacts_the_signature() {
    let (server, _) = one_coupon();
    server.fault(Fault::Answer(Reply::error(500, "SYSTEM_ERROR", "系统异常")));
    let s = setup(&server.base_url, "");
    let out = s.ret(&[&ARGS[..], &["-v"]].concat());
    assert_eq!(out.code, 0, "{}", out.stderr);
    let trace = &out.stderr;
    assert!(
        trace.contains(&format!("attempt 1/3 to {}: HTTP 500", server.base_url)),
        "{trace}"
    );
    assert!(trace.contains("Request-ID 08F0D9F7"), "{trace}");
    assert!(trace.contains("retrying in"), "{trace}");
    assert!(trace.contains("attempt 2/3"), "{trace}");
    assert!(
        trace.contains("stopping: HTTP 200 is a final answer"),
        "{trace}"
    );
    assert!(trace.contains("signature=\"(redacted)\""), "{trace}");
    let sig = parse_authorization(server.seen()[0].header("Authorization").unwrap())
        .unwrap()
        .signature;
    assert!(!trace.contains(&sig));
}

/// A fake proxy on 127.0.0.1 that records the CONNECT line and refuses it.
fn fake_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let lines = Arc::new(Mutex::new(Vec::new()));
    let log = lines.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let text = String::from_utf8_lossy(&head);
            log.lock()
                .unwrap()
                .push(text.lines().next().unwrap_or("").to_string());
            let _ = stream.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
        }
    });
    (url, lines)
}

#[test]
fn proxies_are_used_for_wechat_pay_but_never_for_loopback() {
    // The profile's proxy carries the official primary and, after a network
    // failure, the official backup. Nothing leaves 127.0.0.1: the proxy refuses.
    let (proxy, lines) = fake_proxy();
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("c.toml");
    let text = config_text(
        "https://api.mch.weixin.qq.com",
        &format!("proxy = \"{proxy}\"\n"),
    );
    std::fs::write(&cfg, text).unwrap();
    let out = run(wxcoupon(home.path())
        .arg("--config")
        .arg(&cfg)
        .args(["return", "--json", "--retries", "1"])
        .args(ARGS));
    assert_eq!(out.code, 4, "{}", out.stdout);
    let v = out.json();
    assert!(v["message"].as_str().unwrap().contains("proxy"), "{v}");
    assert_eq!(v["host"], "https://api2.mch.weixin.qq.com");
    assert_eq!(
        *lines.lock().unwrap(),
        [
            "CONNECT api.mch.weixin.qq.com:443 HTTP/1.1",
            "CONNECT api2.mch.weixin.qq.com:443 HTTP/1.1"
        ]
    );

    // HTTPS_PROXY from the environment, likewise.
    let (proxy, lines) = fake_proxy();
    let text = config_text("https://api.mch.weixin.qq.com", "backup_base_url = \"\"\n");
    std::fs::write(&cfg, text).unwrap();
    let out = run(wxcoupon(home.path())
        .arg("--config")
        .arg(&cfg)
        .env("HTTPS_PROXY", &proxy)
        .args(["return", "--json", "--retries", "0"])
        .args(ARGS));
    assert_eq!(out.code, 4);
    assert_eq!(
        *lines.lock().unwrap(),
        ["CONNECT api.mch.weixin.qq.com:443 HTTP/1.1"]
    );

    // Loopback is never proxied, whatever the environment says.
    let (server, coupons) = one_coupon();
    let (proxy, lines) = fake_proxy();
    let s = setup(&server.base_url, &format!("proxy = \"{proxy}\"\n"));
    let mut c = wxcoupon(s.home.path());
    c.env("HTTP_PROXY", &proxy)
        .env("ALL_PROXY", &proxy)
        .arg("--config")
        .arg(&s.config)
        .arg("return")
        .args(ARGS);
    let out = run(&mut c);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(lines.lock().unwrap().is_empty());
    assert_eq!(state(&coupons), ("SENDED".into(), 1));
}

#[test]
fn bad_proxy_and_ca_file_settings_are_exit_2_and_send_nothing() {
    let (server, _) = one_coupon();
    let home = tempfile::tempdir().unwrap();
    let empty = home.path().join("empty.pem");
    std::fs::write(&empty, "no certificates here\n").unwrap();
    for (extra, words) in [
        (
            "proxy = \"::not a url::\"\n".to_string(),
            "profile.test.proxy".to_string(),
        ),
        (
            "ca_file = \"/nonexistent/ca.pem\"\n".to_string(),
            "reading ca_file /nonexistent/ca.pem".to_string(),
        ),
        (
            format!("ca_file = \"{}\"\n", empty.display()),
            "holds no certificate".to_string(),
        ),
    ] {
        let s = setup(&server.base_url, &extra);
        let out = s.ret(&ARGS);
        assert_eq!(out.code, 2, "{extra}: {}", out.stderr);
        assert!(out.stderr.contains(&words), "{extra}: {}", out.stderr);
    }
    let s = setup(&server.base_url, "");
    let out = s.ret(&[&ARGS[..], &["--retries", "11"]].concat());
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--retries 11"), "{}", out.stderr);
    assert!(server.seen().is_empty());
}

#[test]
fn tls_errors_name_the_host_and_ca_file_fixes_an_inspecting_network() {
    let (server, coupons) = one_coupon();
    let (port, ca_pem) = tls_front(&server.base_url);
    let base = format!("https://localhost:{port}");

    // The certificate is not under the Mozilla roots: a TLS error, nothing processed.
    let s = setup(&base, "");
    let out = s.ret(&[&ARGS[..], &["--retries", "1", "--json"]].concat());
    assert_eq!(out.code, 4, "{}", out.stdout);
    let v = out.json();
    let message = v["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("TLS error with localhost:{port}")),
        "{message}"
    );
    assert!(message.contains("ca_file"), "{message}");
    assert_eq!(v["attempts"], 2);
    assert!(server.seen().is_empty());
    assert_eq!(state(&coupons), ("USED".into(), 0));

    // With the network's CA in ca_file, the same endpoint works.
    let ca = s.home.path().join("corp-ca.pem");
    std::fs::write(&ca, ca_pem).unwrap();
    let s = setup(&base, &format!("ca_file = \"{}\"\n", ca.display()));
    let out = s.ret(&ARGS);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, format!("{RETURN_TIME}\n"));
    assert_attempts(&server.seen(), 1);
    assert_eq!(state(&coupons), ("SENDED".into(), 1));
}

/// A 2xx answer carrying a WeChat Pay signature probe is treated like a lost
/// answer: one more attempt with the same request number, where
/// RESOURCE_ALREADY_EXISTS confirms the return; anything else stays exit 5
/// with the --resume command.
#[test]
fn a_signature_probe_is_followed_by_one_confirming_attempt() {
    // The coupon is returned by the first request, whose answer is a probe.
    let (server, coupons) = one_coupon();
    let state = coupons.clone();
    drop(server);
    let server = Server::start(move |seen| {
        let reply = state.lock().unwrap().answer(seen);
        if reply.status == 200 {
            reply.sig(Sig::Probe)
        } else {
            reply
        }
    });
    let s = setup(&server.base_url, "");
    let out = s.ret(&[&ARGS[..], &["--json"]].concat());
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_attempts(&server.seen(), 2);
    let v = out.json();
    assert_eq!(v["outcome"], "returned");
    assert_eq!(v["confirmed_by_retry"], true);
    assert_eq!(v["code"], "RESOURCE_ALREADY_EXISTS");
    assert_eq!(v["attempts"], 2);
    assert!(
        v["explanation"].as_str().unwrap().starts_with(
            "WeChat Pay's first answer carried a signature probe (WECHATPAY/SIGNTEST/…), invalid by \
             design; one more attempt with the same request number confirmed the return. "
        ),
        "{v}"
    );
    assert_eq!(coupons.lock().unwrap().returns, 1);

    // Probe after probe: unverified, with the command that resumes.
    let server = Server::start(|_| Reply::returned().sig(Sig::Probe));
    let s = setup(&server.base_url, "");
    let out = s.ret(&ARGS);
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert_attempts(&server.seen(), 2);
    let resume = format!(
        "wxcoupon --config {} return --code C1 --stock 9856000 --request-no REFUND-77 --resume",
        s.config.display()
    );
    let explanation = s.ret(&[&ARGS[..], &["--json"]].concat()).json()["explanation"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        out.stderr,
        format!(
            "wxcoupon: unverified: answer not verified: the signature is a WeChat Pay probe \
             (`WECHATPAY/SIGNTEST/…`), invalid by design\n  \
             do NOT treat this as a success: the return may or may not have happened\n  \
             {explanation}\n  \
             one more attempt with the same request number did not confirm the return: it ended \
             `unverified`: answer not verified: the signature is a WeChat Pay probe \
             (`WECHATPAY/SIGNTEST/…`), invalid by design\n  \
             HTTP status: 200\n  attempts: 2, the last to {}\n  \
             Request-ID: 08F0D9F7B60610A70218E4AA8F6C20C6A10E-0\n  request number: REFUND-77\n  \
             safe to retry with the same request number (it cannot return the coupon twice):\n    {resume}\n",
            server.base_url
        )
    );
    let v = s.ret(&[&ARGS[..], &["--json"]].concat()).json();
    assert_eq!(v["outcome"], "unverified");
    assert_eq!(v["retryable"], true);
    assert_eq!(v["retry_command"], resume);
}

/// `400 SYSTEM_ERROR` means "retry with the same parameters" for these APIs:
/// it is retried like a 5xx and never ends as a rejection.
#[test]
fn system_error_on_400_is_retried_and_never_a_rejection() {
    let (server, coupons) = one_coupon();
    server.fault(Fault::Answer(Reply::error(
        400,
        "SYSTEM_ERROR",
        "系统异常，请稍后重试",
    )));
    let s = setup(&server.base_url, "");
    let out = s.ret(&[&ARGS[..], &["--json"]].concat());
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_attempts(&server.seen(), 2);
    assert_eq!(coupons.lock().unwrap().returns, 1);

    let server = Server::start(|_| Reply::error(400, "SYSTEM_ERROR", "系统异常，请稍后重试"));
    let s = setup(&server.base_url, "");
    let v = s
        .ret(&[&ARGS[..], &["--json", "--retries", "1"]].concat())
        .json();
    assert_eq!(
        (v["outcome"].as_str(), v["attempts"].as_u64()),
        (Some("unknown"), Some(2))
    );
    assert_eq!(v["retryable"], true);
}

/// A 429 that was never followed by an accepted attempt says "not accepted":
/// nothing happened, safe to retry (still exit 4).
#[test]
fn a_429_is_explained_as_not_accepted() {
    let server = Server::start(|_| Reply::error(429, "FREQUENCY_LIMITED", "频率超限"));
    let s = setup(&server.base_url, "");
    let out = s.ret(&[&ARGS[..], &["--retries", "1"]].concat());
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert_attempts(&server.seen(), 2);
    let first: Vec<&str> = out.stderr.lines().take(4).collect();
    assert_eq!(
        first,
        [
            "wxcoupon: not accepted: FREQUENCY_LIMITED (HTTP 429): WeChat Pay asks to slow down; nothing happened",
            "  微信支付没有受理这个请求（请求过于频繁）：这次请求没有退券。稍后用同一个退券单号重试是安全的。 \
             WeChat Pay did not accept this request (too many requests): it did not return the coupon. \
             Retrying later with the same request number is safe; it can never return the coupon twice.",
            "  请求频率超限：微信支付没有受理这个请求。 稍等片刻后用同一个退券单号重试。",
            "  Too many requests: WeChat Pay did not accept this request. Wait a little, then retry with the same request number.",
        ],
        "{}",
        out.stderr
    );
    // After an attempt that may have been processed, a 429 leaves the outcome unknown.
    let server = Server::start(|_| Reply::error(429, "FREQUENCY_LIMITED", "频率超限"));
    server.fault(Fault::DropAfterProcessing);
    let s = setup(&server.base_url, "");
    let out = s.ret(&[&ARGS[..], &["--retries", "1"]].concat());
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(
        out.stderr
            .starts_with("wxcoupon: outcome unknown: FREQUENCY_LIMITED (HTTP 429)\n"),
        "{}",
        out.stderr
    );
}

/// The printed retry command works when pasted into a shell, even for a
/// coupon code that starts with `-`, and from another folder.
#[test]
fn the_retry_command_can_be_pasted_as_it_is() {
    let server = Server::start(|_| Reply::error(500, "SYSTEM_ERROR", "系统异常，请稍后重试"));
    let s = setup(&server.base_url, "retries = 0\n");
    // A relative --config, from the HOME folder.
    let out = run(wxcoupon(s.home.path()).current_dir(s.home.path()).args([
        "--config",
        "config.toml",
        "return",
        "--code=-rf x",
        "--stock",
        "1",
        "--request-no=-R1",
        "--json",
    ]));
    assert_eq!(out.code, 4, "{}", out.stderr);
    let command = out.json()["retry_command"].as_str().unwrap().to_string();
    assert_eq!(
        command,
        format!(
            "wxcoupon --config {}/config.toml return --code='-rf x' --stock 1 --request-no=-R1 --resume",
            s.home.path().display()
        )
    );
    let bin = assert_cmd::cargo::cargo_bin("wxcoupon");
    let again = std::process::Command::new("bash")
        .arg("-c")
        .arg(&command)
        .env_clear()
        .env("HOME", s.home.path())
        .env(
            "PATH",
            format!("{}:/usr/bin:/bin", bin.parent().unwrap().display()),
        )
        .current_dir("/")
        .output()
        .unwrap();
    assert_eq!(
        again.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].json()["coupon_code"], "-rf x");
    assert_eq!(seen[1].json()["return_request_no"], "-R1");
}
