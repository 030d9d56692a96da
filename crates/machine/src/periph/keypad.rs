//! The keypad: a FIFO of key events (depth `FIFO_DEPTH`) and the hook level.
//!
//! Guarantees: a key event beyond the FIFO depth is dropped (and counted); a
//! reset empties the FIFO but keeps the hook level, which is mechanical.

use crate::io::{Device, Io};
use board::keys::Key;
use board::periph::keypad::{reg, *};
use board::periph::sysctl::EVENT_KEY;
use std::collections::VecDeque;

#[derive(Default)]
pub(crate) struct Keypad {
    fifo: VecDeque<u32>,
    pub off_hook: bool,
    pub dropped: u64,
}

impl Keypad {
    pub(crate) fn press(&mut self, key: Key, down: bool, io: &mut Io) {
        if self.fifo.len() >= FIFO_DEPTH {
            self.dropped += 1;
        } else {
            self.fifo.push_back(key.code() as u32 | if down { EVENT_DOWN } else { 0 });
        }
        io.raise(EVENT_KEY);
    }

    /// Moves the hook; returns whether the level changed.
    pub(crate) fn set_hook(&mut self, off_hook: bool, io: &mut Io) -> bool {
        let changed = self.off_hook != off_hook;
        if changed {
            self.off_hook = off_hook;
            io.raise(EVENT_KEY);
        }
        changed
    }
}

impl Device for Keypad {
    fn read(&mut self, off: u32, _io: &mut Io) -> u32 {
        match off {
            reg::STATUS => (!self.fifo.is_empty() as u32 * STATUS_PENDING) | (self.off_hook as u32 * STATUS_OFF_HOOK),
            reg::POP => self.fifo.pop_front().unwrap_or(EVENT_EMPTY),
            _ => 0,
        }
    }
    fn write(&mut self, _off: u32, _size: usize, _value: u32, _io: &mut Io) {}
    fn reset(&mut self, _io: &mut Io) {
        self.fifo.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hostmem::HostMem;

    #[test]
    fn fifo_order_depth_and_hook() {
        let mut k = Keypad::default();
        let mut io = Io::new("P".into(), HostMem::zeroed(4096).unwrap());
        assert_eq!(k.read(reg::POP, &mut io), EVENT_EMPTY);
        k.press(Key::Menu, true, &mut io);
        k.press(Key::Menu, false, &mut io);
        assert_eq!(io.events, EVENT_KEY);
        assert_eq!(k.read(reg::STATUS, &mut io), STATUS_PENDING);
        assert_eq!(k.read(reg::POP, &mut io), 0x16 | EVENT_DOWN);
        assert_eq!(k.read(reg::POP, &mut io), 0x16);
        assert_eq!(k.read(reg::STATUS, &mut io), 0);
        for _ in 0..FIFO_DEPTH + 3 {
            k.press(Key::D1, true, &mut io);
        }
        assert_eq!(k.dropped, 3);
        assert!(k.set_hook(true, &mut io));
        assert!(!k.set_hook(true, &mut io));
        k.reset(&mut io);
        assert_eq!(k.read(reg::STATUS, &mut io), STATUS_OFF_HOOK);
    }
}
