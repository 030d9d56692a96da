//! Virtual Ethernet for emulated phones, on the emulator's clock.
//!
//! Everything here exchanges whole Ethernet frames (no FCS, 802.1Q tag when
//! tagged) through the [`Port`] contract, with time (µs, `u64`) passed in:
//! nothing reads a clock, so a run in virtual time is deterministic and a
//! three-day schedule costs only the frames it carries.
//!
//! - [`port`]: the frame port contract, and [`Endpoint`], a port driven from outside.
//! - [`switch`]: a VLAN-aware learning switch that drives attached ports.
//! - [`impair`]: seeded loss, delay + jitter and duplication around any port.
//! - [`pcap`]: a classic libpcap writer, and a tap around any port.
//! - [`lab`]: the built-in lab host (DHCP, DNS, SNTP, TFTP, HTTP, SIP NOTIFY).
//! - [`tap`]: a port bridged to a real Linux TAP device (real time only).

pub mod impair;
pub mod lab;
pub mod pcap;
pub mod port;
pub mod switch;
pub mod tap;
mod vlan;

pub use impair::{Impair, Impairment};
pub use lab::{Lab, LabConfig, LabEvent, LabRecord};
pub use pcap::{PcapTap, PcapWriter};
pub use port::{Endpoint, Port};
pub use switch::{PortId, PortMode, Switch};
