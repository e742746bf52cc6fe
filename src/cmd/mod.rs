//! The commands, one file each. This dispatcher only dispatches: it refuses
//! global flags a command cannot honour, runs the command, and turns an
//! error into the one `invalid` message. Nothing below `cmd/` imports from it.

mod certificates;
mod config;
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

use crate::cli::{self, CertificatesAction, Cli, Command, ConfigAction};
use crate::env::Env;
use crate::output::Out;

/// Runs the command; the exit code.
pub fn run(cli: &Cli, env: &Env, out: &mut Out) -> u8 {
    let g = &cli.global;
    out.set_stdout_is_the_product(matches!(
        cli.command,
        Command::Explain(_)
            | Command::Sign(_)
            | Command::Completions(_)
            | Command::Man(_)
            | Command::Config(_)
            | Command::CompleteProfiles
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
        Command::CompleteProfiles => Ok(docs::complete_profiles(g, env, out)),
        Command::Emulator(a) => emulator::run(g, a, env, out),
        Command::Demo => demo::run(g, out),
        Command::Doctor => doctor::run(g, env, out),
        Command::Config(ConfigAction::Example) => config::example(out),
    };
    result.unwrap_or_else(|e| out.invalid(&e, g.json))
}

/// Global flags that a command cannot honour are refused, never ignored:
/// the ones `cli` hides from that command's help.
fn applies(cli: &Cli) -> Result<()> {
    let name = match &cli.command {
        Command::Return(_) => "return",
        Command::Certificates(CertificatesAction::Download) => "certificates download",
        Command::Certificates(CertificatesAction::List) => "certificates list",
        Command::Explain(_) => "explain",
        Command::History(_) => "history",
        Command::Sign(_) => "sign",
        Command::Verify(_) => "verify",
        Command::Completions(_) => "completions",
        Command::Emulator(_) => "emulator",
        Command::Demo => "demo",
        Command::Doctor => "doctor",
        Command::Config(ConfigAction::Example) => "config example",
        Command::Man(_) => "man",
        Command::CompleteProfiles => "complete-profiles",
    };
    let g = &cli.global;
    for (id, given) in [
        ("json", g.json),
        ("verbose", g.verbose),
        ("config", g.config.is_some()),
        ("profile", g.profile.is_some()),
    ] {
        if given && !cli::honours(name, id) {
            bail!("{}", refusal(name, id));
        }
    }
    Ok(())
}

/// Why the command `name` refuses the global flag `id`.
fn refusal(name: &str, id: &str) -> String {
    let why = match id {
        "json" => "it prints a script, a page or a file, not a result".to_string(),
        "verbose" => {
            let tracing: Vec<String> = cli::honouring("verbose")
                .iter()
                .map(|c| format!("`{c}`"))
                .collect();
            let (last, rest) = tracing.split_last().expect("some command honours -v");
            format!(
                "it traces the requests that {} and {last} send, and `{name}` sends none",
                rest.join(", ")
            )
        }
        "config" => "it reads no config file".to_string(),
        _ => "it uses no profile".to_string(),
    };
    let flag = if id == "verbose" {
        "-v"
    } else {
        &format!("--{id}")
    };
    format!("{flag} does not apply to `wxcoupon {name}`: {why}")
}
