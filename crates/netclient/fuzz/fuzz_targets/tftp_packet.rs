//! Any datagram, parsed as a TFTP packet and fed to a running read client.
#![no_main]

use core::net::{Ipv4Addr, SocketAddrV4};

use libfuzzer_sys::fuzz_target;
use netclient::tftp::{Config, Packet, TftpClient};
use netclient::{Sink, SinkError};

struct Counter(u64);

impl Sink for Counter {
    fn write(&mut self, data: &[u8]) -> Result<(), SinkError> {
        self.0 += data.len() as u64;
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(
        Packet::Oack { options } | Packet::Rrq { options, .. } | Packet::Wrq { options, .. },
    ) = Packet::parse(data)
    {
        for _ in options.iter() {}
    }
    let server = SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 1), 69);
    let peer = SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 1), 40000);
    let Ok(mut client) = TftpClient::new(
        server,
        b"file.bin",
        Config {
            max_size: 4096,
            ..Config::default()
        },
    ) else {
        return;
    };
    let mut sink = Counter(0);
    let _ = client.dispatch(0, |_, _| Ok::<(), ()>(()));
    // The input, split on a marker byte, is a sequence of datagrams.
    for (i, datagram) in data.split(|&b| b == 0xff).enumerate() {
        client.process(i as u64, peer, datagram, &mut sink);
        let _ = client.dispatch(i as u64 * 2_000_000, |_, _| Ok::<(), ()>(()));
    }
    assert!(sink.0 <= 4096);
});
