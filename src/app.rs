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
use crate::env::Env;
use crate::escape;
use crate::explain;
use crate::keys::{PrivateKey, PublicKey};
use crate::outcome::{self, DryRun, Judge, Kind, Report};
use crate::profile::{self, Profile};
use crate::request::{self, ReturnRequest};
use crate::retry;
use crate::sign::{self, Signer};
use crate::verify;

/// What a command prints, and how it exits. Written out by `emit` only.
#[derive(Debug, Default)]
pub struct Printed {
    pub stdout: String,
    pub stderr: String,
    pub code: u8,
    /// stdout is what the command is for (a script, a page, a signature):
    /// failing to write it is exit 2. Otherwise the exit code tells an
    /// outcome (a coupon's!) and stays as it is.
    pub stdout_is_the_product: bool,
}

impl Printed {
    /// Writes both streams. A closed pipe (`wxcoupon … | head`) is not an
    /// error; any other failure to write stdout is said on stderr.
    pub fn emit(&self) -> std::process::ExitCode {
        let mut code = self.code;
        let mut out = std::io::stdout().lock();
        let written = out
            .write_all(self.stdout.as_bytes())
            .and_then(|()| out.flush());
        let mut err = std::io::stderr().lock();
        match written {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                let _ = writeln!(err, "wxcoupon: error: cannot write to stdout: {e}");
                if self.stdout_is_the_product {
                    code = Kind::Invalid.exit_code();
                }
            }
            _ => {}
        }
        let _ = err.write_all(self.stderr.as_bytes());
        std::process::ExitCode::from(code)
    }

    fn invalid(error: &anyhow::Error, json: bool) -> Self {
        let message = crate::redact::secrets(&format!("{error:#}")).into_owned();
        if json {
            Printed {
                stdout: format!("{}\n", json!({"outcome": "invalid", "message": message})),
                code: Kind::Invalid.exit_code(),
                ..Printed::default()
            }
        } else {
            Printed {
                stderr: format!("wxcoupon: error: {}\n", escape::term_lines(&message, "  ")),
                code: Kind::Invalid.exit_code(),
                ..Printed::default()
            }
        }
    }
}

pub fn run(cli: &Cli, env: &Env) -> Printed {
    let g = &cli.global;
    let product = matches!(
        cli.command,
        Command::Explain(_) | Command::Sign(_) | Command::Completions(_) | Command::Man(_)
    );
    if let Err(e) = applies(cli) {
        return Printed::invalid(&e, g.json);
    }
    let result = match &cli.command {
        Command::Return(a) => return report(&cmd_return(g, a, env), g.json),
        Command::Explain(a) => cmd_explain(a, g.json),
        Command::Sign(a) => cmd_sign(g, a, env),
        Command::Verify(a) => cmd_verify(g, a, env),
        Command::Completions(a) => cmd_completions(a),
        Command::Emulator(a) => crate::emulator::command::run(g, a, env),
        Command::Demo => crate::demo::run(g, env),
        Command::Doctor => crate::doctor::run(g, env),
        Command::Man(a) => cmd_man(a),
    };
    let mut printed = result.unwrap_or_else(|e| Printed::invalid(&e, g.json));
    printed.stdout_is_the_product = product;
    printed
}

/// Global flags that a command cannot honour are refused, never ignored.
fn applies(cli: &Cli) -> Result<()> {
    let name = match &cli.command {
        Command::Completions(_) => "completions",
        Command::Man(_) => "man",
        Command::Explain(_) => "explain",
        Command::Sign(_) => "sign",
        Command::Verify(_) => "verify",
        Command::Doctor => "doctor",
        Command::Emulator(_) => "emulator",
        Command::Return(_) | Command::Demo => return Ok(()),
    };
    if cli.global.json && matches!(cli.command, Command::Completions(_) | Command::Man(_)) {
        bail!(
            "--json does not apply to `wxcoupon {name}`: it prints a script or a page, not a result"
        );
    }
    if cli.global.verbose {
        bail!(
            "-v does not apply to `wxcoupon {name}`: it traces the requests that `return` and \
             `demo` send, and `{name}` sends none"
        );
    }
    Ok(())
}

pub fn report(r: &Report, json: bool) -> Printed {
    let mut stderr: String = r
        .warnings
        .iter()
        .map(|w| format!("wxcoupon: warning: {w}\n"))
        .collect();
    if json {
        Printed {
            stdout: outcome::render_json(r),
            stderr,
            code: r.exit_code(),
            ..Printed::default()
        }
    } else {
        let (stdout, text) = outcome::render_text(r);
        stderr.push_str(&text);
        Printed {
            stdout,
            stderr,
            code: r.exit_code(),
            ..Printed::default()
        }
    }
}

fn now_unix() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

pub fn load_profile(g: &GlobalOpts, env: &Env) -> Result<Profile> {
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

/// The command line that repeats this very return, saying it may have been sent.
fn retry_command(g: &GlobalOpts, req: &ReturnRequest) -> String {
    let mut parts = vec!["wxcoupon".to_string()];
    if let Some(c) = &g.config {
        parts.push(format!("--config {}", escape::shell(&c.to_string_lossy())));
    }
    if let Some(p) = &g.profile {
        parts.push(format!("--profile {}", escape::shell(p)));
    }
    parts.push(format!(
        "return --code {} --stock {} --request-no {} --resume",
        escape::shell(&req.coupon_code),
        escape::shell(&req.stock_id),
        escape::shell(&req.return_request_no)
    ));
    parts.join(" ")
}

/// Everything a return needs, read and checked before anything is sent.
struct Prepared {
    profile: Profile,
    private_key: PrivateKey,
    public_key: PublicKey,
    route: client::Route,
    /// The route to `backup_base_url`: the same but for its proxy.
    backup_route: Option<client::Route>,
    retries: u32,
}

impl Prepared {
    /// Signs the return request afresh: a new timestamp and nonce each time.
    fn sign(&self, body: &[u8]) -> Result<sign::Signed> {
        let signer = Signer {
            key: &self.private_key,
            mchid: &self.profile.mchid,
            serial_no: &self.profile.merchant_serial_no,
        };
        let nonce = sign::nonce()?;
        signer.sign(request::METHOD, request::PATH, now_unix(), &nonce, body)
    }

    /// The route to `to`, one of the profile's base URLs.
    fn route_for(&self, to: &crate::url::BaseUrl) -> &client::Route {
        match &self.backup_route {
            Some(backup) if Some(to) == self.profile.backup_base_url.as_ref() => backup,
            _ => &self.route,
        }
    }
}

fn prepare(g: &GlobalOpts, a: &ReturnArgs, env: &Env, given: Option<Profile>) -> Result<Prepared> {
    if let Some(t) = a.timeout {
        profile::check_timeout(t).map_err(|e| anyhow!("--timeout {t}: {e}"))?;
    }
    if let Some(n) = a.retries
        && n > 10
    {
        bail!("--retries {n}: must be from 0 to 10");
    }
    let profile = match given {
        Some(p) => p,
        None => load_profile(g, env)?,
    };
    let private_key = profile.load_private_key()?;
    let public_key = profile.load_public_key()?;
    let roots = profile.load_roots()?.map(std::sync::Arc::new);
    let proxy = |url: &crate::url::BaseUrl| -> Result<Option<ureq::Proxy>> {
        let scheme = url.origin.split(':').next().unwrap_or("https");
        client::proxy_for(scheme, &url.host, profile.proxy.as_deref(), &env.proxies)
            .map(|p| {
                ureq::Proxy::new(p).map_err(|_| {
                    anyhow!(
                        "proxy {:?} (from the environment) is not a valid proxy URL",
                        crate::redact::url(p)
                    )
                })
            })
            .transpose()
    };
    let route = client::Route {
        timeout: a
            .timeout
            .map_or(profile.timeout, std::time::Duration::from_secs),
        proxy: proxy(&profile.base_url)?,
        roots,
    };
    let backup_route = match &profile.backup_base_url {
        Some(b) => Some(client::Route {
            proxy: proxy(b)?,
            ..route.clone()
        }),
        None => None,
    };
    Ok(Prepared {
        retries: a.retries.unwrap_or(profile.retries),
        profile,
        private_key,
        public_key,
        route,
        backup_route,
    })
}

/// The request headers wxcoupon sets; the Authorization value is the
/// caller's. ureq adds only `Host` and `Content-Length` (`--dry-run` shows
/// those too). `Accept-Encoding` is ureq's own default, set here so that
/// it is written in one place.
fn request_headers<'a>(
    authorization: &'a str,
    ua: &'a str,
    key_id: &'a str,
) -> [(&'static str, &'a str); 6] {
    [
        ("Authorization", authorization),
        ("Accept", "application/json"),
        ("Content-Type", "application/json"),
        ("User-Agent", ua),
        ("Wechatpay-Serial", key_id),
        ("Accept-Encoding", "gzip"),
    ]
}

/// The real effects of attempts: sign afresh, send, sleep, trace on stderr.
struct Live<'a> {
    p: &'a Prepared,
    body: &'a [u8],
    ua: String,
    verbose: bool,
    /// The message signed for the latest attempt (for SIGN_ERROR comparisons).
    last_signed: Vec<u8>,
}

impl retry::Effects for Live<'_> {
    fn send(
        &mut self,
        to: &crate::url::BaseUrl,
        attempt: u32,
    ) -> Result<client::Answer, client::NetError> {
        let signed = self.p.sign(self.body).map_err(|e| client::NetError {
            what: format!("{e:#}"),
            may_have_reached: false,
            elapsed: std::time::Duration::ZERO,
        })?;
        if self.verbose {
            self.trace(format!(
                "attempt {attempt}: POST {to}{} with {}",
                request::PATH,
                sign::redact_authorization(&signed.authorization)
            ));
        }
        self.last_signed = signed.message;
        let headers = request_headers(
            &signed.authorization,
            &self.ua,
            &self.p.profile.wechatpay_public_key_id,
        );
        client::post(self.p.route_for(to), to, request::PATH, &headers, self.body)
    }

    fn sleep(&mut self, d: std::time::Duration) {
        std::thread::sleep(d);
    }

    fn jitter(&mut self) -> f64 {
        let mut b = [0u8; 2];
        let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b);
        f64::from(u16::from_le_bytes(b)) / 65536.0
    }

    fn now(&mut self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    fn trace(&mut self, line: String) {
        if self.verbose {
            let _ = writeln!(std::io::stderr(), "wxcoupon: {}", escape::term(&line));
        }
    }
}

fn cmd_return(g: &GlobalOpts, a: &ReturnArgs, env: &Env) -> Report {
    return_with(g, a, env, None)
}

/// One return, through the whole normal path; `given` replaces the config
/// file's profile (the demo's in-memory one).
pub fn return_with(g: &GlobalOpts, a: &ReturnArgs, env: &Env, given: Option<Profile>) -> Report {
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
    let p = match prepare(g, a, env, given) {
        Ok(p) => p,
        Err(e) => return Report::invalid(Some(&req), &e),
    };
    let body = req.body();
    let warnings: Vec<String> = profile::loose_key_file(&p.profile.private_key)
        .into_iter()
        .collect();
    let mut r = if a.dry_run {
        dry_run(&p, &req, &body)
    } else {
        let mut live = Live {
            p: &p,
            body: &body,
            ua: user_agent(),
            verbose: g.verbose,
            last_signed: Vec::new(),
        };
        send_and_judge(&mut live, &req, a.resume)
    };
    r.warnings = warnings;
    if r.retryable {
        r.retry_command = Some(retry_command(g, &req));
    }
    r.generated_request_no = generated && !matches!(r.outcome, Kind::Returned | Kind::Invalid);
    r
}

/// Attempts with retries, then the judgement of the final answer. A 2xx
/// answer carrying a WeChat Pay signature probe (`WECHATPAY/SIGNTEST/…`) is
/// treated like a lost answer: one more attempt with the same request number,
/// as `--resume` makes it, where RESOURCE_ALREADY_EXISTS confirms the return.
fn send_and_judge(live: &mut Live<'_>, req: &ReturnRequest, resume: bool) -> Report {
    let (first, probe) = attempts(live, req, live.p.retries, resume);
    if !probe {
        return first;
    }
    retry::Effects::trace(
        live,
        "the answer's signature is a WeChat Pay probe (WECHATPAY/SIGNTEST/…); one more attempt \
         with the same request number, as after a lost answer"
            .to_string(),
    );
    let (mut second, _) = attempts(live, req, 0, true);
    second.attempts += first.attempts;
    if second.outcome == Kind::Returned {
        second.notes.insert(0, PROBE_CONFIRMED.to_string());
        second.explanation = Some(format!(
            "{PROBE_CONFIRMED} {}",
            second.explanation.unwrap_or_default()
        ));
        return second;
    }
    let mut r = first;
    r.attempts = second.attempts;
    r.host = second.host;
    r.retryable = true;
    let got = match (&second.code, &second.message) {
        (Some(code), _) => format!("{code} (HTTP {})", second.http_status.unwrap_or_default()),
        (None, Some(message)) => message.clone(),
        (None, None) => "no answer".to_string(),
    };
    r.notes.push(format!(
        "one more attempt with the same request number did not confirm the return: it ended \
         `{}`: {}",
        serde_json::to_value(second.outcome)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        escape::term(&got)
    ));
    r
}

const PROBE_CONFIRMED: &str = "WeChat Pay's first answer carried a signature probe (WECHATPAY/SIGNTEST/…), \
     invalid by design; one more attempt with the same request number confirmed the return.";

/// One run of attempts and its judgement; whether the final answer is a 2xx
/// carrying a signature probe.
fn attempts(
    live: &mut Live<'_>,
    req: &ReturnRequest,
    retries: u32,
    resume: bool,
) -> (Report, bool) {
    let p = live.p;
    let fin = retry::run(
        retries,
        &p.profile.base_url,
        p.profile.backup_base_url.as_ref(),
        resume,
        live,
    );
    let (mut r, probe) = match &fin.result {
        Ok(answer) => (
            Judge {
                request: req,
                wechatpay_public_key_id: &p.profile.wechatpay_public_key_id,
                public_key: &p.public_key,
                now_unix: now_unix(),
                signed_message: &live.last_signed,
                earlier_may_have_reached: fin.earlier_may_have_reached,
            }
            .judge(answer),
            (200..300).contains(&answer.status)
                && answer
                    .header("Wechatpay-Signature")
                    .is_some_and(|s| s.starts_with(verify::PROBE_PREFIX)),
        ),
        Err(e) => (Report::network(req, e), false),
    };
    r.attempts = fin.attempts;
    r.host = Some(fin.host.origin.clone());
    (r, probe)
}

fn dry_run(p: &Prepared, req: &ReturnRequest, body: &[u8]) -> Report {
    let signed = match p.sign(body) {
        Ok(s) => s,
        Err(e) => return Report::invalid(Some(req), &e),
    };
    let ua = user_agent();
    let headers = request_headers(
        &signed.authorization,
        &ua,
        &p.profile.wechatpay_public_key_id,
    );
    let mut r = Report::new(Kind::DryRun, Some(req));
    r.host = Some(p.profile.base_url.origin.clone());
    let authority = p
        .profile
        .base_url
        .origin
        .split("://")
        .nth(1)
        .unwrap_or_default();
    let length = body.len().to_string();
    let sent = [("Host", authority)]
        .into_iter()
        .chain(headers)
        .chain([("Content-Length", length.as_str())]);
    r.request = Some(DryRun {
        method: request::METHOD.into(),
        url: format!("{}{}", p.profile.base_url, request::PATH),
        headers: sent.map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        body: String::from_utf8_lossy(body).into_owned(),
    });
    r.explanation = Some(outcome::DRY_RUN_WARNING.into());
    r.notes.push(format!(
        "profile `{}` from {}",
        p.profile.name,
        p.profile.config_path.display()
    ));
    r.notes.push(format!(
        "signed message:\n{}",
        sign::visible(&signed.message)
    ));
    r
}

fn cmd_explain(a: &ExplainArgs, json: bool) -> Result<Printed> {
    let entries = match &a.message {
        Some(m) => explain::lookup(&a.code, Some(m)),
        None => explain::meanings(&a.code),
    };
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
        (None, Some(f)) => crate::files::read(f, "--body-file", crate::files::BODY_MAX),
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
    profile::check_mchid(&mchid).map_err(|e| anyhow!("--mchid {mchid:?}: {e}"))?;
    profile::check_serial(&serial).map_err(|e| anyhow!("--serial {serial:?}: {e}"))?;

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
        ..Printed::default()
    })
}

fn cmd_verify(g: &GlobalOpts, a: &VerifyArgs, env: &Env) -> Result<Printed> {
    if a.timestamp.trim().parse::<i64>().is_err() {
        bail!(
            "--timestamp {:?}: must be a Unix time in seconds (the Wechatpay-Timestamp header)",
            a.timestamp
        );
    }
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
            ..Printed::default()
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

fn cmd_man(a: &crate::cli::ManArgs) -> Result<Printed> {
    if let Some(dir) = &a.dir {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        clap_mangen::generate_to(Cli::command(), dir)
            .with_context(|| format!("writing the man pages into {}", dir.display()))?;
        return Ok(Printed::default());
    }
    let mut buf = Vec::new();
    // Built as clap_mangen::generate_to builds it, so that stdout and the
    // folder's wxcoupon.1 are the same page.
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    clap_mangen::Man::new(cmd)
        .render(&mut buf)
        .map_err(|e| anyhow!("rendering the man page: {e}"))?;
    Ok(Printed {
        stdout: String::from_utf8(buf).map_err(|_| anyhow!("the man page is not UTF-8"))?,
        ..Printed::default()
    })
}
