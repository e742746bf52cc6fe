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

/// A proxy URL as wxcoupon accepts it: `scheme://[user[:password]@]host[:port]`,
/// strictly — an unencoded `/` in a password, or a port over 65535, would
/// otherwise send the traffic somewhere else than the user meant.
pub fn check_proxy(text: &str) -> Result<(), String> {
    const SCHEMES: &str = "http, https, socks4, socks4a, socks5, socks5h";
    let Some((scheme, rest)) = text.split_once("://") else {
        return Err(format!(
            "no scheme; expected http://host:port (or one of {SCHEMES})"
        ));
    };
    let known = [
        "http", "https", "socks4", "socks4a", "socks", "socks5", "socks5h",
    ];
    if !known.contains(&scheme.to_ascii_lowercase().as_str()) {
        return Err(format!("`{scheme}` is not a proxy scheme ({SCHEMES})"));
    }
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let (userinfo, hostport) = match rest.rfind('@') {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => ("", rest),
    };
    if userinfo.contains(['/', '?', '#']) {
        return Err(
            "the user name or password holds a / ? or #: percent-encode it (%2F, %3F, %23)".into(),
        );
    }
    if hostport.contains(['/', '?', '#']) {
        return Err("a proxy URL is scheme://host:port, with no path".into());
    }
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, _)) if !h.ends_with(']') && h.contains(':') => (hostport, None),
        Some((h, p)) => (h, Some(p)),
        None => (hostport, None),
    };
    if host.is_empty() {
        return Err("no host".into());
    }
    if let Some(p) = port
        && p.parse::<u16>().map_or(true, |n| n == 0)
    {
        return Err(format!("port `{p}` is not a port (1 to 65535)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls_are_read_strictly() {
        for good in [
            "http://proxy:3128",
            "http://alice:s3cret@proxy.corp:3128",
            "socks5://127.0.0.1:1080/",
            "http://[::1]:8080",
            "https://proxy",
        ] {
            assert_eq!(check_proxy(good), Ok(()), "{good}");
        }
        for (bad, why) in [
            ("alice:pw@127.0.0.1:18090", "no scheme"),
            ("ftp://proxy:21", "not a proxy scheme"),
            ("http://alice:S3cret/PW@127.0.0.1:18090", "percent-encode"),
            ("http://proxy:3128/path", "no path"),
            ("http://u:p@127.0.0.1:99999", "not a port"),
            ("http://:3128", "no host"),
        ] {
            let e = check_proxy(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

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
