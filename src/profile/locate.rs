//! Where the config file comes from: `--config`, `$WXCOUPON_CONFIG`, the
//! XDG location, `~/.config`. An explicit choice never falls back.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use crate::env::Env;

/// Where the config file comes from, in the words of `--help`.
pub const SEARCH: &str = "\
Config: --config FILE, else $WXCOUPON_CONFIG, else
$XDG_CONFIG_HOME/wxcoupon/config.toml (default ~/.config/wxcoupon/config.toml).";

/// Where the config file comes from: the first match wins, and an explicit
/// choice that names a missing file is an error, never a fallback.
pub fn locate(explicit: Option<&Path>, env: &Env) -> Result<PathBuf> {
    if let Some(path) = explicit {
        return readable(path, "--config").map(Path::to_path_buf);
    }
    if let Some(path) = &env.config {
        if path.is_empty() {
            bail!(
                "WXCOUPON_CONFIG is set but empty; set it to the config file's path, or unset it \
                 to use the default location"
            );
        }
        return readable(Path::new(path), "WXCOUPON_CONFIG").map(Path::to_path_buf);
    }
    let default = default_path(env);
    match default {
        Some(path) if path.is_file() => Ok(path),
        _ => {
            let (looked, start) = match &default {
                Some(p) => (
                    p.display().to_string(),
                    format!(
                        "mkdir -p {} && wxcoupon config example > {}",
                        crate::escape::shell(
                            &p.parent().unwrap_or(Path::new(".")).display().to_string()
                        ),
                        crate::escape::shell(&p.display().to_string())
                    ),
                ),
                None => (
                    "the default location (neither XDG_CONFIG_HOME nor HOME is set)".to_string(),
                    "wxcoupon config example > FILE".to_string(),
                ),
            };
            bail!(
                "no config file found; looked at: --config (not given), WXCOUPON_CONFIG (not set), {looked}\n\
                 hint: start one from the example, `{start}`, and fill in your merchant's values; \
                 or pass --config FILE"
            )
        }
    }
}

/// An explicitly named config file: anything that exists and is not a
/// folder (a pipe such as `--config <(…)` too).
fn readable<'p>(path: &'p Path, from: &str) -> Result<&'p Path> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => bail!(
            "config file {} (from {from}) is a folder; name the config file in it",
            path.display()
        ),
        Ok(_) => Ok(path),
        Err(_) => bail!(
            "config file {} (from {from}) does not exist or cannot be read",
            path.display()
        ),
    }
}

fn default_path(env: &Env) -> Option<PathBuf> {
    let base = match (&env.xdg_config_home, &env.home) {
        (Some(xdg), _) => PathBuf::from(xdg),
        (None, Some(home)) => PathBuf::from(home).join(".config"),
        (None, None) => return None,
    };
    Some(base.join("wxcoupon").join("config.toml"))
}
