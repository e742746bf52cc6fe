//! The shape of `src/` that ARCHITECTURE.md promises, read as Rust (syn), not
//! as text, so that every form of import counts: `use crate::{a, b::c}`,
//! nested groups, `super::`, `self::`, a child module's name, and paths
//! written inline (`crate::x::f()`), inside macro arguments too.
//!
//! - `LAYERS` is ARCHITECTURE.md's table: every top-level module sits in one
//!   row, and every import points down, or sideways into a leaf of its own
//!   row (a module that imports nothing else from that row).
//! - No cycle between top-level modules, nor between the files of a folder.
//! - Nothing imports from `cmd`.
//! - No file over 450 lines and no function over 80, unit tests aside: a
//!   file is measured up to its `#[cfg(test)] mod tests` block only (other
//!   test-only items count), and `tests.rs` files are unit tests.
//!
//! The self-tests below plant each form in made-up sources and prove the
//! checks catch it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::visit::Visit;

const MAX_FILE_LINES: usize = 450;
const MAX_FN_LINES: usize = 80;

/// ARCHITECTURE.md's table, top to bottom: a module may use the rows below
/// its own, and a leaf of its own row.
const LAYERS: &[(&str, &[&str])] = &[
    ("entry", &["main"]),
    ("commands", &["cli", "cmd"]),
    ("the ledger", &["ledger"]),
    ("a batch", &["batch"]),
    ("a return", &["engine"]),
    ("the test double", &["emulator"]),
    ("judging and rendering", &["judge", "render"]),
    ("words", &["report", "output", "exit", "catalogue"]),
    ("profiles and trust", &["profile", "trust"]),
    ("certificates", &["certs"]),
    ("the wire", &["retry", "pace", "client"]),
    ("checks", &["request", "verify", "limits", "files"]),
    (
        "primitives",
        &[
            "sign",
            "keys",
            "url",
            "env",
            "escape",
            "redact",
            "http_date",
            "cst",
            "build_info",
        ],
    ),
];

/// A module: `["batch", "row"]` for `src/batch/row.rs`, `["batch"]` for
/// `src/batch/mod.rs`, `[]` for `src/main.rs`.
type ModPath = Vec<String>;

struct Source {
    /// Path below `src/`, e.g. `cmd/return.rs`.
    rel: String,
    module: ModPath,
    /// The file without its `#[cfg(test)] mod tests` block.
    file: syn::File,
    /// Lines before that block (the whole file when there is none).
    lines: usize,
}

fn module_of(rel: &str) -> ModPath {
    let mut parts: Vec<String> = rel
        .trim_end_matches(".rs")
        .split('/')
        .map(String::from)
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "main") {
        parts.pop();
    }
    parts
}

fn is_unit_tests(item: &syn::Item) -> bool {
    let syn::Item::Mod(m) = item else {
        return false;
    };
    m.ident == "tests"
        && m.attrs
            .iter()
            .any(|a| a.path().is_ident("cfg") && cfg_is_test(a))
}

fn cfg_is_test(attr: &syn::Attribute) -> bool {
    attr.parse_args::<syn::Ident>().is_ok_and(|i| i == "test")
}

fn parse(rel: &str, text: &str) -> Source {
    let mut file = syn::parse_file(text).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let total = text.lines().count();
    let mut lines = total;
    if let Some(at) = file.items.iter().position(is_unit_tests) {
        lines = file.items[at].span().start().line - 1;
        // Its attribute sits on the line(s) above the `mod` keyword.
        let attrs = file.items[at].span().start().line;
        lines = lines.min(attrs - 1);
        file.items.remove(at);
    }
    Source {
        rel: rel.to_string(),
        module: module_of(rel),
        file,
        lines,
    }
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
            let rel = p
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            parse(&rel, &std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// Every path a file names that starts at `crate`, `super`, `self` or one
/// of its own child modules, made absolute.
struct Paths<'a> {
    module: &'a ModPath,
    children: BTreeSet<String>,
    found: Vec<ModPath>,
}

impl Paths<'_> {
    fn absolute(&self, segments: &[String]) -> Option<ModPath> {
        let first = segments.first()?;
        let mut base: ModPath;
        let mut rest = segments;
        match first.as_str() {
            "crate" => {
                base = Vec::new();
                rest = &segments[1..];
            }
            "self" => {
                base = self.module.clone();
                rest = &segments[1..];
            }
            "super" => {
                base = self.module.clone();
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop()?;
                    rest = &rest[1..];
                }
            }
            name if self.children.contains(name) => base = self.module.clone(),
            _ => return None,
        }
        base.extend(rest.iter().cloned());
        Some(base)
    }

    fn add(&mut self, segments: &[String]) {
        if let Some(p) = self.absolute(segments) {
            self.found.push(p);
        }
    }

    fn tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.unraw().to_string());
                self.tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                prefix.push(n.ident.unraw().to_string());
                self.add(prefix);
                prefix.pop();
            }
            syn::UseTree::Rename(r) => {
                prefix.push(r.ident.unraw().to_string());
                self.add(prefix);
                prefix.pop();
            }
            syn::UseTree::Glob(_) => self.add(prefix),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.tree(prefix, t);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Paths<'_> {
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        self.tree(&mut Vec::new(), &u.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path
            .segments
            .iter()
            .map(|s| s.ident.unraw().to_string())
            .collect();
        if segments.len() > 1 {
            self.add(&segments);
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        // `format!(…)`, `assert!(…)`, `matches!(…)`: read the arguments as
        // expressions where they are expressions.
        type Args = syn::punctuated::Punctuated<syn::Expr, syn::Token![,]>;
        if let Ok(args) = mac.parse_body_with(Args::parse_terminated) {
            for e in &args {
                self.visit_expr(e);
            }
        }
        syn::visit::visit_macro(self, mac);
    }
}

/// Module → the modules it names (its own and its children's declarations
/// aside).
fn graph(sources: &[Source]) -> BTreeMap<ModPath, BTreeSet<ModPath>> {
    let known: BTreeSet<ModPath> = sources.iter().map(|s| s.module.clone()).collect();
    let mut edges: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
    for s in sources {
        let children = s
            .file
            .items
            .iter()
            .filter_map(|i| match i {
                syn::Item::Mod(m) => Some(m.ident.unraw().to_string()),
                _ => None,
            })
            .collect();
        let mut paths = Paths {
            module: &s.module,
            children,
            found: Vec::new(),
        };
        paths.visit_file(&s.file);
        let to = edges.entry(s.module.clone()).or_default();
        for p in paths.found {
            // The longest prefix that is a module: `crate::batch::row::Done`
            // is `batch/row.rs`, `crate::engine::Session` is `engine/mod.rs`.
            let target = (1..=p.len())
                .rev()
                .map(|n| p[..n].to_vec())
                .find(|m| known.contains(m));
            if let Some(t) = target
                && t != s.module
            {
                to.insert(t);
            }
        }
    }
    edges
}

fn name(m: &ModPath) -> String {
    if m.is_empty() {
        "main".into()
    } else {
        m.join("::")
    }
}

/// Top-level module → the top-level modules it imports from.
fn top_level(edges: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> BTreeMap<String, BTreeSet<String>> {
    let mut top: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, to) in edges.iter().filter(|(f, _)| !f.is_empty()) {
        let entry = top.entry(from[0].clone()).or_default();
        for t in to.iter().filter(|t| !t.is_empty() && t[0] != from[0]) {
            entry.insert(t[0].clone());
        }
    }
    top
}

/// Within each folder: file → the files of the same folder it imports.
fn within_folders(
    edges: &BTreeMap<ModPath, BTreeSet<ModPath>>,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut files: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, to) in edges.iter().filter(|(f, _)| !f.is_empty()) {
        let entry = files.entry(name(from)).or_default();
        for t in to.iter().filter(|t| !t.is_empty() && t[0] == from[0]) {
            entry.insert(name(t));
        }
    }
    files
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

/// Every import that points up, or sideways into a module of its own row
/// that is not a leaf; every module missing from `LAYERS`.
fn layer_violations(
    top: &BTreeMap<String, BTreeSet<String>>,
    modules: &BTreeSet<String>,
) -> Vec<String> {
    let row = |m: &str| LAYERS.iter().position(|(_, ms)| ms.contains(&m));
    let mut wrong: Vec<String> = modules
        .iter()
        .filter(|m| row(m).is_none())
        .map(|m| format!("{m} is in no row of LAYERS (and of ARCHITECTURE.md)"))
        .collect();
    let leaf = |m: &str| top.get(m).into_iter().flatten().all(|t| row(t) != row(m));
    for (from, to) in top {
        let Some(f) = row(from) else { continue };
        for t in to {
            let Some(r) = row(t) else { continue };
            if r < f {
                wrong.push(format!(
                    "{from} ({}) imports {t} from a row above ({})",
                    LAYERS[f].0, LAYERS[r].0
                ));
            } else if r == f && !leaf(t) {
                wrong.push(format!(
                    "{from} imports {t}, beside it in \"{}\", which is not a leaf there",
                    LAYERS[f].0
                ));
            }
        }
    }
    wrong
}

#[test]
fn imports_follow_the_layers_without_cycles_and_nothing_imports_from_cmd() {
    let sources = sources();
    let edges = graph(&sources);
    let top = top_level(&edges);
    let mut wrong = Vec::new();
    if let Some(c) = cycle(&top) {
        wrong.push(format!(
            "an import cycle between modules: {}",
            c.join(" -> ")
        ));
    }
    let files = within_folders(&edges);
    for folder in top.keys() {
        let one: BTreeMap<String, BTreeSet<String>> = files
            .iter()
            .filter(|(f, _)| f.split("::").next() == Some(folder.as_str()))
            .map(|(f, t)| (f.clone(), t.clone()))
            .collect();
        if let Some(c) = cycle(&one) {
            wrong.push(format!(
                "an import cycle between the files of {folder}/: {}",
                c.join(" -> ")
            ));
        }
    }
    for (from, to) in top.iter().filter(|(f, _)| *f != "cmd") {
        if to.contains("cmd") {
            wrong.push(format!(
                "{from} imports from cmd: commands sit on top, nothing below them imports from them"
            ));
        }
    }
    // A command's file is a room of its own: shared code sits below `cmd`.
    for (from, to) in &edges {
        if from.len() == 2 && from[0] == "cmd" {
            for t in to.iter().filter(|t| t.len() == 2 && t[0] == "cmd") {
                wrong.push(format!(
                    "{} imports {}: what two commands share goes below cmd, not in one of them",
                    name(from),
                    name(t)
                ));
            }
        }
    }
    let modules: BTreeSet<String> = sources
        .iter()
        .map(|s| s.module.first().cloned().unwrap_or_else(|| "main".into()))
        .collect();
    wrong.extend(layer_violations(&top, &modules));
    for (row, ms) in LAYERS {
        for m in ms.iter().filter(|m| !modules.contains(**m)) {
            wrong.push(format!(
                "LAYERS row \"{row}\" names {m}, which is not in src/"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Functions longer than the limit, as `file:line: …`.
fn long_functions(s: &Source) -> Vec<String> {
    struct Fns<'a> {
        rel: &'a str,
        long: Vec<String>,
    }
    impl Fns<'_> {
        fn check(&mut self, sig: &syn::Signature, block: &syn::Block) {
            let start = sig.fn_token.span.start().line;
            let end = block.brace_token.span.close().end().line;
            let n = end - start + 1;
            if n > MAX_FN_LINES {
                self.long
                    .push(format!("{}:{start}: {} is {n} lines", self.rel, sig.ident));
            }
        }
    }
    impl<'ast> Visit<'ast> for Fns<'_> {
        fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
            self.check(&f.sig, &f.block);
            syn::visit::visit_item_fn(self, f);
        }
        fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
            self.check(&f.sig, &f.block);
            syn::visit::visit_impl_item_fn(self, f);
        }
        fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
            if let Some(block) = &f.default {
                self.check(&f.sig, block);
            }
            syn::visit::visit_trait_item_fn(self, f);
        }
    }
    let mut fns = Fns {
        rel: &s.rel,
        long: Vec::new(),
    };
    fns.visit_file(&s.file);
    fns.long
}

#[test]
fn no_file_or_function_is_too_long() {
    let mut long = Vec::new();
    for s in sources() {
        if s.lines > MAX_FILE_LINES {
            long.push(format!("{}: {} lines", s.rel, s.lines));
        }
        long.extend(long_functions(&s));
    }
    assert!(long.is_empty(), "too long:\n{}", long.join("\n"));
}

// The checks themselves, on made-up sources.

fn planted(files: &[(&str, &str)]) -> BTreeMap<ModPath, BTreeSet<ModPath>> {
    let sources: Vec<Source> = files.iter().map(|(rel, text)| parse(rel, text)).collect();
    graph(&sources)
}

fn names(edges: &BTreeMap<ModPath, BTreeSet<ModPath>>, from: &str) -> Vec<String> {
    edges[&module_of(from)].iter().map(name).collect()
}

#[test]
fn every_form_of_import_is_read() {
    let edges = planted(&[
        ("main.rs", "mod a; mod b; mod c; mod d;"),
        ("a/mod.rs", "mod x; mod y; use x::X;"),
        ("a/x.rs", "use super::y::{self, Y}; pub struct X;"),
        (
            "a/y.rs",
            "pub struct Y; fn f() { let _ = self::g(); format!(\"{}\", crate::d::D); }",
        ),
        ("b.rs", "use crate::{c, a::{x::X, y::Y}};"),
        ("c.rs", "fn f() -> crate::d::D { crate::b::g() }"),
        ("d.rs", "use crate::a::*; use std::fmt;"),
        ("cmd/mod.rs", "mod r#return; mod sign;"),
        ("cmd/sign.rs", "fn f() { super::r#return::print() }"),
        ("cmd/return.rs", "pub fn print() {}"),
    ]);
    assert_eq!(names(&edges, "cmd/sign.rs"), ["cmd::return"]);
    assert_eq!(names(&edges, "a/mod.rs"), ["a::x"]);
    assert_eq!(names(&edges, "a/x.rs"), ["a::y"]);
    assert_eq!(names(&edges, "a/y.rs"), ["d"]);
    assert_eq!(names(&edges, "b.rs"), ["a::x", "a::y", "c"]);
    assert_eq!(names(&edges, "c.rs"), ["b", "d"]);
    assert_eq!(names(&edges, "d.rs"), ["a"]);
}

#[test]
fn a_grouped_import_that_closes_a_cycle_or_reaches_cmd_is_caught() {
    let edges = planted(&[
        ("cmd/mod.rs", "use crate::profile::P;"),
        ("profile.rs", "use crate::url::U; pub struct P;"),
        ("url.rs", "use crate::{cmd, profile};"),
    ]);
    let top = top_level(&edges);
    assert!(cycle(&top).is_some());
    assert!(top["url"].contains("cmd"));
    // And an upward import is a layer violation.
    let modules = ["cmd", "profile", "url"].map(String::from).into();
    let wrong = layer_violations(&top, &modules);
    assert!(
        wrong
            .iter()
            .any(|w| w.starts_with("url (primitives) imports cmd")),
        "{wrong:?}"
    );
}

#[test]
fn a_cycle_between_the_files_of_a_folder_is_caught() {
    let edges = planted(&[
        ("batch/mod.rs", "mod journal; mod row;"),
        ("batch/journal.rs", "use super::row::key;"),
        ("batch/row.rs", "pub fn key() { super::journal::replay() }"),
    ]);
    assert!(cycle(&top_level(&edges)).is_none());
    assert_eq!(
        cycle(&within_folders(&edges)),
        Some(vec![
            "batch::journal".into(),
            "batch::row".into(),
            "batch::journal".into()
        ])
    );
}

#[test]
fn only_the_unit_test_block_is_left_unmeasured() {
    let body = "    let _ = 1;\n".repeat(MAX_FN_LINES);
    let text = format!(
        "#[cfg(test)]\nfn helper() {{}}\n\nfn long() {{\n{body}}}\n\n#[cfg(test)]\nmod tests {{\n    fn also_long() {{\n{body}    }}\n}}\n"
    );
    let s = parse("pace.rs", &text);
    assert_eq!(s.lines, MAX_FN_LINES + 6);
    assert_eq!(
        long_functions(&s),
        [format!("pace.rs:4: long is {} lines", MAX_FN_LINES + 2)]
    );
}

#[test]
fn a_sideways_import_must_land_on_a_leaf() {
    let top: BTreeMap<String, BTreeSet<String>> = [
        ("report", vec!["output"]),
        ("output", vec!["exit"]),
        ("exit", vec![]),
    ]
    .into_iter()
    .map(|(f, t)| (f.to_string(), t.into_iter().map(String::from).collect()))
    .collect();
    let modules = top.keys().cloned().collect();
    assert_eq!(
        layer_violations(&top, &modules),
        ["report imports output, beside it in \"words\", which is not a leaf there"]
    );
}
