//! One console line built in a stack buffer and sent with a single UART
//! write (the buffer is in SRAM, as `uart::BUF` requires).

use board::cpu;
use board::periph::uart;
use core::sync::atomic::{Ordering, compiler_fence};

pub struct Line {
    buf: [u8; 64],
    len: usize,
}

impl Line {
    pub fn new() -> Line {
        Line { buf: [0; 64], len: 0 }
    }

    /// Appends bytes, dropping what does not fit (the line ends with `\n`).
    pub fn push(&mut self, s: &[u8]) {
        let n = s.len().min(self.buf.len() - 1 - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s[..n]);
        self.len += n;
    }

    pub fn push_u32(&mut self, mut v: u32) {
        let mut digits = [0u8; 10];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.push(&digits[i..]);
    }

    pub fn send(mut self) {
        self.buf[self.len] = b'\n';
        cpu::write(uart::BASE + uart::reg::BUF, self.buf.as_ptr() as u32);
        // The UART reads `buf` from SRAM: make sure it is written first.
        compiler_fence(Ordering::SeqCst);
        cpu::write(uart::BASE + uart::reg::SEND, self.len as u32 + 1);
    }
}
