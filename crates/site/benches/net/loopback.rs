//! The host baselines the phone's transfers are compared with: the same
//! file over 127.0.0.1 between a server thread and a client, with std
//! sockets only. TFTP is a lockstep RRQ/DATA/ACK with the phone's block
//! size (1428, no options: both ends agree on it up front); HTTP is one
//! GET on a fresh TCP connection, answered with `Content-Length`, then
//! close; DHCP is the four-message exchange as two UDP round trips of
//! DHCP-sized (300-byte) datagrams.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::thread;
use std::time::{Duration, Instant};

pub const BLKSIZE: usize = 1428;

/// Wall time of one TFTP read of `data` over loopback.
pub fn tftp(data: &[u8]) -> Duration {
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let file = data.to_vec();
    let serve = thread::spawn(move || {
        let mut buf = [0u8; 2048];
        let (_, client) = server.recv_from(&mut buf).unwrap();
        // A new transfer port, as RFC 1350 says.
        let tid = UdpSocket::bind("127.0.0.1:0").unwrap();
        tid.connect(client).unwrap();
        let mut block: u16 = 1;
        for chunk in file.chunks(BLKSIZE).chain(file.len().is_multiple_of(BLKSIZE).then_some(&[][..])) {
            let pkt = [&[0, 3][..], &block.to_be_bytes(), chunk].concat();
            tid.send(&pkt).unwrap();
            let n = tid.recv(&mut buf).unwrap();
            assert_eq!(&buf[..n], &[0, 4, (block >> 8) as u8, block as u8]);
            block = block.wrapping_add(1);
        }
    });
    let start = Instant::now();
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client.send_to(b"\0\x01big.bin\0octet\0", ("127.0.0.1", port)).unwrap();
    let mut got = Vec::with_capacity(data.len());
    let mut buf = [0u8; 2048];
    loop {
        let (n, from) = client.recv_from(&mut buf).unwrap();
        got.extend_from_slice(&buf[4..n]);
        client.send_to(&[0, 4, buf[2], buf[3]], from).unwrap();
        if n - 4 < BLKSIZE {
            break;
        }
    }
    let took = start.elapsed();
    serve.join().unwrap();
    assert_eq!(got, data);
    took
}

/// Wall time of one HTTP GET of `data` over loopback.
pub fn http(data: &[u8]) -> Duration {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let file = data.to_vec();
    let serve = thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut req = Vec::new();
        let mut buf = [0u8; 1024];
        while !req.ends_with(b"\r\n\r\n") {
            let n = s.read(&mut buf).unwrap();
            assert!(n > 0, "request cut short");
            req.extend_from_slice(&buf[..n]);
        }
        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", file.len());
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(&file).unwrap();
    });
    let start = Instant::now();
    let mut c = TcpStream::connect(addr).unwrap();
    c.write_all(b"GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
    let mut got = Vec::with_capacity(data.len() + 100);
    c.read_to_end(&mut got).unwrap();
    let took = start.elapsed();
    serve.join().unwrap();
    assert!(got.ends_with(data) && got.len() < data.len() + 100);
    took
}

/// Wall time of two UDP round trips of 300-byte datagrams over loopback.
pub fn dhcp_like() -> Duration {
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let serve = thread::spawn(move || {
        let mut buf = [0u8; 600];
        for _ in 0..2 {
            let (n, from) = server.recv_from(&mut buf).unwrap();
            server.send_to(&buf[..n], from).unwrap();
        }
    });
    let start = Instant::now();
    let c = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut buf = [0u8; 600];
    for _ in 0..2 {
        c.send_to(&[0x42; 300], ("127.0.0.1", port)).unwrap();
        assert_eq!(c.recv(&mut buf).unwrap(), 300);
    }
    let took = start.elapsed();
    serve.join().unwrap();
    took
}
