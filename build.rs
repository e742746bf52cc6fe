//! What `wxcoupon --version` says about the build: the commit it was built
//! from, that commit's date, whether the working tree differed from it, and
//! the target. Read from git when the source is a git checkout; from
//! `WXCOUPON_BUILD_COMMIT` and `WXCOUPON_BUILD_DATE` when a packager builds
//! from a source archive (no `.git`); otherwise "unknown", never a guess.

use std::path::Path;
use std::process::Command;

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let root = Path::new(&root);
    for var in ["WXCOUPON_BUILD_COMMIT", "WXCOUPON_BUILD_DATE"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    let given = std::env::var("WXCOUPON_BUILD_COMMIT").ok();
    let (commit, date, modified) = match given {
        Some(commit) => (
            Some(commit),
            std::env::var("WXCOUPON_BUILD_DATE").ok(),
            None,
        ),
        None => from_git(root),
    };
    let commit = commit.filter(|c| {
        let ok = c.len() == 40 && c.bytes().all(|b| b.is_ascii_hexdigit());
        if !ok {
            println!("cargo:warning=WXCOUPON_BUILD_COMMIT {c:?} is not a 40-hex commit: --version says unknown");
        }
        ok
    });
    let date = date.filter(|d| {
        if !is_date(d) {
            println!(
                "cargo:warning=WXCOUPON_BUILD_DATE {d:?} is not YYYY-MM-DD: --version leaves it out"
            );
        }
        is_date(d)
    });
    // One line, as cargo and rustc say theirs: `0.1.0 (1a2b3c4d5e6f 2026-12-03)`.
    let version = env("CARGO_PKG_VERSION");
    let line = match &commit {
        Some(c) => {
            let mark = if modified == Some(true) {
                "-modified"
            } else {
                ""
            };
            let date = date.as_deref().map(|d| format!(" {d}")).unwrap_or_default();
            format!("{version} ({}{mark}{date})", &c[..12])
        }
        None => format!("{version} (commit unknown)"),
    };
    println!("cargo:rustc-env=WXCOUPON_VERSION_LINE={line}");
    println!(
        "cargo:rustc-env=WXCOUPON_COMMIT={}",
        commit.unwrap_or_default()
    );
    println!(
        "cargo:rustc-env=WXCOUPON_COMMIT_DATE={}",
        date.unwrap_or_default()
    );
    let modified = match modified {
        Some(true) => "true",
        Some(false) => "false",
        None => "",
    };
    println!("cargo:rustc-env=WXCOUPON_MODIFIED={modified}");
    println!("cargo:rustc-env=WXCOUPON_TARGET={}", env("TARGET"));
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_default()
}

/// The commit, its date, and whether tracked or untracked (not ignored)
/// files differ from it. Reruns when HEAD moves, the index changes, or a
/// file that goes into the binary changes.
fn from_git(root: &Path) -> (Option<String>, Option<String>, Option<bool>) {
    let Some(git_dir) = git(root, &["rev-parse", "--absolute-git-dir"]) else {
        return (None, None, None);
    };
    let common = git(
        root,
        &["rev-parse", "--path-format=absolute", "--git-common-dir"],
    )
    .unwrap_or_else(|| git_dir.clone());
    let watched = [
        format!("{git_dir}/HEAD"),
        format!("{git_dir}/index"),
        format!("{common}/refs"),
        format!("{common}/packed-refs"),
    ];
    let ours = ["src", "build.rs", "Cargo.toml", "Cargo.lock"].map(|p| root.join(p));
    for path in watched
        .iter()
        .map(Path::new)
        .chain(ours.iter().map(|p| p.as_path()))
    {
        // A path that does not exist would make cargo rerun this every build.
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    let commit = git(root, &["rev-parse", "HEAD"]);
    let date = git(root, &["show", "-s", "--format=%cs", "HEAD"]);
    let modified = git(root, &["status", "--porcelain"]).map(|s| !s.is_empty());
    (commit, date, modified)
}

fn git(root: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn is_date(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}
