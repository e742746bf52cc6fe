//! `wxcoupon completions SHELL`, the hidden `wxcoupon complete-profiles` its
//! scripts call, and the hidden `wxcoupon man [DIR]`: generated from the clap
//! definition (the scripts: `complete`; the pages' other sections: `man`,
//! their words: `pages`).

mod complete;
mod man;
mod pages;

use anyhow::{Context, Result};
use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, GlobalOpts, ManArgs};
use crate::env::Env;
use crate::output::Out;

pub fn completions(a: &CompletionsArgs, out: &mut Out) -> Result<u8> {
    out.out(&complete::script(a.shell)?);
    Ok(0)
}

/// The profile names of the config file in use, one a line, for `--profile
/// <TAB>`; nothing at all, and exit 0, when there is none to read (a
/// completion says nothing). Only names made of letters, digits and
/// `- _ . + @ :` are printed: a shell expands what it completes with
/// (`compgen -W`), and nothing that could be key material or steer a
/// terminal gets out.
pub fn complete_profiles(g: &GlobalOpts, env: &Env, out: &mut Out) -> u8 {
    let plain = |name: &String| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || "-_.+@:".contains(c))
            && !crate::redact::looks_like_key(name)
    };
    let names = crate::profile::names(g.config.as_deref(), env).unwrap_or_default();
    for name in names.iter().filter(|n| plain(n)) {
        out.out(&format!("{name}\n"));
    }
    0
}

pub fn man(a: &ManArgs, out: &mut Out) -> Result<u8> {
    // The pages name the release, not the commit: they are committed, and
    // a build's commit is in `--version`.
    let mut root = Cli::command()
        .version(env!("CARGO_PKG_VERSION"))
        .disable_help_subcommand(true);
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
