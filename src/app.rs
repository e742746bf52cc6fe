//! The commands: clap structs in, validated input, work, and what to print out.
//! Data flows one way: cli → profile → request → client → outcome.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use clap::CommandFactory;
use serde_json::json;
use time::OffsetDateTime;

use crate::cli::{
    Cli, Command, CompletionsArgs, ExplainArgs, GlobalOpts, ReturnArgs, Shell, SignArgs, VerifyArgs,
};
use crate::client;
use crate::escape;
use crate::explain;
use crate::keys::PublicKey;
use crate::outcome::{self, DryRun, Judge, Kind, Report};
use crate::profile::{self, Env, Profile};
use crate::request::{self, ReturnRequest};
use crate::sign::{self, Signer};
use crate::verify;

/// What a command prints, and how it exits. Written out by `emit` only.
#[derive(Debug, Default)]
pub struct Printed {
    pub stdout: String,
    pub stderr: String,
    pub code: u8,
}

impl Printed {
    /// Writes both streams. A closed pipe (`wxcoupon … | head`) is not an error.
    pub fn emit(&self) -> std::process::ExitCode {
        let _ = std::io::stdout().lock().write_all(self.stdout.as_bytes());
        let _ = std::io::stdout().lock().flush();
        let _ = std::io::stderr().lock().write_all(self.stderr.as_bytes());
        std::process::ExitCode::from(self.code)
    }

    fn invalid(error: &anyhow::Error, json: bool) -> Self {
        let message = format!("{error:#}");
        if json {
            Printed {
                stdout: format!("{}\n", json!({"outcome": "invalid", "message": message})),
                code: Kind::Invalid.exit_code(),
                ..Printed::default()
            }
        } else {
            Printed {
                stderr: format!("wxcoupon: error: {}\n", escape::term(&message)),
                code: Kind::Invalid.exit_code(),
                ..Printed::default()
            }
        }
    }
}

pub fn run(cli: &Cli, env: &Env) -> Printed {
    let g = &cli.global;
    let result = match &cli.command {
        Command::Return(a) => return report(&cmd_return(g, a, env), g.json),
        Command::Explain(a) => cmd_explain(a, g.json),
        Command::Sign(a) => cmd_sign(g, a, env),
        Command::Verify(a) => cmd_verify(g, a, env),
        Command::Completions(a) => cmd_completions(a),
    };
    result.unwrap_or_else(|e| Printed::invalid(&e, g.json))
}

fn report(r: &Report, json: bool) -> Printed {
    if json {
        Printed {
            stdout: outcome::render_json(r),
            code: r.exit_code(),
            ..Printed::default()
        }
    } else {
        let (stdout, stderr) = outcome::render_text(r);
        Printed {
            stdout,
            stderr,
            code: r.exit_code(),
        }
    }
}

fn now_unix() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

fn load_profile(g: &GlobalOpts, env: &Env) -> Result<Profile> {
    let path = profile::locate(g.config.as_deref(), env)?;
    profile::load(&path, g.profile.as_deref(), env)
}

fn user_agent() -> String {
    format!(
        "wxcoupon/{} ({}; {})",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

/// The command line that repeats this very return.
fn retry_command(g: &GlobalOpts, req: &ReturnRequest) -> String {
    let mut parts = vec!["wxcoupon".to_string()];
    if let Some(c) = &g.config {
        parts.push(format!("--config {}", escape::shell(&c.to_string_lossy())));
    }
    if let Some(p) = &g.profile {
        parts.push(format!("--profile {}", escape::shell(p)));
    }
    parts.push(format!(
        "return --code {} --stock {} --request-no {}",
        escape::shell(&req.coupon_code),
        escape::shell(&req.stock_id),
        escape::shell(&req.return_request_no)
    ));
    parts.join(" ")
}

fn cmd_return(g: &GlobalOpts, a: &ReturnArgs, env: &Env) -> Report {
    // Flags first: nothing else is read while they are wrong.
    let (req, generated) = match request::validate(&a.code, &a.stock, a.request_no.as_deref()) {
        Ok(v) => v,
        Err(e) => {
            let mut r = Report::invalid(None, &e);
            r.coupon_code = Some(a.code.clone());
            r.stock_id = Some(a.stock.clone());
            r.return_request_no = a.request_no.clone();
            return r;
        }
    };
    if let Some(t) = a.timeout
        && let Err(e) = profile::check_timeout(t)
    {
        return Report::invalid(Some(&req), &anyhow!("--timeout {t}: {e}"));
    }
    let prepared = load_profile(g, env).and_then(|p| {
        let private_key = p.load_private_key()?;
        let public_key = p.load_public_key()?;
        Ok((p, private_key, public_key))
    });
    let (profile, private_key, public_key) = match prepared {
        Ok(v) => v,
        Err(e) => return Report::invalid(Some(&req), &e),
    };

    let body = req.body();
    let url = format!("{}{}", profile.base_url, request::PATH);
    let signer = Signer {
        key: &private_key,
        mchid: &profile.mchid,
        serial_no: &profile.merchant_serial_no,
    };
    let signed = match sign::nonce()
        .and_then(|nonce| signer.sign(request::METHOD, request::PATH, now_unix(), &nonce, &body))
    {
        Ok(s) => s,
        Err(e) => return Report::invalid(Some(&req), &e),
    };
    let ua = user_agent();
    let headers: [(&str, &str); 5] = [
        ("Authorization", &signed.authorization),
        ("Accept", "application/json"),
        ("Content-Type", "application/json"),
        ("User-Agent", &ua),
        ("Wechatpay-Serial", &profile.wechatpay_public_key_id),
    ];

    let mut r = if a.dry_run {
        let mut r = Report::new(Kind::DryRun, Some(&req));
        r.request = Some(DryRun {
            method: request::METHOD.into(),
            url,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        r.notes.push(format!(
            "profile `{}` from {}",
            profile.name,
            profile.config_path.display()
        ));
        r.notes.push(format!(
            "signed message:\n{}",
            sign::visible(&signed.message)
        ));
        r
    } else {
        let timeout = a
            .timeout
            .map_or(profile.timeout, std::time::Duration::from_secs);
        let agent = client::agent(timeout);
        let sent = client::post(&agent, &url, &headers, &body);
        let mut r = match sent {
            Ok(answer) => Judge {
                request: &req,
                wechatpay_public_key_id: &profile.wechatpay_public_key_id,
                public_key: &public_key,
                now_unix: now_unix(),
                signed_message: &signed.message,
            }
            .judge(&answer),
            Err(e) => Report::network(&req, &e),
        };
        r.attempts = 1;
        r
    };
    if r.retryable {
        r.retry_command = Some(retry_command(g, &req));
    }
    if generated && r.outcome != Kind::Returned {
        r.notes.push(format!(
            "request number {} was generated; pass it as --request-no to repeat this same return",
            req.return_request_no
        ));
    }
    r
}

fn cmd_explain(a: &ExplainArgs, json: bool) -> Result<Printed> {
    let entries = explain::lookup(&a.code, a.message.as_deref());
    if entries.is_empty() {
        bail!(
            "unknown error code {:?}; the known codes are: {}",
            a.code,
            explain::known_codes().join(", ")
        );
    }
    let stdout = if json {
        let meanings: Vec<_> = entries
            .iter()
            .map(|e| {
                json!({
                    "http_status": e.http, "message": e.message,
                    "zh": e.zh, "en": e.en, "next_zh": e.next_zh, "next_en": e.next_en,
                })
            })
            .collect();
        format!(
            "{}\n",
            json!({"code": entries[0].code, "meanings": meanings})
        )
    } else {
        let mut s = format!("{} (HTTP {})\n", entries[0].code, entries[0].http);
        for line in explain::lines(&entries) {
            s.push_str(&format!("  {line}\n"));
        }
        s
    };
    Ok(Printed {
        stdout,
        ..Printed::default()
    })
}

fn read_body(text: &Option<String>, file: Option<&Path>) -> Result<Vec<u8>> {
    match (text, file) {
        (Some(t), _) => Ok(t.clone().into_bytes()),
        (None, Some(f)) => {
            std::fs::read(f).with_context(|| format!("reading --body-file {}", f.display()))
        }
        (None, None) => Ok(Vec::new()),
    }
}

fn cmd_sign(g: &GlobalOpts, a: &SignArgs, env: &Env) -> Result<Printed> {
    if a.method.is_empty() || !a.method.bytes().all(|b| b.is_ascii_uppercase()) {
        bail!(
            "--method {:?}: must be an upper-case HTTP method such as POST or GET",
            a.method
        );
    }
    if !a.url.starts_with('/') || a.url.contains("://") {
        bail!(
            "--url {:?}: must be the canonical URL: the path plus ?query, without scheme and host \
             (e.g. {})",
            a.url,
            request::PATH
        );
    }
    request::check_token("--url", &a.url, None)?;
    if let Some(n) = &a.nonce {
        request::check_token("--nonce", n, None)?;
    }
    let body = read_body(&a.body, a.body_file.as_deref())?;

    let profile = if a.key.is_some() && a.mchid.is_some() && a.serial.is_some() {
        None
    } else {
        Some(load_profile(g, env).context(
            "sign needs --key, --mchid and --serial, or a profile to take the missing ones from",
        )?)
    };
    let key = match (&a.key, &profile) {
        (Some(path), _) => profile::read_private_key(path)?,
        (None, Some(p)) => p.load_private_key()?,
        (None, None) => bail!("sign needs --key FILE or a profile"),
    };
    let pick = |flag: &Option<String>, from_profile: fn(&Profile) -> &String| {
        flag.clone()
            .or_else(|| profile.as_ref().map(|p| from_profile(p).clone()))
            .unwrap_or_default()
    };
    let mchid = pick(&a.mchid, |p| &p.mchid);
    let serial = pick(&a.serial, |p| &p.merchant_serial_no);
    request::check_token("--mchid", &mchid, None)?;
    request::check_token("--serial", &serial, None)?;

    let timestamp = a.timestamp.unwrap_or_else(now_unix);
    let nonce = match &a.nonce {
        Some(n) => n.clone(),
        None => sign::nonce()?,
    };
    let signed = Signer {
        key: &key,
        mchid: &mchid,
        serial_no: &serial,
    }
    .sign(&a.method, &a.url, timestamp, &nonce, &body)?;
    let message = String::from_utf8_lossy(&signed.message).into_owned();
    if g.json {
        return Ok(Printed {
            stdout: format!(
                "{}\n",
                json!({
                    "message": message, "signature": signed.signature,
                    "authorization": signed.authorization,
                    "timestamp": timestamp, "nonce": nonce,
                })
            ),
            ..Printed::default()
        });
    }
    Ok(Printed {
        stdout: format!("{}\n", signed.authorization),
        stderr: format!(
            "signed message ({} bytes; each \\n is a line end):\n{}",
            signed.message.len(),
            sign::visible(&signed.message)
        ),
        code: 0,
    })
}

fn cmd_verify(g: &GlobalOpts, a: &VerifyArgs, env: &Env) -> Result<Printed> {
    let body = read_body(&a.body, a.body_file.as_deref())?;
    let key: PublicKey = match &a.public_key {
        Some(path) => profile::read_public_key(path)?,
        None => load_profile(g, env)
            .context("verify needs --public-key FILE, or a profile with wechatpay_public_key_file")?
            .load_public_key()?,
    };
    let result = verify::signature(&key, &a.timestamp, &a.nonce, &body, &a.signature);
    let offset = verify::offset(&a.timestamp, now_unix()).ok();
    let age = match offset {
        Some(o) => format!(
            "the timestamp is {} s {} the local clock{}",
            o.abs(),
            if o < 0 { "behind" } else { "ahead of" },
            if o.abs() >= verify::MAX_AGE_SECS {
                " (wxcoupon return would refuse an answer this old; verify does not)"
            } else {
                ""
            }
        ),
        None => format!(
            "the timestamp {:?} is not a Unix time in seconds",
            a.timestamp
        ),
    };
    let code = if result.is_ok() {
        0
    } else {
        Kind::Unverified.exit_code()
    };
    if g.json {
        return Ok(Printed {
            stdout: format!(
                "{}\n",
                json!({
                    "valid": result.is_ok(),
                    "reason": result.as_ref().err().map(ToString::to_string),
                    "timestamp_offset_secs": offset,
                })
            ),
            code,
            ..Printed::default()
        });
    }
    Ok(match result {
        Ok(()) => Printed {
            stdout: "valid\n".into(),
            stderr: format!("signature valid; {age}\n"),
            code,
        },
        Err(f) => Printed {
            stderr: format!("wxcoupon: invalid signature: {f}\n  {age}\n"),
            code,
            ..Printed::default()
        },
    })
}

/// The completion script for one shell, from the clap definition.
pub fn completion_script(shell: Shell) -> Vec<u8> {
    use clap_complete::Shell as S;
    let target = match shell {
        Shell::Bash => S::Bash,
        Shell::Zsh => S::Zsh,
        Shell::Fish => S::Fish,
        Shell::Powershell => S::PowerShell,
        Shell::Elvish => S::Elvish,
    };
    let mut buf = Vec::new();
    clap_complete::generate(target, &mut Cli::command(), "wxcoupon", &mut buf);
    buf
}

fn cmd_completions(a: &CompletionsArgs) -> Result<Printed> {
    let script = completion_script(a.shell);
    Ok(Printed {
        stdout: String::from_utf8(script).map_err(|_| anyhow!("completion script is not UTF-8"))?,
        ..Printed::default()
    })
}
