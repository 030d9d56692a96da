//! [`Bank`]: every phone of a cell behind one switch port, as a
//! `lan::Port`. The swarm queues the frames its phones sent; the bank hands
//! what the switch delivers to the phone it is for.
//!
//! Phone ports are isolated from each other, like a switch's protected
//! ports: nothing a phone sends reaches another phone, so a broadcast costs
//! one delivery (to the server side), not one per phone. From the server
//! side: unicast goes to the phone with that MAC; a broadcast DHCP reply to
//! the phone whose MAC it carries (`chaddr`); an ARP request to the phone
//! that uses the asked address (learnt from what the phones sent); any other
//! broadcast or multicast to every phone. Without this, a burst of N
//! broadcast OFFERs lands N frames at once in every phone's NIC ring, and
//! phones lose their own OFFER to the ring's size (seen: 8 of 20 phones got
//! theirs), an artefact of every OFFER leaving in the same microsecond.
//!
//! Guarantees: deterministic (delivery in phone order); never panics on a
//! frame (runts and unknown unicast are dropped and counted).

use lan::Port;
use std::collections::{HashMap, VecDeque};
use std::net::Ipv4Addr;

/// A frame for phone `phone` (its index in the cell) that reached the bank at `t_us`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub phone: usize,
    pub t_us: u64,
    pub frame: Vec<u8>,
}

#[derive(Debug, Default)]
pub struct Bank {
    by_mac: HashMap<[u8; 6], usize>,
    by_ip: HashMap<Ipv4Addr, usize>,
    count: usize,
    outbox: VecDeque<Vec<u8>>,
    /// What the switch delivered, oldest first, for the swarm to take.
    pub delivered: Vec<Delivery>,
    /// Frames dropped: runts, or unicast for no phone of this bank.
    pub dropped: u64,
}

const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_ARP: u16 = 0x0806;

/// The ethertype and the payload offset, past one 802.1Q tag if any.
fn ethertype(frame: &[u8]) -> Option<(u16, usize)> {
    let at = |o: usize| frame.get(o..o + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    match at(12)? {
        ETHERTYPE_VLAN => Some((at(16)?, 18)),
        t => Some((t, 14)),
    }
}

fn ip_at(frame: &[u8], off: usize) -> Option<Ipv4Addr> {
    frame.get(off..off + 4).map(|b| Ipv4Addr::new(b[0], b[1], b[2], b[3]))
}

/// The sender's IPv4 address of an IPv4 packet or an ARP message.
fn source_ip(frame: &[u8]) -> Option<Ipv4Addr> {
    match ethertype(frame)? {
        (ETHERTYPE_IPV4, p) => ip_at(frame, p + 12),
        (ETHERTYPE_ARP, p) => ip_at(frame, p + 14),
        _ => None,
    }
    .filter(|ip| !ip.is_unspecified())
}

/// The client MAC of a DHCP reply (IPv4, UDP to port 68, BOOTREPLY).
fn dhcp_reply_client(frame: &[u8]) -> Option<[u8; 6]> {
    let (ETHERTYPE_IPV4, p) = ethertype(frame)? else { return None };
    let ihl = usize::from(frame.get(p)? & 0x0F) * 4;
    if *frame.get(p + 9)? != 17 || ihl < 20 {
        return None;
    }
    let udp = p + ihl;
    let bootp = udp + 8;
    if frame.get(udp + 2..udp + 4)? != [0, 68] || *frame.get(bootp)? != 2 {
        return None;
    }
    frame.get(bootp + 28..bootp + 34)?.try_into().ok()
}

/// The target address of an ARP request.
fn arp_request_target(frame: &[u8]) -> Option<Ipv4Addr> {
    match ethertype(frame)? {
        (ETHERTYPE_ARP, p) if frame.get(p + 6..p + 8) == Some(&[0, 1]) => ip_at(frame, p + 24),
        _ => None,
    }
}

impl Bank {
    pub fn new() -> Bank {
        Bank::default()
    }

    /// Adds the phone with `mac`; returns its index in the bank.
    pub fn add(&mut self, mac: [u8; 6]) -> usize {
        let i = self.count;
        self.by_mac.insert(mac, i);
        self.count += 1;
        i
    }

    /// Queues a frame phone `phone` sent (leaves on the next `transmit`).
    pub fn send(&mut self, phone: usize, frame: Vec<u8>) {
        if let Some(ip) = source_ip(&frame) {
            self.by_ip.insert(ip, phone);
        }
        self.outbox.push_back(frame);
    }

    /// The phone with this MAC.
    pub fn phone_of_mac(&self, mac: [u8; 6]) -> Option<usize> {
        self.by_mac.get(&mac).copied()
    }

    /// The phone last seen sending from this address.
    pub fn phone_of_ip(&self, ip: Ipv4Addr) -> Option<usize> {
        self.by_ip.get(&ip).copied()
    }

    fn deliver(&mut self, phone: usize, t_us: u64, frame: &[u8]) {
        self.delivered.push(Delivery { phone, t_us, frame: frame.to_vec() });
    }
}

impl Port for Bank {
    fn receive(&mut self, now: u64, frame: &[u8]) {
        let Some(dst) = frame.get(0..6) else {
            self.dropped += 1;
            return;
        };
        let dst: [u8; 6] = dst.try_into().expect("six bytes");
        if dst[0] & 1 == 0 {
            match self.by_mac.get(&dst) {
                Some(&p) => self.deliver(p, now, frame),
                None => self.dropped += 1,
            }
            return;
        }
        let one = dhcp_reply_client(frame).and_then(|m| self.by_mac.get(&m)).or_else(|| arp_request_target(frame).and_then(|ip| self.by_ip.get(&ip)));
        if let Some(&p) = one {
            self.deliver(p, now, frame);
            return;
        }
        for p in 0..self.count {
            self.deliver(p, now, frame);
        }
    }

    fn transmit(&mut self, _now: u64) -> Option<Vec<u8>> {
        self.outbox.pop_front()
    }

    fn poll_at(&self) -> Option<u64> {
        if self.outbox.is_empty() { None } else { Some(0) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: [u8; 6] = [0x00, 0x90, 0x96, 0, 0, 1];
    const B: [u8; 6] = [0x00, 0x90, 0x96, 0, 0, 2];
    const LAB: [u8; 6] = [0x02, 0, 0, 0, 0, 1];

    /// An ARP request from `src` (`spa`) for `tpa`, as on the wire.
    fn arp_request(src: [u8; 6], spa: [u8; 4], tpa: [u8; 4]) -> Vec<u8> {
        let mut f = vec![0xff; 6];
        f.extend_from_slice(&src);
        f.extend_from_slice(&[0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1]);
        f.extend_from_slice(&src);
        f.extend_from_slice(&spa);
        f.extend_from_slice(&[0; 6]);
        f.extend_from_slice(&tpa);
        f
    }

    /// A minimal IPv4 header frame from `src` (`ip`) to `dst`.
    fn ipv4(dst: [u8; 6], src: [u8; 6], ip: [u8; 4]) -> Vec<u8> {
        let mut f = [&dst[..], &src[..], &[0x08, 0x00, 0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0][..], &ip[..], &[10, 0, 0, 1][..]].concat();
        f.resize(34, 0);
        f
    }

    #[test]
    fn unicast_goes_to_its_phone_and_phones_never_hear_each_other() {
        let mut bank = Bank::new();
        assert_eq!((bank.add(A), bank.add(B)), (0, 1));
        bank.send(0, ipv4(LAB, A, [10, 0, 0, 100]));
        assert_eq!(bank.poll_at(), Some(0));
        assert!(bank.transmit(5).is_some());
        assert_eq!(bank.transmit(5), None);
        assert!(bank.delivered.is_empty(), "what a phone sends only leaves");
        bank.receive(7, &ipv4(B, LAB, [10, 0, 0, 1]));
        bank.receive(8, &ipv4([0x00, 0x90, 0x96, 9, 9, 9], LAB, [10, 0, 0, 1]));
        assert_eq!(bank.delivered, vec![Delivery { phone: 1, t_us: 7, frame: ipv4(B, LAB, [10, 0, 0, 1]) }]);
        assert_eq!(bank.dropped, 1);
        bank.receive(9, &[1, 2, 3]);
        assert_eq!(bank.dropped, 2);
    }

    #[test]
    fn a_broadcast_dhcp_reply_reaches_only_its_client() {
        let mut bank = Bank::new();
        bank.add(A);
        bank.add(B);
        // IPv4 (IHL 5, UDP) 10.0.0.1 -> 255.255.255.255, UDP 67 -> 68, BOOTREPLY for B.
        let mut f = [&[0xff; 6][..], &LAB[..], &[0x08, 0x00, 0x45, 0, 1, 0x48, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 255, 255, 255, 255][..], &[0, 67, 0, 68, 1, 0x34, 0, 0][..]].concat();
        let mut bootp = vec![0u8; 240];
        bootp[0] = 2;
        bootp[28..34].copy_from_slice(&B);
        f.extend_from_slice(&bootp);
        bank.receive(1, &f);
        assert_eq!(bank.delivered.iter().map(|d| d.phone).collect::<Vec<_>>(), [1]);
        f[14 + 20 + 8] = 1; // a BOOTREQUEST is not a reply: everyone
        bank.delivered.clear();
        bank.receive(2, &f);
        assert_eq!(bank.delivered.len(), 2);
    }

    #[test]
    fn arp_for_a_known_address_reaches_one_phone_other_broadcasts_all() {
        let mut bank = Bank::new();
        bank.add(A);
        bank.add(B);
        bank.send(1, ipv4(LAB, B, [10, 0, 0, 101]));
        bank.receive(1, &arp_request(LAB, [10, 0, 0, 1], [10, 0, 0, 101]));
        assert_eq!(bank.delivered.iter().map(|d| d.phone).collect::<Vec<_>>(), [1]);
        bank.delivered.clear();
        bank.receive(2, &arp_request(LAB, [10, 0, 0, 1], [10, 0, 0, 150]));
        assert_eq!(bank.delivered.iter().map(|d| d.phone).collect::<Vec<_>>(), [0, 1]);
        // A tagged ARP request is read past its tag.
        let mut tagged = arp_request(LAB, [10, 0, 0, 1], [10, 0, 0, 101]);
        tagged.splice(12..12, [0x81, 0x00, 0x00, 0x64]);
        bank.delivered.clear();
        bank.receive(3, &tagged);
        assert_eq!(bank.delivered.iter().map(|d| d.phone).collect::<Vec<_>>(), [1]);
    }
}
