//! The bytes on flash. Each of the two sectors:
//!
//! ```text
//! sector + 0   sector header, 16 bytes
//!                0  4  magic       "STKV"
//!                4  4  generation  u32 LE (higher = newer)
//!                8  4  reserved    0
//!               12  4  crc32       over bytes 0..12
//! sector + 16  records, back to back, until the first erased byte
//!                0  1  tag         0xA5
//!                1  1  reserved    0
//!                2  2  body length u16 LE
//!                4  4  crc32       over record bytes 0..4, then the body
//!                8  n  body        ops, back to back:
//!                                  op (1 set, 2 remove), key length, value
//!                                  length, key bytes, value bytes
//! ```
//!
//! Write order makes every step power-safe: a record's body is programmed
//! before its 8-byte head, and a snapshot's records before its sector header,
//! so a torn write is either erased (`0xFF`) or fails its CRC.
//!
//! Guarantees: every decoder here takes arbitrary bytes and never panics.

use board::image::crc32;
use board::map::FLASH_SECTOR;

pub const SECTOR_HEADER_LEN: u32 = 16;
pub const SECTOR_MAGIC: [u8; 4] = *b"STKV";
pub const RECORD_HEAD_LEN: u32 = 8;
pub const RECORD_TAG: u8 = 0xA5;
pub const OP_SET: u8 = 1;
pub const OP_REMOVE: u8 = 2;
pub const OP_HEAD_LEN: usize = 3;

/// The longest key and value, in bytes.
pub const MAX_KEY: usize = 255;
pub const MAX_VALUE: usize = 255;

/// The largest record body that fits in an empty sector.
pub const MAX_BODY: u32 = FLASH_SECTOR - SECTOR_HEADER_LEN - RECORD_HEAD_LEN;

pub fn encode_sector_header(generation: u32) -> [u8; SECTOR_HEADER_LEN as usize] {
    let mut b = [0u8; SECTOR_HEADER_LEN as usize];
    b[0..4].copy_from_slice(&SECTOR_MAGIC);
    b[4..8].copy_from_slice(&generation.to_le_bytes());
    let crc = crc32(&b[0..12]);
    b[12..16].copy_from_slice(&crc.to_le_bytes());
    b
}

/// The generation of a valid sector header; `None` when erased, torn or corrupt.
pub fn decode_sector_header(b: &[u8; SECTOR_HEADER_LEN as usize]) -> Option<u32> {
    if b[0..4] != SECTOR_MAGIC || crc32(&b[0..12]) != le32(&b[12..16]) {
        return None;
    }
    Some(le32(&b[4..8]))
}

/// The first four bytes of a record head (the CRC covers them).
pub fn record_prefix(body_len: u16) -> [u8; 4] {
    let l = body_len.to_le_bytes();
    [RECORD_TAG, 0, l[0], l[1]]
}

/// What the 8-byte head at a record position says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Head {
    /// All `0xFF`: the end of the log.
    Erased,
    /// A well-formed head: body length and CRC (still to be checked).
    Record { body_len: u16, crc: u32 },
    /// Anything else: a torn or corrupt head.
    Bad,
}

pub fn decode_record_head(b: &[u8; RECORD_HEAD_LEN as usize]) -> Head {
    if b.iter().all(|&x| x == 0xFF) {
        return Head::Erased;
    }
    if b[0] != RECORD_TAG || b[1] != 0 {
        return Head::Bad;
    }
    Head::Record { body_len: u16::from_le_bytes([b[2], b[3]]), crc: le32(&b[4..8]) }
}

/// Encoded size of one op.
pub const fn op_len(key: usize, value: usize) -> u32 {
    (OP_HEAD_LEN + key + value) as u32
}

fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sector_header_bytes() {
        let h = encode_sector_header(2);
        assert_eq!(&h[0..12], &[b'S', b'T', b'K', b'V', 2, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&h[12..16], &crc32(&h[0..12]).to_le_bytes());
        assert_eq!(decode_sector_header(&h), Some(2));
        assert_eq!(decode_sector_header(&[0xFF; 16]), None);
        for i in 0..16 {
            let mut t = h;
            t[i] ^= 0x01;
            assert_eq!(decode_sector_header(&t), None, "byte {i}");
        }
    }

    #[test]
    fn record_heads() {
        assert_eq!(record_prefix(0x0123), [0xA5, 0, 0x23, 0x01]);
        assert_eq!(decode_record_head(&[0xFF; 8]), Head::Erased);
        assert_eq!(decode_record_head(&[0xA5, 0, 0x10, 0, 0x78, 0x56, 0x34, 0x12]), Head::Record { body_len: 16, crc: 0x1234_5678 });
        assert_eq!(decode_record_head(&[0xA5, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]), Head::Bad);
        assert_eq!(decode_record_head(&[0x00; 8]), Head::Bad);
    }
}
