//! The emulated gateway's ledger: the coupons and their states (seeded from
//! `--coupons FILE` or the samples), the request numbers used, and the
//! nonces seen within the skew window.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
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
#[derive(Debug, Clone, Deserialize)]
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
}
