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
    // Hidden: the man pages; what completion scripts call.
    ("man", &[], [false; 4]),
    ("complete-profiles", &[], [true, false, false, false]),
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
fn the_v_refusal_and_the_reference_name_the_same_commands() {
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
    let reference =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/reference.md")).unwrap();
    let reference = reference.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        reference.contains(&format!("`-v` with every command but {named}")),
        "docs/reference.md does not say that -v is for {named}"
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

/// A config with three profiles: two plain names, and two that completion
/// must not offer (a space; a command substitution a shell would run).
fn profiles_config(dir: &std::path::Path) -> std::path::PathBuf {
    let cfg = dir.join("profiles.toml");
    std::fs::write(
        &cfg,
        format!(
            "[profile.prod]\nmchid = \"1\"\n[profile.staging-2]\nmchid = \"2\"\n\
             [profile.\"two words\"]\nmchid = \"3\"\n\
             [profile.\"$(touch {})\"]\nmchid = \"4\"\n",
            dir.join("ran").display()
        ),
    )
    .unwrap();
    cfg
}

/// `wxcoupon complete-profiles`, which the scripts call: the profile names
/// of the config in use (`--config`, else `$WXCOUPON_CONFIG`, else the
/// default), names only, and silence with exit 0 when there is nothing to read.
#[test]
fn complete_profiles_prints_profile_names_only_and_never_an_error() {
    let h = tempfile::tempdir().unwrap();
    let cfg = profiles_config(h.path());
    let out = run(wxcoupon(h.path())
        .arg("complete-profiles")
        .arg("--config")
        .arg(&cfg));
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "prod\nstaging-2\n", "")
    );
    let out = run(wxcoupon(h.path())
        .env("WXCOUPON_CONFIG", &cfg)
        .arg("complete-profiles"));
    assert_eq!(out.stdout, "prod\nstaging-2\n");
    // The default location.
    let dir = h.path().join(".config/wxcoupon");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(&cfg, dir.join("config.toml")).unwrap();
    let out = run(wxcoupon(h.path()).arg("complete-profiles"));
    assert_eq!(out.stdout, "prod\nstaging-2\n");
    // Key material in the file, even as a profile's name, never comes out;
    // a missing, empty or broken config is silence.
    let pem = std::fs::read_to_string(fixture("merchant_key.pem")).unwrap();
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .flat_map(|l| l.chars().filter(char::is_ascii_alphanumeric))
        .take(80)
        .collect();
    let keyed = h.path().join("keyed.toml");
    std::fs::write(
        &keyed,
        format!("[profile.\"{body}\"]\nmchid = \"1\"\n[profile.ok]\nkey = \"\"\"\n{pem}\"\"\"\n"),
    )
    .unwrap();
    let broken = h.path().join("broken.toml");
    std::fs::write(&broken, "[profile.prod\n").unwrap();
    for (config, printed) in [
        (keyed.as_path(), "ok\n"),
        (broken.as_path(), ""),
        (h.path().join("missing.toml").as_path(), ""),
        (h.path(), ""),
    ] {
        let out = run(wxcoupon(h.path())
            .arg("complete-profiles")
            .arg("--config")
            .arg(config));
        assert_eq!(
            (out.code, out.stdout.as_str(), out.stderr.as_str()),
            (0, printed, ""),
            "{config:?}"
        );
    }
    let out = run(wxcoupon(h.path())
        .env("WXCOUPON_CONFIG", "")
        .arg("complete-profiles"));
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "", "")
    );
}

/// What the committed bash script offers when completing the last word of
/// `words` (the first being the binary), in a bash subprocess.
fn bash_completes(home: &std::path::Path, env: &[(&str, &str)], words: &[&str]) -> Vec<String> {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/wxcoupon.bash");
    let bin = assert_cmd::cargo::cargo_bin("wxcoupon");
    let mut c = std::process::Command::new("bash");
    c.arg("-c")
        .arg(
            r#"source "$0" || exit 9
            COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
            COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
            _wxcoupon "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf '%s\n' "${COMPREPLY[@]}""#,
        )
        .arg(&script)
        .arg(&bin)
        .args(words)
        .current_dir(home)
        .env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// Bash completes `--profile <TAB>` with the profile names of the config in
/// use — `--config` on the command line (before or after the command, with
/// `=` too, `~` for the home folder), else `$WXCOUPON_CONFIG` — never file
/// names, never a name it would have to expand; and it never offers hidden
/// commands or the global flags a command refuses.
#[test]
fn bash_completes_profiles_from_the_config_in_use_and_no_hidden_commands() {
    let h = tempfile::tempdir().unwrap();
    let cfg = profiles_config(h.path());
    let cfg = cfg.to_str().unwrap();
    let both = ["prod", "staging-2"];
    for words in [
        &["--config", cfg, "return", "--profile", ""][..],
        &["return", "--config", cfg, "--profile", ""],
        &["--config", "=", cfg, "doctor", "--profile", ""],
        &[
            "--config=~/profiles.toml",
            "certificates",
            "list",
            "--profile",
            "",
        ],
        &["--config", "~/profiles.toml", "--profile", ""],
    ] {
        assert_eq!(bash_completes(h.path(), &[], words), both, "{words:?}");
    }
    let words = ["return", "--profile", "st"];
    assert_eq!(
        bash_completes(h.path(), &[("WXCOUPON_CONFIG", cfg)], &words),
        ["staging-2"]
    );
    // No config: nothing, not the folder's files.
    assert!(bash_completes(h.path(), &[], &["return", "--profile", ""]).is_empty());
    assert!(!h.path().join("ran").exists(), "a profile's name was run");

    let commands = bash_completes(h.path(), &[], &[""]);
    assert!(commands.contains(&"return".to_string()), "{commands:?}");
    for hidden in ["man", "complete-profiles"] {
        assert!(!commands.contains(&hidden.to_string()), "{commands:?}");
    }
    let explain = bash_completes(h.path(), &[], &["explain", "--"]);
    assert_eq!(explain, ["--message", "--json", "--help", "--version"]);
}

/// Zsh and fish call the same command for `--profile`, on every command that
/// takes it, and offer no hidden command. When the shell is installed, the
/// script is checked by it too (fish: what it completes).
#[test]
fn zsh_and_fish_complete_profiles_with_wxcoupon_and_no_hidden_commands() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    let zsh = std::fs::read_to_string(dir.join("_wxcoupon")).unwrap();
    let fish = std::fs::read_to_string(dir.join("wxcoupon.fish")).unwrap();
    let bash = std::fs::read_to_string(dir.join("wxcoupon.bash")).unwrap();
    let takes = bash.matches("                --profile)\n").count();
    assert!(takes >= 9, "{takes}");
    assert_eq!(bash.matches("_wxcoupon_profiles \"${cur}\"").count(), takes);
    assert!(zsh.starts_with("#compdef wxcoupon\n"));
    assert_eq!(zsh.matches("'--profile=[").count(), takes);
    assert_eq!(zsh.matches(":NAME:_wxcoupon_profiles'").count(), takes);
    assert_eq!(fish.matches(" -l profile ").count(), takes);
    assert_eq!(
        fish.matches(" -r -f -a '(__fish_wxcoupon_profiles)'\n")
            .count(),
        takes
    );
    for script in [&zsh, &fish, &bash] {
        assert!(
            script.contains(" complete-profiles $config 2>/dev/null")
                || script.contains(" complete-profiles \"${config[@]}\" 2>/dev/null")
        );
        assert!(!script.contains("subcommand complete-profiles") && !script.contains("man:"));
    }
    assert!(!zsh.contains("'man:") && !zsh.contains("(man)"));
    assert!(!fish.contains("-a \"man\"") && !fish.contains("-a \"complete-profiles\""));

    let present = |shell: &str| {
        std::process::Command::new(shell)
            .arg("--version")
            .output()
            .is_ok()
    };
    if present("zsh") {
        let out = std::process::Command::new("zsh")
            .arg("-n")
            .arg(dir.join("_wxcoupon"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    } else {
        eprintln!("zsh is not installed: its script is checked as text only");
    }
    if !present("fish") {
        eprintln!("fish is not installed: its script is checked as text only");
        return;
    }
    let h = tempfile::tempdir().unwrap();
    let cfg = profiles_config(h.path());
    let bin = assert_cmd::cargo::cargo_bin("wxcoupon");
    // After the command, and before it (a global option still waiting for
    // its value, which clap_complete's fish script took for a command).
    for line in ["return --profile ", "--profile "] {
        let out = std::process::Command::new("fish")
            .arg("--no-config")
            .arg("-c")
            .arg(format!(
                "source {}; complete -C '{} --config ~/profiles.toml {line}'",
                dir.join("wxcoupon.fish").display(),
                bin.display()
            ))
            .arg(&cfg)
            .env_clear()
            .env("HOME", h.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .output()
            .unwrap();
        let offered: Vec<&str> = std::str::from_utf8(&out.stdout)
            .unwrap()
            .lines()
            .map(|l| l.split('\t').next().unwrap())
            .collect();
        assert_eq!(
            offered,
            ["prod", "staging-2"],
            "{line:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
