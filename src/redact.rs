//! Secrets never reach a message: PEM blocks and long Base64 runs (key
//! material pasted where a file name or a value belongs), and the user
//! information (a password) of URLs. Applied where an error becomes text.

use std::borrow::Cow;

/// A run of Base64 characters at least this long, with digits and both
/// cases, is taken for key material (a PEM line is 64 characters).
const KEY_RUN: usize = 64;

/// `text` with the contents of every PEM block and every long Base64 run
/// replaced by a placeholder; the BEGIN and END lines stay, since they say
/// what the text was. A block without its END line is cut to the end of its line.
pub fn secrets(text: &str) -> Cow<'_, str> {
    if !text.contains("-----BEGIN") && !has_key_run(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("-----BEGIN") {
        out.push_str(&runs(&rest[..at]));
        let block = &rest[at..];
        // The header: `-----BEGIN LABEL-----`.
        let header = block[10..]
            .find("-----")
            .map_or(block.len(), |e| 10 + e + 5);
        out.push_str(&block[..header]);
        let body = &block[header..];
        let body_end = body
            .find("-----END")
            .unwrap_or_else(|| body.find('\n').unwrap_or(body.len()));
        if body[..body_end]
            .split(|c: char| !is_b64(c))
            .any(|run| run.len() >= 16)
        {
            out.push_str("[key material redacted]");
        } else {
            out.push_str(&body[..body_end]);
        }
        rest = &body[body_end..];
        if let Some(end) = rest.strip_prefix("-----END") {
            let close = end.find("-----").map_or(end.len(), |c| c + 5);
            out.push_str(&rest[..8 + close]);
            rest = &end[close..];
        }
    }
    out.push_str(&runs(rest));
    Cow::Owned(out)
}

/// Whether a value looks like key material rather than a name or a path.
pub fn looks_like_key(value: &str) -> bool {
    value.contains("-----BEGIN") || has_key_run(value)
}

fn is_b64(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')
}

fn is_key_run(run: &str) -> bool {
    run.len() >= KEY_RUN
        && run.bytes().any(|b| b.is_ascii_digit())
        && run.bytes().any(|b| b.is_ascii_uppercase())
        && run.bytes().any(|b| b.is_ascii_lowercase())
}

fn has_key_run(text: &str) -> bool {
    text.split(|c: char| !is_b64(c)).any(is_key_run)
}

/// Replaces long Base64 runs, keeping everything else as it is.
fn runs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut start = None;
    for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
        match (is_b64(c) && i < text.len(), start) {
            (true, None) => start = Some(i),
            (true, Some(_)) => {}
            (false, Some(s)) => {
                let run = &text[s..i];
                if is_key_run(run) {
                    out.push_str(&format!("[{} characters redacted]", run.len()));
                } else {
                    out.push_str(run);
                }
                start = None;
                if i < text.len() {
                    out.push(c);
                }
            }
            (false, None) if i < text.len() => out.push(c),
            (false, None) => {}
        }
    }
    out
}

/// A URL with its user information hidden: `http://***@proxy:3128`.
pub fn url(url: &str) -> Cow<'_, str> {
    let Some(scheme_end) = url.find("://") else {
        return Cow::Borrowed(url);
    };
    let after = &url[scheme_end + 3..];
    let authority_end = after.find(['/', '?', '#']).unwrap_or(after.len());
    match after[..authority_end].rfind('@') {
        Some(at) => Cow::Owned(format!("{}***{}", &url[..scheme_end + 3], &after[at..])),
        None => Cow::Borrowed(url),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_LINE: &str = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDHlS2t3Tq8r1Xz";

    #[test]
    fn pem_block_contents_are_cut_to_their_end_or_the_end_of_their_line() {
        let text = format!(
            "a = \"-----BEGIN PRIVATE KEY-----\\n{KEY_LINE}\\n-----END PRIVATE KEY-----\\n\" b"
        );
        assert_eq!(
            secrets(&text),
            "a = \"-----BEGIN PRIVATE KEY-----[key material redacted]-----END PRIVATE KEY-----\\n\" b"
        );
        let text = "x -----BEGIN RSA PRIVATE KEY----- abcdefghijklmnopqrstuvwxyz\nnext line";
        assert_eq!(
            secrets(text),
            "x -----BEGIN RSA PRIVATE KEY-----[key material redacted]\nnext line"
        );
        let text = "holds a PEM private key (`-----BEGIN PRIVATE KEY-----`); put it in a file";
        assert_eq!(secrets(text), text);
    }

    #[test]
    fn long_base64_runs_are_cut_and_ordinary_text_is_kept() {
        let text = format!("value {KEY_LINE}, then more");
        assert_eq!(secrets(&text), "value [64 characters redacted], then more");
        for keep in [
            "config.toml:3: profile.shop.mchid = \"19x\"",
            "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
            "/home/ops/wxcoupon/apiclient_key.pem",
            "券不存在",
        ] {
            assert_eq!(secrets(keep), keep);
        }
        assert!(looks_like_key(KEY_LINE));
        assert!(!looks_like_key("apiclient_key.pem"));
    }

    #[test]
    fn url_user_information_is_hidden() {
        assert_eq!(
            url("http://alice:s3cret@proxy.corp:3128"),
            "http://***@proxy.corp:3128"
        );
        assert_eq!(url("socks5://u@h:1/x@y"), "socks5://***@h:1/x@y");
        assert_eq!(url("http://proxy:3128"), "http://proxy:3128");
        assert_eq!(url("not a url"), "not a url");
    }
}
