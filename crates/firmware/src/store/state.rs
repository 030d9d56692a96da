//! The STATE partition: what the provisioning run has installed
//! (`aps::run::Installed`, its own CRC-checked encoding) and whether the
//! next boot resumes a run after a firmware reboot (F3), kept together in
//! a flashstore journal so both change in one atomic record; and whether
//! the next boot was asked for by a `reboot=true` NOTIFY (T4: its run's
//! reason is then `notify_reboot`; the boot clears the flag first, so a
//! flag never causes a second reboot).
//!
//! The same journal keeps the VLAN set a DHCP server gave when
//! `PersistentVLANfromDHCP=1` (V4, `aps::vlan`), as its own record.
//!
//! Guarantees (R1): after a power cut the pair is the old or the new one,
//! and so is the VLAN set; a missing or unreadable record reads as "nothing
//! installed, no resume", "no VLAN set stored".

use aps::run::Installed;
use aps::dhcp::DhcpVlan;
use aps::run::installed::ENCODED_MAX;
use aps::vlan;
use board::map::STATE;
use flashstore::{Error, Nor, Op, Store};

const KEY_INSTALLED: &[u8] = b"aps.installed";
const KEY_RESUME: &[u8] = b"aps.resume";
const KEY_NOTIFY_REBOOT: &[u8] = b"aps.notify_reboot";
const KEY_DHCP_VLAN: &[u8] = b"vlan.dhcp";

pub struct State {
    store: Store<1024>,
}

impl State {
    pub const fn new() -> State {
        State { store: Store::new(STATE.base) }
    }

    pub fn load(&mut self, nor: &impl Nor) {
        self.store.load(nor);
    }

    pub fn installed(&self) -> Installed {
        self.store.get(KEY_INSTALLED).and_then(|b| Installed::decode(b).ok()).unwrap_or_default()
    }

    pub fn resume(&self) -> bool {
        self.store.get(KEY_RESUME) == Some(b"1")
    }

    pub fn notify_reboot(&self) -> bool {
        self.store.get(KEY_NOTIFY_REBOOT) == Some(b"1")
    }

    pub fn set_notify_reboot(&mut self, nor: &mut impl Nor, on: bool) -> Result<(), Error> {
        self.store.set_many(nor, [Op::Set(KEY_NOTIFY_REBOOT, if on { b"1" } else { b"0" })])
    }

    /// The VLAN set stored from DHCP (V4).
    pub fn dhcp_vlan(&self) -> Option<DhcpVlan> {
        self.store.get(KEY_DHCP_VLAN).and_then(vlan::decode_stored)
    }

    pub fn set_dhcp_vlan(&mut self, nor: &mut impl Nor, v: DhcpVlan) -> Result<(), Error> {
        self.store.set(nor, KEY_DHCP_VLAN, &vlan::encode_stored(v))
    }

    /// Writes both, atomically.
    pub fn save(&mut self, nor: &mut impl Nor, installed: &Installed, resume: bool) -> Result<(), Error> {
        let mut buf = [0u8; ENCODED_MAX];
        let n = installed.encode(&mut buf);
        let flag: &[u8] = if resume { b"1" } else { b"0" };
        self.store.set_many(nor, [Op::Set(KEY_INSTALLED, &buf[..n]), Op::Set(KEY_RESUME, flag)])
    }
}

impl Default for State {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sim::SimFlash;
    use aps::run::FileKind;

    #[test]
    fn blank_reads_as_nothing_then_round_trips() {
        let mut f = SimFlash::new();
        let mut s = State::new();
        s.load(&f);
        assert_eq!((s.installed(), s.resume()), (Installed::default(), false));
        let mut i = Installed::default();
        i.record(FileKind::App, b"v2030SG.261127.2.75.zz");
        s.save(&mut f, &i, true).unwrap();
        let mut back = State::new();
        back.load(&f);
        assert!(back.installed().is_same(FileKind::App, b"v2030SG.261127.2.75.zz"));
        assert!(back.resume());
        assert!(!back.notify_reboot());
        back.set_notify_reboot(&mut f, true).unwrap();
        let mut again = State::new();
        again.load(&f);
        assert!(again.notify_reboot() && again.resume(), "the flag keeps the rest");
        again.set_notify_reboot(&mut f, false).unwrap();
        again.load(&f);
        assert!(!again.notify_reboot());
    }

    #[test]
    fn the_dhcp_vlan_set_is_kept_beside_the_run_state() {
        let mut f = SimFlash::new();
        let mut s = State::new();
        s.load(&f);
        assert_eq!(s.dhcp_vlan(), None);
        let v = DhcpVlan { voice: 4, data: 14 };
        s.set_dhcp_vlan(&mut f, v).unwrap();
        s.save(&mut f, &Installed::default(), true).unwrap();
        let mut back = State::new();
        back.load(&f);
        assert_eq!((back.dhcp_vlan(), back.resume()), (Some(v), true));
        let ops0 = f.ops;
        let w = DhcpVlan { voice: 1, data: 11 };
        for at in ops0..ops0 + 4 {
            let mut g = SimFlash::new();
            (g.mem, g.ops, g.cut) = (f.mem.clone(), ops0, Some((at, 9)));
            let mut s = State::new();
            s.load(&g);
            let _ = s.set_dhcp_vlan(&mut g, w);
            g.restore();
            let mut back = State::new();
            back.load(&g);
            let got = back.dhcp_vlan();
            assert!(got == Some(v) || got == Some(w), "cut at {at}: {got:?}");
            assert!(back.resume(), "cut at {at}: the other record survives");
        }
    }

    #[test]
    fn r1_a_cut_save_is_old_or_new() {
        let mut base = SimFlash::new();
        let mut s = State::new();
        let mut old = Installed::default();
        old.record(FileKind::App, b"old.zz");
        s.save(&mut base, &old, false).unwrap();
        let mut new = old;
        new.record_sn(b"2");
        let ops0 = base.ops;
        for at in ops0..ops0 + 4 {
            let mut f = SimFlash::new();
            (f.mem, f.ops, f.cut) = (base.mem.clone(), ops0, Some((at, 9)));
            let mut s = State::new();
            s.load(&f);
            let _ = s.save(&mut f, &new, true);
            f.restore();
            let mut back = State::new();
            back.load(&f);
            let got = (back.installed(), back.resume());
            assert!(got == (old, false) || got == (new, true), "cut at {at}: {got:?}");
        }
    }
}
