//! Which 802.1Q tag the phone puts on its own frames, and when it changes
//! (CONFORMANCE V1–V5 with D7; vendor document 4.3–4.5.2). Sans-I/O: the
//! firmware says when it booted and when a DHCP lease came, and applies the
//! answers to its driver and its flash.
//!
//! The "VLAN set" of the document, as decided here:
//! - the phone's own frames carry the **voice** VLAN id: option 191 from
//!   DHCP, `[qos] VLANid1` from the config (0 = untagged);
//! - the **data** VLAN id (option 192, `VLANid2`) is for the PC port, which
//!   this phone model has no traffic of its own on: it is validated (D7),
//!   persisted with the voice id (V4) and shown, never used for tagging;
//! - the 802.1p priority is `[qos] VLANTag1` (0..=7, default 0), for a tag
//!   from DHCP as for one from the config (DHCP gives ids only).
//!
//! Rules:
//! - `[net] VLAN=0` (the default): untagged, options 190–192 neither asked
//!   for nor acted on; stored DHCP values are kept, not used.
//! - At boot with `VLAN=1`: `PersistentVLANfromDHCP=1` and stored DHCP values
//!   → those (V4); otherwise the config's `VLANid1` (V3: used only when no
//!   DHCP value applies), untagged when it is 0 or unset.
//! - The first DHCP lease of a boot with a valid 190–192 set (D7) switches
//!   the tag at once: the rest of the run (TFTP, HTTP, …) goes out on it
//!   (4.5.2: `[Tag1s DHCP(Tag4s)] + [Tag4s TFTP]`). With
//!   `PersistentVLANfromDHCP=1` the set is also stored when it differs from
//!   the stored one (V4). Later leases of the same boot (renewals) change
//!   nothing (V2). Config files applied during the run only change the
//!   config store: the tag in use changes at the next boot at the earliest.
//!
//! Guarantees: a tag always has an id in 1..=4094 and a priority in 0..=7;
//! bad stored bytes read as "nothing stored"; no panic on any input.

use crate::dhcp::DhcpVlan;
use crate::settings::{parse_bool, parse_number};

/// An 802.1Q tag: VLAN id 1..=4094, priority 0..=7.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tag {
    pub id: u16,
    pub priority: u8,
}

impl Tag {
    /// `None` for id 0 (untagged) or outside 1..=4094, or priority above 7.
    pub fn new(id: u16, priority: u8) -> Option<Tag> {
        ((1..=4094).contains(&id) && priority <= 7).then_some(Tag { id, priority })
    }
}

/// The VLAN keys of the config store, read leniently: a malformed value is
/// its default (the linter reports it; the phone still boots).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    /// `[net] VLAN`.
    pub enabled: bool,
    /// `[net] PersistentVLANfromDHCP`.
    pub persistent: bool,
    /// `[qos] VLANid1`, 0 = untagged.
    pub config_id: u16,
    /// `[qos] VLANTag1`.
    pub priority: u8,
}

impl Settings {
    /// From the stored values (`None`: absent).
    pub fn from_values(vlan: Option<&[u8]>, persistent: Option<&[u8]>, id1: Option<&[u8]>, tag1: Option<&[u8]>) -> Settings {
        let flag = |v: Option<&[u8]>| v.and_then(|v| parse_bool(v).ok()).unwrap_or(false);
        let num = |v: Option<&[u8]>, max| v.and_then(|v| parse_number(v, 0, max).ok()).unwrap_or(0);
        Settings { enabled: flag(vlan), persistent: flag(persistent), config_id: num(id1, 4094) as u16, priority: num(tag1, 7) as u8 }
    }
}

/// Where the tag in use came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// `VLAN=0`.
    Off,
    /// `[qos] VLANid1` (0: untagged).
    Config,
    /// DHCP values stored by an earlier boot (V4).
    Stored(DhcpVlan),
    /// This boot's first lease (V2/V4).
    Dhcp(DhcpVlan),
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::Off => "VLAN=0",
            Source::Config => "config",
            Source::Stored(_) => "stored DHCP",
            Source::Dhcp(_) => "DHCP",
        }
    }
}

/// The tag in use (`None`: untagged) and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Applied {
    pub tag: Option<Tag>,
    pub source: Source,
}

/// What to do after a lease.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LeaseAction {
    /// Retag from now on (`Some(None)` would be "untagged"; a lease never
    /// asks for that, but the type says what the driver takes).
    pub retag: Option<Option<Tag>>,
    /// Write this set to flash (V4).
    pub store: Option<DhcpVlan>,
}

/// The VLAN state of one boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    settings: Settings,
    applied: Applied,
    leased: bool,
}

impl Policy {
    /// The tag at boot, before any DHCP, from the settings and what flash holds.
    pub fn boot(settings: Settings, stored: Option<DhcpVlan>) -> Policy {
        let applied = match (settings.enabled, settings.persistent, stored) {
            (false, _, _) => Applied { tag: None, source: Source::Off },
            (true, true, Some(v)) => Applied { tag: Tag::new(v.voice, settings.priority), source: Source::Stored(v) },
            (true, _, _) => Applied { tag: Tag::new(settings.config_id, settings.priority), source: Source::Config },
        };
        Policy { settings, applied, leased: false }
    }

    pub fn applied(&self) -> Applied {
        self.applied
    }

    /// Whether option 55 asks for 190–192 (D3, V1).
    pub fn asks(&self) -> bool {
        self.settings.enabled
    }

    /// A lease was acknowledged; `offered` is its valid 190–192 set, if any
    /// (`Reply::vlan`). `stored` is what flash holds now.
    pub fn lease(&mut self, offered: Option<DhcpVlan>, stored: Option<DhcpVlan>) -> LeaseAction {
        if !self.settings.enabled || core::mem::replace(&mut self.leased, true) {
            return LeaseAction::default();
        }
        let Some(v) = offered else { return LeaseAction::default() };
        let tag = Tag::new(v.voice, self.settings.priority);
        let retag = (tag != self.applied.tag).then_some(tag);
        self.applied = Applied { tag, source: Source::Dhcp(v) };
        let store = (self.settings.persistent && stored != Some(v)).then_some(v);
        LeaseAction { retag, store }
    }
}

/// Bytes of a stored set: voice and data id, big-endian.
pub const STORED_LEN: usize = 4;

pub fn encode_stored(v: DhcpVlan) -> [u8; STORED_LEN] {
    let (a, b) = (v.voice.to_be_bytes(), v.data.to_be_bytes());
    [a[0], a[1], b[0], b[1]]
}

/// `None` unless exactly 4 bytes holding two ids in 1..=4094.
pub fn decode_stored(b: &[u8]) -> Option<DhcpVlan> {
    let [a0, a1, b0, b1] = *b else { return None };
    let (voice, data) = (u16::from_be_bytes([a0, a1]), u16::from_be_bytes([b0, b1]));
    let ok = |id: u16| (1..=4094).contains(&id);
    (ok(voice) && ok(data)).then_some(DhcpVlan { voice, data })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAG1: DhcpVlan = DhcpVlan { voice: 1, data: 11 };
    const TAG4: DhcpVlan = DhcpVlan { voice: 4, data: 14 };
    const TAG5: DhcpVlan = DhcpVlan { voice: 5, data: 15 };

    fn s(enabled: bool, persistent: bool, config_id: u16) -> Settings {
        Settings { enabled, persistent, config_id, priority: 5 }
    }

    fn t(id: u16) -> Option<Tag> {
        Tag::new(id, 5)
    }

    #[test]
    fn settings_from_store_values() {
        let got = Settings::from_values(Some(b"1"), Some(b"1"), Some(b"3"), Some(b"6"));
        assert_eq!(got, Settings { enabled: true, persistent: true, config_id: 3, priority: 6 });
        let bad = Settings::from_values(Some(b"yes"), None, Some(b"4095"), Some(b"8"));
        assert_eq!(bad, Settings::default());
    }

    #[test]
    fn vlan_off_is_untagged_and_ignores_dhcp_and_flash() {
        let mut p = Policy::boot(s(false, true, 3), Some(TAG4));
        assert_eq!(p.applied(), Applied { tag: None, source: Source::Off });
        assert!(!p.asks());
        assert_eq!(p.lease(Some(TAG5), Some(TAG4)), LeaseAction::default());
        assert_eq!(p.applied().tag, None);
    }

    #[test]
    fn v2_dhcp_values_apply_until_reboot_and_renewals_change_nothing() {
        let mut p = Policy::boot(s(true, false, 0), None);
        assert_eq!(p.applied(), Applied { tag: None, source: Source::Config });
        assert_eq!(p.lease(Some(TAG4), None), LeaseAction { retag: Some(t(4)), store: None });
        assert_eq!(p.applied(), Applied { tag: t(4), source: Source::Dhcp(TAG4) });
        assert_eq!(p.lease(Some(TAG5), None), LeaseAction::default(), "a renewal");
        assert_eq!(p.applied().tag, t(4));
        let after_reboot = Policy::boot(s(true, false, 0), None);
        assert_eq!(after_reboot.applied().tag, None);
    }

    #[test]
    fn v3_dhcp_wins_over_the_config_and_a_lease_without_options_keeps_the_config() {
        let mut p = Policy::boot(s(true, false, 3), Some(TAG4));
        assert_eq!(p.applied(), Applied { tag: t(3), source: Source::Config }, "not persistent: flash unused");
        assert_eq!(p.lease(Some(TAG5), Some(TAG4)).retag, Some(t(5)));
        let mut q = Policy::boot(s(true, false, 3), None);
        assert_eq!(q.lease(None, None), LeaseAction::default());
        assert_eq!(q.applied().tag, t(3));
        assert_eq!(q.lease(Some(TAG5), None), LeaseAction::default(), "only the first lease counts");
    }

    #[test]
    fn v4_stored_values_survive_reboots_until_new_valid_ones() {
        // First boot: nothing stored, config Tag3 (4.5.2, second example).
        let mut p = Policy::boot(s(true, true, 3), None);
        assert_eq!(p.applied().tag, t(3));
        assert_eq!(p.lease(Some(TAG4), None), LeaseAction { retag: Some(t(4)), store: Some(TAG4) });
        // Reboot: the stored set is used before DHCP, and a lease without options keeps it.
        let mut p = Policy::boot(s(true, true, 3), Some(TAG4));
        assert_eq!(p.applied(), Applied { tag: t(4), source: Source::Stored(TAG4) });
        assert_eq!(p.lease(None, Some(TAG4)), LeaseAction::default());
        assert_eq!(p.applied().tag, t(4));
        // The same set again: nothing to write.
        let mut p = Policy::boot(s(true, true, 3), Some(TAG4));
        assert_eq!(p.lease(Some(TAG4), Some(TAG4)), LeaseAction { retag: None, store: None });
        // New valid options replace them.
        let mut p = Policy::boot(s(true, true, 3), Some(TAG4));
        assert_eq!(p.lease(Some(TAG1), Some(TAG4)), LeaseAction { retag: Some(t(1)), store: Some(TAG1) });
    }

    #[test]
    fn stored_bytes_round_trip_and_bad_ones_are_nothing() {
        assert_eq!(encode_stored(DhcpVlan { voice: 100, data: 4094 }), [0x00, 0x64, 0x0f, 0xfe]);
        assert_eq!(decode_stored(&[0x00, 0x64, 0x0f, 0xfe]), Some(DhcpVlan { voice: 100, data: 4094 }));
        assert_eq!(decode_stored(&[0x00, 0x00, 0x00, 0x01]), None);
        assert_eq!(decode_stored(&[0x0f, 0xff, 0x00, 0x01]), None);
        assert_eq!(decode_stored(&[0x00, 0x64, 0x00]), None);
        assert_eq!(decode_stored(&[]), None);
    }

    #[test]
    fn tags_are_valid_by_construction() {
        assert_eq!(Tag::new(0, 0), None);
        assert_eq!(Tag::new(4095, 0), None);
        assert_eq!(Tag::new(1, 8), None);
        assert_eq!(Tag::new(4094, 7), Some(Tag { id: 4094, priority: 7 }));
    }
}
