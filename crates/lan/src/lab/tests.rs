//! End-to-end tests of the lab: a smoltcp *client* host on the same virtual
//! switch (DHCP client with the phone's options 60/77, a small TFTP client,
//! HTTP GET over TCP, DNS, SNTP, SIP), all in virtual time, with and without
//! 20% seeded loss each way.

use super::device::Wire;
use super::*;
use crate::impair::{Impair, Impairment};
use crate::pcap::{PcapTap, PcapWriter, read_pcap};
use crate::port::Port;
use crate::switch::{PortId, PortMode, Switch};
use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet};
use smoltcp::socket::{dhcpv4, tcp, udp};
use smoltcp::wire::{DhcpOption, EthernetAddress, IpCidr, IpEndpoint, Ipv4Address, Ipv4Cidr};
use std::path::{Path, PathBuf};

const CLIENT_MAC: [u8; 6] = [0x00, 0x90, 0x96, 0xA1, 0xB1, 0xC1];
/// D1: option 60 in the document's string-TLV form.
const OPT60: &[u8] = b"0107Thomson0206ST20300303SIP";
/// D2: option 77, raw.
const OPT77: &[u8] = b"Thomson ST2030S";

/// A smoltcp host as a switch port: the phone stand-in.
struct Host {
    iface: Interface,
    wire: Wire,
    sockets: SocketSet<'static>,
    now: u64,
    deadline: Option<u64>,
    dirty: bool,
}

impl Host {
    fn new(mac: [u8; 6], ip: Option<Ipv4Address>) -> Host {
        let mut wire = Wire::default();
        let mut cfg = Config::new(EthernetAddress(mac).into());
        cfg.random_seed = 42;
        let mut iface = Interface::new(cfg, &mut wire, ts(0));
        if let Some(ip) = ip {
            iface.update_ip_addrs(|a| a.push(IpCidr::new(ip.into(), 24)).unwrap());
        }
        Host { iface, wire, sockets: SocketSet::new(Vec::new()), now: 0, deadline: None, dirty: true }
    }
    fn run(&mut self, now: u64) {
        self.iface.poll(ts(now), &mut self.wire, &mut self.sockets);
        self.deadline = self.iface.poll_at(ts(now), &self.sockets).map(|i| (i.total_micros() as u64).max(now + 1));
        self.dirty = false;
    }
}

impl Port for Host {
    fn receive(&mut self, now: u64, frame: &[u8]) {
        self.now = now;
        self.wire.rx.push_back(frame.to_vec());
        self.dirty = true;
    }
    fn transmit(&mut self, now: u64) -> Option<Vec<u8>> {
        self.now = now;
        if self.wire.tx.is_empty() && (self.dirty || self.deadline.is_some_and(|d| d <= now)) {
            self.run(now);
        }
        self.wire.tx.pop_front()
    }
    fn poll_at(&self) -> Option<u64> {
        if self.dirty || !self.wire.tx.is_empty() { Some(self.now) } else { self.deadline }
    }
}

/// A served directory with a few files, removed on drop.
struct Tree(PathBuf);
impl Tree {
    fn new(tag: &str) -> Tree {
        let d = std::env::temp_dir().join(format!("lan-lab-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("prov")).unwrap();
        std::fs::write(d.join("ST2030S.inf"), b"[firmware]\r\nfw_filename=v2030SG.zz\r\n").unwrap();
        std::fs::write(d.join("prov/big.bin"), big()).unwrap();
        std::fs::write(d.join("prov/roll.bin"), &big()[..70_000 * 8 + 3]).unwrap();
        Tree(d)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}
impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// 1 MiB + 5 bytes of a pattern that shows misplaced blocks.
fn big() -> Vec<u8> {
    (0..(1 << 20) + 5u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect()
}

struct Net {
    sw: Switch,
    lab: PortId,
    host: PortId,
    now: u64,
}

type ImpairedHost = Impair<Host>;

impl Net {
    fn new(cfg: LabConfig, dir: &Path, host: Host, loss: f64, seed: u64) -> Net {
        let mut sw = Switch::new();
        let lab = sw.attach(PortMode::Access { pvid: cfg.vlan }, Lab::new(cfg.clone(), dir).unwrap());
        let imp = Impairment::loss(loss);
        let host = sw.attach(PortMode::Access { pvid: cfg.vlan }, Impair::new(host, seed, imp, imp));
        Net { sw, lab, host, now: 0 }
    }
    fn host(&mut self) -> &mut Host {
        let h = self.sw.device_mut::<ImpairedHost>(self.host).unwrap().inner_mut();
        h.dirty = true;
        h
    }
    fn lab(&mut self) -> &mut Lab {
        self.sw.device_mut::<Lab>(self.lab).unwrap()
    }
    /// Runs until `f` returns `Some` or `limit_us` of virtual time passes.
    fn run_until<T>(&mut self, limit_us: u64, mut f: impl FnMut(&mut Net) -> Option<T>) -> Option<T> {
        let end = self.now + limit_us;
        while self.now <= end {
            let before = self.sw.stats().received;
            self.sw.poll(self.now);
            if let Some(t) = f(self) {
                return Some(t);
            }
            self.sw.poll(self.now);
            // Frames moved: the application may have input waiting, so look
            // again before time moves on.
            if self.sw.stats().received == before {
                self.now = self.sw.poll_at().unwrap_or(end + 1).max(self.now + 1);
            }
        }
        None
    }
}

fn dhcp_client(host: &mut Host) -> SocketHandle {
    static OPTS: [DhcpOption<'static>; 2] = [DhcpOption { kind: 60, data: OPT60 }, DhcpOption { kind: 77, data: OPT77 }];
    static PRL: [u8; 8] = [1, 3, 6, 42, 43, 66, 67, 150];
    let mut s = dhcpv4::Socket::new();
    s.set_outgoing_options(&OPTS);
    s.set_parameter_request_list(&PRL);
    s.set_receive_packet_buffer(Box::leak(vec![0u8; 1500].into_boxed_slice()));
    host.sockets.add(s)
}

fn phone_config() -> LabConfig {
    let mut cfg = LabConfig::default();
    for a in ["43=http://prov.lab/ST2030S.inf", "66=10.0.0.1", "150=10.0.0.2"] {
        cfg.set_dhcp_arg(a).unwrap();
    }
    cfg.dhcp.classes.push(DhcpClass { user_class: Some("Thomson ST2030S".into()), options: [("67".into(), "ST2030S.inf".into())].into(), ..Default::default() });
    cfg
}

#[test]
fn dhcp_client_with_phone_options_gets_a_lease_and_the_vendor_options() {
    let tree = Tree::new("dhcp");
    let mut host = Host::new(CLIENT_MAC, None);
    let h = dhcp_client(&mut host);
    let mut net = Net::new(phone_config(), tree.path(), host, 0.0, 1);
    let got = net.run_until(30_000_000, |n| {
        let s = n.host().sockets.get_mut::<dhcpv4::Socket>(h);
        match s.poll() {
            Some(dhcpv4::Event::Configured(c)) => {
                let opts: Vec<(u8, Vec<u8>)> = c.packet.unwrap().options().map(|o| (o.kind, o.data.to_vec())).collect();
                Some((c.address, c.router, c.dns_servers.to_vec(), opts))
            }
            _ => None,
        }
    });
    let (addr, router, dns, opts) = got.expect("DHCP finished");
    assert_eq!(addr, Ipv4Cidr::new(Ipv4Address::new(10, 0, 0, 100), 24));
    assert_eq!(router, Some(Ipv4Address::new(10, 0, 0, 1)));
    assert_eq!(dns, vec![Ipv4Address::new(10, 0, 0, 1)]);
    let get = |c: u8| opts.iter().find(|(k, _)| *k == c).map(|(_, d)| d.clone());
    assert_eq!(get(43).unwrap(), b"http://prov.lab/ST2030S.inf");
    assert_eq!(get(66).unwrap(), b"10.0.0.1");
    assert_eq!(get(67).unwrap(), b"ST2030S.inf");
    assert_eq!(get(150).unwrap(), [10, 0, 0, 2]);

    let ev = net.lab().take_events();
    let msgs: Vec<(String, Option<String>)> = ev
        .iter()
        .filter_map(|r| match &r.event {
            LabEvent::Dhcp { msg, reply, .. } => Some((msg.clone(), reply.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(msgs, vec![("discover".into(), Some("offer".into())), ("request".into(), Some("ack".into()))]);
    let LabEvent::Dhcp { options, mac, .. } = &ev[0].event else { panic!() };
    assert_eq!(mac, "009096a1b1c1");
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    assert!(options.contains(&DhcpOptionHex { code: 60, hex: hex(OPT60) }), "{options:?}");
    assert!(options.contains(&DhcpOptionHex { code: 77, hex: hex(OPT77) }));
    let json = serde_json::to_string(&ev[0]).unwrap();
    assert!(json.starts_with(r#"{"t_us":"#) && json.contains(r#""ev":"dhcp","msg":"discover""#), "{json}");
}

/// A lock-step TFTP client: RRQ with blksize/tsize, ACKs every block,
/// retransmits its last packet after 1 s of silence.
struct TftpClient {
    h: SocketHandle,
    server: IpEndpoint,
    peer: Option<IpEndpoint>,
    last: Vec<u8>,
    last_at: u64,
    data: Vec<u8>,
    next_block: u16,
    blksize: usize,
    done: Option<Result<(), u16>>,
}

impl TftpClient {
    fn start(net: &mut Net, server: Ipv4Address, name: &str, options: &[(&str, &str)]) -> TftpClient {
        let host = net.host();
        let mut s = super::dhcp::udp_socket(64, 256 * 1024);
        s.bind(50_000).unwrap();
        let h = host.sockets.add(s);
        let mut rrq = vec![0, 1];
        for part in [name, "octet"].into_iter().chain(options.iter().flat_map(|(k, v)| [*k, *v])) {
            rrq.extend_from_slice(part.as_bytes());
            rrq.push(0);
        }
        let mut c = TftpClient { h, server: IpEndpoint::new(server.into(), 69), peer: None, last: rrq, last_at: 0, data: Vec::new(), next_block: 1, blksize: 512, done: None };
        c.send(net);
        c
    }
    fn send(&mut self, net: &mut Net) {
        self.last_at = net.now;
        let to = self.peer.unwrap_or(self.server);
        let _ = net.host().sockets.get_mut::<udp::Socket>(self.h).send_slice(&self.last, to);
    }
    fn step(&mut self, net: &mut Net) -> bool {
        while let Ok((pkt, meta)) = net.host().sockets.get_mut::<udp::Socket>(self.h).recv() {
            let pkt = pkt.to_vec();
            if *self.peer.get_or_insert(meta.endpoint) != meta.endpoint {
                continue;
            }
            match (pkt[1], pkt.get(2..4).map(|b| u16::from_be_bytes([b[0], b[1]]))) {
                (6, _) => {
                    let mut it = pkt[2..].split(|b| *b == 0);
                    while let (Some(k), Some(v)) = (it.next(), it.next()) {
                        if k == b"blksize" {
                            self.blksize = std::str::from_utf8(v).unwrap().parse().unwrap();
                        }
                    }
                    self.last = vec![0, 4, 0, 0];
                    self.send(net);
                }
                (3, Some(n)) => {
                    if n == self.next_block {
                        self.data.extend_from_slice(&pkt[4..]);
                        self.next_block = self.next_block.wrapping_add(1);
                        if pkt.len() - 4 < self.blksize {
                            self.done = Some(Ok(()));
                        }
                    }
                    self.last = [&[0, 4][..], &pkt[2..4]].concat();
                    self.send(net);
                }
                (5, Some(code)) => self.done = Some(Err(code)),
                _ => {}
            }
        }
        if self.done.is_none() && net.now >= self.last_at + 1_000_000 {
            self.send(net);
        }
        self.done.is_some()
    }
}

/// (proto, server, path, status, bytes, user agent) of each `serve` event.
type Served = (Proto, Ipv4Addr, String, u16, u64, Option<String>);

fn serve_events(lab: &mut Lab) -> Vec<Served> {
    lab.take_events()
        .into_iter()
        .filter_map(|r| match r.event {
            LabEvent::Serve { proto, server, path, status, bytes, user_agent, .. } => Some((proto, server, path, status, bytes, user_agent)),
            _ => None,
        })
        .collect()
}

fn tftp_get(loss: f64, seed: u64, name: &str, opts: &[(&str, &str)], tree: &Tree) -> (Result<Vec<u8>, u16>, Vec<Served>, u64) {
    let mut cfg = LabConfig::default();
    cfg.tftp.retries = 12;
    let mut net = Net::new(cfg, tree.path(), Host::new(CLIENT_MAC, Some(Ipv4Address::new(10, 0, 0, 50))), loss, seed);
    let mut c = TftpClient::start(&mut net, Ipv4Address::new(10, 0, 0, 2), name, opts);
    net.run_until(3_600_000_000, |n| {
        c.step(n);
        c.done.is_some().then_some(())
    })
    .unwrap_or_else(|| panic!("transfer ended: {} bytes, next block {}, {:?}", c.data.len(), c.next_block, net.lab().events()));
    // Let the server see the last ACK (or give up) and log the transfer; the
    // client dallies, re-acknowledging a repeated last block (RFC 1350).
    net.run_until(120_000_000, |n| {
        c.step(n);
        n.lab().events().iter().any(|r| matches!(r.event, LabEvent::Serve { .. })).then_some(())
    });
    let t = net.now;
    (c.done.unwrap().map(|_| c.data.clone()), serve_events(net.lab()), t)
}

#[test]
fn tftp_serves_with_blksize_and_tsize() {
    let tree = Tree::new("tftp");
    let (data, ev, _) = tftp_get(0.0, 1, "\\ST2030S.inf", &[("blksize", "1428"), ("tsize", "0")], &tree);
    assert_eq!(data.unwrap(), std::fs::read(tree.path().join("ST2030S.inf")).unwrap());
    assert_eq!(ev, vec![(Proto::Tftp, Ipv4Addr::new(10, 0, 0, 2), "\\ST2030S.inf".into(), 200, 36, None)]);
}

#[test]
fn tftp_errors_not_found_and_escape() {
    let tree = Tree::new("tftperr");
    let (r, ev, _) = tftp_get(0.0, 1, "missing.inf", &[], &tree);
    assert_eq!(r, Err(1));
    assert_eq!(ev[0].3, 404);
    let (r, ev, _) = tftp_get(0.0, 1, "../../etc/passwd", &[], &tree);
    assert_eq!(r, Err(2));
    assert_eq!(ev[0].3, 403);
}

#[test]
fn tftp_1mib_with_20_percent_loss_each_way() {
    let tree = Tree::new("tftploss");
    let (data, ev, t) = tftp_get(0.2, 7, "/prov/big.bin", &[("blksize", "1428"), ("tsize", "0")], &tree);
    assert!(data.unwrap() == big(), "file corrupted in transfer");
    assert_eq!(ev.len(), 1);
    assert_eq!((ev[0].3, ev[0].4), (200, big().len() as u64));
    eprintln!("TFTP 1 MiB at 20% loss each way: {:.1} s virtual", t as f64 / 1e6);
}

#[test]
fn tftp_block_numbers_roll_over_after_65535() {
    // blksize 8: 70001 blocks, so the block number wraps once.
    let tree = Tree::new("tftproll");
    let (data, ev, _) = tftp_get(0.0, 1, "prov/roll.bin", &[("blksize", "8")], &tree);
    assert!(data.unwrap() == big()[..70_000 * 8 + 3]);
    assert_eq!(ev[0].3, 200);
}

#[test]
fn tftp_1mib_default_blksize_512() {
    let tree = Tree::new("tftp512");
    let (data, _, _) = tftp_get(0.0, 1, "prov/big.bin", &[], &tree);
    assert!(data.unwrap() == big());
}

/// GETs `reqs` on one keep-alive connection; returns each (status, body).
fn http_session(net: &mut Net, server: Ipv4Address, reqs: &[&str], limit_us: u64) -> Option<Vec<(u16, Vec<u8>)>> {
    let host = net.host();
    let s = tcp::Socket::new(tcp::SocketBuffer::new(vec![0; 64 * 1024]), tcp::SocketBuffer::new(vec![0; 16 * 1024]));
    let h = host.sockets.add(s);
    let cx = host.iface.context();
    host.sockets.get_mut::<tcp::Socket>(h).connect(cx, (server, 80), 40_000).unwrap();
    let mut req_text = String::new();
    for r in reqs {
        req_text.push_str(r);
    }
    let mut sent = false;
    let mut buf = Vec::new();
    let mut out = Vec::new();
    net.run_until(limit_us, |n| {
        let s = n.host().sockets.get_mut::<tcp::Socket>(h);
        if !sent && s.may_send() {
            s.send_slice(req_text.as_bytes()).unwrap();
            sent = true;
        }
        while s.can_recv() {
            s.recv(|b| {
                buf.extend_from_slice(b);
                (b.len(), ())
            })
            .unwrap();
        }
        // Split complete responses off the front.
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 16];
            let mut resp = httparse::Response::new(&mut headers);
            let Ok(httparse::Status::Complete(head)) = resp.parse(&buf) else { break };
            let len: usize = resp.headers.iter().find(|h| h.name.eq_ignore_ascii_case("content-length")).map(|h| std::str::from_utf8(h.value).unwrap().parse().unwrap()).unwrap();
            if buf.len() < head + len {
                break;
            }
            out.push((resp.code.unwrap(), buf[head..head + len].to_vec()));
            buf.drain(..head + len);
        }
        (out.len() == reqs.len()).then_some(())
    })?;
    Some(out)
}

#[test]
fn http_get_keep_alive_404_absolute_form_and_forced_status() {
    let tree = Tree::new("http");
    let mut cfg = LabConfig::default();
    cfg.http.status.insert("/prov/big.bin".into(), 500);
    let mut net = Net::new(cfg, tree.path(), Host::new(CLIENT_MAC, Some(Ipv4Address::new(10, 0, 0, 50))), 0.0, 1);
    let ua = "User-Agent: THOMSON ST2030 hw5 fw2.74 00-14-7F-E1-47-B3\r\n";
    let reqs = [
        format!("GET /ST2030S.inf HTTP/1.1\r\nHost: prov.lab\r\n{ua}\r\n"),
        format!("GET http://prov.lab/ST2030S.inf HTTP/1.1\r\nHost: prov.lab\r\n{ua}\r\n"),
        format!("GET /ST2030S_009096A1B1C1.ser HTTP/1.1\r\nHost: prov.lab\r\n{ua}\r\n"),
        format!("GET /prov/big.bin HTTP/1.1\r\nHost: prov.lab\r\n{ua}\r\n"),
        format!("GET /../secret HTTP/1.1\r\nHost: prov.lab\r\n{ua}\r\n"),
    ];
    let reqs: Vec<&str> = reqs.iter().map(|s| s.as_str()).collect();
    let got = http_session(&mut net, Ipv4Address::new(10, 0, 0, 1), &reqs, 60_000_000).expect("all answered");
    let inf = std::fs::read(tree.path().join("ST2030S.inf")).unwrap();
    assert_eq!(got.iter().map(|(c, _)| *c).collect::<Vec<_>>(), vec![200, 200, 404, 500, 403]);
    assert_eq!(got[0].1, inf);
    assert_eq!(got[1].1, inf);
    let ev = serve_events(net.lab());
    let ua = Some("THOMSON ST2030 hw5 fw2.74 00-14-7F-E1-47-B3".to_string());
    assert_eq!(ev[0], (Proto::Http, Ipv4Addr::new(10, 0, 0, 1), "/ST2030S.inf".into(), 200, inf.len() as u64, ua.clone()));
    assert_eq!(ev[1].2, "/ST2030S.inf");
    assert_eq!((ev[2].3, ev[3].3, ev[4].3), (404, 500, 403));
}

#[test]
fn http_1mib_with_20_percent_loss_each_way() {
    let tree = Tree::new("httploss");
    let mut net = Net::new(LabConfig::default(), tree.path(), Host::new(CLIENT_MAC, Some(Ipv4Address::new(10, 0, 0, 50))), 0.2, 11);
    let got = http_session(&mut net, Ipv4Address::new(10, 0, 0, 2), &["GET /prov/big.bin HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n"], 7_200_000_000).expect("transfer finished");
    assert_eq!(got[0].0, 200);
    assert!(got[0].1 == big(), "body corrupted");
    eprintln!("HTTP 1 MiB at 20% loss each way: {:.1} s virtual", net.now as f64 / 1e6);
}

fn udp_exchange(net: &mut Net, port: u16, to: IpEndpoint, payload: &[u8]) -> Option<Vec<u8>> {
    let host = net.host();
    let mut s = super::dhcp::udp_socket(4, 4096);
    s.bind(port).unwrap();
    let h = host.sockets.add(s);
    host.sockets.get_mut::<udp::Socket>(h).send_slice(payload, to).unwrap();
    net.run_until(5_000_000, |n| n.host().sockets.get_mut::<udp::Socket>(h).recv().ok().map(|(b, _)| b.to_vec()))
}

#[test]
fn dns_and_sntp_answer() {
    let tree = Tree::new("dns");
    let mut net = Net::new(LabConfig::default(), tree.path(), Host::new(CLIENT_MAC, Some(Ipv4Address::new(10, 0, 0, 50))), 0.0, 1);
    let q = b"\x00\x07\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x04prov\x03lab\x00\x00\x01\x00\x01";
    let r = udp_exchange(&mut net, 5353, IpEndpoint::new(Ipv4Address::new(10, 0, 0, 1).into(), 53), q).unwrap();
    assert_eq!(&r[r.len() - 4..], &[10, 0, 0, 1]);
    let mut nx = q.to_vec();
    nx[13] = b'q';
    let r = udp_exchange(&mut net, 5354, IpEndpoint::new(Ipv4Address::new(10, 0, 0, 1).into(), 53), &nx).unwrap();
    assert_eq!(r[3] & 0x0F, 3, "NXDOMAIN");
    let mut ntp = [0u8; 48];
    ntp[0] = 0x23;
    let t0 = net.now;
    let r = udp_exchange(&mut net, 5123, IpEndpoint::new(Ipv4Address::new(10, 0, 0, 1).into(), 123), &ntp).unwrap();
    let secs = u32::from_be_bytes(r[40..44].try_into().unwrap()) as u64;
    assert_eq!(secs, 1_704_067_200 + super::sntp::NTP_UNIX_OFFSET + t0 / 1_000_000);
    let ev = net.lab().take_events();
    assert!(matches!(&ev[0].event, LabEvent::Dns { name, answer: Some(_), .. } if name == "prov.lab"));
    assert!(matches!(&ev[1].event, LabEvent::Dns { answer: None, .. }));
    assert!(matches!(&ev[2].event, LabEvent::Sntp { .. }));
}

#[test]
fn sip_notify_is_answered_or_times_out() {
    let tree = Tree::new("sip");
    let mut net = Net::new(LabConfig::default(), tree.path(), Host::new(CLIENT_MAC, Some(Ipv4Address::new(10, 0, 0, 50))), 0.0, 1);
    let host = net.host();
    let mut s = super::dhcp::udp_socket(4, 4096);
    s.bind(5060).unwrap();
    let h = host.sockets.add(s);
    let now = net.now;
    net.lab().send_notify(now, Ipv4Addr::new(10, 0, 0, 50), true);
    let notify = net.run_until(5_000_000, |n| n.host().sockets.get_mut::<udp::Socket>(h).recv().ok().map(|(b, m)| (String::from_utf8(b.to_vec()).unwrap(), m.endpoint))).unwrap();
    assert!(notify.0.contains("Event: check-sync;reboot=true\r\n"));
    assert_eq!(notify.1, IpEndpoint::new(Ipv4Address::new(10, 0, 0, 1).into(), 5060));
    let call_id = notify.0.lines().find_map(|l| l.strip_prefix("Call-ID: ")).unwrap().to_string();
    let ok = format!("SIP/2.0 200 OK\r\nCall-ID: {call_id}\r\nCSeq: 1 NOTIFY\r\nContent-Length: 0\r\n\r\n");
    net.host().sockets.get_mut::<udp::Socket>(h).send_slice(ok.as_bytes(), notify.1).unwrap();
    let st = net.run_until(5_000_000, |n| {
        n.lab().events().iter().find_map(|r| match r.event {
            LabEvent::Notify { status: Some(s), .. } => Some(s),
            _ => None,
        })
    });
    assert_eq!(st, Some(200));
    // Nobody answers at .51: 408 after timer F.
    net.lab().take_events();
    let now = net.now;
    net.lab().send_notify(now, Ipv4Addr::new(10, 0, 0, 51), false);
    let st = net.run_until(40_000_000, |n| {
        n.lab().events().iter().find_map(|r| match r.event {
            LabEvent::Notify { status: Some(s), .. } => Some(s),
            _ => None,
        })
    });
    assert_eq!(st, Some(408));
}

#[test]
fn sip_notify_from_the_second_address_and_not_from_others() {
    let tree = Tree::new("sip2");
    let mut net = Net::new(LabConfig::default(), tree.path(), Host::new(CLIENT_MAC, Some(Ipv4Address::new(10, 0, 0, 50))), 0.0, 1);
    let host = net.host();
    let mut s = super::dhcp::udp_socket(4, 4096);
    s.bind(5060).unwrap();
    let h = host.sockets.add(s);
    let now = net.now;
    let err = net.lab().send_notify_from(now, Ipv4Addr::new(10, 0, 0, 9), Ipv4Addr::new(10, 0, 0, 50), false).unwrap_err();
    assert!(err.contains("10.0.0.9 is not a lab address"), "{err}");
    net.lab().send_notify_from(now, Ipv4Addr::new(10, 0, 0, 2), Ipv4Addr::new(10, 0, 0, 50), false).unwrap();
    let notify = net.run_until(5_000_000, |n| n.host().sockets.get_mut::<udp::Socket>(h).recv().ok().map(|(b, m)| (String::from_utf8(b.to_vec()).unwrap(), m.endpoint))).unwrap();
    assert_eq!(notify.1, IpEndpoint::new(Ipv4Address::new(10, 0, 0, 2).into(), 5060));
    assert!(notify.0.contains("Via: SIP/2.0/UDP 10.0.0.2:5060;"), "{}", notify.0);
    assert!(notify.0.contains("Call-ID: lab1@10.0.0.2\r\n"));
}

/// A whole DHCP + TFTP session through a pcap tap, at 20% loss: twice with
/// the same seed gives the same bytes; the pcap parses.
fn session_pcap(seed: u64, tree: &Tree) -> (Vec<u8>, String) {
    let mut sw = Switch::new();
    let lab = Lab::new(phone_config(), tree.path()).unwrap();
    let lab = sw.attach(PortMode::Access { pvid: 1 }, PcapTap::new(lab, PcapWriter::new(Vec::new()).unwrap()));
    let mut host = Host::new(CLIENT_MAC, None);
    let h = dhcp_client(&mut host);
    let imp = Impairment::loss(0.2);
    let hp = sw.attach(PortMode::Access { pvid: 1 }, Impair::new(host, seed, imp, imp));
    let mut net = Net { sw, lab, host: hp, now: 0 };
    net.run_until(120_000_000, |n| matches!(n.host().sockets.get_mut::<dhcpv4::Socket>(h).poll(), Some(dhcpv4::Event::Configured(_))).then_some(()))
        .expect("DHCP done despite loss");
    let tap = net.sw.device_mut::<PcapTap<Lab, Vec<u8>>>(net.lab).unwrap();
    let events: Vec<String> = tap.inner_mut().take_events().iter().map(|e| serde_json::to_string(e).unwrap()).collect();
    let pcap = tap.pcap().get_ref().clone();
    (pcap, events.join("\n"))
}

#[test]
fn same_seed_same_bytes_and_pcap_is_valid() {
    let tree = Tree::new("det");
    let (a, ea) = session_pcap(5, &tree);
    let (b, eb) = session_pcap(5, &tree);
    assert_eq!(a, b, "pcap differs between identical runs");
    assert_eq!(ea, eb);
    let recs = read_pcap(&a).unwrap();
    assert!(recs.len() >= 4, "DISCOVER, OFFER, REQUEST, ACK at least");
    assert!(recs.windows(2).all(|w| w[0].0 <= w[1].0), "timestamps are emulated time, monotonic");
    if let Ok(p) = std::env::var("LAN_PCAP_OUT") {
        std::fs::write(p, &a).unwrap();
    }
}
