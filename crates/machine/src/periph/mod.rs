//! The peripheral bus: every device model of the board behind one MMIO
//! window, routed by 4 KiB block (`board::periph::BLOCKS` order).
//!
//! The CRC engine is routed apart from the other devices: it reads flash as
//! well as SRAM, so it is handed both instead of the shared `Io`.
//!
//! Guarantees: a device only ever sees offsets relative to its block; reads
//! narrower than a word return the addressed bytes of the register's word;
//! no access, whatever its offset or size, can panic.

pub(crate) mod crc;
pub(crate) mod eth;
pub(crate) mod flashctl;
pub(crate) mod keypad;
pub(crate) mod lcd;
pub(crate) mod led;
pub(crate) mod rng;
pub(crate) mod sysctl;
pub(crate) mod timer;
pub(crate) mod uart;

use crate::hostmem::{HostMem, HostMemError};
use crate::io::{Device, Io};
use board::map::{FLASH, PERIPH, PERIPH_BLOCK, SRAM};
use board::model::Hardware;

/// How many bytes of the peripheral region are mapped (the listed blocks).
pub(crate) const MAPPED_LEN: u32 = board::periph::BLOCKS.len() as u32 * PERIPH_BLOCK;

const CRC_BLOCK: u64 = ((board::periph::crc::BASE - PERIPH.base) / PERIPH_BLOCK) as u64;

/// A memory fault seen by the TLB: what was tried where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Fault {
    pub access: &'static str,
    pub page: u32,
    pub what: &'static str,
}

/// Everything the CPU's callbacks can reach: the devices and the shared context.
pub(crate) struct Board {
    pub io: Io,
    pub sysctl: sysctl::Sysctl,
    pub timer: timer::Timer,
    pub rng: rng::Rng,
    pub flash: flashctl::FlashCtl,
    pub lcd: lcd::Lcd,
    pub leds: led::Leds,
    pub keypad: keypad::Keypad,
    pub eth: eth::Eth,
    pub uart: uart::Uart,
    pub crc: crc::Crc,
    /// The last access the TLB refused (for the crash report).
    pub fault: Option<Fault>,
    /// Why a hook stopped the CPU (bkpt, svc, …).
    pub trap: Option<String>,
    /// Flash and boot-window pages the TLB gave execute permission since
    /// the last look (`pool` learns from them which pages hold code).
    pub fetched: Vec<u32>,
}

impl Board {
    /// The devices of a phone with identity `mac`, hardware `hardware`,
    /// `seed` for its RNG and torn bytes, over `flash`, with zeroed SRAM.
    pub(crate) fn new(hardware: Hardware, mac: [u8; 6], seed: u64, flash: HostMem) -> Result<Board, HostMemError> {
        Ok(Board {
            io: Io::new(trace::phone_id(mac), HostMem::zeroed(SRAM.len as usize)?),
            sysctl: sysctl::Sysctl::new(hardware, mac),
            timer: Default::default(),
            rng: rng::Rng::new(seed, mac),
            flash: flashctl::FlashCtl::new(flash, rng::key(seed, mac, 1)),
            lcd: Default::default(),
            leds: Default::default(),
            keypad: Default::default(),
            eth: Default::default(),
            uart: Default::default(),
            crc: Default::default(),
            fault: None,
            trap: None,
            fetched: Vec::new(),
        })
    }

    /// What a core shows while no phone runs on it (nothing is touched:
    /// its memory is mapped, never used).
    pub(crate) fn placeholder() -> Result<Board, HostMemError> {
        Board::new(Hardware::St2030, [0; 6], 0, HostMem::flash(FLASH.len as usize, &[])?)
    }

    fn route(&mut self, block: u64) -> Option<(&mut dyn Device, &mut Io)> {
        let dev: &mut dyn Device = match block {
            0 => &mut self.sysctl,
            1 => &mut self.timer,
            2 => &mut self.rng,
            3 => &mut self.flash,
            4 => &mut self.lcd,
            5 => &mut self.leds,
            6 => &mut self.keypad,
            7 => &mut self.eth,
            8 => &mut self.uart,
            _ => return None,
        };
        Some((dev, &mut self.io))
    }

    /// An MMIO read at `off` from the start of the peripheral region.
    pub(crate) fn read(&mut self, off: u64, size: usize) -> u64 {
        let (block, reg) = (off / PERIPH_BLOCK as u64, (off % PERIPH_BLOCK as u64) as u32);
        let word = if block == CRC_BLOCK {
            self.crc.read(reg & !3)
        } else {
            let Some((dev, io)) = self.route(block) else { return 0 };
            dev.read(reg & !3, io)
        };
        let word = word >> ((reg & 3) * 8);
        let mask = if size >= 4 { u32::MAX } else { (1u32 << (size * 8)) - 1 };
        (word & mask) as u64
    }

    /// An MMIO write at `off` from the start of the peripheral region.
    pub(crate) fn write(&mut self, off: u64, size: usize, value: u64) {
        let (block, reg) = (off / PERIPH_BLOCK as u64, (off % PERIPH_BLOCK as u64) as u32);
        if block == CRC_BLOCK {
            self.crc.write(reg, value as u32, &self.io, self.flash.array.as_slice());
        } else if let Some((dev, io)) = self.route(block) {
            dev.write(reg, size, value as u32, io);
        }
    }

    /// Every device back to its reset state.
    pub(crate) fn reset_devices(&mut self) {
        for block in 0..board::periph::BLOCKS.len() as u64 {
            if let Some((dev, io)) = self.route(block) {
                dev.reset(io);
            }
        }
        self.crc.reset();
        self.fault = None;
        self.trap = None;
    }
}

