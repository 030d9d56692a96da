//! Phone models: the hardware (ST2030 / ST2022) and the firmware protocol
//! (S = SIP, M = MGCP). `ST2030S` names the pair.

use core::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Hardware {
    St2030 = 0,
    St2022 = 1,
}

impl Hardware {
    pub fn from_u8(v: u8) -> Option<Hardware> {
        match v {
            0 => Some(Hardware::St2030),
            1 => Some(Hardware::St2022),
            _ => None,
        }
    }
    /// `"ST2030"` or `"ST2022"`.
    pub fn name(self) -> &'static str {
        match self {
            Hardware::St2030 => "ST2030",
            Hardware::St2022 => "ST2022",
        }
    }
    /// The digits used in firmware file names (`v2030SG…`).
    pub fn digits(self) -> &'static str {
        &self.name()[2..]
    }
    /// The hardware revision the board reports (the field-fact User-Agent says `hw5`).
    pub fn revision(self) -> u8 {
        5
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    Sip,
    Mgcp,
}

impl Protocol {
    pub fn letter(self) -> u8 {
        match self {
            Protocol::Sip => b'S',
            Protocol::Mgcp => b'M',
        }
    }
    pub fn from_letter(l: u8) -> Option<Protocol> {
        match l {
            b'S' => Some(Protocol::Sip),
            b'M' => Some(Protocol::Mgcp),
            _ => None,
        }
    }
    /// `"SIP"` or `"MGCP"`.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Sip => "SIP",
            Protocol::Mgcp => "MGCP",
        }
    }
}

/// A model: hardware + protocol, written `ST2030S`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Model {
    pub hardware: Hardware,
    pub protocol: Protocol,
}

impl Model {
    pub const ALL: [Model; 4] = [
        Model { hardware: Hardware::St2030, protocol: Protocol::Sip },
        Model { hardware: Hardware::St2030, protocol: Protocol::Mgcp },
        Model { hardware: Hardware::St2022, protocol: Protocol::Sip },
        Model { hardware: Hardware::St2022, protocol: Protocol::Mgcp },
    ];

    /// Parses `ST2030S`, `ST2030M`, `ST2022S`, `ST2022M` (case-insensitive).
    pub fn parse(s: &str) -> Option<Model> {
        Model::ALL.into_iter().find(|m| {
            let b = s.as_bytes();
            b.len() == 7 && b[..6].eq_ignore_ascii_case(m.hardware.name().as_bytes()) && b[6].to_ascii_uppercase() == m.protocol.letter()
        })
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.hardware.name(), self.protocol.letter() as char)
    }
}
