//! Base URLs (`scheme://host[:port]`) and loopback hosts: what `profile`
//! validates and `client` and `retry` use.

use std::fmt;
use std::net::IpAddr;

pub const OFFICIAL_BASE_URL: &str = "https://api.mch.weixin.qq.com";
pub const OFFICIAL_BACKUP_URL: &str = "https://api2.mch.weixin.qq.com";
/// The official primaries and the backup that stands behind each.
const OFFICIAL_BACKUPS: &[(&str, &str)] = &[
    (OFFICIAL_BASE_URL, OFFICIAL_BACKUP_URL),
    ("https://api.wechatpay.cn", "https://api2.wechatpay.cn"),
];

/// `scheme://host[:port]`, validated. http only for loopback hosts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    /// Without a trailing slash.
    pub origin: String,
    pub host: String,
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)
    }
}

impl BaseUrl {
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.strip_suffix('/').unwrap_or(text);
        let uri: ureq::http::Uri = trimmed
            .parse()
            .map_err(|e| format!("not a URL ({e}); expected scheme://host[:port]"))?;
        let scheme = uri
            .scheme_str()
            .ok_or("no scheme; expected https://host[:port]")?;
        let authority = uri
            .authority()
            .ok_or("no host; expected https://host[:port]")?;
        if authority.as_str().contains('@') {
            return Err("user names or passwords do not belong in the URL".into());
        }
        if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
            return Err(
                "only scheme://host[:port] is allowed here: wxcoupon appends the API path itself"
                    .into(),
            );
        }
        let host = authority.host().to_string();
        match scheme {
            "https" => {}
            "http" if is_loopback(&host) => {}
            "http" => {
                return Err(format!(
                    "http:// is allowed only for loopback hosts (local testing); use https://{authority}"
                ));
            }
            other => return Err(format!("scheme `{other}` is not supported; use https://")),
        }
        Ok(BaseUrl {
            origin: format!("{scheme}://{authority}"),
            host,
        })
    }

    /// The official backup of an official primary.
    pub fn official_backup(&self) -> Option<&'static str> {
        OFFICIAL_BACKUPS
            .iter()
            .find(|(primary, _)| *primary == self.origin)
            .map(|(_, backup)| *backup)
    }
}

pub fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_detection() {
        for h in ["127.0.0.1", "127.8.0.1", "localhost", "[::1]", "LOCALHOST"] {
            assert!(is_loopback(h), "{h}");
        }
        for h in ["10.0.0.1", "example.com", "localhost.example.com", "[::2]"] {
            assert!(!is_loopback(h), "{h}");
        }
    }
}
