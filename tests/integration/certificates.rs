//! Platform certificates end to end: `certificates download` and `list`,
//! and verified returns, against the emulator in each of its signer modes,
//! and against the test stand-in for answers the emulator never gives
//! (a tampered entry, an entry that disagrees with its certificate, a
//! download signed by a stranger, an expired certificate).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::*;
use crate::emulator::{Emu, emulator, value_of};

fn cmd(emu: &Emu, args: &[&str]) -> Out {
    let mut c = wxcoupon(emu.home.path());
    c.arg("--config").arg(&emu.config).args(args);
    run(&mut c)
}

fn certs_dir(emu: &Emu) -> PathBuf {
    PathBuf::from(value_of(&emu.profile, "platform_certificates_dir"))
}

fn pem_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".pem"))
        .collect();
    names.sort();
    names
}

const RETURN: [&str; 4] = ["--code", "COUPON-USED-1", "--stock", "9856000"];

#[test]
fn certificate_mode_downloads_lists_and_verifies_returns() {
    let emu = emulator(None, &["--signer", "certificate"]);
    assert!(
        !emu.profile.contains("wechatpay_public_key_id"),
        "{}",
        emu.profile
    );
    let out = cmd(&emu, &["certificates", "download", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = out.json();
    assert_eq!(v["outcome"], "downloaded");
    let certs = v["certificates"].as_array().unwrap();
    assert_eq!(certs.len(), 2);
    assert!(certs.iter().all(|c| c["new"] == true));
    // The files are those of the downloaded serials (listed in the
    // answer's order, the files by name).
    let mut files: Vec<String> = certs
        .iter()
        .map(|c| format!("{}.pem", c["serial_no"].as_str().unwrap()))
        .collect();
    files.sort();
    assert_eq!(pem_files(&certs_dir(&emu)), files);
    // Again: nothing new.
    let v = cmd(&emu, &["certificates", "download", "--json"]).json();
    assert!(
        v["certificates"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["new"] == false)
    );
    let v = cmd(&emu, &["certificates", "list", "--json"]).json();
    let listed = v["certificates"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(
        listed.iter().filter(|c| c["newest"] == true).count(),
        1,
        "{v}"
    );
    assert!(
        listed
            .iter()
            .all(|c| c["expired"] == false && c["days_left"].as_i64().unwrap() > 30)
    );
    let out = emu.ret(&RETURN);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn doctor_says_the_mode_and_checks_the_certificates() {
    let emu = emulator(None, &["--signer", "certificate"]);
    let doctor = |json: bool| {
        let mut c = wxcoupon(emu.home.path());
        c.arg("--config").arg(&emu.config).arg("doctor");
        if json {
            c.arg("--json");
        }
        run(&mut c)
    };
    let out = doctor(false);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("ok       verification: platform certificates (平台证书模式)\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("warning  platform certificates: none valid in "),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("ok       APIv3 key: 32 bytes\n"),
        "{}",
        out.stdout
    );
    assert_eq!(cmd(&emu, &["certificates", "download"]).code, 0);
    let v = doctor(true).json();
    let certs = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "platform certificates")
        .unwrap()
        .clone();
    assert_eq!(certs["status"], "ok", "{v}");
    assert!(
        certs["detail"].as_str().unwrap().starts_with("2 in "),
        "{v}"
    );
    // A short APIv3 key is a problem.
    let key = PathBuf::from(value_of(&emu.profile, "apiv3_key_file"));
    std::fs::write(&key, "short").unwrap();
    let out = doctor(false);
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(
        out.stdout.contains("problem  APIv3 key: apiv3_key_file "),
        "{}",
        out.stdout
    );
}

#[test]
fn an_unknown_certificate_is_fetched_with_the_apiv3_key() {
    let emu = emulator(None, &["--signer", "certificate"]);
    let out = emu.ret(&[&RETURN[..], &["--request-no", "F-1"]].concat());
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("downloaded the platform certificates (")
            && out.stderr.contains("to verify this answer"),
        "{}",
        out.stderr
    );
    assert_eq!(pem_files(&certs_dir(&emu)).len(), 2);
    // The return was sent once; the certificates were fetched with a request of their own.
    let log = std::fs::read_to_string(&emu.stderr).unwrap();
    assert_eq!(
        log.matches("POST /v3/marketing/busifavor/coupons/return")
            .count(),
        1,
        "{log}"
    );
    assert_eq!(
        log.matches("GET /v3/certificates?algorithm_type=RSA 200")
            .count(),
        1,
        "{log}"
    );
}

#[test]
fn without_an_apiv3_key_an_unknown_certificate_is_unverified_with_the_fix() {
    let emu = emulator(None, &["--signer", "certificate"]);
    let text = std::fs::read_to_string(&emu.config).unwrap();
    let without: String = text
        .lines()
        .filter(|l| !l.starts_with("apiv3_key_file"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&emu.config, without).unwrap();
    let out = emu.ret(&[&RETURN[..], &["--request-no", "N-1", "--json"]].concat());
    assert_eq!(out.code, 5, "{}", out.stderr);
    let v = out.json();
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("which is not in platform_certificates_dir"),
        "{v}"
    );
    assert!(
        v["explanation"]
            .as_str()
            .unwrap()
            .contains("wxcoupon certificates download"),
        "{v}"
    );
    let out = cmd(&emu, &["certificates", "download"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("needs the APIv3 key"), "{}", out.stderr);
}

#[test]
fn switching_verifies_answers_from_either_signer() {
    let emu = emulator(None, &["--signer", "switching"]);
    assert!(
        emu.profile.contains("wechatpay_public_key_id")
            && emu.profile.contains("platform_certificates_dir")
    );
    for code in ["COUPON-USED-1", "COUPON-USED-2", "COUPON-USED-3"] {
        let out = emu.ret(&["--code", code, "--stock", "9856000"]);
        assert_eq!(out.code, 0, "{code}: {}", out.stderr);
    }
    let log = std::fs::read_to_string(&emu.stderr).unwrap();
    assert_eq!(log.matches("USED -> SENDED").count(), 3, "{log}");
}

#[test]
fn a_merchant_without_platform_certificates_is_told_so() {
    let emu = emulator(None, &[]);
    let certs = emu.home.path().join("certs");
    let key = emu.home.path().join("apiv3.txt");
    std::fs::write(&key, "wxcouponEmulatorApiV3SampleKey32\n").unwrap();
    let text = std::fs::read_to_string(&emu.config).unwrap();
    std::fs::write(
        &emu.config,
        format!(
            "{text}platform_certificates_dir = \"{}\"\napiv3_key_file = \"{}\"\n",
            certs.display(),
            key.display()
        ),
    )
    .unwrap();
    let out = cmd(&emu, &["certificates", "download", "--json"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    let v = out.json();
    assert_eq!(
        (v["outcome"].as_str(), v["code"].as_str()),
        (Some("rejected"), Some("RESOURCE_NOT_EXISTS"))
    );
    assert!(
        v["explanation"]
            .as_str()
            .unwrap()
            .contains("uses only the WeChat Pay public key"),
        "{v}"
    );
    assert!(!certs.exists(), "nothing written");
}

#[test]
fn a_wrong_apiv3_key_writes_nothing_and_names_the_key() {
    let emu = emulator(None, &["--signer", "certificate"]);
    let key = emu.home.path().join("wrong.txt");
    std::fs::write(&key, "0123456789abcdef0123456789abcdef").unwrap();
    let text = std::fs::read_to_string(&emu.config).unwrap();
    let text: String = text
        .lines()
        .map(|l| {
            if l.starts_with("apiv3_key_file") {
                format!("apiv3_key_file = \"{}\"\n", key.display())
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(&emu.config, text).unwrap();
    // A leftover of a crashed earlier download blocks nothing and is not a certificate.
    std::fs::write(certs_dir(&emu).join(".7E5F.pem.x.partial"), "half").unwrap();
    let out = cmd(&emu, &["certificates", "download", "--json"]);
    assert_eq!(out.code, 5, "{}", out.stderr);
    let v = out.json();
    assert_eq!(v["outcome"], "unverified");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("does not decrypt under the APIv3 key"),
        "{v}"
    );
    assert!(
        v["explanation"]
            .as_str()
            .unwrap()
            .contains("most likely the APIv3 key is wrong"),
        "{v}"
    );
    assert!(pem_files(&certs_dir(&emu)).is_empty(), "nothing written");
    // With the right key, the same folder takes the certificates.
    let text = std::fs::read_to_string(&emu.config).unwrap().replace(
        &key.display().to_string(),
        &emu.home.path().join("right.txt").display().to_string(),
    );
    std::fs::write(
        emu.home.path().join("right.txt"),
        "wxcouponEmulatorApiV3SampleKey32",
    )
    .unwrap();
    std::fs::write(&emu.config, text).unwrap();
    assert_eq!(cmd(&emu, &["certificates", "download"]).code, 0);
    assert_eq!(pem_files(&certs_dir(&emu)).len(), 2);
}

/// The stand-in's answer to `GET /v3/certificates`: entries for `certs`
/// (PEM text and the entry's serial and times), encrypted under `key`.
pub(crate) fn certificates_body(key: &[u8; 32], certs: &[(&str, &str, &str, &str)]) -> String {
    use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
    let data: Vec<Value> = certs
        .iter()
        .map(|(pem, serial, from, to)| {
            let nonce = b"0123456789ab";
            let mut sealed = pem.as_bytes().to_vec();
            LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).unwrap())
                .seal_in_place_append_tag(
                    Nonce::assume_unique_for_key(*nonce),
                    Aad::from(b"certificate"),
                    &mut sealed,
                )
                .unwrap();
            serde_json::json!({
                "serial_no": serial, "effective_time": from, "expire_time": to,
                "encrypt_certificate": {
                    "algorithm": "AEAD_AES_256_GCM", "nonce": "0123456789ab",
                    "associated_data": "certificate",
                    "ciphertext": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, sealed),
                }
            })
        })
        .collect();
    serde_json::json!({ "data": data }).to_string()
}

pub(crate) const APIV3: &[u8; 32] = b"0123456789abcdef0123456789abcdef";
pub(crate) const CERT: &str = "3A1B5C7D9E0F21436587A9CBEDF0123456789ABC";
pub(crate) const EXPIRED: &str = "4B2C6D8E0F1A32547698BADCFE1234567890ABCD";
const OTHER: &str = "5C3D7E9F1A2B43658709CBEDAF2345678901BCDE";
pub(crate) const CERT_FROM: &str = "2024-01-01T00:00:00+08:00";
pub(crate) const CERT_TO: &str = "2034-01-01T00:00:00+08:00";

pub(crate) fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap()
}

/// The stand-in's certificates answer for the fixture platform certificate.
pub(crate) fn fixture_certificates_body() -> String {
    let cert = fixture_text("platform_cert.pem");
    certificates_body(APIV3, &[(&cert, CERT, CERT_FROM, CERT_TO)])
}

/// A certificate-only profile for the stand-in at `base_url`.
pub(crate) fn cert_setup(base_url: &str) -> Setup {
    let s = setup(base_url, "");
    let key = s.home.path().join("apiv3.txt");
    std::fs::write(&key, APIV3).unwrap();
    let text: String = config_text(base_url, "")
        .lines()
        .filter(|l| !l.starts_with("wechatpay_public_key"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(
        &s.config,
        format!(
            "{text}platform_certificates_dir = \"{}\"\napiv3_key_file = \"{}\"\n",
            s.home.path().join("certs").display(),
            key.display()
        ),
    )
    .unwrap();
    s
}

pub(crate) fn download(s: &Setup) -> Out {
    run(wxcoupon(s.home.path())
        .arg("--config")
        .arg(&s.config)
        .args(["certificates", "download", "--json"]))
}

#[test]
fn a_download_that_does_not_check_out_writes_nothing() {
    let cert = fixture_text("platform_cert.pem");
    let cases: Vec<(String, Sig, &str)> = vec![
        // An entry whose ciphertext was changed on the way.
        (
            certificates_body(APIV3, &[(&cert, CERT, CERT_FROM, CERT_TO)]).replacen(
                "\"ciphertext\":\"",
                "\"ciphertext\":\"AAAA",
                1,
            ),
            Sig::Certificate(CERT),
            "does not decrypt under the APIv3 key",
        ),
        // An entry whose time is not a time. (Times that differ from the
        // certificate's validity are WeChat Pay's own, as in a rotation: kept.)
        (
            certificates_body(APIV3, &[(&cert, CERT, "2024-01-02", CERT_TO)]),
            Sig::Certificate(CERT),
            "effective_time \"2024-01-02\" is not an RFC 3339 time",
        ),
        // An entry whose serial is another certificate's.
        (
            certificates_body(APIV3, &[(&cert, OTHER, CERT_FROM, CERT_TO)]),
            Sig::Certificate(OTHER),
            "disagrees with its entry: the certificate's serial is 3A1B5C7D9E0F21436587A9CBEDF0123456789ABC",
        ),
        // Signed by a certificate that is not among the delivered ones.
        (
            certificates_body(APIV3, &[(&cert, CERT, CERT_FROM, CERT_TO)]),
            Sig::Certificate(OTHER),
            "which is not in platform_certificates_dir",
        ),
        // Signed by the right serial but another key.
        (
            certificates_body(APIV3, &[(&cert, CERT, CERT_FROM, CERT_TO)]),
            Sig::CertificateWrongKey(CERT),
            "the signature does not match",
        ),
    ];
    for (body, sig, words) in cases {
        let reply = Reply::ok(&body).sig(sig);
        let server = Server::start(move |_| reply.clone());
        let s = cert_setup(&server.base_url);
        let out = download(&s);
        assert_eq!(out.code, 5, "{words}: {}", out.stderr);
        let v = out.json();
        assert_eq!(v["outcome"], "unverified", "{words}");
        assert!(
            v["message"].as_str().unwrap().contains(words),
            "{words}: {v}"
        );
        assert!(
            !s.home.path().join("certs").exists(),
            "{words}: nothing written"
        );
        assert_eq!(server.seen()[0].url, "/v3/certificates?algorithm_type=RSA");
    }
}

#[test]
fn the_request_names_the_newest_valid_certificate_or_none() {
    let cert = fixture_text("platform_cert.pem");
    let body = certificates_body(APIV3, &[(&cert, CERT, CERT_FROM, CERT_TO)]);
    let server = Server::start(move |seen| {
        if seen.url == "/v3/certificates?algorithm_type=RSA" {
            Reply::ok(&body).sig(Sig::Certificate(CERT))
        } else {
            Reply::returned().sig(Sig::Certificate(CERT))
        }
    });
    let s = cert_setup(&server.base_url);
    // No certificate yet: the download names none; the return then names it.
    assert_eq!(download(&s).code, 0);
    let out = s.ret(&["--code", "C1", "--stock", "1", "--request-no", "R1"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let seen = server.seen();
    assert_eq!(seen[0].header("Wechatpay-Serial"), None);
    assert_eq!(seen[0].header("Content-Type"), None, "a GET has no body");
    assert_eq!(seen[1].header("Wechatpay-Serial"), Some(CERT));
}

#[test]
fn an_answer_signed_by_an_expired_certificate_is_unverified() {
    let server = Server::start(|_| Reply::returned().sig(Sig::Certificate(EXPIRED)));
    let s = cert_setup(&server.base_url);
    let certs = s.home.path().join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    std::fs::copy(
        fixture("platform_expired_cert.pem"),
        certs.join(format!("{EXPIRED}.pem")),
    )
    .unwrap();
    std::fs::copy(
        fixture("platform_cert.pem"),
        certs.join(format!("{CERT}.pem")),
    )
    .unwrap();
    let out = s.ret(&[
        "--code",
        "C1",
        "--stock",
        "1",
        "--request-no",
        "R1",
        "--json",
    ]);
    assert_eq!(out.code, 5, "{}", out.stderr);
    let v = out.json();
    assert_eq!(
        v["message"],
        format!(
            "answer not verified: the answer is signed by platform certificate `{EXPIRED}`, valid from \
             2019-12-31T16:00:00Z to 2020-12-31T16:00:00Z, not at the answer's time"
        )
    );
    // The request named the newest valid certificate, not the expired one.
    assert_eq!(server.seen()[0].header("Wechatpay-Serial"), Some(CERT));
}
