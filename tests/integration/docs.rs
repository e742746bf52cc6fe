//! What the person at the terminal reads: each command's `--help` lists the
//! global flags it honours and no other; the man pages; the completions.

use crate::common::*;

/// Each command, arguments that satisfy clap, and the global flags it honours
/// (`--config`, `--profile`, `--json`, `-v`): the promise of README's "Other
/// commands".
const COMMANDS: &[(&str, &[&str], [bool; 4])] = &[
    ("return", &["--code", "C", "--stock", "1"], [true; 4]),
    ("certificates download", &[], [true; 4]),
    ("certificates list", &[], [true, true, true, false]),
    ("explain", &["RULE_LIMIT"], [false, false, true, false]),
    ("sign", &["--url", "/x"], [true, true, true, false]),
    (
        "verify",
        &["--timestamp", "1", "--nonce", "n", "--signature", "AAAA"],
        [true, true, true, false],
    ),
    ("completions", &["bash"], [false; 4]),
    ("emulator", &[], [true, true, true, false]),
    ("demo", &[], [false, false, true, true]),
    ("doctor", &[], [true, true, true, false]),
    ("config example", &[], [false; 4]),
];

const FLAGS: [(&str, &[&str], &str); 4] = [
    ("--config", &["--config", "c.toml"], "--config <FILE>"),
    ("--profile", &["--profile", "p"], "--profile <NAME>"),
    ("--json", &["--json"], "--json"),
    ("-v", &["-v"], "-v, --verbose"),
];

/// `--help` lists a global flag exactly where it is honoured; elsewhere the
/// flag is refused with a reason (exit 2), before or after the command.
#[test]
fn help_lists_the_global_flags_each_command_honours_and_the_others_are_refused() {
    let h = tempfile::tempdir().unwrap();
    for (command, args, honours) in COMMANDS {
        let words: Vec<&str> = command.split(' ').collect();
        let help = run(wxcoupon(h.path()).args(&words).arg("--help"));
        assert_eq!(help.code, 0, "{command}: {}", help.stderr);
        for ((flag, given, listed), honoured) in FLAGS.iter().zip(honours) {
            assert_eq!(
                help.stdout.contains(&format!("  {listed}")),
                *honoured,
                "{command} --help and {flag}:\n{}",
                help.stdout
            );
            if *honoured {
                continue;
            }
            for before in [true, false] {
                let mut c = wxcoupon(h.path());
                if before {
                    c.args(*given).args(&words).args(*args);
                } else {
                    c.args(&words).args(*args).args(*given);
                }
                let out = run(&mut c);
                let said = format!("{flag} does not apply to `wxcoupon {command}`: ");
                assert_eq!(out.code, 2, "{command} {flag}: {}", out.stderr);
                if *flag == "--json" {
                    assert!(out.json()["message"].as_str().unwrap().starts_with(&said));
                } else {
                    assert!(
                        out.stderr.starts_with(&format!("wxcoupon: error: {said}")),
                        "{command} {flag}: {}",
                        out.stderr
                    );
                }
            }
        }
    }
}

/// The `-v` refusal names the commands that take it, as README says them.
#[test]
fn the_v_refusal_and_the_readme_name_the_same_commands() {
    let h = tempfile::tempdir().unwrap();
    let out = run(wxcoupon(h.path()).args(["explain", "RULE_LIMIT", "-v"]));
    let named = out
        .stderr
        .split_once("the requests that ")
        .and_then(|(_, rest)| rest.split_once(" send,"))
        .map(|(named, _)| named)
        .unwrap_or_else(|| panic!("{}", out.stderr));
    let honouring: Vec<&str> = COMMANDS
        .iter()
        .filter(|(_, _, honours)| honours[3])
        .map(|(command, _, _)| *command)
        .collect();
    assert_eq!(named, "`return`, `certificates download` and `demo`");
    assert_eq!(honouring, ["return", "certificates download", "demo"]);
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let readme = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        readme.contains(&format!("`-v` with every command but {named}")),
        "README does not say that -v is for {named}"
    );
}

/// `wxcoupon config example` prints `config.example.toml`, byte for byte: an
/// installed wxcoupon can start a config file without its sources.
#[test]
fn config_example_prints_the_example_file() {
    let h = tempfile::tempdir().unwrap();
    let out = run(wxcoupon(h.path()).args(["config", "example"]));
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    let file = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml")).unwrap();
    assert_eq!(out.stdout.as_bytes(), file.as_slice());
}
