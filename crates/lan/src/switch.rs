//! A VLAN-aware learning switch that owns and drives its ports.
//!
//! Each switch port is an access port (untagged, one PVID) or a trunk
//! (tagged for its allowed VLANs, untagged for an optional native VLAN).
//! Frames are forwarded within their VLAN only: known unicast to the learnt
//! port, everything else flooded to every other member, in port order.
//!
//! Guarantees: deterministic (port order, no hashing of output), bounded (the
//! MAC table holds at most [`Switch::TABLE_MAX`] entries, aged after
//! [`Switch::AGING_US`]), never panics on malformed frames (they are dropped
//! and counted). A frame never goes back out of the port it came in on.

use crate::port::Port;
use crate::vlan;
use std::collections::HashMap;

/// How a switch port treats VLAN tags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortMode {
    /// Untagged member of `pvid`. Accepts untagged and priority-tagged
    /// frames, and frames tagged with `pvid` itself; sends untagged.
    Access { pvid: u16 },
    /// Tagged member of `allowed`; untagged (and priority-tagged) frames belong
    /// to `native`, which leaves untagged. Frames of other VLANs are dropped.
    Trunk { allowed: Vec<u16>, native: Option<u16> },
}

impl PortMode {
    /// The VLAN an ingress frame with `tci` belongs to, if accepted.
    fn ingress_vlan(&self, tci: Option<u16>) -> Option<u16> {
        let vid = tci.map(vlan::vid).filter(|&v| v != 0);
        match (self, vid) {
            (PortMode::Access { pvid }, None) => Some(*pvid),
            (PortMode::Access { pvid }, Some(v)) => (v == *pvid).then_some(v),
            (PortMode::Trunk { native, .. }, None) => *native,
            (PortMode::Trunk { allowed, native }, Some(v)) => {
                (allowed.contains(&v) || *native == Some(v)).then_some(v)
            }
        }
    }

    /// Whether frames of `vlan` leave this port, and tagged or not.
    fn egress(&self, vlan: u16) -> Option<bool> {
        match self {
            PortMode::Access { pvid } => (*pvid == vlan).then_some(false),
            PortMode::Trunk { native, .. } if *native == Some(vlan) => Some(false),
            PortMode::Trunk { allowed, .. } => allowed.contains(&vlan).then_some(true),
        }
    }
}

/// A switch port number, in attach order from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortId(pub usize);

/// Frame counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SwitchStats {
    pub received: u64,
    pub delivered: u64,
    /// Malformed, not a member of any accepted VLAN, or filtered.
    pub dropped: u64,
}

struct SwitchPort {
    mode: PortMode,
    device: Box<dyn Port>,
}

pub struct Switch {
    ports: Vec<SwitchPort>,
    table: HashMap<(u16, [u8; 6]), (usize, u64)>,
    stats: SwitchStats,
}

impl Default for Switch {
    fn default() -> Self {
        Self::new()
    }
}

impl Switch {
    /// MAC table capacity; when full, new addresses are flooded, not learnt.
    pub const TABLE_MAX: usize = 16384;
    /// A learnt address is forgotten after this long without a frame from it.
    pub const AGING_US: u64 = 300_000_000;
    /// At most this many frames move in one `poll`, so a storm cannot hang
    /// the caller; the rest move on the next `poll` (poll_at says "now").
    pub const FRAMES_PER_POLL: usize = 1_000_000;

    pub fn new() -> Self {
        Switch { ports: Vec::new(), table: HashMap::new(), stats: SwitchStats::default() }
    }

    /// Plugs `device` into a new port.
    pub fn attach(&mut self, mode: PortMode, device: impl Port) -> PortId {
        self.ports.push(SwitchPort { mode, device: Box::new(device) });
        PortId(self.ports.len() - 1)
    }

    /// The device on `id` as its concrete type (`None` if the id or type is wrong).
    pub fn device_mut<T: Port>(&mut self, id: PortId) -> Option<&mut T> {
        let dev: &mut dyn Port = self.ports.get_mut(id.0)?.device.as_mut();
        (dev as &mut dyn std::any::Any).downcast_mut::<T>()
    }

    pub fn device<T: Port>(&self, id: PortId) -> Option<&T> {
        let dev: &dyn Port = self.ports.get(id.0)?.device.as_ref();
        (dev as &dyn std::any::Any).downcast_ref::<T>()
    }

    /// Changes a port's VLAN mode (e.g. the phone's port becomes a trunk).
    pub fn set_mode(&mut self, id: PortId, mode: PortMode) {
        if let Some(p) = self.ports.get_mut(id.0) {
            p.mode = mode;
        }
    }

    pub fn stats(&self) -> SwitchStats {
        self.stats
    }

    /// Moves every frame due at `now` between the attached devices, until
    /// nothing more moves (or [`Self::FRAMES_PER_POLL`] frames moved).
    pub fn poll(&mut self, now: u64) {
        let mut budget = Self::FRAMES_PER_POLL;
        loop {
            let mut moved = false;
            for i in 0..self.ports.len() {
                while budget > 0 {
                    let Some(frame) = self.ports[i].device.transmit(now) else { break };
                    budget -= 1;
                    moved = true;
                    self.forward(now, i, &frame);
                }
            }
            if !moved || budget == 0 {
                return;
            }
        }
    }

    /// The earliest deadline of any attached device.
    pub fn poll_at(&self) -> Option<u64> {
        self.ports.iter().filter_map(|p| p.device.poll_at()).min()
    }

    /// Forwards one frame that arrived on port `ingress`.
    fn forward(&mut self, now: u64, ingress: usize, frame: &[u8]) {
        self.stats.received += 1;
        let Ok(tci) = vlan::tci(frame) else {
            self.stats.dropped += 1;
            return;
        };
        let Some(vlan_id) = self.ports[ingress].mode.ingress_vlan(tci) else {
            self.stats.dropped += 1;
            return;
        };
        let dst: [u8; 6] = frame[0..6].try_into().expect("length checked by tci()");
        let src: [u8; 6] = frame[6..12].try_into().expect("length checked by tci()");
        self.learn(now, vlan_id, src, ingress);

        let known = if dst[0] & 1 == 0 {
            self.table.get(&(vlan_id, dst)).filter(|(_, seen)| now.saturating_sub(*seen) < Self::AGING_US).map(|(p, _)| *p)
        } else {
            None
        };
        // Keep PCP/DEI of an ingress tag; untagged frames leave with PCP 0.
        let out_tci = (tci.unwrap_or(0) & 0xF000) | vlan_id;
        let mut any = false;
        for j in 0..self.ports.len() {
            if j == ingress || known.is_some_and(|k| k != j) {
                continue;
            }
            let Some(tagged) = self.ports[j].mode.egress(vlan_id) else { continue };
            let out = if tagged { vlan::tag(frame, out_tci) } else { vlan::strip(frame) };
            self.ports[j].device.receive(now, &out);
            self.stats.delivered += 1;
            any = true;
        }
        if !any {
            self.stats.dropped += 1;
        }
    }

    fn learn(&mut self, now: u64, vlan_id: u16, src: [u8; 6], port: usize) {
        if src[0] & 1 != 0 {
            return;
        }
        if self.table.len() >= Self::TABLE_MAX && !self.table.contains_key(&(vlan_id, src)) {
            self.table.retain(|_, (_, seen)| now.saturating_sub(*seen) < Self::AGING_US);
            if self.table.len() >= Self::TABLE_MAX {
                return;
            }
        }
        self.table.insert((vlan_id, src), (port, now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::port::Endpoint;

    const A: [u8; 6] = [0x02, 0, 0, 0, 0, 0x0a];
    const B: [u8; 6] = [0x02, 0, 0, 0, 0, 0x0b];
    const BCAST: [u8; 6] = [0xff; 6];

    fn frame(dst: [u8; 6], src: [u8; 6]) -> Vec<u8> {
        [&dst[..], &src[..], &[0x08, 0x00], &[0x45, 0, 0, 20][..]].concat()
    }

    fn send(sw: &mut Switch, port: PortId, f: Vec<u8>) {
        sw.device_mut::<Endpoint>(port).unwrap().send(f);
        sw.poll(1);
    }

    fn recv(sw: &mut Switch, port: PortId) -> Vec<Vec<u8>> {
        let e = sw.device_mut::<Endpoint>(port).unwrap();
        std::iter::from_fn(|| e.recv().map(|(_, f)| f)).collect()
    }

    #[test]
    fn broadcast_floods_within_vlan_only_and_unicast_is_learnt() {
        let mut sw = Switch::new();
        let p0 = sw.attach(PortMode::Access { pvid: 1 }, Endpoint::new());
        let p1 = sw.attach(PortMode::Access { pvid: 1 }, Endpoint::new());
        let p2 = sw.attach(PortMode::Access { pvid: 2 }, Endpoint::new());
        let p3 = sw.attach(PortMode::Access { pvid: 1 }, Endpoint::new());
        send(&mut sw, p0, frame(BCAST, A));
        assert_eq!(recv(&mut sw, p1), vec![frame(BCAST, A)]);
        assert!(recv(&mut sw, p2).is_empty(), "other VLAN must not see it");
        assert_eq!(recv(&mut sw, p3).len(), 1);
        assert!(recv(&mut sw, p0).is_empty(), "never back out of the ingress port");
        // B answers A: A was learnt on p0, so only p0 gets it.
        send(&mut sw, p1, frame(A, B));
        assert_eq!(recv(&mut sw, p0), vec![frame(A, B)]);
        assert!(recv(&mut sw, p3).is_empty());
    }

    #[test]
    fn trunk_tags_and_access_strips() {
        let mut sw = Switch::new();
        let phone = sw.attach(PortMode::Trunk { allowed: vec![100], native: Some(1) }, Endpoint::new());
        let data = sw.attach(PortMode::Access { pvid: 1 }, Endpoint::new());
        let voice = sw.attach(PortMode::Access { pvid: 100 }, Endpoint::new());
        // Tagged VID 100, PCP 5 from the phone reaches the voice port untagged.
        send(&mut sw, phone, crate::vlan::tag(&frame(BCAST, A), 0xA064));
        assert_eq!(recv(&mut sw, voice), vec![frame(BCAST, A)]);
        assert!(recv(&mut sw, data).is_empty());
        // Untagged from the phone is the native VLAN.
        send(&mut sw, phone, frame(BCAST, A));
        assert_eq!(recv(&mut sw, data), vec![frame(BCAST, A)]);
        // The voice server's reply goes back tagged VID 100, PCP 0.
        send(&mut sw, voice, frame(A, B));
        assert_eq!(recv(&mut sw, phone), vec![crate::vlan::tag(&frame(A, B), 100)]);
        // A tag outside the allowed list is dropped.
        let before = sw.stats().dropped;
        send(&mut sw, phone, crate::vlan::tag(&frame(BCAST, A), 200));
        assert_eq!(sw.stats().dropped, before + 1);
    }

    #[test]
    fn access_port_drops_foreign_tags_and_runts() {
        let mut sw = Switch::new();
        let p0 = sw.attach(PortMode::Access { pvid: 1 }, Endpoint::new());
        let p1 = sw.attach(PortMode::Access { pvid: 1 }, Endpoint::new());
        send(&mut sw, p0, crate::vlan::tag(&frame(BCAST, A), 7));
        send(&mut sw, p0, vec![1, 2, 3]);
        // Priority-tagged (VID 0) is the PVID.
        send(&mut sw, p0, crate::vlan::tag(&frame(BCAST, A), 0xE000));
        assert_eq!(recv(&mut sw, p1), vec![frame(BCAST, A)]);
        assert_eq!(sw.stats().dropped, 2);
    }

    #[test]
    fn learnt_addresses_age_out() {
        let mut sw = Switch::new();
        let p0 = sw.attach(PortMode::Access { pvid: 1 }, Endpoint::new());
        let p1 = sw.attach(PortMode::Access { pvid: 1 }, Endpoint::new());
        let p2 = sw.attach(PortMode::Access { pvid: 1 }, Endpoint::new());
        send(&mut sw, p0, frame(BCAST, A));
        recv(&mut sw, p1);
        recv(&mut sw, p2);
        sw.device_mut::<Endpoint>(p1).unwrap().send(frame(A, B));
        sw.poll(1 + Switch::AGING_US);
        assert_eq!(recv(&mut sw, p0).len(), 1);
        assert_eq!(recv(&mut sw, p2).len(), 1, "aged entry: flooded again");
    }
}
