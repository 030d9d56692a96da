//! The CRC-32 engine: on `CTRL_START` it hashes `[SRC, SRC + LEN)` of SRAM
//! or flash straight from the host buffers that hold them, chaining through
//! `STATE` (contract in `board::periph::crc`).
//!
//! Guarantees: the new state is exactly `board::image::crc32_update(STATE,
//! bytes)`; the bytes are never copied; a range not wholly inside SRAM or
//! wholly inside flash sets `STATUS_ERROR` and leaves `STATE` unchanged;
//! no register value can make it panic. It takes no emulated time.

use crate::io::Io;
use board::map::FLASH;
use board::periph::crc::{CTRL_START, STATE_INIT, STATUS_ERROR, reg};

pub(crate) struct Crc {
    src: u32,
    len: u32,
    state: u32,
    error: bool,
}

impl Default for Crc {
    fn default() -> Crc {
        Crc { src: 0, len: 0, state: STATE_INIT, error: false }
    }
}

impl Crc {
    pub(crate) fn read(&self, off: u32) -> u32 {
        match off {
            reg::SRC => self.src,
            reg::LEN => self.len,
            reg::STATE => self.state,
            reg::RESULT => !self.state,
            reg::STATUS => self.error as u32 * STATUS_ERROR,
            _ => 0,
        }
    }

    /// A register write; `flash` is the whole NOR array (offset 0 is `FLASH.base`).
    pub(crate) fn write(&mut self, off: u32, value: u32, io: &Io, flash: &[u8]) {
        match off {
            reg::SRC => self.src = value,
            reg::LEN => self.len = value,
            reg::STATE => self.state = value,
            reg::CTRL if value == CTRL_START => self.start(io, flash),
            _ => {}
        }
    }

    pub(crate) fn reset(&mut self) {
        *self = Crc::default();
    }

    fn start(&mut self, io: &Io, flash: &[u8]) {
        let bytes = source(self.src, self.len, io, flash);
        self.error = bytes.is_none();
        if let Some(bytes) = bytes {
            self.state = update(self.state, bytes);
        }
    }
}

/// The guest bytes `[addr, addr + len)` when they lie wholly inside SRAM or
/// wholly inside flash.
fn source<'m>(addr: u32, len: u32, io: &'m Io, flash: &'m [u8]) -> Option<&'m [u8]> {
    if len == 0 {
        return Some(&[]);
    }
    if FLASH.contains_range(addr, len) {
        let off = (addr - FLASH.base) as usize;
        return flash.get(off..off + len as usize);
    }
    io.sram(addr, len as usize)
}

/// `board::image::crc32_update` computed by `crc32fast`, which gives the same
/// bits (checked in the tests) much faster: over a 192,180-byte image (the
/// boot ROM's check), 3.4 µs against 425 µs for the byte table (release,
/// x86-64 with PCLMULQDQ, data in cache, measured by hand).
fn update(state: u32, data: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new_with_initial(!state);
    h.update(data);
    !h.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hostmem::HostMem;
    use board::image::{crc32, crc32_update};
    use board::map::{BOOT_ROM, BOOT_WINDOW, PERIPH, SRAM};

    fn setup() -> (Crc, Io, Vec<u8>) {
        let io = Io::new("C".into(), HostMem::zeroed(SRAM.len as usize).unwrap());
        (Crc::default(), io, vec![0xFF; FLASH.len as usize])
    }

    /// Runs one operation from `state` and returns (STATE, RESULT, STATUS).
    fn op(c: &mut Crc, io: &Io, flash: &[u8], src: u32, len: u32, state: u32) -> (u32, u32, u32) {
        c.write(reg::STATE, state, io, flash);
        c.write(reg::SRC, src, io, flash);
        c.write(reg::LEN, len, io, flash);
        c.write(reg::CTRL, CTRL_START, io, flash);
        (c.read(reg::STATE), c.read(reg::RESULT), c.read(reg::STATUS))
    }

    #[test]
    fn check_value_of_123456789_in_sram() {
        let (mut c, mut io, flash) = setup();
        io.sram_mut(SRAM.base + 0x100, 9).unwrap().copy_from_slice(b"123456789");
        let (state, result, status) = op(&mut c, &io, &flash, SRAM.base + 0x100, 9, STATE_INIT);
        assert_eq!((state, result, status), (!0xCBF4_3926, 0xCBF4_3926, 0));
    }

    #[test]
    fn chunks_chained_through_state_hash_a_flash_range_like_crc32() {
        let (mut c, io, mut flash) = setup();
        let data: Vec<u8> = (0..70_001u32).map(|i| (i * 7 + i / 251) as u8).collect();
        let at = 0x30_0000;
        flash[at..at + data.len()].copy_from_slice(&data);
        let src = FLASH.base + at as u32;
        op(&mut c, &io, &flash, src, 65_536, STATE_INIT);
        let state = c.read(reg::STATE);
        let (_, result, status) = op(&mut c, &io, &flash, src + 65_536, 70_001 - 65_536, state);
        assert_eq!((result, status), (crc32(&data), 0));
    }

    #[test]
    fn same_bits_as_the_byte_table_for_any_length_and_state() {
        let (mut c, mut io, flash) = setup();
        let data: Vec<u8> = (0..1031u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        io.sram_mut(SRAM.base, data.len()).unwrap().copy_from_slice(&data);
        for (len, state) in [(0, STATE_INIT), (1, 0), (3, 0x1234_5678), (16, !0), (63, 0xDEAD_BEEF), (1031, 0x8000_0001)] {
            let (got, _, status) = op(&mut c, &io, &flash, SRAM.base, len, state);
            assert_eq!((got, status), (crc32_update(state, &data[..len as usize]), 0), "len {len} state {state:08x}");
        }
    }

    #[test]
    fn unreadable_ranges_set_the_error_bit_and_keep_the_state() {
        let (mut c, io, flash) = setup();
        let refused = [
            (SRAM.end() - 4, 5, "past the end of SRAM"),
            (FLASH.end() - 1, 2, "past the end of flash"),
            (FLASH.base - 1, 2, "starts before flash"),
            (BOOT_ROM.base, 16, "boot ROM"),
            (BOOT_WINDOW.base + 256, 16, "boot window"),
            (PERIPH.base, 4, "peripherals"),
            (0xFFFF_FFF0, 0x20, "wraps around the address space"),
            (SRAM.base, u32::MAX, "longer than anything"),
        ];
        for (src, len, why) in refused {
            assert_eq!(op(&mut c, &io, &flash, src, len, 0x0BAD_CAFE), (0x0BAD_CAFE, !0x0BAD_CAFE, STATUS_ERROR), "{why}");
        }
        assert_eq!(op(&mut c, &io, &flash, FLASH.end() - 1, 1, STATE_INIT).2, 0, "the last flash byte; error cleared");
        assert_eq!(op(&mut c, &io, &flash, BOOT_ROM.base, 0, 7), (7, !7, 0), "an empty operation reads nothing");
    }

    #[test]
    fn only_ctrl_start_runs_and_reset_restores_the_power_on_state() {
        let (mut c, mut io, flash) = setup();
        io.sram_mut(SRAM.base, 1).unwrap()[0] = b'a';
        c.write(reg::SRC, SRAM.base, &io, &flash);
        c.write(reg::LEN, 1, &io, &flash);
        c.write(reg::CTRL, 2, &io, &flash);
        assert_eq!(c.read(reg::RESULT), 0, "nothing ran");
        c.write(reg::CTRL, CTRL_START, &io, &flash);
        assert_eq!(c.read(reg::RESULT), 0xE8B7_BE43, "crc32(\"a\")");
        c.write(reg::SRC, 0, &io, &flash);
        c.write(reg::CTRL, CTRL_START, &io, &flash);
        assert_eq!(c.read(reg::STATUS), STATUS_ERROR);
        c.reset();
        let regs = [reg::SRC, reg::LEN, reg::STATE, reg::RESULT, reg::STATUS, reg::CTRL, 0x18, 0xFFC];
        assert_eq!(regs.map(|r| c.read(r)), [0, 0, STATE_INIT, 0, 0, 0, 0, 0]);
    }
}
