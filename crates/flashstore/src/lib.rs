//! A power-safe key/value journal over two NOR flash sectors, for the
//! phone's config store (and any other small store that must survive a power
//! cut at any instant).
//!
//! Keys are `section.key` byte strings (ISO-8859-1, matched
//! case-insensitively), values arbitrary bytes; both at most 255 bytes. The
//! store keeps the whole map in RAM (fixed capacity, no heap) and mirrors
//! every change to flash as one CRC-checked record; a batch (`set_many`) is
//! one record, so it lands whole or not at all. When the active sector is
//! full, a compacted snapshot is written to the other sector under a higher
//! generation (see `format` for the bytes).
//!
//! Guarantees: after a power cut during any erase or program (even one that
//! leaves a page or sector torn), `Store::load` yields exactly the state before
//! the interrupted call or exactly the state after it, never a mix and never
//! nothing. Loading never panics on any flash contents.

#![cfg_attr(not(test), no_std)]

mod format;
mod map;
mod nor;
mod store;

#[cfg(test)]
mod sim;
#[cfg(test)]
mod tests;

pub use format::{MAX_KEY, MAX_VALUE};
pub use map::fold_latin1;
pub use nor::{Nor, NorError, all_erased, is_erased_by_reading};
pub use store::{DEFAULT_BYTES, Error, Op, Store};
