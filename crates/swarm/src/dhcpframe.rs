//! Recognises a DHCP DISCOVER among the Ethernet frames a phone sends, so
//! the swarm knows when each phone's DHCP began on its own clock, with the
//! built-in lab and on a TAP alike (no lab record needed).
//!
//! Guarantee: never panics; a frame that is cut short, not IPv4/UDP from
//! port 68 to 67, not BOOTP or without option 53 = 1 is not a DISCOVER.

/// BOOTP's fixed part before the magic cookie.
const BOOTP_FIXED: usize = 236;
const COOKIE: [u8; 4] = [0x63, 0x82, 0x53, 0x63];
const OPTION_MESSAGE_TYPE: u8 = 53;
const DHCPDISCOVER: u8 = 1;

/// Whether `frame` (untagged or 802.1Q-tagged) is a DHCP DISCOVER.
pub fn is_discover(frame: &[u8]) -> bool {
    message_type(frame) == Some(DHCPDISCOVER)
}

/// The DHCP message type (option 53) of a client's BOOTP request.
fn message_type(frame: &[u8]) -> Option<u8> {
    let be16 = |at: usize| frame.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    let mut at = 12;
    if be16(at)? == 0x8100 {
        at += 4;
    }
    let ip = at + 2;
    if be16(at)? != 0x0800 || frame.get(ip)? >> 4 != 4 || *frame.get(ip + 9)? != 17 {
        return None;
    }
    let udp = ip + usize::from(frame[ip] & 0x0f) * 4;
    if (be16(udp)?, be16(udp + 2)?) != (68, 67) {
        return None;
    }
    let bootp = udp + 8;
    if *frame.get(bootp)? != 1 || frame.get(bootp + BOOTP_FIXED..bootp + BOOTP_FIXED + 4)? != COOKIE {
        return None;
    }
    let mut o = bootp + BOOTP_FIXED + 4;
    loop {
        match *frame.get(o)? {
            0 => o += 1,
            255 => return None,
            code => {
                let len = usize::from(*frame.get(o + 1)?);
                let value = frame.get(o + 2..o + 2 + len)?;
                if code == OPTION_MESSAGE_TYPE {
                    return value.first().copied();
                }
                o += 2 + len;
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::is_discover;

    /// The firmware's DISCOVER, OFFER (from the built-in lab) and REQUEST, as
    /// `st20xx run --net lab --trace-frames` recorded them (MAC 00:90:96:a1:b1:c1).
    const DISCOVER: &[&str] = &[
        "ffffffffffff009096a1b1c1080045000156000040004011399800000000ffffffff0044004301420062010106001f90562d000000000000",
        "0000000000000000000000000000009096a1b1c1000000000000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000006382",
        "53633501013d0701009096a1b1c13902059837080103062a2b4243963c1c3031303754686f6d736f6e303230365354323033303033303353",
        "49504d0f54686f6d736f6e2053543230333053ff",
    ];
    const OFFER: &[&str] = &[
        "ffffffffffff02000000000108004500016e0000400040112f7f0a000001ffffffff00430044015a4e86020106001f90562d000000000000",
        "00000a0000640000000000000000009096a1b1c1000000000000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000006382",
        "53630104ffffff0003040a00000106040a0000012b1b687474703a2f2f70726f762e6c61622f535432303330532e696e66330400000e1035",
        "010236040a0000013a04000007083b0400000c4e420831302e302e302e31430b535432303330532e696e66ff",
    ];
    const REQUEST: &[&str] = &[
        "ffffffffffff009096a1b1c1080045000162000040004011398c00000000ffffffff00440043014e81dc010106001f90562d000000000000",
        "0000000000000000000000000000009096a1b1c1000000000000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000006382",
        "53633501033d0701009096a1b1c136040a00000132040a0000643902059837080103062a2b4243963c1c3031303754686f6d736f6e303230",
        "36535432303330303330335349504d0f54686f6d736f6e2053543230333053ff",
    ];

    fn bytes(hex: &[&str]) -> Vec<u8> {
        let hex = hex.concat();
        (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
    }

    /// The firmware's DISCOVER (`msg` 1) or REQUEST (`msg` 3).
    pub(crate) fn frame(msg: u8) -> Vec<u8> {
        match msg {
            1 => bytes(DISCOVER),
            3 => bytes(REQUEST),
            _ => panic!("no recorded frame of type {msg}"),
        }
    }

    /// Where option 53 sits in the recorded DISCOVER (Ethernet 14 + IPv4 20 + UDP 8 + BOOTP 236 + cookie 4).
    const OPTION_53: usize = 14 + 20 + 8 + 236 + 4;

    #[test]
    fn a_discover_tagged_or_not_and_nothing_else() {
        let d = frame(1);
        assert_eq!(&d[OPTION_53..OPTION_53 + 3], &[53, 1, 1]);
        assert!(is_discover(&d));
        assert!(!is_discover(&frame(3)), "REQUEST");
        assert!(!is_discover(&bytes(OFFER)), "the lab's OFFER");
        let mut tagged = d[..12].to_vec();
        tagged.extend_from_slice(&[0x81, 0x00, 0x00, 0x64]);
        tagged.extend_from_slice(&d[12..]);
        assert!(is_discover(&tagged), "VLAN 100");
        let mut reply = d.clone();
        reply[42] = 2;
        assert!(!is_discover(&reply), "BOOTREPLY");
        let mut server = d.clone();
        server[34..38].copy_from_slice(&[0x00, 0x43, 0x00, 0x44]);
        assert!(!is_discover(&server), "67 -> 68");
        let mut tcp = d.clone();
        tcp[23] = 6;
        assert!(!is_discover(&tcp));
        let mut cookie = d.clone();
        cookie[42 + 236] = 0;
        assert!(!is_discover(&cookie), "no magic cookie");
        let mut padded = d.clone();
        padded.splice(OPTION_53..OPTION_53, [0, 0, 0]);
        assert!(is_discover(&padded), "pad options are skipped");
        let mut late = d.clone();
        late.splice(OPTION_53..OPTION_53, [61, 2, 1, 2]);
        assert!(is_discover(&late), "option 53 after another option");
        let mut none = d.clone();
        none[OPTION_53] = 255;
        assert!(!is_discover(&none), "END before option 53");
        let mut options = d.clone();
        options[14] = 0x46; // IHL 6: a 4-byte IP option before UDP
        options.splice(34..34, [1, 1, 1, 1]);
        assert!(is_discover(&options));
        for n in 0..OPTION_53 + 3 {
            assert!(!is_discover(&d[..n]), "{n} bytes");
        }
        let mut arp = d;
        arp[12..14].copy_from_slice(&[0x08, 0x06]);
        assert!(!is_discover(&arp));
    }
}
