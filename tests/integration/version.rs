//! `--version` names the release and the commit the binary was built from;
//! `--version --json` says the same as one object. The commit and its date
//! are read here from git, independently of build.rs; without a git
//! checkout both must say "unknown".

use std::process::Command;

use crate::common::{run, wxcoupon};

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[test]
fn version_names_the_release_and_the_commit_in_text_and_json() {
    let home = tempfile::tempdir().unwrap();
    let json = run(wxcoupon(home.path()).args(["--version", "--json"]));
    assert_eq!((json.code, json.stderr.as_str()), (0, ""));
    let v = json.json();
    // Whether the tree differed from the commit is build.rs's reading at
    // build time; the text and the JSON must agree on it.
    let modified = v["modified"].as_bool();
    let commit = git(&["rev-parse", "HEAD"]);
    let date = git(&["show", "-s", "--format=%cs", "HEAD"]);
    let expected = serde_json::json!({
        "name": "wxcoupon",
        "version": env!("CARGO_PKG_VERSION"),
        "commit": commit,
        "commit_date": date,
        "modified": modified,
        "target": "x86_64-unknown-linux-gnu",
        "linkage": "dynamic",
    });
    assert_eq!(v, expected);
    let line = match (&commit, &date) {
        (Some(c), Some(d)) => {
            let mark = if modified == Some(true) {
                "-modified"
            } else {
                ""
            };
            format!(
                "wxcoupon {} ({}{mark} {d})\n",
                env!("CARGO_PKG_VERSION"),
                &c[..12]
            )
        }
        _ => format!("wxcoupon {} (commit unknown)\n", env!("CARGO_PKG_VERSION")),
    };
    // clap names a command's version by its path: `wxcoupon-return 0.1.0 …`.
    for (args, name) in [
        (&["--version"][..], "wxcoupon"),
        (&["-V"], "wxcoupon"),
        (&["return", "--version"], "wxcoupon-return"),
    ] {
        let text = run(wxcoupon(home.path()).args(args));
        let line = line.replacen("wxcoupon", name, 1);
        assert_eq!(
            (text.code, text.stdout.as_str(), text.stderr.as_str()),
            (0, line.as_str(), ""),
            "{args:?}"
        );
    }
    // `--json` before `--version`, and after a subcommand, is the same object.
    for args in [&["--json", "-V"][..], &["return", "--version", "--json"]] {
        let again = run(wxcoupon(home.path()).args(args));
        assert_eq!(
            (again.code, again.json()),
            (0, expected.clone()),
            "{args:?}"
        );
    }
    // After `--`, `--json` is an argument, not the flag.
    let after = run(wxcoupon(home.path()).args(["--version", "--", "--json"]));
    assert_eq!((after.code, after.stdout), (0, line));
}
