//! Where a fetched file goes: the first `N` bytes are kept in RAM (an INF
//! fits), and every byte feeds a CRC-32 and a length, so a file of any
//! size can be checked without being stored. The CRC is computed by a
//! [`CrcUpdate`] given by the binary: the board's CRC engine on the phone.
//!
//! Guarantees: never refuses data and never holds more than `N` bytes;
//! `kept()` is the whole file exactly when `complete()` is true.

use netclient::{Sink, SinkError};

/// `board::image::crc32_update` (that function on the host; the CRC
/// engine, one operation per chunk, on the phone).
pub type CrcUpdate = fn(u32, &[u8]) -> u32;

pub struct KeepCrc<const N: usize> {
    buf: [u8; N],
    kept: usize,
    len: u64,
    crc: u32,
    update: CrcUpdate,
}

impl<const N: usize> KeepCrc<N> {
    pub const fn new(update: CrcUpdate) -> Self {
        KeepCrc { buf: [0; N], kept: 0, len: 0, crc: !0, update }
    }

    pub fn reset(&mut self) {
        (self.kept, self.len, self.crc) = (0, 0, !0);
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// CRC-32 (IEEE, as zlib) of everything written.
    pub fn crc32(&self) -> u32 {
        !self.crc
    }

    /// The first `N` bytes (or fewer).
    pub fn kept(&self) -> &[u8] {
        &self.buf[..self.kept]
    }

    pub fn complete(&self) -> bool {
        self.len == self.kept as u64
    }
}

impl<const N: usize> Sink for KeepCrc<N> {
    fn write(&mut self, data: &[u8]) -> Result<(), SinkError> {
        let n = data.len().min(N - self.kept);
        self.buf[self.kept..self.kept + n].copy_from_slice(&data[..n]);
        self.kept += n;
        self.len += data.len() as u64;
        self.crc = (self.update)(self.crc, data);
        Ok(())
    }
}

/// Passes bytes on to `inner` and keeps their CRC-32 state (`!crc` at the end).
pub struct Crc<'s, S: Sink> {
    pub inner: &'s mut S,
    pub crc: &'s mut u32,
    pub update: CrcUpdate,
}

impl<S: Sink> Sink for Crc<'_, S> {
    fn expect_size(&mut self, size: u64) -> Result<(), SinkError> {
        self.inner.expect_size(size)
    }

    fn write(&mut self, data: &[u8]) -> Result<(), SinkError> {
        *self.crc = (self.update)(*self.crc, data);
        self.inner.write(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use board::image::crc32_update;

    #[test]
    fn keeps_the_head_and_checks_the_whole() {
        let mut s = KeepCrc::<4>::new(crc32_update);
        s.write(b"1234").unwrap();
        assert!(s.complete());
        s.write(b"56789").unwrap();
        assert_eq!((s.len(), s.kept(), s.complete()), (9, &b"1234"[..], false));
        assert_eq!(s.crc32(), 0xCBF4_3926, "the CRC-32 check value");
        s.reset();
        assert_eq!((s.len(), s.crc32()), (0, 0));
    }

    #[test]
    fn the_tee_passes_bytes_on_and_chains_the_state() {
        let mut inner = KeepCrc::<16>::new(crc32_update);
        let mut state = !0;
        let mut tee = Crc { inner: &mut inner, crc: &mut state, update: crc32_update };
        tee.write(b"12345").unwrap();
        tee.write(b"6789").unwrap();
        assert_eq!(!state, 0xCBF4_3926);
        assert_eq!(inner.kept(), b"123456789");
    }
}
