//! The memory map and the flash partitions.
//!
//! ```text
//! 0x0000_0000  boot ROM        64 KiB  read + execute
//! 0x0800_0000  NOR flash        8 MiB  read + execute; written only through FLASHCTL
//! 0x0C00_0000  boot window      1 MiB  read + execute: the firmware slot chosen
//!                                      by SYSCTL BOOT_SLOT (an alias of slot A or B)
//! 0x2000_0000  SRAM           256 KiB  read + write, never execute
//! 0x4000_0000  peripherals      one 4 KiB block each (see `periph`)
//! ```
//!
//! The firmware is linked at `BOOT_WINDOW + image::HEADER_LEN`, so the same
//! image runs from either slot.

/// A half-open address range `[base, base + len)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub base: u32,
    pub len: u32,
}

impl Region {
    pub const fn new(base: u32, len: u32) -> Region {
        Region { base, len }
    }
    pub const fn end(&self) -> u32 {
        self.base + self.len
    }
    pub const fn contains(&self, addr: u32) -> bool {
        addr >= self.base && addr - self.base < self.len
    }
    /// True when `[addr, addr + len)` lies wholly inside the region.
    pub const fn contains_range(&self, addr: u32, len: u32) -> bool {
        addr >= self.base && (addr as u64 + len as u64) <= self.end() as u64
    }
}

pub const BOOT_ROM: Region = Region::new(0x0000_0000, 64 * 1024);
pub const FLASH: Region = Region::new(0x0800_0000, 8 * 1024 * 1024);
pub const BOOT_WINDOW: Region = Region::new(0x0C00_0000, SLOT_LEN);
pub const SRAM: Region = Region::new(0x2000_0000, 256 * 1024);
pub const PERIPH: Region = Region::new(0x4000_0000, 16 * PERIPH_BLOCK);
pub const PERIPH_BLOCK: u32 = 0x1000;

/// NOR flash geometry: erase by sector, program by page (erase sets `0xFF`,
/// programming can only clear bits).
pub const FLASH_SECTOR: u32 = 64 * 1024;
pub const FLASH_PAGE: u32 = 256;

pub const SLOT_LEN: u32 = 1024 * 1024;

/// Firmware slot A and B (see `slot` for their layout).
pub const SLOT_A: Region = Region::new(FLASH.base, SLOT_LEN);
pub const SLOT_B: Region = Region::new(FLASH.base + SLOT_LEN, SLOT_LEN);
/// Power-safe config store: a journal over two sectors.
pub const CONFIG: Region = Region::new(0x0820_0000, 2 * FLASH_SECTOR);
/// Provisioning state: last installed names, `config_sn`, persistent VLAN.
pub const STATE: Region = Region::new(0x0822_0000, 2 * FLASH_SECTOR);
/// The APS log, a ring of records over two sectors.
pub const APS_LOG: Region = Region::new(0x0824_0000, 2 * FLASH_SECTOR);
/// The factory profile (`provision_mode=customization`).
pub const FACTORY: Region = Region::new(0x0826_0000, 2 * FLASH_SECTOR);
/// File store: melodies, tables, certificates, deck files, DSP and boot images.
pub const FILES: Region = Region::new(0x0830_0000, 0x0880_0000 - 0x0830_0000);

/// Every flash partition, in address order.
pub const PARTITIONS: [(&str, Region); 7] = [
    ("slot_a", SLOT_A),
    ("slot_b", SLOT_B),
    ("config", CONFIG),
    ("state", STATE),
    ("aps_log", APS_LOG),
    ("factory", FACTORY),
    ("files", FILES),
];

/// The slot region for slot number 0 (A) or 1 (B).
pub const fn slot(n: u32) -> Region {
    if n == 0 { SLOT_A } else { SLOT_B }
}
