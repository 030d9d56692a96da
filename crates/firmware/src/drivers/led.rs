//! The system LED (colour and hardware blink mode in one register).

use board::cpu;
use board::periph::led::{BASE, reg};

/// Sets the system LED to `value` (`board::periph::led::value(mode, colour)`).
pub fn set_system(value: u32) {
    cpu::write(BASE + reg::SYSTEM, value);
}
