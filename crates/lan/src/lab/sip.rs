//! The lab's SIP NOTIFY sender (UDP 5060): builds `NOTIFY` with
//! `Event: check-sync` (`;reboot=true` when asked) to a phone, from any of
//! the lab's addresses (a second one plays an untrusted source), retransmits
//! as a non-INVITE client transaction does over UDP (RFC 3261 timer E:
//! 500 ms doubling to 4 s; timer F: 32 s), and logs the final status.
//!
//! Guarantees: identifiers (branch, tag, Call-ID) come from a counter, so
//! runs repeat byte for byte; responses that match no transaction, and
//! garbage, are ignored.

use super::dhcp::udp_socket;
use super::{Ctx, LabEvent};
use smoltcp::iface::{SocketHandle, SocketSet};
use smoltcp::socket::udp;
use smoltcp::wire::{IpAddress, IpEndpoint};
use std::net::Ipv4Addr;

pub const PORT: u16 = 5060;
const T1_US: u64 = 500_000;
const T2_US: u64 = 4_000_000;
const TIMER_F_US: u64 = 64 * T1_US;

struct Pending {
    from: Ipv4Addr,
    to: Ipv4Addr,
    reboot: bool,
    call_id: String,
    msg: Vec<u8>,
    next_at: u64,
    interval: u64,
    give_up_at: u64,
    provisional: bool,
}

pub(crate) struct SipSender {
    handle: SocketHandle,
    source: Ipv4Addr,
    seq: u32,
    pending: Vec<Pending>,
}

/// The NOTIFY text for transaction number `n`.
pub fn notify(source: Ipv4Addr, to: Ipv4Addr, reboot: bool, n: u32) -> String {
    let event = if reboot { "check-sync;reboot=true" } else { "check-sync" };
    format!(
        "NOTIFY sip:{to}:{PORT} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {source}:{PORT};branch=z9hG4bKlab{n}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:lab@{source}>;tag=lab{n}\r\n\
         To: <sip:{to}>\r\n\
         Call-ID: lab{n}@{source}\r\n\
         CSeq: 1 NOTIFY\r\n\
         Contact: <sip:lab@{source}:{PORT}>\r\n\
         Event: {event}\r\n\
         Subscription-State: terminated\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

/// The status code and Call-ID of a SIP response.
pub fn parse_response(b: &[u8]) -> Option<(u16, String)> {
    let text = std::str::from_utf8(b).ok()?;
    let mut lines = text.split("\r\n").flat_map(|l| l.split('\n'));
    let status = lines.next()?.strip_prefix("SIP/2.0 ")?.get(..3)?.parse().ok()?;
    let call_id = lines.find_map(|l| {
        let (k, v) = l.split_once(':')?;
        let k = k.trim();
        (k.eq_ignore_ascii_case("call-id") || k == "i").then(|| v.trim().to_string())
    })?;
    Some((status, call_id))
}

impl SipSender {
    /// `source`: the default sender address (one of the lab's).
    pub fn new(sockets: &mut SocketSet<'static>, source: Ipv4Addr) -> Self {
        let mut s = udp_socket(16, 16 * 1024);
        // Any local address: each NOTIFY names its own.
        s.bind(PORT).expect("fresh socket binds");
        SipSender { handle: sockets.add(s), source, seq: 0, pending: Vec::new() }
    }

    pub fn source(&self) -> Ipv4Addr {
        self.source
    }

    /// Sends from `from` (a lab address; the caller checks).
    pub fn send(&mut self, ctx: &mut Ctx, from: Ipv4Addr, to: Ipv4Addr, reboot: bool) {
        self.seq += 1;
        let msg = notify(from, to, reboot, self.seq).into_bytes();
        ctx.log(LabEvent::Notify { to, reboot, status: None });
        self.pending.push(Pending {
            from,
            to,
            reboot,
            call_id: format!("lab{}@{}", self.seq, from),
            msg,
            // Sent on the next service round.
            next_at: ctx.now,
            interval: T1_US,
            give_up_at: ctx.now + TIMER_F_US,
            provisional: false,
        });
    }

    pub fn poll_at(&self) -> Option<u64> {
        self.pending.iter().map(|p| if p.provisional { p.give_up_at } else { p.next_at.min(p.give_up_at) }).min()
    }

    pub fn service(&mut self, ctx: &mut Ctx, sockets: &mut SocketSet) -> bool {
        let mut did = false;
        while let Ok((data, _)) = sockets.get_mut::<udp::Socket>(self.handle).recv() {
            did = true;
            let Some((status, call_id)) = parse_response(data) else { continue };
            let Some(i) = self.pending.iter().position(|p| p.call_id == call_id) else { continue };
            if status < 200 {
                self.pending[i].provisional = true;
            } else {
                let p = self.pending.remove(i);
                ctx.log(LabEvent::Notify { to: p.to, reboot: p.reboot, status: Some(status) });
            }
        }
        let mut i = 0;
        while i < self.pending.len() {
            let p = &mut self.pending[i];
            if ctx.now >= p.give_up_at {
                let p = self.pending.remove(i);
                ctx.log(LabEvent::Notify { to: p.to, reboot: p.reboot, status: Some(408) });
                did = true;
                continue;
            }
            if !p.provisional && ctx.now >= p.next_at {
                let to = IpEndpoint::new(p.to.into(), PORT);
                let mut m = udp::UdpMetadata::from(to);
                m.local_address = Some(IpAddress::Ipv4(p.from));
                let _ = sockets.get_mut::<udp::Socket>(self.handle).send_slice(&p.msg, m);
                p.next_at = ctx.now + p.interval;
                p.interval = (p.interval * 2).min(T2_US);
                did = true;
            }
            i += 1;
        }
        did
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notify_text_has_check_sync_and_reboot() {
        let n = notify(Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 100), true, 7);
        assert!(n.starts_with("NOTIFY sip:10.0.0.100:5060 SIP/2.0\r\n"), "{n}");
        assert!(n.contains("\r\nEvent: check-sync;reboot=true\r\n"));
        assert!(n.contains("\r\nCall-ID: lab7@10.0.0.1\r\n"));
        assert!(n.ends_with("Content-Length: 0\r\n\r\n"));
        assert!(notify(Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 100), false, 1).contains("\r\nEvent: check-sync\r\n"));
    }

    #[test]
    fn parses_responses() {
        let r = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKlab7\r\nCall-ID: lab7@10.0.0.1\r\nCSeq: 1 NOTIFY\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(parse_response(r), Some((200, "lab7@10.0.0.1".into())));
        assert_eq!(parse_response(b"SIP/2.0 481 Nope\ni: x\n\n"), Some((481, "x".into())));
        assert_eq!(parse_response(b"NOTIFY sip:x SIP/2.0\r\n"), None);
        assert_eq!(parse_response(b"SIP/2.0 2"), None);
        assert_eq!(parse_response(&[0xff, 0xfe]), None);
    }
}
