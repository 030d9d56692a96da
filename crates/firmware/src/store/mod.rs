//! What the provisioning run keeps in flash, one partition each (see
//! `board::map`), every writer generic over `flashstore::Nor` so the host
//! tests run it on a simulated flash that can lose power at any operation:
//!
//! - [`extent`]: a streaming writer into erased-as-needed flash.
//! - [`crc`]: the CRC-32 of bytes in flash (the CRC engine on the phone).
//! - [`slot`]: a firmware image into the other slot, commit record last.
//! - [`files`]: the FILES partition: a file table (a flashstore journal in
//!   its first two sectors) over sector-aligned extents.
//! - [`state`]: the STATE partition: the `Installed` record and the
//!   "resume after reboot" flag, in one atomic record.
//! - [`aps_log`]: the APS log, a ring of text lines over two sectors.
//!
//! Guarantees (R1): a power cut at any erase or program leaves each
//! partition readable as either its state before or after the interrupted
//! change (the log may lose its last line), and never a torn firmware slot
//! the boot ROM would start.

pub mod aps_log;
pub mod crc;
pub mod extent;
pub mod files;
pub mod slot;
pub mod state;

#[cfg(test)]
pub mod sim;
