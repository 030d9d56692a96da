//! Installing an application image into the slot the phone is not running
//! from (board `slot` layout): [`SlotWriter::begin`] erases the sector of
//! the slot's commit record (the slot stops being bootable), the payload is
//! streamed at `slot + HEADER_LEN`, [`SlotWriter::check`] reads it back
//! against the header's CRC, [`SlotWriter::commit`] programs the header
//! page and then the commit record with a `seq` above both slots'.
//!
//! Guarantees (R1): until the commit record lands, the boot ROM sees no
//! valid commit in this slot and boots the running one; the commit record
//! is 16 bytes with its own CRC, so a torn one is refused too.

use super::crc::{NorCrc, crc_of};
use super::extent::{Extent, WriteError};
use board::image::{HEADER_LEN, Header};
use board::map::{FLASH_SECTOR, SLOT_LEN, slot};
use board::slot::{COMMIT_LEN, COMMIT_OFFSET, Commit};
use flashstore::Nor;

pub struct SlotWriter {
    slot: u32,
    payload: Extent,
}

/// The valid commit record of slot `n`, if any.
pub fn commit_of(nor: &impl Nor, n: u32) -> Option<Commit> {
    let mut b = [0u8; COMMIT_LEN];
    nor.read(slot(n).base + COMMIT_OFFSET, &mut b);
    Commit::decode(&b)
}

/// The `seq` the next commit must carry: above both slots'.
pub fn next_seq(nor: &impl Nor) -> u32 {
    [0, 1].iter().filter_map(|&n| commit_of(nor, n)).map(|c| c.seq).max().map_or(1, |s| s.wrapping_add(1))
}

impl SlotWriter {
    /// A writer into slot `n` (0 = A, 1 = B): the slot the phone does not run from.
    pub const fn new(n: u32) -> SlotWriter {
        let base = slot(n).base + HEADER_LEN as u32;
        SlotWriter { slot: n, payload: Extent::new(base, SLOT_LEN - HEADER_LEN as u32 - board::map::FLASH_PAGE) }
    }

    pub fn slot(&self) -> u32 {
        self.slot
    }

    /// Invalidates the slot: erases the sector holding its commit record.
    pub fn begin(&mut self, nor: &mut impl Nor) -> Result<(), WriteError> {
        nor.erase_sector(slot(self.slot).base + SLOT_LEN - FLASH_SECTOR).map_err(|_| WriteError::Flash)
    }

    pub fn write_payload(&mut self, nor: &mut impl Nor, data: &[u8]) -> Result<(), WriteError> {
        self.payload.write(nor, data)
    }

    /// Payload bytes received.
    pub fn payload_len(&self) -> u32 {
        self.payload.len()
    }

    /// Programs the last page and checks length and CRC of what is in flash.
    pub fn check(&mut self, nor: &mut impl NorCrc, h: &Header) -> bool {
        self.payload.finish(nor).is_ok() && self.payload.len() == h.payload_len && crc_of(nor, self.payload.base(), h.payload_len) == h.payload_crc
    }

    /// Programs the header page, then the commit record; checks both.
    pub fn commit(&mut self, nor: &mut impl Nor, header: &[u8; HEADER_LEN], seq: u32) -> Result<(), WriteError> {
        let base = slot(self.slot).base;
        let h = Header::decode(header).map_err(|_| WriteError::Flash)?;
        nor.program(base, header).map_err(|_| WriteError::Flash)?;
        let mut back = [0u8; HEADER_LEN];
        nor.read(base, &mut back);
        if back != *header {
            return Err(WriteError::Flash);
        }
        let c = Commit { seq, image_crc: h.payload_crc };
        nor.program(base + COMMIT_OFFSET, &c.encode()).map_err(|_| WriteError::Flash)?;
        if commit_of(nor, self.slot) != Some(c) {
            return Err(WriteError::Flash);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sim::SimFlash;
    use board::image::{Kind, Version, crc32};
    use board::model::{Hardware, Protocol};

    fn image(len: usize) -> ([u8; HEADER_LEN], Vec<u8>) {
        let payload: Vec<u8> = (0..len).map(|i| (i * 13 + 1) as u8).collect();
        let h = Header {
            kind: Kind::App,
            hardware: Hardware::St2030,
            protocol: Protocol::Sip,
            version: Version { major: 2, minor: 75, patch: 0 },
            date: *b"261127",
            payload_len: len as u32,
            payload_crc: crc32(&payload),
        };
        (h.encode(), payload)
    }

    /// A valid, committed slot as the boot ROM checks it.
    fn bootable(f: &SimFlash, n: u32) -> Option<u32> {
        let c = commit_of(f, n)?;
        let mut hb = [0u8; HEADER_LEN];
        f.read(slot(n).base, &mut hb);
        let h = Header::decode(&hb).ok()?;
        (crc_of(f, slot(n).base + HEADER_LEN as u32, h.payload_len) == h.payload_crc && c.image_crc == h.payload_crc).then_some(c.seq)
    }

    fn install(f: &mut SimFlash, n: u32, hdr: &[u8; HEADER_LEN], payload: &[u8]) -> Result<(), WriteError> {
        let mut w = SlotWriter::new(n);
        w.begin(f)?;
        for c in payload.chunks(512) {
            w.write_payload(f, c)?;
        }
        let h = Header::decode(hdr).unwrap();
        if !w.check(f, &h) {
            return Err(WriteError::Flash);
        }
        let seq = next_seq(f);
        w.commit(f, hdr, seq)
    }

    #[test]
    fn installs_with_the_next_seq() {
        let mut f = SimFlash::new();
        let (h, p) = image(100_000);
        install(&mut f, 0, &h, &p).unwrap();
        assert_eq!(bootable(&f, 0), Some(1));
        install(&mut f, 1, &h, &p).unwrap();
        assert_eq!((bootable(&f, 0), bootable(&f, 1)), (Some(1), Some(2)));
        assert_eq!(next_seq(&f), 3);
    }

    #[test]
    fn a_bad_crc_is_caught_before_commit() {
        let mut f = SimFlash::new();
        let (h, mut p) = image(5000);
        p[4000] ^= 1;
        assert_eq!(install(&mut f, 1, &h, &p), Err(WriteError::Flash));
        assert_eq!(bootable(&f, 1), None);
    }

    #[test]
    fn r1_a_power_cut_at_any_operation_leaves_a_bootable_slot() {
        let (h_old, p_old) = image(3000);
        let (h, p) = image(20_000);
        let mut base = SimFlash::new();
        install(&mut base, 0, &h_old, &p_old).unwrap();
        install(&mut base, 1, &h_old, &p_old).unwrap();
        let ops0 = base.ops;
        let mut clean = SimFlash::new();
        clean.mem = base.mem.clone();
        install(&mut clean, 0, &h, &p).unwrap();
        let total = clean.ops - ops0;
        for at in 0..total {
            for tear in [0, 7, 255] {
                let mut f = SimFlash::new();
                f.mem = base.mem.clone();
                f.cut = Some((at, tear));
                let _ = install(&mut f, 0, &h, &p);
                f.restore();
                let best = [0, 1].into_iter().filter_map(|n| bootable(&f, n).map(|s| (s, n))).max();
                assert!(best.is_some(), "nothing bootable after a cut at op {at}");
                // The next run completes the upgrade.
                install(&mut f, 0, &h, &p).unwrap();
                assert_eq!(bootable(&f, 0), Some(next_seq(&f) - 1));
            }
        }
    }
}
