//! Console lines: formatted into an SRAM buffer and sent with one UART
//! write. Lines longer than the buffer are cut.

use board::cpu;
use board::periph::uart::{BASE, reg};
use core::fmt;
use core::sync::atomic::{Ordering, compiler_fence};
use firmware::text::Line;

const LINE: usize = 160;

/// Sends `args` as one console line (a `\n` is added).
pub fn write_line(args: fmt::Arguments) {
    let mut l = Line::<LINE>::new();
    let _ = fmt::write(&mut l, args);
    let mut buf = [0u8; LINE + 1];
    let n = l.as_bytes().len();
    buf[..n].copy_from_slice(l.as_bytes());
    buf[n] = b'\n';
    cpu::write(BASE + reg::BUF, buf.as_ptr() as u32);
    // The UART reads `buf` from SRAM: make sure it is written first.
    compiler_fence(Ordering::SeqCst);
    cpu::write(BASE + reg::SEND, n as u32 + 1);
}

/// `log!("fmt", args…)`: one console line.
macro_rules! log {
    ($($t:tt)*) => { $crate::drivers::uart::write_line(format_args!($($t)*)) };
}
pub(crate) use log;
