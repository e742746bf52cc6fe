//! `wxcoupon completions SHELL` and the hidden `wxcoupon man [DIR]`: both
//! generated from the clap definition (the pages' other sections: `man`,
//! their words: `pages`).

mod man;
mod pages;

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
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    if let Some(dir) = &a.dir {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        for (name, page) in man::all(&root)? {
            let file = dir.join(name);
            std::fs::write(&file, page).with_context(|| format!("writing {}", file.display()))?;
        }
        return Ok(0);
    }
    out.out(&man::page(&root, "")?);
    Ok(0)
}
