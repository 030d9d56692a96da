//! The lab's SNTP server (UDP 123): answers client (mode 3) requests with
//! server (mode 4) replies whose time is a configured Unix epoch plus the
//! emulated time, so a phone in virtual time sees a consistent wall clock.
//!
//! Guarantee: anything shorter than 48 bytes or not mode 3 is ignored.

use super::dhcp::udp_socket;
use super::{Ctx, LabEvent};
use smoltcp::iface::{SocketHandle, SocketSet};
use smoltcp::socket::udp;
use smoltcp::wire::IpAddress;

/// Seconds from 1900-01-01 (NTP era 0) to 1970-01-01.
pub const NTP_UNIX_OFFSET: u64 = 2_208_988_800;
const LEN: usize = 48;

mod field {
    use std::ops::Range;
    pub const LI_VN_MODE: usize = 0;
    pub const STRATUM: usize = 1;
    pub const POLL: usize = 2;
    pub const PRECISION: usize = 3;
    pub const REF_ID: Range<usize> = 12..16;
    pub const REF_TS: Range<usize> = 16..24;
    pub const ORIGIN_TS: Range<usize> = 24..32;
    pub const RECV_TS: Range<usize> = 32..40;
    pub const XMIT_TS: Range<usize> = 40..48;
}

pub(crate) struct SntpServer {
    handle: SocketHandle,
    epoch_unix: u64,
}

/// An NTP timestamp for Unix time `epoch_unix` s + `now_us` µs.
pub fn ntp_timestamp(epoch_unix: u64, now_us: u64) -> [u8; 8] {
    let secs = (epoch_unix + NTP_UNIX_OFFSET + now_us / 1_000_000) as u32;
    let frac = (((now_us % 1_000_000) << 32) / 1_000_000) as u32;
    let mut b = [0; 8];
    b[..4].copy_from_slice(&secs.to_be_bytes());
    b[4..].copy_from_slice(&frac.to_be_bytes());
    b
}

impl SntpServer {
    pub fn new(sockets: &mut SocketSet<'static>, epoch_unix: u64) -> Self {
        let mut s = udp_socket(16, 4096);
        s.bind(123).expect("port 123 is free on a fresh socket");
        SntpServer { handle: sockets.add(s), epoch_unix }
    }

    pub fn service(&mut self, ctx: &mut Ctx, sockets: &mut SocketSet) -> bool {
        let mut did = false;
        loop {
            let sock = sockets.get_mut::<udp::Socket>(self.handle);
            let Ok((data, meta)) = sock.recv() else { break };
            did = true;
            let Some(reply) = reply(self.epoch_unix, ctx.now, data) else { continue };
            let IpAddress::Ipv4(client) = meta.endpoint.addr;
            ctx.log(LabEvent::Sntp { client });
            let mut m = udp::UdpMetadata::from(meta.endpoint);
            m.local_address = meta.local_address;
            let _ = sockets.get_mut::<udp::Socket>(self.handle).send_slice(&reply, m);
        }
        did
    }
}

/// The mode-4 reply to a request, or `None` if it is not a client request.
pub fn reply(epoch_unix: u64, now_us: u64, req: &[u8]) -> Option<[u8; LEN]> {
    if req.len() < LEN || req[field::LI_VN_MODE] & 0x07 != 3 {
        return None;
    }
    let vn = (req[field::LI_VN_MODE] >> 3) & 0x07;
    let t = ntp_timestamp(epoch_unix, now_us);
    let mut r = [0u8; LEN];
    r[field::LI_VN_MODE] = (vn.clamp(1, 4) << 3) | 4;
    r[field::STRATUM] = 1;
    r[field::POLL] = req[field::POLL];
    r[field::PRECISION] = (-20i8) as u8;
    r[field::REF_ID].copy_from_slice(b"LAB\0");
    r[field::REF_TS].copy_from_slice(&t);
    r[field::ORIGIN_TS].copy_from_slice(&req[field::XMIT_TS]);
    r[field::RECV_TS].copy_from_slice(&t);
    r[field::XMIT_TS].copy_from_slice(&t);
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode4_reply_carries_epoch_plus_now() {
        let mut req = [0u8; 48];
        req[0] = 0x23; // LI 0, VN 4, mode 3
        req[40..48].copy_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        // 2024-01-01T00:00:00Z + 1.5 s
        let r = reply(1_704_067_200, 1_500_000, &req).unwrap();
        assert_eq!(r[0], 0x24);
        assert_eq!(r[1], 1);
        assert_eq!(&r[24..32], &[1, 2, 3, 4, 5, 6, 7, 8]);
        // 1_704_067_200 + 2_208_988_800 + 1 = 3_913_056_001 = 0xE93C_7F01; .5 s = 0x8000_0000
        assert_eq!(&r[40..48], &[0xE9, 0x3C, 0x7F, 0x01, 0x80, 0, 0, 0]);
    }

    #[test]
    fn non_requests_are_ignored() {
        let mut req = [0u8; 48];
        req[0] = 0x24; // a server reply
        assert!(reply(0, 0, &req).is_none());
        assert!(reply(0, 0, &req[..47]).is_none());
    }
}
