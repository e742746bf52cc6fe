//! `wxcoupon demo`: the emulator in-process on a free loopback port, sample
//! keys, and two real returns through the normal code path — one success and
//! one explained failure — showing what went over the wire.

use std::net::TcpListener;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use serde_json::json;

use crate::cli::GlobalOpts;
use crate::emulator::Identity;
use crate::emulator::{
    self, EMULATOR_KEY_ID, Exchange, SAMPLE_MCHID, SAMPLE_MERCHANT_KEY, SAMPLE_SERIAL,
    SAMPLE_STOCK, SAMPLE_WECHATPAY_PUB,
};
use crate::engine::{self, Overrides, ReturnInput, Session};
use crate::env::Env;
use crate::escape;
use crate::exit::Kind;
use crate::keys::PrivateKey;
use crate::output::Out;
use crate::profile::{KeySource, Profile, WechatpayPublicKey};
use crate::render;
use crate::report::Report;
use crate::request::ReturnRequest;
use crate::url::BaseUrl;

const COUPON: &str = "COUPON-USED-1";

fn sample_profile(base_url: &str) -> Result<Profile> {
    Ok(Profile {
        name: "demo".into(),
        config_path: PathBuf::from("(built in)"),
        mchid: SAMPLE_MCHID.into(),
        merchant_serial_no: SAMPLE_SERIAL.into(),
        private_key: KeySource::Builtin {
            name: "sample merchant key",
            pem: SAMPLE_MERCHANT_KEY,
        },
        wechatpay_public_key: Some(WechatpayPublicKey {
            id: EMULATOR_KEY_ID.into(),
            source: KeySource::Builtin {
                name: "sample WeChat Pay public key",
                pem: SAMPLE_WECHATPAY_PUB,
            },
        }),
        platform_certificates_dir: None,
        apiv3_key: None,
        base_url: BaseUrl::parse(base_url).map_err(|e| anyhow!(e))?,
        backup_base_url: None,
        timeout: Duration::from_secs(10),
        retries: 0,
        proxy: None,
        ca_file: None,
        // The demo touches nothing real.
        ledger: false,
        ledger_dir: None,
    })
}

fn redact(name: &str, value: &str) -> String {
    if name.eq_ignore_ascii_case("Authorization") {
        crate::sign::redact_authorization(value)
    } else if name.eq_ignore_ascii_case("Wechatpay-Signature") {
        format!("{}…", value.chars().take(24).collect::<String>())
    } else {
        value.to_string()
    }
}

fn show_exchange(out: &mut String, e: Option<&Exchange>) {
    let Some(e) = e else {
        out.push_str("   (the emulator saw no request)\n");
        return;
    };
    out.push_str("   sent:\n");
    out.push_str(&format!("     {} {}\n", e.method, e.target));
    for (k, v) in &e.request_headers {
        out.push_str(&format!("     {k}: {}\n", escape::term(&redact(k, v))));
    }
    out.push_str(&format!("     {}\n", escape::term(&e.request_body)));
    out.push_str("   came back:\n");
    out.push_str(&format!(
        "     HTTP {}\n",
        e.status.map_or("(none)".to_string(), |s| s.to_string())
    ));
    for (k, v) in &e.response_headers {
        if k.starts_with("Wechatpay-") || k == "Request-ID" {
            out.push_str(&format!("     {k}: {}\n", escape::term(&redact(k, v))));
        }
    }
    out.push_str(&format!("     {}\n", escape::term(&e.response_body)));
}

fn show_outcome(out: &mut String, r: &Report) {
    let (stdout, stderr) = render::text(r);
    out.push_str(&format!("   wxcoupon says (exit {}):\n", r.exit_code()));
    for line in stdout.lines() {
        out.push_str(&format!("     stdout: {line}\n"));
    }
    for line in stderr.lines() {
        out.push_str(&format!("     stderr: {line}\n"));
    }
}

const REAL_CONFIG: &str = r#"To return coupons for real, save this as ~/.config/wxcoupon/config.toml with your merchant's
values (商户平台 → 账户中心 → API安全), check it with `wxcoupon doctor`, then run
`wxcoupon return --code CODE --stock STOCK_ID`:

  [profile.shop]
  mchid = "1900000109"                                 # 商户号
  merchant_serial_no = "<40 hex characters>"           # 商户API证书序列号
  private_key_file = "apiclient_key.pem"               # 商户API证书私钥
  wechatpay_public_key_id = "PUB_KEY_ID_<digits>"      # 微信支付公钥ID
  wechatpay_public_key_file = "pub_key.pem"            # 微信支付公钥
"#;

/// One return through the normal path, shown with what went over the wire.
fn step(
    g: &GlobalOpts,
    out: &mut Out,
    running: &emulator::Running,
    session: &Session,
    (n, title, request_no): (u32, &str, String),
) -> Report {
    let input = ReturnInput {
        request: ReturnRequest {
            coupon_code: COUPON.into(),
            stock_id: SAMPLE_STOCK.into(),
            return_request_no: request_no.clone(),
        },
        generated: false,
        resume: false,
        dry_run: false,
        invocation: "wxcoupon".into(),
    };
    let before = running.exchanges().len();
    let report = {
        // -v traces the attempts on stderr.
        let mut trace = |line: &str| {
            if g.verbose {
                out.err(line);
            }
        };
        engine::run(session, &input, &mut trace)
    };
    if !g.json {
        let mut text = format!(
            "{n}. {title}:\n   wxcoupon return --code {COUPON} --stock {SAMPLE_STOCK} --request-no {request_no}\n"
        );
        show_exchange(&mut text, running.exchanges().get(before));
        show_outcome(&mut text, &report);
        text.push('\n');
        out.out(&text);
    }
    report
}

pub fn run(g: &GlobalOpts, out: &mut Out) -> Result<u8> {
    let merchant = PrivateKey::from_pem(SAMPLE_MERCHANT_KEY.as_bytes())?;
    let identity = Identity::with_sample_wechatpay_key(SAMPLE_MCHID, SAMPLE_SERIAL, &merchant)?;
    let listener = TcpListener::bind("127.0.0.1:0").context("listening on 127.0.0.1")?;
    let running = emulator::start(
        listener,
        emulator::Setup {
            identity,
            coupons: emulator::sample_coupons(),
            faults: Vec::new(),
            limit: None,
            ledger: None,
            keep: None,
            delay: Duration::ZERO,
        },
        Box::new(|_| {}),
    )
    .context("starting the in-process emulator")?;
    let base_url = running.base_url();
    // The demo's returns see no proxy settings and no config file: loopback only.
    let session = Session::open(
        sample_profile(&base_url)?,
        Overrides::default(),
        &Env::default(),
    )?;
    let run_id = crate::sign::random_alphanumeric(8)?;
    if !g.json {
        out.out(&format!(
            "wxcoupon demo: a local WeChat Pay emulator is listening on {base_url}, with sample keys.\n\
             Nothing here is real and nothing leaves this machine.\n\n"
        ));
    }
    let mut steps = Vec::new();
    for (n, title, request_no) in [
        (1, "Return a used coupon", format!("DEMO-{run_id}-1")),
        (
            2,
            "Return the same coupon again, with a new request number",
            format!("DEMO-{run_id}-2"),
        ),
    ] {
        steps.push(step(g, out, &running, &session, (n, title, request_no)));
    }
    let ok = steps[0].outcome() == Kind::Returned
        && steps[0].judgement.wechatpay_return_time.is_some()
        && steps[1].outcome() == Kind::Rejected
        && steps[1].judgement.code.as_deref() == Some("RULE_LIMIT")
        && running.coupon_state(COUPON) == Some(emulator::State::Sended);
    let code = if ok { 0 } else { Kind::Internal.exit_code() };
    if g.json {
        let steps: Vec<_> = steps.iter().map(render::json_value).collect();
        out.json(&json!({"outcome": if ok { "demo_ok" } else { "internal" }, "steps": steps}));
        return Ok(code);
    }
    if ok {
        out.out(
            "Everything behaved as documented: the first return was verified and succeeded (exit 0);\n\
             the second was refused by WeChat Pay's rules and explained (exit 3).\n\n",
        );
    } else {
        out.out("The demo did NOT behave as documented: this is a bug in wxcoupon; please report it.\n\n");
    }
    out.out(REAL_CONFIG);
    Ok(code)
}
