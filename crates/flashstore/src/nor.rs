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
    /// Whether the `len` bytes at `addr` are all erased (`0xFF`). The
    /// default reads them a page at a time; a memory-mapped flash can look
    /// at them in place.
    fn is_erased(&self, addr: u32, len: u32) -> bool {
        is_erased_by_reading(self, addr, len)
    }
    /// Erases the sector starting at `addr` (sector-aligned) to `0xFF`.
    fn erase_sector(&mut self, addr: u32) -> Result<(), NorError>;
    /// ANDs `data` into flash at `addr` (within one page).
    fn program(&mut self, addr: u32, data: &[u8]) -> Result<(), NorError>;
}

/// [`Nor::is_erased`] through [`Nor::read`], a page at a time.
pub fn is_erased_by_reading<N: Nor + ?Sized>(nor: &N, mut addr: u32, len: u32) -> bool {
    const PAGE: usize = board::map::FLASH_PAGE as usize;
    let mut left = len as usize;
    let mut buf = [0u8; PAGE];
    while left > 0 {
        let n = left.min(PAGE);
        nor.read(addr, &mut buf[..n]);
        if !all_erased(&buf[..n]) {
            return false;
        }
        addr = addr.wrapping_add(n as u32);
        left -= n;
    }
    true
}

/// Whether every byte is `0xFF`, a word at a time where aligned (a loop per
/// byte costs an emulated phone a block per byte).
pub fn all_erased(bytes: &[u8]) -> bool {
    // SAFETY: any bit pattern is a valid u32.
    let (head, words, tail) = unsafe { bytes.align_to::<u32>() };
    head.iter().chain(tail).all(|&b| b == 0xFF) && words.chunks(8).all(|c| c.iter().fold(u32::MAX, |a, &w| a & w) == u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_erased_sees_a_cleared_bit_anywhere() {
        let mut b = [0xFFu8; 301];
        for off in 0..4 {
            assert!(all_erased(&b[off..]));
        }
        for i in [0, 1, 3, 4, 37, 255, 256, 299, 300] {
            b[i] = 0xFE;
            for off in 0..4.min(i + 1) {
                assert!(!all_erased(&b[off..]), "bit cleared at {i}, slice from {off}");
            }
            b[i] = 0xFF;
        }
        assert!(all_erased(&[]));
    }
}
