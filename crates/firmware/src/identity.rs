//! Who this phone is: model and firmware version (from the image header in
//! the boot window), MAC address (from SYSCTL), and the slot it booted from.

use board::image::{Header, Version};
use board::model::Model;
use core::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity {
    pub model: Model,
    pub version: Version,
    /// ASCII `YYMMDD`.
    pub build_date: [u8; 6],
    pub mac: [u8; 6],
    /// 0 = A, 1 = B.
    pub slot: u32,
}

impl Identity {
    pub fn new(header: &Header, mac: [u8; 6], slot: u32) -> Identity {
        Identity {
            model: Model { hardware: header.hardware, protocol: header.protocol },
            version: header.version,
            build_date: header.date,
            mac,
            slot,
        }
    }

    /// `2.74` (what the LCD and `Still using vX.YY` show).
    pub fn short_version(&self) -> ShortVersion {
        ShortVersion(self.version)
    }

    pub fn mac_colons(&self) -> Mac {
        Mac(self.mac)
    }

    pub fn slot_letter(&self) -> char {
        if self.slot == 0 { 'A' } else { 'B' }
    }
}

/// Displays `major.minor` with two minor digits.
pub struct ShortVersion(pub Version);

impl fmt::Display for ShortVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0.major, self.0.minor)
    }
}

/// Displays `00:90:96:A1:B1:C1`.
pub struct Mac(pub [u8; 6]);

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(f, "{:02X}:{:02X}:{:02X}:{:02X}:{:02X}:{:02X}", m[0], m[1], m[2], m[3], m[4], m[5])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use board::image::Kind;
    use board::model::{Hardware, Protocol};

    #[test]
    fn formats() {
        let h = Header {
            kind: Kind::App,
            hardware: Hardware::St2022,
            protocol: Protocol::Mgcp,
            version: Version { major: 2, minor: 5, patch: 1 },
            date: *b"261127",
            payload_len: 0,
            payload_crc: 0,
        };
        let id = Identity::new(&h, [0x00, 0x90, 0x96, 0xA1, 0xB1, 0xC1], 1);
        assert_eq!(format!("{} v{}", id.model, id.short_version()), "ST2022M v2.05");
        assert_eq!(id.mac_colons().to_string(), "00:90:96:A1:B1:C1");
        assert_eq!(id.slot_letter(), 'B');
    }
}
