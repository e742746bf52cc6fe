//! The commands, one file each. This dispatcher only dispatches: it refuses
//! global flags a command cannot honour, runs the command, and turns an
//! error into the one `invalid` message. Nothing below `cmd/` imports from it.

mod certificates;
mod demo;
mod docs;
mod doctor;
mod emulator;
mod explain;
mod history;
mod r#return;
mod sign;
mod verify;

use anyhow::{Result, bail};

use crate::cli::{CertificatesAction, Cli, Command};
use crate::env::Env;
use crate::output::Out;

/// Runs the command; the exit code.
pub fn run(cli: &Cli, env: &Env, out: &mut Out) -> u8 {
    let g = &cli.global;
    out.set_stdout_is_the_product(matches!(
        cli.command,
        Command::Explain(_) | Command::Sign(_) | Command::Completions(_) | Command::Man(_)
    ));
    if let Err(e) = applies(cli) {
        return out.invalid(&e, g.json);
    }
    let result = match &cli.command {
        Command::Return(a) => Ok(r#return::run(g, a, env, out)),
        Command::Certificates(CertificatesAction::Download) => certificates::download(g, env, out),
        Command::Certificates(CertificatesAction::List) => certificates::list(g, env, out),
        Command::Explain(a) => explain::run(a, g.json, out),
        Command::History(a) => history::run(g, a, env, out),
        Command::Sign(a) => sign::run(g, a, env, out),
        Command::Verify(a) => verify::run(g, a, env, out),
        Command::Completions(a) => docs::completions(a, out),
        Command::Man(a) => docs::man(a, out),
        Command::Emulator(a) => emulator::run(g, a, env, out),
        Command::Demo => demo::run(g, out),
        Command::Doctor => doctor::run(g, env, out),
    };
    result.unwrap_or_else(|e| out.invalid(&e, g.json))
}

/// Global flags that a command cannot honour are refused, never ignored.
fn applies(cli: &Cli) -> Result<()> {
    let name = match &cli.command {
        Command::Completions(_) => "completions",
        Command::Man(_) => "man",
        Command::Explain(_) => "explain",
        Command::History(_) => "history",
        Command::Sign(_) => "sign",
        Command::Verify(_) => "verify",
        Command::Doctor => "doctor",
        Command::Emulator(_) => "emulator",
        Command::Certificates(CertificatesAction::List) => "certificates list",
        Command::Return(_)
        | Command::Demo
        | Command::Certificates(CertificatesAction::Download) => {
            return Ok(());
        }
    };
    if cli.global.json && matches!(cli.command, Command::Completions(_) | Command::Man(_)) {
        bail!(
            "--json does not apply to `wxcoupon {name}`: it prints a script or a page, not a result"
        );
    }
    if cli.global.verbose {
        bail!(
            "-v does not apply to `wxcoupon {name}`: it traces the requests that `return`, \
             `certificates download` and `demo` send, and `{name}` sends none"
        );
    }
    Ok(())
}
