//! DNS A-record lookup over UDP (RFC 1035), the fallback resolver for
//! names in option 66 and provisioning URLs: a query builder and a response
//! parser. Kept small: one question, class IN, type A, no TCP fallback.
//!
//! The parser checks the ID, the QR bit, the rcode and that the question
//! echoes our name. Compressed names are followed only backwards (a pointer
//! must point before the label that holds it) and at most [`MAX_JUMPS`]
//! times, so crafted pointer loops end in an error.

use core::net::Ipv4Addr;

use heapless::Vec;

/// Most compression pointers followed in one name.
pub const MAX_JUMPS: usize = 16;
/// Addresses kept from one response.
pub const MAX_ADDRS: usize = 4;
const HEADER_LEN: usize = 12;
const TYPE_A: u16 = 1;
const CLASS_IN: u16 = 1;

mod flag {
    pub const QR: u16 = 0x8000;
    pub const OPCODE: u16 = 0x7800;
    pub const TC: u16 = 0x0200;
    pub const RD: u16 = 0x0100;
    pub const RCODE: u16 = 0x000f;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    #[error("name is not a valid DNS name")]
    BadName,
    #[error("output buffer too small")]
    BufferTooSmall,
    #[error("message is truncated or malformed")]
    Malformed,
    #[error("compression pointer loop or forward pointer")]
    PointerLoop,
    #[error("response ID or question does not match the query")]
    Mismatch,
    #[error("message is not a response to a standard query")]
    NotResponse,
    #[error("response truncated by the server (TC)")]
    Truncated,
    #[error("no such name (NXDOMAIN)")]
    NameError,
    #[error("server failure (rcode {0})")]
    ServerFailure(u8),
    #[error("no A record in the answer")]
    NoAddress,
}

fn labels(name: &str) -> impl Iterator<Item = &str> {
    name.strip_suffix('.').unwrap_or(name).split('.')
}

/// Writes a recursive A query for `name` with `id`; returns its length.
pub fn build_query(buf: &mut [u8], id: u16, name: &str) -> Result<usize, DnsError> {
    let mut len = 0usize;
    let mut put = |bytes: &[u8]| -> Result<(), DnsError> {
        let end = len + bytes.len();
        buf.get_mut(len..end)
            .ok_or(DnsError::BufferTooSmall)?
            .copy_from_slice(bytes);
        len = end;
        Ok(())
    };
    put(&id.to_be_bytes())?;
    put(&flag::RD.to_be_bytes())?;
    put(&[0, 1, 0, 0, 0, 0, 0, 0])?;
    let mut encoded = 1;
    for label in labels(name) {
        if label.is_empty() || label.len() > 63 {
            return Err(DnsError::BadName);
        }
        encoded += 1 + label.len();
        if encoded > 255 {
            return Err(DnsError::BadName);
        }
        put(&[label.len() as u8])?;
        put(label.as_bytes())?;
    }
    put(&[0])?;
    put(&TYPE_A.to_be_bytes())?;
    put(&CLASS_IN.to_be_bytes())?;
    Ok(len)
}

fn be16(msg: &[u8], at: usize) -> Result<u16, DnsError> {
    match msg.get(at..at + 2) {
        Some(&[a, b]) => Ok(u16::from_be_bytes([a, b])),
        _ => Err(DnsError::Malformed),
    }
}

/// The offset just past the (possibly compressed) name at `at`.
fn skip_name(msg: &[u8], mut at: usize) -> Result<usize, DnsError> {
    loop {
        let len = *msg.get(at).ok_or(DnsError::Malformed)?;
        match len & 0xc0 {
            0xc0 => {
                return if at + 2 <= msg.len() {
                    Ok(at + 2)
                } else {
                    Err(DnsError::Malformed)
                };
            }
            0x00 if len == 0 => return Ok(at + 1),
            0x00 => at += 1 + usize::from(len),
            _ => return Err(DnsError::Malformed),
        }
    }
}

/// Whether the name at `at` equals `name` (ASCII case-insensitive).
fn name_eq(msg: &[u8], mut at: usize, name: &str) -> Result<bool, DnsError> {
    let mut expected = labels(name);
    let mut jumps = 0;
    loop {
        let len = *msg.get(at).ok_or(DnsError::Malformed)?;
        match len & 0xc0 {
            0xc0 => {
                let target = usize::from(be16(msg, at)? & 0x3fff);
                jumps += 1;
                if target >= at || jumps > MAX_JUMPS {
                    return Err(DnsError::PointerLoop);
                }
                at = target;
            }
            0x00 if len == 0 => return Ok(expected.next().is_none()),
            0x00 => {
                let label = msg
                    .get(at + 1..at + 1 + usize::from(len))
                    .ok_or(DnsError::Malformed)?;
                if !expected
                    .next()
                    .is_some_and(|e| e.as_bytes().eq_ignore_ascii_case(label))
                {
                    return Ok(false);
                }
                at += 1 + usize::from(len);
            }
            _ => return Err(DnsError::Malformed),
        }
    }
}

/// The A records of a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub addrs: Vec<Ipv4Addr, MAX_ADDRS>,
    /// The smallest TTL among the kept records, in seconds.
    pub ttl: u32,
}

/// Parses the response to the query `id` for `name`.
pub fn parse_response(msg: &[u8], id: u16, name: &str) -> Result<Answer, DnsError> {
    if msg.len() < HEADER_LEN {
        return Err(DnsError::Malformed);
    }
    let flags = be16(msg, 2)?;
    if be16(msg, 0)? != id {
        return Err(DnsError::Mismatch);
    }
    if flags & flag::QR == 0 || flags & flag::OPCODE != 0 {
        return Err(DnsError::NotResponse);
    }
    if flags & flag::TC != 0 {
        return Err(DnsError::Truncated);
    }
    match (flags & flag::RCODE) as u8 {
        0 => {}
        3 => return Err(DnsError::NameError),
        rcode => return Err(DnsError::ServerFailure(rcode)),
    }
    if be16(msg, 4)? != 1 {
        return Err(DnsError::Mismatch);
    }
    let ancount = be16(msg, 6)?;
    if !name_eq(msg, HEADER_LEN, name)? {
        return Err(DnsError::Mismatch);
    }
    let mut at = skip_name(msg, HEADER_LEN)?;
    if be16(msg, at)? != TYPE_A || be16(msg, at + 2)? != CLASS_IN {
        return Err(DnsError::Mismatch);
    }
    at += 4;
    let mut answer = Answer {
        addrs: Vec::new(),
        ttl: u32::MAX,
    };
    for _ in 0..ancount {
        at = skip_name(msg, at)?;
        let rtype = be16(msg, at)?;
        let class = be16(msg, at + 2)?;
        let ttl = u32::from(be16(msg, at + 4)?) << 16 | u32::from(be16(msg, at + 6)?);
        let rdlen = usize::from(be16(msg, at + 8)?);
        let rdata = msg
            .get(at + 10..at + 10 + rdlen)
            .ok_or(DnsError::Malformed)?;
        at += 10 + rdlen;
        if rtype == TYPE_A && class == CLASS_IN {
            let &[a, b, c, d] = rdata else {
                return Err(DnsError::Malformed);
            };
            if answer.addrs.push(Ipv4Addr::new(a, b, c, d)).is_ok() {
                answer.ttl = answer.ttl.min(ttl);
            }
        }
    }
    if answer.addrs.is_empty() {
        return Err(DnsError::NoAddress);
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUERY: &[u8] = b"\xbe\xef\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\
\x03aps\x07example\x03com\x00\x00\x01\x00\x01";
    // dnsmasq's answer: a CNAME to www.example.com, then two A records for it,
    // all with compressed names.
    const RESPONSE: &[u8] = b"\xbe\xef\x81\x80\x00\x01\x00\x03\x00\x00\x00\x00\
\x03aps\x07example\x03com\x00\x00\x01\x00\x01\
\xc0\x0c\x00\x05\x00\x01\x00\x00\x0e\x10\x00\x06\x03www\xc0\x10\
\xc0\x2d\x00\x01\x00\x01\x00\x00\x01\x2c\x00\x04\xc0\x00\x02\x05\
\xc0\x2d\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x06";

    #[test]
    fn builds_query_byte_exact() {
        let mut buf = [0u8; 64];
        let n = build_query(&mut buf, 0xbeef, "aps.example.com").unwrap();
        assert_eq!(&buf[..n], QUERY);
        let n = build_query(&mut buf, 0xbeef, "aps.example.com.").unwrap();
        assert_eq!(&buf[..n], QUERY);
        assert_eq!(build_query(&mut buf, 1, "a..b"), Err(DnsError::BadName));
        assert_eq!(build_query(&mut buf, 1, ""), Err(DnsError::BadName));
        assert_eq!(
            build_query(&mut buf, 1, &"a".repeat(64)),
            Err(DnsError::BadName)
        );
        assert_eq!(
            build_query(&mut buf[..20], 1, "aps.example.com"),
            Err(DnsError::BufferTooSmall)
        );
        let long = std::format!("{0}.{0}.{0}.{0}.{0}", "a".repeat(60));
        assert_eq!(
            build_query(&mut [0u8; 512], 1, &long),
            Err(DnsError::BadName)
        );
    }

    #[test]
    fn parses_cname_and_a_records() {
        let a = parse_response(RESPONSE, 0xbeef, "APS.example.com").unwrap();
        assert_eq!(
            a.addrs.as_slice(),
            [Ipv4Addr::new(192, 0, 2, 5), Ipv4Addr::new(192, 0, 2, 6)]
        );
        assert_eq!(a.ttl, 60);
    }

    #[test]
    fn rejects_mismatch_and_errors() {
        assert_eq!(
            parse_response(RESPONSE, 0xbeee, "aps.example.com"),
            Err(DnsError::Mismatch)
        );
        assert_eq!(
            parse_response(RESPONSE, 0xbeef, "aps.example.org"),
            Err(DnsError::Mismatch)
        );
        assert_eq!(
            parse_response(RESPONSE, 0xbeef, "example.com"),
            Err(DnsError::Mismatch)
        );
        assert_eq!(
            parse_response(QUERY, 0xbeef, "aps.example.com"),
            Err(DnsError::NotResponse)
        );
        let mut nx = RESPONSE.to_vec();
        nx[3] = 0x83;
        assert_eq!(
            parse_response(&nx, 0xbeef, "aps.example.com"),
            Err(DnsError::NameError)
        );
        nx[3] = 0x82;
        assert_eq!(
            parse_response(&nx, 0xbeef, "aps.example.com"),
            Err(DnsError::ServerFailure(2))
        );
        nx[2] = 0x83;
        assert_eq!(
            parse_response(&nx, 0xbeef, "aps.example.com"),
            Err(DnsError::Truncated)
        );
        let mut none = RESPONSE[..51].to_vec();
        none[7] = 1; // only the CNAME
        assert_eq!(
            parse_response(&none, 0xbeef, "aps.example.com"),
            Err(DnsError::NoAddress)
        );
        for cut in 0..RESPONSE.len() {
            assert!(
                parse_response(&RESPONSE[..cut], 0xbeef, "aps.example.com").is_err(),
                "cut {cut}"
            );
        }
    }

    #[test]
    fn pointer_loops_are_caught() {
        // The question name is a pointer to itself.
        let mut msg =
            b"\xbe\xef\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01".to_vec();
        assert_eq!(
            parse_response(&msg, 0xbeef, "a"),
            Err(DnsError::PointerLoop)
        );
        // A forward pointer to a label that points back.
        msg[12..14].copy_from_slice(b"\xc0\x12");
        msg.extend_from_slice(b"\x01a\xc0\x0c");
        assert_eq!(
            parse_response(&msg, 0xbeef, "a.a"),
            Err(DnsError::PointerLoop)
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let mut msg = RESPONSE[..12].to_vec();
            msg.extend_from_slice(&bytes);
            let _ = parse_response(&msg, 0xbeef, "aps.example.com");
            let _ = parse_response(&bytes, 0xbeef, "aps.example.com");
        }
    }
}
