//! The profile: locating, choosing and validating, with the messages users see.

use super::checked::{Mode, SecretPem};
use super::schema::PROFILE_KEYS;
use super::*;
use crate::url::{OFFICIAL_BACKUP_URL, OFFICIAL_BASE_URL};
use std::fs;
use std::path::PathBuf;
use std::time::Duration;

const GOOD: &str = r#"
[profile.shop]
mchid = "1900000109"
merchant_serial_no = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
private_key_file = "apiclient_key.pem"
wechatpay_public_key_id = "PUB_KEY_ID_0119000001092024112700000000000001"
wechatpay_public_key_file = "pub_key.pem"
"#;

fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    fs::write(&path, text).unwrap();
    (dir, path)
}

fn err(text: &str, chosen: Option<&str>, env: &Env) -> String {
    let (_dir, path) = write(text);
    format!("{:#}", load(&path, chosen, env).unwrap_err())
}

#[test]
fn a_minimal_profile_gets_the_documented_defaults() {
    let (dir, path) = write(GOOD);
    let p = load(&path, None, &Env::default()).unwrap();
    assert_eq!(p.name, "shop");
    assert_eq!(p.base_url.origin, OFFICIAL_BASE_URL);
    assert_eq!(
        p.backup_base_url.as_ref().unwrap().origin,
        OFFICIAL_BACKUP_URL
    );
    assert_eq!(p.timeout, Duration::from_secs(10));
    assert_eq!(p.retries, 2);
    assert_eq!(
        p.private_key,
        KeySource::File(dir.path().join("apiclient_key.pem"))
    );
    let w = p.wechatpay_public_key.as_ref().unwrap();
    assert_eq!(w.source, KeySource::File(dir.path().join("pub_key.pem")));
    assert_eq!(w.id, "PUB_KEY_ID_0119000001092024112700000000000001");
    assert_eq!(p.mode(), Mode::PublicKey);
    assert_eq!(p.platform_certificates_dir, None);
}

#[test]
fn the_three_ways_to_verify_and_none() {
    let certs_only = GOOD
        .replace(
            "wechatpay_public_key_id = \"PUB_KEY_ID_0119000001092024112700000000000001\"\n",
            "",
        )
        .replace(
            "wechatpay_public_key_file = \"pub_key.pem\"\n",
            "platform_certificates_dir = \"certs\"\n",
        );
    let (dir, path) = write(&certs_only);
    let p = load(&path, None, &Env::default()).unwrap();
    assert_eq!(p.mode(), Mode::Certificates);
    assert_eq!(p.platform_certificates_dir, Some(dir.path().join("certs")));
    let (_d, path) = write(&format!(
        "{GOOD}platform_certificates_dir = \"certs\"\napiv3_key_file = \"v3.txt\"\n"
    ));
    let p = load(&path, None, &Env::default()).unwrap();
    assert_eq!(p.mode(), Mode::Switching);
    let none = GOOD
        .replace(
            "wechatpay_public_key_id = \"PUB_KEY_ID_0119000001092024112700000000000001\"\n",
            "",
        )
        .replace("wechatpay_public_key_file = \"pub_key.pem\"\n", "");
    let e = err(&none, None, &Env::default());
    assert!(
        e.contains("profile.shop has no way to verify WeChat Pay's answers"),
        "{e}"
    );
    let half = GOOD.replace("wechatpay_public_key_file = \"pub_key.pem\"\n", "");
    let e = err(&half, None, &Env::default());
    assert!(e.contains(":6: profile.shop.wechatpay_public_key_id and profile.shop.wechatpay_public_key_file go together"), "{e}");
    // The APIv3 key: the variable wins; empty is an error; 32 bytes.
    let env = Env {
        apiv3_key: Some(String::new()),
        ..Env::default()
    };
    let e = err(&certs_only, None, &env);
    assert!(e.contains("WXCOUPON_APIV3_KEY is set but empty"), "{e}");
    let env = Env {
        apiv3_key: Some(" short \n".into()),
        ..Env::default()
    };
    let (_d, path) = write(&certs_only);
    let e = format!(
        "{:#}",
        load(&path, None, &env)
            .unwrap()
            .load_apiv3_key()
            .unwrap_err()
    );
    assert_eq!(
        e,
        "WXCOUPON_APIV3_KEY holds 5 bytes; the APIv3 key (APIv3密钥, set in the merchant platform) is 32 characters"
    );
    let env = Env {
        apiv3_key: Some("a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb\n".into()),
        ..Env::default()
    };
    assert!(
        load(&path, None, &env)
            .unwrap()
            .load_apiv3_key()
            .unwrap()
            .is_some()
    );
}

#[test]
fn api_wechatpay_cn_has_its_own_backup() {
    let text = format!("{GOOD}base_url = \"https://api.wechatpay.cn/\"\n");
    let (_d, path) = write(&text);
    let p = load(&path, None, &Env::default()).unwrap();
    assert_eq!(p.base_url.origin, "https://api.wechatpay.cn");
    assert_eq!(
        p.backup_base_url.unwrap().origin,
        "https://api2.wechatpay.cn"
    );
}

#[test]
fn a_custom_base_url_has_no_backup_unless_named() {
    let text = format!("{GOOD}base_url = \"http://127.0.0.1:8080/\"\n");
    let (_d, path) = write(&text);
    let p = load(&path, None, &Env::default()).unwrap();
    assert_eq!(p.base_url.origin, "http://127.0.0.1:8080");
    assert_eq!(p.backup_base_url, None);
}

#[test]
fn unknown_keys_name_the_file_and_line() {
    let e = err(&format!("{GOOD}mchld = \"1\"\n"), None, &Env::default());
    assert_eq!(
        e.rsplit_once('/').unwrap().1,
        format!(
            "config.toml:8: profile.shop.mchld is not a known key (did you mean mchid?); a \
             profile may have: {}",
            PROFILE_KEYS.join(", ")
        )
    );
}

#[test]
fn wrong_types_name_the_line_in_plain_words_and_every_problem_at_once() {
    let e = err(
        &format!("{GOOD}timeout_secs = \"ten\"\nretries = true\n"),
        None,
        &Env::default(),
    );
    let lines: Vec<&str> = e
        .lines()
        .map(|l| l.rsplit_once('/').map_or(l, |(_, tail)| tail))
        .collect();
    assert_eq!(
        lines,
        [
            "config.toml:8: profile.shop.timeout_secs must be a whole number of seconds, a number \
             without quotes, not text",
            "config.toml:9: profile.shop.retries must be a whole number, a number without quotes, \
             not true or false",
        ]
    );
}

#[test]
fn bad_values_name_file_line_field_and_value() {
    let e = err(
        &GOOD.replace("\"1900000109\"", "\"19x\""),
        None,
        &Env::default(),
    );
    assert!(
        e.contains("config.toml:3: profile.shop.mchid = \"19x\""),
        "{e}"
    );
    let e = err(
        &format!("{GOOD}base_url = \"http://example.com\"\n"),
        None,
        &Env::default(),
    );
    assert!(
        e.contains(":8: profile.shop.base_url") && e.contains("loopback"),
        "{e}"
    );
    let e = err(
        &format!("{GOOD}base_url = \"https://h/v3/x\"\n"),
        None,
        &Env::default(),
    );
    assert!(e.contains("scheme://host[:port]"), "{e}");
    let e = err(&format!("{GOOD}timeout_secs = 0\n"), None, &Env::default());
    assert!(e.contains("timeout_secs = 0"), "{e}");
}

#[test]
fn several_profiles_and_none_chosen_lists_them() {
    let two = format!("{GOOD}\n{}", GOOD.replace("profile.shop", "profile.other"));
    let e = err(&two, None, &Env::default());
    assert!(e.contains("several profiles (other, shop)"), "{e}");
    let e = err(&two, Some("nope"), &Env::default());
    assert!(
        e.contains("profile `nope` (from --profile)") && e.contains("other, shop"),
        "{e}"
    );
    let env = Env {
        profile: Some("other".into()),
        ..Env::default()
    };
    let (_d, path) = write(&two);
    assert_eq!(load(&path, None, &env).unwrap().name, "other");
    assert_eq!(load(&path, Some("shop"), &env).unwrap().name, "shop");
    let with_default = format!("default_profile = \"other\"\n{two}");
    let (_d, path) = write(&with_default);
    assert_eq!(load(&path, None, &Env::default()).unwrap().name, "other");
}

#[test]
fn the_private_key_env_wins_and_empty_is_an_error() {
    let (_d, path) = write(GOOD);
    let env = Env {
        private_key: Some("PEM".into()),
        ..Env::default()
    };
    assert_eq!(
        load(&path, None, &env).unwrap().private_key,
        KeySource::Env(SecretPem("PEM".into()))
    );
    assert!(!format!("{:?}", load(&path, None, &env).unwrap()).contains("PEM\""));
    let env = Env {
        private_key: Some(String::new()),
        ..Env::default()
    };
    let e = format!("{:#}", load(&path, None, &env).unwrap_err());
    assert!(e.contains("WXCOUPON_PRIVATE_KEY is set but empty"), "{e}");
}

#[test]
fn locate_follows_flag_env_xdg_home_and_never_falls_back() {
    let (dir, path) = write(GOOD);
    let missing = dir.path().join("missing.toml");
    let env = Env {
        config: Some(path.clone().into()),
        ..Env::default()
    };
    assert_eq!(locate(None, &env).unwrap(), path);
    let e = locate(Some(&missing), &env).unwrap_err().to_string();
    assert!(e.contains("missing.toml (from --config)"), "{e}");
    let env = Env {
        config: Some(missing.clone().into()),
        ..Env::default()
    };
    let e = locate(None, &env).unwrap_err().to_string();
    assert!(e.contains("(from WXCOUPON_CONFIG)"), "{e}");

    let xdg = dir.path().join("xdg");
    fs::create_dir_all(xdg.join("wxcoupon")).unwrap();
    fs::write(xdg.join("wxcoupon/config.toml"), GOOD).unwrap();
    let env = Env {
        xdg_config_home: Some(xdg.clone().into()),
        home: Some(dir.path().into()),
        ..Env::default()
    };
    assert_eq!(
        locate(None, &env).unwrap(),
        xdg.join("wxcoupon/config.toml")
    );
    let env = Env {
        home: Some(dir.path().into()),
        ..Env::default()
    };
    let e = locate(None, &env).unwrap_err().to_string();
    assert!(
        e.contains(&format!(
            "`mkdir -p {0}/.config/wxcoupon && wxcoupon config example > {0}/.config/wxcoupon/config.toml`",
            dir.path().display()
        )),
        "{e}"
    );
}

#[test]
fn profile_keys_match_what_the_parser_accepts() {
    let mut text = GOOD.to_string();
    for k in [
        "base_url = \"https://a\"",
        "backup_base_url = \"\"",
        "timeout_secs = 5",
        "retries = 1",
        "proxy = \"\"",
        "ca_file = \"ca.pem\"",
        "platform_certificates_dir = \"certs\"",
        "apiv3_key_file = \"apiv3.txt\"",
        "ledger = false",
        "ledger_dir = \"state\"",
    ] {
        text.push_str(k);
        text.push('\n');
    }
    let (_d, path) = write(&text);
    load(&path, None, &Env::default()).unwrap();
    let keys: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_once(" = ").map(|(k, _)| k))
        .collect();
    assert_eq!(keys.len(), PROFILE_KEYS.len());
    for k in keys {
        assert!(PROFILE_KEYS.contains(&k), "{k}");
    }
}

#[test]
fn a_ca_file_is_read_as_a_pem_bundle_of_certificates() {
    let (dir, path) = write(&format!("{GOOD}ca_file = \"ca.pem\"\n"));
    let p = load(&path, None, &Env::default()).unwrap();
    let cert = fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/platform_cert.pem"
    ))
    .unwrap();
    let ca = dir.path().join("ca.pem");
    let roots = |text: &str| {
        fs::write(&ca, text).unwrap();
        p.load_roots().map(|r| r.map(|r| r.len()))
    };
    // Text around the blocks and other kinds of block are passed over.
    let bundle = format!("# corporate CA\n{cert}{cert}");
    assert_eq!(roots(&bundle).unwrap(), Some(2));
    let cut = format!("{cert}{}", &cert[..cert.len() / 2]);
    assert_eq!(
        format!("{:#}", roots(&cut).unwrap_err()),
        format!(
            "ca_file {}: not a readable PEM bundle (a BEGIN line without its END line, or \
             damaged Base64)",
            ca.display()
        )
    );
    assert_eq!(
        format!("{:#}", roots("no PEM here\n").unwrap_err()),
        format!(
            "ca_file {} holds no certificate (expected `-----BEGIN CERTIFICATE-----` blocks)",
            ca.display()
        )
    );
}

/// The APIv3 key itself where a file name or an unknown field belongs is
/// refused naming the line and the field, never quoting the key.
#[test]
fn an_apiv3_key_in_the_config_is_never_quoted() {
    const KEY: &str = "abcdefghABCDEFGH0123456789xyzXYZ";
    let cases = [
        (
            format!("{GOOD}apiv3_key_file = \"{KEY}\"\n"),
            "config.toml:8: profile.shop.apiv3_key_file holds what looks like the APIv3 key \
             itself (32 letters and digits), not a file name; put the key in a file of its own \
             (chmod 600) and name that file in apiv3_key_file, or pass it in WXCOUPON_APIV3_KEY"
                .to_string(),
        ),
        (
            format!("{GOOD}apiv3_key = \"{KEY}\"\n"),
            format!(
                "config.toml:8: profile.shop.apiv3_key is not a key wxcoupon knows, and its name \
                 says it holds a secret: its value looks like the APIv3 key itself; put the key \
                 in a file of its own (chmod 600) and name that file in apiv3_key_file, or pass \
                 it in WXCOUPON_APIV3_KEY. A profile may have: {}",
                PROFILE_KEYS.join(", ")
            ),
        ),
        (
            format!("{GOOD}api_password = \"hunter2-hunter2\"\n"),
            format!(
                "config.toml:8: profile.shop.api_password is not a key wxcoupon knows, and its \
                 name says it holds a secret: its value is not shown. A profile may have: {}",
                PROFILE_KEYS.join(", ")
            ),
        ),
        (
            format!("{GOOD}apiv3_key_file = {KEY}\n"),
            "config.toml:8: string values must be quoted, expected literal string (the line is \
             not shown: `apiv3_key_file` may hold a secret)"
                .to_string(),
        ),
    ];
    for (text, want) in cases {
        let e = err(&text, None, &Env::default());
        let e = e.rsplit_once('/').map_or(e.as_str(), |(_, tail)| tail);
        assert_eq!(e, want);
    }
    // A file that is really named like that is a file name.
    let (dir, path) = write(&format!(
        "{GOOD}platform_certificates_dir = \"certs\"\napiv3_key_file = \"{KEY}\"\n"
    ));
    fs::write(dir.path().join(KEY), KEY).unwrap();
    let p = load(&path, None, &Env::default()).unwrap();
    assert!(p.load_apiv3_key().unwrap().is_some());
}
