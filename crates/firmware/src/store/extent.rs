//! A streaming writer into a flash region: bytes are collected into pages
//! and programmed in order; each sector is erased when the first byte for
//! it arrives, so a transfer never waits for an erase it does not need.
//!
//! Guarantees: never programs outside `[base, base + cap)` (beyond the
//! sectors it erased itself, and only those that hold the region); a
//! write past `cap` is refused with [`WriteError::TooLarge`] and leaves
//! what was written; a flash error sticks (every later call fails).

use board::map::{FLASH_PAGE, FLASH_SECTOR};
use flashstore::Nor;

const PAGE: usize = FLASH_PAGE as usize;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteError {
    /// More bytes than the region holds.
    TooLarge,
    /// An erase or program failed.
    Flash,
}

pub struct Extent {
    base: u32,
    cap: u32,
    /// Bytes accepted so far (programmed or in `page`).
    len: u32,
    page: [u8; PAGE],
    fill: usize,
    /// Everything below this address (from the first sector) is erased.
    erased_to: u32,
    failed: Option<WriteError>,
}

impl Extent {
    /// A writer at `base` (page-aligned) for at most `cap` bytes.
    pub const fn new(base: u32, cap: u32) -> Extent {
        Extent { base, cap, len: 0, page: [0xFF; PAGE], fill: 0, erased_to: base - base % FLASH_SECTOR, failed: None }
    }

    pub fn base(&self) -> u32 {
        self.base
    }

    pub fn len(&self) -> u32 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn failed(&self) -> Option<WriteError> {
        self.failed
    }

    pub fn write(&mut self, nor: &mut impl Nor, mut data: &[u8]) -> Result<(), WriteError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if data.len() as u64 > u64::from(self.cap - self.len) {
            self.failed = Some(WriteError::TooLarge);
            return Err(WriteError::TooLarge);
        }
        while !data.is_empty() {
            let n = (PAGE - self.fill).min(data.len());
            self.page[self.fill..self.fill + n].copy_from_slice(&data[..n]);
            (self.fill, self.len, data) = (self.fill + n, self.len + n as u32, &data[n..]);
            if self.fill == PAGE {
                self.flush(nor)?;
            }
        }
        Ok(())
    }

    /// Programs the last partial page.
    pub fn finish(&mut self, nor: &mut impl Nor) -> Result<(), WriteError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if self.fill > 0 { self.flush(nor) } else { Ok(()) }
    }

    fn flush(&mut self, nor: &mut impl Nor) -> Result<(), WriteError> {
        let addr = self.base + self.len - self.fill as u32;
        let r = self.program(nor, addr);
        self.fill = 0;
        self.page = [0xFF; PAGE];
        if r.is_err() {
            self.failed = Some(WriteError::Flash);
        }
        r
    }

    fn program(&mut self, nor: &mut impl Nor, addr: u32) -> Result<(), WriteError> {
        while self.erased_to < addr + self.fill as u32 {
            nor.erase_sector(self.erased_to).map_err(|_| WriteError::Flash)?;
            self.erased_to += FLASH_SECTOR;
        }
        nor.program(addr, &self.page[..self.fill]).map_err(|_| WriteError::Flash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::crc::crc_of;
    use crate::store::sim::SimFlash;
    use board::image::crc32;
    use board::map::FILES;

    #[test]
    fn streams_across_pages_and_sectors_erasing_as_it_goes() {
        let mut f = SimFlash::new();
        let base = FILES.base;
        f.mem[(base - board::map::FLASH.base) as usize + 70_000] = 0x00;
        let data: Vec<u8> = (0..70_001u32).map(|i| (i * 7) as u8).collect();
        let mut e = Extent::new(base, 2 * FLASH_SECTOR);
        for chunk in data.chunks(1428) {
            e.write(&mut f, chunk).unwrap();
        }
        e.finish(&mut f).unwrap();
        assert_eq!(e.len(), 70_001);
        assert_eq!(crc_of(&f, base, 70_001), crc32(&data), "the stale byte in sector 2 was erased first");
        let o = (base - board::map::FLASH.base) as usize;
        assert_eq!(f.mem[o + 70_001], 0xFF);
        assert_eq!(f.ops, 2 + 70_001usize.div_ceil(256));
    }

    #[test]
    fn refuses_more_than_the_region_and_sticks() {
        let mut f = SimFlash::new();
        let mut e = Extent::new(FILES.base, 300);
        e.write(&mut f, &[1; 200]).unwrap();
        assert_eq!(e.write(&mut f, &[2; 101]), Err(WriteError::TooLarge));
        assert_eq!(e.write(&mut f, &[2; 1]), Err(WriteError::TooLarge));
    }

    #[test]
    fn a_flash_error_sticks() {
        let mut f = SimFlash::new();
        f.cut = Some((1, 10));
        let mut e = Extent::new(FILES.base, 4096);
        assert_eq!(e.write(&mut f, &[1; 256]), Err(WriteError::Flash));
        f.restore();
        assert_eq!(e.finish(&mut f), Err(WriteError::Flash));
    }
}
