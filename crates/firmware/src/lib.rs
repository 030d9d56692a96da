//! The hardware-independent part of the ST20xx firmware: what the phone
//! shows and decides, and its network stack, tested on the host (`cargo
//! test --lib --target x86_64-unknown-linux-gnu` in `crates/firmware`). The
//! binary (`main.rs`) adds the start-up code, the drivers and the main loop.
//!
//! Guarantees: nothing here touches a register; time is passed in (µs of
//! the board timer).

#![cfg_attr(not(test), no_std)]

pub mod apply;
pub mod aps_runner;
pub mod config;
pub mod identity;
pub mod net;
pub mod store;
pub mod text;
pub mod trigger;
pub mod ui;
