//! System control: board identity, boot slot, sleep, watchdog, reset, and
//! the mark of a provisioning run's start (the trace's `run` event).

use board::cpu;
use board::periph::sysctl::{self, BASE, reg};

/// The hardware model byte (`board::model::Hardware as u8`).
pub fn hardware() -> u8 {
    cpu::read(BASE + reg::MODEL) as u8
}

/// The hardware revision (`hw5` in the User-Agent).
pub fn revision() -> u8 {
    (cpu::read(BASE + reg::MODEL) >> 8) as u8
}

pub fn mac() -> [u8; 6] {
    let lo = cpu::read(BASE + reg::MAC_LO).to_le_bytes();
    let hi = cpu::read(BASE + reg::MAC_HI).to_le_bytes();
    [lo[0], lo[1], lo[2], lo[3], hi[0], hi[1]]
}

/// The slot the boot ROM mapped into the boot window (0 = A, 1 = B).
pub fn boot_slot() -> u32 {
    cpu::read(BASE + reg::BOOT_SLOT) & 1
}

pub fn reset_cause() -> u32 {
    cpu::read(BASE + reg::RESET_CAUSE)
}

/// Sleeps until `deadline` (timer µs; `u64::MAX` = until an event) or a
/// wake event; returns the pending `EVENT_*` bits (reading clears them).
pub fn sleep_until(deadline: u64) -> u32 {
    cpu::write(BASE + reg::SLEEP_LO, deadline as u32);
    cpu::write(BASE + reg::SLEEP_HI, (deadline >> 32) as u32);
    cpu::wfi();
    cpu::read(BASE + reg::EVENTS)
}

pub fn watchdog_enable(timeout_us: u32) {
    cpu::write(BASE + reg::WDT_TIMEOUT, timeout_us);
    watchdog_kick();
}

pub fn watchdog_kick() {
    cpu::write(BASE + reg::WDT_KICK, sysctl::WDT_KICK_KEY);
}

/// Requests a software reset (it happens at the next sleep).
pub fn reset() {
    cpu::write(BASE + reg::RESET, sysctl::RESET_KEY);
}

/// Tells the board a provisioning run starts now (`RUN_*` reason), due at
/// `due_us` (timer µs).
pub fn run_mark(reason: u32, due_us: u64) {
    cpu::write(BASE + reg::RUN_DUE_LO, due_us as u32);
    cpu::write(BASE + reg::RUN_DUE_HI, (due_us >> 32) as u32);
    cpu::write(BASE + reg::RUN_MARK, reason);
}
