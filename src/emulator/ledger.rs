//! The emulated gateway's ledger: the coupons and their states (seeded from
//! `--coupons FILE` or the samples), the request numbers used, and the
//! nonces seen within the skew window.

use std::collections::{BTreeMap, HashMap};

use std::path::Path;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    /// Used (核销): the only state that can be returned.
    #[serde(rename = "USED")]
    Used,
    /// Sent to the user and usable.
    #[serde(rename = "SENDED")]
    Sended,
    #[serde(rename = "EXPIRED")]
    Expired,
    #[serde(rename = "DELETED")]
    Deleted,
    /// Deactivated (已失效) by the merchant or WeChat Pay.
    #[serde(rename = "DEACTIVATED")]
    Deactivated,
}

/// One seeded coupon (`--coupons FILE` is a JSON array of these).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coupon {
    pub coupon_code: String,
    pub stock_id: String,
    pub state: State,
    /// The owning merchant; the profile's mchid when absent.
    pub mchid: Option<String>,
}

/// The mutable part: coupons, used request numbers, recent nonces.
#[derive(Debug, Default)]
pub struct Ledger {
    pub(super) coupons: BTreeMap<String, Coupon>,
    /// Request number → the coupon it returned.
    pub(super) request_nos: BTreeMap<String, String>,
    /// nonce → timestamp, kept for the skew window.
    pub(super) nonces: HashMap<String, i64>,
    pub returns: u32,
}

impl Ledger {
    pub fn new(coupons: Vec<Coupon>) -> Self {
        Ledger {
            coupons: coupons
                .into_iter()
                .map(|c| (c.coupon_code.clone(), c))
                .collect(),
            ..Ledger::default()
        }
    }

    pub fn state(&self, code: &str) -> Option<State> {
        self.coupons.get(code).map(|c| c.state)
    }

    /// The ledger kept in `--state DIR` (coupons, and the request numbers
    /// used), when there is one.
    pub fn load(path: &Path) -> anyhow::Result<Option<Ledger>> {
        if !path.exists() {
            return Ok(None);
        }
        let text = crate::files::read(path, "the emulator's ledger", crate::files::COUPONS_MAX)?;
        let kept: Kept = serde_json::from_slice(&text).map_err(|e| {
            anyhow::anyhow!(
                "the emulator's ledger {}: {e}; remove it to start from the sample coupons",
                path.display()
            )
        })?;
        Ok(Some(Ledger {
            request_nos: kept.request_nos,
            ..Ledger::new(kept.coupons)
        }))
    }

    /// Writes the ledger to `path`: a fresh file, then a rename.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let kept = Kept {
            coupons: self.coupons.values().cloned().collect(),
            request_nos: self.request_nos.clone(),
        };
        let text = serde_json::to_string_pretty(&kept).unwrap_or_default() + "\n";
        let tmp = path.with_extension("json.partial");
        let _ = std::fs::remove_file(&tmp);
        let mut f = crate::files::create_new(&tmp, 0o600)?;
        std::io::Write::write_all(&mut f, text.as_bytes())?;
        std::fs::rename(&tmp, path)
    }
}

/// What `--state DIR` keeps of the ledger.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Kept {
    coupons: Vec<Coupon>,
    request_nos: BTreeMap<String, String>,
}
