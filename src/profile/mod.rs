//! The profile: where the config file is (`locate`), reading it and choosing
//! a profile (`config`), what each field may hold (`fields`), and the
//! checked `Profile` with its keys, loaded on demand (`checked`). Nothing is
//! sent before all of it is checked. This file sits above the four and ties
//! them together.

mod checked;
mod config;
mod fields;
mod locate;
mod schema;

use std::path::Path;

use anyhow::Result;

use crate::env::Env;

pub use checked::{
    KeySource, Profile, WechatpayPublicKey, loose_key_file, read_private_key, read_public_key,
};
pub use fields::{check_mchid, check_serial};
pub use locate::{SEARCH, locate};

/// Reads the config file at `path` (once: it may be a pipe).
pub fn read_config(path: &Path) -> Result<String> {
    crate::files::read_text(path, "config file", crate::files::CONFIG_MAX)
}

/// The profile names of the config file that `--config` (else
/// `$WXCOUPON_CONFIG`, else the default location) names, found and read as
/// for every command, for shell completion: parsed leniently, so that a
/// profile with a mistake in it is still named. Nothing else of the file.
pub fn names(config: Option<&Path>, env: &Env) -> Result<Vec<String>> {
    config::names(&read_config(&locate(config, env)?)?)
}

/// Reads the config file at `path` and validates the chosen profile.
pub fn load(path: &Path, chosen: Option<&str>, env: &Env) -> Result<Profile> {
    parse(path, &read_config(path)?, chosen, env)
}

/// Validates the chosen profile of the config text read from `path`.
pub fn parse(path: &Path, text: &str, chosen: Option<&str>, env: &Env) -> Result<Profile> {
    let at = config::Locator { path, text };
    let raw = config::read(&at)?;
    let (name, p) = config::choose(&raw, chosen, env, &at)?;
    fields::validate(name, p, &at, env).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(|e| format!("{e:#}")).collect();
        anyhow::anyhow!("{}", lines.join("\n"))
    })
}

/// Every problem of the config text read from `path` for the chosen profile,
/// at once (doctor): unknown keys, wrong types, bad values. Empty when the
/// profile is sound; then `parse` gives it.
pub fn problems(path: &Path, text: &str, chosen: Option<&str>, env: &Env) -> Vec<String> {
    let at = config::Locator { path, text };
    let (mut problems, raw) = config::read_all(&at);
    let Some(raw) = raw else {
        return problems;
    };
    match config::choose(&raw, chosen, env, &at) {
        Err(e) => problems.push(format!("{e:#}")),
        Ok((name, p)) => {
            if let Err(found) = fields::validate(name, p, &at, env) {
                problems.extend(found.iter().map(|e| format!("{e:#}")));
            }
        }
    }
    problems
}

/// The profile that `--config`/`--profile` (else their environment
/// variables and defaults) choose, validated.
pub fn select(config: Option<&Path>, chosen: Option<&str>, env: &Env) -> Result<Profile> {
    let path = locate(config, env)?;
    load(&path, chosen, env)
}

#[cfg(test)]
mod tests;
