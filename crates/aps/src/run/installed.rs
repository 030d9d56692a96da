//! What the phone has installed, as the run compares it (F2–F7) and as the
//! firmware keeps it in the flash `STATE` partition.
//!
//! **Decision:** a name is remembered as a [`Stamp`] (64-bit FNV-1a digest
//! of its bytes), not as text: 18 names of up to 255 bytes would cost
//! 4.6 KiB of RAM inside every `Run` and of flash per record, while the run
//! only ever asks "is this the same name?". A changed name is missed only on
//! a 64-bit collision. The running firmware's version is not stored (the
//! firmware reads it from its own header); the version of the last installed
//! application image is, for the log.
//!
//! Encoding (little-endian), at most [`ENCODED_MAX`] bytes:
//! ```text
//! off len field
//!   0   4 magic "APSI"
//!   4   1 format version (1)
//!   5   1 flags: bit 0 = telcfg due (firmware changed since the last telcfg, F5)
//!   6   3 last installed application version: major, minor, patch
//!   9   1 reserved (0)
//!  10   4 present bitmap: bit i = FileKind::STAMPED[i], bit 17 = config_sn
//!  14 8*n the present stamps, in bit order
//! end   4 CRC-32 over everything before
//! ```
//! Guarantees: `decode(encode(x)) == x`; `decode` never panics and refuses
//! (typed error) a wrong magic, an unknown version, reserved bits, a wrong
//! length or a bad CRC.

use super::kind::FileKind;
use board::image::{Version, crc32};

/// A name (or `config_sn`) as remembered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Stamp(pub u64);

impl Stamp {
    /// FNV-1a, 64-bit.
    pub fn of(name: &[u8]) -> Stamp {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in name {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        Stamp(h)
    }
}

const SLOTS: usize = FileKind::STAMPED.len() + 1;
const SN_SLOT: usize = FileKind::STAMPED.len();
const MAGIC: [u8; 4] = *b"APSI";
pub const FORMAT_VERSION: u8 = 1;
const FIXED: usize = 14;
/// The longest encoding.
pub const ENCODED_MAX: usize = FIXED + 8 * SLOTS + 4;

/// The provisioning state kept across runs and reboots.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Installed {
    /// Bit i set: `stamps[i]` holds a stamp.
    present: u32,
    stamps: [u64; SLOTS],
    /// Version of the last installed application image.
    pub app_version: Option<Version>,
    /// F5: the firmware changed and no telcfg was installed since.
    pub telcfg_due: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("not an installed-state record")]
    BadMagic,
    #[error("format version {0} is not known")]
    UnknownVersion(u8),
    #[error("length does not match the present fields")]
    BadLength,
    #[error("reserved bits set")]
    Reserved,
    #[error("CRC mismatch")]
    BadCrc,
}

impl Installed {
    /// The last installed name of a stamped kind.
    pub fn stamp(&self, kind: FileKind) -> Option<Stamp> {
        kind.slot().and_then(|i| self.get(i))
    }

    fn get(&self, i: usize) -> Option<Stamp> {
        (self.present & (1 << i) != 0).then_some(Stamp(self.stamps[i]))
    }

    fn set(&mut self, i: usize, s: Stamp) {
        self.present |= 1 << i;
        self.stamps[i] = s.0;
    }

    /// True when `name` is what was last installed for `kind`.
    pub fn is_same(&self, kind: FileKind, name: &[u8]) -> bool {
        self.stamp(kind) == Some(Stamp::of(name))
    }

    /// Records `name` as installed for `kind` (ignored for unstamped kinds).
    pub fn record(&mut self, kind: FileKind, name: &[u8]) {
        if let Some(i) = kind.slot() {
            self.set(i, Stamp::of(name));
        }
    }

    pub fn config_sn(&self) -> Option<Stamp> {
        self.get(SN_SLOT)
    }

    /// F7: true when `sn` is the `config_sn` last applied.
    pub fn is_same_sn(&self, sn: &[u8]) -> bool {
        self.config_sn() == Some(Stamp::of(sn))
    }

    pub fn record_sn(&mut self, sn: &[u8]) {
        self.set_config_sn(Stamp::of(sn));
    }

    pub fn set_config_sn(&mut self, sn: Stamp) {
        self.set(SN_SLOT, sn);
    }

    /// Writes the record into `out` and returns its length.
    pub fn encode(&self, out: &mut [u8; ENCODED_MAX]) -> usize {
        out[0..4].copy_from_slice(&MAGIC);
        out[4] = FORMAT_VERSION;
        out[5] = u8::from(self.telcfg_due);
        let v = self.app_version;
        out[6..9].copy_from_slice(&v.map_or([0; 3], |v| [v.major, v.minor, v.patch]));
        out[9] = u8::from(v.is_some());
        let mut at = FIXED;
        for i in 0..SLOTS {
            if let Some(s) = self.get(i) {
                out[at..at + 8].copy_from_slice(&s.0.to_le_bytes());
                at += 8;
            }
        }
        out[10..14].copy_from_slice(&self.present.to_le_bytes());
        let crc = crc32(&out[..at]);
        out[at..at + 4].copy_from_slice(&crc.to_le_bytes());
        at + 4
    }

    pub fn decode(b: &[u8]) -> Result<Installed, DecodeError> {
        if b.len() < FIXED + 4 || b[0..4] != MAGIC {
            return Err(DecodeError::BadMagic);
        }
        if b[4] != FORMAT_VERSION {
            return Err(DecodeError::UnknownVersion(b[4]));
        }
        let bitmap = u32::from_le_bytes([b[10], b[11], b[12], b[13]]);
        if b[5] > 1 || b[9] > 1 || bitmap >> SLOTS != 0 {
            return Err(DecodeError::Reserved);
        }
        let len = FIXED + 8 * bitmap.count_ones() as usize + 4;
        if b.len() != len {
            return Err(DecodeError::BadLength);
        }
        let crc = u32::from_le_bytes([b[len - 4], b[len - 3], b[len - 2], b[len - 1]]);
        if crc32(&b[..len - 4]) != crc {
            return Err(DecodeError::BadCrc);
        }
        let mut stamps = [0u64; SLOTS];
        let mut at = FIXED;
        for (i, s) in stamps.iter_mut().enumerate() {
            if bitmap & (1 << i) != 0 {
                let mut w = [0u8; 8];
                w.copy_from_slice(&b[at..at + 8]);
                *s = u64::from_le_bytes(w);
                at += 8;
            }
        }
        let app_version = (b[9] == 1).then_some(Version { major: b[6], minor: b[7], patch: b[8] });
        Ok(Installed { present: bitmap, stamps, app_version, telcfg_due: b[5] == 1 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_vectors() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(Stamp::of(b""), Stamp(0xcbf29ce484222325));
        assert_eq!(Stamp::of(b"a"), Stamp(0xaf63dc4c8601ec8c));
        assert_eq!(Stamp::of(b"foobar"), Stamp(0x85944171f73967e8));
    }

    #[test]
    fn empty_state_encodes_to_18_bytes() {
        let mut out = [0u8; ENCODED_MAX];
        let n = Installed::default().encode(&mut out);
        assert_eq!(n, 18);
        assert_eq!(&out[..14], b"APSI\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00");
        assert_eq!(Installed::decode(&out[..n]), Ok(Installed::default()));
    }

    #[test]
    fn round_trip_full_state() {
        let mut s = Installed { app_version: Some(Version { major: 2, minor: 69, patch: 1 }), telcfg_due: true, ..Installed::default() };
        for k in FileKind::STAMPED {
            s.record(k, k.tag().as_bytes());
        }
        s.record_sn(b"200901010000");
        let mut out = [0u8; ENCODED_MAX];
        let n = s.encode(&mut out);
        assert_eq!(n, ENCODED_MAX);
        let back = Installed::decode(&out[..n]).unwrap();
        assert_eq!(back, s);
        assert!(back.is_same(FileKind::Telcfg, b"TelConfig"));
        assert!(!back.is_same(FileKind::Telcfg, b"telconfig"));
        assert!(back.is_same_sn(b"200901010000"));
    }

    #[test]
    fn partial_state_round_trips() {
        let mut s = Installed::default();
        s.record(FileKind::CommonConfig, b"http://h/c.txt");
        s.record(FileKind::MacConfig, b"ignored");
        let mut out = [0u8; ENCODED_MAX];
        let n = s.encode(&mut out);
        assert_eq!(n, 14 + 8 + 4);
        assert_eq!(Installed::decode(&out[..n]), Ok(s));
        assert_eq!(s.stamp(FileKind::App), None);
    }

    #[test]
    fn refuses_bad_records() {
        let mut s = Installed::default();
        s.record(FileKind::App, b"v.zz");
        let mut out = [0u8; ENCODED_MAX];
        let n = s.encode(&mut out);
        let good = out[..n].to_vec();
        let with = |i: usize, v: u8| {
            let mut b = good.clone();
            b[i] = v;
            Installed::decode(&b)
        };
        assert_eq!(with(0, b'X'), Err(DecodeError::BadMagic));
        assert_eq!(with(4, 2), Err(DecodeError::UnknownVersion(2)));
        assert_eq!(with(5, 2), Err(DecodeError::Reserved));
        assert_eq!(with(13, 0x80), Err(DecodeError::Reserved));
        assert_eq!(with(10, 3), Err(DecodeError::BadLength));
        assert_eq!(with(15, 0xAA), Err(DecodeError::BadCrc));
        assert_eq!(Installed::decode(&good[..n - 1]), Err(DecodeError::BadLength));
        assert_eq!(Installed::decode(b""), Err(DecodeError::BadMagic));
    }

    proptest::proptest! {
        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let _ = Installed::decode(&bytes);
        }

        #[test]
        fn any_state_round_trips(bits in 0u32..(1 << 18), words in proptest::array::uniform18(proptest::num::u64::ANY), due: bool, v: Option<(u8, u8, u8)>) {
            let mut s = Installed { telcfg_due: due, app_version: v.map(|(major, minor, patch)| Version { major, minor, patch }), ..Installed::default() };
            for (i, w) in words.iter().enumerate() {
                if bits & (1 << i) != 0 { s.set(i, Stamp(*w)); }
            }
            let mut out = [0u8; ENCODED_MAX];
            let n = s.encode(&mut out);
            proptest::prop_assert_eq!(Installed::decode(&out[..n]), Ok(s));
        }
    }
}
