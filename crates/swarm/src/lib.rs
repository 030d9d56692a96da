//! Many emulated phones against one provisioning server: thousands of
//! `machine::Machine`s, each a real firmware with its own MAC, flash and
//! identity, multiplexed on worker threads, through a virtual switch to the
//! built-in lab or a TAP device, timed phase by phase from the trace.
//!
//! - [`config`]: the swarm (count, model mix, MACs, shards, ramp, clock, goal).
//! - [`engine`]: [`Swarm`], the conservative-lookahead scheduler; `part`:
//!   the phones and cells one timeline steps window by window.
//! - [`phase`]: trace records → per-phone phase timings and outcome.
//! - [`report`]: the JSON report (schema in its module doc), merge, summary.
//! - [`plot`]: provisioned-over-time and phase percentiles (SVG or PNG).
//! - [`cell`], [`bank`]: one far end (lab or TAP) and its phones' ports.
//! - [`cut`]: which frames vanish when the lab's HTTP server stops mid-run.
//! - [`dhcpframe`]: which frame a phone sent is its DHCP DISCOVER.

pub mod bank;
pub mod cell;
pub mod config;
pub mod cut;
pub mod dhcpframe;
pub mod engine;
mod error;
pub mod mem;
mod part;
pub mod phase;
mod phone;
pub mod plot;
pub mod report;

pub use config::{Goal, Mix, PhoneSpec, Shard, SwarmConfig, mac_add, parse_mac};
pub use engine::{Progress, Swarm, SwarmNet, swarm_lab_config};
pub use lan::LabConfig;
pub use error::SwarmError;
pub use phase::{Outcome, Stage};
pub use report::{PhaseStats, Report};
