//! wxcoupon's integration tests: one binary, a module per area. They run
//! the real binary against servers they start on 127.0.0.1 — a WeChat Pay
//! stand-in (`common`) that verifies request signatures with ring, not with
//! wxcoupon's code, and signs its answers — and check that no secret leaks.

mod architecture;
mod batch;
mod batch_hostile;
mod certificates;
mod common;
mod docs;
mod emulator;
mod examples;
mod fidelity;
mod hostile;
mod ledger;
mod published;
mod recipes;
mod retries;
mod return_cmd;
mod snapshots;
mod terminal;
mod tools;
mod version;
