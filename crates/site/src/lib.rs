//! Where a phone's cable goes: the built-in lab serving a directory, a real
//! network through a TAP device, or nothing, through a virtual switch, with
//! optional seeded loss, a pcap file and frame tracing. [`PhoneNet`] is the
//! `machine::Network` a `machine::Runner` drives; [`NetSpec`] and
//! [`LabOptions`] are its command-line forms (`--net`, and the flags
//! `st20xx run` flattens in).
//!
//! What the lab sees becomes trace records (`dhcp`, `serve`; see
//! [`events`]), merged by the runner into the phone's trace in time order.

pub mod events;
mod error;
mod options;
mod phonenet;
mod spec;

pub use error::SiteError;
pub use options::{LabOptions, dhcp_option, lab_dir, probability};
pub use phonenet::{NetStats, PhoneNet};
pub use spec::NetSpec;
