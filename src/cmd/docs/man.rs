//! The man pages. clap_mangen renders what the clap definition knows (NAME,
//! OPTIONS, the commands, VERSION); this file adds the rest of a man page:
//! a SYNOPSIS with each option's value, DESCRIPTION, EXIT STATUS (`exit::HELP`'s
//! table), ENVIRONMENT (`env::VARIABLES`), FILES, EXAMPLES and SEE ALSO (their
//! words in `pages`). Every line break is roff's own (`.TP`, `.PP`, `.nf`):
//! man fills text lines, so none may rely on the text's own line breaks.

use anyhow::{Result, anyhow};
use clap::{Arg, Command};
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, italic, roman};

use super::pages;

/// Every page as (file name, roff): wxcoupon.1, then one per visible
/// command, depth first (wxcoupon-certificates-list.1).
pub fn all(root: &Command) -> Result<Vec<(String, String)>> {
    fn walk(cmd: &Command, path: &str, pages: &mut Vec<(String, String)>) -> Result<()> {
        let man = Man::new(cmd.clone());
        pages.push((man.get_filename(), page(cmd, path)?));
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let sub_path = format!("{path} {}", sub.get_name());
            walk(sub, sub_path.trim_start(), pages)?;
        }
        Ok(())
    }
    let mut pages = Vec::new();
    walk(root, "", &mut pages)?;
    Ok(pages)
}

/// The page of the command at `path` (`""` for wxcoupon itself).
pub fn page(cmd: &Command, path: &str) -> Result<String> {
    let man = Man::new(cmd.clone());
    // Each of clap_mangen's sections starts with roff's preamble: one is kept.
    let preamble = Roff::new().render();
    let mut text = preamble.clone();
    let mut add = |part: Vec<u8>| -> Result<()> {
        let part = String::from_utf8(part).map_err(|_| anyhow!("a man page is not UTF-8"))?;
        text.push_str(part.strip_prefix(&preamble).unwrap_or(&part));
        Ok(())
    };
    let ours = |f: &dyn Fn(&mut Roff)| {
        let mut roff = Roff::new();
        f(&mut roff);
        roff.render().into_bytes()
    };
    let theirs = |f: &dyn Fn(&Man, &mut Vec<u8>) -> std::io::Result<()>| -> Result<Vec<u8>> {
        let mut buf = Vec::new();
        f(&man, &mut buf).map_err(|e| anyhow!("rendering the man page: {e}"))?;
        Ok(buf)
    };
    add(theirs(&|m, w| m.render_title(w))?)?;
    // Neither hyphenate nor justify: paths and flags stay whole.
    add(ours(&|r| {
        r.control("nh", []);
        r.control("ad", ["l"]);
    }))?;
    add(theirs(&|m, w| m.render_name_section(w))?)?;
    add(ours(&|r| synopsis(r, cmd)))?;
    add(ours(&|r| description(r, cmd, path)))?;
    add(theirs(&|m, w| m.render_options_section(w))?)?;
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        add(theirs(&|m, w| m.render_subcommands_section(w))?)?;
    }
    add(ours(&exit_status))?;
    add(ours(&|r| environment_and_files(r, path)))?;
    add(ours(&|r| examples(r, path)))?;
    add(ours(&|r| see_also(r, path)))?;
    add(theirs(&|m, w| m.render_version_section(w))?)?;
    Ok(text)
}

/// `wxcoupon return [--code CODE] … [--json] [-v|--verbose]`: every visible
/// option with its value, then the arguments and the command, if any.
fn synopsis(roff: &mut Roff, cmd: &Command) {
    let name = cmd.get_bin_name().unwrap_or_else(|| cmd.get_name());
    let mut line = vec![bold(name)];
    let shown = |a: &&Arg| !a.is_hide_set() && !["help", "version"].contains(&a.get_id().as_str());
    for arg in cmd
        .get_arguments()
        .filter(shown)
        .filter(|a| !a.is_positional())
    {
        let (open, close) = if arg.is_required_set() {
            ("", "")
        } else {
            ("[", "]")
        };
        line.push(roman(format!(" {open}")));
        match (arg.get_short(), arg.get_long()) {
            (Some(s), Some(l)) => line.push(bold(format!("-{s}|--{l}"))),
            (Some(s), None) => line.push(bold(format!("-{s}"))),
            (None, Some(l)) => line.push(bold(format!("--{l}"))),
            (None, None) => {}
        }
        if arg.get_num_args().is_some_and(|n| n.takes_values()) {
            line.push(roman(" "));
            line.push(italic(value_name(arg)));
        }
        line.push(roman(close));
    }
    for arg in cmd.get_positionals().filter(shown) {
        let (open, close) = if arg.is_required_set() {
            ("", "")
        } else {
            ("[", "]")
        };
        line.push(roman(format!(" {open}")));
        line.push(italic(value_name(arg)));
        line.push(roman(close));
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        line.push(roman(" "));
        line.push(italic("COMMAND"));
    }
    roff.control("SH", ["SYNOPSIS"]);
    roff.text(line);
}

fn value_name(arg: &Arg) -> String {
    arg.get_value_names()
        .map(|names| names.join(" "))
        .unwrap_or_else(|| arg.get_id().as_str().to_uppercase())
}

fn description(roff: &mut Roff, cmd: &Command, path: &str) {
    roff.control("SH", ["DESCRIPTION"]);
    if let Some(about) = cmd.get_long_about().or_else(|| cmd.get_about()) {
        roff.text([roman(format!("{about}."))]);
    }
    for paragraph in pages::description(path) {
        roff.control("PP", []);
        roff.text([roman(*paragraph)]);
    }
}

fn exit_status(roff: &mut Roff) {
    let (rows, notes) = crate::exit::table();
    roff.control("SH", ["EXIT STATUS"]);
    for row in rows {
        roff.control("TP", []);
        roff.text([bold(row.code.to_string()), roman(" "), italic(row.name)]);
        roff.text([roman(row.when)]);
    }
    for note in notes {
        roff.control("PP", []);
        roff.text([roman(note)]);
    }
}

fn environment_and_files(roff: &mut Roff, path: &str) {
    // A command that reads no config reads none of them; the page says so.
    let none = !path.is_empty() && !crate::cli::honours(path, "config");
    let preface = |roff: &mut Roff| {
        if none {
            roff.text([
                bold(format!("wxcoupon {path}")),
                roman(" itself reads none of these; the other commands do."),
            ]);
        }
    };
    roff.control("SH", ["ENVIRONMENT"]);
    preface(roff);
    for (names, what) in crate::env::VARIABLES {
        roff.control("TP", []);
        roff.text([bold(names.join(", "))]);
        roff.text([roman(*what)]);
    }
    roff.control("SH", ["FILES"]);
    preface(roff);
    for (file, what) in pages::FILES {
        roff.control("TP", []);
        roff.text([italic(*file)]);
        roff.text([roman(*what)]);
    }
}

fn examples(roff: &mut Roff, path: &str) {
    roff.control("SH", ["EXAMPLES"]);
    for (what, command) in pages::examples(path) {
        roff.control("PP", []);
        roff.text([roman(what)]);
        roff.control("PP", []);
        roff.control("RS", ["4"]);
        roff.control("nf", []);
        for line in command.lines() {
            roff.text([bold(line)]);
        }
        roff.control("fi", []);
        roff.control("RE", []);
    }
}

fn see_also(roff: &mut Roff, path: &str) {
    if path.is_empty() {
        return;
    }
    let mut pages = vec!["wxcoupon(1)".to_string()];
    if let Some((parent, _)) = path.rsplit_once(' ') {
        pages.push(format!("wxcoupon-{}(1)", parent.replace(' ', "-")));
    }
    roff.control("SH", ["SEE ALSO"]);
    roff.text([roman(pages.join(", "))]);
}
