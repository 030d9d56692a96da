//! The text LCD: publishes a `Frame` and the backlight, touching the
//! hardware only for what changed (each commit is an observable event).

use board::cpu;
use board::periph::lcd::{BASE, COLS, CTRL_BACKLIGHT, reg};
use firmware::text::Frame;

pub struct Lcd {
    shown: Option<Frame>,
    backlight: Option<bool>,
}

impl Lcd {
    pub const fn new() -> Lcd {
        Lcd { shown: None, backlight: None }
    }

    pub fn show(&mut self, f: &Frame) {
        if self.shown.as_ref() == Some(f) {
            return;
        }
        for (r, row) in f.rows.iter().enumerate() {
            if self.shown.is_some_and(|s| s.rows[r] == *row) {
                continue;
            }
            // One word per four cells (COLS is a multiple of 4): a quarter
            // of the MMIO writes of byte access.
            for (c, cells) in row.chunks_exact(4).enumerate() {
                let addr = BASE + reg::CHARS + (r * COLS + 4 * c) as u32;
                cpu::write(addr, u32::from_le_bytes([cells[0], cells[1], cells[2], cells[3]]));
            }
        }
        cpu::write(BASE + reg::COMMIT, 1);
        self.shown = Some(*f);
    }

    pub fn set_backlight(&mut self, on: bool) {
        if self.backlight != Some(on) {
            cpu::write(BASE + reg::CTRL, if on { CTRL_BACKLIGHT } else { 0 });
            self.backlight = Some(on);
        }
    }
}
