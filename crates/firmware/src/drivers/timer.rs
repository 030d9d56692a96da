//! The 64-bit microsecond timer (time since power-on).

use board::cpu;
use board::periph::timer::{BASE, reg};

/// Now, in µs. Reading the low word latches the high word.
pub fn now() -> u64 {
    let lo = cpu::read(BASE + reg::NOW_LO);
    let hi = cpu::read(BASE + reg::NOW_HI);
    (hi as u64) << 32 | lo as u64
}
