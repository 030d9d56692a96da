//! NIC descriptor layout shared by the firmware driver and the emulated MAC.
//!
//! A descriptor is 8 bytes in SRAM: `buf:u32le len:u16le flags:u16le`.
//! TX: the driver fills `buf`/`len`, sets `FLAG_OWN` and rings the doorbell;
//! the MAC sends every owned descriptor in ring order and clears `FLAG_OWN`.
//! RX: the driver hands out empty buffers (`len` = capacity, `FLAG_OWN`);
//! the MAC writes a frame, sets `len` to its length, clears `FLAG_OWN`, and
//! raises the RX wake event. Frames are whole Ethernet frames without FCS,
//! 802.1Q tag included when present.

pub const DESC_LEN: u32 = 8;
pub const FLAG_OWN: u16 = 1 << 15;
/// Set by the MAC on an RX descriptor whose buffer was too small (frame dropped).
pub const FLAG_ERR: u16 = 1 << 14;
/// The largest frame: 1500 + 14 + 4 (802.1Q).
pub const MAX_FRAME: usize = 1518;
/// Buffer size the firmware uses per descriptor.
pub const BUF_LEN: usize = 1536;

pub mod field {
    use core::ops::Range;
    pub const BUF: Range<usize> = 0..4;
    pub const LEN: Range<usize> = 4..6;
    pub const FLAGS: Range<usize> = 6..8;
}

/// A descriptor as plain values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Desc {
    pub buf: u32,
    pub len: u16,
    pub flags: u16,
}

impl Desc {
    pub fn decode(b: &[u8; 8]) -> Desc {
        Desc {
            buf: u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            len: u16::from_le_bytes([b[4], b[5]]),
            flags: u16::from_le_bytes([b[6], b[7]]),
        }
    }
    pub fn encode(&self) -> [u8; 8] {
        let mut b = [0u8; 8];
        b[field::BUF].copy_from_slice(&self.buf.to_le_bytes());
        b[field::LEN].copy_from_slice(&self.len.to_le_bytes());
        b[field::FLAGS].copy_from_slice(&self.flags.to_le_bytes());
        b
    }
}
