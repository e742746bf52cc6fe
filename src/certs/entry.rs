//! WeChat Pay's own dates for a platform certificate — its download entry's
//! `effective_time` (启用时间) and `expire_time` (弃用时间) — kept beside
//! `SERIAL.pem` as `SERIAL.json`, so that the certificate file stays exactly
//! what WeChat Pay delivered (other tools load every `*.pem`). A certificate
//! without one (copied in by hand) is in use over its whole validity.

use std::path::Path;

use anyhow::{Result, anyhow};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::cert::{PlatformCert, same_serial};
use crate::files;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Dates {
    serial_no: String,
    effective_time: String,
    expire_time: String,
}

/// The `SERIAL.json` beside a `SERIAL.pem`.
pub fn path_for(pem: &Path) -> std::path::PathBuf {
    pem.with_extension("json")
}

/// The text of `SERIAL.json` for a certificate.
pub fn text(cert: &PlatformCert) -> String {
    let dates = Dates {
        serial_no: cert.serial.clone(),
        effective_time: crate::cst::rfc3339(cert.effective_time),
        expire_time: crate::cst::rfc3339(cert.expire_time),
    };
    serde_json::to_string_pretty(&dates).unwrap_or_default() + "\n"
}

/// Reads the dates kept beside `pem` into `cert`, when there are any.
pub fn read_into(cert: &mut PlatformCert, pem: &Path) -> Result<()> {
    let path = path_for(pem);
    if std::fs::symlink_metadata(&path).is_err() {
        return Ok(());
    }
    let text = files::read_text(&path, "platform certificate dates", 64 * 1024)?;
    let wrong = |why: String| {
        anyhow!(
            "platform certificate dates {}: {why}; remove the file (the certificate is then in \
             use over its whole validity) or download the certificates again",
            path.display()
        )
    };
    let dates: Dates =
        serde_json::from_str(&text).map_err(|e| wrong(crate::escape::cut(&e.to_string())))?;
    if !same_serial(&dates.serial_no, &cert.serial) {
        return Err(wrong(format!(
            "its serial_no {} is not the certificate's",
            crate::escape::term(&dates.serial_no)
        )));
    }
    let time = |field: &str, t: &str| {
        OffsetDateTime::parse(t, &Rfc3339)
            .map_err(|_| wrong(format!("{field} is not an RFC 3339 time")))
    };
    cert.effective_time = time("effective_time", &dates.effective_time)?;
    cert.expire_time = time("expire_time", &dates.expire_time)?;
    Ok(())
}
