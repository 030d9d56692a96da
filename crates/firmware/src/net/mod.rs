//! The phone on the network: smoltcp over the board's NIC (the driver is in
//! the binary), DHCP with the provisioning options, DNS, file fetch over
//! TFTP and HTTP, SNTP and the SIP `check-sync` listener.
//!
//! - [`vlan`]: 802.1Q tagging done by the driver.
//! - [`lease`]: the raw DHCP ACK and the outgoing options 60/77/55.
//! - [`resolve`]: one DNS lookup. [`fetch`]: one file fetch.
//! - [`sink`]: where fetched bytes go (head kept, CRC-32 of the whole).
//! - [`clock`]: wall time from SNTP, `NtpZoneNum`. [`sip`]: port 5060.
//! - [`storage`]: every socket buffer, fixed size, in `.bss`.
//! - [`stack`]: [`stack::Net`], the interface and all the tasks above.

pub mod clock;
pub mod fetch;
pub mod lease;
pub mod resolve;
pub mod sink;
pub mod sip;
pub mod stack;
pub mod storage;
pub mod vlan;

use core::fmt;

/// Where the network code writes its console lines.
pub trait Console {
    fn line(&mut self, args: fmt::Arguments);
}
