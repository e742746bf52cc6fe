//! `wxcoupon emulator`: check the flags, pick the merchant, bind the port,
//! write the key files into a fresh private folder, print a profile that
//! points at the emulator, serve until Ctrl-C or SIGTERM, remove the folder.

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::json;

use crate::cli::{EmulatorArgs, GlobalOpts, RotationArg, SignerArg};
use crate::emulator::{self};
use crate::emulator::{Coupon, Identity};
use crate::emulator::{
    EMULATOR_KEY_ID, Fault, SAMPLE_APIV3_KEY, SAMPLE_MCHID, SAMPLE_MERCHANT_KEY, SAMPLE_SERIAL,
    SAMPLE_WECHATPAY_PUB, pem_block,
};
use crate::emulator::{Platform, Rotation, Signer};
use crate::env::Env;
use crate::keys::PrivateKey;
use crate::output::Out;
use crate::profile::{self, KeySource};

/// The merchant the emulator authenticates.
struct Merchant {
    mchid: String,
    serial: String,
    key: PrivateKey,
    /// The `private_key_file` line of the printed profile, if there is a file.
    key_file: Option<PathBuf>,
    /// The built-in sample merchant, whose key file the emulator writes.
    sample: bool,
    origin: String,
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// Creates `path` and writes `text` to it. The file must not exist yet: the
/// exclusive create (`O_CREAT|O_EXCL`) never follows a symlink planted there.
/// No temporary file and rename are needed: the folder is private, and the
/// profile naming the file is printed only after it is complete. In a
/// `--state` folder, a file already there must be this very file.
fn write_new(path: &Path, text: &str, private: bool) -> Result<()> {
    if std::fs::symlink_metadata(path).is_ok() {
        let same = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
            && std::fs::read_to_string(path).is_ok_and(|t| t == text);
        if same {
            return Ok(());
        }
        bail!(
            "{} is not the emulator's own file: remove it, or name another --state folder",
            path.display()
        );
    }
    let mut f = crate::files::create_new(path, if private { 0o600 } else { 0o644 })
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

/// The selected profile's merchant; the built-in sample merchant when no
/// config file exists and none was named. Writes nothing.
fn merchant(g: &GlobalOpts, env: &Env) -> Result<Merchant> {
    let named = g.config.is_some() || env.config.is_some();
    if !named && profile::locate(None, env).is_err() {
        return Ok(Merchant {
            mchid: SAMPLE_MCHID.into(),
            serial: SAMPLE_SERIAL.into(),
            key: PrivateKey::from_pem(SAMPLE_MERCHANT_KEY.as_bytes())?,
            key_file: None,
            sample: true,
            origin: "the built-in sample merchant, as no config file was found".into(),
        });
    }
    let p = profile::select(g.config.as_deref(), g.profile.as_deref(), env)?;
    let key = p.load_private_key()?;
    let key_file = match &p.private_key {
        KeySource::File(f) => Some(std::path::absolute(f).unwrap_or_else(|_| f.clone())),
        _ => None,
    };
    Ok(Merchant {
        origin: format!("profile `{}` of {}", p.name, p.config_path.display()),
        mchid: p.mchid,
        serial: p.merchant_serial_no,
        key,
        key_file,
        sample: false,
    })
}

/// Binds `listen`, saying what to do when the port is taken.
fn bind(listen: SocketAddr) -> Result<TcpListener> {
    TcpListener::bind(listen).map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::AddrInUse {
            "; another program is using this port: pick another, or port 0 for a free one"
        } else {
            ""
        };
        anyhow!("listening on {listen}: {e}{hint}")
    })
}

/// The flags, checked before anything else happens.
fn flags(a: &EmulatorArgs) -> Result<(Option<SocketAddr>, Vec<Fault>, Vec<Coupon>)> {
    let listen = match &a.listen {
        None => None,
        Some(text) => {
            let listen: SocketAddr = text.parse().map_err(|_| {
                anyhow!(
                    "--listen {text:?}: expected IP:PORT, e.g. 127.0.0.1:8080 (port 0 picks a \
                     free one)"
                )
            })?;
            if !listen.ip().is_loopback() {
                bail!(
                    "--listen {listen}: the emulator listens on loopback addresses only \
                     (127.0.0.0/8, [::1]); it is for local tests, never for a network"
                );
            }
            Some(listen)
        }
    };
    let faults = a
        .fault
        .iter()
        .map(|f| f.parse::<Fault>().map_err(|e| anyhow!("--fault {f}: {e}")))
        .collect::<Result<Vec<_>>>()?;
    crate::limits::check_timeout(a.delay).map_err(|e| anyhow!("--delay {}: {e}", a.delay))?;
    let coupons = match &a.coupons {
        Some(path) => emulator::read_coupons(path)?,
        None => emulator::sample_coupons(),
    };
    Ok((listen, faults, coupons))
}

pub fn run(g: &GlobalOpts, a: &EmulatorArgs, env: &Env, out: &mut Out) -> Result<u8> {
    let (listen, faults, coupons) = flags(a)?;
    let mut m = merchant(g, env)?;
    let signer = match a.signer {
        SignerArg::PublicKey => Signer::PublicKey,
        SignerArg::Certificate => Signer::Certificate,
        SignerArg::Switching => Signer::Switching,
    };
    let mut identity = Identity::with_sample_wechatpay_key(&m.mchid, &m.serial, &m.key)?;
    identity.platform = platform(a, signer)?;
    let state = a.state.as_deref().map(State::open).transpose()?;
    // The ledger: kept in --state (unless --coupons seeds it anew).
    let ledger = match &state {
        Some(st) if a.coupons.is_none() => emulator::Ledger::load(&st.ledger())?,
        _ => None,
    };
    let listen = listen
        .or_else(|| state.as_ref().and_then(State::port))
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
    // Before any file is written: a taken port leaves nothing behind.
    let listener = bind(listen)?;

    let running = emulator::start(
        listener,
        emulator::Setup {
            identity,
            coupons,
            faults,
            limit: a.limit,
            ledger,
            keep: state.as_ref().map(State::ledger),
            delay: Duration::from_secs(a.delay),
        },
        Box::new(log),
    )
    .context("starting the emulator")?;
    let base_url = running.base_url();
    // Before the profile is printed: whoever read it may press Ctrl-C at once.
    // With ctrlc's `termination` feature, SIGTERM (and SIGHUP) stop it the same
    // clean way, so the folder is removed then too.
    ctrlc::set_handler(running.stopper()).context("installing the Ctrl-C/SIGTERM handler")?;

    // The files: in --state DIR (kept), or in a fresh folder of our own (mode
    // 0700, a random name: another local user can neither plant links in it
    // nor hold its name), removed when this guard drops, after the server
    // has stopped, on every return path.
    let folder = match &state {
        Some(st) => {
            st.remember_port(running.addr.port())?;
            Folder::Kept(st.dir.clone())
        }
        None => Folder::Temporary(temporary_folder()?),
    };
    let files = write_files(folder.path(), &mut m, signer)?;
    out.out(&printed_profile(&m, &base_url, &files, g.json));
    out.err(&format!(
        "emulator: listening on {base_url} for {}; merchant {} ({}); Ctrl-C stops it\n",
        crate::request::PATH,
        m.mchid,
        m.origin
    ));
    running.wait();
    drop(folder);
    out.err("emulator: stopped\n");
    Ok(0)
}

/// The signer's platform, at a phase of a rotation when asked.
fn platform(a: &EmulatorArgs, signer: Signer) -> Result<Platform> {
    let platform = Platform::sample(signer)?;
    let Some(phase) = a.rotation else {
        return Ok(platform);
    };
    if signer == Signer::PublicKey {
        bail!(
            "--rotation plays a platform certificate rotation: add --signer certificate (or \
             switching)"
        );
    }
    let phase = match phase {
        RotationArg::Before => Rotation::Before,
        RotationArg::During => Rotation::During,
        RotationArg::After => Rotation::After,
    };
    Ok(platform.rotated(phase, time::OffsetDateTime::now_utc().unix_timestamp()))
}

/// A line of the log on stderr, with the time it was written.
fn log(e: &emulator::Exchange) {
    let at = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        ))
        .unwrap_or_default();
    let _ = writeln!(
        std::io::stderr(),
        "emulator: {} [{at}]",
        emulator::log_line(e)
    );
}

/// Where the emulator's files are.
enum Folder {
    /// `--state DIR`: kept across restarts.
    Kept(PathBuf),
    /// A private temporary folder, removed when the emulator stops.
    Temporary(tempfile::TempDir),
}

impl Folder {
    fn path(&self) -> &Path {
        match self {
            Folder::Kept(dir) => dir,
            Folder::Temporary(t) => t.path(),
        }
    }
}

/// A fresh private folder (0700; tempfile creates folders with the default
/// mode unless told otherwise), named for the emulator.
fn temporary_folder() -> Result<tempfile::TempDir> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(crate::files::EMULATOR_FOLDER_PREFIX);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o700));
    }
    builder.tempdir().with_context(|| {
        format!(
            "creating a private folder in {}",
            std::env::temp_dir().display()
        )
    })
}

/// `--state DIR`: the emulator's files, its ledger and its port, kept.
struct State {
    dir: PathBuf,
}

impl State {
    /// The folder (made 0700 if missing), absolute, as printed profiles name it.
    fn open(dir: &Path) -> Result<State> {
        crate::files::create_dir(dir, 0o700)
            .with_context(|| format!("creating --state folder {}", dir.display()))?;
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        Ok(State { dir })
    }

    fn ledger(&self) -> PathBuf {
        self.dir.join("ledger.json")
    }

    /// The port it listened on last, so that a saved profile's base_url
    /// keeps working.
    fn port(&self) -> Option<SocketAddr> {
        let text = std::fs::read_to_string(self.dir.join("port")).ok()?;
        let port: u16 = text.trim().parse().ok()?;
        Some(SocketAddr::from(([127, 0, 0, 1], port)))
    }

    fn remember_port(&self, port: u16) -> Result<()> {
        let path = self.dir.join("port");
        let _ = std::fs::remove_file(&path);
        write_new(&path, &format!("{port}\n"), false)
    }
}

/// The files a printed profile names, in the emulator's folder.
struct Files {
    wechatpay_pub: Option<PathBuf>,
    certificates_dir: Option<PathBuf>,
    apiv3_key: Option<PathBuf>,
}

/// Writes what the profile needs for this signer: the sample merchant key
/// (with no config file), the WeChat Pay public key, the sample APIv3 key and
/// an empty folder for the certificates `certificates download` fetches.
fn write_files(folder: &Path, m: &mut Merchant, signer: Signer) -> Result<Files> {
    if m.sample {
        let key_file = folder.join("sample_merchant_key.pem");
        write_new(&key_file, pem_block(SAMPLE_MERCHANT_KEY), true)?;
        m.key_file = Some(key_file);
    }
    let mut files = Files {
        wechatpay_pub: None,
        certificates_dir: None,
        apiv3_key: None,
    };
    if signer != Signer::Certificate {
        let pub_file = folder.join("wechatpay_pub.pem");
        write_new(&pub_file, pem_block(SAMPLE_WECHATPAY_PUB), false)?;
        files.wechatpay_pub = Some(pub_file);
    }
    if signer != Signer::PublicKey {
        let dir = folder.join("wechatpay_certs");
        crate::files::create_dir(&dir, 0o755)
            .with_context(|| format!("creating {}", dir.display()))?;
        let key = folder.join("sample_apiv3_key.txt");
        write_new(&key, &format!("{SAMPLE_APIV3_KEY}\n"), true)?;
        files.certificates_dir = Some(dir);
        files.apiv3_key = Some(key);
    }
    Ok(files)
}

fn printed_profile(m: &Merchant, base_url: &str, files: &Files, json: bool) -> String {
    let path = |p: &Option<PathBuf>| p.as_ref().map(|f| f.display().to_string());
    if json {
        return format!(
            "{}\n",
            json!({
                "base_url": base_url, "mchid": m.mchid, "merchant_serial_no": m.serial,
                "private_key_file": path(&m.key_file),
                "wechatpay_public_key_id": files.wechatpay_pub.as_ref().map(|_| EMULATOR_KEY_ID),
                "wechatpay_public_key_file": path(&files.wechatpay_pub),
                "platform_certificates_dir": path(&files.certificates_dir),
                "apiv3_key_file": path(&files.apiv3_key),
            })
        );
    }
    let mut out = String::new();
    out.push_str("# wxcoupon emulator: a local stand-in for WeChat Pay. Sample keys; nothing here is real.\n");
    // The warning the sample key files carry in wxcoupon's source: the
    // written files are plain PEM, so it goes here.
    out.push_str(if m.sample {
        "# The key files below are published sample keys (in wxcoupon's source code); they sign nothing real.\n"
    } else {
        "# The WeChat Pay key files below are published sample keys (in wxcoupon's source code); they sign nothing real.\n"
    });
    if files.certificates_dir.is_some() {
        out.push_str("# Platform certificates: run `wxcoupon --config FILE certificates download` first (or let return fetch them).\n");
    }
    out.push_str("# Save this table in a config file, then: wxcoupon --config FILE return --code ... --stock ...\n");
    out.push_str("[profile.emulator]\n");
    out.push_str(&format!("mchid = {}\n", toml_str(&m.mchid)));
    out.push_str(&format!("merchant_serial_no = {}\n", toml_str(&m.serial)));
    match &m.key_file {
        Some(f) => out.push_str(&format!(
            "private_key_file = {}\n",
            toml_str(&f.display().to_string())
        )),
        None => out.push_str(
            "# private key: from WXCOUPON_PRIVATE_KEY, as for the profile it came from\n",
        ),
    }
    if let Some(f) = &files.wechatpay_pub {
        out.push_str(&format!(
            "wechatpay_public_key_id = {}\n",
            toml_str(EMULATOR_KEY_ID)
        ));
        out.push_str(&format!(
            "wechatpay_public_key_file = {}\n",
            toml_str(&f.display().to_string())
        ));
    }
    if let (Some(dir), Some(key)) = (&files.certificates_dir, &files.apiv3_key) {
        out.push_str(&format!(
            "platform_certificates_dir = {}\n",
            toml_str(&dir.display().to_string())
        ));
        out.push_str(&format!(
            "apiv3_key_file = {}\n",
            toml_str(&key.display().to_string())
        ));
    }
    out.push_str(&format!("base_url = {}\n", toml_str(base_url)));
    out
}
