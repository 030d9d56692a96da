//! The headless front end: turns the trace into text for a person. LCD
//! changes are gathered per instant and drawn as the 6×24 LCD box; LED,
//! key, boot, power, console and crash records are one line each; flash
//! operations only with `verbose`.
//!
//! Guarantees: every LCD change is drawn once, after all changes of the same
//! instant (call `flush` at the end of a slice so nothing waits).

use std::io::Write;
use trace::{Event, Record};

pub const ROWS: usize = 6;
pub const COLS: usize = 24;

pub struct Headless<W: Write> {
    out: W,
    lines: [String; ROWS],
    /// Time of LCD changes not drawn yet.
    pending: Option<u64>,
    verbose: bool,
}

impl<W: Write> Headless<W> {
    pub fn new(out: W, verbose: bool) -> Self {
        Headless { out, lines: Default::default(), pending: None, verbose }
    }

    pub fn feed(&mut self, r: &Record) -> std::io::Result<()> {
        if self.pending.is_some_and(|t| t != r.t_us) {
            self.flush()?;
        }
        match &r.event {
            Event::Lcd { line, text } => {
                if let Some(slot) = self.lines.get_mut(usize::from(*line).wrapping_sub(1)) {
                    *slot = text.clone();
                    self.pending = Some(r.t_us);
                }
                Ok(())
            }
            Event::Power { state: trace::PowerState::Off } => {
                self.lines = Default::default();
                writeln!(self.out, "{}", r.human())
            }
            Event::Flash { .. } | Event::LcdState { .. } if !self.verbose => Ok(()),
            _ => writeln!(self.out, "{}", r.human()),
        }
    }

    /// Draws LCD changes still pending.
    pub fn flush(&mut self) -> std::io::Result<()> {
        if let Some(t) = self.pending.take() {
            let border = format!("+{}+", "-".repeat(COLS));
            let mut s = format!("{:>12.6}s LCD\n{:>14}{border}\n", t as f64 / 1e6, "");
            for l in &self.lines {
                let shown: String = l.chars().take(COLS).collect();
                s.push_str(&format!("{:>14}|{shown:<COLS$}|\n", ""));
            }
            s.push_str(&format!("{:>14}{border}\n", ""));
            self.out.write_all(s.as_bytes())?;
        }
        self.out.flush()
    }

    #[cfg(test)]
    pub fn into_inner(self) -> W {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trace::{BootCause, FlashOp};

    fn rec(t_us: u64, event: Event) -> Record {
        Record { t_us, phone: "009096A1B1C1".into(), event }
    }

    #[test]
    fn draws_the_box_once_per_instant() {
        let mut h = Headless::new(Vec::new(), false);
        for r in [
            rec(100_000, Event::Boot { cause: BootCause::PowerOn, image: "2.74".into() }),
            rec(1_500_000, Event::Lcd { line: 1, text: "THOMSON ST2030".into() }),
            rec(1_500_000, Event::Lcd { line: 3, text: "Provisioning... and more text".into() }),
            rec(1_600_000, Event::Flash { op: FlashOp::Erase, addr: 0x0820_0000, len: 65536 }),
            rec(2_000_000, Event::Led { led: "system".into(), color: "red".into(), mode: "fast_blink".into() }),
        ] {
            h.feed(&r).unwrap();
        }
        h.flush().unwrap();
        let out = String::from_utf8(h.into_inner()).unwrap();
        let want = "    0.100000s 009096A1B1C1 boot (PowerOn) firmware 2.74
    1.500000s LCD
              +------------------------+
              |THOMSON ST2030          |
              |                        |
              |Provisioning... and more|
              |                        |
              |                        |
              |                        |
              +------------------------+
    2.000000s 009096A1B1C1 LED system red fast_blink
";
        assert_eq!(out, want);
    }

    #[test]
    fn verbose_shows_flash_and_power_off_clears() {
        let mut h = Headless::new(Vec::new(), true);
        h.feed(&rec(1, Event::Lcd { line: 2, text: "x".into() })).unwrap();
        h.feed(&rec(2, Event::Flash { op: FlashOp::Program, addr: 0x0820_0000, len: 256 })).unwrap();
        h.feed(&rec(3, Event::Power { state: trace::PowerState::Off })).unwrap();
        h.feed(&rec(9, Event::Lcd { line: 9, text: "ignored".into() })).unwrap();
        h.flush().unwrap();
        let out = String::from_utf8(h.into_inner()).unwrap();
        assert!(out.contains("|x                       |"));
        assert!(out.contains("flash Program 0x08200000 +256"));
        assert!(out.ends_with("power off\n"), "{out}");
    }
}
