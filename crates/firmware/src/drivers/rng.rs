//! The hardware random number generator (seeded by the emulator).

use board::cpu;
use board::periph::rng::{BASE, reg};

#[allow(dead_code)] // the provisioning run draws its random start time from it
pub fn next_u32() -> u32 {
    cpu::read(BASE + reg::VALUE)
}
