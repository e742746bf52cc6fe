//! The completion scripts: clap_complete's, generated from the commands and
//! options `--help` shows (clap_complete offers hidden ones too: `man`, and
//! the global flags a command refuses), with `--profile <TAB>` completing the
//! profile names of the config file in use in bash, zsh and fish. The scripts
//! ask `wxcoupon complete-profiles` for them, passing the `--config` of the
//! command line, so that the config is found and read as every command does.

use anyhow::{Result, anyhow, bail};
use clap::{Command, CommandFactory};
use clap_complete::Shell;

use crate::cli::Cli;

/// The completion script for one shell.
pub fn script(shell: Shell) -> Result<String> {
    let mut cli = Cli::command();
    cli.build();
    let mut shown = shown(&cli);
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut shown, "wxcoupon", &mut buf);
    let script = String::from_utf8(buf).map_err(|_| anyhow!("completion script is not UTF-8"))?;
    match shell {
        Shell::Bash => bash(&script),
        Shell::Zsh => zsh(&script),
        Shell::Fish => fish(&script),
        _ => Ok(script),
    }
}

/// A copy of a built command with only what `--help` shows: clap has no way
/// to remove a command or an argument, so the copy is assembled from the
/// shown ones. Arguments lose `global`: each command already has its own
/// copy of the global flags it honours.
fn shown(cmd: &Command) -> Command {
    let mut copy = Command::new(cmd.get_name().to_string())
        .disable_help_flag(true)
        .disable_version_flag(true)
        .disable_help_subcommand(true)
        .args(
            cmd.get_arguments()
                .filter(|a| !a.is_hide_set())
                .map(|a| a.clone().global(false)),
        )
        .subcommands(
            cmd.get_subcommands()
                .filter(|s| !s.is_hide_set())
                .map(shown),
        );
    if let Some(about) = cmd.get_about() {
        copy = copy.about(about.clone());
    }
    if let Some(version) = cmd.get_version() {
        copy = copy.version(version.to_string());
    }
    copy
}

/// `what` replaced by `with` everywhere in `script`; an error when it is not
/// there, so that a new clap_complete cannot silently drop the completion.
fn replaced(script: &str, what: &str, with: &str) -> Result<String> {
    if !script.contains(what) {
        bail!("the completion script no longer holds {what:?}: update cmd/docs/complete.rs");
    }
    Ok(script.replace(what, with))
}

const BASH: &str = r#"# --profile <TAB>: the profile names of the config file in use (--config on
# the command line, else $WXCOUPON_CONFIG, else the default), from wxcoupon.
_wxcoupon_profiles() {
    local i word config=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        word="${COMP_WORDS[i]}"
        case "$word" in
            --config)
                word="${COMP_WORDS[i+1]}"
                [[ "$word" == = ]] && word="${COMP_WORDS[i+2]}"
                config=(--config "${word/#\~/$HOME}")
                ;;
            --config=*)
                word="${word#--config=}"
                config=(--config "${word/#\~/$HOME}")
                ;;
        esac
    done
    local IFS=$'\n'
    COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]/#\~/$HOME}" complete-profiles "${config[@]}" 2>/dev/null)" -- "$1"))
    # Profile names or nothing, never file names.
    compopt +o default +o bashdefault 2>/dev/null
    return 0
}

"#;

fn bash(script: &str) -> Result<String> {
    let script = replaced(
        script,
        "                --profile)\n                    COMPREPLY=($(compgen -f \"${cur}\"))\n",
        "                --profile)\n                    _wxcoupon_profiles \"${cur}\"\n",
    )?;
    Ok(format!("{BASH}{script}"))
}

const ZSH: &str = r#"
# --profile <TAB>: the profile names of the config file in use (--config on
# the command line, else $WXCOUPON_CONFIG, else the default), from wxcoupon.
(( $+functions[_wxcoupon_profiles] )) ||
_wxcoupon_profiles() {
    local word i
    local -a line config profiles
    # The words of this command (`words` holds only the subcommand's).
    for word in ${(z)LBUFFER}; do
        case $word in
            (';'|'|'|'||'|'&&'|'&') line=() ;;
            (*) line+=("$word") ;;
        esac
    done
    for (( i = 2; i < $#line; i++ )); do
        case $line[i] in
            (--config) config=(--config ${(Q)~line[i+1]}) ;;
            (--config=*) config=(--config ${(Q)~${line[i]#--config=}}) ;;
        esac
    done
    profiles=(${(f)"$(${(Q)~line[1]} complete-profiles $config 2>/dev/null)"})
    _wanted profiles expl 'profile' compadd -a profiles
}
"#;

fn zsh(script: &str) -> Result<String> {
    let (first, rest) = script
        .split_once('\n')
        .ok_or_else(|| anyhow!("the zsh script has no #compdef line"))?;
    let rest = replaced(
        rest,
        "\\`default_profile\\`)]:NAME:_default'",
        "\\`default_profile\\`)]:NAME:_wxcoupon_profiles'",
    )?;
    Ok(format!("{first}\n{ZSH}{rest}"))
}

const FISH: &str = r#"# --profile <TAB>: the profile names of the config file in use (--config on
# the command line, else $WXCOUPON_CONFIG, else the default), from wxcoupon.
function __fish_wxcoupon_profiles
    set -l words (commandline -opc)
    set -l config
    for i in (seq 2 (count $words))
        switch $words[$i]
            case --config
                set -q words[(math $i + 1)]; and set config --config (string replace -r '^~' $HOME -- $words[(math $i + 1)])
            case '--config=*'
                set config --config (string replace -r '^~' $HOME -- (string replace -- --config= '' $words[$i]))
        end
    end
    set -l wxcoupon (string replace -r '^~' $HOME -- $words[1])
    $wxcoupon complete-profiles $config 2>/dev/null
end

"#;

fn fish(script: &str) -> Result<String> {
    let script = replaced(
        script,
        "-l profile -d 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)' -r\n",
        "-l profile -d 'Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)' -r -f -a '(__fish_wxcoupon_profiles)'\n",
    )?;
    // `wxcoupon --profile <TAB>`: argparse fails on an option still waiting
    // for its value, which clap_complete took as "a command was given", so
    // no global option's value was completed before the command. argparse
    // stops at the first command (-s), so it fails only before one.
    let script = replaced(
        &script,
        "    argparse -s (__fish_wxcoupon_global_optspecs) -- $cmd 2>/dev/null\n    or return\n",
        "    argparse -s (__fish_wxcoupon_global_optspecs) -- $cmd 2>/dev/null\n    or return 0\n",
    )?;
    Ok(format!("{FISH}{script}"))
}
