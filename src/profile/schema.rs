//! What a config file may hold, checked on the TOML table before anything
//! is deserialized, so that every problem of the file is found in one pass
//! and said in plain words: unknown keys (with the known ones and a
//! did-you-mean), values of the wrong type ("a whole number of seconds, not
//! text"), missing required keys. Values are never quoted here.

use toml::de::{DeTable, DeValue};

/// What a key holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    /// true or false.
    Bool,
    /// A whole number of at most this.
    Number(u64),
}

/// The keys a `[profile.NAME]` table may have (`RawProfile` follows it).
pub const PROFILE_KEYS: &[&str] = &[
    "mchid",
    "merchant_serial_no",
    "private_key_file",
    "wechatpay_public_key_id",
    "wechatpay_public_key_file",
    "platform_certificates_dir",
    "apiv3_key_file",
    "base_url",
    "backup_base_url",
    "timeout_secs",
    "retries",
    "proxy",
    "ca_file",
    "ledger",
    "ledger_dir",
];

/// What a key of `PROFILE_KEYS` holds, and what it is (for messages).
fn kind_of(key: &str) -> Option<(Kind, &'static str)> {
    Some(match key {
        "mchid" => (Kind::Text, "the merchant id (商户号)"),
        "merchant_serial_no" => (Kind::Text, "the merchant API certificate's serial number"),
        "wechatpay_public_key_id" => (Kind::Text, "PUB_KEY_ID_…"),
        "private_key_file" | "wechatpay_public_key_file" | "apiv3_key_file" | "ca_file" => {
            (Kind::Text, "a file name")
        }
        "platform_certificates_dir" | "ledger_dir" => (Kind::Text, "a folder name"),
        "ledger" => (Kind::Bool, "whether returns are recorded in the ledger"),
        "base_url" | "backup_base_url" | "proxy" => (Kind::Text, "a URL"),
        "timeout_secs" => (Kind::Number(u64::MAX), "a whole number of seconds"),
        "retries" => (Kind::Number(u64::from(u32::MAX)), "a whole number"),
        _ => return None,
    })
}

/// The keys a profile must have.
const REQUIRED: &[&str] = &["mchid", "merchant_serial_no"];

fn profile_keys() -> impl Iterator<Item = &'static str> {
    PROFILE_KEYS.iter().copied()
}

/// A problem of the file: its line, and what is wrong.
pub struct Problem {
    pub line: usize,
    pub what: String,
    /// A value of the wrong type, or a required key missing: the file
    /// cannot be deserialized as it is.
    pub blocks: bool,
    /// About the key on that line alone: without that line, the rest of the
    /// file can still be read (and its other problems found).
    pub on_its_line: bool,
}

/// Every problem of the table `text` parsed to, in file order.
pub fn problems(text: &str, table: &DeTable<'_>) -> Vec<Problem> {
    let line = |at: usize| text[..at.min(text.len())].matches('\n').count() + 1;
    let mut found = Vec::new();
    for (k, v) in table.iter() {
        let at = line(k.span().start);
        match &**k.get_ref() {
            "default_profile" => {
                if !matches!(v.get_ref(), DeValue::String(_)) {
                    found.push(wrong(
                        at,
                        "default_profile",
                        "a profile's name",
                        "text in quotes",
                        v.get_ref(),
                    ));
                }
            }
            "profile" => match v.get_ref().as_table() {
                Some(profiles) => {
                    for (name, p) in profiles.iter() {
                        let at = line(name.span().start);
                        match p.get_ref().as_table() {
                            Some(p) => profile(name.get_ref(), at, p, &line, &mut found),
                            None => found.push(Problem {
                                line: at,
                                what: format!(
                                    "profile.{} must be a table: [profile.{}] with its keys below",
                                    name.get_ref(),
                                    name.get_ref()
                                ),
                                blocks: true,
                                on_its_line: true,
                            }),
                        }
                    }
                }
                None => found.push(Problem {
                    line: at,
                    what: "`profile` must be a table of profiles: [profile.NAME]".into(),
                    blocks: true,
                    on_its_line: true,
                }),
            },
            other => found.push(Problem {
                line: at,
                what: format!(
                    "`{other}` is not a known top-level key (default_profile, profile){}",
                    did_you_mean(other, ["default_profile", "profile"].into_iter())
                ),
                blocks: false,
                on_its_line: true,
            }),
        }
    }
    found.sort_by_key(|p| p.line);
    found
}

/// One `[profile.NAME]` table's keys.
fn profile(
    name: &str,
    at: usize,
    table: &DeTable<'_>,
    line: &dyn Fn(usize) -> usize,
    found: &mut Vec<Problem>,
) {
    for (k, v) in table.iter() {
        let key = &**k.get_ref();
        let at = line(k.span().start);
        let field = format!("profile.{name}.{key}");
        match kind_of(key) {
            None => found.push(Problem {
                line: at,
                what: format!(
                    "{field} is not a known key{}; a profile may have: {}",
                    did_you_mean(key, profile_keys()),
                    profile_keys().collect::<Vec<_>>().join(", ")
                ),
                blocks: false,
                on_its_line: true,
            }),
            Some((Kind::Text, what)) => {
                if !matches!(v.get_ref(), DeValue::String(_)) {
                    found.push(wrong(at, &field, what, "text in quotes", v.get_ref()));
                }
            }
            Some((Kind::Bool, what)) => {
                if !matches!(v.get_ref(), DeValue::Boolean(_)) {
                    found.push(wrong(at, &field, what, "true or false", v.get_ref()));
                }
            }
            Some((Kind::Number(max), what)) => match v.get_ref() {
                DeValue::Integer(i) => match i.as_str().parse::<i128>() {
                    Ok(n) if n < 0 => found.push(Problem {
                        line: at,
                        what: format!("{field} must be {what}, not negative"),
                        blocks: true,
                        on_its_line: true,
                    }),
                    Ok(n) if n > i128::from(max) => found.push(Problem {
                        line: at,
                        what: format!("{field} is far too large for {what}"),
                        blocks: true,
                        on_its_line: true,
                    }),
                    Ok(_) => {}
                    Err(_) => found.push(Problem {
                        line: at,
                        what: format!("{field} must be {what} written in digits (10, not 0xA)"),
                        blocks: true,
                        on_its_line: true,
                    }),
                },
                other => found.push(wrong(at, &field, what, "a number without quotes", other)),
            },
        }
    }
    for key in REQUIRED
        .iter()
        .filter(|k| !table.iter().any(|(have, _)| have.get_ref() == **k))
    {
        let what = kind_of(key).map_or("", |(_, what)| what);
        found.push(Problem {
            line: at,
            what: format!("profile.{name} has no {key} ({what}); every profile needs one"),
            blocks: true,
            on_its_line: false,
        });
    }
}

fn wrong(line: usize, field: &str, what: &str, form: &str, value: &DeValue<'_>) -> Problem {
    let got = match value {
        DeValue::String(_) => "text",
        DeValue::Integer(_) | DeValue::Float(_) => "a number",
        DeValue::Boolean(_) => "true or false",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "a list",
        DeValue::Table(_) => "a table",
    };
    Problem {
        line,
        what: format!("{field} must be {what}, {form}, not {got}"),
        blocks: true,
        on_its_line: true,
    }
}

/// ` (did you mean timeout_secs?)` for a key a typo away from a known one.
fn did_you_mean<'a>(key: &str, known: impl Iterator<Item = &'a str>) -> String {
    known
        .map(|k| (distance(key, k), k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min()
        .map(|(_, k)| format!(" (did you mean {k}?)"))
        .unwrap_or_default()
}

/// Levenshtein distance, for did-you-mean.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(here + 1);
            prev = here;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(text: &str) -> Vec<String> {
        let table = DeTable::parse(text).unwrap();
        problems(text, table.get_ref())
            .into_iter()
            .map(|p| format!("line {}: {}", p.line, p.what))
            .collect()
    }

    #[test]
    fn every_problem_is_found_in_one_pass_in_plain_words() {
        let text = "[profile.shop]\nmchid = \"1\"\nmerchant_serial_no = \"AB\"\ntimout_secs = 10\n\
                    timeout_secs = \"10\"\nretries = -1\nproxy = 8080\n[profile.other]\nmchid = 1\n";
        let keys = profile_keys().collect::<Vec<_>>().join(", ");
        assert_eq!(
            said(text),
            [
                format!(
                    "line 4: profile.shop.timout_secs is not a known key (did you mean \
                     timeout_secs?); a profile may have: {keys}"
                ),
                "line 5: profile.shop.timeout_secs must be a whole number of seconds, a number \
                 without quotes, not text"
                    .to_string(),
                "line 6: profile.shop.retries must be a whole number, not negative".to_string(),
                "line 7: profile.shop.proxy must be a URL, text in quotes, not a number".to_string(),
                "line 8: profile.other has no merchant_serial_no (the merchant API certificate's \
                 serial number); every profile needs one"
                    .to_string(),
                "line 9: profile.other.mchid must be the merchant id (商户号), text in quotes, not \
                 a number"
                    .to_string(),
            ]
        );
    }

    #[test]
    fn every_key_has_a_kind() {
        for key in PROFILE_KEYS {
            assert!(kind_of(key).is_some(), "{key}");
        }
    }

    #[test]
    fn a_clean_file_has_no_problem_and_a_far_key_no_suggestion() {
        let text = "default_profile = \"shop\"\n[profile.shop]\nmchid = \"1\"\nmerchant_serial_no = \"AB\"\ntimeout_secs = 10\n";
        assert!(said(text).is_empty());
        assert_eq!(did_you_mean("colour", profile_keys()), "");
        assert_eq!(
            did_you_mean("mchld", profile_keys()),
            " (did you mean mchid?)"
        );
    }
}
