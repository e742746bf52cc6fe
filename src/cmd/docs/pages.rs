//! The man pages' words beyond the clap definition: a longer description,
//! FILES, and EXAMPLES for each page (`""` is wxcoupon.1, `"certificates
//! list"` wxcoupon-certificates-list.1).

/// Paragraphs after the command's one-line summary.
pub fn description(path: &str) -> &'static [&'static str] {
    match path {
        "" => &[
            "wxcoupon returns used WeChat Pay merchant coupons to their users' wallets through \
             the coupon return API, one at a time or a file at a time, and says exactly what \
             happened: to a person in a terminal, and to a script through the exit code and \
             --json. Nothing is sent before the flags, the profile and both keys are checked, \
             and a return is said to have succeeded only from an answer whose signature was \
             verified.",
            "The merchant's values (merchant id, certificate serial, key files) come from a \
             profile of the config file; wxcoupon doctor checks one offline. Each command's \
             --help lists the global options it honours; the others are refused (exit 2).",
        ],
        "return" => &[
            "Without --request-no, a unique request number is generated and shown, so that the \
             same return can be repeated safely: WeChat Pay never returns a coupon twice for one \
             request number. After exit 4 (no definitive answer), repeat the same command with \
             --request-no NO --resume.",
            "With --batch FILE, every row of a CSV file (a header naming coupon_code, stock_id \
             and optionally return_request_no) or a JSON Lines file is returned, in parallel and \
             paced, one line per row on stdout as each finishes. A journal records each row \
             before it is sent: an interrupted batch, run again, resumes, and sends nothing \
             twice.",
        ],
        "certificates" | "certificates download" | "certificates list" => &[
            "For merchants that verify WeChat Pay's answers with platform certificates (registered \
             before the WeChat Pay public key), or are switching to the public key: the profile's \
             platform_certificates_dir holds them. A download is checked whole (decrypted under \
             the APIv3 key, its signature verified) and written whole, or not at all.",
        ],
        "emulator" => &[
            "It authenticates requests and applies the return API's rules as WeChat Pay documents \
             them, signs every answer with a sample key that signs nothing real, and prints a \
             profile that points at it. For trying wxcoupon and for CI smoke checks; it is not a \
             WeChat Pay sandbox.",
        ],
        _ => &[],
    }
}

/// The files wxcoupon reads and writes: (where, what).
pub const FILES: &[(&str, &str)] = &[
    (
        "~/.config/wxcoupon/config.toml",
        "The config file, unless --config or WXCOUPON_CONFIG names another; \
         $XDG_CONFIG_HOME/wxcoupon/config.toml when XDG_CONFIG_HOME is set. TOML, one \
         [profile.NAME] table per merchant; wxcoupon config example prints an example to start \
         from. Relative paths in it are read from its folder.",
    ),
    (
        "FILE.journal",
        "The journal of return --batch FILE, beside the input unless --journal names another: \
         append-only JSON Lines recording each row before it is sent and its outcome after. It \
         is what makes a batch safe to interrupt and run again; keep it until the batch is done.",
    ),
    (
        "platform_certificates_dir",
        "The profile's folder of WeChat Pay platform certificates, one SERIAL.pem each, with \
         WeChat Pay's dates for it in SERIAL.json; wxcoupon certificates download writes it.",
    ),
];

/// (what it does, the command: lines of at most 66 characters, which fit an
/// 80-column terminal where the page indents them).
type Example = (&'static str, &'static str);

const RETURN: &[Example] = &[
    (
        "Print the signed request for a return, and send nothing:",
        "wxcoupon return --code 8731 --stock 1265 --dry-run",
    ),
    (
        "Return a coupon, with a request number of your own (safe to repeat):",
        "wxcoupon return --code 8731 --stock 1265 --request-no R1",
    ),
    (
        "After exit 4, repeat that very return:",
        "wxcoupon return --code 8731 --stock 1265 --request-no R1 --resume",
    ),
    (
        "Return every coupon of a CSV file (run it again to resume):",
        "wxcoupon return --batch refunds.csv",
    ),
    (
        "A batch from stdin, one JSON line per row on stdout:",
        "wxcoupon return --json --batch - --journal b.journal < rows.jsonl",
    ),
];

const DOWNLOAD: &[Example] = &[(
    "Download the platform certificates of the profile prod:",
    "wxcoupon --profile prod certificates download",
)];

const LIST: &[Example] = &[(
    "List them, offline, as JSON:",
    "wxcoupon certificates list --json",
)];

const CONFIG_EXAMPLE: &[Example] = &[(
    "Start the config file at its default location, then edit it:",
    "mkdir -p ~/.config/wxcoupon\nwxcoupon config example > ~/.config/wxcoupon/config.toml",
)];

const HISTORY: &[Example] = &[
    (
        "Who returned this coupon, and when:",
        "wxcoupon history --code COUPON-USED-1",
    ),
    (
        "This month's returns that are still open, as JSON Lines:",
        "wxcoupon history --since 2026-12-01 --outcome unknown --json",
    ),
];

/// The examples of the page of `path`.
pub fn examples(path: &str) -> Vec<Example> {
    let some: &[&[Example]] = match path {
        "" => &[
            CONFIG_EXAMPLE,
            &[("Check the profile offline:", "wxcoupon doctor")],
            &RETURN[..2],
            &[(
                "Say what an error code means:",
                "wxcoupon explain RULE_LIMIT",
            )],
        ],
        "return" => &[RETURN],
        "certificates" => &[DOWNLOAD, LIST],
        "certificates download" => &[DOWNLOAD],
        "certificates list" => &[LIST],
        "explain" => &[&[
            (
                "Say what an error code means:",
                "wxcoupon explain RULE_LIMIT",
            ),
            (
                "The meaning that goes with WeChat Pay's message, as JSON:",
                "wxcoupon explain RULE_LIMIT --message 券已不在使用有效期 --json",
            ),
        ]],
        "sign" => &[&[(
            "Sign a request with the profile's key, as WeChat Pay would check it:",
            "wxcoupon sign --method GET --url /v3/certificates",
        )]],
        "verify" => &[&[(
            "Check an answer's signature with the profile's WeChat Pay public key:",
            "wxcoupon verify --timestamp 1700000000 --nonce NONCE \\\n    \
             --signature BASE64 --body-file answer.json",
        )]],
        "completions" => &[&[
            (
                "Bash (bash-completion loads it when wxcoupon is first completed):",
                "d=~/.local/share/bash-completion/completions\n\
                 mkdir -p $d && wxcoupon completions bash > $d/wxcoupon",
            ),
            (
                "Zsh (~/.zfunc must be on $fpath, set before compinit runs):",
                "mkdir -p ~/.zfunc && wxcoupon completions zsh > ~/.zfunc/_wxcoupon",
            ),
            (
                "Fish:",
                "d=~/.config/fish/completions\n\
                 mkdir -p $d && wxcoupon completions fish > $d/wxcoupon.fish",
            ),
        ]],
        "emulator" => &[&[
            (
                "Serve on a fixed port, as the profile's merchant:",
                "wxcoupon emulator --listen 127.0.0.1:8090",
            ),
            (
                "Answer the next two requests with 500, then normally:",
                "wxcoupon emulator --fault 500:2",
            ),
        ]],
        "demo" => &[&[("See the whole flow, nothing real:", "wxcoupon demo")]],
        "history" => &[HISTORY],
        "doctor" => &[&[
            ("Check the default profile:", "wxcoupon doctor"),
            (
                "Check the profile prod, as JSON:",
                "wxcoupon --profile prod doctor --json",
            ),
        ]],
        "config" | "config example" => &[CONFIG_EXAMPLE],
        _ => &[],
    };
    some.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every page has examples, and each command line fits.
    #[test]
    fn every_page_has_examples_that_fit() {
        let mut cli = <crate::cli::Cli as clap::CommandFactory>::command();
        cli.build();
        let mut paths = vec![String::new()];
        for sub in cli.get_subcommands().filter(|s| !s.is_hide_set()) {
            if sub.get_name() == "help" {
                continue;
            }
            paths.push(sub.get_name().to_string());
            for leaf in sub.get_subcommands().filter(|s| s.get_name() != "help") {
                paths.push(format!("{} {}", sub.get_name(), leaf.get_name()));
            }
        }
        for path in &paths {
            let examples = examples(path);
            assert!(!examples.is_empty(), "no examples for {path:?}");
            for (_, command) in examples {
                for line in command.lines() {
                    assert!(line.chars().count() <= 66, "{path:?}: {line}");
                }
            }
        }
    }
}
