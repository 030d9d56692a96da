//! The lab's HTTP server going away mid-run: recognises the Ethernet frames
//! of HTTP (TCP port 80, either direction, untagged or 802.1Q-tagged IPv4)
//! so the swarm can drop them from a chosen instant on.
//!
//! Guarantee: never panics; a frame too short or not IPv4/TCP is not HTTP.

/// Whether `frame` is an IPv4 TCP segment from or to port 80.
pub fn is_http(frame: &[u8]) -> bool {
    let mut at = 12;
    let mut ethertype = u16::from_be_bytes([*frame.get(at).unwrap_or(&0), *frame.get(at + 1).unwrap_or(&0)]);
    if ethertype == 0x8100 {
        at += 4;
        ethertype = u16::from_be_bytes([*frame.get(at).unwrap_or(&0), *frame.get(at + 1).unwrap_or(&0)]);
    }
    let ip = at + 2;
    if ethertype != 0x0800 || frame.len() < ip + 20 || frame[ip] >> 4 != 4 || frame[ip + 9] != 6 {
        return false;
    }
    let tcp = ip + usize::from(frame[ip] & 0x0f) * 4;
    let Some(ports) = frame.get(tcp..tcp + 4) else { return false };
    let (src, dst) = (u16::from_be_bytes([ports[0], ports[1]]), u16::from_be_bytes([ports[2], ports[3]]));
    src == 80 || dst == 80
}

#[cfg(test)]
mod tests {
    use super::is_http;

    /// A phone's SYN to 10.0.0.1:80 (Ethernet + IPv4 + TCP header, from a capture).
    const SYN: [u8; 54] = [
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x90, 0x96, 0x00, 0x00, 0x00, 0x08, 0x00, // Ethernet
        0x45, 0x00, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06, 0x00, 0x00, 10, 0, 0, 100, 10, 0, 0, 1, // IPv4, TCP
        0xc0, 0x01, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x10, 0x00, 0, 0, 0, 0, // TCP 49153 -> 80, SYN
    ];

    #[test]
    fn http_both_ways_tagged_or_not_and_nothing_else() {
        assert!(is_http(&SYN));
        let mut back = SYN;
        back[34..38].copy_from_slice(&[0x00, 0x50, 0xc0, 0x01]);
        assert!(is_http(&back), "the server's answer from port 80");
        let mut tagged = SYN[..12].to_vec();
        tagged.extend_from_slice(&[0x81, 0x00, 0x00, 0x64]);
        tagged.extend_from_slice(&SYN[12..]);
        assert!(is_http(&tagged), "VLAN 100");
        let mut other = SYN;
        other[36..38].copy_from_slice(&[0x00, 0x45]);
        assert!(!is_http(&other), "port 69");
        let mut udp = SYN;
        udp[23] = 17;
        assert!(!is_http(&udp), "UDP to port 80 is not HTTP here");
        let mut options = SYN.to_vec();
        options[14] = 0x46; // IHL 6: a 4-byte IP option before the ports
        options.splice(34..34, [1, 1, 1, 1]);
        assert!(is_http(&options));
        for n in 0..SYN.len() - 1 {
            assert!(!is_http(&SYN[..n.min(37)]), "{n} bytes");
        }
        let mut arp = SYN;
        arp[12..14].copy_from_slice(&[0x08, 0x06]);
        assert!(!is_http(&arp));
    }
}
