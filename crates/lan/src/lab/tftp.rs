//! The lab's TFTP server: RFC 1350 read requests with the option extension
//! (RFC 2347) for `blksize` (2348), `tsize` and `timeout` (2349), serving
//! one directory read-only.
//!
//! Each transfer runs from its own new UDP port (its TID), lock-step with
//! retransmission of the last packet after the timeout, abandoned after the
//! configured retries. Errors: 1 file not found, 2 access violation (a `..`
//! escape, or any write request), 4 illegal operation, 5 unknown transfer
//! ID. A repeated RRQ from a peer being served resends the first packet
//! instead of starting a second transfer. Guarantee: malformed packets get an error or are
//! ignored, never a panic; a duplicate ACK never resends (no Sorcerer's
//! Apprentice); block numbers roll over after 65535.

use super::config::TftpConfig;
use super::dhcp::udp_socket;
use super::files::{self, Lookup};
use super::{Ctx, LabEvent, Proto};
use smoltcp::iface::{SocketHandle, SocketSet};
use smoltcp::socket::udp;
use smoltcp::wire::{IpAddress, IpEndpoint};
use std::net::Ipv4Addr;
use std::path::PathBuf;

pub const PORT: u16 = 69;
/// Largest block that fits one 1500-byte IP packet (no fragmentation).
pub const MAX_BLKSIZE: usize = 1468;
const DEFAULT_BLKSIZE: usize = 512;
/// Ephemeral ports for transfers.
const TID_FIRST: u16 = 49152;
const TID_LAST: u16 = 65000;

mod op {
    pub const RRQ: u16 = 1;
    pub const WRQ: u16 = 2;
    pub const DATA: u16 = 3;
    pub const ACK: u16 = 4;
    pub const ERROR: u16 = 5;
    pub const OACK: u16 = 6;
}

/// A parsed client packet.
#[derive(Debug, PartialEq, Eq)]
pub enum Packet {
    Read { name: String, mode: String, options: Vec<(String, String)> },
    Write,
    Ack(u16),
    Error(u16, String),
    Other,
}

fn cstrings(b: &[u8]) -> Vec<String> {
    let mut parts: Vec<String> = b.split(|c| *c == 0).map(|s| String::from_utf8_lossy(s).into_owned()).collect();
    // The last element is whatever follows the final NUL: empty when well formed.
    parts.pop();
    parts
}

impl Packet {
    pub fn parse(b: &[u8]) -> Option<Packet> {
        let opcode = u16::from_be_bytes([*b.first()?, *b.get(1)?]);
        let rest = &b[2..];
        Some(match opcode {
            op::RRQ => {
                let mut s = cstrings(rest).into_iter();
                let name = s.next()?;
                let mode = s.next()?.to_ascii_lowercase();
                let mut options = Vec::new();
                while let (Some(k), Some(v)) = (s.next(), s.next()) {
                    options.push((k.to_ascii_lowercase(), v));
                }
                Packet::Read { name, mode, options }
            }
            op::WRQ => Packet::Write,
            op::ACK => Packet::Ack(u16::from_be_bytes([*rest.first()?, *rest.get(1)?])),
            op::ERROR => {
                let code = u16::from_be_bytes([*rest.first()?, *rest.get(1)?]);
                Packet::Error(code, cstrings(&rest[2..]).into_iter().next().unwrap_or_default())
            }
            _ => Packet::Other,
        })
    }
}

pub fn error_packet(code: u16, msg: &str) -> Vec<u8> {
    [&op::ERROR.to_be_bytes()[..], &code.to_be_bytes(), msg.as_bytes(), &[0]].concat()
}

fn data_packet(block: u16, data: &[u8]) -> Vec<u8> {
    [&op::DATA.to_be_bytes()[..], &block.to_be_bytes(), data].concat()
}

fn oack_packet(opts: &[(String, String)]) -> Vec<u8> {
    let mut p = op::OACK.to_be_bytes().to_vec();
    for (k, v) in opts {
        p.extend_from_slice(k.as_bytes());
        p.push(0);
        p.extend_from_slice(v.as_bytes());
        p.push(0);
    }
    p
}

/// RFC 764 netascii: LF → CR LF, CR → CR NUL.
fn to_netascii(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len() + b.len() / 16);
    for &c in b {
        match c {
            b'\n' => out.extend_from_slice(b"\r\n"),
            b'\r' => out.extend_from_slice(b"\r\0"),
            c => out.push(c),
        }
    }
    out
}

struct Transfer {
    handle: SocketHandle,
    server: Ipv4Addr,
    peer: IpEndpoint,
    name: String,
    data: Vec<u8>,
    blksize: usize,
    /// Blocks acknowledged so far (0 before the first DATA is acked).
    acked: u64,
    /// The packet waiting for its ACK, and the ACK number it wants.
    last: Vec<u8>,
    want: u16,
    /// The OACK is out and ACK 0 is awaited.
    oack_pending: bool,
    sent_at: u64,
    timeout_us: u64,
    retries: u32,
    finished: Option<u16>,
}

impl Transfer {
    fn blocks(&self) -> u64 {
        self.data.len() as u64 / self.blksize as u64 + 1
    }
    fn block_bytes(&self, n: u64) -> &[u8] {
        let start = ((n - 1) as usize * self.blksize).min(self.data.len());
        &self.data[start..(start + self.blksize).min(self.data.len())]
    }
}

pub(crate) struct TftpServer {
    listeners: Vec<(Ipv4Addr, SocketHandle)>,
    transfers: Vec<Transfer>,
    next_tid: u16,
    cfg: TftpConfig,
    dir: PathBuf,
}

fn send(sockets: &mut SocketSet, h: SocketHandle, from: Ipv4Addr, to: IpEndpoint, p: &[u8]) {
    let mut m = udp::UdpMetadata::from(to);
    m.local_address = Some(IpAddress::Ipv4(from));
    // A full buffer loses the packet; retransmission covers it.
    let _ = sockets.get_mut::<udp::Socket>(h).send_slice(p, m);
}

impl TftpServer {
    pub fn new(sockets: &mut SocketSet<'static>, addrs: &[Ipv4Addr], cfg: &TftpConfig, dir: PathBuf) -> Self {
        let listeners = addrs
            .iter()
            .map(|a| {
                let mut s = udp_socket(16, 16 * 1024);
                s.bind(IpEndpoint::new((*a).into(), PORT)).expect("fresh socket binds");
                (*a, sockets.add(s))
            })
            .collect();
        TftpServer { listeners, transfers: Vec::new(), next_tid: TID_FIRST, cfg: cfg.clone(), dir }
    }

    pub fn poll_at(&self) -> Option<u64> {
        self.transfers.iter().map(|t| t.sent_at + t.timeout_us).min()
    }

    fn new_tid(&mut self) -> u16 {
        loop {
            let p = self.next_tid;
            self.next_tid = if p >= TID_LAST { TID_FIRST } else { p + 1 };
            if !self.transfers.iter().any(|t| t.peer.port == p) {
                return p;
            }
        }
    }

    pub fn service(&mut self, ctx: &mut Ctx, sockets: &mut SocketSet) -> bool {
        let mut did = false;
        for i in 0..self.listeners.len() {
            let (server, h) = self.listeners[i];
            while let Ok((data, meta)) = sockets.get_mut::<udp::Socket>(h).recv() {
                did = true;
                let (pkt, peer) = (Packet::parse(data), meta.endpoint);
                self.request(ctx, sockets, server, h, peer, pkt);
            }
        }
        for t in &mut self.transfers {
            while let Ok((data, meta)) = sockets.get_mut::<udp::Socket>(t.handle).recv() {
                did = true;
                if meta.endpoint != t.peer {
                    let p = error_packet(5, "Unknown transfer ID");
                    send(sockets, t.handle, t.server, meta.endpoint, &p);
                    continue;
                }
                match Packet::parse(data) {
                    Some(Packet::Ack(n)) if n == t.want && t.finished.is_none() => {
                        if t.oack_pending {
                            t.oack_pending = false;
                        } else {
                            t.acked += 1;
                        }
                        if t.acked >= t.blocks() {
                            t.finished = Some(200);
                        } else {
                            let next = t.acked + 1;
                            t.last = data_packet(next as u16, t.block_bytes(next));
                            t.want = next as u16;
                            t.sent_at = ctx.now;
                            t.retries = 0;
                            send(sockets, t.handle, t.server, t.peer, &t.last);
                        }
                    }
                    Some(Packet::Ack(_)) => {}
                    Some(Packet::Error(..)) => t.finished = Some(499),
                    _ => {
                        let p = error_packet(4, "Illegal TFTP operation");
                        send(sockets, t.handle, t.server, t.peer, &p);
                        t.finished = Some(400);
                    }
                }
            }
            if t.finished.is_none() && ctx.now >= t.sent_at + t.timeout_us {
                did = true;
                if t.retries >= self.cfg.retries {
                    t.finished = Some(408);
                } else {
                    t.retries += 1;
                    t.sent_at = ctx.now;
                    send(sockets, t.handle, t.server, t.peer, &t.last);
                }
            }
        }
        // Finished transfers are logged and their sockets closed, in order.
        let mut i = 0;
        while i < self.transfers.len() {
            if let Some(status) = self.transfers[i].finished {
                // Keep the socket until its last packet (an error) has left.
                if sockets.get::<udp::Socket>(self.transfers[i].handle).send_queue() > 0 {
                    i += 1;
                    continue;
                }
                let t = self.transfers.remove(i);
                let IpAddress::Ipv4(client) = t.peer.addr;
                let bytes = if status == 200 { t.data.len() as u64 } else { (t.acked * t.blksize as u64).min(t.data.len() as u64) };
                ctx.log(LabEvent::Serve { proto: Proto::Tftp, server: t.server, client, path: t.name, status, bytes, user_agent: None });
                sockets.remove(t.handle);
                did = true;
            } else {
                i += 1;
            }
        }
        did
    }

    fn request(&mut self, ctx: &mut Ctx, sockets: &mut SocketSet, server: Ipv4Addr, listener: SocketHandle, peer: IpEndpoint, pkt: Option<Packet>) {
        // A repeated RRQ from a peer already being served means our first
        // packet was lost: resend it rather than start a second transfer.
        if let Some(t) = self.transfers.iter_mut().find(|t| t.peer == peer && t.finished.is_none()) {
            if matches!(pkt, Some(Packet::Read { .. })) && t.acked == 0 {
                send(sockets, t.handle, t.server, t.peer, &t.last);
                t.sent_at = ctx.now;
            }
            return;
        }
        let IpAddress::Ipv4(client) = peer.addr;
        let log = |ctx: &mut Ctx, path: String, status| ctx.log(LabEvent::Serve { proto: Proto::Tftp, server, client, path, status, bytes: 0, user_agent: None });
        let (name, mode, options) = match pkt {
            Some(Packet::Read { name, mode, options }) => (name, mode, options),
            Some(Packet::Write) => {
                send(sockets, listener, server, peer, &error_packet(2, "Read-only server"));
                return log(ctx, String::new(), 403);
            }
            // Stray ACKs/ERRORs on port 69 and garbage are not requests.
            _ => return,
        };
        if mode != "octet" && mode != "netascii" {
            send(sockets, listener, server, peer, &error_packet(4, "Unsupported mode"));
            return log(ctx, name, 400);
        }
        let data = match files::read(&self.dir, &name) {
            Lookup::Found(d) if mode == "netascii" => to_netascii(&d),
            Lookup::Found(d) => d,
            Lookup::NotFound => {
                send(sockets, listener, server, peer, &error_packet(1, "File not found"));
                return log(ctx, name, 404);
            }
            Lookup::Denied => {
                send(sockets, listener, server, peer, &error_packet(2, "Access violation"));
                return log(ctx, name, 403);
            }
        };
        let mut blksize = DEFAULT_BLKSIZE;
        let mut timeout_us = self.cfg.timeout_ms * 1000;
        let mut accepted = Vec::new();
        for (k, v) in options {
            match (k.as_str(), v.parse::<u64>()) {
                ("blksize", Ok(n)) if n >= 8 => {
                    blksize = (n as usize).min(MAX_BLKSIZE);
                    accepted.push((k, blksize.to_string()));
                }
                ("tsize", Ok(_)) => accepted.push((k, data.len().to_string())),
                ("timeout", Ok(n)) if (1..=255).contains(&n) => {
                    timeout_us = n * 1_000_000;
                    accepted.push((k, n.to_string()));
                }
                _ => {}
            }
        }
        let port = self.new_tid();
        let mut sock = udp_socket(16, 64 * 1024);
        if sock.bind(IpEndpoint::new(server.into(), port)).is_err() {
            return;
        }
        let handle = sockets.add(sock);
        let mut t = Transfer { handle, server, peer, name, data, blksize, acked: 0, last: Vec::new(), want: 0, oack_pending: false, sent_at: ctx.now, timeout_us, retries: 0, finished: None };
        if accepted.is_empty() {
            t.last = data_packet(1, t.block_bytes(1));
            t.want = 1;
        } else {
            t.last = oack_packet(&accepted);
            t.want = 0;
            t.oack_pending = true;
        }
        send(sockets, handle, server, peer, &t.last);
        self.transfers.push(t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rrq_with_options() {
        let rrq = b"\x00\x01dir\\ST2030S.inf\x00octet\x00blksize\x001428\x00tsize\x000\x00";
        assert_eq!(
            Packet::parse(rrq),
            Some(Packet::Read {
                name: "dir\\ST2030S.inf".into(),
                mode: "octet".into(),
                options: vec![("blksize".into(), "1428".into()), ("tsize".into(), "0".into())]
            })
        );
        assert_eq!(Packet::parse(b"\x00\x04\x01\x02"), Some(Packet::Ack(0x0102)));
        assert_eq!(Packet::parse(b"\x00\x05\x00\x01nope\x00"), Some(Packet::Error(1, "nope".into())));
        assert_eq!(Packet::parse(b"\x00"), None);
        assert_eq!(Packet::parse(b"\x00\x01noterminator"), None);
        assert_eq!(Packet::parse(b"\x00\x04\x01"), None);
    }

    #[test]
    fn builds_wire_packets() {
        assert_eq!(error_packet(1, "File not found"), b"\x00\x05\x00\x01File not found\x00");
        assert_eq!(data_packet(2, b"ab"), b"\x00\x03\x00\x02ab");
        assert_eq!(oack_packet(&[("blksize".into(), "1428".into())]), b"\x00\x06blksize\x001428\x00");
        assert_eq!(to_netascii(b"a\nb\rc"), b"a\r\nb\r\0c");
    }
}
