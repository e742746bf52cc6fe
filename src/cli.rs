//! The command-line definition. Nothing here does any work: `app` turns these
//! structs into validated input. The same definition feeds shell completions.
//!
//! The four global flags are declared once, in `GlobalOpts`, and work before
//! or after the subcommand. A command that cannot honour one of them says so
//! with `#[command(args = refused(&[…]))]`: the flag is then hidden from that
//! command's help (and man page and completions), still parsed, and refused by
//! the dispatcher with a reason, never ignored.

use std::path::PathBuf;

use clap::{Arg, Args, CommandFactory, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "wxcoupon",
    version = crate::build_info::LINE,
    about = "Return WeChat Pay merchant coupons (商家券 申请退券) and say exactly what happened",
    after_help = after_help(),
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOpts,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalOpts {
    /// Config file to read (overrides $WXCOUPON_CONFIG and the default location)
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Profile to use (overrides $WXCOUPON_PROFILE and `default_profile`)
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// Print exactly one JSON object on stdout, whatever the outcome (`return --batch`: one
    /// per row, JSON Lines)
    #[arg(long, global = true)]
    pub json: bool,

    /// Trace each attempt on stderr (host, status, Request-ID, time, why it retried or stopped)
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

/// What `--help` says after the options: the exit codes, where the config is.
fn after_help() -> String {
    format!("{}\n\n{}", crate::exit::HELP, crate::profile::SEARCH)
}

/// The global flags (by id: `config`, `profile`, `json`, `verbose`) that a
/// command cannot honour: hidden copies of `GlobalOpts`' own, so that clap
/// parses them there too (clap does not propagate a global flag into a
/// command that has an argument of that id), shows them nowhere, and hands
/// their values up to `Cli::global`, where the dispatcher refuses them.
fn refused(ids: &[&str]) -> Vec<Arg> {
    let global = GlobalOpts::augment_args(clap::Command::new("global"));
    ids.iter()
        .map(|id| {
            global
                .get_arguments()
                .find(|a| a.get_id() == id)
                .unwrap_or_else(|| panic!("{id} is not a global flag"))
                .clone()
                .global(false)
                .hide(true)
        })
        .collect()
}

/// Whether the command at `path` (`"return"`, `"certificates list"`) honours
/// the global flag `id`: the flags it does not honour are `refused` there.
pub fn honours(path: &str, id: &str) -> bool {
    let mut cli = Cli::command();
    cli.build();
    let mut cmd = &cli;
    for name in path.split(' ') {
        cmd = cmd
            .find_subcommand(name)
            .unwrap_or_else(|| panic!("no command {path}"));
    }
    shows(cmd, id)
}

/// The visible commands (`"return"`, `"certificates download"`) that honour
/// the global flag `id`, in the order of `--help`.
pub fn honouring(id: &str) -> Vec<String> {
    fn walk(cmd: &clap::Command, prefix: &str, id: &str, found: &mut Vec<String>) {
        for sub in cmd.get_subcommands() {
            if sub.is_hide_set() || sub.get_name() == "help" {
                continue;
            }
            let path = format!("{prefix}{}", sub.get_name());
            if sub.has_subcommands() {
                walk(sub, &format!("{path} "), id, found);
            } else if shows(sub, id) {
                found.push(path);
            }
        }
    }
    let mut cli = Cli::command();
    cli.build();
    let mut found = Vec::new();
    walk(&cli, "", id, &mut found);
    found
}

fn shows(cmd: &clap::Command, id: &str) -> bool {
    cmd.get_arguments()
        .any(|a| a.get_id() == id && !a.is_hide_set())
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Return a used coupon to the user's wallet (POST /v3/marketing/busifavor/coupons/return)
    #[command(after_help = after_help())]
    Return(ReturnArgs),

    /// Download or list the WeChat Pay platform certificates (平台证书) of the profile
    #[command(subcommand)]
    Certificates(CertificatesAction),

    /// What was returned, when, with which request number, by which profile (the ledger)
    #[command(args = refused(&["verbose"]))]
    History(HistoryArgs),

    /// Explain a WeChat Pay error code offline, in Chinese and English
    #[command(args = refused(&["config", "profile", "verbose"]))]
    Explain(ExplainArgs),

    /// Sign a request by hand and print its Authorization header (for debugging SIGN_ERROR)
    #[command(args = refused(&["verbose"]))]
    Sign(SignArgs),

    /// Check a WeChat Pay answer's or callback's signature by hand
    #[command(args = refused(&["verbose"]))]
    Verify(VerifyArgs),

    /// Print a shell completion script to stdout
    #[command(args = refused(&["config", "profile", "json", "verbose"]))]
    Completions(CompletionsArgs),

    /// Run a local WeChat Pay stand-in for the return API (loopback only; the profile's merchant, a sample WeChat Pay key)
    #[command(args = refused(&["verbose"]))]
    Emulator(EmulatorArgs),

    /// See the whole flow in seconds: returns against an in-process emulator, nothing real
    #[command(args = refused(&["config", "profile"]))]
    Demo,

    /// Check a profile offline and say what is wrong
    #[command(args = refused(&["verbose"]))]
    Doctor,

    /// The config file: print the example to start one from
    #[command(
        subcommand,
        args = refused(&["config", "profile", "json", "verbose"])
    )]
    Config(ConfigAction),

    /// Print the man page (roff) to stdout, or write one page per command into DIR
    #[command(hide = true, args = refused(&["config", "profile", "json", "verbose"]))]
    Man(ManArgs),

    /// Print the profile names of the config file in use, one a line (for shell completion)
    #[command(hide = true, args = refused(&["profile", "json", "verbose"]))]
    CompleteProfiles,
}

#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Address to listen on; loopback only. Port 0 picks a free port [default: 127.0.0.1:0, or
    /// the port --state DIR used last]
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<String>,

    /// Keep the emulator's files in DIR across restarts: the key files, the coupons and the
    /// request numbers used, the downloaded certificates' folder, and the port, so that a saved
    /// profile keeps working (without it: a temporary folder, removed when the emulator stops)
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,

    /// Seed the coupons from a JSON array of {coupon_code, stock_id, state[, mchid]}, or a CSV
    /// with a header (coupon_code,stock_id[,state][,mchid]; state USED when absent)
    #[arg(long, value_name = "FILE")]
    pub coupons: Option<PathBuf>,

    /// Inject a fault into the next N requests: pass (none), drop-before, drop-after, delay, 500, 429, probe (repeatable, in order)
    #[arg(long, value_name = "KIND[:N]")]
    pub fault: Vec<String>,

    /// Answer 429 FREQUENCY_LIMITED, unprocessed, to every request past R in any sliding
    /// second, as WeChat Pay's frequency limits do
    #[arg(long, value_name = "R", value_parser = clap::value_parser!(u32).range(1..))]
    pub limit: Option<u32>,

    /// Seconds the `delay` fault holds an answer back
    #[arg(long, default_value_t = 15, value_name = "SECS")]
    pub delay: u64,

    /// Which key signs the answers: the WeChat Pay public key, the newest platform
    /// certificate (and GET /v3/certificates is served), or the two in turn
    #[arg(long, value_enum, default_value_t = SignerArg::PublicKey)]
    pub signer: SignerArg,

    /// Play a platform certificate rotation (with --signer certificate or switching):
    /// before (the old certificate only), during (the old one's expire_time moved up to 24 h
    /// from now, the new one published, in use from then), after (the new one in use, signing)
    #[arg(long, value_enum, value_name = "PHASE")]
    pub rotation: Option<RotationArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RotationArg {
    Before,
    During,
    After,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SignerArg {
    PublicKey,
    Certificate,
    Switching,
}

#[derive(Debug, Args)]
pub struct ReturnArgs {
    /// The coupon's code (coupon_code)
    #[arg(
        long,
        value_name = "CODE",
        required_unless_present = "batch",
        conflicts_with = "batch"
    )]
    pub code: Option<String>,

    /// The coupon's batch id (stock_id); with --batch, the stock id of rows that have none
    #[arg(
        long = "stock",
        value_name = "STOCK_ID",
        required_unless_present = "batch"
    )]
    pub stock: Option<String>,

    /// The return request number (return_request_no); generated when absent.
    /// Re-use it to retry the same return safely
    #[arg(long, value_name = "NO", conflicts_with = "batch")]
    pub request_no: Option<String>,

    /// Return every coupon of a CSV or JSON Lines file (- reads stdin); resumable
    #[arg(long, value_name = "FILE")]
    pub batch: Option<PathBuf>,

    /// The batch's journal (default: FILE.journal beside the input; required with --batch -)
    #[arg(long, value_name = "FILE", requires = "batch")]
    pub journal: Option<PathBuf>,

    /// Worker threads of a batch, 1 to 64 (default 4)
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,

    /// Requests per second across a batch (0: no limit; default 10, a conservative
    /// guess, not WeChat Pay's published figure)
    #[arg(long, value_name = "R")]
    pub rate: Option<f64>,

    /// Send again, with a new request number, the rows a batch's journal records as rejected
    #[arg(long, requires = "batch")]
    pub retry_rejected: bool,

    /// Send again, in --resume mode, the rows a batch's journal records as unverified
    #[arg(long, requires = "batch")]
    pub retry_unverified: bool,

    /// Build and sign the request, print it, and send nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Seconds to wait for each attempt's answer, connect to last byte (overrides the profile's timeout_secs; default 10)
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,

    /// Retries after an attempt with no definitive answer, 0 to 10 (overrides the profile's retries; default 2)
    #[arg(long, value_name = "N")]
    pub retries: Option<u32>,

    /// An earlier run may already have sent this return: RESOURCE_ALREADY_EXISTS then confirms it
    #[arg(long, requires = "request_no")]
    pub resume: bool,

    /// Record nothing in the ledger (a read-only machine, a CI smoke check); see `wxcoupon history`
    #[arg(long)]
    pub no_ledger: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only this coupon code
    #[arg(long, value_name = "CODE")]
    pub code: Option<String>,

    /// Only this stock (批次号)
    #[arg(long, value_name = "STOCK_ID")]
    pub stock: Option<String>,

    /// From this day on, YYYY-MM-DD (China Standard Time)
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,

    /// Up to this day, included, YYYY-MM-DD (China Standard Time)
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,

    /// Only this outcome: returned, rejected, unknown, unverified, sending (sent, no answer recorded)
    #[arg(long, value_name = "KIND")]
    pub outcome: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The error code, e.g. RULE_LIMIT (case does not matter)
    #[arg(value_name = "CODE")]
    pub code: String,

    /// WeChat Pay's message, to tell apart codes that have several meanings
    #[arg(long, value_name = "TEXT")]
    pub message: Option<String>,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// HTTP method
    #[arg(long, default_value = "POST", value_name = "METHOD")]
    pub method: String,

    /// Canonical URL: the path plus ?query exactly as sent, without scheme and host
    #[arg(long, value_name = "PATH")]
    pub url: String,

    /// Request body (default: empty)
    #[arg(long, value_name = "TEXT", conflicts_with = "body_file")]
    pub body: Option<String>,

    /// Read the request body from this file, byte for byte
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<PathBuf>,

    /// Unix time in seconds (default: now)
    #[arg(long, value_name = "SECS")]
    pub timestamp: Option<i64>,

    /// Nonce (default: 32 random characters)
    #[arg(long, value_name = "NONCE")]
    pub nonce: Option<String>,

    /// Merchant private key PEM file (instead of the profile's)
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,

    /// Merchant id (instead of the profile's)
    #[arg(long, value_name = "ID")]
    pub mchid: Option<String>,

    /// Merchant API certificate serial number (instead of the profile's)
    #[arg(long, value_name = "NO")]
    pub serial: Option<String>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The Wechatpay-Timestamp header
    #[arg(long, value_name = "SECS")]
    pub timestamp: String,

    /// The Wechatpay-Nonce header
    #[arg(long, value_name = "NONCE")]
    pub nonce: String,

    /// The Wechatpay-Signature header (Base64)
    #[arg(long, value_name = "BASE64")]
    pub signature: String,

    /// The body as received (default: empty)
    #[arg(long, value_name = "TEXT", conflicts_with = "body_file")]
    pub body: Option<String>,

    /// Read the body from this file, byte for byte
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<PathBuf>,

    /// WeChat Pay public key PEM file, or a platform certificate's (instead of the profile's)
    #[arg(long, value_name = "FILE")]
    pub public_key: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum CertificatesAction {
    /// Download the platform certificates (GET /v3/certificates), check them and save them
    /// into platform_certificates_dir; needs the APIv3 key
    Download,
    /// List the certificates in platform_certificates_dir, offline
    #[command(args = refused(&["verbose"]))]
    List,
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Print the example config (config.example.toml), to start a config file from:
    /// `wxcoupon config example > FILE`, then fill in the merchant's values
    #[command(args = refused(&["config", "profile", "json", "verbose"]))]
    Example,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write wxcoupon.1 and a page per command (wxcoupon-return.1, …) into this folder
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_work_after_the_subcommand() {
        let cli = Cli::try_parse_from([
            "wxcoupon",
            "return",
            "--code",
            "C",
            "--stock",
            "1",
            "--json",
            "--profile",
            "p",
        ])
        .unwrap();
        assert!(cli.global.json);
        assert_eq!(cli.global.profile.as_deref(), Some("p"));
    }

    /// A refused flag is parsed after the command too, and its value reaches
    /// `Cli::global`, where the dispatcher refuses it.
    #[test]
    fn refused_flags_reach_the_global_options_from_either_side() {
        for args in [
            ["wxcoupon", "explain", "X", "-v"],
            ["wxcoupon", "-v", "explain", "X"],
        ] {
            let cli = Cli::try_parse_from(args).unwrap();
            assert!(cli.global.verbose, "{args:?}");
        }
        let cli = Cli::try_parse_from(["wxcoupon", "certificates", "list", "-v"]).unwrap();
        assert!(cli.global.verbose);
        assert!(!honours("certificates list", "verbose"));
        assert!(honours("certificates download", "verbose"));
        assert!(honours("explain", "json") && !honours("explain", "config"));
    }

    #[test]
    fn verbose_is_for_the_commands_that_send() {
        assert_eq!(
            honouring("verbose"),
            ["return", "certificates download", "demo"]
        );
    }
}
