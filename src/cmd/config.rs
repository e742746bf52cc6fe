//! `wxcoupon config example`: the example config, built into the binary, so
//! that an installed wxcoupon can start a config file without its sources.

use anyhow::Result;

use crate::output::Out;

/// `config.example.toml`, byte for byte.
const EXAMPLE: &str = include_str!("../../config.example.toml");

pub fn example(out: &mut Out) -> Result<u8> {
    out.out(EXAMPLE);
    Ok(0)
}
