//! One DNS A lookup (`netclient::dns` wire format), tried on each DNS
//! server in turn, `TRIES` sends each, `TIMEOUT_US` apart.
//!
//! Guarantees: ends (address or failure) within `servers × TRIES ×
//! TIMEOUT_US`; only a response with our ID and question is accepted.

use core::net::{Ipv4Addr, SocketAddrV4};
use heapless::String;
use netclient::dns;

pub const TIMEOUT_US: u64 = 2_000_000;
pub const TRIES: u8 = 2;
pub const MAX_SERVERS: usize = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolved {
    Pending,
    Addr(Ipv4Addr),
    Failed,
}

pub struct Resolver {
    name: String<253>,
    id: u16,
    servers: heapless::Vec<Ipv4Addr, MAX_SERVERS>,
    server: usize,
    sent: u8,
    deadline: u64,
    result: Resolved,
}

impl Resolver {
    pub fn new(name: &str, id: u16, servers: &[Ipv4Addr]) -> Resolver {
        let mut n = String::new();
        let ok = n.push_str(name).is_ok();
        let servers: heapless::Vec<Ipv4Addr, MAX_SERVERS> = servers.iter().copied().take(MAX_SERVERS).collect();
        let result = if ok && !servers.is_empty() { Resolved::Pending } else { Resolved::Failed };
        Resolver { name: n, id, servers, server: 0, sent: 0, deadline: 0, result }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn result(&self) -> Resolved {
        self.result
    }

    pub fn poll_at(&self) -> Option<u64> {
        (self.result == Resolved::Pending).then_some(self.deadline)
    }

    /// Sends (or resends) the query when due.
    pub fn dispatch<E>(&mut self, now: u64, send: impl FnOnce(SocketAddrV4, &[u8]) -> Result<(), E>) {
        if self.result != Resolved::Pending || now < self.deadline {
            return;
        }
        if self.sent >= TRIES {
            self.server += 1;
            self.sent = 0;
        }
        let Some(&server) = self.servers.get(self.server) else {
            self.result = Resolved::Failed;
            return;
        };
        let mut q = [0u8; 300];
        let Ok(n) = dns::build_query(&mut q, self.id, &self.name) else {
            self.result = Resolved::Failed;
            return;
        };
        if send(SocketAddrV4::new(server, 53), &q[..n]).is_ok() {
            self.sent += 1;
            self.deadline = now + TIMEOUT_US;
        }
    }

    /// A datagram from port 53.
    pub fn process(&mut self, msg: &[u8]) {
        if self.result != Resolved::Pending {
            return;
        }
        match dns::parse_response(msg, self.id, &self.name) {
            Ok(a) => self.result = a.addrs.first().map_or(Resolved::Failed, |&ip| Resolved::Addr(ip)),
            Err(dns::DnsError::Mismatch) => {}
            Err(_) => self.result = Resolved::Failed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asks_each_server_then_gives_up() {
        let servers = [Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2)];
        let mut r = Resolver::new("prov.lab", 7, &servers);
        let mut sent = Vec::new();
        let mut t = 0;
        while r.result() == Resolved::Pending {
            r.dispatch::<()>(t, |to, q| {
                sent.push((*to.ip(), q.to_vec()));
                Ok(())
            });
            t = r.poll_at().unwrap_or(t);
        }
        assert_eq!(r.result(), Resolved::Failed);
        assert_eq!(sent.len(), 4);
        assert_eq!(sent[2].0, servers[1]);
        assert_eq!(t, 4 * TIMEOUT_US);
        assert_eq!(&sent[0].1[..4], &[0, 7, 1, 0]);
    }

    #[test]
    fn takes_the_matching_answer() {
        let mut r = Resolver::new("prov.lab", 0x1234, &[Ipv4Addr::new(10, 0, 0, 1)]);
        let mut q = Vec::new();
        r.dispatch::<()>(0, |_, b| {
            q = b.to_vec();
            Ok(())
        });
        // The answer: the query with QR|RD|RA, one A record 10.0.0.1 via a pointer to the question.
        let mut resp = q.clone();
        resp[2..4].copy_from_slice(&[0x81, 0x80]);
        resp[6..8].copy_from_slice(&[0, 1]);
        resp.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1]);
        let mut other = resp.clone();
        other[1] = 0x35;
        r.process(&other);
        assert_eq!(r.result(), Resolved::Pending, "another ID is ignored");
        r.process(&resp);
        assert_eq!(r.result(), Resolved::Addr(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(Resolver::new("x.lab", 1, &[]).result(), Resolved::Failed);
    }
}
