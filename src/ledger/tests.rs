use super::*;
use crate::batch::journal::Record;

fn ledger(dir: &Path) -> Ledger {
    let place = Place {
        dir: dir.join("state/wxcoupon"),
        named: false,
    };
    let who = Who {
        profile: "shop".into(),
        mchid: "1900000001".into(),
    };
    Ledger::open(&place, who).unwrap()
}

fn request(code: &str, no: &str) -> ReturnRequest {
    crate::request::validate(code, "9856000", Some(no))
        .unwrap()
        .0
}

#[test]
fn a_record_is_a_journal_record_with_the_ledgers_fields() {
    let dir = tempfile::tempdir().unwrap();
    let l = ledger(dir.path());
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&l.dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
    l.sending(0, &request("C1", "N1")).unwrap();
    let files = scan::months(&l.dir).unwrap();
    assert_eq!(files.len(), 1);
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let line = text.lines().next().unwrap();
    assert!(
        line.starts_with("{\"record\":\"sending\",\"line\":0,"),
        "{line}"
    );
    let record: Record = serde_json::from_str(line).unwrap();
    assert!(matches!(record, Record::Sending { .. }));
    let entry: Entry = serde_json::from_str(line).unwrap();
    assert_eq!(
        (&*entry.profile, &*entry.mchid, &*entry.coupon_code),
        ("shop", "1900000001", "C1")
    );
    assert_eq!(
        &entry.time[..7],
        files[0].file_name().unwrap().to_str().unwrap()[..7].to_string()
    );
    assert_eq!(
        l.last_of("C1", "9856000").unwrap().unwrap().record,
        "sending"
    );
    assert_eq!(l.last_of("C1", "other").unwrap(), None);
    assert_eq!(l.holder_of("N1").unwrap().unwrap().coupon_code, "C1");
    assert_eq!(l.holder_of("N2").unwrap(), None);
}

#[test]
fn threads_appending_at_once_tear_no_line() {
    let dir = tempfile::tempdir().unwrap();
    let l = ledger(dir.path());
    std::thread::scope(|s| {
        for t in 0..4 {
            let l = &l;
            s.spawn(move || {
                for i in 0..50 {
                    l.sending(0, &request(&format!("C{t}x{i}"), &format!("N{t}x{i}")))
                        .unwrap();
                }
            });
        }
    });
    let mut warnings = Vec::new();
    let mut n = 0;
    for path in scan::months(&l.dir).unwrap() {
        scan::each(&path, "", &mut warnings, |_| n += 1).unwrap();
    }
    assert_eq!((n, warnings), (200, Vec::<String>::new()));
}

#[test]
fn the_default_folder_is_never_a_link_and_a_read_only_one_refused() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::create_dir(dir.path().join("state")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, dir.path().join("state/wxcoupon")).unwrap();
    let who = Who {
        profile: "p".into(),
        mchid: "1".into(),
    };
    let mut place = Place {
        dir: dir.path().join("state/wxcoupon"),
        named: false,
    };
    let e = format!("{:#}", Ledger::open(&place, who.clone()).err().unwrap());
    assert!(e.contains("is a symbolic link"), "{e}");
    place.named = true;
    Ledger::open(&place, who.clone()).unwrap();
    use std::os::unix::fs::PermissionsExt;
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o500)).unwrap();
    let place = Place {
        dir: ro.clone(),
        named: true,
    };
    // root writes anywhere: then there is nothing to check.
    if rustix::process::geteuid().as_raw() != 0 {
        let e = format!("{:#}", Ledger::open(&place, who).err().unwrap());
        assert!(e.contains("opening the ledger"), "{e}");
    }
}

#[test]
fn the_place_follows_the_environment_then_the_profile_then_xdg_then_home() {
    let mut env = Env {
        home: Some("/h".into()),
        ..Env::default()
    };
    let at = |env: &Env, dir: Option<&Path>| place(env, dir, true).unwrap().unwrap();
    assert_eq!(at(&env, None).dir, Path::new("/h/.local/state/wxcoupon"));
    env.xdg_state_home = Some("relative".into());
    assert_eq!(at(&env, None).dir, Path::new("/h/.local/state/wxcoupon"));
    env.xdg_state_home = Some("/x".into());
    assert_eq!(at(&env, None).dir, Path::new("/x/wxcoupon"));
    assert_eq!(at(&env, Some(Path::new("/p"))).dir, Path::new("/p"));
    env.state_dir = Some("/s".into());
    assert_eq!(at(&env, Some(Path::new("/p"))).dir, Path::new("/s"));
    assert_eq!(place(&env, None, false).unwrap(), None);
    assert!(place(&Env::default(), None, true).is_err());
}

/// Request numbers and coupons are WeChat Pay's per merchant: the lookups
/// see only the ledger's records of this merchant (the emulator's sample
/// merchant and a real one share a machine's ledger).
#[test]
fn the_lookups_are_a_merchants_own() {
    let dir = tempfile::tempdir().unwrap();
    let shop = ledger(dir.path());
    shop.sending(0, &request("C1", "R-1")).unwrap();
    let place = Place {
        dir: dir.path().join("state/wxcoupon"),
        named: false,
    };
    let other = Ledger::open(
        &place,
        Who {
            profile: "emulator".into(),
            mchid: "1230000109".into(),
        },
    )
    .unwrap();
    assert!(shop.holder_of("R-1").unwrap().is_some());
    assert!(other.holder_of("R-1").unwrap().is_none());
    assert!(shop.last_of("C1", "9856000").unwrap().is_some());
    assert!(other.last_of("C1", "9856000").unwrap().is_none());
}

#[test]
fn an_empty_or_relative_state_dir_is_refused() {
    let mut env = Env {
        state_dir: Some("".into()),
        ..Env::default()
    };
    assert!(place(&env, None, true).is_err());
    env.state_dir = Some("rel".into());
    let e = format!("{:#}", place(&env, None, true).err().unwrap());
    assert!(
        e.starts_with("WXCOUPON_STATE_DIR rel: the ledger's folder must be an absolute path"),
        "{e}"
    );
    env.state_dir = Some("/abs".into());
    assert_eq!(
        place(&env, None, true).unwrap().unwrap().dir,
        PathBuf::from("/abs")
    );
}
