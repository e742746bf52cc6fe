//! `wxcoupon completions SHELL` and the hidden `wxcoupon man [DIR]`: both
//! generated from the clap definition.

use anyhow::{Context, Result, anyhow};
use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::output::Out;

/// The completion script for one shell, from the clap definition.
fn completion_script(shell: Shell) -> Vec<u8> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "wxcoupon", &mut buf);
    buf
}

pub fn completions(a: &CompletionsArgs, out: &mut Out) -> Result<u8> {
    let script = completion_script(a.shell);
    out.out(&String::from_utf8(script).map_err(|_| anyhow!("completion script is not UTF-8"))?);
    Ok(0)
}

pub fn man(a: &ManArgs, out: &mut Out) -> Result<u8> {
    if let Some(dir) = &a.dir {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        clap_mangen::generate_to(Cli::command(), dir)
            .with_context(|| format!("writing the man pages into {}", dir.display()))?;
        return Ok(0);
    }
    let mut buf = Vec::new();
    // Built as clap_mangen::generate_to builds it, so that stdout and the
    // folder's wxcoupon.1 are the same page.
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    clap_mangen::Man::new(cmd)
        .render(&mut buf)
        .map_err(|e| anyhow!("rendering the man page: {e}"))?;
    out.out(&String::from_utf8(buf).map_err(|_| anyhow!("the man page is not UTF-8"))?);
    Ok(0)
}
