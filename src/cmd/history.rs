//! `wxcoupon history`: the ledger's rows, as JSON Lines (`--json`, the field
//! names of `return --json`) or a table for people. The ledger is the one
//! `return` writes: `WXCOUPON_STATE_DIR`, else the profile's `ledger_dir`
//! (a profile named with `--config`/`--profile` or their variables must be
//! read; otherwise the default one is used if a config is found), else the
//! XDG state folder. Every profile's rows in that folder are listed.

use anyhow::Result;

use crate::cli::{GlobalOpts, HistoryArgs};
use crate::env::Env;
use crate::escape;
use crate::ledger::{self, history};
use crate::output::Out;
use crate::profile;

pub fn run(g: &GlobalOpts, a: &HistoryArgs, env: &Env, out: &mut Out) -> Result<u8> {
    let filter = history::Filter {
        code: a.code.clone(),
        stock: a.stock.clone(),
        since: a.since.clone(),
        until: a.until.clone(),
        outcome: a.outcome.clone(),
    };
    filter.check()?;
    let named =
        g.config.is_some() || g.profile.is_some() || env.config.is_some() || env.profile.is_some();
    let dir = match profile::select(g.config.as_deref(), g.profile.as_deref(), env) {
        Ok(p) => p.ledger_dir,
        // A profile named must be read; without one, the default folder.
        Err(e) if named => return Err(e),
        Err(_) => None,
    };
    let Some(place) = ledger::place(env, dir.as_deref(), true)? else {
        return Ok(0);
    };
    let mut warnings = Vec::new();
    if !g.json {
        out.out(&format!(
            "{:<25}  {:<22}  {:<24}  {:<12}  {:<32}  {:<10}  {:<10}  REQUEST-ID\n",
            "TIME", "OUTCOME", "COUPON", "STOCK", "REQUEST NO", "PROFILE", "MCHID"
        ));
    }
    let mut any = false;
    history::rows(&place.dir, &filter, &mut warnings, |row| {
        any = true;
        if g.json {
            out.json(row);
        } else {
            out.out(&line(row));
        }
    })?;
    for w in warnings {
        out.err(&format!("wxcoupon: warning: {}\n", escape::term(&w)));
    }
    if !any && !g.json {
        out.err(&format!(
            "wxcoupon: the ledger {} has no return that matches\n",
            place.dir.display()
        ));
    }
    Ok(0)
}

/// A row of the table; text from the network (and the ledger) escaped.
fn line(r: &history::Row) -> String {
    let t = escape::term;
    let code = match (&r.code, r.outcome.as_str()) {
        (Some(c), _) => format!("{} {c}", r.outcome),
        (None, o) => o.to_string(),
    };
    format!(
        "{:<25}  {:<22}  {:<24}  {:<12}  {:<32}  {:<10}  {:<10}  {}\n",
        t(&r.time),
        t(&code),
        t(&r.coupon_code),
        t(&r.stock_id),
        t(&r.return_request_no),
        t(&r.profile),
        t(&r.mchid),
        t(r.request_id.as_deref().unwrap_or("-"))
    )
}
