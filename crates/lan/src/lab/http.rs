//! The lab's HTTP/1.1 server over smoltcp TCP, serving one directory
//! read-only: GET and HEAD, `Content-Length`, keep-alive (pipelining
//! tolerated), 404/403/405/400, a configurable status per path, and both
//! origin-form (`GET /x`) and absolute-form (`GET http://host/x`) request
//! lines, as old phone firmware sent. Requests are parsed with `httparse`.
//!
//! Every response is logged as [`LabEvent::Serve`] with method-independent
//! fields: path, status, body bytes, and the `User-Agent`.
//! Guarantees: bounded (64 connections per address, 64 KiB of request head),
//! malformed requests get 400 and a close, never a panic; responses carry no
//! date, so runs are byte-for-byte repeatable.

use super::config::HttpConfig;
use super::files::{self, Lookup};
use super::{Ctx, LabEvent, Proto};
use smoltcp::iface::{SocketHandle, SocketSet};
use smoltcp::socket::tcp::{self, State};
use smoltcp::wire::{IpAddress, IpListenEndpoint};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::PathBuf;

const LISTENERS_PER_ADDR: usize = 2;
const MAX_CONNS_PER_ADDR: usize = 64;
const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 1024 * 1024;
/// A connection that makes no progress for this long is dropped.
const IDLE_US: u64 = 75_000_000;

struct Conn {
    handle: SocketHandle,
    server: Ipv4Addr,
    rx: Vec<u8>,
    out: Vec<u8>,
    sent: usize,
    close_after: bool,
    last_progress: u64,
    active: bool,
}

pub(crate) struct HttpServer {
    addrs: Vec<Ipv4Addr>,
    port: u16,
    status: BTreeMap<String, u16>,
    dir: PathBuf,
    conns: Vec<Conn>,
}

/// One parsed request, or why it could not be.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Parsed {
    Partial,
    Bad(u16),
    Request { method: String, target: String, user_agent: Option<String>, keep_alive: bool, len: usize },
}

pub(crate) fn parse(buf: &[u8]) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut headers);
    let head = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => return Parsed::Bad(431),
        Ok(httparse::Status::Partial) => return Parsed::Partial,
        Err(httparse::Error::TooManyHeaders) => return Parsed::Bad(431),
        Err(_) => return Parsed::Bad(400),
    };
    let header = |name: &str| req.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| String::from_utf8_lossy(h.value).trim().to_string());
    let body = match header("content-length").map(|v| v.parse::<usize>()) {
        None => 0,
        Some(Ok(n)) if n <= MAX_BODY => n,
        Some(Ok(_)) => return Parsed::Bad(413),
        Some(Err(_)) => return Parsed::Bad(400),
    };
    if buf.len() < head + body {
        return Parsed::Partial;
    }
    let conn = header("connection").map(|c| c.to_ascii_lowercase());
    let keep_alive = match req.version {
        Some(1) => !conn.as_deref().is_some_and(|c| c.contains("close")),
        _ => conn.as_deref().is_some_and(|c| c.contains("keep-alive")),
    };
    Parsed::Request {
        method: req.method.unwrap_or("").to_string(),
        target: req.path.unwrap_or("").to_string(),
        user_agent: header("user-agent"),
        keep_alive,
        len: head + body,
    }
}

/// The decoded path of a request target, origin- or absolute-form.
pub(crate) fn target_path(target: &str) -> String {
    let lower = target.to_ascii_lowercase();
    let t = if lower.starts_with("http://") || lower.starts_with("https://") {
        let after = &target[target.find("//").map_or(0, |i| i + 2)..];
        after.find('/').map_or("/", |i| &after[i..])
    } else {
        target
    };
    let t = t.split(['?', '#']).next().unwrap_or("");
    // Percent-decoding; a bad escape is kept as written.
    let b = t.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (b.get(i + 1).and_then(|c| hex(*c)), b.get(i + 2).and_then(|c| hex(*c)))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "inf" | "txt" | "cfg" | "ini" => "text/plain",
        "xml" => "application/xml",
        _ => "application/octet-stream",
    }
}

fn response(code: u16, path: &str, body: &[u8], send_body: bool, keep_alive: bool) -> Vec<u8> {
    let ctype = if code == 200 { content_type(path) } else { "text/plain" };
    let conn = if keep_alive { "keep-alive" } else { "close" };
    let mut r = format!(
        "HTTP/1.1 {code} {}\r\nServer: st20xx-lab\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: {conn}\r\n{}\r\n",
        reason(code),
        body.len(),
        if code == 405 { "Allow: GET, HEAD\r\n" } else { "" }
    )
    .into_bytes();
    if send_body {
        r.extend_from_slice(body);
    }
    r
}

impl HttpServer {
    pub fn new(sockets: &mut SocketSet<'static>, addrs: &[Ipv4Addr], cfg: &HttpConfig, dir: PathBuf) -> Self {
        let status = cfg.status.iter().map(|(k, v)| (if k.starts_with('/') { k.clone() } else { format!("/{k}") }, *v)).collect();
        let mut s = HttpServer { addrs: addrs.to_vec(), port: cfg.port, status, dir, conns: Vec::new() };
        s.refill_listeners(sockets, 0);
        s
    }

    pub fn poll_at(&self) -> Option<u64> {
        self.conns.iter().filter(|c| c.active).map(|c| c.last_progress + IDLE_US).min()
    }

    fn refill_listeners(&mut self, sockets: &mut SocketSet<'static>, now: u64) {
        for &a in &self.addrs {
            let mine = |c: &&Conn| c.server == a;
            let listening = self.conns.iter().filter(mine).filter(|c| !c.active).count();
            let total = self.conns.iter().filter(mine).count();
            for _ in listening..LISTENERS_PER_ADDR.min(MAX_CONNS_PER_ADDR.saturating_sub(total - listening)) {
                let mut s = tcp::Socket::new(tcp::SocketBuffer::new(vec![0; 16 * 1024]), tcp::SocketBuffer::new(vec![0; 64 * 1024]));
                if s.listen(IpListenEndpoint { addr: Some(IpAddress::Ipv4(a)), port: self.port }).is_err() {
                    continue;
                }
                self.conns.push(Conn { handle: sockets.add(s), server: a, rx: Vec::new(), out: Vec::new(), sent: 0, close_after: false, last_progress: now, active: false });
            }
        }
    }

    pub fn service(&mut self, ctx: &mut Ctx, sockets: &mut SocketSet<'static>) -> bool {
        let mut did = false;
        let mut i = 0;
        while i < self.conns.len() {
            let c = &mut self.conns[i];
            let sock = sockets.get_mut::<tcp::Socket>(c.handle);
            if !c.active {
                if sock.state() == State::Listen {
                    i += 1;
                    continue;
                }
                c.active = true;
                c.last_progress = ctx.now;
                did = true;
            }
            if sock.state() == State::Closed || sock.state() == State::TimeWait {
                sockets.remove(c.handle);
                self.conns.remove(i);
                did = true;
                continue;
            }
            let client = match sock.remote_endpoint() {
                Some(ep) => {
                    let IpAddress::Ipv4(a) = ep.addr;
                    a
                }
                None => Ipv4Addr::UNSPECIFIED,
            };
            // Read what arrived, up to the head limit.
            while sock.can_recv() && c.rx.len() <= MAX_HEAD + MAX_BODY {
                let mut buf = [0u8; 4096];
                match sock.recv_slice(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        c.rx.extend_from_slice(&buf[..n]);
                        c.last_progress = ctx.now;
                        did = true;
                    }
                }
            }
            // Answer every complete request.
            while !c.close_after {
                match parse(&c.rx) {
                    Parsed::Partial => break,
                    Parsed::Bad(code) => {
                        c.out.extend_from_slice(&response(code, "", reason(code).as_bytes(), true, false));
                        c.close_after = true;
                        c.rx.clear();
                        ctx.log(LabEvent::Serve { proto: Proto::Http, server: c.server, client, path: String::new(), status: code, bytes: 0, user_agent: None });
                    }
                    Parsed::Request { method, target, user_agent, keep_alive, len } => {
                        c.rx.drain(..len);
                        let path = target_path(&target);
                        let head_only = method == "HEAD";
                        let (code, body) = if method != "GET" && !head_only {
                            (405, b"Method Not Allowed".to_vec())
                        } else if let Some(&forced) = self.status.get(&path) {
                            let body = match files::read(&self.dir, &path) {
                                Lookup::Found(b) if forced == 200 => b,
                                _ => reason(forced).as_bytes().to_vec(),
                            };
                            (forced, body)
                        } else {
                            match files::read(&self.dir, &path) {
                                Lookup::Found(b) => (200, b),
                                Lookup::NotFound => (404, b"Not Found".to_vec()),
                                Lookup::Denied => (403, b"Forbidden".to_vec()),
                            }
                        };
                        c.out.extend_from_slice(&response(code, &path, &body, !head_only, keep_alive));
                        c.close_after = !keep_alive;
                        let bytes = if head_only { 0 } else { body.len() as u64 };
                        ctx.log(LabEvent::Serve { proto: Proto::Http, server: c.server, client, path, status: code, bytes, user_agent });
                    }
                }
                did = true;
            }
            // Send what fits.
            while c.sent < c.out.len() && sock.can_send() {
                match sock.send_slice(&c.out[c.sent..]) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        c.sent += n;
                        c.last_progress = ctx.now;
                        did = true;
                    }
                }
            }
            if c.sent == c.out.len() {
                c.out.clear();
                c.sent = 0;
                let peer_done = !sock.may_recv() && matches!(sock.state(), State::CloseWait | State::LastAck | State::Closing);
                if (c.close_after || peer_done) && sock.may_send() {
                    sock.close();
                    did = true;
                }
            }
            if ctx.now >= c.last_progress + IDLE_US {
                sock.abort();
                did = true;
            }
            i += 1;
        }
        self.refill_listeners(sockets, ctx.now);
        did
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_origin_and_absolute_form() {
        let raw = b"GET http://prov.lab/dir/ST2030S.inf HTTP/1.1\r\nHost: prov.lab\r\nUser-Agent: THOMSON ST2030 hw5 fw2.74 00-14-7F-E1-47-B3\r\n\r\n";
        let r = parse(raw);
        let Parsed::Request { method, target, user_agent, keep_alive, len } = r else { panic!("{r:?}") };
        assert_eq!((method.as_str(), keep_alive, len), ("GET", true, raw.len()));
        assert_eq!(target_path(&target), "/dir/ST2030S.inf");
        assert_eq!(user_agent.as_deref(), Some("THOMSON ST2030 hw5 fw2.74 00-14-7F-E1-47-B3"));
        assert_eq!(target_path("/a%20b.txt?x=1"), "/a b.txt");
        assert_eq!(target_path("HTTP://host:8080"), "/");
        assert_eq!(target_path("/bad%zz"), "/bad%zz");
    }

    #[test]
    fn keep_alive_rules_and_errors() {
        assert!(matches!(parse(b"GET / HTTP/1.0\r\n\r\n"), Parsed::Request { keep_alive: false, .. }));
        assert!(matches!(parse(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"), Parsed::Request { keep_alive: true, .. }));
        assert!(matches!(parse(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n"), Parsed::Request { keep_alive: false, .. }));
        assert_eq!(parse(b"GET / HTTP/1.1\r\nHost: x\r\n"), Parsed::Partial);
        assert_eq!(parse(b"GET / HTTP/1.1\r\nContent-Length: 4\r\n\r\nab"), Parsed::Partial);
        assert!(matches!(parse(b"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\nab"), Parsed::Request { len: 40, .. }));
        assert_eq!(parse(b"\x00\x01 garbage\r\n\r\n"), Parsed::Bad(400));
        assert_eq!(parse(b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"), Parsed::Bad(400));
    }

    #[test]
    fn response_bytes() {
        let r = response(200, "/a.inf", b"x=1\n", true, true);
        assert_eq!(
            r,
            b"HTTP/1.1 200 OK\r\nServer: st20xx-lab\r\nContent-Type: text/plain\r\nContent-Length: 4\r\nConnection: keep-alive\r\n\r\nx=1\n"
        );
        let h = response(404, "/a", b"Not Found", false, false);
        assert!(h.ends_with(b"Content-Length: 9\r\nConnection: close\r\n\r\n"));
    }
}
