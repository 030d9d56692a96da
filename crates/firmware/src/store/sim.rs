//! A simulated 8 MiB NOR flash for host tests that can cut the power at a
//! chosen erase or program (only a prefix of it lands, then every
//! operation fails until `restore`).

use board::map::{FLASH, FLASH_PAGE, FLASH_SECTOR};
use flashstore::{Nor, NorError};

pub struct SimFlash {
    pub mem: Vec<u8>,
    pub ops: usize,
    pub cut: Option<(usize, usize)>,
    pub dead: bool,
}

impl SimFlash {
    pub fn new() -> SimFlash {
        SimFlash { mem: vec![0xFF; FLASH.len as usize], ops: 0, cut: None, dead: false }
    }

    pub fn restore(&mut self) {
        (self.dead, self.cut) = (false, None);
    }

    fn start(&mut self) -> Result<Option<usize>, NorError> {
        if self.dead {
            return Err(NorError::Failed);
        }
        let n = self.ops;
        self.ops += 1;
        match self.cut {
            Some((at, tear)) if at == n => {
                self.dead = true;
                Ok(Some(tear))
            }
            _ => Ok(None),
        }
    }

    fn off(addr: u32, len: usize) -> Result<usize, NorError> {
        if FLASH.contains_range(addr, len as u32) { Ok((addr - FLASH.base) as usize) } else { Err(NorError::Refused) }
    }
}

impl Default for SimFlash {
    fn default() -> Self {
        Self::new()
    }
}

/// Hashed in software, through `read`.
impl super::crc::NorCrc for SimFlash {}

impl Nor for SimFlash {
    fn read(&self, addr: u32, buf: &mut [u8]) {
        match Self::off(addr, buf.len()) {
            Ok(o) => buf.copy_from_slice(&self.mem[o..o + buf.len()]),
            Err(_) => buf.fill(0xFF),
        }
    }

    fn erase_sector(&mut self, addr: u32) -> Result<(), NorError> {
        if !addr.is_multiple_of(FLASH_SECTOR) {
            return Err(NorError::Refused);
        }
        let o = Self::off(addr, FLASH_SECTOR as usize)?;
        let n = match self.start()? {
            Some(t) => t.min(FLASH_SECTOR as usize),
            None => FLASH_SECTOR as usize,
        };
        self.mem[o..o + n].fill(0xFF);
        if n < FLASH_SECTOR as usize { Err(NorError::Failed) } else { Ok(()) }
    }

    fn program(&mut self, addr: u32, data: &[u8]) -> Result<(), NorError> {
        if data.is_empty() || data.len() > FLASH_PAGE as usize || addr % FLASH_PAGE + data.len() as u32 > FLASH_PAGE {
            return Err(NorError::Refused);
        }
        let o = Self::off(addr, data.len())?;
        let n = match self.start()? {
            Some(t) => t.min(data.len()),
            None => data.len(),
        };
        self.mem[o..o + n].iter_mut().zip(data).for_each(|(m, d)| *m &= d);
        if n < data.len() { Err(NorError::Failed) } else { Ok(()) }
    }
}
