//! What WeChat Pay really sends (issue 15), beyond our own emulator's
//! reading: frequency limits that are not HTTP 429.

use crate::certificates::{
    APIV3, CERT, CERT_FROM, CERT_TO, cert_setup, certificates_body, fixture_text,
};
use crate::common::*;
use crate::emulator::{Emu, emulator, value_of};
use std::path::Path;

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

/// A merchant on platform certificates through a rotation, as WeChat Pay
/// plays one: before (the old certificate only), during (the old one's
/// `expire_time` moved up 24 h ahead, the new one published, in use from
/// then: the download was refused whole before), after (the new one in use
/// and signing). `return` and `--batch` work in every phase, and each
/// request names the certificate in use as the merchant last downloaded it.
#[test]
fn a_merchant_walks_through_a_platform_certificate_rotation() {
    const OLD: &str = "6D4E8F0A2B3C54769810DCFEB03456789012CDEF";
    const NEW: &str = "7E5F9A1B3C4D65870921EDAFC14567890123DEF0";
    let merchant = tempfile::tempdir().unwrap();
    let certs = merchant.path().join("certs");
    // Coupons to return, three a round: one alone, two in a batch.
    let coupons = merchant.path().join("coupons.json");
    let list: Vec<serde_json::Value> = (1..=30)
        .map(|i| serde_json::json!({"coupon_code": format!("C{i:02}"), "stock_id": "9856000", "state": "USED"}))
        .collect();
    std::fs::write(&coupons, serde_json::to_string(&list).unwrap()).unwrap();
    let round = std::cell::Cell::new(0);
    // The merchant's own config, pointed at each phase's emulator.
    let config_for = |emu: &Emu| {
        for (key, name) in [
            ("private_key_file", "key.pem"),
            ("apiv3_key_file", "apiv3.txt"),
        ] {
            std::fs::copy(value_of(&emu.profile, key), merchant.path().join(name)).unwrap();
        }
        let text = format!(
            "[profile.shop]\nmchid = \"{}\"\nmerchant_serial_no = \"{}\"\n\
             private_key_file = \"key.pem\"\napiv3_key_file = \"apiv3.txt\"\n\
             platform_certificates_dir = \"certs\"\nbase_url = \"{}\"\n",
            value_of(&emu.profile, "mchid"),
            value_of(&emu.profile, "merchant_serial_no"),
            value_of(&emu.profile, "base_url"),
        );
        let config = merchant.path().join("config.toml");
        std::fs::write(&config, text).unwrap();
        config
    };
    let wx = |config: &Path, args: &[&str]| {
        run(wxcoupon(merchant.path())
            .arg("--config")
            .arg(config)
            .args(args))
    };
    let download = |config: &Path| -> Vec<(String, String)> {
        let out = wx(config, &["--json", "certificates", "download"]);
        assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
        out.json()["certificates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["serial_no"].as_str().unwrap().to_string(),
                    c["change"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let named = |config: &Path| -> String {
        let v = wx(
            config,
            &[
                "--json",
                "return",
                "--code",
                "COUPON-USED-1",
                "--stock",
                "9856000",
                "--dry-run",
            ],
        )
        .json();
        v["request"]["headers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h[0] == "Wechatpay-Serial")
            .map_or("(none)".to_string(), |h| h[1].as_str().unwrap().to_string())
    };
    let works = |config: &Path| {
        let n = round.get() * 3;
        round.set(round.get() + 1);
        let code = |i: usize| format!("C{:02}", n + i);
        let out = wx(
            config,
            &["return", "--code", &code(1), "--stock", "9856000"],
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        let rows = merchant.path().join(format!("rows{n}.csv"));
        let csv = format!(
            "coupon_code,stock_id\n{},9856000\n{},9856000\n",
            code(2),
            code(3)
        );
        std::fs::write(&rows, csv).unwrap();
        let out = wx(config, &["return", "--batch", rows.to_str().unwrap()]);
        assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    };
    let phase = |name: &str| {
        let coupons = coupons.to_str().unwrap();
        let args = [
            "--signer",
            "certificate",
            "--rotation",
            name,
            "--coupons",
            coupons,
        ];
        emulator(None, &args)
    };
    let pair = |s: &str, c: &str| (s.to_string(), c.to_string());

    // Before: the old certificate only.
    let emu = phase("before");
    let config = config_for(&emu);
    assert_eq!(download(&config), [pair(OLD, "new")]);
    assert_eq!(named(&config), OLD);
    works(&config);
    drop(emu);

    // During: both published, the old one still in use (its dates changed).
    let emu = phase("during");
    let config = config_for(&emu);
    works(&config);
    assert_eq!(download(&config), [pair(OLD, "replaced"), pair(NEW, "new")]);
    assert_eq!(named(&config), OLD, "the new one is not in use yet");
    works(&config);
    drop(emu);

    // After: the new one signs; known since "during", so no download is
    // needed; once downloaded again, requests name it.
    let emu = phase("after");
    let config = config_for(&emu);
    works(&config);
    assert_eq!(download(&config), [pair(NEW, "replaced")]);
    assert_eq!(named(&config), NEW);
    works(&config);

    // A merchant who slept through "during" gets the new one fetched by
    // the first answer it signs.
    std::fs::remove_file(certs.join(format!("{NEW}.pem"))).unwrap();
    std::fs::remove_file(certs.join(format!("{NEW}.json"))).unwrap();
    works(&config);
    assert!(certs.join(format!("{NEW}.pem")).exists());
}

/// A certificate made here, signed by itself with `key` (a fixture file):
/// its PEM. `serial`: its DER serial's bytes.
fn made_certificate(key: Option<&str>, serial: &[u8]) -> String {
    let mut params = rcgen::CertificateParams::new(vec!["wechatpay.example".into()]).unwrap();
    params.serial_number = Some(rcgen::SerialNumber::from_slice(serial));
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2034, 1, 1);
    let pair = match key {
        Some(file) => rcgen::KeyPair::from_pem_and_sign_algo(
            &std::fs::read_to_string(fixture(file)).unwrap(),
            &rcgen::PKCS_RSA_SHA256,
        )
        .unwrap(),
        None => rcgen::KeyPair::generate().unwrap(),
    };
    params.self_signed(&pair).unwrap().pem()
}

/// WeChat Pay writes serials as 40 hexadecimal digits, a leading zero
/// kept: the file, the listing and the request's Wechatpay-Serial keep it.
/// An entry that is not RSA (SM2) is passed over with a warning, not the
/// whole download refused.
#[test]
fn a_leading_zero_is_kept_and_a_non_rsa_entry_is_passed_over() {
    let zero = "0A1B2C3D4E5F60718293A4B5C6D7E8F901234567";
    let serial: Vec<u8> = (0..20)
        .map(|i| u8::from_str_radix(&zero[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    let rsa = made_certificate(Some("platform_key.pem"), &serial);
    let sm2 = made_certificate(None, &[0x11; 20]);
    let sm2_serial = "1111111111111111111111111111111111111111";
    let (from, to) = ("2024-01-01T08:00:00+08:00", "2034-01-01T08:00:00+08:00");
    let body = certificates_body(
        APIV3,
        &[(&sm2, sm2_serial, from, to), (&rsa, zero, from, to)],
    );
    let server = Server::start(move |seen| {
        if seen.url.starts_with("/v3/certificates") {
            Reply::ok(&body).sig(Sig::Certificate(zero))
        } else {
            Reply::returned().sig(Sig::Certificate(zero))
        }
    });
    let s = cert_setup(&server.base_url);
    let out = run(wxcoupon(s.home.path())
        .arg("--config")
        .arg(&s.config)
        .args(["certificates", "download"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let certs = s.home.path().join("certs");
    assert_eq!(
        out.stdout,
        format!(
            "{zero}  2024-01-01T08:00:00+08:00 to 2034-01-01T08:00:00+08:00  new        {}\n",
            certs.join(format!("{zero}.pem")).display()
        )
    );
    assert_eq!(
        out.stderr,
        format!(
            "wxcoupon: warning: the certificate for serial {sm2_serial} is not RSA (algorithm \
             1.2.840.10045.2.1): passed over (wxcoupon verifies with RSA certificates, \
             WECHATPAY2-SHA256-RSA2048)\n\
             downloaded 1 platform certificate(s), 1 new, verified and saved\n"
        )
    );
    assert_eq!(server.seen()[0].url, "/v3/certificates?algorithm_type=RSA");
    let out = s.ret(&["--code", "C1", "--stock", "9856000", "--request-no", "R1"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(server.seen()[1].header("Wechatpay-Serial"), Some(zero));
}

/// A download whose answer carries a signature probe gets one more
/// attempt; one signed by the WeChat Pay public key, for a profile with
/// certificates only, says what it is and what to add.
#[test]
fn a_probed_download_is_repeated_and_a_public_key_one_is_named() {
    let cert = fixture_text("platform_cert.pem");
    let body = certificates_body(APIV3, &[(&cert, CERT, CERT_FROM, CERT_TO)]);
    let first = std::sync::atomic::AtomicBool::new(true);
    let probed = body.clone();
    let server = Server::start(move |_| {
        let sig = if first.swap(false, std::sync::atomic::Ordering::SeqCst) {
            Sig::Probe
        } else {
            Sig::Certificate(CERT)
        };
        Reply::ok(&probed).sig(sig)
    });
    // A merchant switching (the public key and certificates): the probe
    // names the public key (the stand-in signs its probes so).
    let s = setup(
        &server.base_url,
        "platform_certificates_dir = \"certs\"\napiv3_key_file = \"apiv3.txt\"\n",
    );
    std::fs::write(s.home.path().join("apiv3.txt"), APIV3).unwrap();
    let out = crate::certificates::download(&s);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(server.seen().len(), 2);

    let server = Server::start(move |_| Reply::ok(&body).sig(Sig::Valid));
    let s = cert_setup(&server.base_url);
    let out = crate::certificates::download(&s);
    assert_eq!(out.code, 5, "{}", out.stderr);
    let v = out.json();
    assert_eq!(
        v["message"],
        format!(
            "platform certificates not saved: the answer is not verified: the answer is signed \
             by the WeChat Pay public key `{KEY_ID}`, but the profile has no \
             wechatpay_public_key_id and wechatpay_public_key_file"
        )
    );
    assert!(
        v["explanation"].as_str().unwrap().contains(
            "the merchant has switched to it, and the profile has only platform certificates"
        ),
        "{v}"
    );
}
