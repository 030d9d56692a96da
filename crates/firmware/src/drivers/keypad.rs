//! The keypad FIFO: key-down events only (releases and unknown codes are
//! dropped), and the hook switch level.

use board::cpu;
use board::keys::Key;
use board::periph::keypad::{BASE, EVENT_DOWN, EVENT_EMPTY, STATUS_OFF_HOOK, reg};

/// The next key pressed, if any is queued.
pub fn next_press() -> Option<Key> {
    loop {
        let ev = cpu::read(BASE + reg::POP);
        if ev == EVENT_EMPTY {
            return None;
        }
        if ev & EVENT_DOWN != 0
            && let Some(k) = Key::from_code(ev as u8)
        {
            return Some(k);
        }
    }
}

pub fn off_hook() -> bool {
    cpu::read(BASE + reg::STATUS) & STATUS_OFF_HOOK != 0
}
