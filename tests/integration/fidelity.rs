//! What WeChat Pay really sends (issue 15), beyond our own emulator's
//! reading: frequency limits that are not HTTP 429.

use crate::certificates::{CERT, cert_setup};
use crate::common::*;

/// Every way WeChat Pay says "too frequent" is "not accepted, nothing
/// happened": retried with the same request number, and, out of attempts,
/// `unknown` (exit 4) with the command that repeats it — never `rejected`.
#[test]
fn frequency_limits_that_are_not_429_are_retried_and_never_rejected() {
    for (status, code, message) in [
        (429, "FREQUENCY_LIMITED", "频率超限"),
        (403, "RATELIMIT_EXCEEDED", "请求超过频率限制"),
        (400, "RATELIMIT_EXCEED", "请求超过频率限制"),
        (403, "FREQUENCY_LIMIT_EXCEED", "频率超限"),
        (400, "INVALID_REQUEST", "调用频率过高，请降低频率后重试"),
    ] {
        let server = Server::start(move |_| Reply::error(status, code, message));
        let s = setup(&server.base_url, "");
        let args = [
            "--code",
            "C1",
            "--stock",
            "9856000",
            "--request-no",
            "REFUND-77",
            "--retries",
            "1",
        ];
        let out = s.ret(&args);
        assert_eq!(out.code, 4, "{code}: {}", out.stderr);
        assert_eq!(
            out.stderr.lines().next().unwrap(),
            format!(
                "wxcoupon: not accepted: {code} (HTTP {status}): WeChat Pay asks to slow down; \
                 nothing happened"
            ),
            "{code}"
        );
        let seen = server.seen();
        assert_eq!(seen.len(), 2, "{code}: one retry");
        assert!(
            seen.iter()
                .all(|s| s.json()["return_request_no"] == "REFUND-77"),
            "{code}: the same request number"
        );
        let mut json = args.to_vec();
        json.push("--json");
        let v = s.ret(&json).json();
        assert_eq!(
            (v["outcome"].as_str(), v["retryable"].as_bool()),
            (Some("unknown"), Some(true)),
            "{code}: {v}"
        );
        assert_eq!(
            v["retry_command"].as_str().unwrap(),
            format!(
                "wxcoupon --config {} return --code C1 --stock 9856000 --request-no REFUND-77 \
                 --resume",
                s.config.display()
            ),
            "{code}"
        );
    }
}

/// A frequency limit and then the return: the row is returned, on its
/// second attempt, with the same number.
#[test]
fn a_frequency_limit_code_then_success_is_returned() {
    let first = std::sync::atomic::AtomicBool::new(true);
    let server = Server::start(move |_| {
        if first.swap(false, std::sync::atomic::Ordering::SeqCst) {
            Reply::error(403, "RATELIMIT_EXCEEDED", "请求超过频率限制")
        } else {
            Reply::returned()
        }
    });
    let s = setup(&server.base_url, "");
    let out = s.ret(&[
        "--code",
        "C1",
        "--stock",
        "9856000",
        "--request-no",
        "R1",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = out.json();
    assert_eq!(
        (v["outcome"].as_str(), v["attempts"].as_u64()),
        (Some("returned"), Some(2))
    );
}

/// Twenty rows whose answers name a platform certificate the folder lacks,
/// and a download that fails: one download in the whole run (four workers
/// meet the serial at once), remembered; every row is unverified.
#[test]
fn a_batch_downloads_an_unknown_certificate_once() {
    let server = Server::start(|seen| {
        if seen.url.starts_with("/v3/certificates") {
            Reply::error(404, "RESOURCE_NOT_EXISTS", "无可用的平台证书")
        } else {
            Reply::returned().sig(Sig::Certificate(CERT))
        }
    });
    let s = cert_setup(&server.base_url);
    let rows = s.home.path().join("rows.csv");
    let mut csv = String::from("coupon_code,stock_id\n");
    for i in 1..=20 {
        csv.push_str(&format!("C{i:02},9856000\n"));
    }
    std::fs::write(&rows, csv).unwrap();
    let out = s.ret(&["--batch", rows.to_str().unwrap(), "--json", "--rate", "0"]);
    assert_eq!(out.code, 5, "{}", out.stderr);
    let seen = server.seen();
    let downloads = seen
        .iter()
        .filter(|s| s.url.starts_with("/v3/certificates"))
        .count();
    assert_eq!(downloads, 1, "one download for the run");
    assert_eq!(seen.len(), 21);
    let lines: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 20);
    for v in &lines {
        assert_eq!(v["outcome"], "unverified", "{v}");
        assert_eq!(
            v["message"],
            format!(
                "answer not verified: the answer is signed by platform certificate `{CERT}`, \
                 which is not in platform_certificates_dir"
            )
        );
    }
}
