//! Auto-provisioning part 2: the provisioning run the firmware drives once
//! it holds the INF (CONFORMANCE F1–F12, E1, E2, I2, I5, I6, L1–L3).
//!
//! - [`state`]: [`Run`], the sans-I/O state machine.
//! - [`action`]: what the run asks ([`Action`]) and is told ([`FetchResult`]).
//! - [`plan`]: the order of a run per protocol (F1, F3, F10).
//! - [`installed`]: what the phone has installed, and its flash record.
//! - [`kind`]: the file kinds, their L2 messages and log names.
//! - [`locate`]: where each file is fetched from (I4, F7).
//! - [`log`]: the APS log lines (F12).
//! - [`content`]: telcfg header and RTTTL melody checks.
//! - [`xml`]: the deck-file well-formedness check (F10).
//!
//! Guarantees: `no_std`, no allocation, no clock, no panic on any input or
//! call order; a run always ends (bounded by its plan and the INF's deck
//! files).

pub mod action;
pub mod content;
pub mod installed;
pub mod kind;
pub mod locate;
pub mod log;
pub mod plan;
pub mod state;
pub mod xml;

pub use action::{Action, Apply, Buf, Fetch, FetchResult, Location, Screen, Sink};
pub use installed::{Installed, Stamp};
pub use kind::FileKind;
pub use locate::Origin;
pub use log::{LogLine, Name, RebootReason};
pub use state::{Phone, Run, apply_entries};

#[cfg(test)]
mod tests;
