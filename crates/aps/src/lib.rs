//! Auto-provisioning (APS) decisions for the ST20xx phone: the parsers,
//! codecs and crypto (part 1) and the provisioning run built on them (part 2).
//!
//! - [`ini`]: the line tokenizer shared by INF and config files.
//! - [`inf`]: the provisioning information file (CONFORMANCE I1–I6).
//! - [`config`]: config files, lookups and the common + MAC merge (F8).
//! - [`settings`]: typed values of the config keys the firmware acts on.
//! - [`ser`]: `.ser` AES-128-CBC decryption and encryption (E1, E2).
//! - [`dhcp`]: DHCP options 60/77/55 out, 1/3/6/42/43/66/67/150/190–192 in (D1–D7).
//! - [`source`]: where the INF comes from, and the INF retry rule (P1–P5).
//! - [`lcd`]: the LCD message table (L1–L3).
//! - [`schedule`]: when a run starts: power-up, periodic, NOTIFY (T1–T4, S2).
//! - [`notify`]: whether a NOTIFY may trigger a run (T4, S2).
//! - [`run`]: part 2, the provisioning run as a state machine (F1–F12).
//! - [`url`]: minimal http(s) URL parsing and relative resolution (I4).
//! - [`names`]: MAC text and the `<MODEL>_<MAC>` file names.
//! - [`time`]: the `Instant` type the sans-I/O state machines take.
//! - [`vlan`]: the 802.1Q tag in use and when it changes (V1–V5).
//!
//! Guarantees: `no_std`, no allocation, no I/O, no clock. Every parser takes
//! outside bytes and returns a typed error (with a line number where there are
//! lines); none panics on any input (property tests and fuzz targets check it).

#![cfg_attr(not(test), no_std)]

pub mod config;
pub mod dhcp;
pub mod inf;
pub mod ini;
pub mod lcd;
pub mod names;
pub mod notify;
pub mod run;
pub mod schedule;
pub mod ser;
pub mod settings;
pub mod source;
pub mod time;
pub mod url;
pub mod vlan;

pub use board::model::{Hardware, Model, Protocol};
