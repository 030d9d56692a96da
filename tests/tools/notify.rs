//! `st20xx notify --to IP --port P`: against a UDP peer on 127.0.0.1 that
//! plays the phone's SIP side (the real phone answers the same way; see
//! `crates/firmware/src/net/sip.rs`): the NOTIFY is a check-sync one, the
//! answer's status line is printed, 2xx exits 0, 403 exits 1, silence is a
//! timeout (exit 1). Needs no root.

use super::{st20xx, stdout, text};
use std::net::UdpSocket;
use std::thread;
use std::time::Duration;

/// Answers the first datagram with `status`, echoing its Call-ID; returns the request.
fn peer(status: &'static str, answer: bool) -> (u16, thread::JoinHandle<String>) {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = s.local_addr().unwrap().port();
    let h = thread::spawn(move || {
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut buf = [0u8; 4096];
        let (n, from) = s.recv_from(&mut buf).unwrap();
        let req = String::from_utf8_lossy(&buf[..n]).into_owned();
        if answer {
            let call_id = req.lines().find_map(|l| l.strip_prefix("Call-ID: ")).unwrap().trim().to_string();
            let resp = format!("SIP/2.0 100 Trying\r\nCall-ID: {call_id}\r\n\r\n");
            s.send_to(resp.as_bytes(), from).unwrap();
            let resp = format!("{status}\r\nCall-ID: {call_id}\r\nCSeq: 1 NOTIFY\r\nContent-Length: 0\r\n\r\n");
            s.send_to(resp.as_bytes(), from).unwrap();
        }
        req
    });
    (port, h)
}

#[test]
fn ok_answer_exits_0_and_prints_the_status_line() {
    let (port, h) = peer("SIP/2.0 200 OK", true);
    let o = st20xx(&["notify", "--to", "127.0.0.1", "--port", &port.to_string(), "--reboot", "--from", "127.0.0.1"]);
    let req = h.join().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(stdout(&o), "SIP/2.0 200 OK\n");
    assert!(req.starts_with(&format!("NOTIFY sip:127.0.0.1:{port} SIP/2.0\r\n")), "{req}");
    assert!(req.contains("\r\nEvent: check-sync;reboot=true\r\n"), "{req}");
    assert!(req.contains("\r\nVia: SIP/2.0/UDP 127.0.0.1:"), "{req}");
}

#[test]
fn forbidden_exits_1_and_silence_times_out() {
    let (port, h) = peer("SIP/2.0 403 Forbidden", true);
    let o = st20xx(&["notify", "--to", "127.0.0.1", "--port", &port.to_string()]);
    assert!(h.join().unwrap().contains("\r\nEvent: check-sync\r\n"));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(stdout(&o), "SIP/2.0 403 Forbidden\n");
    let (port, h) = peer("", false);
    let o = st20xx(&["notify", "--to", "127.0.0.1", "--port", &port.to_string(), "--timeout", "1"]);
    h.join().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(stdout(&o).starts_with("timeout: no final answer from 127.0.0.1:"), "{}", text(&o));
}
