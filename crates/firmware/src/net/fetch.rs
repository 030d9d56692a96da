//! One file fetch over smoltcp sockets: resolve the server name (DNS), then
//! TFTP (`netclient::tftp` over a UDP socket, following the server's
//! transfer port) or HTTP (`netclient::http` over a TCP socket, redirects
//! bounded), streaming into a `Sink`.
//!
//! Guarantees: every phase has a deadline (DNS tries, TFTP retries, HTTP
//! idle and total timeouts), so a fetch always ends; a fetch that is
//! replaced or finished leaves its sockets closed.

use super::resolve::{Resolved, Resolver};
use core::fmt::Write;
use core::net::{Ipv4Addr, SocketAddrV4};
use heapless::String;
use netclient::http::{self, HttpError, HttpGet, Redirects};
use netclient::tftp::{self, TftpClient, TftpError};
use netclient::url::{Url, UrlBuf};
use netclient::Sink;
use smoltcp::iface::{Interface, SocketHandle, SocketSet};
use smoltcp::socket::{tcp, udp};
use smoltcp::wire::IpEndpoint;

pub const MAX_REDIRECTS: u8 = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Tftp,
    Http,
}

impl Proto {
    pub fn name(self) -> &'static str {
        match self {
            Proto::Tftp => "tftp",
            Proto::Http => "http",
        }
    }
}

/// How a fetch ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Found { len: u64 },
    NotFound,
    Unreachable,
}

/// The sockets a fetch uses.
#[derive(Clone, Copy)]
pub struct Sockets {
    pub tftp: SocketHandle,
    pub tcp: SocketHandle,
}

// No allocator to box the large variants; one fetch exists at a time.
#[allow(clippy::large_enum_variant)]
enum Phase {
    Idle,
    Resolving(Resolver),
    /// `fresh`: the UDP socket still has to move to a new local port.
    Tftp { client: TftpClient, fresh: bool },
    /// `connect`: the TCP connection is still to be opened to this address.
    Http { get: HttpGet, opened: bool, connect: Option<Ipv4Addr> },
    Done(Outcome),
}

pub struct Fetch {
    proto: Proto,
    host: String<253>,
    port: u16,
    name: heapless::Vec<u8, 255>,
    url: Option<UrlBuf>,
    redirects: Redirects,
    user_agent: String<{ http::request::UA_MAX }>,
    dns: heapless::Vec<Ipv4Addr, 3>,
    dns_id: u16,
    phase: Phase,
    /// Why the last fetch failed, for the log.
    pub detail: Option<&'static str>,
}

fn tftp_cfg() -> tftp::Config {
    // More retries than the library default: one lost block must not end a
    // transfer on a lossy link (20% loss loses a round trip 36% of the time).
    tftp::Config { timeout_us: 500_000, max_timeout_us: 4_000_000, max_retries: 10, ..tftp::Config::default() }
}

fn http_cfg() -> http::Config {
    http::Config { idle_timeout_us: 120_000_000, total_timeout_us: 1_200_000_000, ..http::Config::default() }
}

fn http_outcome(e: HttpError) -> (Outcome, &'static str) {
    match e {
        HttpError::NotFound { .. } => (Outcome::NotFound, "not found"),
        HttpError::Timeout => (Outcome::Unreachable, "timed out"),
        HttpError::Closed => (Outcome::Unreachable, "connection closed"),
        HttpError::ServerError { .. } => (Outcome::NotFound, "server error"),
        HttpError::TooLarge => (Outcome::NotFound, "too large"),
        HttpError::TooManyRedirects | HttpError::BadRedirect => (Outcome::NotFound, "bad redirect"),
        _ => (Outcome::NotFound, "bad response"),
    }
}

fn tftp_outcome(e: TftpError) -> (Outcome, &'static str) {
    match e {
        TftpError::NotFound => (Outcome::NotFound, "not found"),
        TftpError::Unreachable => (Outcome::Unreachable, "no answer"),
        TftpError::Server { .. } => (Outcome::NotFound, "server error"),
        TftpError::TooLarge => (Outcome::NotFound, "too large"),
        _ => (Outcome::NotFound, "transfer failed"),
    }
}

impl Fetch {
    pub fn new(user_agent: &str) -> Fetch {
        let mut ua = String::new();
        let _ = ua.push_str(user_agent);
        Fetch { proto: Proto::Tftp, host: String::new(), port: 0, name: heapless::Vec::new(), url: None, redirects: Redirects::new(MAX_REDIRECTS), user_agent: ua, dns: heapless::Vec::new(), dns_id: 0, phase: Phase::Idle, detail: None }
    }

    pub fn proto(&self) -> Proto {
        self.proto
    }
    pub fn host(&self) -> &str {
        &self.host
    }
    pub fn name(&self) -> &[u8] {
        &self.name
    }

    /// A finished fetch's outcome (once; the fetch is then idle).
    pub fn take_outcome(&mut self) -> Option<Outcome> {
        if let Phase::Done(o) = self.phase {
            self.phase = Phase::Idle;
            return Some(o);
        }
        None
    }

    pub fn busy(&self) -> bool {
        !matches!(self.phase, Phase::Idle | Phase::Done(_))
    }

    /// Starts fetching `name` from `host:port` (a name or dotted address).
    /// `dns_id` is the DNS query id to use if the host is a name.
    #[allow(clippy::too_many_arguments)] // one call site, each argument distinct
    pub fn start(&mut self, now: u64, proto: Proto, host: &str, port: u16, name: &[u8], dns_id: u16, dns: &[Ipv4Addr]) {
        self.proto = proto;
        self.host.clear();
        self.name.clear();
        self.detail = None;
        let ok = self.host.push_str(host).is_ok() && self.name.extend_from_slice(name).is_ok();
        self.redirects = Redirects::new(MAX_REDIRECTS);
        self.url = None;
        self.port = port;
        self.dns = dns.iter().copied().take(3).collect();
        self.dns_id = dns_id;
        if !ok {
            return self.fail(Outcome::NotFound, "name too long");
        }
        if proto == Proto::Http {
            let mut text: String<{ netclient::url::MAX_URL }> = String::new();
            let Ok(path) = core::str::from_utf8(name) else {
                return self.fail(Outcome::NotFound, "name not ASCII");
            };
            let slash = if path.starts_with('/') { "" } else { "/" };
            let built = write!(text, "http://{host}:{port}{slash}{path}").is_ok();
            match Url::parse(&text).ok().filter(|_| built).and_then(|u| UrlBuf::from_url(&u).ok()) {
                Some(u) => self.url = Some(u),
                None => return self.fail(Outcome::NotFound, "bad URL"),
            }
        }
        self.begin(now);
    }

    fn fail(&mut self, o: Outcome, why: &'static str) {
        self.detail = Some(why);
        self.phase = Phase::Done(o);
    }

    /// Resolves the current host, or goes straight to the transfer.
    fn begin(&mut self, now: u64) {
        let host: &str = match &self.url {
            Some(u) => u.url().host,
            None => &self.host,
        };
        match aps::url::parse_ipv4(host.as_bytes()) {
            Some(ip) => self.transfer(now, ip),
            None => self.phase = Phase::Resolving(Resolver::new(host, self.dns_id, &self.dns)),
        }
    }

    fn transfer(&mut self, now: u64, ip: Ipv4Addr) {
        self.phase = match (&self.url, self.proto) {
            (Some(u), Proto::Http) => match HttpGet::new(now, &u.url(), &self.user_agent, http_cfg()) {
                Ok(get) => Phase::Http { get, opened: false, connect: Some(ip) },
                Err(_) => return self.fail(Outcome::NotFound, "request too long"),
            },
            _ => match TftpClient::new(SocketAddrV4::new(ip, self.port), &self.name, tftp_cfg()) {
                Ok(client) => Phase::Tftp { client, fresh: true },
                Err(_) => return self.fail(Outcome::NotFound, "bad TFTP request"),
            },
        };
    }

    /// A datagram from a DNS server.
    pub fn dns_reply(&mut self, msg: &[u8]) {
        if let Phase::Resolving(r) = &mut self.phase {
            r.process(msg);
        }
    }

    /// Moves the fetch on: call after every interface poll. `port` gives a
    /// fresh local port when one is needed.
    #[allow(clippy::too_many_arguments)] // the sockets and sink it drives
    pub fn poll(&mut self, now: u64, iface: &mut Interface, set: &mut SocketSet, s: Sockets, dns_sock: SocketHandle, sink: &mut impl Sink, port: &mut impl FnMut() -> u16) {
        let url_port = self.port_of_url();
        match &mut self.phase {
            Phase::Idle | Phase::Done(_) => {}
            Phase::Resolving(r) => {
                let sock = set.get_mut::<udp::Socket>(dns_sock);
                r.dispatch(now, |to, q| sock.send_slice(q, IpEndpoint::from(to)));
                match r.result() {
                    Resolved::Pending => {}
                    Resolved::Failed => self.fail(Outcome::Unreachable, "name not resolved"),
                    Resolved::Addr(ip) => {
                        self.transfer(now, ip);
                        self.poll(now, iface, set, s, dns_sock, sink, port);
                    }
                }
            }
            Phase::Tftp { client: c, fresh } => {
                let sock = set.get_mut::<udp::Socket>(s.tftp);
                if *fresh {
                    // A new port per transfer: late packets of the last one
                    // never reach this one. The last transfer's final ACK
                    // went out at the interface poll since it ended.
                    sock.close();
                    let _ = sock.bind(port());
                    *fresh = false;
                }
                // Bounded: the socket holds a few datagrams.
                while let Ok((data, meta)) = sock.recv() {
                    let IpEndpoint { addr: smoltcp::wire::IpAddress::Ipv4(ip), port } = meta.endpoint;
                    c.process(now, SocketAddrV4::new(ip, port), data, sink);
                }
                let _ = c.dispatch(now, |to, b| sock.send_slice(b, IpEndpoint::from(to)));
                match c.status() {
                    tftp::Status::InProgress => {}
                    tftp::Status::Done { size } => {
                        self.phase = Phase::Done(Outcome::Found { len: size });
                    }
                    tftp::Status::Failed(e) => {
                        // Send the ERROR the client may have queued, then close.
                        let _ = c.dispatch(now, |to, b| sock.send_slice(b, IpEndpoint::from(to)));
                        let (o, why) = tftp_outcome(e);
                        self.fail(o, why);
                    }
                }
            }
            Phase::Http { get, opened, connect } => {
                let sock = set.get_mut::<tcp::Socket>(s.tcp);
                if let Some(ip) = *connect {
                    if sock.state() != tcp::State::Closed {
                        sock.abort();
                    } else if sock.connect(iface.context(), (ip, url_port), port()).is_ok() {
                        *connect = None;
                    } else {
                        return self.fail(Outcome::Unreachable, "cannot connect");
                    }
                }
                let sock = set.get_mut::<tcp::Socket>(s.tcp);
                if connect.is_none() {
                    *opened |= sock.may_send();
                    let _ = get.dispatch(now, |b| if sock.can_send() { sock.send_slice(b) } else { Ok(0) });
                    while sock.can_recv() {
                        if sock.recv(|d| (d.len(), get.process(now, d, sink))).is_err() {
                            break;
                        }
                    }
                    if *opened && !sock.may_recv() && get.status() == http::Status::InProgress {
                        get.close(now);
                    } else if !*opened && sock.state() == tcp::State::Closed {
                        sock.abort();
                        return self.fail(Outcome::Unreachable, "connection refused");
                    }
                } else {
                    let _ = get.dispatch(now, |_| Ok::<usize, ()>(0));
                }
                match get.status() {
                    http::Status::InProgress => {}
                    http::Status::Done { size, .. } => {
                        sock.close();
                        self.phase = Phase::Done(Outcome::Found { len: size });
                    }
                    http::Status::Redirect { .. } => {
                        sock.abort();
                        let next = match &self.url {
                            Some(u) => self.redirects.follow(&u.url(), get.location()),
                            None => Err(HttpError::BadRedirect),
                        };
                        match next {
                            Ok(u) => {
                                self.url = Some(u);
                                self.dns_id = self.dns_id.wrapping_add(1);
                                self.begin(now);
                            }
                            Err(e) => {
                                let (o, why) = http_outcome(e);
                                self.fail(o, why);
                            }
                        }
                    }
                    http::Status::Failed(e) => {
                        sock.abort();
                        let (o, why) = http_outcome(e);
                        self.fail(o, why);
                    }
                }
            }
        }
    }

    fn port_of_url(&self) -> u16 {
        self.url.as_ref().map_or(self.port, |u| u.url().port)
    }

    /// When `poll` must run again (`None`: only on traffic).
    pub fn poll_at(&self) -> Option<u64> {
        match &self.phase {
            Phase::Idle => None,
            Phase::Done(_) => Some(0),
            Phase::Resolving(r) => r.poll_at(),
            Phase::Tftp { client, fresh } => if *fresh { Some(0) } else { client.poll_at() },
            Phase::Http { get, connect, .. } => if connect.is_some() { Some(0) } else { get.poll_at() },
        }
    }
}
