//! Raw Ethernet/IPv4/UDP/TCP frames for the fuzzer: built with correct
//! lengths and checksums (so a mutated payload reaches the phone's
//! application code), and read back just enough to learn what the phone is
//! doing (its address, ports, DHCP xid, DNS ids, SNTP cookie, TCP sequence).
//!
//! Hand-rolled on purpose: smoltcp's `fill_checksum` trusts the length
//! fields, which this fuzzer corrupts, and a test helper must not panic on
//! the frames it is asked to damage. Every read here is bounds-checked.

use std::net::Ipv4Addr;

pub const ETH_IPV4: u16 = 0x0800;
pub const ETH_ARP: u16 = 0x0806;
pub const UDP: u8 = 17;
pub const TCP: u8 = 6;
pub const ETH_LEN: usize = 14;
pub const IP_LEN: usize = 20;

/// RFC 1071 ones'-complement sum of `parts`, folded and inverted.
pub fn checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    let mut odd: Option<u8> = None;
    for &b in parts.iter().flat_map(|p| p.iter()) {
        match odd.take() {
            Some(hi) => sum += u32::from(u16::from_be_bytes([hi, b])),
            None => odd = Some(b),
        }
    }
    if let Some(hi) = odd {
        sum += u32::from(hi) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

pub fn ethernet(dst: [u8; 6], src: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    [&dst[..], &src[..], &ethertype.to_be_bytes()[..], payload].concat()
}

/// An IPv4 packet (no options, TTL 64, DF clear) around `l4`, whose
/// checksum field at `l4_csum` (if any) is filled using the pseudo-header.
pub fn ipv4(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, id: u16, l4: &[u8], l4_csum: Option<usize>) -> Vec<u8> {
    let mut l4 = l4.to_vec();
    if let Some(at) = l4_csum.filter(|&at| at + 2 <= l4.len()) {
        l4[at..at + 2].fill(0);
        let pseudo = [&src.octets()[..], &dst.octets()[..], &[0, proto], &(l4.len() as u16).to_be_bytes()[..]].concat();
        let mut c = checksum(&[&pseudo, &l4]);
        if proto == UDP && c == 0 {
            c = 0xffff;
        }
        l4[at..at + 2].copy_from_slice(&c.to_be_bytes());
    }
    let total = (IP_LEN + l4.len()) as u16;
    let mut h = [0u8; IP_LEN];
    h[0] = 0x45;
    h[2..4].copy_from_slice(&total.to_be_bytes());
    h[4..6].copy_from_slice(&id.to_be_bytes());
    h[8] = 64;
    h[9] = proto;
    h[12..16].copy_from_slice(&src.octets());
    h[16..20].copy_from_slice(&dst.octets());
    let c = checksum(&[&h]);
    h[10..12].copy_from_slice(&c.to_be_bytes());
    [&h[..], &l4].concat()
}

pub fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let len = (8 + payload.len()) as u16;
    [&sport.to_be_bytes()[..], &dport.to_be_bytes()[..], &len.to_be_bytes()[..], &[0, 0], payload].concat()
}

pub fn tcp(sport: u16, dport: u16, seq: u32, ack: u32, flags: u8, window: u16, payload: &[u8]) -> Vec<u8> {
    let mut h = [0u8; 20];
    h[0..2].copy_from_slice(&sport.to_be_bytes());
    h[2..4].copy_from_slice(&dport.to_be_bytes());
    h[4..8].copy_from_slice(&seq.to_be_bytes());
    h[8..12].copy_from_slice(&ack.to_be_bytes());
    h[12] = 5 << 4;
    h[13] = flags;
    h[14..16].copy_from_slice(&window.to_be_bytes());
    [&h[..], payload].concat()
}

/// A whole UDP/IPv4/Ethernet frame with correct checksums.
pub fn udp_frame(dst_mac: [u8; 6], src_mac: [u8; 6], src: (Ipv4Addr, u16), dst: (Ipv4Addr, u16), id: u16, payload: &[u8]) -> Vec<u8> {
    ethernet(dst_mac, src_mac, ETH_IPV4, &ipv4(src.0, dst.0, UDP, id, &udp(src.1, dst.1, payload), Some(6)))
}

/// The parts of an IPv4 frame the fuzzer cares about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed<'a> {
    pub src_mac: [u8; 6],
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub proto: u8,
    pub sport: u16,
    pub dport: u16,
    /// TCP only: sequence, acknowledgement, flags.
    pub tcp: Option<(u32, u32, u8)>,
    pub payload: &'a [u8],
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn ip_at(b: &[u8], at: usize) -> Option<Ipv4Addr> {
    let o: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(Ipv4Addr::from(o))
}

/// Reads an untagged UDP or TCP over IPv4 frame; `None` for anything else.
pub fn parse(frame: &[u8]) -> Option<Parsed<'_>> {
    if be16(frame, 12)? != ETH_IPV4 {
        return None;
    }
    let ip = frame.get(ETH_LEN..)?;
    let ihl = usize::from(ip.first()? & 0x0f) * 4;
    let total = usize::from(be16(ip, 2)?).min(ip.len());
    let l4 = ip.get(ihl..total)?;
    let (proto, src, dst) = (*ip.get(9)?, ip_at(ip, 12)?, ip_at(ip, 16)?);
    let (sport, dport) = (be16(l4, 0)?, be16(l4, 2)?);
    let (tcp, payload) = match proto {
        UDP => (None, l4.get(8..)?),
        TCP => {
            let off = usize::from(l4.get(12)? >> 4) * 4;
            (Some((be32(l4, 4)?, be32(l4, 8)?, *l4.get(13)?)), l4.get(off..)?)
        }
        _ => return None,
    };
    Some(Parsed { src_mac: frame[6..12].try_into().ok()?, src, dst, proto, sport, dport, tcp, payload })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_known_packets() {
        // RFC 1071's example words sum to 0xddf2, so the checksum is 0x220d.
        assert_eq!(checksum(&[&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]]), 0x220d);
        // An IPv4 header with its checksum verifies to 0.
        let p = ipv4(Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 100), UDP, 7, &udp(67, 68, b"abc"), Some(6));
        assert_eq!(checksum(&[&p[..IP_LEN]]), 0);
        let pseudo = [&[10, 0, 0, 1][..], &[10, 0, 0, 100], &[0, UDP], &11u16.to_be_bytes()].concat();
        assert_eq!(checksum(&[&pseudo, &p[IP_LEN..]]), 0);
    }

    #[test]
    fn a_built_frame_parses_back_and_junk_does_not() {
        let f = udp_frame([1; 6], [2; 6], (Ipv4Addr::new(10, 0, 0, 1), 53), (Ipv4Addr::new(10, 0, 0, 100), 50000), 1, b"xyz");
        let p = parse(&f).unwrap();
        assert_eq!((p.src_mac, p.src, p.sport, p.dport, p.proto, p.payload), ([2; 6], Ipv4Addr::new(10, 0, 0, 1), 53, 50000, UDP, &b"xyz"[..]));
        for n in 0..f.len() {
            let _ = parse(&f[..n]);
        }
        assert_eq!(parse(&[0xff; 13]), None);
    }
}
