//! The 64-bit microsecond timer, counting from power-on. Reading NOW_LO
//! latches the high word so a LO-then-HI read pair is consistent.

use crate::io::{Device, Io};
use board::periph::timer::reg;

#[derive(Default)]
pub(crate) struct Timer {
    latched_hi: u32,
}

impl Device for Timer {
    fn read(&mut self, off: u32, io: &mut Io) -> u32 {
        match off {
            reg::NOW_LO => {
                let t = io.uptime();
                self.latched_hi = (t >> 32) as u32;
                t as u32
            }
            reg::NOW_HI => self.latched_hi,
            _ => 0,
        }
    }
    fn write(&mut self, _off: u32, _size: usize, _value: u32, _io: &mut Io) {}
    fn reset(&mut self, _io: &mut Io) {
        self.latched_hi = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hostmem::HostMem;

    #[test]
    fn lo_latches_hi_and_counts_from_power_on() {
        let mut io = Io::new("X".into(), HostMem::zeroed(4096).unwrap());
        io.power_on_at = 1_000;
        io.now = 1_000 + 0x1_2345_6789;
        let mut t = Timer::default();
        assert_eq!(t.read(reg::NOW_HI, &mut io), 0);
        assert_eq!(t.read(reg::NOW_LO, &mut io), 0x2345_6789);
        io.now += 0x1_0000_0000;
        assert_eq!(t.read(reg::NOW_HI, &mut io), 1, "HI is the latched word");
    }
}
