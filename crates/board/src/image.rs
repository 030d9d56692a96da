//! The firmware image format (`.zz`): a fixed 256-byte header, then the payload.
//!
//! ```text
//! off len field
//!   0   4 magic           "STZZ"
//!   4   1 header version  1
//!   5   1 kind            0 app, 1 dsp, 2 boot
//!   6   1 model           0 ST2030, 1 ST2022
//!   7   1 protocol        b'S' (SIP) or b'M' (MGCP)
//!   8   1 major
//!   9   1 minor
//!  10   1 patch
//!  11   1 reserved (0)
//!  12   6 build date      ASCII "YYMMDD"
//!  18   2 reserved (0)
//!  20   4 payload length  u32 LE
//!  24   4 payload CRC-32  u32 LE (IEEE 802.3, as zlib)
//!  28  32 reserved (0)
//!  60   4 header CRC-32   over bytes 0..60
//!  64 192 reserved (0)    pads the header to one flash page
//! ```
//!
//! Guarantees: `Header::decode` never panics on any input and accepts only a
//! header whose magic, version, enums and header CRC are valid.

use crate::model::{Hardware, Protocol};

pub const HEADER_LEN: usize = 256;
pub const MAGIC: [u8; 4] = *b"STZZ";
pub const HEADER_VERSION: u8 = 1;

mod field {
    use core::ops::Range;
    pub const MAGIC: Range<usize> = 0..4;
    pub const VERSION: usize = 4;
    pub const KIND: usize = 5;
    pub const MODEL: usize = 6;
    pub const PROTOCOL: usize = 7;
    pub const MAJOR: usize = 8;
    pub const MINOR: usize = 9;
    pub const PATCH: usize = 10;
    pub const DATE: Range<usize> = 12..18;
    pub const LEN: Range<usize> = 20..24;
    pub const CRC: Range<usize> = 24..28;
    pub const HEADER_CRC: Range<usize> = 60..64;
}

/// What an image is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    App = 0,
    Dsp = 1,
    Boot = 2,
}

impl Kind {
    pub fn from_u8(v: u8) -> Option<Kind> {
        match v {
            0 => Some(Kind::App),
            1 => Some(Kind::Dsp),
            2 => Some(Kind::Boot),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Kind::App => "app",
            Kind::Dsp => "dsp",
            Kind::Boot => "boot",
        }
    }
}

/// A firmware version `major.minor.patch`; the LCD shows `major.minor`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    pub major: u8,
    pub minor: u8,
    pub patch: u8,
}

/// A decoded image header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub kind: Kind,
    pub hardware: Hardware,
    pub protocol: Protocol,
    pub version: Version,
    /// ASCII `YYMMDD`.
    pub date: [u8; 6],
    pub payload_len: u32,
    pub payload_crc: u32,
}

/// Why a header or image was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageError {
    /// Shorter than a header, or shorter than the payload length says.
    Truncated,
    BadMagic,
    BadHeaderVersion,
    BadHeaderCrc,
    BadField,
    BadPayloadCrc,
}

impl Header {
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[field::MAGIC].copy_from_slice(&MAGIC);
        b[field::VERSION] = HEADER_VERSION;
        b[field::KIND] = self.kind as u8;
        b[field::MODEL] = self.hardware as u8;
        b[field::PROTOCOL] = self.protocol.letter();
        b[field::MAJOR] = self.version.major;
        b[field::MINOR] = self.version.minor;
        b[field::PATCH] = self.version.patch;
        b[field::DATE].copy_from_slice(&self.date);
        b[field::LEN].copy_from_slice(&self.payload_len.to_le_bytes());
        b[field::CRC].copy_from_slice(&self.payload_crc.to_le_bytes());
        let crc = crc32(&b[0..60]);
        b[field::HEADER_CRC].copy_from_slice(&crc.to_le_bytes());
        b
    }

    pub fn decode(b: &[u8]) -> Result<Header, ImageError> {
        if b.len() < HEADER_LEN {
            return Err(ImageError::Truncated);
        }
        if b[field::MAGIC] != MAGIC {
            return Err(ImageError::BadMagic);
        }
        if b[field::VERSION] != HEADER_VERSION {
            return Err(ImageError::BadHeaderVersion);
        }
        if crc32(&b[0..60]) != le32(&b[field::HEADER_CRC]) {
            return Err(ImageError::BadHeaderCrc);
        }
        let kind = Kind::from_u8(b[field::KIND]).ok_or(ImageError::BadField)?;
        let hardware = Hardware::from_u8(b[field::MODEL]).ok_or(ImageError::BadField)?;
        let protocol = Protocol::from_letter(b[field::PROTOCOL]).ok_or(ImageError::BadField)?;
        let mut date = [0u8; 6];
        date.copy_from_slice(&b[field::DATE]);
        if !date.iter().all(u8::is_ascii_digit) {
            return Err(ImageError::BadField);
        }
        Ok(Header {
            kind,
            hardware,
            protocol,
            version: Version { major: b[field::MAJOR], minor: b[field::MINOR], patch: b[field::PATCH] },
            date,
            payload_len: le32(&b[field::LEN]),
            payload_crc: le32(&b[field::CRC]),
        })
    }

    /// Decodes the header of a whole image and checks its payload CRC.
    /// Returns the header and the payload.
    pub fn check_image(image: &[u8]) -> Result<(Header, &[u8]), ImageError> {
        let h = Header::decode(image)?;
        let end = HEADER_LEN.checked_add(h.payload_len as usize).ok_or(ImageError::Truncated)?;
        let payload = image.get(HEADER_LEN..end).ok_or(ImageError::Truncated)?;
        if crc32(payload) != h.payload_crc {
            return Err(ImageError::BadPayloadCrc);
        }
        Ok((h, payload))
    }
}

fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

const CRC_TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

/// Incremental CRC-32 (IEEE 802.3 / zlib): start with `!0`, feed with
/// `crc32_update`, finish with `!state`.
pub fn crc32_update(mut state: u32, data: &[u8]) -> u32 {
    for &b in data {
        state = CRC_TABLE[((state ^ b as u32) & 0xFF) as usize] ^ (state >> 8);
    }
    state
}

/// CRC-32 (IEEE 802.3 / zlib) of `data`.
pub fn crc32(data: &[u8]) -> u32 {
    !crc32_update(!0, data)
}
