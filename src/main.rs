//! wxcoupon: return WeChat Pay merchant coupons and say exactly what happened.
//! `main` parses, runs the command, and exits; ARCHITECTURE.md maps the rest.

mod batch;
mod build_info;
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
    pin_host_lookup();
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
        let printed = if e.kind() == ErrorKind::DisplayVersion && asks_for_json() {
            use std::io::Write;
            writeln!(std::io::stdout(), "{}", build_info::json())
        } else {
            e.print()
        };
        return match printed {
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

/// `--version --json` (in either order, before any `--`): clap stops at
/// `--version` before our flags are parsed, so the arguments are read here.
fn asks_for_json() -> bool {
    std::env::args_os()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "--json")
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

/// In a build that links glibc statically (`scripts/dist.sh`), host names are
/// looked up by glibc's own `files` and `dns` services only (/etc/hosts,
/// then the servers in /etc/resolv.conf), whatever /etc/nsswitch.conf names:
/// a static binary that loaded the host's NSS modules (myhostname, mdns,
/// resolve) would run a second, mismatched C library and crash.
#[cfg(all(target_os = "linux", target_env = "gnu", target_feature = "crt-static"))]
fn pin_host_lookup() {
    unsafe extern "C" {
        fn __nss_configure_lookup(
            db: *const std::ffi::c_char,
            service_line: *const std::ffi::c_char,
        ) -> std::ffi::c_int;
    }
    // SAFETY: two NUL-terminated static strings; called first thing in
    // main, before any thread exists or any lookup has started.
    unsafe {
        __nss_configure_lookup(c"hosts".as_ptr(), c"files dns".as_ptr());
    }
}

/// A dynamically linked build uses the system's resolver as configured.
#[cfg(not(all(target_os = "linux", target_env = "gnu", target_feature = "crt-static")))]
fn pin_host_lookup() {}
