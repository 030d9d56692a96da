//! Fixed-size text: an LCD frame (6 × 24 ISO-8859-1 cells) and a line
//! buffer that `core::fmt` can write into, truncating what does not fit.

use board::periph::lcd::{COLS, ROWS};
use core::fmt;

/// Bytes with a capacity of `N`; writes past it are dropped.
#[derive(Clone, Copy)]
pub struct Line<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> Line<N> {
    pub const fn new() -> Self {
        Line { buf: [0; N], len: 0 }
    }

    pub fn push(&mut self, s: &[u8]) {
        let n = s.len().min(N - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s[..n]);
        self.len += n;
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl<const N: usize> Default for Line<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> fmt::Write for Line<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push(s.as_bytes());
        Ok(())
    }
}

/// What the LCD shows: rows of characters, blank-padded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    pub rows: [[u8; COLS]; ROWS],
}

impl Frame {
    pub const fn blank() -> Frame {
        Frame { rows: [[b' '; COLS]; ROWS] }
    }

    /// Sets row `row` to `text` (cut at 24 columns); out-of-range rows are ignored.
    pub fn set(&mut self, row: usize, text: &[u8]) {
        if let Some(r) = self.rows.get_mut(row) {
            *r = [b' '; COLS];
            let n = text.len().min(COLS);
            r[..n].copy_from_slice(&text[..n]);
        }
    }

    /// Sets a row from format arguments.
    pub fn setf(&mut self, row: usize, args: fmt::Arguments) {
        let mut l = Line::<COLS>::new();
        let _ = fmt::write(&mut l, args);
        self.set(row, l.as_bytes());
    }

    /// Row `row` without trailing blanks (for tests and logs).
    pub fn text(&self, row: usize) -> &[u8] {
        let r = &self.rows[row];
        let end = r.iter().rposition(|&c| c != b' ').map_or(0, |i| i + 1);
        &r[..end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_rows_are_padded_and_cut() {
        let mut f = Frame::blank();
        f.set(1, b"ST2030S");
        f.setf(2, format_args!("Firmware v{}.{:02}", 2, 74));
        f.set(3, &[b'x'; 30]);
        f.set(9, b"ignored");
        assert_eq!(&f.rows[1][..8], b"ST2030S ");
        assert_eq!(f.text(2), b"Firmware v2.74");
        assert_eq!(f.text(3), &[b'x'; 24][..]);
        assert_eq!(f.text(0), b"");
    }

    #[test]
    fn line_truncates() {
        let mut l = Line::<4>::new();
        fmt::write(&mut l, format_args!("{}", 123456)).unwrap();
        assert_eq!(l.as_bytes(), b"1234");
    }
}
