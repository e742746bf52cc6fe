//! The environment variables wxcoupon reads, captured once at start-up so
//! that everything below can be tested without touching the process
//! environment. Below both `profile` and `client`.

use std::ffi::OsString;

/// `WXCOUPON_PRIVATE_KEY`: the merchant's private key as PEM text.
pub const PRIVATE_KEY_ENV: &str = "WXCOUPON_PRIVATE_KEY";
/// `WXCOUPON_APIV3_KEY`: the merchant's APIv3 key (downloads platform certificates).
pub const APIV3_KEY_ENV: &str = "WXCOUPON_APIV3_KEY";

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
            state_dir: os("WXCOUPON_STATE_DIR"),
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
