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
present, 5 > 4 > 3 > 2 (an interrupted batch is at least 4).

Config: --config FILE, else $WXCOUPON_CONFIG, else
$XDG_CONFIG_HOME/wxcoupon/config.toml (default ~/.config/wxcoupon/config.toml).";

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
        for kind in [
            Kind::Returned,
            Kind::DryRun,
            Kind::Invalid,
            Kind::Rejected,
            Kind::Unknown,
            Kind::Unverified,
            Kind::Internal,
        ] {
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
