//! `wxcoupon emulator`, `wxcoupon demo` and `wxcoupon doctor`, end to end.
//! The emulator is tested against the tool and on its own: raw requests
//! signed by this harness (ring, not wxcoupon's signer), its answers verified
//! with the public key file it printed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::common::*;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::signature::{self, UnparsedPublicKey};

pub(crate) struct Emu {
    child: Child,
    /// The `[profile.emulator]` table it printed.
    pub(crate) profile: String,
    base_url: String,
    pub(crate) config: PathBuf,
    pub(crate) stderr: PathBuf,
    /// Its `TMPDIR`.
    tmp: tempfile::TempDir,
    pub(crate) home: tempfile::TempDir,
}

impl Drop for Emu {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn value_of<'a>(profile: &'a str, key: &str) -> &'a str {
    let line = profile
        .lines()
        .find(|l| l.starts_with(&format!("{key} = ")))
        .unwrap_or_else(|| panic!("no {key} in\n{profile}"));
    line.split_once(" = ").unwrap().1.trim_matches('"')
}

/// Starts the emulator with an empty HOME (no config: the sample merchant)
/// unless `config` is given, and reads the profile it prints.
pub(crate) fn emulator(config: Option<&Path>, args: &[&str]) -> Emu {
    emulator_in(tempfile::tempdir().unwrap(), config, args)
}

/// As `emulator`, with `tmp` as its `TMPDIR`.
fn emulator_in(tmp: tempfile::TempDir, config: Option<&Path>, args: &[&str]) -> Emu {
    let home = tempfile::tempdir().unwrap();
    let stderr = tmp.path().join("stderr.log");
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("wxcoupon"));
    cmd.env_clear()
        .env("HOME", home.path())
        .env("TMPDIR", tmp.path());
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    let mut child = cmd
        .arg("emulator")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    let mut profile = String::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while !profile.contains("base_url = ") {
        let line = lines
            .next()
            .expect("the emulator stopped before printing its profile")
            .unwrap();
        profile.push_str(&line);
        profile.push('\n');
    }
    let base_url = value_of(&profile, "base_url").to_string();
    let config = home.path().join("emulator.toml");
    std::fs::write(&config, &profile).unwrap();
    Emu {
        child,
        profile,
        base_url,
        config,
        stderr,
        tmp,
        home,
    }
}

impl Emu {
    pub(crate) fn ret(&self, args: &[&str]) -> Out {
        let mut c = wxcoupon(self.home.path());
        c.arg("--config").arg(&self.config).arg("return").args(args);
        run(&mut c)
    }

    fn addr(&self) -> String {
        self.base_url.trim_start_matches("http://").to_string()
    }

    /// The folder it printed the WeChat Pay public key file in.
    fn folder(&self) -> PathBuf {
        Path::new(value_of(&self.profile, "wechatpay_public_key_file"))
            .parent()
            .unwrap()
            .to_path_buf()
    }

    /// Sends `signal` (INT, TERM) and returns the exit code.
    fn signal(&mut self, signal: &str) -> Option<i32> {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        self.child.wait().unwrap().code()
    }
}

/// The names in a folder, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A raw HTTP exchange: full control over every header.
struct RawAnswer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawAnswer {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name} header"))
    }
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

fn raw_post(addr: &str, headers: &[(&str, String)], body: &str) -> RawAnswer {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut req = format!(
        // It reads to the end: it asks the emulator to close after answering.
        "POST {PATH} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let mut hs = [httparse::EMPTY_HEADER; 32];
    let mut resp = httparse::Response::new(&mut hs);
    let httparse::Status::Complete(len) = resp.parse(&buf).unwrap() else {
        panic!("incomplete answer")
    };
    RawAnswer {
        status: resp.code.unwrap(),
        headers: resp
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_string(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect(),
        body: buf[len..].to_vec(),
    }
}

/// Signs like a merchant, with the key in `key_file` (PKCS#8).
fn signed_headers(
    key_file: &Path,
    mchid: &str,
    serial: &str,
    ts: i64,
    nonce: &str,
    body: &str,
) -> Vec<(&'static str, String)> {
    let pem = pem::parse(std::fs::read(key_file).unwrap()).unwrap();
    let pair = signature::RsaKeyPair::from_pkcs8(pem.contents()).unwrap();
    let message = format!("POST\n{PATH}\n{ts}\n{nonce}\n{body}\n");
    let mut sig = vec![0; pair.public().modulus_len()];
    pair.sign(
        &signature::RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        message.as_bytes(),
        &mut sig,
    )
    .unwrap();
    vec![
        ("Accept", "application/json".into()),
        ("Content-Type", "application/json".into()),
        ("User-Agent", "emulator-test/1".into()),
        (
            "Authorization",
            format!(
                "WECHATPAY2-SHA256-RSA2048 mchid=\"{mchid}\",nonce_str=\"{nonce}\",signature=\"{}\",timestamp=\"{ts}\",serial_no=\"{serial}\"",
                STANDARD.encode(sig)
            ),
        ),
    ]
}

/// Verifies an answer with an SPKI PEM file, as any WeChat Pay client would.
fn verify_answer(pub_file: &Path, a: &RawAnswer) -> bool {
    let pem = pem::parse(std::fs::read(pub_file).unwrap()).unwrap();
    let spki = spki::SubjectPublicKeyInfoRef::try_from(pem.contents()).unwrap();
    let key = spki.subject_public_key.as_bytes().unwrap();
    let mut message = format!(
        "{}\n{}\n",
        a.header("Wechatpay-Timestamp"),
        a.header("Wechatpay-Nonce")
    )
    .into_bytes();
    message.extend_from_slice(&a.body);
    message.push(b'\n');
    let sig = STANDARD.decode(a.header("Wechatpay-Signature")).unwrap();
    UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, key)
        .verify(&message, &sig)
        .is_ok()
}

fn body(code: &str, no: &str) -> String {
    serde_json::json!({"coupon_code": code, "stock_id": "9856000", "return_request_no": no})
        .to_string()
}

#[test]
fn the_demo_runs_and_leaves_nothing_behind() {
    let home = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = run(wxcoupon(home.path()).env("TMPDIR", tmp.path()).arg("demo"));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("Everything behaved as documented"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("wxcoupon says (exit 0)"));
    assert!(out.stdout.contains("wxcoupon says (exit 3)"));
    assert!(out.stdout.contains("RULE_LIMIT"));
    assert!(
        out.stdout.contains("[profile.shop]"),
        "ends with the config for a real account"
    );
    assert!(out.stdout.contains("signature=\"(redacted)\""));
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "files left in TMPDIR"
    );
    assert_eq!(
        std::fs::read_dir(home.path()).unwrap().count(),
        0,
        "files left in HOME"
    );

    let out = run(wxcoupon(home.path()).args(["demo", "--json"]));
    assert_eq!(out.code, 0);
    let v = out.json();
    assert_eq!(v["outcome"], "demo_ok");
    assert_eq!(v["steps"][0]["outcome"], "returned");
    assert_eq!(v["steps"][1]["code"], "RULE_LIMIT");
}

#[test]
fn the_tool_returns_a_seeded_coupon_through_the_printed_profile() {
    let emu = emulator(None, &[]);
    assert!(emu.profile.contains("[profile.emulator]"));
    assert!(emu.base_url.starts_with("http://127.0.0.1:"));
    let out = emu.ret(&[
        "--code",
        "COUPON-USED-1",
        "--stock",
        "9856000",
        "--request-no",
        "E-1",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.trim_end().ends_with("+08:00"), "{}", out.stdout);

    for (code, no, exit, words) in [
        ("COUPON-USED-1", "E-2", 3, "RULE_LIMIT (HTTP 403)"),
        ("COUPON-USED-2", "E-1", 3, "RESOURCE_ALREADY_EXISTS"),
        ("COUPON-AVAILABLE", "E-3", 3, "currently usable"),
        ("COUPON-EXPIRED", "E-4", 3, "outside its validity period"),
        ("COUPON-DELETED", "E-5", 3, "was deleted"),
        ("COUPON-DEACTIVATED", "E-8", 3, "券已失效"),
        ("NO-SUCH-COUPON", "E-6", 3, "No such coupon"),
        ("COUPON-OTHER-MERCHANT", "E-7", 3, "NO_AUTH"),
    ] {
        // Without the ledger, which would refuse E-1 for COUPON-USED-2 before
        // sending (issue 17): the emulator's own answer is what is tested.
        let out = emu.ret(&[
            "--code",
            code,
            "--stock",
            "9856000",
            "--request-no",
            no,
            "--no-ledger",
        ]);
        assert_eq!(out.code, exit, "{code}: {}", out.stderr);
        assert!(out.stderr.contains(words), "{code}: {}", out.stderr);
    }
    let log = std::fs::read_to_string(&emu.stderr).unwrap();
    assert!(log.contains("returned COUPON-USED-1"), "{log}");
    assert_eq!(
        log.matches("emulator: POST").count(),
        9,
        "one line per request:\n{log}"
    );
}

#[test]
fn the_emulator_authenticates_like_wechat_pay_and_signs_its_answers() {
    let emu = emulator(None, &[]);
    let key_file = PathBuf::from(value_of(&emu.profile, "private_key_file"));
    let pub_file = PathBuf::from(value_of(&emu.profile, "wechatpay_public_key_file"));
    let mchid = value_of(&emu.profile, "mchid").to_string();
    let serial = value_of(&emu.profile, "merchant_serial_no").to_string();
    let key_id = value_of(&emu.profile, "wechatpay_public_key_id").to_string();
    let addr = emu.addr();

    // A correct request: 200, signed with the key it printed.
    let b = body("COUPON-USED-3", "RAW-1");
    let h = signed_headers(
        &key_file,
        &mchid,
        &serial,
        now(),
        "NONCE0000000000000000000000000001",
        &b,
    );
    let a = raw_post(&addr, &h, &b);
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    assert!(
        verify_answer(&pub_file, &a),
        "the answer's signature does not verify"
    );
    assert_eq!(a.header("Wechatpay-Serial"), key_id);
    assert_eq!(
        a.header("Wechatpay-Signature-Type"),
        "WECHATPAY2-SHA256-RSA2048"
    );
    assert!(!a.header("Request-ID").is_empty());
    assert!(a.json()["wechatpay_return_time"].as_str().is_some());

    // The same nonce again: refused as a replay.
    let b2 = body("COUPON-USED-2", "RAW-2");
    let h = signed_headers(
        &key_file,
        &mchid,
        &serial,
        now(),
        "NONCE0000000000000000000000000001",
        &b2,
    );
    let a = raw_post(&addr, &h, &b2);
    assert_eq!(a.status, 401);
    assert_eq!(a.json()["code"], "SIGN_ERROR");
    assert!(verify_answer(&pub_file, &a), "error answers are signed too");

    // Signed with another key: SIGN_ERROR with the server's view of the message.
    let h = signed_headers(
        &fixture("other_key.pem"),
        &mchid,
        &serial,
        now(),
        "NONCE0000000000000000000000000002",
        &b2,
    );
    let a = raw_post(&addr, &h, &b2);
    assert_eq!(a.status, 401);
    let v = a.json();
    assert_eq!(v["detail"]["detail"]["issue"], "sign not match");
    assert!(
        v["detail"]["sign_information"]["truncated_sign_message"]
            .as_str()
            .unwrap()
            .starts_with(&format!("POST\n{PATH}\n"))
    );

    // A stale timestamp; a wrong mchid; a wrong serial.
    for (ts, m, s) in [
        (now() - 301, mchid.as_str(), serial.as_str()),
        (now(), "1900000001", serial.as_str()),
        (
            now(),
            mchid.as_str(),
            "0000000000000000000000000000000000000000",
        ),
    ] {
        let nonce = format!("N{}", ts + m.len() as i64 + s.len() as i64);
        let h = signed_headers(&key_file, m, s, ts, &nonce, &b2);
        let a = raw_post(&addr, &h, &b2);
        assert_eq!(a.status, 401, "{ts} {m} {s}");
        assert_eq!(a.json()["code"], "SIGN_ERROR");
    }

    // Missing User-Agent, Accept or Content-Type: INVALID_REQUEST.
    for missing in ["User-Agent", "Accept", "Content-Type"] {
        let h: Vec<_> = signed_headers(
            &key_file,
            &mchid,
            &serial,
            now(),
            &format!("M{missing}"),
            &b2,
        )
        .into_iter()
        .filter(|(k, _)| *k != missing)
        .collect();
        let a = raw_post(&addr, &h, &b2);
        assert_eq!(a.status, 400, "{missing}");
        assert_eq!(a.json()["code"], "INVALID_REQUEST");
    }

    // None of the refused requests returned COUPON-USED-2.
    let out = emu.ret(&["--code", "COUPON-USED-2", "--stock", "9856000"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn the_emulator_uses_the_selected_profile_and_seeded_coupons() {
    let home = tempfile::tempdir().unwrap();
    let cfg = write_config(home.path(), "https://api.mch.weixin.qq.com", "");
    let coupons = home.path().join("coupons.json");
    std::fs::write(
        &coupons,
        r#"[{"coupon_code":"MINE","stock_id":"77","state":"USED"},
            {"coupon_code":"THEIRS","stock_id":"77","state":"USED","mchid":"1900000999"}]"#,
    )
    .unwrap();
    let emu = emulator(Some(&cfg), &["--coupons", coupons.to_str().unwrap()]);
    assert_eq!(value_of(&emu.profile, "mchid"), MCHID);
    assert_eq!(value_of(&emu.profile, "merchant_serial_no"), SERIAL);
    assert_eq!(
        value_of(&emu.profile, "private_key_file"),
        fixture("merchant_key.pem").display().to_string()
    );
    let out = emu.ret(&["--code", "MINE", "--stock", "77"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = emu.ret(&["--code", "THEIRS", "--stock", "77"]);
    assert_eq!(out.code, 3);
    assert!(out.stderr.contains("NO_AUTH"));
    let out = emu.ret(&["--code", "COUPON-USED-1", "--stock", "9856000"]);
    assert_eq!(out.code, 3, "the samples are replaced by --coupons");
}

#[test]
fn faults_are_survived_by_the_tool_without_returning_twice() {
    let emu = emulator(None, &["--fault", "drop-after", "--fault", "500"]);
    let out = emu.ret(&[
        "--code",
        "COUPON-USED-1",
        "--stock",
        "9856000",
        "--request-no",
        "F-1",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let v = out.json();
    assert_eq!(v["confirmed_by_retry"], true);
    assert_eq!(v["attempts"], 3);
    let log = std::fs::read_to_string(&emu.stderr).unwrap();
    assert_eq!(
        log.matches("USED -> SENDED").count(),
        1,
        "returned once:\n{log}"
    );
    assert!(log.contains("fault drop-after"), "{log}");
    assert!(log.contains("fault 500"), "{log}");
}

/// `--fault probe` answers a processed request with a signature probe; the
/// tool confirms the return with one more attempt, never returning twice.
#[test]
fn a_signature_probe_from_the_emulator_is_confirmed_by_one_more_attempt() {
    let emu = emulator(None, &["--fault", "probe"]);
    let out = emu.ret(&[
        "--code",
        "COUPON-USED-1",
        "--stock",
        "9856000",
        "--request-no",
        "P-1",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let v = out.json();
    assert_eq!(
        (v["confirmed_by_retry"].as_bool(), v["attempts"].as_u64()),
        (Some(true), Some(2))
    );
    let log = std::fs::read_to_string(&emu.stderr).unwrap();
    assert_eq!(
        log.matches("USED -> SENDED").count(),
        1,
        "returned once:\n{log}"
    );
    assert!(log.contains("fault probe"), "{log}");

    // A probe on the RESOURCE_ALREADY_EXISTS that would confirm a lost answer:
    // one more attempt confirms it.
    let emu = emulator(None, &["--fault", "drop-after", "--fault", "probe"]);
    let out = emu.ret(&[
        "--code",
        "COUPON-USED-2",
        "--stock",
        "9856000",
        "--request-no",
        "P-2",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let v = out.json();
    assert_eq!(
        (v["confirmed_by_retry"].as_bool(), v["attempts"].as_u64()),
        (Some(true), Some(3))
    );
    let log = std::fs::read_to_string(&emu.stderr).unwrap();
    assert_eq!(
        log.matches("USED -> SENDED").count(),
        1,
        "returned once:\n{log}"
    );
}

#[test]
fn bad_emulator_flags_are_exit_2() {
    let home = tempfile::tempdir().unwrap();
    let bad = home.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"[{"coupon_code":"A","stock_id":"1","state":"USED","colour":"red"}]"#,
    )
    .unwrap();
    for (args, words) in [
        (
            vec!["--listen", "0.0.0.0:0"],
            "loopback addresses only".to_string(),
        ),
        (
            vec!["--listen", "localhost"],
            "expected IP:PORT".to_string(),
        ),
        (
            vec!["--fault", "explode"],
            "unknown fault `explode`".to_string(),
        ),
        (vec!["--fault", "500:x"], "not a count".to_string()),
        (
            vec!["--coupons", "/nonexistent.json"],
            "reading --coupons /nonexistent.json".to_string(),
        ),
        (
            vec!["--coupons", bad.to_str().unwrap()],
            format!("--coupons {}: unknown field `colour`", bad.display()),
        ),
    ] {
        let out = run(wxcoupon(home.path()).arg("emulator").args(&args));
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(&words), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn ctrl_c_and_sigterm_stop_the_emulator_cleanly_and_remove_its_files() {
    for signal in ["INT", "TERM"] {
        let mut emu = emulator(None, &[]);
        let folder = emu.folder();
        assert!(folder.join("wechatpay_pub.pem").exists(), "{signal}");
        assert_eq!(emu.signal(signal), Some(0), "SIG{signal}");
        let log = std::fs::read_to_string(&emu.stderr).unwrap();
        assert!(log.ends_with("emulator: stopped\n"), "SIG{signal}: {log}");
        assert!(
            !folder.exists(),
            "SIG{signal}: {} is left",
            folder.display()
        );
        assert_eq!(names(emu.tmp.path()), ["stderr.log"], "SIG{signal}");
    }
}

#[cfg(unix)]
#[test]
fn the_emulator_writes_its_files_in_a_private_folder_of_its_own() {
    use std::os::unix::fs::PermissionsExt;
    let emu = emulator(None, &[]);
    let folder = emu.folder();
    assert!(folder.starts_with(emu.tmp.path()), "{}", folder.display());
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&folder), 0o700, "{}", folder.display());
    let key = PathBuf::from(value_of(&emu.profile, "private_key_file"));
    assert_eq!(key.parent(), Some(folder.as_path()));
    assert_eq!(mode(&key), 0o600, "{}", key.display());
    let public = folder.join("wechatpay_pub.pem");
    assert_eq!(mode(&public) & 0o022, 0, "{}", public.display());
}

#[test]
fn the_written_key_files_are_plain_pem_and_the_warning_is_in_the_profile() {
    let emu = emulator(None, &[]);
    for file in [
        PathBuf::from(value_of(&emu.profile, "private_key_file")),
        emu.folder().join("wechatpay_pub.pem"),
    ] {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.starts_with("-----BEGIN "),
            "{} has text before its PEM header: {:?}",
            file.display(),
            text.lines().next()
        );
        assert!(text.trim_end().ends_with("-----"), "{}", file.display());
        assert_eq!(text.matches("-----BEGIN ").count(), 1, "{}", file.display());
    }
    let comments: Vec<&str> = emu.profile.lines().filter(|l| l.starts_with('#')).collect();
    assert!(
        comments
            .iter()
            .any(|l| l.contains("published sample keys") && l.contains("sign nothing real")),
        "{}",
        emu.profile
    );
}

/// Another local user can create `$TMPDIR/wxcoupon-emulator` first: as a
/// folder of symlinks, as a symlink to the victim's folder, or as a file.
#[cfg(unix)]
#[test]
fn a_planted_shared_folder_neither_redirects_nor_blocks_the_emulator() {
    use std::os::unix::fs::symlink;
    let victim = tempfile::tempdir().unwrap();
    let precious = "the victim's own file\n";
    for name in ["wechatpay_pub.pem", "sample_merchant_key.pem", "target"] {
        std::fs::write(victim.path().join(name), precious).unwrap();
    }
    let unchanged = |why: &str| {
        for name in ["wechatpay_pub.pem", "sample_merchant_key.pem", "target"] {
            let text = std::fs::read_to_string(victim.path().join(name)).unwrap();
            assert_eq!(text, precious, "{why}: the victim's {name} was overwritten");
        }
        assert_eq!(
            names(victim.path()),
            ["sample_merchant_key.pem", "target", "wechatpay_pub.pem"],
            "{why}: files written in the victim's folder"
        );
    };

    // A shared folder whose expected file names are symlinks to the victim's file.
    let tmp = tempfile::tempdir().unwrap();
    let shared = tmp.path().join("wxcoupon-emulator");
    std::fs::create_dir(&shared).unwrap();
    for name in ["wechatpay_pub.pem", "sample_merchant_key.pem"] {
        symlink(victim.path().join("target"), shared.join(name)).unwrap();
    }
    let emu = emulator_in(tmp, None, &[]);
    assert!(!emu.folder().starts_with(&shared), "{}", emu.profile);
    drop(emu);
    unchanged("symlinked files");

    // The shared folder name is a symlink to the victim's folder.
    let tmp = tempfile::tempdir().unwrap();
    symlink(victim.path(), tmp.path().join("wxcoupon-emulator")).unwrap();
    let emu = emulator_in(tmp, None, &[]);
    assert!(!emu.folder().starts_with(victim.path()), "{}", emu.profile);
    drop(emu);
    unchanged("symlinked folder");

    // The name is taken by something that is not a usable folder.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("wxcoupon-emulator"), "taken").unwrap();
    let emu = emulator_in(tmp, None, &[]);
    assert!(emu.folder().join("wechatpay_pub.pem").exists());
}

#[test]
fn a_port_in_use_is_exit_2_and_writes_nothing() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let home = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = run(wxcoupon(home.path())
        .env("TMPDIR", tmp.path())
        .args(["emulator", "--listen", &addr]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("listening on {addr}")),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert_eq!(
        names(tmp.path()),
        Vec::<String>::new(),
        "files under TMPDIR"
    );
    assert_eq!(names(home.path()), Vec::<String>::new(), "files under HOME");
}

fn doctor(home: &Path, cfg: &Path, json: bool) -> Out {
    let mut c = wxcoupon(home);
    c.arg("--config").arg(cfg).arg("doctor");
    if json {
        c.arg("--json");
    }
    run(&mut c)
}

#[test]
fn doctor_says_all_good_or_lists_every_problem() {
    let home = tempfile::tempdir().unwrap();
    let key = home.path().join("apiclient_key.pem");
    std::fs::copy(fixture("merchant_key.pem"), &key).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let good = config_text("https://api.mch.weixin.qq.com", "").replace(
        &fixture("merchant_key.pem").display().to_string(),
        &key.display().to_string(),
    );
    let cfg = home.path().join("config.toml");
    std::fs::write(&cfg, &good).unwrap();
    let out = doctor(home.path(), &cfg, false);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.ends_with("all good\n"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains(&format!("ok       config file: {}", cfg.display())),
        "{}",
        out.stdout
    );

    // A group-readable key is a warning, not a problem.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let out = doctor(home.path(), &cfg, false);
        assert_eq!(out.code, 0, "{}", out.stdout);
        assert!(
            out.stdout.contains("warning  private key permissions"),
            "{}",
            out.stdout
        );
        assert!(out.stdout.contains("chmod 600"), "{}", out.stdout);
    }

    // Several problems at once are all listed.
    let bad = good
        .replace(SERIAL, "ABC123")
        .replace(KEY_ID, "PUB_KEY_ID_ABC")
        .replace("https://api.mch.weixin.qq.com", "http://example.com");
    std::fs::write(&cfg, &bad).unwrap();
    let out = doctor(home.path(), &cfg, false);
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(out.stdout.contains("base_url"), "{}", out.stdout);
    // A serial and a key id that `return` accepts (hexadecimal; PUB_KEY_ID_
    // and letters or digits) but unlike WeChat Pay's own: doctor follows the
    // profile's rules and adds warnings of its own, never a problem.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let odd = good
        .replace(SERIAL, "ABC123")
        .replace(KEY_ID, "PUB_KEY_ID_ABC");
    std::fs::write(&cfg, &odd).unwrap();
    let out = doctor(home.path(), &cfg, true);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let v = out.json();
    assert_eq!(v["ok"], true);
    let by_status = |status: &str| -> Vec<String> {
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["status"] == status)
            .map(|c| {
                format!(
                    "{}: {}",
                    c["check"].as_str().unwrap(),
                    c["detail"].as_str().unwrap()
                )
            })
            .collect()
    };
    assert_eq!(by_status("problem"), Vec::<String>::new(), "{v}");
    assert_eq!(
        by_status("warning"),
        [
            "merchant_serial_no: \"ABC123\" is 6 characters; the merchant API certificate's \
             serial number is usually 40 hexadecimal characters (openssl x509 -in \
             apiclient_cert.pem -noout -serial)",
            "wechatpay_public_key_id: \"PUB_KEY_ID_ABC\": the ids WeChat Pay gives (微信支付公钥ID) \
             are PUB_KEY_ID_ followed by digits; check it against the merchant platform"
        ],
        "{v}"
    );
    // And the same profile returns a coupon (dry run: nothing is sent).
    let out = run(wxcoupon(home.path()).arg("--config").arg(&cfg).args([
        "return",
        "--code",
        "C1",
        "--stock",
        "9856000",
        "--dry-run",
    ]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);

    // Every problem of the file at once: unknown keys (with a did-you-mean),
    // a value of the wrong type in plain words, a value out of range.
    std::fs::write(
        &cfg,
        format!("{good}timout_secs = 10\ntimeout_secs = \"10\"\nretries = 20\n"),
    )
    .unwrap();
    let out = doctor(home.path(), &cfg, false);
    assert_eq!(out.code, 2);
    let problems: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("problem"))
        .collect();
    let keys = [
        "mchid",
        "merchant_serial_no",
        "private_key_file",
        "wechatpay_public_key_id",
        "wechatpay_public_key_file",
        "platform_certificates_dir",
        "apiv3_key_file",
        "base_url",
        "backup_base_url",
        "timeout_secs",
        "retries",
        "proxy",
        "ca_file",
        "ledger",
        "ledger_dir",
    ]
    .join(", ");
    let c = cfg.display();
    assert_eq!(
        problems,
        [
            format!(
                "problem  config: {c}:8: profile.test.timout_secs is not a known key (did you \
                 mean timeout_secs?); a profile may have: {keys}"
            ),
            format!(
                "problem  config: {c}:9: profile.test.timeout_secs must be a whole number of \
                 seconds, a number without quotes, not text"
            ),
            format!("problem  config: {c}:10: profile.test.retries = 20: must be from 0 to 10"),
        ]
    );

    // A missing key file; no config at all.
    std::fs::write(
        &cfg,
        good.replace(&key.display().to_string(), "/nonexistent/key.pem"),
    )
    .unwrap();
    let out = doctor(home.path(), &cfg, false);
    assert_eq!(out.code, 2);
    assert!(
        out.stdout
            .contains("problem  private key: reading private key file /nonexistent/key.pem"),
        "{}",
        out.stdout
    );
    let out = run(wxcoupon(home.path()).arg("doctor"));
    assert_eq!(out.code, 2);
    assert!(
        out.stdout.contains("no config file found"),
        "{}",
        out.stdout
    );
}

#[test]
fn the_emulator_prints_its_profile_as_json_when_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("wxcoupon"))
        .env_clear()
        .env("HOME", home.path())
        .env("TMPDIR", tmp.path())
        .args(["emulator", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert!(
        v["base_url"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
    assert_eq!(
        v["wechatpay_public_key_id"].as_str().unwrap(),
        "PUB_KEY_ID_0000000000000000000000000000000001"
    );
    let pub_file = PathBuf::from(v["wechatpay_public_key_file"].as_str().unwrap());
    assert!(pub_file.starts_with(tmp.path()), "written under TMPDIR");
    assert!(
        std::fs::read_to_string(pub_file)
            .unwrap()
            .contains("BEGIN PUBLIC KEY")
    );
    assert!(
        v["private_key_file"]
            .as_str()
            .unwrap()
            .ends_with("sample_merchant_key.pem")
    );
}

/// Finding 17 end to end (the other bad-key cases are in return_cmd.rs):
/// the file is named, the words say what to do, and nothing is sent.
#[test]
fn unusable_private_key_files_are_explained_and_nothing_is_sent() {
    let server = Server::start(|_| Reply::returned());
    for (file, words) in [
        (
            "merchant_key_pkcs1_encrypted.pem",
            "decrypt it first: openssl pkey -in FILE -out apiclient_key.pem",
        ),
        (
            "two_keys.pem",
            "holds 2 private keys; keep only the merchant API private key",
        ),
        (
            "other_cert.pem",
            "this is a certificate (`BEGIN CERTIFICATE`), not a private key",
        ),
    ] {
        let s = setup(&server.base_url, "");
        let key = fixture(file).display().to_string();
        let text = std::fs::read_to_string(&s.config)
            .unwrap()
            .replace(&fixture("merchant_key.pem").display().to_string(), &key);
        std::fs::write(&s.config, text).unwrap();
        let out = s.ret(&["--code", "C", "--stock", "1"]);
        assert_eq!(out.code, 2, "{file}: {}", out.stderr);
        assert!(
            out.stderr.contains(&format!("private key file {key}: ")),
            "{file}: {}",
            out.stderr
        );
        assert!(out.stderr.contains(words), "{file}: {}", out.stderr);
        assert!(!out.stderr.contains("damaged"), "{file}: {}", out.stderr);
    }
    assert!(server.seen().is_empty(), "a request was sent");
}
