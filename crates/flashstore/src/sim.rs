//! A simulated NOR flash for host tests that can cut the power at any
//! chosen erase or program, tearing it: only a prefix of the bytes lands.

use crate::nor::{Nor, NorError};
use board::map::{FLASH_PAGE, FLASH_SECTOR};

#[derive(Clone)]
pub struct SimNor {
    pub base: u32,
    pub mem: Vec<u8>,
    /// Erase/program operations started so far.
    pub ops: usize,
    /// Cut the power at operation `n`, after `tear` bytes of it landed.
    pub cut: Option<(usize, usize)>,
    /// Power is off: every operation fails.
    pub dead: bool,
}

impl SimNor {
    pub fn new(base: u32, sectors: u32) -> Self {
        SimNor { base, mem: vec![0xFF; (sectors * FLASH_SECTOR) as usize], ops: 0, cut: None, dead: false }
    }

    fn off(&self, addr: u32, len: usize) -> Result<usize, NorError> {
        let off = addr.checked_sub(self.base).ok_or(NorError::Refused)? as usize;
        if off + len > self.mem.len() { Err(NorError::Refused) } else { Ok(off) }
    }

    /// How much of an operation of `len` bytes lands, or `None` for all of it.
    fn start_op(&mut self, len: usize) -> Result<Option<usize>, NorError> {
        if self.dead {
            return Err(NorError::Failed);
        }
        let n = self.ops;
        self.ops += 1;
        match self.cut {
            Some((at, tear)) if at == n => {
                self.dead = true;
                Ok(Some(tear.min(len)))
            }
            _ => Ok(None),
        }
    }

    /// Power comes back: operations work again and no cut is pending.
    pub fn restore(&mut self) {
        self.dead = false;
        self.cut = None;
    }
}

impl Nor for SimNor {
    fn read(&self, addr: u32, buf: &mut [u8]) {
        let off = self.off(addr, buf.len()).expect("read outside the simulated flash");
        buf.copy_from_slice(&self.mem[off..off + buf.len()]);
    }

    fn erase_sector(&mut self, addr: u32) -> Result<(), NorError> {
        if !addr.is_multiple_of(FLASH_SECTOR) {
            return Err(NorError::Refused);
        }
        let off = self.off(addr, FLASH_SECTOR as usize)?;
        let torn = self.start_op(FLASH_SECTOR as usize)?;
        let n = torn.unwrap_or(FLASH_SECTOR as usize);
        self.mem[off..off + n].fill(0xFF);
        if torn.is_some() { Err(NorError::Failed) } else { Ok(()) }
    }

    fn program(&mut self, addr: u32, data: &[u8]) -> Result<(), NorError> {
        if data.is_empty() || (addr % FLASH_PAGE) as usize + data.len() > FLASH_PAGE as usize {
            return Err(NorError::Refused);
        }
        let off = self.off(addr, data.len())?;
        let torn = self.start_op(data.len())?;
        let n = torn.unwrap_or(data.len());
        for (cell, &b) in self.mem[off..off + n].iter_mut().zip(data) {
            *cell &= b;
        }
        if torn.is_some() { Err(NorError::Failed) } else { Ok(()) }
    }
}
