//! The DHCP ACK as received (kept raw, because `aps::dhcp::Reply` borrows
//! from it) and the options the phone sends (D1–D3).
//!
//! Guarantees: a packet too short for the BOOTP header or without the magic
//! cookie decodes to `None`; a longer one than the buffer is kept cut at
//! `RAW_MAX` (options past it are not seen).

use aps::Model;
use aps::dhcp::{self, OptionIter, Reply, VendorClassFormat};
use core::net::Ipv4Addr;

pub const RAW_MAX: usize = 1024;
const SIADDR: core::ops::Range<usize> = 20..24;
const FILE: core::ops::Range<usize> = 108..236;
const COOKIE: core::ops::Range<usize> = 236..240;
const MAGIC: [u8; 4] = [99, 130, 83, 99];

pub struct Lease {
    raw: [u8; RAW_MAX],
    len: usize,
}

impl Lease {
    pub const fn new() -> Lease {
        Lease { raw: [0; RAW_MAX], len: 0 }
    }

    /// Keeps `packet` (a whole DHCP message, from the BOOTP `op` byte).
    pub fn set(&mut self, packet: &[u8]) {
        let n = packet.len().min(RAW_MAX);
        self.raw[..n].copy_from_slice(&packet[..n]);
        self.len = n;
    }

    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// What the kept ACK says for provisioning.
    pub fn reply(&self) -> Option<Reply<'_>> {
        let raw = &self.raw[..self.len];
        if raw.len() < COOKIE.end || raw[COOKIE] != MAGIC {
            return None;
        }
        let s = &raw[SIADDR];
        let siaddr = Ipv4Addr::new(s[0], s[1], s[2], s[3]);
        Some(Reply::decode(OptionIter::new(&raw[COOKIE.end..]), &raw[FILE], siaddr))
    }
}

impl Default for Lease {
    fn default() -> Self {
        Self::new()
    }
}

/// Option 60 and 77 bytes, built once from the model and the config.
pub struct Outgoing {
    pub vendor_class: heapless::Vec<u8, { dhcp::VENDOR_CLASS_MAX }>,
    pub user_class: heapless::Vec<u8, 15>,
    pub request_list: &'static [u8],
}

impl Outgoing {
    pub fn new(model: Model, format: VendorClassFormat, vlan: bool) -> Outgoing {
        Outgoing { vendor_class: dhcp::vendor_class(model, format), user_class: dhcp::user_class(model), request_list: dhcp::parameter_request_list(vlan) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aps::names::Mac;
    use aps::source::InfName;

    /// An ACK with yiaddr 10.0.0.100, siaddr 10.0.0.2, `file` = `boot.inf`,
    /// options 1, 3, 66 = "10.0.0.1", 67 = "hello.txt", 67 repeated invalid.
    fn ack() -> Vec<u8> {
        let mut p = vec![0u8; 240];
        p[0] = 2;
        p[16..20].copy_from_slice(&[10, 0, 0, 100]);
        p[20..24].copy_from_slice(&[10, 0, 0, 2]);
        p[108..116].copy_from_slice(b"boot.inf");
        p[236..240].copy_from_slice(&MAGIC);
        p.extend_from_slice(&[53, 1, 5, 1, 4, 255, 255, 255, 0, 3, 4, 10, 0, 0, 1]);
        p.extend_from_slice(&[66, 8]);
        p.extend_from_slice(b"10.0.0.1");
        p.extend_from_slice(&[67, 9]);
        p.extend_from_slice(b"hello.txt");
        p.extend_from_slice(&[43, 4]);
        p.extend_from_slice(b"bad!");
        p.push(255);
        p
    }

    #[test]
    fn decodes_the_kept_ack() {
        let mut l = Lease::new();
        assert!(l.reply().is_none());
        l.set(&ack());
        let r = l.reply().unwrap();
        assert_eq!(r.subnet_mask, Some(Ipv4Addr::new(255, 255, 255, 0)));
        assert_eq!(r.routers.as_slice(), [Ipv4Addr::new(10, 0, 0, 1)]);
        assert_eq!(r.siaddr, Some(Ipv4Addr::new(10, 0, 0, 2)));
        assert_eq!(r.file, Some(&b"boot.inf"[..]));
        let model = Model::parse("ST2030S").unwrap();
        assert_eq!(r.inf_name(model, Mac([0, 0x90, 0x96, 0xa1, 0xb1, 0xc1])), InfName::Given(b"hello.txt"));
        assert_eq!(r.rejected.len(), 1, "option 43 is not a URL");
        assert_eq!(r.rejected[0].code, 43);
        let mut cut = ack();
        cut[237] = 0;
        l.set(&cut);
        assert!(l.reply().is_none(), "no magic cookie");
        l.set(&ack()[..100]);
        assert!(l.reply().is_none());
    }

    #[test]
    fn outgoing_options_follow_d1_to_d3() {
        let o = Outgoing::new(Model::parse("ST2030S").unwrap(), VendorClassFormat::String, false);
        assert_eq!(o.vendor_class.as_slice(), b"0107Thomson0206ST20300303SIP");
        assert_eq!(o.user_class.as_slice(), b"Thomson ST2030S");
        assert_eq!(o.request_list, [1, 3, 6, 42, 43, 66, 67, 150]);
        let b = Outgoing::new(Model::parse("ST2022M").unwrap(), VendorClassFormat::Binary, true);
        assert_eq!(b.vendor_class.as_slice(), b"\x01\x07Thomson\x02\x06ST2022\x03\x04MGCP");
        assert_eq!(b.request_list.len(), 11);
    }
}
