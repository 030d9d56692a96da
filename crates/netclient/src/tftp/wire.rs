//! TFTP packet layouts: parse any of the six opcodes, emit the ones a read
//! client sends (RRQ with options, ACK, ERROR).
//!
//! Parsing borrows from the datagram and never panics: once
//! [`Packet::parse`] returns `Ok`, every field is within the input.

/// Opcodes (RFC 1350 section 5, RFC 2347 for OACK).
pub mod opcode {
    pub const RRQ: u16 = 1;
    pub const WRQ: u16 = 2;
    pub const DATA: u16 = 3;
    pub const ACK: u16 = 4;
    pub const ERROR: u16 = 5;
    pub const OACK: u16 = 6;
}

/// Error codes (RFC 1350 and RFC 2347).
pub mod error_code {
    pub const NOT_DEFINED: u16 = 0;
    pub const FILE_NOT_FOUND: u16 = 1;
    pub const DISK_FULL: u16 = 3;
    pub const ILLEGAL_OPERATION: u16 = 4;
    pub const UNKNOWN_TID: u16 = 5;
    pub const OPTION_REFUSED: u16 = 8;
}

/// The packet is malformed, or does not fit the output buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("TFTP packet shorter than its header")]
    Truncated,
    #[error("unknown TFTP opcode {0}")]
    UnknownOpcode(u16),
    #[error("TFTP string not NUL-terminated")]
    Unterminated,
    #[error("TFTP string contains a NUL byte")]
    EmbeddedNul,
    #[error("TFTP file name is empty")]
    EmptyName,
    #[error("output buffer too small")]
    BufferTooSmall,
}

/// Option name/value pairs as they sit in an RRQ/WRQ/OACK: `name\0value\0`...
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options<'a> {
    raw: &'a [u8],
}

impl<'a> Options<'a> {
    /// Checks that `raw` is a sequence of complete `name\0value\0` pairs.
    fn new(raw: &'a [u8]) -> Result<Self, WireError> {
        if raw.last().is_some_and(|&b| b != 0) {
            return Err(WireError::Unterminated);
        }
        if raw.iter().filter(|&&b| b == 0).count() % 2 != 0 {
            return Err(WireError::Unterminated);
        }
        Ok(Options { raw })
    }

    pub fn iter(&self) -> OptionIter<'a> {
        OptionIter { rest: self.raw }
    }

    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// The value of option `name` (ASCII case-insensitive), if present.
    pub fn get(&self, name: &str) -> Option<&'a [u8]> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v)
    }
}

/// Iterates `(name, value)` pairs of [`Options`].
#[derive(Debug, Clone)]
pub struct OptionIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for OptionIter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let (name, rest) = split_cstr(self.rest).ok()?;
        let (value, rest) = split_cstr(rest).ok()?;
        self.rest = rest;
        Some((name, value))
    }
}

/// One TFTP packet, borrowing its strings and data from the datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packet<'a> {
    Rrq {
        filename: &'a [u8],
        mode: &'a [u8],
        options: Options<'a>,
    },
    Wrq {
        filename: &'a [u8],
        mode: &'a [u8],
        options: Options<'a>,
    },
    Data {
        block: u16,
        data: &'a [u8],
    },
    Ack {
        block: u16,
    },
    Error {
        code: u16,
        message: &'a [u8],
    },
    Oack {
        options: Options<'a>,
    },
}

fn split_cstr(b: &[u8]) -> Result<(&[u8], &[u8]), WireError> {
    let nul = b
        .iter()
        .position(|&c| c == 0)
        .ok_or(WireError::Unterminated)?;
    Ok((&b[..nul], &b[nul + 1..]))
}

fn be16(b: &[u8]) -> Result<u16, WireError> {
    match b {
        [hi, lo, ..] => Ok(u16::from_be_bytes([*hi, *lo])),
        _ => Err(WireError::Truncated),
    }
}

impl<'a> Packet<'a> {
    pub fn parse(b: &'a [u8]) -> Result<Self, WireError> {
        let op = be16(b)?;
        let body = &b[2..];
        match op {
            opcode::RRQ | opcode::WRQ => {
                let (filename, rest) = split_cstr(body)?;
                let (mode, rest) = split_cstr(rest)?;
                let options = Options::new(rest)?;
                Ok(if op == opcode::RRQ {
                    Packet::Rrq {
                        filename,
                        mode,
                        options,
                    }
                } else {
                    Packet::Wrq {
                        filename,
                        mode,
                        options,
                    }
                })
            }
            opcode::DATA => Ok(Packet::Data {
                block: be16(body)?,
                data: &body[2..],
            }),
            opcode::ACK => Ok(Packet::Ack { block: be16(body)? }),
            opcode::ERROR => {
                let code = be16(body)?;
                // Some servers omit the final NUL; accept the message as is.
                let msg = &body[2..];
                let message = match msg.iter().position(|&c| c == 0) {
                    Some(n) => &msg[..n],
                    None => msg,
                };
                Ok(Packet::Error { code, message })
            }
            opcode::OACK => Ok(Packet::Oack {
                options: Options::new(body)?,
            }),
            other => Err(WireError::UnknownOpcode(other)),
        }
    }
}

/// Writes packets into a fixed buffer, failing cleanly when it is full.
struct Writer<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        let end = self
            .len
            .checked_add(bytes.len())
            .ok_or(WireError::BufferTooSmall)?;
        self.buf
            .get_mut(self.len..end)
            .ok_or(WireError::BufferTooSmall)?
            .copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }

    fn cstr(&mut self, s: &[u8]) -> Result<(), WireError> {
        if s.contains(&0) {
            return Err(WireError::EmbeddedNul);
        }
        self.put(s)?;
        self.put(&[0])
    }
}

/// Emits an RRQ in `octet` mode with the given options; returns its length.
pub fn emit_rrq(
    buf: &mut [u8],
    filename: &[u8],
    options: &[(&[u8], &[u8])],
) -> Result<usize, WireError> {
    if filename.is_empty() {
        return Err(WireError::EmptyName);
    }
    let mut w = Writer { buf, len: 0 };
    w.put(&opcode::RRQ.to_be_bytes())?;
    w.cstr(filename)?;
    w.cstr(b"octet")?;
    for (name, value) in options {
        w.cstr(name)?;
        w.cstr(value)?;
    }
    Ok(w.len)
}

/// Emits an ACK; returns its length (4).
pub fn emit_ack(buf: &mut [u8], block: u16) -> Result<usize, WireError> {
    let mut w = Writer { buf, len: 0 };
    w.put(&opcode::ACK.to_be_bytes())?;
    w.put(&block.to_be_bytes())?;
    Ok(w.len)
}

/// Emits an ERROR packet; returns its length.
pub fn emit_error(buf: &mut [u8], code: u16, message: &[u8]) -> Result<usize, WireError> {
    let mut w = Writer { buf, len: 0 };
    w.put(&opcode::ERROR.to_be_bytes())?;
    w.put(&code.to_be_bytes())?;
    w.cstr(message)?;
    Ok(w.len)
}

#[cfg(test)]
mod tests {
    use super::*;

    // An RRQ as tftp-hpa's client sends it with `-B 1428` and tsize.
    const RRQ_BYTES: &[u8] =
        b"\x00\x01ST2030S_009096A1B1C1.inf\x00octet\x00blksize\x001428\x00tsize\x000\x00";
    const OACK_BYTES: &[u8] = b"\x00\x06blksize\x001428\x00tsize\x0012345\x00";
    const DATA_BYTES: &[u8] = b"\x00\x03\x00\x01[provision]\r\n";
    const ERROR_BYTES: &[u8] = b"\x00\x05\x00\x01File not found\x00";

    #[test]
    fn emits_rrq_with_options_byte_exact() {
        let mut buf = [0u8; 128];
        let n = emit_rrq(
            &mut buf,
            b"ST2030S_009096A1B1C1.inf",
            &[(b"blksize", b"1428"), (b"tsize", b"0")],
        )
        .unwrap();
        assert_eq!(&buf[..n], RRQ_BYTES);
    }

    #[test]
    fn parses_rrq_back() {
        let Packet::Rrq {
            filename,
            mode,
            options,
        } = Packet::parse(RRQ_BYTES).unwrap()
        else {
            panic!("not an RRQ")
        };
        assert_eq!(filename, b"ST2030S_009096A1B1C1.inf");
        assert_eq!(mode, b"octet");
        assert_eq!(options.get("BLKSIZE"), Some(&b"1428"[..]));
        assert_eq!(options.get("tsize"), Some(&b"0"[..]));
        assert_eq!(options.get("timeout"), None);
    }

    #[test]
    fn parses_oack_data_ack_error() {
        let Packet::Oack { options } = Packet::parse(OACK_BYTES).unwrap() else {
            panic!()
        };
        let pairs: std::vec::Vec<_> = options.iter().collect();
        assert_eq!(
            pairs,
            [
                (&b"blksize"[..], &b"1428"[..]),
                (&b"tsize"[..], &b"12345"[..])
            ]
        );
        assert_eq!(
            Packet::parse(DATA_BYTES).unwrap(),
            Packet::Data {
                block: 1,
                data: b"[provision]\r\n"
            }
        );
        assert_eq!(
            Packet::parse(b"\x00\x04\xff\xfe").unwrap(),
            Packet::Ack { block: 0xfffe }
        );
        assert_eq!(
            Packet::parse(ERROR_BYTES).unwrap(),
            Packet::Error {
                code: 1,
                message: b"File not found"
            }
        );
        // Missing final NUL on the message is tolerated.
        assert_eq!(
            Packet::parse(b"\x00\x05\x00\x02denied").unwrap(),
            Packet::Error {
                code: 2,
                message: b"denied"
            }
        );
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(Packet::parse(b""), Err(WireError::Truncated));
        assert_eq!(Packet::parse(b"\x00"), Err(WireError::Truncated));
        assert_eq!(Packet::parse(b"\x00\x03\x00"), Err(WireError::Truncated));
        assert_eq!(Packet::parse(b"\x00\x09"), Err(WireError::UnknownOpcode(9)));
        assert_eq!(Packet::parse(b"\x00\x01name"), Err(WireError::Unterminated));
        assert_eq!(
            Packet::parse(b"\x00\x06blksize\x00"),
            Err(WireError::Unterminated)
        );
        assert_eq!(
            Packet::parse(b"\x00\x06blksize\x001428"),
            Err(WireError::Unterminated)
        );
    }

    #[test]
    fn emit_refuses_small_buffer_and_nul() {
        let mut small = [0u8; 10];
        assert_eq!(
            emit_rrq(&mut small, b"long-file-name.bin", &[]),
            Err(WireError::BufferTooSmall)
        );
        let mut buf = [0u8; 64];
        assert_eq!(
            emit_rrq(&mut buf, b"a\0b", &[]),
            Err(WireError::EmbeddedNul)
        );
        assert_eq!(emit_rrq(&mut buf, b"", &[]), Err(WireError::EmptyName));
        assert_eq!(emit_ack(&mut small[..3], 1), Err(WireError::BufferTooSmall));
        let n = emit_error(&mut buf, 8, b"bad option").unwrap();
        assert_eq!(&buf[..n], b"\x00\x05\x00\x08bad option\x00");
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            if let Ok(Packet::Oack { options } | Packet::Rrq { options, .. }) = Packet::parse(&bytes) {
                for _ in options.iter() {}
            }
        }
    }
}
