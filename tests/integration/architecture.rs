//! The shape of `src/` that ARCHITECTURE.md promises: the `use crate::…`
//! graph between top-level modules has no cycle, nothing outside `cmd/`
//! imports from it, no file is over 450 lines and no function over 80 (unit
//! tests aside). Read from the source text, as a reviewer would.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_FILE_LINES: usize = 450;
const MAX_FN_LINES: usize = 80;

struct Source {
    /// Path below `src/`, e.g. `cmd/return.rs`.
    rel: String,
    /// The top-level module it belongs to, e.g. `cmd`.
    module: String,
    /// The text before its unit tests.
    code: String,
}

fn sources() -> Vec<Source> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n != "tests.rs"))
        .map(|p| {
            let rel = p.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
            let module = rel
                .split('/')
                .next()
                .unwrap()
                .trim_end_matches(".rs")
                .to_string();
            let text = std::fs::read_to_string(&p).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap().to_string();
            Source { rel, module, code }
        })
        .collect()
}

/// Top-level module → the top-level modules it names as `crate::X`.
fn graph(sources: &[Source]) -> BTreeMap<String, BTreeSet<String>> {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in sources.iter().filter(|s| s.rel != "main.rs") {
        for (at, _) in s.code.match_indices("crate::") {
            let name: String = s.code[at + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && name != s.module {
                edges.entry(s.module.clone()).or_default().insert(name);
            }
        }
    }
    edges
}

/// A cycle in the graph, as the path that closes it.
fn cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_string());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, edges, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|n| visit(n, edges, &mut Vec::new(), &mut done))
}

#[test]
fn the_import_graph_has_no_cycle_and_nothing_imports_from_cmd() {
    let sources = sources();
    let edges = graph(&sources);
    assert_eq!(cycle(&edges), None, "an import cycle between modules");
    for (from, to) in &edges {
        assert!(
            !to.contains("cmd"),
            "{from} imports from cmd: commands sit on top, nothing below them imports from them"
        );
    }
    // The checker itself finds a cycle where there is one.
    let mut looped = edges.clone();
    looped
        .entry("url".into())
        .or_default()
        .insert("profile".into());
    assert!(cycle(&looped).is_some());
}

#[test]
fn no_file_or_function_is_too_long() {
    let mut long = Vec::new();
    for s in sources() {
        let lines: Vec<&str> = s.code.lines().collect();
        if lines.len() > MAX_FILE_LINES {
            long.push(format!("{}: {} lines", s.rel, lines.len()));
        }
        for (i, line) in lines.iter().enumerate() {
            let trimmed = line.trim_start();
            let is_fn = [
                "fn ",
                "pub fn ",
                "pub(super) fn ",
                "pub(crate) fn ",
                "const fn ",
            ]
            .iter()
            .any(|p| trimmed.starts_with(p));
            if !is_fn {
                continue;
            }
            // The signature ends with `{` (a body) or `;` (a declaration).
            let Some(sig_end) = (i..lines.len()).find(|&k| {
                lines[k].trim_end().ends_with('{') || lines[k].trim_end().ends_with(';')
            }) else {
                continue;
            };
            if lines[sig_end].trim_end().ends_with(';') {
                continue;
            }
            let indent = &line[..line.len() - trimmed.len()];
            let close = format!("{indent}}}");
            if let Some(end) = (sig_end..lines.len()).find(|&k| lines[k] == close) {
                let n = end - i + 1;
                if n > MAX_FN_LINES {
                    long.push(format!("{}:{}: a function of {n} lines", s.rel, i + 1));
                }
            }
        }
    }
    assert!(long.is_empty(), "too long:\n{}", long.join("\n"));
}
