//! Shared by the integration tests: a served directory in a temp dir, and a
//! smoltcp host standing in for the phone on a `PhoneNet`, in virtual time;
//! [`phone`]: the real firmware on a runner.
#![allow(dead_code)]

pub mod phone;

use machine::Network;
use site::PhoneNet;
use smoltcp::iface::{Config, Interface, SocketSet};
use smoltcp::phy::{self, Device, DeviceCapabilities, Medium};
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, HardwareAddress};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use trace::Record;

pub const PHONE_MAC: [u8; 6] = [0x00, 0x90, 0x96, 0xA1, 0xB1, 0xC1];
pub const HELLO: &[u8] = b"hello from the lab\n";
/// D1: option 60 in the vendor document's string-TLV form.
pub const OPT60: &[u8] = b"0107Thomson0206ST20300303SIP";
/// D2: option 77.
pub const OPT77: &[u8] = b"Thomson ST2030S";

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A temp directory the lab serves, with `hello.txt`; removed on drop.
pub struct Tree(pub PathBuf);

impl Tree {
    pub fn new(tag: &str) -> Tree {
        let d = std::env::temp_dir().join(format!("site-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("hello.txt"), HELLO).unwrap();
        Tree(d)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[derive(Default)]
pub struct Wire {
    pub rx: VecDeque<Vec<u8>>,
    pub tx: VecDeque<Vec<u8>>,
}

pub struct RxToken(Vec<u8>);
pub struct TxToken<'a>(&'a mut VecDeque<Vec<u8>>);

impl phy::RxToken for RxToken {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buf = vec![0; len];
        let r = f(&mut buf);
        self.0.push_back(buf);
        r
    }
}

impl Device for Wire {
    type RxToken<'a> = RxToken;
    type TxToken<'a> = TxToken<'a>;
    fn receive(&mut self, _: Instant) -> Option<(RxToken, TxToken<'_>)> {
        let f = self.rx.pop_front()?;
        Some((RxToken(f), TxToken(&mut self.tx)))
    }
    fn transmit(&mut self, _: Instant) -> Option<TxToken<'_>> {
        Some(TxToken(&mut self.tx))
    }
    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = 1514;
        caps
    }
}

pub fn ts(now: u64) -> Instant {
    Instant::from_micros(now as i64)
}

/// A smoltcp host on the phone's cable of a `PhoneNet`; it tags what it
/// sends with `vlan` and strips tags from what it gets.
pub struct World {
    pub net: PhoneNet,
    pub iface: Interface,
    pub wire: Wire,
    pub sockets: SocketSet<'static>,
    pub vlan: Option<u16>,
    pub now: u64,
    pub trace: Vec<Record>,
}

fn tag(frame: Vec<u8>, vid: u16) -> Vec<u8> {
    [&frame[..12], &[0x81, 0x00], &vid.to_be_bytes()[..], &frame[12..]].concat()
}

fn untag(frame: Vec<u8>) -> Vec<u8> {
    if frame.len() >= 18 && frame[12..14] == [0x81, 0x00] { [&frame[..12], &frame[16..]].concat() } else { frame }
}

impl World {
    pub fn new(net: PhoneNet) -> World {
        let mut wire = Wire::default();
        let mut cfg = Config::new(HardwareAddress::Ethernet(EthernetAddress(PHONE_MAC)));
        cfg.random_seed = 7;
        let iface = Interface::new(cfg, &mut wire, ts(0));
        World { net, iface, wire, sockets: SocketSet::new(Vec::new()), vlan: None, now: 0, trace: Vec::new() }
    }

    /// One exchange at `now`; returns how many frames moved.
    fn step(&mut self) -> usize {
        let mut moved = 0;
        while let Some(f) = self.net.transmit(self.now) {
            self.wire.rx.push_back(untag(f));
            moved += 1;
        }
        self.iface.poll(ts(self.now), &mut self.wire, &mut self.sockets);
        while let Some(f) = self.wire.tx.pop_front() {
            let f = match self.vlan {
                Some(v) => tag(f, v),
                None => f,
            };
            self.net.receive(self.now, &f);
            moved += 1;
        }
        self.trace.extend(self.net.drain_trace());
        moved
    }

    /// Runs until `f` returns `Some` or `limit_us` more of virtual time passed.
    pub fn run_until<T>(&mut self, limit_us: u64, mut f: impl FnMut(&mut World) -> Option<T>) -> Option<T> {
        let end = self.now + limit_us;
        loop {
            let moved = self.step();
            if let Some(t) = f(self) {
                return Some(t);
            }
            let moved = moved + self.step();
            if moved == 0 {
                let host = self.iface.poll_at(ts(self.now), &self.sockets).map(|i| i.total_micros() as u64);
                let next = [host, self.net.poll_at()].into_iter().flatten().min().unwrap_or(u64::MAX).max(self.now + 1);
                if next > end {
                    self.now = end;
                    return None;
                }
                self.now = next;
            }
        }
    }
}
