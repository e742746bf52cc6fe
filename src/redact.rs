//! Secrets never reach a message: PEM blocks and long Base64 runs (key
//! material pasted where a file name or a value belongs), and the user
//! information (a password) of URLs. Applied where an error becomes text.

use std::borrow::Cow;

/// Key material holds at least this many Base64 characters, with digits and
/// both cases (a PEM line is 64 characters).
const KEY_CHARS: usize = 64;

/// A run of Base64 characters this long, followed by only white space or an
/// escaped line end, is a wrapped line: the next run belongs to the same key.
const WRAPPED_LINE: usize = 16;

/// `text` with the contents of every PEM block and all key material replaced
/// by a placeholder; the BEGIN and END lines stay, since they say what the
/// text was. A block without its END line is cut to the end of its line.
pub fn secrets(text: &str) -> Cow<'_, str> {
    if !text.contains("-----BEGIN") && key_regions(text).is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("-----BEGIN") {
        out.push_str(&regions(&rest[..at]));
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
            .any(|run| run.len() >= WRAPPED_LINE)
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
    out.push_str(&regions(rest));
    Cow::Owned(out)
}

/// Whether a value looks like key material rather than a name or a path.
pub fn looks_like_key(value: &str) -> bool {
    value.contains("-----BEGIN") || !key_regions(value).is_empty()
}

fn is_b64(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')
}

/// The byte ranges of key material in `text`: runs of Base64 characters,
/// joined across white space and escaped line ends (`\n`) while the run
/// before is a wrapped line, holding at least `KEY_CHARS` Base64 characters
/// with digits and both cases. Ordinary words are shorter than a wrapped line.
fn key_regions(text: &str) -> Vec<(usize, usize)> {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
        match (i < text.len() && is_b64(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                runs.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    let mut regions = Vec::new();
    let mut k = 0;
    while k < runs.len() {
        let first = k;
        while k + 1 < runs.len()
            && runs[k].1 - runs[k].0 >= WRAPPED_LINE
            && text[runs[k].1..runs[k + 1].0]
                .chars()
                .all(|c| c.is_whitespace() || c == '\\')
        {
            k += 1;
        }
        let group = &runs[first..=k];
        let chars: usize = group.iter().map(|(s, e)| e - s).sum();
        let all: String = group.iter().map(|&(s, e)| &text[s..e]).collect();
        if chars >= KEY_CHARS
            && all.bytes().any(|b| b.is_ascii_digit())
            && all.bytes().any(|b| b.is_ascii_uppercase())
            && all.bytes().any(|b| b.is_ascii_lowercase())
        {
            regions.push((group[0].0, group[group.len() - 1].1));
        }
        k += 1;
    }
    regions
}

/// Replaces key material, keeping everything else as it is.
fn regions(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (s, e) in key_regions(text) {
        out.push_str(&text[at..s]);
        out.push_str(&format!("[{} characters redacted]", e - s));
        at = e;
    }
    out.push_str(&text[at..]);
    out
}

/// A URL with its user information hidden: `http://***@proxy:3128`. Everything
/// before the last `@` (after the scheme, or from the start when there is
/// none) is hidden: a password with an unencoded `/` stays hidden too.
pub fn url(url: &str) -> Cow<'_, str> {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].rfind('@') {
        Some(at) => Cow::Owned(format!(
            "{}***{}",
            &url[..after_scheme],
            &url[after_scheme + at..]
        )),
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
    fn wrapped_keys_and_their_short_last_line_are_cut_whole() {
        let key = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDHlS2t3Tq8r1XzUWs61pue352ibzhVud0q4vE=";
        // Wrapped at 40 characters, in a Debug-quoted string (escaped \n) and on lines.
        let wrapped: Vec<&str> = vec![&key[..40], &key[40..80], &key[80..]];
        for sep in ["\\n", "\n", " "] {
            let text = format!("mchid = \"{}\": must be digits", wrapped.join(sep));
            let cut = secrets(&text);
            assert!(
                !cut.contains("UWs61pue") && !cut.contains("MIIEvQ"),
                "{cut}"
            );
            assert!(
                cut.starts_with("mchid = \"[") && cut.ends_with("\": must be digits"),
                "{cut}"
            );
        }
        // Prose and identifiers stay.
        for keep in [
            "the private key does not belong to merchant_serial_no, or mchid is wrong",
            "PUB_KEY_ID_0119000001092024112700000000000001 5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
        ] {
            assert_eq!(secrets(keep), keep);
        }
    }

    #[test]
    fn url_user_information_is_hidden() {
        assert_eq!(
            url("http://alice:s3cret@proxy.corp:3128"),
            "http://***@proxy.corp:3128"
        );
        assert_eq!(url("socks5://u@h:1/x@y"), "socks5://***@y");
        assert_eq!(
            url("http://alice:S3cret/PW@127.0.0.1:18090"),
            "http://***@127.0.0.1:18090"
        );
        assert_eq!(url("alice:S3cretPW@127.0.0.1:18090"), "***@127.0.0.1:18090");
        assert_eq!(url("http://proxy:3128"), "http://proxy:3128");
        assert_eq!(url("not a url"), "not a url");
    }
}
