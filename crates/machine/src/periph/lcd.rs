//! The text LCD: 6 × 24 ISO-8859-1 character RAM, icons and backlight.
//!
//! Guarantees: the screen shows what was last committed. COMMIT emits one
//! `lcd` event per line whose committed text changed (trailing blanks
//! trimmed, NUL shown as a blank, ISO-8859-1 decoded) and one `lcd_state`
//! event when the icons changed; a CTRL write that flips the backlight emits
//! `lcd_state` at once. A reset blanks the screen and reports the change the
//! same way, so the trace alone rebuilds the screen.

use crate::io::{Device, Io};
use board::periph::lcd::{reg, *};
use trace::Event;

const CELLS: usize = ROWS * COLS;

pub(crate) struct Lcd {
    ram: [u8; CELLS],
    shown: [u8; CELLS],
    ctrl: u32,
    icons: u32,
    /// (backlight, icons) as last reported.
    shown_state: (bool, u32),
}

impl Default for Lcd {
    fn default() -> Lcd {
        Lcd { ram: [b' '; CELLS], shown: [b' '; CELLS], ctrl: 0, icons: 0, shown_state: (false, 0) }
    }
}

fn text(row: &[u8]) -> String {
    let s: String = row.iter().map(|&b| if b == 0 { ' ' } else { b as char }).collect();
    s.trim_end_matches(' ').to_string()
}

impl Lcd {
    /// The committed lines, trailing blanks trimmed.
    pub(crate) fn lines(&self) -> [String; ROWS] {
        std::array::from_fn(|r| text(&self.shown[r * COLS..(r + 1) * COLS]))
    }

    pub(crate) fn backlight(&self) -> bool {
        self.shown_state.0
    }

    /// Names of the committed icons (`lcd::ICON_NAMES`).
    pub(crate) fn icons(&self) -> Vec<String> {
        ICON_NAMES.iter().filter(|(bit, _)| self.shown_state.1 & bit != 0).map(|(_, n)| n.to_string()).collect()
    }

    fn publish(&mut self, io: &mut Io) {
        for r in 0..ROWS {
            let span = r * COLS..(r + 1) * COLS;
            if self.ram[span.clone()] != self.shown[span.clone()] {
                self.shown[span.clone()].copy_from_slice(&self.ram[span.clone()]);
                io.emit(Event::Lcd { line: r as u8 + 1, text: text(&self.shown[span]) });
            }
        }
        self.publish_state(self.icons, io);
    }

    fn publish_state(&mut self, icons: u32, io: &mut Io) {
        let state = (self.ctrl & CTRL_BACKLIGHT != 0, icons);
        if state != self.shown_state {
            self.shown_state = state;
            io.emit(Event::LcdState { backlight: state.0, icons: self.icons() });
        }
    }
}

impl Device for Lcd {
    fn read(&mut self, off: u32, _io: &mut Io) -> u32 {
        match off {
            reg::CTRL => self.ctrl,
            reg::ICONS => self.icons,
            _ => {
                let cell = off.wrapping_sub(reg::CHARS) as usize;
                let b = |i: usize| self.ram.get(cell + i).copied().unwrap_or(0);
                u32::from_le_bytes([b(0), b(1), b(2), b(3)])
            }
        }
    }

    fn write(&mut self, off: u32, size: usize, value: u32, io: &mut Io) {
        match off {
            reg::CTRL => {
                self.ctrl = value;
                let icons = self.shown_state.1;
                self.publish_state(icons, io);
            }
            reg::ICONS => self.icons = value,
            reg::COMMIT => self.publish(io),
            _ => {
                let cell = off.wrapping_sub(reg::CHARS) as usize;
                for (i, byte) in value.to_le_bytes().into_iter().take(size).enumerate() {
                    if let Some(c) = self.ram.get_mut(cell + i) {
                        *c = byte;
                    }
                }
            }
        }
    }

    fn reset(&mut self, io: &mut Io) {
        self.ram = [b' '; CELLS];
        self.ctrl = 0;
        self.icons = 0;
        self.publish(io);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hostmem::HostMem;

    fn io() -> Io {
        Io::new("P".into(), HostMem::zeroed(4096).unwrap())
    }

    #[test]
    fn commit_emits_changed_lines_only_latin1_decoded() {
        let mut lcd = Lcd::default();
        let mut io = io();
        for (i, b) in b"Caf\xE9  ".iter().enumerate() {
            lcd.write(reg::CHARS + COLS as u32 + i as u32, 1, *b as u32, &mut io);
        }
        lcd.write(reg::CHARS + 5 * COLS as u32, 4, u32::from_le_bytes(*b"ST20"), &mut io);
        assert!(io.trace.is_empty(), "nothing shown before COMMIT");
        lcd.write(reg::COMMIT, 4, 1, &mut io);
        let evs: Vec<_> = io.trace.drain(..).map(|r| r.event).collect();
        assert_eq!(evs, [Event::Lcd { line: 2, text: "Café".into() }, Event::Lcd { line: 6, text: "ST20".into() }]);
        lcd.write(reg::COMMIT, 4, 1, &mut io);
        assert!(io.trace.is_empty(), "an unchanged commit says nothing");
        assert_eq!(lcd.lines()[1], "Café");
        assert_eq!(lcd.read(reg::CHARS + 5 * COLS as u32, &mut io), u32::from_le_bytes(*b"ST20"));
    }

    #[test]
    fn backlight_is_immediate_icons_at_commit_and_reset_blanks() {
        let mut lcd = Lcd::default();
        let mut io = io();
        lcd.write(reg::CTRL, 4, CTRL_BACKLIGHT, &mut io);
        lcd.write(reg::ICONS, 4, ICON_NETWORK | ICON_LOCK, &mut io);
        assert_eq!(io.trace.len(), 1);
        lcd.write(reg::CHARS, 2, u32::from_le_bytes(*b"Hi\0\0"), &mut io);
        lcd.write(reg::COMMIT, 4, 0, &mut io);
        lcd.reset(&mut io);
        let evs: Vec<_> = io.trace.drain(..).map(|r| r.event).collect();
        assert_eq!(
            evs,
            [
                Event::LcdState { backlight: true, icons: vec![] },
                Event::Lcd { line: 1, text: "Hi".into() },
                Event::LcdState { backlight: true, icons: vec!["network".into(), "lock".into()] },
                Event::Lcd { line: 1, text: "".into() },
                Event::LcdState { backlight: false, icons: vec![] },
            ]
        );
    }

    #[test]
    fn writes_outside_the_character_ram_are_ignored() {
        let mut lcd = Lcd::default();
        let mut io = io();
        lcd.write(reg::CHARS + CELLS as u32 - 2, 4, 0x4141_4141, &mut io);
        lcd.write(0xFF0, 4, 0x4141_4141, &mut io);
        lcd.write(reg::COMMIT, 4, 0, &mut io);
        assert_eq!(lcd.lines()[5], format!("{}AA", " ".repeat(22)));
    }
}
