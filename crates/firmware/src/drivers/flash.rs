//! The flash controller as a `flashstore::Nor`: reads (and erased checks)
//! straight from the memory-mapped flash, a word at a time; erase and program issue one command, then sleep
//! until the controller reports done (EVENT_FLASH_DONE wakes the CPU).
//!
//! A CRC of flash bytes is one CRC engine operation over them.
//!
//! Guarantees: never busy-waits; an operation still busy after four times
//! its nominal duration, or flagged `STATUS_ERROR`, returns an error.

use super::{crc, sysctl, timer};
use board::cpu;
use board::map::{FLASH, FLASH_PAGE};
use board::periph::flashctl::{BASE, CMD_ERASE_SECTOR, CMD_PROGRAM, ERASE_US, PROGRAM_US, STATUS_BUSY, STATUS_ERROR, reg};
use core::sync::atomic::{Ordering, compiler_fence};
use firmware::store::crc::{NorCrc, read_back};
use flashstore::{Nor, NorError};

pub struct Flash;

impl Flash {
    fn run(&mut self, addr: u32, src: u32, len: u32, cmd: u32, busy_us: u64) -> Result<(), NorError> {
        cpu::write(BASE + reg::ADDR, addr);
        cpu::write(BASE + reg::SRC, src);
        cpu::write(BASE + reg::LEN, len);
        compiler_fence(Ordering::SeqCst);
        cpu::write(BASE + reg::CMD, cmd);
        if cpu::read(BASE + reg::STATUS) & STATUS_ERROR != 0 {
            return Err(NorError::Refused);
        }
        let deadline = timer::now() + 4 * busy_us;
        loop {
            let status = cpu::read(BASE + reg::STATUS);
            if status & STATUS_BUSY == 0 {
                return if status & STATUS_ERROR != 0 { Err(NorError::Failed) } else { Ok(()) };
            }
            if timer::now() >= deadline {
                return Err(NorError::Failed);
            }
            sysctl::sleep_until(deadline);
        }
    }
}

/// The memory-mapped flash bytes `addr..addr + len`, if all inside it.
fn mapped(addr: u32, len: usize) -> Option<&'static [u8]> {
    let last = addr.checked_add(u32::try_from(len).ok()?.checked_sub(1)?)?;
    if !(FLASH.contains(addr) && FLASH.contains(last)) {
        return None;
    }
    // The controller changes flash behind the compiler's back: no read may
    // move before the commands that came first.
    compiler_fence(Ordering::SeqCst);
    // SAFETY: inside the memory-mapped flash, which is always readable.
    Some(unsafe { core::slice::from_raw_parts(addr as *const u8, len) })
}

impl Nor for Flash {
    fn read(&self, addr: u32, buf: &mut [u8]) {
        if let Some(bytes) = mapped(addr, buf.len()) {
            buf.copy_from_slice(bytes);
            return;
        }
        for (i, b) in buf.iter_mut().enumerate() {
            let a = addr.wrapping_add(i as u32);
            *b = if FLASH.contains(a) {
                // SAFETY: inside the memory-mapped flash; volatile because
                // the controller changes it behind the compiler's back.
                unsafe { core::ptr::read_volatile(a as *const u8) }
            } else {
                0xFF
            };
        }
    }

    fn is_erased(&self, addr: u32, len: u32) -> bool {
        match mapped(addr, len as usize) {
            Some(bytes) => flashstore::all_erased(bytes),
            None => flashstore::is_erased_by_reading(self, addr, len),
        }
    }

    fn erase_sector(&mut self, addr: u32) -> Result<(), NorError> {
        self.run(addr, 0, 0, CMD_ERASE_SECTOR, ERASE_US)
    }

    fn program(&mut self, addr: u32, data: &[u8]) -> Result<(), NorError> {
        if data.is_empty() || data.len() > FLASH_PAGE as usize {
            return Err(NorError::Refused);
        }
        // The controller copies from SRAM; `data` might be in flash.
        let mut page = [0u8; FLASH_PAGE as usize];
        page[..data.len()].copy_from_slice(data);
        self.run(addr, page.as_ptr() as u32, data.len() as u32, CMD_PROGRAM, PROGRAM_US)
    }
}

impl NorCrc for Flash {
    fn crc32_update(&self, state: u32, addr: u32, len: u32) -> u32 {
        crc::update_at(state, addr, len).unwrap_or_else(|| read_back(self, state, addr, len))
    }
}
