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

/// Every committed man page (the same as generated: see
/// `committed_man_pages_are_fresh_and_complete`) is a man page: its
/// sections, every environment variable wxcoupon reads, its files; and no
/// line laid out by its own indentation, which man fills into the line
/// before (wxcoupon-return.1 once ran "a bug in wxcoupon --batch: 0 …"
/// together). Rendered with groff too, when it is installed.
#[test]
fn man_pages_have_the_sections_of_a_man_page_and_render_cleanly() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let mut pages: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    pages.sort();
    assert!(pages.len() > 10);
    for page in &pages {
        let name = page.file_name().unwrap().to_string_lossy().into_owned();
        let roff = std::fs::read_to_string(page).unwrap();
        let sections: Vec<&str> = roff
            .lines()
            .filter_map(|l| l.strip_prefix(".SH "))
            .map(|s| s.trim_matches('"'))
            .collect();
        for wanted in [
            "NAME",
            "SYNOPSIS",
            "DESCRIPTION",
            "OPTIONS",
            "EXIT STATUS",
            "ENVIRONMENT",
            "FILES",
            "EXAMPLES",
        ] {
            assert!(
                sections.contains(&wanted),
                "{name} has no {wanted}: {sections:?}"
            );
        }
        assert!(!sections.contains(&"EXTRA"), "{name}");
        let section = |title: &str| -> String {
            roff.split(&format!(".SH {title}\n"))
                .nth(1)
                .map(|rest| rest.split("\n.SH ").next().unwrap().to_string())
                .unwrap_or_default()
        };
        let environment = section("ENVIRONMENT");
        for variable in [
            "WXCOUPON_CONFIG",
            "WXCOUPON_PROFILE",
            "WXCOUPON_PRIVATE_KEY",
            "WXCOUPON_APIV3_KEY",
            "XDG_CONFIG_HOME",
            "HOME",
            "https_proxy, HTTPS_PROXY",
            "http_proxy, HTTP_PROXY",
            "all_proxy, ALL_PROXY",
            "no_proxy, NO_PROXY",
            "TMPDIR",
        ] {
            assert!(
                environment.contains(&format!("\\fB{variable}\\fR")),
                "{name}: ENVIRONMENT lacks {variable}"
            );
        }
        let files = section("FILES");
        for file in ["config.toml", "FILE.journal", "platform_certificates_dir"] {
            assert!(files.contains(file), "{name}: FILES lacks {file}");
        }
        let exit_status = section("\"EXIT STATUS\"");
        for (code, outcome) in [
            (0, "returned"),
            (2, "invalid"),
            (3, "rejected"),
            (4, "unknown"),
            (5, "unverified"),
            (1, "internal"),
        ] {
            assert!(
                exit_status.contains(&format!(".TP\n\\fB{code}\\fR \\fI{outcome}\\fR\n")),
                "{name}: EXIT STATUS lacks {code} {outcome} as an item of its own"
            );
        }
        // Outside .nf (no filling), a text line that starts with white space
        // is laid out by its indentation: man breaks before it and fills
        // the lines after it into it.
        let mut filled = true;
        for line in roff.lines() {
            match line {
                ".nf" => filled = false,
                ".fi" => filled = true,
                _ if filled => assert!(
                    !line.starts_with([' ', '\t']),
                    "{name}: a line laid out by its indentation: {line:?}"
                ),
                _ => {}
            }
        }
    }
    render_with_groff(&pages);
}

/// Each page through groff (with preconv, as man runs it): no warning, and
/// each exit code on a line of its own.
fn render_with_groff(pages: &[std::path::PathBuf]) {
    if std::process::Command::new("groff")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("groff is not installed: the man pages are checked as roff source only");
        return;
    }
    for page in pages {
        let out = std::process::Command::new("groff")
            .args([
                "-k", "-man", "-Tutf8", "-ww", "-rLL=80n", "-P-c", "-P-b", "-P-u",
            ])
            .arg(page)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stderr.is_empty(),
            "{page:?}: {stderr}"
        );
        for outcome in ["0 returned", "2 invalid", "3 rejected", "1 internal"] {
            assert!(
                text.lines().any(|l| l.trim() == outcome),
                "{page:?}: \"{outcome}\" is not a line of its own:\n{text}"
            );
        }
        assert!(!text.contains("a bug in wxcoupon --batch"), "{page:?}");
    }
}
