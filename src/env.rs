//! The environment variables wxcoupon reads, captured once at start-up so
//! that everything below can be tested without touching the process
//! environment. Below both `profile` and `client`.

use std::ffi::OsString;

/// `WXCOUPON_PRIVATE_KEY`: the merchant's private key as PEM text.
pub const PRIVATE_KEY_ENV: &str = "WXCOUPON_PRIVATE_KEY";
/// `WXCOUPON_APIV3_KEY`: the merchant's APIv3 key (downloads platform certificates).
pub const APIV3_KEY_ENV: &str = "WXCOUPON_APIV3_KEY";

/// Every environment variable wxcoupon reads (a name, or a lower- and an
/// upper-case spelling, the first set wins), and what for: the man pages'
/// ENVIRONMENT. All but TMPDIR are read by `from_process` below.
pub const VARIABLES: &[(&[&str], &str)] = &[
    (
        &["WXCOUPON_CONFIG"],
        "The config file, when --config is not given. Set but empty is an error.",
    ),
    (
        &["WXCOUPON_PROFILE"],
        "The profile, when --profile is not given (before the config's default_profile). \
         Set but empty is an error.",
    ),
    (
        &[PRIVATE_KEY_ENV],
        "The merchant's private key as PEM text; it wins over the profile's private_key_file \
         (for CI secrets).",
    ),
    (
        &[APIV3_KEY_ENV],
        "The merchant's APIv3 key, which decrypts downloaded platform certificates; it wins \
         over the profile's apiv3_key_file.",
    ),
    (
        &["XDG_CONFIG_HOME"],
        "The default config file is $XDG_CONFIG_HOME/wxcoupon/config.toml.",
    ),
    (
        &["WXCOUPON_STATE_DIR"],
        "The ledger's folder (every return sent, for history), instead of the profile's \
         ledger_dir and the default $XDG_STATE_HOME/wxcoupon. An absolute path; set but empty \
         is an error.",
    ),
    (
        &["XDG_STATE_HOME"],
        "The default ledger folder is $XDG_STATE_HOME/wxcoupon (an absolute path; else \
         ~/.local/state/wxcoupon).",
    ),
    (
        &["HOME"],
        "Without XDG_CONFIG_HOME, the default config file is ~/.config/wxcoupon/config.toml.",
    ),
    (
        &["https_proxy", "HTTPS_PROXY"],
        "The proxy for https requests, when the profile sets no proxy.",
    ),
    (
        &["http_proxy", "HTTP_PROXY"],
        "The proxy for http requests (loopback hosts are never proxied).",
    ),
    (
        &["all_proxy", "ALL_PROXY"],
        "The proxy when the profile and the two above name none.",
    ),
    (
        &["no_proxy", "NO_PROXY"],
        "Hosts never proxied: comma-separated names, each matching itself and its \
         subdomains; * for all.",
    ),
    (
        &["TMPDIR"],
        "Where the emulator makes its private folder for the key files it writes.",
    ),
];

/// The environment variables wxcoupon reads, captured once so that the
/// logic below can be tested without touching the process environment.
#[derive(Debug, Default, Clone)]
pub struct Env {
    pub config: Option<OsString>,
    pub profile: Option<String>,
    pub private_key: Option<String>,
    pub apiv3_key: Option<String>,
    pub xdg_config_home: Option<OsString>,
    pub home: Option<OsString>,
    /// `WXCOUPON_STATE_DIR`: the ledger's folder.
    pub state_dir: Option<OsString>,
    /// `XDG_STATE_HOME`: the ledger's folder is `wxcoupon/` in it.
    pub xdg_state_home: Option<OsString>,
    pub proxies: ProxyEnv,
}

impl Env {
    pub fn from_process() -> Self {
        let os = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
        Env {
            // An empty WXCOUPON_CONFIG is kept: it is an error, not "unset".
            config: std::env::var_os("WXCOUPON_CONFIG"),
            // An empty WXCOUPON_PROFILE is kept: it is an error, not "unset".
            profile: std::env::var_os("WXCOUPON_PROFILE").map(|v| v.to_string_lossy().into_owned()),
            // An empty WXCOUPON_PRIVATE_KEY is kept: it is an error, not "unset".
            private_key: std::env::var_os(PRIVATE_KEY_ENV)
                .map(|v| v.to_string_lossy().into_owned()),
            // Likewise WXCOUPON_APIV3_KEY.
            apiv3_key: std::env::var_os(APIV3_KEY_ENV).map(|v| v.to_string_lossy().into_owned()),
            xdg_config_home: os("XDG_CONFIG_HOME"),
            home: os("HOME"),
            // An empty WXCOUPON_STATE_DIR is kept: it is an error, not "unset".
            state_dir: std::env::var_os("WXCOUPON_STATE_DIR"),
            xdg_state_home: os("XDG_STATE_HOME"),
            proxies: ProxyEnv::from_process(),
        }
    }
}

/// The proxy settings of the environment, read once.
#[derive(Debug, Default, Clone)]
pub struct ProxyEnv {
    pub https: Option<String>,
    pub http: Option<String>,
    pub all: Option<String>,
    pub no_proxy: Option<String>,
}

impl ProxyEnv {
    pub fn from_process() -> Self {
        let var = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
        };
        ProxyEnv {
            https: var(&["https_proxy", "HTTPS_PROXY"]),
            http: var(&["http_proxy", "HTTP_PROXY"]),
            all: var(&["all_proxy", "ALL_PROXY"]),
            no_proxy: var(&["no_proxy", "NO_PROXY"]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name this file reads from the environment is in `VARIABLES`,
    /// and every name there but TMPDIR is read here.
    #[test]
    fn variables_lists_every_name_read() {
        let source = include_str!("env.rs");
        let code = &source[..source.find("#[cfg(test)]").unwrap()];
        let code: String = code[code.find("impl Env").unwrap()..]
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect();
        let listed: Vec<&str> = VARIABLES
            .iter()
            .flat_map(|(names, _)| names.iter().copied())
            .collect();
        let mut read: Vec<&str> = code
            .split('"')
            .skip(1)
            .step_by(2)
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_'))
            .collect();
        read.extend([PRIVATE_KEY_ENV, APIV3_KEY_ENV]);
        for name in &read {
            assert!(listed.contains(name), "{name} is read but not in VARIABLES");
        }
        for name in listed.iter().filter(|n| **n != "TMPDIR") {
            assert!(read.contains(name), "{name} is in VARIABLES but not read");
        }
    }
}
