//! A smoltcp host with the phone's MAC and DHCP options 60/77 on a
//! `PhoneNet` with the built-in lab, in virtual time: DHCP, HTTP and TFTP
//! become `dhcp` and `serve` records; VLANs, loss, pcap and frame tracing.

mod common;

use common::*;
use lan::pcap::read_pcap;
use site::{LabOptions, NetSpec, PhoneNet};
use smoltcp::iface::SocketHandle;
use smoltcp::socket::{dhcpv4, tcp, udp};
use smoltcp::wire::{DhcpOption, IpAddress, IpCidr, IpEndpoint, Ipv4Address};
use std::path::Path;
use trace::{Event, Record};

const UA: &str = "THOMSON ST2030 hw5 fw2.74 00-90-96-A1-B1-C1";
const LAB: Ipv4Address = Ipv4Address::new(10, 0, 0, 1);

fn lab_net(tree: &Tree, opts: &LabOptions) -> PhoneNet {
    PhoneNet::build(&NetSpec::Lab { dir: Some(tree.path().to_path_buf()) }, opts, PHONE_MAC, Path::new("/nowhere")).unwrap()
}

fn dhcp_socket(w: &mut World) -> SocketHandle {
    static OPTS: [DhcpOption<'static>; 2] = [DhcpOption { kind: 60, data: OPT60 }, DhcpOption { kind: 77, data: OPT77 }];
    let mut s = dhcpv4::Socket::new();
    s.set_outgoing_options(&OPTS);
    w.sockets.add(s)
}

/// DHCP until configured; the address is applied to the host.
fn lease(w: &mut World, limit_us: u64) -> Option<Ipv4Address> {
    let h = dhcp_socket(w);
    let addr = w.run_until(limit_us, |w| match w.sockets.get_mut::<dhcpv4::Socket>(h).poll() {
        Some(dhcpv4::Event::Configured(c)) => Some(c.address),
        _ => None,
    })?;
    w.iface.update_ip_addrs(|a| a.push(IpCidr::Ipv4(addr)).unwrap());
    Some(addr.address())
}

fn http_get(w: &mut World, path: &str) -> Vec<u8> {
    let mut s = tcp::Socket::new(tcp::SocketBuffer::new(vec![0; 8192]), tcp::SocketBuffer::new(vec![0; 8192]));
    s.connect(w.iface.context(), (IpAddress::Ipv4(LAB), 80), 40_000).unwrap();
    let h = w.sockets.add(s);
    let req = format!("GET {path} HTTP/1.1\r\nHost: prov.lab\r\nUser-Agent: {UA}\r\nConnection: close\r\n\r\n");
    let mut sent = false;
    let mut got = Vec::new();
    w.run_until(10_000_000, |w| {
        let s = w.sockets.get_mut::<tcp::Socket>(h);
        if !sent && s.may_send() {
            s.send_slice(req.as_bytes()).unwrap();
            sent = true;
        }
        while s.can_recv() {
            s.recv(|b| {
                got.extend_from_slice(b);
                (b.len(), ())
            })
            .unwrap();
        }
        if sent && !s.may_recv() {
            s.close();
            return Some(());
        }
        None
    })
    .expect("HTTP answered in 10 s");
    got
}

/// A one-block TFTP read: RRQ, DATA 1 (or ERROR), ACK 1.
fn tftp_get(w: &mut World, name: &str) -> Result<Vec<u8>, u16> {
    let mut s = udp::Socket::new(udp::PacketBuffer::new(vec![udp::PacketMetadata::EMPTY; 8], vec![0; 4096]), udp::PacketBuffer::new(vec![udp::PacketMetadata::EMPTY; 8], vec![0; 4096]));
    s.bind(50_000).unwrap();
    let h = w.sockets.add(s);
    let rrq = [&[0, 1][..], name.as_bytes(), b"\0octet\0"].concat();
    w.sockets.get_mut::<udp::Socket>(h).send_slice(&rrq, IpEndpoint::new(LAB.into(), 69)).unwrap();
    let out = w.run_until(10_000_000, |w| {
        let s = w.sockets.get_mut::<udp::Socket>(h);
        let (pkt, meta) = s.recv().ok()?;
        let pkt = pkt.to_vec();
        match pkt[1] {
            3 => {
                s.send_slice(&[0, 4, pkt[2], pkt[3]], meta.endpoint).unwrap();
                Some(Ok(pkt[4..].to_vec()))
            }
            _ => Some(Err(u16::from_be_bytes([pkt[2], pkt[3]]))),
        }
    });
    // Let the ACK reach the lab and the transfer finish.
    w.run_until(100_000, |_| None::<()>);
    w.sockets.remove(h);
    out.expect("TFTP answered in 10 s")
}

fn serves(trace: &[Record]) -> Vec<(String, String, u16, u64, Option<String>)> {
    trace
        .iter()
        .filter_map(|r| match &r.event {
            Event::Serve { proto, path, status, bytes, user_agent, .. } => Some((proto.clone(), path.clone(), *status, *bytes, user_agent.clone())),
            _ => None,
        })
        .collect()
}

/// Lease, HTTP GET, two TFTP reads; the whole trace and the pcap bytes.
fn session(tree: &Tree, pcap: &Path) -> (Vec<Record>, Vec<u8>) {
    let opts = LabOptions { pcap: Some(pcap.to_path_buf()), trace_frames: true, ..Default::default() };
    let mut w = World::new(lab_net(tree, &opts));
    assert_eq!(lease(&mut w, 30_000_000), Some(Ipv4Address::new(10, 0, 0, 100)));
    let reply = http_get(&mut w, "/hello.txt");
    assert!(reply.starts_with(b"HTTP/1.1 200") && reply.ends_with(HELLO), "{}", String::from_utf8_lossy(&reply));
    assert_eq!(tftp_get(&mut w, "hello.txt"), Ok(HELLO.to_vec()));
    assert_eq!(tftp_get(&mut w, "missing.txt"), Err(1));
    assert!(w.net.pcap_error().is_none());
    drop(w.net);
    (w.trace, std::fs::read(pcap).unwrap())
}

#[test]
fn a_phone_stand_in_leases_and_fetches_and_the_trace_says_so() {
    let tree = Tree::new("session");
    let (trace, pcap) = session(&tree, &tree.path().join("a.pcap"));
    assert!(trace.iter().all(|r| r.phone == "009096A1B1C1"));
    assert!(trace.windows(2).all(|p| p[0].t_us <= p[1].t_us), "records in time order");

    let dhcp: Vec<&Record> = trace.iter().filter(|r| matches!(r.event, Event::Dhcp { .. })).collect();
    let msgs: Vec<&str> = dhcp.iter().map(|r| match &r.event { Event::Dhcp { msg, .. } => msg.as_str(), _ => unreachable!() }).collect();
    assert_eq!(msgs, ["discover", "request"], "{:?}", dhcp.iter().map(|r| r.t_us).collect::<Vec<_>>());
    let Event::Dhcp { options, vlan, .. } = &dhcp[0].event else { unreachable!() };
    assert_eq!(options["60"], "3031303754686f6d736f6e30323036535432303330303330335349".to_string() + "50");
    assert_eq!(options["60"], hex(OPT60));
    assert_eq!(options["77"], hex(OPT77));
    assert_eq!(options["53"], "01");
    assert_eq!(*vlan, None, "untagged on the default VLAN");

    let len = HELLO.len() as u64;
    assert_eq!(
        serves(&trace),
        [
            ("http".into(), "/hello.txt".into(), 200, len, Some(UA.to_string())),
            ("tftp".into(), "hello.txt".into(), 0, len, None),
            ("tftp".into(), "missing.txt".into(), 1, 0, None),
        ]
    );
    let Some(Event::Serve { server, .. }) = trace.iter().map(|r| &r.event).find(|e| matches!(e, Event::Serve { .. })) else { unreachable!() };
    assert_eq!(server, "10.0.0.1");

    // The pcap holds exactly the traced frames, stamped on the lab's clock.
    let frames: Vec<(u64, String, Vec<u8>)> = trace
        .iter()
        .filter_map(|r| match &r.event {
            Event::Frame { dir, len, hex: h } => {
                let bytes: Vec<u8> = (0..h.len()).step_by(2).map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap()).collect();
                assert_eq!(*len as usize, bytes.len());
                Some((r.t_us, dir.clone(), bytes))
            }
            _ => None,
        })
        .collect();
    let recs = read_pcap(&pcap).unwrap();
    assert!(recs.len() > 10, "{} frames", recs.len());
    assert_eq!(recs.len(), frames.len());
    let epoch_us = lan::LabConfig::default().sntp.epoch_unix * 1_000_000;
    for ((t, f), (ft, _, fb)) in recs.iter().zip(&frames) {
        assert_eq!((*t, f), (ft + epoch_us, fb));
    }
    let first = &frames[0];
    assert_eq!((first.1.as_str(), &first.2[..6], &first.2[6..12]), ("tx", &[0xff; 6][..], &PHONE_MAC[..]), "the DISCOVER is broadcast from the phone");
    assert!(frames.iter().any(|f| f.1 == "rx"));
}

#[test]
fn two_sessions_give_the_same_trace_and_pcap_bytes() {
    let tree = Tree::new("determinism");
    let (ta, pa) = session(&tree, &tree.path().join("a.pcap"));
    let (tb, pb) = session(&tree, &tree.path().join("b.pcap"));
    let json = |t: &[Record]| t.iter().map(|r| r.to_json() + "\n").collect::<String>();
    assert_eq!(json(&ta), json(&tb));
    assert_eq!(pa, pb);
}

#[test]
fn a_lab_on_a_vlan_answers_tagged_frames_only() {
    let tree = Tree::new("vlan");
    let toml = tree.path().join("lab.toml");
    std::fs::write(&toml, "vlan = 100\n").unwrap();
    let opts = LabOptions { lab_file: Some(toml), ..Default::default() };

    let mut untagged = World::new(lab_net(&tree, &opts));
    assert_eq!(lease(&mut untagged, 10_000_000), None, "untagged frames stay on VLAN 1, where nobody answers");
    assert!(untagged.trace.is_empty(), "{:?}", untagged.trace);

    let mut tagged = World::new(lab_net(&tree, &opts));
    tagged.vlan = Some(100);
    assert!(lease(&mut tagged, 30_000_000).is_some());
    assert_eq!(tftp_get(&mut tagged, "hello.txt"), Ok(HELLO.to_vec()));
    let vlans: Vec<(String, Option<u16>)> = tagged
        .trace
        .iter()
        .map(|r| match &r.event {
            Event::Dhcp { msg, vlan, .. } => (msg.clone(), *vlan),
            Event::Serve { proto, vlan, .. } => (proto.clone(), *vlan),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(vlans, [("discover".into(), Some(100)), ("request".into(), Some(100)), ("tftp".into(), Some(100))]);
}

#[test]
fn full_loss_cuts_the_phone_off_and_partial_loss_is_seeded() {
    let tree = Tree::new("loss");
    let opts = LabOptions { loss: Some(1.0), ..Default::default() };
    let mut w = World::new(lab_net(&tree, &opts));
    assert_eq!(lease(&mut w, 20_000_000), None);
    assert!(w.trace.is_empty());
    let s = w.net.stats();
    assert!(s.from_phone.lost >= 2 && s.from_phone.passed == 0, "{s:?}");
    assert_eq!(s.switch.received, 0);

    let run = |seed| {
        let opts = LabOptions { loss: Some(0.4), seed, trace_frames: true, ..Default::default() };
        let mut w = World::new(lab_net(&tree, &opts));
        let got = lease(&mut w, 120_000_000);
        (got, w.net.stats(), w.trace.iter().map(Record::to_json).collect::<Vec<_>>())
    };
    let (a, b) = (run(3), run(3));
    assert_eq!(a.2, b.2, "same seed, same trace");
    assert_eq!(a.0, Some(Ipv4Address::new(10, 0, 0, 100)), "DHCP retransmits get through 40% loss");
    assert!(a.1.from_phone.lost + a.1.to_phone.lost > 0, "{:?}", a.1);
    assert_ne!(run(4).2, a.2, "another seed loses other frames");
}

#[test]
fn unplugged_the_phone_talks_to_nobody_but_is_still_traced() {
    let opts = LabOptions { trace_frames: true, ..Default::default() };
    let net = PhoneNet::build(&NetSpec::None, &opts, PHONE_MAC, Path::new("/nowhere")).unwrap();
    let mut w = World::new(net);
    assert_eq!(lease(&mut w, 10_000_000), None);
    assert!(!w.trace.is_empty());
    assert!(w.trace.iter().all(|r| matches!(&r.event, Event::Frame { dir, .. } if dir == "tx")));
}
