//! The CRC-32 engine: one operation hashes bytes in SRAM or flash where
//! they lie, chaining through its `STATE` register.
//!
//! Guarantees: [`update`] equals `board::image::crc32_update` for any
//! slice; a slice the engine cannot read (say, in the boot window) is
//! hashed in software instead.

use board::cpu;
use board::image::crc32_update;
use board::periph::crc::{BASE, CTRL_START, STATUS_ERROR, reg};
use core::sync::atomic::{Ordering, compiler_fence};

/// `crc32_update(state, bytes)` of the `len` bytes at `addr`, or `None`
/// when the engine refused the range (not wholly in SRAM or in flash).
pub fn update_at(state: u32, addr: u32, len: u32) -> Option<u32> {
    cpu::write(BASE + reg::STATE, state);
    cpu::write(BASE + reg::SRC, addr);
    cpu::write(BASE + reg::LEN, len);
    // The bytes must be in memory before the engine reads them.
    compiler_fence(Ordering::SeqCst);
    cpu::write(BASE + reg::CTRL, CTRL_START);
    (cpu::read(BASE + reg::STATUS) & STATUS_ERROR == 0).then(|| cpu::read(BASE + reg::STATE))
}

/// `crc32_update(state, data)`, by the engine when it can read `data`.
pub fn update(state: u32, data: &[u8]) -> u32 {
    update_at(state, data.as_ptr() as u32, data.len() as u32).unwrap_or_else(|| crc32_update(state, data))
}
