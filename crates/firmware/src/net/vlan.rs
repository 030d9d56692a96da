//! 802.1Q tagging done by the Ethernet driver, so smoltcp only ever sees
//! untagged frames: `untag` filters and strips a received frame in place,
//! `tag` inserts the tag into a frame written 4 bytes into its buffer.
//!
//! [`Tagging`] is how the network code retags the driver when the VLAN
//! policy (`aps::vlan`) says so; [`settings`] reads that policy's keys from
//! the config store.
//!
//! Guarantees: with no VLAN set, untagged and priority-tagged (VID 0)
//! frames pass and every other tagged frame is dropped; with a VLAN set,
//! only frames tagged with that VID pass. Never panics on any length.

use crate::config::Config;
use core::ops::Range;

pub const TPID: u16 = 0x8100;
pub const TAG_LEN: usize = 4;
const MACS: usize = 12;
const ETH_HEADER: usize = 14;

/// A VLAN id (1..=4094) and an 802.1p priority (0..=7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vlan {
    pub id: u16,
    pub priority: u8,
}

impl Vlan {
    /// `None` when `id` is outside 1..=4094 or `priority` above 7.
    pub fn new(id: u16, priority: u8) -> Option<Vlan> {
        ((1..=4094).contains(&id) && priority <= 7).then_some(Vlan { id, priority })
    }

    pub fn tci(self) -> u16 {
        u16::from(self.priority) << 13 | self.id
    }

    /// The inverse of `tci`, for a driver that keeps the setting in one word
    /// (0 = untagged).
    pub fn from_tci(tci: u16) -> Option<Vlan> {
        Vlan::new(tci & 0x0FFF, (tci >> 13) as u8)
    }
}

impl From<aps::vlan::Tag> for Vlan {
    fn from(t: aps::vlan::Tag) -> Vlan {
        Vlan { id: t.id, priority: t.priority }
    }
}

/// A device whose frames can be tagged (the Ethernet driver).
pub trait Tagging {
    /// Tags every frame with `v` from now on (`None`: untagged).
    fn set_vlan(&mut self, v: Option<Vlan>);
}

pub const KEY_VLAN: &[u8] = b"net.VLAN";
pub const KEY_PERSISTENT: &[u8] = b"net.PersistentVLANfromDHCP";
pub const KEY_ID1: &[u8] = b"qos.VLANid1";
pub const KEY_TAG1: &[u8] = b"qos.VLANTag1";

/// The VLAN keys of the config store (`key=` counts as unset).
pub fn settings(config: &Config) -> aps::vlan::Settings {
    let get = |k| config.get(k).filter(|v: &&[u8]| !v.is_empty());
    aps::vlan::Settings::from_values(get(KEY_VLAN), get(KEY_PERSISTENT), get(KEY_ID1), get(KEY_TAG1))
}

/// Where the untagged frame now lies in `buf[..len]`, or `None` to drop it.
pub fn untag(buf: &mut [u8], len: usize, vlan: Option<Vlan>) -> Option<Range<usize>> {
    let len = len.min(buf.len());
    if len < ETH_HEADER {
        return None;
    }
    let ethertype = u16::from_be_bytes([buf[12], buf[13]]);
    if ethertype != TPID {
        return vlan.is_none().then_some(0..len);
    }
    if len < ETH_HEADER + TAG_LEN {
        return None;
    }
    let vid = u16::from_be_bytes([buf[14], buf[15]]) & 0x0FFF;
    let wanted = vlan.map_or(0, |v| v.id);
    if vid != wanted {
        return None;
    }
    buf.copy_within(0..MACS, TAG_LEN);
    Some(TAG_LEN..len)
}

/// Where the driver lets smoltcp write a frame: 4 bytes in when tagging.
pub fn tx_offset(vlan: Option<Vlan>) -> usize {
    if vlan.is_some() { TAG_LEN } else { 0 }
}

/// Turns the frame at `buf[tx_offset..tx_offset + len]` into the frame to
/// send, from `buf[0]`; returns its length (`None` if it does not fit).
pub fn tag(buf: &mut [u8], len: usize, vlan: Option<Vlan>) -> Option<usize> {
    let Some(v) = vlan else {
        return (len <= buf.len()).then_some(len);
    };
    if len < MACS || len + TAG_LEN > buf.len() {
        return None;
    }
    buf.copy_within(TAG_LEN..TAG_LEN + MACS, 0);
    buf[12..14].copy_from_slice(&TPID.to_be_bytes());
    buf[14..16].copy_from_slice(&v.tci().to_be_bytes());
    Some(len + TAG_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    // An ARP request from 00:90:96:a1:b1:c1, untagged and tagged VID 100 prio 5.
    const ARP: [u8; 18] = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x90, 0x96, 0xa1, 0xb1, 0xc1, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00];
    const ARP_100: [u8; 22] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x90, 0x96, 0xa1, 0xb1, 0xc1, 0x81, 0x00, 0xa0, 0x64, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00,
    ];

    #[test]
    fn tag_then_untag_round_trips() {
        let v = Vlan::new(100, 5);
        let mut buf = [0u8; 64];
        let off = tx_offset(v);
        buf[off..off + ARP.len()].copy_from_slice(&ARP);
        let n = tag(&mut buf, ARP.len(), v).unwrap();
        assert_eq!(buf[..n], ARP_100);
        let r = untag(&mut buf, n, v).unwrap();
        assert_eq!(buf[r], ARP);
    }

    #[test]
    fn untagged_setting_passes_untagged_and_priority_frames_only() {
        let mut b = ARP;
        assert_eq!(untag(&mut b, ARP.len(), None), Some(0..ARP.len()));
        let mut b = ARP_100;
        assert_eq!(untag(&mut b, ARP_100.len(), None), None);
        let mut prio = ARP_100;
        prio[14..16].copy_from_slice(&[0xa0, 0x00]);
        let r = untag(&mut prio, ARP_100.len(), None).unwrap();
        assert_eq!(prio[r], ARP);
    }

    #[test]
    fn other_vlans_and_runts_are_dropped() {
        let v = Vlan::new(200, 0);
        let mut b = ARP_100;
        assert_eq!(untag(&mut b, ARP_100.len(), v), None);
        let mut b = ARP;
        assert_eq!(untag(&mut b, ARP.len(), v), None, "untagged while on a VLAN");
        assert_eq!(untag(&mut [0u8; 13], 13, None), None);
        assert_eq!(untag(&mut ARP_100.clone(), 16, Vlan::new(100, 5)), None);
        assert_eq!(untag(&mut [0u8; 4], 99, None), None);
        assert_eq!(tag(&mut [0u8; 20], 18, v), None, "no room for the tag");
        assert_eq!(Vlan::new(0, 0), None);
        assert_eq!(Vlan::new(4095, 0), None);
        assert_eq!(Vlan::new(1, 8), None);
        assert_eq!(Vlan::from_tci(0xa064), Vlan::new(100, 5));
    }
}
