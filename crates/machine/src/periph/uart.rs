//! The console UART: single bytes (DATA) or a buffer from SRAM (BUF + SEND).
//!
//! Guarantees: each complete line (`\n`) becomes one `log` event with `\r`
//! stripped and invalid UTF-8 replaced; a line longer than `MAX_LINE` bytes is
//! cut into pieces; a SEND whose buffer is not inside SRAM or is longer than
//! `MAX_SEND` is ignored.

use crate::io::{Device, Io};
use board::periph::uart::{reg, MAX_SEND};
use trace::Event;

pub(crate) const MAX_LINE: usize = 1024;

#[derive(Default)]
pub(crate) struct Uart {
    buf: u32,
    line: Vec<u8>,
}

impl Uart {
    fn byte(&mut self, b: u8, io: &mut Io) {
        match b {
            b'\n' => self.flush(io),
            b'\r' => {}
            _ => {
                self.line.push(b);
                if self.line.len() >= MAX_LINE {
                    self.flush(io);
                }
            }
        }
    }

    fn flush(&mut self, io: &mut Io) {
        let text = String::from_utf8_lossy(&self.line).into_owned();
        self.line.clear();
        io.emit(Event::Log { text });
    }
}

impl Device for Uart {
    fn read(&mut self, off: u32, _io: &mut Io) -> u32 {
        if off == reg::BUF { self.buf } else { 0 }
    }

    fn write(&mut self, off: u32, _size: usize, value: u32, io: &mut Io) {
        match off {
            reg::DATA => self.byte(value as u8, io),
            reg::BUF => self.buf = value,
            reg::SEND if value <= MAX_SEND => {
                if let Some(bytes) = io.sram(self.buf, value as usize).map(<[u8]>::to_vec) {
                    for b in bytes {
                        self.byte(b, io);
                    }
                }
            }
            _ => {}
        }
    }

    /// A half-written line is lost with the reset.
    fn reset(&mut self, _io: &mut Io) {
        self.buf = 0;
        self.line.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hostmem::HostMem;
    use board::map::SRAM;

    #[test]
    fn bytes_and_buffers_become_lines() {
        let mut u = Uart::default();
        let mut io = Io::new("P".into(), HostMem::zeroed(SRAM.len as usize).unwrap());
        for b in b"boot: ok\r\n" {
            u.write(reg::DATA, 1, *b as u32, &mut io);
        }
        io.sram_mut(SRAM.base + 16, 10).unwrap().copy_from_slice(b"a\nb\xFFc\ntail");
        u.write(reg::BUF, 4, SRAM.base + 16, &mut io);
        u.write(reg::SEND, 4, 10, &mut io);
        u.write(reg::SEND, 4, MAX_SEND + 1, &mut io);
        u.write(reg::BUF, 4, SRAM.end() - 2, &mut io);
        u.write(reg::SEND, 4, 3, &mut io);
        let texts: Vec<_> = io.trace.iter().map(|r| match &r.event {
            Event::Log { text } => text.clone(),
            e => panic!("{e:?}"),
        }).collect();
        assert_eq!(texts, ["boot: ok", "a", "b\u{FFFD}c"]);
        for _ in 0..MAX_LINE {
            u.write(reg::DATA, 1, b'x' as u32, &mut io);
        }
        assert_eq!(io.trace.len(), 4, "an over-long line is cut");
    }
}
