//! The ST20xx board contract, shared by the firmware, the boot ROM and the
//! emulator: the memory map, every peripheral's register offsets and bits,
//! the NIC descriptor layout, the flash geometry and partitions, the firmware
//! image header and the models.
//!
//! Guarantees: this crate is the one source of truth for every address; it is
//! `no_std`, has no dependencies, and every constant is asserted by a host
//! test (`tests.rs`), so a change to the contract is always a visible change.

#![cfg_attr(not(test), no_std)]

pub mod image;
pub mod keys;
pub mod map;
pub mod model;
pub mod nic;
pub mod periph;
pub mod slot;

#[cfg(all(target_arch = "arm", target_os = "none"))]
pub mod cpu;

#[cfg(test)]
mod tests;
