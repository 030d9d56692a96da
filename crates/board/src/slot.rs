//! Layout of a firmware slot and its commit record.
//!
//! ```text
//! slot + 0                      image header (image::HEADER_LEN bytes, one page)
//! slot + HEADER_LEN             payload (the flat binary, vector table first)
//! slot + SLOT_LEN - FLASH_PAGE  commit record (COMMIT_LEN bytes)
//! ```
//!
//! An installer erases the slot, programs the payload, then the header, checks
//! the CRC, and programs the commit record last. The boot ROM boots a slot only
//! when its commit record, its header and its payload CRC are all valid, and
//! prefers the slot with the higher `seq`. A power cut at any point therefore
//! leaves either the old slot or the new one bootable, never a torn image.

use crate::image::crc32;
use crate::map::{FLASH_PAGE, SLOT_LEN};

pub const COMMIT_OFFSET: u32 = SLOT_LEN - FLASH_PAGE;
pub const COMMIT_LEN: usize = 16;
pub const COMMIT_MAGIC: [u8; 4] = *b"SLOT";

/// The commit record: `magic[4] seq:u32le image_crc:u32le crc:u32le`, where
/// `crc` covers the first 12 bytes and `image_crc` repeats the header's
/// payload CRC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Commit {
    pub seq: u32,
    pub image_crc: u32,
}

impl Commit {
    pub fn encode(&self) -> [u8; COMMIT_LEN] {
        let mut b = [0u8; COMMIT_LEN];
        b[0..4].copy_from_slice(&COMMIT_MAGIC);
        b[4..8].copy_from_slice(&self.seq.to_le_bytes());
        b[8..12].copy_from_slice(&self.image_crc.to_le_bytes());
        let crc = crc32(&b[0..12]);
        b[12..16].copy_from_slice(&crc.to_le_bytes());
        b
    }

    /// Decodes a commit record; `None` when erased, torn or corrupt.
    pub fn decode(b: &[u8]) -> Option<Commit> {
        if b.len() < COMMIT_LEN || b[0..4] != COMMIT_MAGIC {
            return None;
        }
        let word = |r: core::ops::Range<usize>| u32::from_le_bytes([b[r.start], b[r.start + 1], b[r.start + 2], b[r.start + 3]]);
        if crc32(&b[0..12]) != word(12..16) {
            return None;
        }
        Some(Commit { seq: word(4..8), image_crc: word(8..12) })
    }
}
