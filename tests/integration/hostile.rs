//! What a hostile pass broke (issue 14), each a test that failed before its
//! fix: secrets quoted from a config, certificate downloads that half
//! happened or trusted a duplicate, permissions from the umask, terminal
//! escapes in JSON and doctor. (The batch's journal and input have theirs in
//! `batch`.)

use std::path::Path;

use crate::certificates::{
    APIV3, CERT, CERT_FROM, CERT_TO, EXPIRED, cert_setup, certificates_body, download, fixture_text,
};
use crate::common::*;

/// An APIv3 key as a merchant would paste it.
const PASTED: &str = "abcdefghABCDEFGH0123456789xyzXYZ";

fn in_any(out: &Out, text: &str) -> bool {
    out.stdout.contains(text) || out.stderr.contains(text)
}

/// `apiv3_key_file = "<the key>"` and `apiv3_key = "<the key>"`: every
/// command that reads the profile refuses it naming the line and the field,
/// and none prints the key.
#[test]
fn an_apiv3_key_pasted_into_the_config_is_never_printed() {
    for (extra, field) in [
        (
            format!("platform_certificates_dir = \"certs\"\napiv3_key_file = \"{PASTED}\"\n"),
            "profile.test.apiv3_key_file holds what looks like the APIv3 key itself",
        ),
        (
            format!("apiv3_key = \"{PASTED}\"\n"),
            "profile.test.apiv3_key is not a key wxcoupon knows, and its name says it holds a \
             secret: its value looks like the APIv3 key itself",
        ),
    ] {
        let s = setup("http://127.0.0.1:9", &extra);
        let rows = s.home.path().join("rows.csv");
        std::fs::write(&rows, "coupon_code,stock_id\nC1,9856000\n").unwrap();
        let line = match extra.lines().count() {
            2 => 9,
            _ => 8,
        };
        let want = format!("{}:{line}: {field}", s.config.display());
        let commands: [&[&str]; 6] = [
            &["return", "--code", "C1", "--stock", "9856000"],
            &["--json", "return", "--code", "C1", "--stock", "9856000"],
            &["return", "--batch", rows.to_str().unwrap()],
            &["doctor"],
            &["--json", "doctor"],
            &["certificates", "download"],
        ];
        for args in commands {
            let out = run(wxcoupon(s.home.path())
                .arg("--config")
                .arg(&s.config)
                .args(args));
            assert_eq!(out.code, 2, "{args:?}: {}{}", out.stdout, out.stderr);
            assert!(!in_any(&out, PASTED), "{args:?} printed the key");
            assert!(!in_any(&out, &PASTED[..12]), "{args:?} printed part of it");
            assert!(
                in_any(&out, &want),
                "{args:?}: {}{}",
                out.stdout,
                out.stderr
            );
        }
        // The whole message, as a person reads it.
        let out = s.ret(&["--code", "C1", "--stock", "9856000"]);
        assert_eq!(out.stdout, "");
        assert!(out.stderr.starts_with(&format!("wxcoupon: error: {want}")));
    }
}

/// The entry with the certificate that does not fit under the file size
/// limit comes second: the first is written, the second fails. Nothing may
/// stay, and the failure is said as what it is.
#[test]
fn a_download_that_cannot_be_written_whole_saves_nothing() {
    let small = fixture_text("platform_cert.pem");
    let large = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/emulator/sample_platform_cert_1.pem"
    ))
    .unwrap();
    let big = "6D4E8F0A2B3C54769810DCFEB03456789012CDEF";
    let body = certificates_body(
        APIV3,
        &[
            (&small, CERT, CERT_FROM, CERT_TO),
            (
                &large,
                big,
                "2024-01-01T00:00:00+08:00",
                "2031-12-31T00:00:00+08:00",
            ),
        ],
    );
    let server = Server::start(move |_| Reply::ok(&body).sig(Sig::Certificate(CERT)));
    let s = cert_setup(&server.base_url);
    // A file may hold 1,220 bytes: the first certificate's PEM (1,200) and
    // its dates fit, the second's PEM (1,241) does not. SIGXFSZ ignored, the write fails with EFBIG,
    // as on a disk that fills up.
    let mut c = assert_cmd::Command::new("sh");
    c.env_clear().env("HOME", s.home.path()).args([
        "-c",
        "trap '' XFSZ; exec prlimit --fsize=1220 \"$@\"",
        "sh",
    ]);
    c.arg(assert_cmd::cargo::cargo_bin("wxcoupon"))
        .arg("--config")
        .arg(&s.config)
        .args(["--json", "certificates", "download"]);
    let out = run(&mut c);
    assert_eq!(out.code, 4, "{}{}", out.stdout, out.stderr);
    let v = out.json();
    assert_eq!(v["outcome"], "unknown");
    let certs = s.home.path().join("certs");
    assert_eq!(
        v["message"],
        format!(
            "the platform certificates were downloaded and verified, but not saved: writing \
             {}/{big}.pem (no certificate was saved): File too large (os error 27)",
            certs.display()
        )
    );
    assert_eq!(files_in(&certs), Vec::<String>::new(), "nothing stays");
    // Without the limit, both are saved.
    let out = download(&s);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        files_in(&certs),
        [
            format!("{CERT}.json"),
            format!("{CERT}.pem"),
            format!("{big}.json"),
            format!("{big}.pem")
        ]
    );
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Two entries with one serial: refused whole, nothing written.
#[test]
fn an_answer_that_lists_a_serial_twice_is_refused() {
    let cert = fixture_text("platform_cert.pem");
    let body = certificates_body(
        APIV3,
        &[
            (&cert, CERT, CERT_FROM, CERT_TO),
            (&cert, CERT, CERT_FROM, CERT_TO),
        ],
    );
    let server = Server::start(move |_| Reply::ok(&body).sig(Sig::Certificate(CERT)));
    let s = cert_setup(&server.base_url);
    let out = download(&s);
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert_eq!(
        out.json()["message"],
        format!(
            "platform certificates not saved: the answer lists serial {CERT} twice; a serial \
             names one certificate"
        )
    );
    assert!(!s.home.path().join("certs").exists());
}

/// Under `umask 000` the folder and the certificates are still 0755 and
/// 0644; a planted link is replaced, not written through; doctor warns
/// about a folder others can write. An expired certificate in the answer
/// is warned about.
#[cfg(unix)]
#[test]
fn certificates_get_their_own_modes_and_links_are_replaced() {
    use std::os::unix::fs::PermissionsExt;
    let cert = fixture_text("platform_cert.pem");
    let expired = fixture_text("platform_expired_cert.pem");
    let body = certificates_body(
        APIV3,
        &[
            (&cert, CERT, CERT_FROM, CERT_TO),
            (
                &expired,
                EXPIRED,
                "2020-01-01T00:00:00+08:00",
                "2021-01-01T00:00:00+08:00",
            ),
        ],
    );
    let server = Server::start(move |_| Reply::ok(&body).sig(Sig::Certificate(CERT)));
    let s = cert_setup(&server.base_url);
    let certs = s.home.path().join("certs");
    // Elsewhere, the same certificate (so that the folder still reads).
    let elsewhere = s.home.path().join("elsewhere.pem");
    std::fs::write(&elsewhere, &cert).unwrap();
    let mut c = assert_cmd::Command::new("sh");
    c.env_clear()
        .env("HOME", s.home.path())
        .args(["-c", "umask 000; exec \"$@\"", "sh"]);
    c.arg(assert_cmd::cargo::cargo_bin("wxcoupon"))
        .arg("--config")
        .arg(&s.config)
        .args(["certificates", "download"]);
    let out = run(&mut c);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        format!(
            "wxcoupon: warning: platform certificate {EXPIRED} expired on \
             2021-01-01T00:00:00+08:00: an answer signed with it after that is not verified\n\
             downloaded 2 platform certificate(s), 2 new, verified and saved\n"
        )
    );
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&certs), 0o755);
    let file = certs.join(format!("{CERT}.pem"));
    assert_eq!(mode(&file), 0o644);

    // A link planted where a certificate goes is replaced itself, and said
    // so, though it pointed at the same certificate.
    std::fs::remove_file(&file).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &file).unwrap();
    let out = download(&s);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let v = out.json();
    let changes: Vec<(&str, &str)> = v["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["serial_no"].as_str().unwrap(),
                c["change"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(changes, [(CERT, "replaced"), (EXPIRED, "unchanged")]);
    assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), cert);
    assert!(!std::fs::symlink_metadata(&file).unwrap().is_symlink());

    // A folder others can write is a warning of doctor's.
    std::fs::set_permissions(&certs, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = run(wxcoupon(s.home.path())
        .arg("--config")
        .arg(&s.config)
        .args(["doctor"]));
    assert_eq!(
        lines_of(&out.stdout, "platform certificates permissions"),
        [format!(
            "warning  platform certificates permissions: {} can be written by group or others \
             (mode 777): they could swap the certificates that verify answers; run: chmod go-w {}",
            certs.display(),
            certs.display()
        )]
    );
}

fn lines_of(text: &str, check: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.get(9..).is_some_and(|rest| rest.starts_with(check)))
        .map(String::from)
        .collect()
}

/// doctor reads every file of the folder: a misnamed certificate and a
/// damaged one are both problems, and a file name that would clear the
/// screen is shown escaped.
#[test]
fn doctor_reports_every_bad_certificate_file_escaped() {
    let server = Server::start(|_| Reply::returned());
    let s = cert_setup(&server.base_url);
    let certs = s.home.path().join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    std::fs::write(
        certs.join("X\u{1b}[2J.pem"),
        fixture_text("platform_cert.pem"),
    )
    .unwrap();
    std::fs::write(certs.join("damaged.pem"), "-----BEGIN CERTIFICATE-----\n").unwrap();
    let out = run(wxcoupon(s.home.path())
        .arg("--config")
        .arg(&s.config)
        .args(["doctor"]));
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(!out.stdout.contains('\u{1b}'), "{}", out.stdout);
    let dir = certs.display();
    assert_eq!(
        lines_of(&out.stdout, "platform certificates:"),
        [
            format!(
                "problem  platform certificates: platform certificate {dir}/X\\u{{001b}}[2J.pem: \
                 its serial is {CERT}, but the file is named X\\u{{001b}}[2J.pem; name it \
                 {CERT}.pem (or download the certificates again)"
            ),
            format!(
                "problem  platform certificates: platform certificate {dir}/damaged.pem: \
                 expected one `BEGIN CERTIFICATE` block, found 0"
            ),
            format!(
                "warning  platform certificates: none valid in {dir}: requests name no \
                 Wechatpay-Serial until `wxcoupon certificates download` fetches them"
            ),
        ]
    );
}

/// A C1 control, a bidi override and DEL in WeChat Pay's message reach a
/// terminal escaped in `--json`, and the JSON still reads back the same.
#[test]
fn json_escapes_controls_a_terminal_would_act_on() {
    let message = "券\u{9b}2J已\u{202e}失效\u{7f}";
    let server = Server::start(move |_| Reply::error(403, "RULE_LIMIT", message));
    let s = setup(&server.base_url, "");
    let out = s.ret(&[
        "--json",
        "--code",
        "C1",
        "--stock",
        "9856000",
        "--request-no",
        "R1",
    ]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    for raw in ['\u{9b}', '\u{202e}', '\u{7f}'] {
        assert!(!out.stdout.contains(raw), "{raw:?} raw in {}", out.stdout);
    }
    assert!(
        out.stdout
            .contains(r#""message":"券\u009b2J已\u202e失效\u007f""#),
        "{}",
        out.stdout
    );
    assert_eq!(out.json()["message"], message);
}
