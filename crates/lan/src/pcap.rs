//! A classic libpcap writer (LINKTYPE_ETHERNET, microsecond timestamps =
//! emulated time), and [`PcapTap`], a wrapper that records every frame in and
//! out of any [`Port`].
//!
//! Hand-rolled on purpose: the classic format is a fixed 24-byte header plus
//! a 16-byte header per record, smaller than any crate's API for it.
//! Guarantees: every record is complete (header and bytes written together);
//! the first I/O error stops writing and is kept for the owner to read; the
//! tap never changes, drops or delays a frame.

use crate::port::Port;
use std::io::{self, Write};

pub const MAGIC_US: u32 = 0xa1b2_c3d4;
pub const LINKTYPE_ETHERNET: u32 = 1;
pub const SNAPLEN: u32 = 65535;

mod field {
    use std::ops::Range;
    pub const MAGIC: Range<usize> = 0..4;
    pub const VERSION_MAJOR: Range<usize> = 4..6;
    pub const VERSION_MINOR: Range<usize> = 6..8;
    pub const SNAPLEN: Range<usize> = 16..20;
    pub const LINKTYPE: Range<usize> = 20..24;
    pub const HEADER_LEN: usize = 24;
}

/// Writes frames as a pcap stream.
pub struct PcapWriter<W: Write> {
    out: W,
    /// Added to every timestamp, µs (e.g. the Unix time the run stands for).
    offset_us: u64,
    error: Option<io::Error>,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header.
    pub fn new(out: W) -> io::Result<Self> {
        Self::with_offset(out, 0)
    }

    /// Like `new`, with every timestamp shifted by `offset_us`.
    pub fn with_offset(mut out: W, offset_us: u64) -> io::Result<Self> {
        let mut h = [0u8; field::HEADER_LEN];
        h[field::MAGIC].copy_from_slice(&MAGIC_US.to_le_bytes());
        h[field::VERSION_MAJOR].copy_from_slice(&2u16.to_le_bytes());
        h[field::VERSION_MINOR].copy_from_slice(&4u16.to_le_bytes());
        h[field::SNAPLEN].copy_from_slice(&SNAPLEN.to_le_bytes());
        h[field::LINKTYPE].copy_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
        out.write_all(&h)?;
        Ok(PcapWriter { out, offset_us, error: None })
    }

    /// Appends one frame captured at `t_us`.
    pub fn write_frame(&mut self, t_us: u64, frame: &[u8]) -> io::Result<()> {
        let t = t_us.saturating_add(self.offset_us);
        let caplen = frame.len().min(SNAPLEN as usize);
        let mut rec = Vec::with_capacity(16 + caplen);
        rec.extend_from_slice(&((t / 1_000_000) as u32).to_le_bytes());
        rec.extend_from_slice(&((t % 1_000_000) as u32).to_le_bytes());
        rec.extend_from_slice(&(caplen as u32).to_le_bytes());
        rec.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        rec.extend_from_slice(&frame[..caplen]);
        self.out.write_all(&rec)
    }

    /// Like `write_frame`, but keeps the first error instead of returning it.
    pub fn record(&mut self, t_us: u64, frame: &[u8]) {
        if self.error.is_none()
            && let Err(e) = self.write_frame(t_us, frame)
        {
            self.error = Some(e);
        }
    }

    /// The first error `record` hit, if any.
    pub fn error(&self) -> Option<&io::Error> {
        self.error.as_ref()
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn into_inner(self) -> W {
        self.out
    }

    pub fn get_ref(&self) -> &W {
        &self.out
    }
}

/// A port whose every frame, in and out, is also written to a pcap stream.
pub struct PcapTap<P, W: Write> {
    inner: P,
    pcap: PcapWriter<W>,
}

impl<P: Port, W: Write> PcapTap<P, W> {
    pub fn new(inner: P, pcap: PcapWriter<W>) -> Self {
        PcapTap { inner, pcap }
    }
    pub fn inner(&self) -> &P {
        &self.inner
    }
    pub fn inner_mut(&mut self) -> &mut P {
        &mut self.inner
    }
    pub fn pcap(&mut self) -> &mut PcapWriter<W> {
        &mut self.pcap
    }
    pub fn into_parts(self) -> (P, PcapWriter<W>) {
        (self.inner, self.pcap)
    }
}

impl<P: Port, W: Write + Send + 'static> Port for PcapTap<P, W> {
    fn receive(&mut self, now: u64, frame: &[u8]) {
        self.pcap.record(now, frame);
        self.inner.receive(now, frame);
    }
    fn transmit(&mut self, now: u64) -> Option<Vec<u8>> {
        let f = self.inner.transmit(now)?;
        self.pcap.record(now, &f);
        Some(f)
    }
    fn poll_at(&self) -> Option<u64> {
        self.inner.poll_at()
    }
}

/// Checks a pcap stream and returns its records as (µs, frame); the test
/// helper that proves what the writer wrote is a valid classic pcap.
pub fn read_pcap(bytes: &[u8]) -> Result<Vec<(u64, Vec<u8>)>, String> {
    let h = bytes.get(..field::HEADER_LEN).ok_or("short header")?;
    let u32_at = |b: &[u8], r: std::ops::Range<usize>| u32::from_le_bytes(b[r].try_into().expect("4 bytes"));
    if u32_at(h, field::MAGIC) != MAGIC_US {
        return Err("bad magic".into());
    }
    if u32_at(h, field::LINKTYPE) != LINKTYPE_ETHERNET {
        return Err("not ethernet".into());
    }
    let mut out = Vec::new();
    let mut at = field::HEADER_LEN;
    while at < bytes.len() {
        let r = bytes.get(at..at + 16).ok_or_else(|| format!("short record header at {at}"))?;
        let (sec, usec, cap, orig) = (u32_at(r, 0..4), u32_at(r, 4..8), u32_at(r, 8..12) as usize, u32_at(r, 12..16));
        if usec >= 1_000_000 || cap as u32 > orig || cap as u32 > SNAPLEN {
            return Err(format!("bad record header at {at}"));
        }
        let data = bytes.get(at + 16..at + 16 + cap).ok_or_else(|| format!("short record at {at}"))?;
        out.push((sec as u64 * 1_000_000 + usec as u64, data.to_vec()));
        at += 16 + cap;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::port::Endpoint;

    #[test]
    fn header_and_record_bytes_are_classic_pcap() {
        let mut w = PcapWriter::new(Vec::new()).unwrap();
        w.write_frame(3_000_007, &[0xAA; 60]).unwrap();
        let b = w.into_inner();
        assert_eq!(
            &b[..24],
            &[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0]
        );
        assert_eq!(&b[24..40], &[3, 0, 0, 0, 7, 0, 0, 0, 60, 0, 0, 0, 60, 0, 0, 0]);
        assert_eq!(b.len(), 24 + 16 + 60);
        assert_eq!(read_pcap(&b).unwrap(), vec![(3_000_007, vec![0xAA; 60])]);
    }

    #[test]
    fn tap_records_both_directions_unchanged() {
        let mut tap = PcapTap::new(Endpoint::new(), PcapWriter::new(Vec::new()).unwrap());
        tap.receive(5, &[1; 20]);
        tap.inner_mut().send(vec![2; 30]);
        assert_eq!(tap.transmit(9), Some(vec![2; 30]));
        assert_eq!(tap.inner_mut().recv(), Some((5, vec![1; 20])));
        let (_, w) = tap.into_parts();
        let recs = read_pcap(&w.into_inner()).unwrap();
        assert_eq!(recs, vec![(5, vec![1; 20]), (9, vec![2; 30])]);
    }

    #[test]
    fn reader_rejects_truncation() {
        let mut w = PcapWriter::new(Vec::new()).unwrap();
        w.write_frame(1, &[0; 10]).unwrap();
        let b = w.into_inner();
        assert!(read_pcap(&b[..b.len() - 1]).is_err());
        assert!(read_pcap(&b[..10]).is_err());
    }
}
