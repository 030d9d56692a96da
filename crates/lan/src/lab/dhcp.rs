//! The lab's DHCP server (UDP 67): pool, leases, OFFER/ACK/NAK, and options
//! per phone class, with `dhcproto` as the message codec.
//!
//! Options sent: message type, server id, lease times, mask, router and DNS,
//! then the configured defaults, then every matching class in order (a later
//! value for the same code wins). Configured options are always sent, as
//! `dhcp-option-force` does: the phone's request list does not filter them.
//! Replies go to 255.255.255.255:68 (the client has no address yet), to
//! `ciaddr` when the client has one, or to the relay in `giaddr`.
//!
//! Every message a client sent is logged with all its options, in wire order,
//! as hex — taken from the raw bytes, so nothing the codec would normalise is
//! lost. Guarantee: a malformed message is logged as `malformed` and never
//! answered; no input panics.

use super::config::{DhcpConfig, DhcpPlan, OptionSet};
use super::{Ctx, LabEvent};
use dhcproto::v4::{DhcpOption, DhcpOptions, Flags, HType, Message, MessageType, Opcode, OptionCode, UnknownOption};
use dhcproto::{Decodable, Decoder, Encodable};
use serde::Serialize;
use smoltcp::iface::{SocketHandle, SocketSet};
use smoltcp::socket::udp::{self, UdpMetadata};
use smoltcp::wire::{IpAddress, IpEndpoint, Ipv4Address};
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

pub const SERVER_PORT: u16 = 67;
pub const CLIENT_PORT: u16 = 68;
/// How long an offered address is held for the client that was offered it.
const OFFER_HOLD_US: u64 = 60_000_000;
/// The BOOTP fixed header plus the magic cookie.
const OPTIONS_AT: usize = 240;

/// One option as the client sent it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DhcpOptionHex {
    pub code: u8,
    pub hex: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Lease {
    ip: Ipv4Addr,
    expires: u64,
    bound: bool,
}

pub(crate) struct DhcpServer {
    handle: SocketHandle,
    server: Ipv4Addr,
    pool: (u32, u32),
    lease_secs: u32,
    router: Option<Ipv4Addr>,
    dns: Vec<Ipv4Addr>,
    plan: DhcpPlan,
    leases: BTreeMap<[u8; 6], Lease>,
    declined: BTreeSet<Ipv4Addr>,
}

pub(crate) fn udp_socket(packets: usize, bytes: usize) -> udp::Socket<'static> {
    udp::Socket::new(
        udp::PacketBuffer::new(vec![udp::PacketMetadata::EMPTY; packets], vec![0; bytes]),
        udp::PacketBuffer::new(vec![udp::PacketMetadata::EMPTY; packets], vec![0; bytes]),
    )
}

/// The options of a raw DHCP message in wire order (stops at END or at the
/// first truncated option).
pub(crate) fn raw_options(msg: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    let mut at = OPTIONS_AT;
    while let Some(&code) = msg.get(at) {
        match code {
            0 => at += 1,
            255 => break,
            _ => {
                let Some(&len) = msg.get(at + 1) else { break };
                let Some(data) = msg.get(at + 2..at + 2 + len as usize) else { break };
                out.push((code, data));
                at += 2 + len as usize;
            }
        }
    }
    out
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn msg_name(t: Option<MessageType>) -> String {
    match t {
        Some(MessageType::Discover) => "discover".into(),
        Some(MessageType::Request) => "request".into(),
        Some(MessageType::Decline) => "decline".into(),
        Some(MessageType::Release) => "release".into(),
        Some(MessageType::Inform) => "inform".into(),
        Some(other) => format!("type{}", u8::from(other)),
        None => "bootp".into(),
    }
}

impl DhcpServer {
    pub fn new(sockets: &mut SocketSet<'static>, server: Ipv4Addr, cfg: &DhcpConfig, plan: DhcpPlan) -> Self {
        let mut s = udp_socket(32, 32 * 1024);
        s.bind(SERVER_PORT).expect("port 67 is free on a fresh socket");
        DhcpServer {
            handle: sockets.add(s),
            server,
            pool: (u32::from(cfg.pool_start), u32::from(cfg.pool_end)),
            lease_secs: cfg.lease_secs,
            router: cfg.router,
            dns: cfg.dns.clone(),
            plan,
            leases: BTreeMap::new(),
            declined: BTreeSet::new(),
        }
    }

    /// The address bound to `mac` (acknowledged), if any.
    pub fn bound(&self, mac: [u8; 6]) -> Option<Ipv4Addr> {
        self.leases.get(&mac).filter(|l| l.bound).map(|l| l.ip)
    }

    pub fn service(&mut self, ctx: &mut Ctx, sockets: &mut SocketSet) -> bool {
        let mut did = false;
        loop {
            let sock = sockets.get_mut::<udp::Socket>(self.handle);
            let Ok((data, _meta)) = sock.recv() else { break };
            let data = data.to_vec();
            did = true;
            if let Some((reply, dst)) = self.handle_message(ctx, &data) {
                let sock = sockets.get_mut::<udp::Socket>(self.handle);
                let mut meta = UdpMetadata::from(dst);
                meta.local_address = Some(IpAddress::Ipv4(self.server));
                // A full send buffer loses this reply; the client retransmits.
                let _ = sock.send_slice(&reply, meta);
            }
        }
        did
    }

    /// Logs one message and returns the reply and where it goes.
    fn handle_message(&mut self, ctx: &mut Ctx, data: &[u8]) -> Option<(Vec<u8>, IpEndpoint)> {
        let options: Vec<DhcpOptionHex> = raw_options(data).into_iter().map(|(code, d)| DhcpOptionHex { code, hex: hex(d) }).collect();
        let req = match Message::decode(&mut Decoder::new(data)) {
            Ok(m) if m.opcode() == Opcode::BootRequest && m.htype() == HType::Eth && m.chaddr().len() >= 6 => m,
            _ => {
                let mac = data.get(28..34).map(hex).unwrap_or_default();
                ctx.log(LabEvent::Dhcp { msg: "malformed".into(), mac, options, reply: None, yiaddr: None });
                return None;
            }
        };
        let mac: [u8; 6] = req.chaddr()[..6].try_into().expect("length checked");
        let mtype = match req.opts().get(OptionCode::MessageType) {
            Some(DhcpOption::MessageType(t)) => Some(*t),
            _ => None,
        };
        let reply = self.decide(ctx.now, &req, mac, mtype);
        ctx.log(LabEvent::Dhcp {
            msg: msg_name(mtype),
            mac: hex(&mac),
            options,
            reply: reply.as_ref().map(|(t, _)| match t {
                MessageType::Offer => "offer".to_string(),
                MessageType::Ack => "ack".to_string(),
                _ => "nak".to_string(),
            }),
            yiaddr: reply.as_ref().and_then(|(_, ip)| (!ip.is_unspecified()).then_some(*ip)),
        });
        let (rtype, yiaddr) = reply?;
        let bytes = self.build(&req, data, rtype, yiaddr)?;
        let dst = if !req.giaddr().is_unspecified() {
            IpEndpoint::new(req.giaddr().into(), SERVER_PORT)
        } else if rtype != MessageType::Nak && !req.ciaddr().is_unspecified() {
            IpEndpoint::new(req.ciaddr().into(), CLIENT_PORT)
        } else {
            IpEndpoint::new(Ipv4Address::BROADCAST.into(), CLIENT_PORT)
        };
        Some((bytes, dst))
    }

    fn requested_ip(req: &Message) -> Option<Ipv4Addr> {
        match req.opts().get(OptionCode::RequestedIpAddress) {
            Some(DhcpOption::RequestedIpAddress(ip)) => Some(*ip),
            _ => None,
        }
    }

    fn in_pool(&self, ip: Ipv4Addr) -> bool {
        (self.pool.0..=self.pool.1).contains(&u32::from(ip))
    }

    /// Whether `ip` may go to `mac` now.
    fn available(&self, now: u64, ip: Ipv4Addr, mac: [u8; 6]) -> bool {
        self.in_pool(ip)
            && !self.declined.contains(&ip)
            && !self.leases.iter().any(|(m, l)| *m != mac && l.ip == ip && l.expires > now)
    }

    /// The reply type and address for a client message (`None` = stay silent).
    fn decide(&mut self, now: u64, req: &Message, mac: [u8; 6], mtype: Option<MessageType>) -> Option<(MessageType, Ipv4Addr)> {
        let lease_us = self.lease_secs as u64 * 1_000_000;
        match mtype? {
            MessageType::Discover => {
                let current = self.leases.get(&mac).map(|l| l.ip).filter(|ip| self.available(now, *ip, mac));
                let wanted = Self::requested_ip(req).filter(|ip| self.available(now, *ip, mac));
                let ip = current.or(wanted).or_else(|| (self.pool.0..=self.pool.1).map(Ipv4Addr::from).find(|ip| self.available(now, *ip, mac)))?;
                let bound = self.leases.get(&mac).is_some_and(|l| l.bound && l.ip == ip);
                let expires = if bound { self.leases[&mac].expires } else { now + OFFER_HOLD_US };
                self.leases.insert(mac, Lease { ip, expires, bound });
                Some((MessageType::Offer, ip))
            }
            MessageType::Request => {
                let server_id = match req.opts().get(OptionCode::ServerIdentifier) {
                    Some(DhcpOption::ServerIdentifier(ip)) => Some(*ip),
                    _ => None,
                };
                if let Some(sid) = server_id
                    && sid != self.server
                {
                    // The client chose another server: forget our offer.
                    if self.leases.get(&mac).is_some_and(|l| !l.bound) {
                        self.leases.remove(&mac);
                    }
                    return None;
                }
                let ip = if req.ciaddr().is_unspecified() { Self::requested_ip(req)? } else { req.ciaddr() };
                let ours = self.leases.get(&mac).is_some_and(|l| l.ip == ip);
                let ok = if server_id.is_some() { ours && self.available(now, ip, mac) } else { self.available(now, ip, mac) };
                if ok {
                    self.leases.insert(mac, Lease { ip, expires: now + lease_us, bound: true });
                    Some((MessageType::Ack, ip))
                } else {
                    Some((MessageType::Nak, Ipv4Addr::UNSPECIFIED))
                }
            }
            MessageType::Decline => {
                if let Some(l) = self.leases.remove(&mac) {
                    self.declined.insert(l.ip);
                }
                None
            }
            MessageType::Release => {
                self.leases.remove(&mac);
                None
            }
            MessageType::Inform => Some((MessageType::Ack, Ipv4Addr::UNSPECIFIED)),
            _ => None,
        }
    }

    /// The options and BOOTP fields for this client: defaults, then classes.
    fn settings(&self, mac: [u8; 6], raw: &[u8]) -> OptionSet {
        let opts = raw_options(raw);
        let get = |code| opts.iter().find(|(c, _)| *c == code).map(|(_, d)| *d);
        let (vc, uc) = (get(60), get(77));
        let mut set = self.plan.defaults.clone();
        for class in &self.plan.classes {
            let m = class.mac.is_none_or(|m| m == mac)
                && class.vendor_class_prefix.as_ref().is_none_or(|p| vc.is_some_and(|v| v.starts_with(p)))
                && class.user_class.as_ref().is_none_or(|p| uc.is_some_and(|u| !p.is_empty() && u.windows(p.len()).any(|w| w == &p[..])));
            if m {
                set.options.extend(class.set.options.iter().map(|(k, v)| (*k, v.clone())));
                if class.set.file.is_some() {
                    set.file = class.set.file.clone();
                }
                if class.set.siaddr.is_some() {
                    set.siaddr = class.set.siaddr;
                }
            }
        }
        set
    }

    fn build(&self, req: &Message, raw: &[u8], rtype: MessageType, yiaddr: Ipv4Addr) -> Option<Vec<u8>> {
        let mac: [u8; 6] = req.chaddr()[..6].try_into().ok()?;
        let mut m = Message::new_with_id(req.xid(), Ipv4Addr::UNSPECIFIED, yiaddr, Ipv4Addr::UNSPECIFIED, req.giaddr(), &mac);
        m.set_opcode(Opcode::BootReply);
        m.set_flags(Flags::new(u16::from(req.flags())));
        if rtype == MessageType::Ack && yiaddr.is_unspecified() {
            m.set_ciaddr(req.ciaddr());
        }
        let mut o = DhcpOptions::new();
        o.insert(DhcpOption::MessageType(rtype));
        o.insert(DhcpOption::ServerIdentifier(self.server));
        if rtype != MessageType::Nak {
            let set = self.settings(mac, raw);
            if !yiaddr.is_unspecified() {
                o.insert(DhcpOption::AddressLeaseTime(self.lease_secs));
                o.insert(DhcpOption::Renewal(self.lease_secs / 2));
                o.insert(DhcpOption::Rebinding(self.lease_secs / 8 * 7));
            }
            o.insert(DhcpOption::SubnetMask(Ipv4Addr::new(255, 255, 255, 0)));
            if let Some(r) = self.router {
                o.insert(DhcpOption::Router(vec![r]));
            }
            if !self.dns.is_empty() {
                o.insert(DhcpOption::DomainNameServer(self.dns.clone()));
            }
            for (code, data) in &set.options {
                o.insert(DhcpOption::Unknown(UnknownOption::new(OptionCode::from(*code), data.clone())));
            }
            if let Some(f) = &set.file {
                m.set_fname(f);
            }
            if let Some(s) = set.siaddr {
                m.set_siaddr(s);
            }
        }
        m.set_opts(o);
        m.to_vec().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::config::LabConfig;

    /// A DISCOVER as the phone sends it: option 60 in the D1 string form, 77
    /// raw (D2), 55 with 43/66/67/150.
    fn discover(mac: [u8; 6], mtype: u8, extra: &[(u8, &[u8])]) -> Vec<u8> {
        let mut b = vec![1, 1, 6, 0, 0x12, 0x34, 0x56, 0x78, 0, 0, 0x80, 0];
        b.extend_from_slice(&[0; 16]); // ciaddr yiaddr siaddr giaddr
        b.extend_from_slice(&mac);
        b.extend_from_slice(&[0; 10 + 64 + 128]);
        b.extend_from_slice(&[99, 130, 83, 99, 53, 1, mtype]);
        b.extend_from_slice(b"\x3c\x1c0107Thomson0206ST20300303SIP");
        b.extend_from_slice(b"\x4d\x0fThomson ST2030S");
        b.extend_from_slice(&[55, 8, 1, 3, 6, 42, 43, 66, 67, 150]);
        for (c, d) in extra {
            b.push(*c);
            b.push(d.len() as u8);
            b.extend_from_slice(d);
        }
        b.push(255);
        b
    }

    const MAC: [u8; 6] = [0x00, 0x90, 0x96, 0xA1, 0xB1, 0xC1];

    fn server(cfg: &LabConfig) -> (DhcpServer, SocketSet<'static>) {
        let mut sockets = SocketSet::new(Vec::new());
        let s = DhcpServer::new(&mut sockets, Ipv4Addr::new(10, 0, 0, 1), &cfg.dhcp, cfg.validate().unwrap());
        (s, sockets)
    }

    fn reply(s: &mut DhcpServer, now: u64, msg: &[u8], ev: &mut Vec<super::super::LabRecord>) -> Option<(Message, Vec<u8>, IpEndpoint)> {
        let mut ctx = Ctx { now, events: ev };
        let (b, dst) = s.handle_message(&mut ctx, msg)?;
        Some((Message::decode(&mut Decoder::new(&b)).unwrap(), b, dst))
    }

    #[test]
    fn d1_d2_discover_gets_class_options_and_is_logged_raw() {
        let mut cfg = LabConfig::default();
        for a in ["43=http://prov.lab/ST2030S.inf", "66=10.0.0.1", "150=10.0.0.2", "190=1", "191=0x0064", "192=200", "file=boot.inf", "siaddr=10.0.0.2"] {
            cfg.set_dhcp_arg(a).unwrap();
        }
        cfg.dhcp.classes.push(crate::lab::DhcpClass { vendor_class_prefix: Some("0107Thomson".into()), options: [("67".into(), "ST2030S.inf".into())].into(), ..Default::default() });
        cfg.dhcp.classes.push(crate::lab::DhcpClass { user_class: Some("Thomson ST2022".into()), options: [("67".into(), "ST2022.inf".into())].into(), ..Default::default() });
        let (mut s, _) = server(&cfg);
        let mut ev = Vec::new();
        let (m, raw, dst) = reply(&mut s, 0, &discover(MAC, 1, &[]), &mut ev).unwrap();
        assert_eq!(dst, IpEndpoint::new(Ipv4Address::BROADCAST.into(), 68));
        assert_eq!(m.opcode(), Opcode::BootReply);
        assert_eq!(m.xid(), 0x1234_5678);
        assert_eq!(m.yiaddr(), Ipv4Addr::new(10, 0, 0, 100));
        assert_eq!(m.siaddr(), Ipv4Addr::new(10, 0, 0, 2));
        assert_eq!(m.fname().map(|f| f.split(|c| *c == 0).next().unwrap()), Some(&b"boot.inf"[..]));
        let o: BTreeMap<u8, Vec<u8>> = raw_options(&raw).into_iter().map(|(c, d)| (c, d.to_vec())).collect();
        assert_eq!(o[&53], [2]);
        assert_eq!(o[&54], [10, 0, 0, 1]);
        assert_eq!(o[&43], b"http://prov.lab/ST2030S.inf");
        assert_eq!(o[&66], b"10.0.0.1");
        assert_eq!(o[&67], b"ST2030S.inf", "the 60-prefix class matched, the 77 one did not");
        assert_eq!(o[&150], [10, 0, 0, 2]);
        assert_eq!((o[&190].clone(), o[&191].clone(), o[&192].clone()), (vec![1], vec![0, 100], vec![0, 200]));
        let LabEvent::Dhcp { msg, mac, options, reply, .. } = &ev[0].event else { panic!() };
        assert_eq!((msg.as_str(), mac.as_str(), reply.as_deref()), ("discover", "009096a1b1c1", Some("offer")));
        assert_eq!(options[1], DhcpOptionHex { code: 60, hex: hex(b"0107Thomson0206ST20300303SIP") });
        assert_eq!(options[2], DhcpOptionHex { code: 77, hex: hex(b"Thomson ST2030S") });
    }

    #[test]
    fn request_selecting_acks_and_wrong_address_naks() {
        let cfg = LabConfig::default();
        let (mut s, _) = server(&cfg);
        let mut ev = Vec::new();
        reply(&mut s, 0, &discover(MAC, 1, &[]), &mut ev).unwrap();
        let sid = [54u8, 4, 10, 0, 0, 1];
        let r = reply(&mut s, 10, &discover(MAC, 3, &[(50, &[10, 0, 0, 100]), (sid[0], &sid[2..])]), &mut ev);
        let (m, _, _) = r.unwrap_or_else(|| panic!("{ev:?}"));
        assert_eq!(m.opts().msg_type(), Some(MessageType::Ack));
        assert_eq!(m.yiaddr(), Ipv4Addr::new(10, 0, 0, 100));
        // Another phone asking for that address by INIT-REBOOT is refused.
        let other = [0x00, 0x90, 0x96, 0, 0, 2];
        let (m, _, dst) = reply(&mut s, 20, &discover(other, 3, &[(50, &[10, 0, 0, 100])]), &mut ev).unwrap();
        assert_eq!(m.opts().msg_type(), Some(MessageType::Nak));
        assert_eq!(dst.addr, Ipv4Address::BROADCAST.into());
        // It gets the next address when it discovers.
        let (m, _, _) = reply(&mut s, 30, &discover(other, 1, &[]), &mut ev).unwrap();
        assert_eq!(m.yiaddr(), Ipv4Addr::new(10, 0, 0, 101));
        // A REQUEST for another server is silently dropped.
        assert!(reply(&mut s, 40, &discover(other, 3, &[(50, &[10, 0, 0, 101]), (54, &[10, 0, 0, 9])]), &mut ev).is_none());
    }

    #[test]
    fn malformed_messages_are_logged_not_answered() {
        let (mut s, _) = server(&LabConfig::default());
        let mut ev = Vec::new();
        assert!(reply(&mut s, 0, &[1, 2, 3], &mut ev).is_none());
        let mut bad = discover(MAC, 1, &[]);
        bad[0] = 2; // a BOOTREPLY from a client
        assert!(reply(&mut s, 0, &bad, &mut ev).is_none());
        assert_eq!(ev.len(), 2);
        assert!(matches!(&ev[0].event, LabEvent::Dhcp { msg, .. } if msg == "malformed"));
    }

    #[test]
    fn pool_exhaustion_means_silence() {
        let mut cfg = LabConfig::default();
        cfg.dhcp.pool_end = Ipv4Addr::new(10, 0, 0, 100);
        let (mut s, _) = server(&cfg);
        let mut ev = Vec::new();
        assert!(reply(&mut s, 0, &discover(MAC, 1, &[]), &mut ev).is_some());
        assert!(reply(&mut s, 0, &discover([2, 0, 0, 0, 0, 9], 1, &[]), &mut ev).is_none());
        // The offer hold expires: the address is free again.
        assert!(reply(&mut s, OFFER_HOLD_US + 1, &discover([2, 0, 0, 0, 0, 9], 1, &[]), &mut ev).is_some());
    }
}
