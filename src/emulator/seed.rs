//! The coupons the emulator starts with, from `--coupons FILE`: a JSON array
//! of `{coupon_code, stock_id, state[, mchid]}`, or a CSV with a header —
//! the batch's own columns, `coupon_code,stock_id`, with `state` (USED when
//! absent) and `mchid` optional — so that a batch's input can seed it.

use std::path::Path;

use anyhow::{Result, anyhow, bail};

use super::ledger::{Coupon, State};

const FORMS: &str = "a JSON array of {\"coupon_code\", \"stock_id\", \"state\": \
                     USED|SENDED|EXPIRED|DELETED|DEACTIVATED[, \"mchid\"]}, or a CSV with the \
                     header coupon_code,stock_id[,state][,mchid]";

pub fn read_coupons(path: &Path) -> Result<Vec<Coupon>> {
    let text = crate::files::read(path, "--coupons", crate::files::COUPONS_MAX)?;
    let json = text
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'[');
    let coupons = if json {
        serde_json::from_slice(&text)
            .map_err(|e| anyhow!("--coupons {}: {e}; expected {FORMS}", path.display()))?
    } else {
        csv(&text).map_err(|e| anyhow!("--coupons {}: {e}; expected {FORMS}", path.display()))?
    };
    let mut seen = std::collections::BTreeSet::new();
    for c in &coupons {
        if c.coupon_code.is_empty() || c.stock_id.is_empty() {
            bail!(
                "--coupons {}: a coupon has an empty coupon_code or stock_id",
                path.display()
            );
        }
        if !seen.insert(&c.coupon_code) {
            bail!(
                "--coupons {}: coupon {} appears twice",
                path.display(),
                c.coupon_code
            );
        }
    }
    Ok(coupons)
}

fn csv(text: &[u8]) -> Result<Vec<Coupon>> {
    let text = text.strip_prefix("\u{feff}".as_bytes()).unwrap_or(text);
    let mut reader = ::csv::ReaderBuilder::new().flexible(true).from_reader(text);
    let header = reader.headers()?.clone();
    let column = |name: &str| header.iter().position(|h| h.trim() == name);
    let (Some(code), Some(stock)) = (column("coupon_code"), column("stock_id")) else {
        bail!("its header has no coupon_code and stock_id columns");
    };
    let (state, mchid) = (column("state"), column("mchid"));
    let mut coupons = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record?;
        let line = i + 2;
        let field = |at: Option<usize>| at.and_then(|at| record.get(at)).map(str::trim);
        let state = match field(state).unwrap_or("") {
            "" | "USED" => State::Used,
            "SENDED" => State::Sended,
            "EXPIRED" => State::Expired,
            "DELETED" => State::Deleted,
            "DEACTIVATED" => State::Deactivated,
            other => bail!(
                "line {line}: state {:?} is not USED, SENDED, EXPIRED, DELETED or DEACTIVATED",
                crate::escape::term(other)
            ),
        };
        coupons.push(Coupon {
            coupon_code: field(Some(code)).unwrap_or_default().to_string(),
            stock_id: field(Some(stock)).unwrap_or_default().to_string(),
            state,
            mchid: field(mchid).filter(|m| !m.is_empty()).map(str::to_string),
        });
    }
    Ok(coupons)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_csv_seeds_used_coupons_and_states_may_be_given() {
        let c =
            csv(b"\xEF\xBB\xBFcoupon_code,stock_id,extra\nC1,9856000,x\nC2,9856000,y\n").unwrap();
        assert_eq!(c.len(), 2);
        assert!(
            c.iter()
                .all(|c| c.state == State::Used && c.mchid.is_none())
        );
        let c = csv(b"stock_id,coupon_code,state,mchid\n1,C3,SENDED,1900000999\n").unwrap();
        assert_eq!(
            (c[0].coupon_code.as_str(), c[0].state),
            ("C3", State::Sended)
        );
        assert_eq!(c[0].mchid.as_deref(), Some("1900000999"));
        let e = csv(b"coupon_code,stock_id,state\nC1,1,LOST\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "line 2: state \"LOST\" is not USED, SENDED, EXPIRED, DELETED or DEACTIVATED"
        );
        assert!(csv(b"code,stock\nC1,1\n").is_err());
    }
}
