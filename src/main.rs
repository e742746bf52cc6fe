//! wxcoupon: return WeChat Pay merchant coupons and say exactly what happened.
//! `main` parses, runs the command, and exits; ARCHITECTURE.md maps the rest.

mod batch;
mod catalogue;
mod certs;
mod cli;
mod client;
mod cmd;
mod cst;
mod emulator;
mod engine;
mod env;
mod escape;
mod exit;
mod files;
mod http_date;
mod judge;
mod keys;
mod ledger;
mod limits;
mod output;
mod pace;
mod profile;
mod redact;
mod render;
mod report;
mod request;
mod retry;
mod sign;
mod trust;
mod url;
mod verify;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage(&e),
    };
    install_panic_hook(cli.global.json);
    let mut out = output::Out::process();
    let code = cmd::run(&cli, &env::Env::from_process(), &mut out);
    out.finish(code)
}

/// clap's own words: help and version as clap prints them; a usage error
/// through the same redaction as every other error (a key pasted as a flag
/// value must not be echoed), exit 2.
fn usage(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        return match e.print() {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("wxcoupon: error: cannot write to stdout: {err}");
                ExitCode::from(exit::Kind::Invalid.exit_code())
            }
        };
    }
    eprint!("{}", redact::secrets(&e.render().to_string()));
    ExitCode::from(exit::Kind::Invalid.exit_code())
}

/// A bug still gets a message and exit code 1, never a backtrace dump.
fn install_panic_hook(json: bool) {
    std::panic::set_hook(Box::new(move |info| {
        let what = redact::secrets(&format!("{info}")).into_owned();
        if json {
            println!(
                "{}",
                serde_json::json!({"outcome": "internal", "message": what})
            );
        }
        eprintln!(
            "wxcoupon: internal error: this is a bug in wxcoupon; please report it with this line: {what}"
        );
        std::process::exit(exit::Kind::Internal.exit_code().into());
    }));
}
