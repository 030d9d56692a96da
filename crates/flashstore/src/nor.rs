//! The NOR flash the store runs on: memory-like reads, sector erase (to
//! `0xFF`), page program (bits can only be cleared).
//!
//! Contract for implementors: addresses are absolute; `program` is called
//! with at most one page (`board::map::FLASH_PAGE`) that does not cross a page
//! boundary; an operation that returns `Ok` has fully landed; one that
//! returns `Err` may have landed partly (torn).

/// Why a flash operation did not complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NorError {
    /// The controller refused the command (bad address, length or alignment).
    #[error("flash controller refused the command")]
    Refused,
    /// The operation started but did not complete (power loss, timeout).
    #[error("flash operation did not complete")]
    Failed,
}

pub trait Nor {
    /// Reads `buf.len()` bytes at `addr`.
    fn read(&self, addr: u32, buf: &mut [u8]);
    /// Erases the sector starting at `addr` (sector-aligned) to `0xFF`.
    fn erase_sector(&mut self, addr: u32) -> Result<(), NorError>;
    /// ANDs `data` into flash at `addr` (within one page).
    fn program(&mut self, addr: u32, data: &[u8]) -> Result<(), NorError>;
}
