//! The FILES partition: melodies, tables, certificates, telcfg, deck files,
//! DSP and boot images. Its first two sectors hold the file table, a
//! flashstore journal `name → extent`; the other sectors hold the files,
//! each in whole sectors from a sector boundary.
//!
//! A new version of a file is written into free sectors (the largest free
//! run, so a streamed file of unknown size gets the most room), and only
//! then the table entry is set: one atomic flashstore record. The sectors
//! of the old version are free from that moment on.
//!
//! Entry value: `first sector u16 LE, length u32 LE, CRC-32 u32 LE`.
//!
//! Guarantees (R1): a power cut at any moment leaves every name pointing
//! at a whole old or whole new version; sectors written but never entered
//! in the table are simply free.

use super::crc::{NorCrc, crc_of};
use super::extent::{Extent, WriteError};
use board::map::{FILES, FLASH_SECTOR};
use flashstore::{Error, Nor, Store};

/// Sectors of the table journal.
const TABLE_SECTORS: u32 = 2;
const DATA_BASE: u32 = FILES.base + TABLE_SECTORS * FLASH_SECTOR;
/// Sectors for file contents.
pub const DATA_SECTORS: u32 = FILES.len / FLASH_SECTOR - TABLE_SECTORS;
/// RAM for the table (each entry: 2 + name + 10 bytes).
const TABLE_BYTES: usize = 4096;
const VALUE_LEN: usize = 10;

/// Where a stored file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileRef {
    pub addr: u32,
    pub len: u32,
    pub crc: u32,
}

impl FileRef {
    fn encode(&self) -> [u8; VALUE_LEN] {
        let mut b = [0u8; VALUE_LEN];
        let sector = ((self.addr - DATA_BASE) / FLASH_SECTOR) as u16;
        b[0..2].copy_from_slice(&sector.to_le_bytes());
        b[2..6].copy_from_slice(&self.len.to_le_bytes());
        b[6..10].copy_from_slice(&self.crc.to_le_bytes());
        b
    }

    fn decode(b: &[u8]) -> Option<FileRef> {
        if b.len() != VALUE_LEN {
            return None;
        }
        let sector = u32::from(u16::from_le_bytes([b[0], b[1]]));
        let len = u32::from_le_bytes([b[2], b[3], b[4], b[5]]);
        let sectors = len.div_ceil(FLASH_SECTOR);
        (sector + sectors <= DATA_SECTORS).then(|| FileRef { addr: DATA_BASE + sector * FLASH_SECTOR, len, crc: u32::from_le_bytes([b[6], b[7], b[8], b[9]]) })
    }

    fn sectors(&self) -> core::ops::Range<u32> {
        let first = (self.addr - DATA_BASE) / FLASH_SECTOR;
        first..first + self.len.div_ceil(FLASH_SECTOR)
    }
}

pub struct Files {
    table: Store<TABLE_BYTES>,
}

impl Files {
    pub const fn new() -> Files {
        Files { table: Store::new(FILES.base) }
    }

    pub fn load(&mut self, nor: &impl Nor) {
        self.table.load(nor);
    }

    pub fn count(&self) -> usize {
        self.table.len()
    }

    pub fn get(&self, name: &[u8]) -> Option<FileRef> {
        self.table.get(name).and_then(FileRef::decode)
    }

    /// A writer over the largest run of free sectors.
    pub fn writer(&self) -> Extent {
        let mut used = [false; DATA_SECTORS as usize];
        for (_, v) in self.table.iter() {
            if let Some(r) = FileRef::decode(v) {
                r.sectors().for_each(|s| used[s as usize] = true);
            }
        }
        let (mut best, mut run_start) = ((0u32, 0u32), 0u32);
        for i in 0..=DATA_SECTORS {
            if i == DATA_SECTORS || used[i as usize] {
                if i - run_start > best.1 {
                    best = (run_start, i - run_start);
                }
                run_start = i + 1;
            }
        }
        Extent::new(DATA_BASE + best.0 * FLASH_SECTOR, best.1 * FLASH_SECTOR)
    }

    /// Enters what `w` wrote under `name` (after `w` finished).
    pub fn commit(&mut self, nor: &mut impl NorCrc, name: &[u8], w: &mut Extent) -> Result<FileRef, Error> {
        w.finish(nor).map_err(|_| Error::Nor(flashstore::NorError::Failed))?;
        let r = FileRef { addr: w.base(), len: w.len(), crc: crc_of(nor, w.base(), w.len()) };
        self.table.set(nor, name, &r.encode())?;
        Ok(r)
    }

    /// Stores `bytes` under `name`.
    pub fn write_all(&mut self, nor: &mut impl NorCrc, name: &[u8], bytes: &[u8]) -> Result<FileRef, Error> {
        let mut w = self.writer();
        w.write(nor, bytes).map_err(|e| match e {
            WriteError::TooLarge => Error::Full,
            WriteError::Flash => Error::Nor(flashstore::NorError::Failed),
        })?;
        self.commit(nor, name, &mut w)
    }
}

impl Default for Files {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sim::SimFlash;
    use board::image::crc32;

    fn read(f: &SimFlash, r: FileRef) -> Vec<u8> {
        let mut b = vec![0; r.len as usize];
        f.read(r.addr, &mut b);
        b
    }

    #[test]
    fn files_get_their_own_sectors_and_survive_a_reload() {
        let mut f = SimFlash::new();
        let mut files = Files::new();
        files.load(&f);
        let ring = b"Clocks:d=16,o=6,b=140:b5,a5,8P\n";
        let a = files.write_all(&mut f, b"kind.Melody", ring).unwrap();
        let big = vec![0x5A; 70_000];
        let b = files.write_all(&mut f, b"kind.ToneTable", &big).unwrap();
        assert_eq!(a.addr, DATA_BASE);
        assert_eq!(b.addr, DATA_BASE + FLASH_SECTOR, "the largest free run starts after the melody");
        let mut again = Files::new();
        again.load(&f);
        assert_eq!(again.get(b"KIND.melody"), Some(a));
        assert_eq!(read(&f, a), ring);
        assert_eq!(again.get(b"kind.ToneTable").unwrap().crc, crc32(&big));
    }

    #[test]
    fn a_new_version_goes_elsewhere_then_frees_the_old() {
        let mut f = SimFlash::new();
        let mut files = Files::new();
        let v1 = files.write_all(&mut f, b"kind.Telcfg", b"#VPD1020D49S_IAD_TELCFG\nv1\n").unwrap();
        let v2 = files.write_all(&mut f, b"kind.Telcfg", b"#VPD1020D49S_IAD_TELCFG\nv2\n").unwrap();
        assert_ne!(v1.addr, v2.addr);
        let v3 = files.write_all(&mut f, b"kind.Melody", b"x").unwrap();
        assert_eq!(files.count(), 2);
        assert!(v3.addr == v1.addr || v3.addr > v2.addr);
    }

    #[test]
    fn r1_power_cut_keeps_a_whole_version() {
        let old = b"old version".to_vec();
        let new = vec![0x33; 600];
        let mut base = SimFlash::new();
        let mut files = Files::new();
        files.write_all(&mut base, b"kind.Melody", &old).unwrap();
        let ops0 = base.ops;
        for at in ops0..ops0 + 12 {
            for tear in [0, 5] {
                let mut f = SimFlash::new();
                f.mem = base.mem.clone();
                f.ops = ops0;
                f.cut = Some((at, tear));
                let mut files = Files::new();
                files.load(&f);
                let _ = files.write_all(&mut f, b"kind.Melody", &new);
                f.restore();
                let mut after = Files::new();
                after.load(&f);
                let got = read(&f, after.get(b"kind.Melody").unwrap());
                assert!(got == old || got == new, "cut at {at}");
            }
        }
    }
}
