//! The lab's DNS server (UDP 53): A records from the config, NXDOMAIN for
//! every other name; names matched case-insensitively.
//!
//! Queries are parsed with smoltcp's DNS wire module; the answer is the query
//! header and question echoed, plus one A record pointing at the question's
//! name. Guarantee: a malformed query gets no answer (or FORMERR when the
//! header is readable) and never panics.

use super::dhcp::udp_socket;
use super::{Ctx, LabEvent};
use smoltcp::iface::{SocketHandle, SocketSet};
use smoltcp::socket::udp;
use smoltcp::wire::{DnsPacket, DnsQuestion, IpAddress};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

const TYPE_A: u16 = 1;
const TTL_S: u32 = 300;
mod rcode {
    pub const NO_ERROR: u16 = 0;
    pub const FORMERR: u16 = 1;
    pub const NXDOMAIN: u16 = 3;
}

pub(crate) struct DnsServer {
    handle: SocketHandle,
    records: BTreeMap<String, Ipv4Addr>,
}

impl DnsServer {
    pub fn new(sockets: &mut SocketSet<'static>, records: &BTreeMap<String, Ipv4Addr>) -> Self {
        let mut s = udp_socket(16, 16 * 1024);
        s.bind(53).expect("port 53 is free on a fresh socket");
        let records = records.iter().map(|(k, v)| (k.trim_end_matches('.').to_ascii_lowercase(), *v)).collect();
        DnsServer { handle: sockets.add(s), records }
    }

    pub fn service(&mut self, ctx: &mut Ctx, sockets: &mut SocketSet) -> bool {
        let mut did = false;
        loop {
            let sock = sockets.get_mut::<udp::Socket>(self.handle);
            let Ok((data, meta)) = sock.recv() else { break };
            did = true;
            let data = data.to_vec();
            let IpAddress::Ipv4(client) = meta.endpoint.addr;
            if let Some((reply, name, answer)) = self.answer(&data) {
                ctx.log(LabEvent::Dns { client, name, answer });
                let mut m = udp::UdpMetadata::from(meta.endpoint);
                m.local_address = meta.local_address;
                let _ = sockets.get_mut::<udp::Socket>(self.handle).send_slice(&reply, m);
            }
        }
        did
    }

    /// The reply to a query, the name asked and the address given.
    fn answer(&self, q: &[u8]) -> Option<(Vec<u8>, String, Option<Ipv4Addr>)> {
        let pkt = DnsPacket::new_checked(q).ok()?;
        let flags = u16::from_be_bytes([q[2], q[3]]);
        if flags & 0x8000 != 0 {
            return None; // a response, not a query
        }
        let header = |rcode: u16, an: u16| {
            let mut h = q[..4].to_vec();
            // QR, opcode and RD kept, AA set, RA clear.
            let f = 0x8000 | (flags & 0x7900) | 0x0400 | rcode;
            h[2..4].copy_from_slice(&f.to_be_bytes());
            h.extend_from_slice(&[0, if rcode == rcode::FORMERR { 0 } else { 1 }]);
            h.extend_from_slice(&an.to_be_bytes());
            h.extend_from_slice(&[0, 0, 0, 0]);
            h
        };
        let parsed = (pkt.question_count() == 1).then(|| DnsQuestion::parse(pkt.payload()).ok()).flatten();
        let Some((rest, question)) = parsed else {
            return Some((header(rcode::FORMERR, 0), String::new(), None));
        };
        let mut labels = Vec::new();
        for l in pkt.parse_name(question.name) {
            labels.push(String::from_utf8_lossy(l.ok()?).to_ascii_lowercase());
        }
        let name = labels.join(".");
        let qtype: u16 = question.type_.into();
        let question_bytes = &pkt.payload()[..pkt.payload().len() - rest.len()];
        let (rc, addr) = match self.records.get(&name) {
            Some(ip) if qtype == TYPE_A => (rcode::NO_ERROR, Some(*ip)),
            Some(_) => (rcode::NO_ERROR, None),
            None => (rcode::NXDOMAIN, None),
        };
        let mut out = header(rc, addr.is_some() as u16);
        out.extend_from_slice(question_bytes);
        if let Some(ip) = addr {
            out.extend_from_slice(&[0xC0, 0x0C, 0, TYPE_A as u8, 0, 1]);
            out.extend_from_slice(&TTL_S.to_be_bytes());
            out.extend_from_slice(&[0, 4]);
            out.extend_from_slice(&ip.octets());
        }
        Some((out, name, addr))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `dig prov.lab A` as sent: id 0xBEEF, RD, one question.
    const QUERY: &[u8] = b"\xbe\xef\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x04prov\x03lab\x00\x00\x01\x00\x01";

    fn server() -> DnsServer {
        let mut s = SocketSet::new(Vec::new());
        DnsServer::new(&mut s, &BTreeMap::from([("Prov.Lab".to_string(), Ipv4Addr::new(10, 0, 0, 1))]))
    }

    #[test]
    fn a_record_answer_bytes() {
        let (r, name, ip) = server().answer(QUERY).unwrap();
        assert_eq!((name.as_str(), ip), ("prov.lab", Some(Ipv4Addr::new(10, 0, 0, 1))));
        let mut want = b"\xbe\xef\x85\x00\x00\x01\x00\x01\x00\x00\x00\x00".to_vec();
        want.extend_from_slice(&QUERY[12..]);
        want.extend_from_slice(b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x01\x2c\x00\x04\x0a\x00\x00\x01");
        assert_eq!(r, want);
    }

    #[test]
    fn unknown_name_is_nxdomain_and_garbage_is_safe() {
        let mut q = QUERY.to_vec();
        q[13] = b'x';
        let (r, _, ip) = server().answer(&q).unwrap();
        assert_eq!((ip, r[3] & 0x0F, r[7]), (None, 3, 0));
        for n in 0..QUERY.len() {
            let _ = server().answer(&QUERY[..n]);
        }
        let mut loop_ptr = QUERY.to_vec();
        loop_ptr.splice(12..21, [0xC0, 0x0C]);
        let _ = server().answer(&loop_ptr);
    }
}
