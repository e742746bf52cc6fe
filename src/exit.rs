//! The exit codes: one kind per outcome, its code, and the help text that
//! documents them (shown by `--help`, kept beside the codes it describes).

use serde::Serialize;

pub const HELP: &str = "\
Exit codes:
  0  returned    the coupon was returned; the answer's signature was verified
                 (also: --dry-run, sign, explain, completions, a valid verify)
  2  invalid     usage, configuration, key or input error; nothing was sent
  3  rejected    WeChat Pay said no; repeating the same call will not help
  4  unknown     no definitive answer (network, timeout, 429, 5xx, 202,
                 400 SYSTEM_ERROR, RULE_LIMIT under --resume);
                 safe to retry with the same --request-no
  5  unverified  an answer failed signature verification: do not treat it as
                 a success (also: verify found the signature invalid)
  1  internal    a bug in wxcoupon
--batch: 0 when every row ended returned, else the most serious outcome
present, 5 > 4 > 3 > 2 (an interrupted batch is at least 4).";

/// One row of `HELP`'s table: the exit code, the outcome's name, and when
/// (its lines joined).
#[derive(Debug, PartialEq, Eq)]
pub struct Row {
    pub code: u8,
    pub name: &'static str,
    pub when: String,
}

/// `HELP` read back as data (for the man page's EXIT STATUS): the rows of
/// its table, and the paragraphs after it, their lines joined.
pub fn table() -> (Vec<Row>, Vec<String>) {
    let mut lines = HELP.lines().skip(1).peekable();
    let mut rows: Vec<Row> = Vec::new();
    // A row is indented by two spaces, its continuation lines by more.
    while let Some(line) = lines.next_if(|l| l.starts_with("  ")) {
        let row = !line[2..].starts_with(' ');
        let line = line.trim();
        match line.split_once(char::is_whitespace) {
            Some((code, rest)) if row => {
                let rest = rest.trim_start();
                let (name, when) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
                rows.push(Row {
                    code: code.parse().expect("an exit code"),
                    name,
                    when: when.trim().to_string(),
                });
            }
            _ => {
                let row = rows.last_mut().expect("a row before its continuation");
                row.when.push(' ');
                row.when.push_str(line);
            }
        }
    }
    let rest: Vec<&str> = lines.collect();
    let notes = rest
        .split(|l| l.trim().is_empty())
        .filter(|p| !p.is_empty())
        .map(|p| p.join(" "))
        .collect();
    (rows, notes)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Returned,
    DryRun,
    Invalid,
    Rejected,
    Unknown,
    Unverified,
    Internal,
}

impl Kind {
    /// Every kind, in the order of the enum.
    const ALL: [Kind; 7] = [
        Kind::Returned,
        Kind::DryRun,
        Kind::Invalid,
        Kind::Rejected,
        Kind::Unknown,
        Kind::Unverified,
        Kind::Internal,
    ];

    /// The kind a name stands for: the inverse of `name` (a batch journal's
    /// `outcome`, read back). `None` for a name no kind has.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// The outcome's name, as `--json` and the batch journal spell it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Returned => "returned",
            Kind::DryRun => "dry_run",
            Kind::Invalid => "invalid",
            Kind::Rejected => "rejected",
            Kind::Unknown => "unknown",
            Kind::Unverified => "unverified",
            Kind::Internal => "internal",
        }
    }

    /// The documented exit codes.
    pub fn exit_code(self) -> u8 {
        match self {
            Kind::Returned | Kind::DryRun => 0,
            Kind::Internal => 1,
            Kind::Invalid => 2,
            Kind::Rejected => 3,
            Kind::Unknown => 4,
            Kind::Unverified => 5,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_table_reads_back_as_every_kind_with_its_code() {
        let (rows, notes) = table();
        let named: Vec<(u8, &str)> = rows.iter().map(|r| (r.code, r.name)).collect();
        assert_eq!(
            named,
            [
                (0, "returned"),
                (2, "invalid"),
                (3, "rejected"),
                (4, "unknown"),
                (5, "unverified"),
                (1, "internal"),
            ]
        );
        for row in &rows {
            let kind = Kind::from_name(row.name).unwrap();
            assert_eq!(kind.exit_code(), row.code);
            assert!(!row.when.contains("  "), "{}", row.when);
        }
        assert!(
            rows[0].when.ends_with("a valid verify)"),
            "{}",
            rows[0].when
        );
        assert_eq!(notes.len(), 1);
        assert!(notes[0].starts_with("--batch: 0 when every row ended returned"));
    }

    #[test]
    fn exit_codes_are_the_documented_ones() {
        assert_eq!(Kind::Returned.exit_code(), 0);
        assert_eq!(Kind::DryRun.exit_code(), 0);
        assert_eq!(Kind::Internal.exit_code(), 1);
        assert_eq!(Kind::Invalid.exit_code(), 2);
        assert_eq!(Kind::Rejected.exit_code(), 3);
        assert_eq!(Kind::Unknown.exit_code(), 4);
        assert_eq!(Kind::Unverified.exit_code(), 5);
    }

    #[test]
    fn names_are_the_json_ones() {
        for kind in Kind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.name());
        }
    }

    #[test]
    fn from_name_inverts_name_for_every_kind() {
        // A new kind stops this match compiling: add it to `Kind::ALL` too.
        match Kind::Returned {
            Kind::Returned
            | Kind::DryRun
            | Kind::Invalid
            | Kind::Rejected
            | Kind::Unknown
            | Kind::Unverified
            | Kind::Internal => {}
        }
        for kind in Kind::ALL {
            assert_eq!(Kind::from_name(kind.name()), Some(kind));
        }
        for name in ["", "Returned", "returned ", "sent", "dry-run"] {
            assert_eq!(Kind::from_name(name), None, "{name:?}");
        }
    }

    #[test]
    fn the_help_text_names_every_code() {
        for kind in [
            Kind::Returned,
            Kind::Internal,
            Kind::Invalid,
            Kind::Rejected,
            Kind::Unknown,
            Kind::Unverified,
        ] {
            assert!(
                HELP.contains(&format!("  {}  ", kind.exit_code())),
                "{kind:?}"
            );
        }
    }
}
