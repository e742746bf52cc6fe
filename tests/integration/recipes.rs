//! The CI recipes under examples/ (a GitHub Actions workflow, a GitLab CI job),
//! run the way their CI runs them: the steps in order, each in its own bash
//! (GitHub) or the job's scripts in one sh (GitLab), against a copy of the
//! release served on 127.0.0.1, so that the download and checksum lines run
//! too. A tampered binary must stop the install, and nothing be returned.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use yaml_rust2::{Yaml, YamlLoader};

use crate::common::run;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn binary_name() -> String {
    format!("wxcoupon-{VERSION}-linux-x86_64")
}

fn recipe(name: &str) -> Yaml {
    let path = crate::examples::examples().join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        !text.contains("${{"),
        "{name}: no expressions in the recipe"
    );
    YamlLoader::load_from_str(&text).unwrap().remove(0)
}

/// A release as dist.sh lays it out (the binary and its `.sha256`), under
/// `v{VERSION}/`, served over HTTP on 127.0.0.1 until dropped.
struct Release {
    _dir: tempfile::TempDir,
    server: Arc<tiny_http::Server>,
    thread: Option<std::thread::JoinHandle<()>>,
    url: String,
}

impl Release {
    /// `tampered`: the binary served is not the one its checksum names.
    fn serve(tampered: bool) -> Release {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join(format!("v{VERSION}"));
        std::fs::create_dir(&folder).unwrap();
        let mut bytes = std::fs::read(assert_cmd::cargo::cargo_bin("wxcoupon")).unwrap();
        let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
        let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        if tampered {
            bytes.push(0);
        }
        let name = binary_name();
        std::fs::write(folder.join(&name), bytes).unwrap();
        std::fs::write(
            folder.join(format!("{name}.sha256")),
            format!("{hex}  {name}\n"),
        )
        .unwrap();
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let url = format!("http://{}", server.server_addr().to_ip().unwrap());
        let root = dir.path().to_path_buf();
        let serving = Arc::clone(&server);
        let thread = std::thread::spawn(move || {
            for request in serving.incoming_requests() {
                let file = request
                    .url()
                    .strip_prefix('/')
                    .filter(|p| !p.split('/').any(|part| part == ".." || part.is_empty()))
                    .map(|p| root.join(p));
                let _ = match file.and_then(|f| std::fs::read(f).ok()) {
                    Some(body) => request.respond(tiny_http::Response::from_data(body)),
                    None => request.respond(tiny_http::Response::empty(404)),
                };
            }
        });
        Release {
            _dir: dir,
            server,
            thread: Some(thread),
            url,
        }
    }
}

impl Drop for Release {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn strings(map: &Yaml) -> BTreeMap<String, String> {
    let Some(hash) = map.as_hash() else {
        return BTreeMap::new();
    };
    hash.iter()
        .map(|(k, v)| {
            let v = match v {
                Yaml::String(s) => s.clone(),
                Yaml::Integer(i) => i.to_string(),
                other => panic!("{other:?} is not a string"),
            };
            (k.as_str().unwrap().to_string(), v)
        })
        .collect()
}

/// The releases and version the recipe names: its version must be this one.
fn with_local_releases(vars: &mut BTreeMap<String, String>, release: &Release) {
    assert_eq!(
        vars.get("WXCOUPON_VERSION").map(String::as_str),
        Some(VERSION)
    );
    let releases = vars.get_mut("WXCOUPON_RELEASES").unwrap();
    assert!(releases.starts_with("https://"), "{releases}");
    *releases = release.url.clone();
}

/// What a GitHub-hosted runner gives a step: a workspace, HOME, RUNNER_TEMP,
/// and the GITHUB_ENV and GITHUB_PATH files later steps read.
struct Runner {
    workspace: tempfile::TempDir,
    home: tempfile::TempDir,
    temp: tempfile::TempDir,
    files: tempfile::TempDir,
}

impl Runner {
    fn new() -> Runner {
        let dir = || tempfile::tempdir().unwrap();
        let runner = Runner {
            workspace: dir(),
            home: dir(),
            temp: dir(),
            files: dir(),
        };
        for f in ["env", "path"] {
            std::fs::write(runner.files.path().join(f), "").unwrap();
        }
        runner
    }

    fn file(&self, name: &str) -> PathBuf {
        self.files.path().join(name)
    }

    /// `NAME=value` lines written to GITHUB_ENV by earlier steps.
    fn exported(&self) -> Vec<(String, String)> {
        std::fs::read_to_string(self.file("env"))
            .unwrap()
            .lines()
            .map(|l| {
                let (k, v) = l.split_once('=').unwrap();
                (k.to_string(), v.to_string())
            })
            .collect()
    }

    /// PATH: folders added through GITHUB_PATH first, the last added first.
    fn path(&self) -> String {
        let added = std::fs::read_to_string(self.file("path")).unwrap();
        let mut parts: Vec<&str> = added.lines().rev().collect();
        parts.extend(["/usr/bin", "/bin"]);
        parts.join(":")
    }

    fn step(&self, script: &str, env: &BTreeMap<String, String>) -> crate::common::Out {
        let mut cmd = assert_cmd::Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
            .env_clear()
            .current_dir(self.workspace.path())
            .env("PATH", self.path())
            .env("HOME", self.home.path())
            .env("RUNNER_TEMP", self.temp.path())
            .env("GITHUB_ENV", self.file("env"))
            .env("GITHUB_PATH", self.file("path"));
        cmd.envs(env).envs(self.exported());
        run(&mut cmd)
    }
}

/// Runs the workflow's one job as a runner would: a failed step skips the
/// rest but for `if: always()`. Each step's name, exit code, stdout and
/// stderr.
fn github_actions(release: &Release) -> Vec<(String, i32, String, String)> {
    let workflow = recipe("github-actions-smoke.yml");
    let jobs = workflow["jobs"].as_hash().unwrap();
    assert_eq!(jobs.len(), 1, "one job");
    let job = jobs.values().next().unwrap();
    assert_eq!(job["defaults"]["run"]["shell"].as_str(), Some("bash"));
    let mut env = strings(&workflow["env"]);
    env.extend(strings(&job["env"]));
    with_local_releases(&mut env, release);
    let runner = Runner::new();
    let mut failed = false;
    let mut ran = Vec::new();
    for step in job["steps"].as_vec().unwrap() {
        let name = step["name"].as_str().unwrap().to_string();
        let always = step["if"].as_str() == Some("always()");
        if failed && !always {
            ran.push((name, -1, String::new(), String::new()));
            continue;
        }
        let mut step_env = env.clone();
        step_env.extend(strings(&step["env"]));
        let out = runner.step(step["run"].as_str().unwrap(), &step_env);
        failed |= out.code != 0;
        ran.push((name, out.code, out.stdout, out.stderr));
    }
    ran
}

fn outcomes(ran: &[(String, i32, String, String)]) -> Vec<(&str, i32)> {
    ran.iter().map(|(n, c, _, _)| (n.as_str(), *c)).collect()
}

/// `wxcoupon return`'s words when stdout is not a terminal: the return time
/// alone on stdout (for a script), the sentence on stderr.
fn returned(stdout: &str, stderr: &str) -> bool {
    let time = stdout.strip_suffix("+08:00\n").unwrap_or("");
    let shape = time.len() == 19
        && time.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b'T',
            13 | 16 => b == b':',
            _ => b.is_ascii_digit(),
        });
    shape
        && stderr
            .lines()
            .next()
            .is_some_and(|l| l == format!("{RETURNED}{time}+08:00"))
}

const RETURNED: &str = "returned: coupon COUPON-USED-1 (stock 9856000) is back in the user's wallet; WeChat Pay return time ";

#[test]
fn the_github_actions_recipe_installs_the_release_and_returns_a_coupon_on_the_emulator() {
    let release = Release::serve(false);
    let ran = github_actions(&release);
    assert_eq!(
        outcomes(&ran),
        [
            ("Install wxcoupon", 0),
            ("Start the emulator", 0),
            ("Return a coupon", 0),
            ("Stop the emulator", 0),
        ],
        "{ran:#?}"
    );
    assert!(returned(&ran[2].2, &ran[2].3), "{ran:#?}");
}

#[test]
fn the_github_actions_recipe_stops_at_a_binary_that_is_not_the_released_one() {
    let release = Release::serve(true);
    let ran = github_actions(&release);
    assert_eq!(
        outcomes(&ran),
        [
            ("Install wxcoupon", 1),
            ("Start the emulator", -1),
            ("Return a coupon", -1),
            ("Stop the emulator", 0),
        ],
        "{ran:#?}"
    );
    assert_eq!(ran[0].2, format!("{}: FAILED\n", binary_name()));
}

/// The job's before_script and script in one sh, as GitLab's runner does,
/// then after_script in another. Exit code, stdout and stderr of each.
type Ran = (i32, String, String);
fn gitlab_ci(release: &Release) -> (Ran, Ran) {
    let pipeline = recipe("gitlab-ci-smoke.yml");
    let jobs = pipeline.as_hash().unwrap();
    assert_eq!(jobs.len(), 1, "one job");
    let job = jobs.values().next().unwrap();
    let mut vars = strings(&job["variables"]);
    with_local_releases(&mut vars, release);
    let lines = |key: &str| -> String {
        let items = job[key].as_vec().unwrap().iter();
        items
            .map(|l| l.as_str().unwrap())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let project = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    // The job's own /tmp: each test's, as each GitLab job has its own.
    let tmp = tempfile::tempdir().unwrap();
    let sh = |script: String, exit_on_error: bool| {
        let mut cmd = assert_cmd::Command::new("sh");
        if exit_on_error {
            cmd.arg("-e");
        }
        cmd.arg("-c")
            .arg(script)
            .env_clear()
            .current_dir(project.path())
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", home.path())
            .env("TMPDIR", tmp.path())
            .envs(&vars);
        let out = run(&mut cmd);
        (out.code, out.stdout, out.stderr)
    };
    let main = sh(
        format!("{}\n{}", lines("before_script"), lines("script")),
        true,
    );
    let after = sh(lines("after_script"), false);
    // Nothing in the project folder, which the image's user may not own.
    let written: Vec<_> = std::fs::read_dir(project.path()).unwrap().collect();
    assert!(written.is_empty(), "{written:?}");
    (main, after)
}

#[test]
fn the_gitlab_ci_recipe_installs_the_release_and_returns_a_coupon_on_the_emulator() {
    let release = Release::serve(false);
    let ((code, stdout, stderr), (after, _, _)) = gitlab_ci(&release);
    assert_eq!((code, after), (0, 0), "{stdout}{stderr}");
    // The script's last command is the return: its time is stdout's last line.
    let (before, time) = stdout.trim_end().rsplit_once('\n').unwrap();
    assert_eq!(
        before,
        format!("{}: OK\n{}", binary_name(), run_version()),
        "{stdout}"
    );
    let sentence = stderr
        .lines()
        .find(|l| l.starts_with("returned:"))
        .unwrap_or("");
    assert!(returned(&format!("{time}\n"), sentence), "{stdout}{stderr}");
}

#[test]
fn the_gitlab_ci_recipe_stops_at_a_binary_that_is_not_the_released_one() {
    let release = Release::serve(true);
    let ((code, stdout, stderr), (after, _, _)) = gitlab_ci(&release);
    assert_eq!((code, after), (1, 0), "{stdout}{stderr}");
    assert_eq!(stdout, format!("{}: FAILED\n", binary_name()));
}

/// What `wxcoupon --version` prints, as the recipes show it.
fn run_version() -> String {
    let home = tempfile::tempdir().unwrap();
    let out = run(crate::common::wxcoupon(home.path()).arg("--version"));
    out.stdout.trim_end().to_string()
}

/// The recipes download what dist.sh builds: the same file name.
#[test]
fn the_recipes_name_the_binary_dist_sh_builds() {
    let dist =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/dist.sh"))
            .unwrap();
    assert!(
        dist.contains("bin=\"dist/wxcoupon-$version-linux-x86_64\""),
        "scripts/dist.sh names the binary otherwise: update the recipes under examples/"
    );
}

#[test]
fn every_recipe_under_examples_has_a_test_here() {
    let recipes: Vec<String> = crate::examples::named(&[".yml", ".yaml"])
        .into_iter()
        .collect();
    assert_eq!(recipes, ["github-actions-smoke.yml", "gitlab-ci-smoke.yml"]);
}
