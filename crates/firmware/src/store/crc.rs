//! CRC-32 of bytes already in flash (a downloaded image read back, a file
//! just written): [`NorCrc`] lets the phone's flash driver hash them in
//! place with the board's CRC engine, and gives every other `Nor` (the
//! host tests' simulated flash) the software way, page by page.
//!
//! Guarantees: [`crc_of`] is `board::image::crc32` of the `len` bytes that
//! `Nor::read` returns at `addr`, whichever way it is computed.

use board::image::crc32_update;
use board::map::FLASH_PAGE;
use flashstore::Nor;

/// A NOR flash whose bytes can be hashed where they lie.
pub trait NorCrc: Nor {
    /// `crc32_update(state, bytes)` of the `len` bytes at `addr`.
    fn crc32_update(&self, state: u32, addr: u32, len: u32) -> u32 {
        read_back(self, state, addr, len)
    }
}

/// The software way: `crc32_update` over the bytes `nor.read` returns, a
/// page at a time.
pub fn read_back(nor: &(impl Nor + ?Sized), mut state: u32, addr: u32, len: u32) -> u32 {
    let mut buf = [0u8; FLASH_PAGE as usize];
    let mut off = 0;
    while off < len {
        let n = (len - off).min(FLASH_PAGE) as usize;
        nor.read(addr.wrapping_add(off), &mut buf[..n]);
        state = crc32_update(state, &buf[..n]);
        off += n as u32;
    }
    state
}

/// CRC-32 of `len` bytes of flash at `addr`.
pub fn crc_of(nor: &impl NorCrc, addr: u32, len: u32) -> u32 {
    !nor.crc32_update(!0, addr, len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sim::SimFlash;
    use board::image::crc32;
    use board::map::{FILES, FLASH};

    #[test]
    fn reads_back_across_pages() {
        let mut f = SimFlash::new();
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 13 + 5) as u8).collect();
        let o = (FILES.base - FLASH.base) as usize + 3;
        f.mem[o..o + data.len()].copy_from_slice(&data);
        assert_eq!(crc_of(&f, FILES.base + 3, 1000), crc32(&data));
        assert_eq!(crc_of(&f, FILES.base + 3, 9), crc32(&data[..9]));
        assert_eq!(crc_of(&f, FILES.base, 0), 0);
    }
}
