//! The LED controller: the system LED and the six line-key LEDs, each a
//! mode (off/on/slow/fast blink, blinking done in hardware) and a colour.
//!
//! Guarantees: a write that changes an LED's mode or colour emits one `led`
//! event (`system`, `line1`..`line6`); a reset turns every LED off, reported
//! the same way.

use crate::io::{Device, Io};
use board::periph::led::{self, reg, LINE_LEDS};
use trace::Event;

/// An LED's state as the front ends draw it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LedState {
    /// The register value: mode in bits 0..2, colour in bits 4..7.
    pub raw: u32,
}

impl LedState {
    /// `off`, `on`, `slow_blink` or `fast_blink`.
    pub fn mode(self) -> &'static str {
        led::mode_name(self.raw)
    }
    /// `red`, `green`, `amber` or `none`.
    pub fn color(self) -> &'static str {
        led::color_name(self.raw)
    }
    /// Whether the LED is lit at `t_ms` (blinking: lit in the first half of each period).
    pub fn lit_at(self, t_ms: u64) -> bool {
        let half = |period: u32| (t_ms % period as u64) < period as u64 / 2;
        match self.raw & led::MODE_MASK {
            led::MODE_OFF => false,
            led::MODE_ON => true,
            led::MODE_SLOW_BLINK => half(led::SLOW_BLINK_MS),
            _ => half(led::FAST_BLINK_MS),
        }
    }
}

#[derive(Default)]
pub(crate) struct Leds {
    /// 0 = system, 1..=6 = line LEDs.
    state: [LedState; 1 + LINE_LEDS],
}

fn name(i: usize) -> String {
    if i == 0 { "system".into() } else { format!("line{i}") }
}

impl Leds {
    pub(crate) fn get(&self, n: usize) -> Option<LedState> {
        self.state.get(n).copied()
    }

    fn set(&mut self, i: usize, value: u32, io: &mut Io) {
        let new = LedState { raw: value & (led::MODE_MASK | led::COLOR_MASK) };
        if self.state[i] != new {
            self.state[i] = new;
            io.emit(Event::Led { led: name(i), color: new.color().into(), mode: new.mode().into() });
        }
    }

    fn index(off: u32) -> Option<usize> {
        match off {
            reg::SYSTEM => Some(0),
            _ if off >= reg::LINE0 && off.is_multiple_of(4) && ((off - reg::LINE0) / 4) < LINE_LEDS as u32 => Some(1 + ((off - reg::LINE0) / 4) as usize),
            _ => None,
        }
    }
}

impl Device for Leds {
    fn read(&mut self, off: u32, _io: &mut Io) -> u32 {
        Self::index(off).map_or(0, |i| self.state[i].raw)
    }
    fn write(&mut self, off: u32, _size: usize, value: u32, io: &mut Io) {
        if let Some(i) = Self::index(off) {
            self.set(i, value, io);
        }
    }
    fn reset(&mut self, io: &mut Io) {
        for i in 0..self.state.len() {
            self.set(i, 0, io);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hostmem::HostMem;
    use board::periph::led::*;

    #[test]
    fn changes_emit_named_events() {
        let mut leds = Leds::default();
        let mut io = Io::new("P".into(), HostMem::zeroed(4096).unwrap());
        leds.write(reg::SYSTEM, 4, value(MODE_SLOW_BLINK, COLOR_AMBER), &mut io);
        leds.write(reg::SYSTEM, 4, value(MODE_SLOW_BLINK, COLOR_AMBER), &mut io);
        leds.write(reg::LINE0 + 4 * 5, 4, value(MODE_ON, COLOR_GREEN), &mut io);
        leds.write(reg::LINE0 + 4 * 6, 4, value(MODE_ON, COLOR_RED), &mut io);
        let evs: Vec<_> = io.trace.drain(..).map(|r| r.event).collect();
        assert_eq!(
            evs,
            [
                Event::Led { led: "system".into(), color: "amber".into(), mode: "slow_blink".into() },
                Event::Led { led: "line6".into(), color: "green".into(), mode: "on".into() },
            ]
        );
        assert_eq!(leds.get(6).unwrap().color(), "green");
        assert!(leds.get(0).unwrap().lit_at(100) && !leds.get(0).unwrap().lit_at(600));
        leds.reset(&mut io);
        assert_eq!(io.trace.len(), 2);
    }
}
