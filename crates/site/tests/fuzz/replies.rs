//! Well-formed replies to what the phone is doing, built from what it sent
//! ([`Learned`]): DHCP OFFER/ACK/NAK with its xid and random extra options,
//! DNS answers to its query, SNTP answers with its cookie, TFTP
//! DATA/OACK/ERROR on its transfer ports, HTTP over its TCP connection, SIP
//! requests to port 5060, and ARP/ICMP/raw frames. The fuzzer damages them
//! before they reach the phone; undamaged, each is a reply a good server
//! could send.

use super::frames::{self, Parsed, TCP, UDP};
use rand::Rng;
use std::net::Ipv4Addr;

pub const LAB_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 1];
pub const LAB_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
pub const LEASED: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 100);
/// Seconds from 1900 (NTP) to 1970 (Unix).
const NTP_UNIX: u32 = 2_208_988_800;

/// What the phone's own frames say about its conversations.
#[derive(Clone, Debug, Default)]
pub struct Learned {
    pub ip: Option<Ipv4Addr>,
    pub dhcp_xid: Option<[u8; 4]>,
    /// The DNS query: source port and the whole message.
    pub dns: Option<(u16, Vec<u8>)>,
    /// SNTP: source port and the request's transmit timestamp.
    pub sntp: Option<(u16, [u8; 8])>,
    /// TFTP: the phone's port, the server's port, the last block acked.
    pub tftp: Option<(u16, u16, u16)>,
    /// TCP: the phone's port, its next sequence number, what it acks.
    pub tcp: Option<(u16, u32, u32)>,
    pub frames: u64,
}

impl Learned {
    pub fn see(&mut self, frame: &[u8]) {
        self.frames += 1;
        let Some(p) = frames::parse(frame) else { return };
        if !p.src.is_unspecified() {
            self.ip = Some(p.src);
        }
        self.see_l4(&p);
    }

    fn see_l4(&mut self, p: &Parsed) {
        let pl = p.payload;
        match (p.proto, p.dport) {
            (UDP, 67) if pl.len() >= 8 => self.dhcp_xid = pl[4..8].try_into().ok(),
            (UDP, 53) if pl.len() >= 12 => self.dns = Some((p.sport, pl.to_vec())),
            (UDP, 123) if pl.len() >= 48 => self.sntp = Some((p.sport, pl[40..48].try_into().unwrap())),
            (UDP, 69) => self.tftp = Some((p.sport, 69, 0)),
            (UDP, port) if pl.len() >= 4 && pl[..2] == [0, 4] => self.tftp = Some((p.sport, port, u16::from_be_bytes([pl[2], pl[3]]))),
            (TCP, 80) => {
                let (seq, ack, flags) = p.tcp.unwrap_or_default();
                let syn_fin = u32::from(flags & 0x03 != 0);
                self.tcp = Some((p.sport, seq.wrapping_add(pl.len() as u32 + syn_fin), ack));
            }
            _ => {}
        }
    }
}

/// Which protocol a forged frame speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Dhcp,
    Dns,
    Sntp,
    Tftp,
    Http,
    Sip,
    Other,
}

pub const KINDS: [Kind; 7] = [Kind::Dhcp, Kind::Dns, Kind::Sntp, Kind::Tftp, Kind::Http, Kind::Sip, Kind::Other];

/// A reply before framing: the fuzzer mutates `payload`, then frames it.
pub struct Reply {
    pub src: (Ipv4Addr, u16),
    pub dst: (Ipv4Addr, u16),
    /// `None`: UDP; else TCP (seq, ack, flags).
    pub tcp: Option<(u32, u32, u8)>,
    pub payload: Vec<u8>,
}

impl Reply {
    pub fn frame(&self, id: u16) -> Vec<u8> {
        let l4 = match self.tcp {
            None => frames::udp(self.src.1, self.dst.1, &self.payload),
            Some((seq, ack, flags)) => frames::tcp(self.src.1, self.dst.1, seq, ack, flags, 8192, &self.payload),
        };
        let (proto, csum) = if self.tcp.is_some() { (TCP, 16) } else { (UDP, 6) };
        frames::ethernet(super::common::PHONE_MAC, LAB_MAC, frames::ETH_IPV4, &frames::ipv4(self.src.0, self.dst.0, proto, id, &l4, Some(csum)))
    }
}

fn pick<T: Copy>(rng: &mut impl Rng, xs: &[T]) -> T {
    xs[rng.random_range(0..xs.len())]
}

fn random_bytes(rng: &mut impl Rng, max: usize) -> Vec<u8> {
    let mut b = vec![0; rng.random_range(0..=max)];
    rng.fill_bytes(&mut b);
    b
}

fn opt(out: &mut Vec<u8>, code: u8, data: &[u8]) {
    out.push(code);
    out.push(data.len() as u8);
    out.extend_from_slice(data);
}

fn dhcp(rng: &mut impl Rng, l: &Learned) -> Reply {
    let mut p = vec![0u8; 236];
    p[..4].copy_from_slice(&[2, 1, 6, 0]);
    p[4..8].copy_from_slice(&l.dhcp_xid.unwrap_or_else(|| rng.random()));
    p[16..20].copy_from_slice(&LEASED.octets());
    p[20..24].copy_from_slice(&LAB_IP.octets());
    p[28..34].copy_from_slice(&super::common::PHONE_MAC);
    if rng.random_bool(0.2) {
        // BOOTP sname/file with or without a NUL.
        let n = rng.random_range(0..64);
        p[44..44 + n].fill(b'A');
        let n = rng.random_range(0..128);
        p[108..108 + n].fill(b'f');
    }
    p.extend_from_slice(&[99, 130, 83, 99]);
    opt(&mut p, 53, &[pick(rng, &[2, 2, 5, 5, 5, 6])]);
    opt(&mut p, 54, &LAB_IP.octets());
    opt(&mut p, 51, &pick(rng, &[10u32, 30, 60, 3600, 0, 0xffff_ffff]).to_be_bytes());
    opt(&mut p, 1, &[255, 255, 255, 0]);
    opt(&mut p, 3, &LAB_IP.octets());
    let dns: Vec<u8> = (0..rng.random_range(1..=5)).flat_map(|_| LAB_IP.octets()).collect();
    opt(&mut p, 6, &dns);
    let provisioning: [(u8, &[u8]); 9] = [
        (43, b"http://prov.lab/ST2030S.inf"),
        (43, b"\x01\x1ahttp://prov.lab/x.inf"),
        (66, b"10.0.0.1\0"),
        (66, b"tftp.lab"),
        (67, b"ST2030S.inf"),
        (42, &[10, 0, 0, 1, 10, 0, 0, 2]),
        (150, &[10, 0, 0, 2]),
        (2, &[0xff, 0xff, 0xf1, 0xf0]),
        (132, &[0, 100]),
    ];
    for _ in 0..rng.random_range(0..5) {
        let (code, data) = pick(rng, &provisioning);
        opt(&mut p, code, data);
    }
    for _ in 0..rng.random_range(0..6) {
        let code = rng.random_range(1..=254);
        let data = random_bytes(rng, 40);
        opt(&mut p, code, &data);
    }
    if rng.random_bool(0.9) {
        p.push(255);
    }
    let to = if rng.random_bool(0.5) { Ipv4Addr::BROADCAST } else { LEASED };
    Reply { src: (LAB_IP, 67), dst: (to, 68), tcp: None, payload: p }
}

fn dns(rng: &mut impl Rng, l: &Learned, me: Ipv4Addr) -> Reply {
    let (port, query) = l.dns.clone().unwrap_or_else(|| (rng.random_range(49152..=65000), [&[0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0][..], b"\x04prov\x03lab\0\0\x01\0\x01"].concat()));
    let mut m = query.clone();
    let answers = rng.random_range(0..4u8);
    m[2] = 0x81;
    m[3] = pick(rng, &[0x80, 0x80, 0x83, 0x82]);
    m[6..8].copy_from_slice(&u16::from(answers).to_be_bytes());
    for _ in 0..answers {
        // Name: a pointer to the question, or a pointer anywhere (loops).
        let ptr = if rng.random_bool(0.8) { 12 } else { rng.random_range(0..m.len() as u16 + 8) };
        m.extend_from_slice(&(0xc000 | ptr).to_be_bytes());
        if rng.random_bool(0.8) {
            m.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 10, 0, 0, rng.random()]);
        } else {
            // A CNAME pointing back into the message.
            m.extend_from_slice(&[0, 5, 0, 1, 0, 0, 0, 60, 0, 2, 0xc0, rng.random()]);
        }
    }
    Reply { src: (LAB_IP, 53), dst: (me, port), tcp: None, payload: m }
}

fn sntp(rng: &mut impl Rng, l: &Learned, me: Ipv4Addr) -> Reply {
    let (port, cookie) = l.sntp.unwrap_or_else(|| (rng.random_range(49152..=65000), rng.random()));
    let mut m = vec![0u8; 48];
    m[0] = pick(rng, &[0x24, 0x24, 0x1c, 0xe4, 0x25, 0x23]);
    m[1] = pick(rng, &[1, 2, 8, 0, 16, 255]);
    if m[1] == 0 {
        m[12..16].copy_from_slice(b"RATE");
    }
    m[24..32].copy_from_slice(&cookie);
    let secs = (1_704_067_200u32 + rng.random_range(0..100_000)).wrapping_add(NTP_UNIX);
    let secs = pick(rng, &[secs, secs, 0, 0xffff_ffff, NTP_UNIX - 1]);
    for at in [16, 32, 40] {
        m[at..at + 4].copy_from_slice(&secs.to_be_bytes());
        m[at + 4..at + 8].copy_from_slice(&rng.random::<u32>().to_be_bytes());
    }
    Reply { src: (LAB_IP, 123), dst: (me, port), tcp: None, payload: m }
}

fn tftp(rng: &mut impl Rng, l: &Learned, me: Ipv4Addr) -> Reply {
    let (port, server, block) = l.tftp.unwrap_or_else(|| (rng.random_range(49152..=65000), 69, 0));
    let server = if server == 69 { rng.random_range(1024..=65535) } else { server };
    let m = match rng.random_range(0..4) {
        0 | 1 => {
            let len = pick(rng, &[0, 1, 511, 512, 1428, 1429]);
            let block = block.wrapping_add(pick(rng, &[1, 1, 1, 0, 2, 0x8000]));
            let mut d = [&[0, 3][..], &block.to_be_bytes()].concat();
            d.resize(4 + len, b'x');
            d
        }
        2 => {
            let blk = pick(rng, &["1428", "512", "8", "7", "99999", "", "abc"]);
            let size = pick(rng, &["1048576", "0", "99999999999", "18446744073709551616", "-1", ""]);
            let mut d = vec![0, 6];
            for (k, v) in [("blksize", blk), ("tsize", size), ("timeout", "1")].into_iter().take(rng.random_range(0..=3)) {
                d.extend_from_slice(k.as_bytes());
                d.push(0);
                d.extend_from_slice(v.as_bytes());
                d.push(0);
            }
            d
        }
        _ => [&[0, 5, 0, rng.random_range(0..9)][..], b"File not found\0"].concat(),
    };
    Reply { src: (LAB_IP, server), dst: (me, port), tcp: None, payload: m }
}

fn http(rng: &mut impl Rng, l: &Learned, me: Ipv4Addr) -> Reply {
    let (port, phone_next, ack) = l.tcp.unwrap_or_else(|| (rng.random_range(49152..=65000), rng.random(), rng.random()));
    let bodies: [&[u8]; 6] = [
        b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\nConnection: close\r\n\r\n[autoprov]\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nffffffffffffffff\r\nx\r\n0\r\n\r\n",
        b"HTTP/1.1 301 Moved\r\nLocation: http://prov.lab:99999/a/../../b.inf\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 302 Found\r\nLocation: //\r\n\r\n",
        b"HTTP/1.0 404 Not Found\r\nContent-Length: -1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\nContent-Length: 3\r\n\r\nabc",
    ];
    let payload = pick(rng, &bodies).to_vec();
    // ACK|PSH mostly; now and then SYN, FIN, RST or anything.
    let any: u8 = rng.random();
    let flags = pick(rng, &[0x18, 0x18, 0x18, 0x10, 0x11, 0x04, 0x12, 0x02, any]);
    // The server's sequence is what the phone acks; it acks what the phone sent.
    let seq = ack.wrapping_add(pick(rng, &[0, 0, 0, 1, 0xffff_ffff, 65535]));
    Reply { src: (LAB_IP, 80), dst: (me, port), tcp: Some((seq, phone_next, flags)), payload }
}

fn sip(rng: &mut impl Rng, me: Ipv4Addr) -> Reply {
    let method = pick(rng, &["NOTIFY", "NOTIFY", "OPTIONS", "INVITE", "ACK", "BYE", "FOO"]);
    let event = pick(rng, &["check-sync", "check-sync;reboot=false", "check-sync;reboot=maybe", "message-summary", "", "check-sync;;;=="]);
    let n: u32 = rng.random();
    let mut m = format!(
        "{method} sip:{me}:5060 SIP/2.0\r\nVia: SIP/2.0/UDP {LAB_IP}:5060;branch=z9hG4bKfz{n}\r\nMax-Forwards: 70\r\n\
         From: <sip:lab@{LAB_IP}>;tag=fz{n}\r\nTo: <sip:{me}>\r\nCall-ID: fz{n}@{LAB_IP}\r\nCSeq: {} {method}\r\n\
         Event: {event}\r\nContent-Length: {}\r\n\r\n",
        pick(rng, &[1u64, 0, 4_294_967_296, 1]),
        pick(rng, &[0i64, 0, 5, -1, 99999]),
    )
    .into_bytes();
    if rng.random_bool(0.3) {
        // A second Via, in compact form, folded over two lines.
        let at = m.len() - 2;
        m.splice(at..at, b"v: SIP/2.0/UDP 10.0.0.9\r\n\t;branch=z9hG4bKx\r\n".iter().copied());
    }
    Reply { src: (LAB_IP, 5060), dst: (me, 5060), tcp: None, payload: m }
}

/// A frame that is not a reply: ARP, ICMP echo, an unknown IP protocol or
/// EtherType, a VLAN tag, or plain random bytes.
pub fn other(rng: &mut impl Rng, me: Ipv4Addr) -> Vec<u8> {
    let phone = super::common::PHONE_MAC;
    let dst = pick(rng, &[phone, phone, [0xff; 6], [0x01, 0, 0x5e, 0, 0, 1]]);
    match rng.random_range(0..6) {
        0 => {
            let op = pick(rng, &[1u8, 2, 3, 0]);
            let arp = [&[0, 1, 8, 0, 6, 4, 0, op][..], &LAB_MAC, &LAB_IP.octets(), &[0; 6], &me.octets()].concat();
            frames::ethernet(dst, LAB_MAC, frames::ETH_ARP, &arp)
        }
        1 => {
            let mut icmp = [&[8, 0, 0, 0, 0x12, 0x34, 0, 1][..], &random_bytes(rng, 600)].concat();
            let c = frames::checksum(&[&icmp]);
            icmp[2..4].copy_from_slice(&c.to_be_bytes());
            frames::ethernet(dst, LAB_MAC, frames::ETH_IPV4, &frames::ipv4(LAB_IP, me, 1, rng.random(), &icmp, None))
        }
        2 => frames::ethernet(dst, LAB_MAC, frames::ETH_IPV4, &frames::ipv4(LAB_IP, me, rng.random(), rng.random(), &random_bytes(rng, 200), None)),
        3 => {
            let tag = [0x81, 0x00, rng.random_range(0..0x10), rng.random(), 0x08, 0x00];
            let inner = frames::ipv4(LAB_IP, me, UDP, 1, &frames::udp(5060, 5060, b"OPTIONS sip:x SIP/2.0\r\n\r\n"), Some(6));
            [&dst[..], &LAB_MAC, &tag, &inner].concat()
        }
        4 => frames::ethernet(dst, LAB_MAC, rng.random(), &random_bytes(rng, 1500)),
        _ => random_bytes(rng, 1600),
    }
}

/// A well-formed reply of `kind` (not [`Kind::Other`]) to what the phone did.
pub fn reply(rng: &mut impl Rng, kind: Kind, l: &Learned) -> Reply {
    let me = l.ip.unwrap_or(LEASED);
    match kind {
        Kind::Dhcp => dhcp(rng, l),
        Kind::Dns => dns(rng, l, me),
        Kind::Sntp => sntp(rng, l, me),
        Kind::Tftp => tftp(rng, l, me),
        Kind::Http => http(rng, l, me),
        Kind::Sip | Kind::Other => sip(rng, me),
    }
}
