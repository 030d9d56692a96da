//! The phone's configuration: factory defaults (the field facts of
//! CONFORMANCE.md) and the power-safe store in the CONFIG flash partition.
//! Keys are `section.key` (`autoprovision.Decryption_Key`), matched
//! case-insensitively; values are ISO-8859-1 bytes.
//!
//! Guarantees: a blank store is filled with `DEFAULTS` in one atomic write;
//! `get` answers from the store and falls back to `DEFAULTS`, so a key the
//! store lost or never had still has its factory value.

use board::map::CONFIG;
use flashstore::{Error, Nor, Store};

pub const RING_VOLUME: &[u8] = b"ipp.RingVolume";
pub const DECRYPTION_KEY: &[u8] = b"autoprovision.Decryption_Key";
pub const DISPLAY_NAME: &[u8] = b"sip.DisplayName1";
pub const NUMBER: &[u8] = b"sip.TEL1Number";
pub const APS_FLAG: &[u8] = b"autoprovision.AutoprovisionFlag";
pub const RING_VOLUME_MIN: u8 = 1;
pub const RING_VOLUME_MAX: u8 = 9;

/// Factory defaults.
pub const DEFAULTS: &[(&[u8], &[u8])] = &[
    (APS_FLAG, b"1"),
    (b"autoprovision.AutoprovisionTimeSpan", b"0"),
    (b"autoprovision.AutoprovisionTimeDays", b"0"),
    (b"autoprovision.AutoprovisionRetryPeriod", b"30"),
    (DECRYPTION_KEY, b"Th0mson2$8s8@9z!"),
    (b"sip.sw_notify_autoprovision", b"0"),
    (b"sip.AuthNotifyCheckSync", b"0.0.0.0"),
    (b"net.VLAN", b"0"),
    (b"net.PersistentVLANfromDHCP", b"0"),
    (b"sys.config_sn", b""),
    (RING_VOLUME, b"5"),
];

pub struct Config {
    store: Store,
}

impl Config {
    pub const fn new() -> Config {
        Config { store: Store::new(CONFIG.base) }
    }

    /// Loads the store; writes `DEFAULTS` when it is blank. Returns true
    /// when the defaults were written.
    pub fn load(&mut self, nor: &mut impl Nor) -> Result<bool, Error> {
        self.store.load(nor);
        if !self.store.is_blank() {
            return Ok(false);
        }
        self.store.reset_to(nor, DEFAULTS.iter().copied())?;
        Ok(true)
    }

    pub fn get(&self, key: &[u8]) -> Option<&[u8]> {
        self.store.get(key).or_else(|| default(key))
    }

    pub fn set(&mut self, nor: &mut impl Nor, key: &[u8], value: &[u8]) -> Result<(), Error> {
        self.store.set(nor, key, value)
    }

    /// Writes a merged config as one atomic batch (`crate::apply`).
    pub fn set_batch<'k, I>(&mut self, nor: &mut impl Nor, batch: I) -> Result<(), Error>
    where
        I: IntoIterator<Item = flashstore::Op<'k>>,
        I::IntoIter: Clone,
    {
        self.store.set_many(nor, batch)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// `ipp.RingVolume` as 1..=9 (the default when unset or malformed).
    pub fn ring_volume(&self) -> u8 {
        match self.get(RING_VOLUME) {
            Some([d]) if (b'0' + RING_VOLUME_MIN..=b'0' + RING_VOLUME_MAX).contains(d) => d - b'0',
            _ => 5,
        }
    }

    pub fn set_ring_volume(&mut self, nor: &mut impl Nor, volume: u8) -> Result<(), Error> {
        let v = volume.clamp(RING_VOLUME_MIN, RING_VOLUME_MAX);
        self.set(nor, RING_VOLUME, &[b'0' + v])
    }

    pub fn decryption_key(&self) -> &[u8] {
        self.get(DECRYPTION_KEY).unwrap_or_default()
    }

    /// The key as a 16-byte AES key (E1); the default key unless it is exactly 16 bytes.
    pub fn aes_key(&self) -> [u8; aps::ser::KEY_LEN] {
        self.decryption_key().try_into().unwrap_or(aps::ser::DEFAULT_KEY)
    }

    /// `AutoprovisionFlag`: only `0` turns provisioning off.
    pub fn aps_enabled(&self) -> bool {
        self.get(APS_FLAG).is_none_or(|v| v.trim_ascii() != b"0")
    }

    /// The configured number of line 1, if not empty.
    pub fn number(&self) -> Option<&[u8]> {
        self.get(NUMBER).filter(|v| !v.is_empty())
    }

    /// The configured display name of line 1, if not empty.
    pub fn display_name(&self) -> Option<&[u8]> {
        self.get(DISPLAY_NAME).filter(|v| !v.is_empty())
    }
}

impl Default for Config {
    fn default() -> Self {
        Self::new()
    }
}

fn default(key: &[u8]) -> Option<&'static [u8]> {
    DEFAULTS.iter().find(|(k, _)| k.len() == key.len() && k.iter().zip(key).all(|(&a, &b)| flashstore::fold_latin1(a) == flashstore::fold_latin1(b))).map(|&(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use board::map::FLASH_SECTOR;
    use flashstore::NorError;

    /// Flash with just the config partition.
    struct RamNor(Vec<u8>);

    impl RamNor {
        fn new() -> Self {
            RamNor(vec![0xFF; 2 * FLASH_SECTOR as usize])
        }
        fn at(addr: u32) -> usize {
            (addr - CONFIG.base) as usize
        }
    }

    impl Nor for RamNor {
        fn read(&self, addr: u32, buf: &mut [u8]) {
            let a = Self::at(addr);
            buf.copy_from_slice(&self.0[a..a + buf.len()]);
        }
        fn erase_sector(&mut self, addr: u32) -> Result<(), NorError> {
            let a = Self::at(addr);
            self.0[a..a + FLASH_SECTOR as usize].fill(0xFF);
            Ok(())
        }
        fn program(&mut self, addr: u32, data: &[u8]) -> Result<(), NorError> {
            let a = Self::at(addr);
            self.0[a..a + data.len()].iter_mut().zip(data).for_each(|(c, d)| *c &= d);
            Ok(())
        }
    }

    #[test]
    fn blank_store_gets_defaults_once() {
        let mut nor = RamNor::new();
        let mut c = Config::new();
        assert!(c.load(&mut nor).unwrap());
        assert_eq!(c.store().len(), DEFAULTS.len());
        assert_eq!(c.get(b"AUTOPROVISION.decryption_key"), Some(&b"Th0mson2$8s8@9z!"[..]));
        assert_eq!(c.decryption_key(), b"Th0mson2$8s8@9z!");
        assert_eq!(c.get(b"sys.config_sn"), Some(&b""[..]));
        assert_eq!(c.display_name(), None);
        let mut again = Config::new();
        assert!(!again.load(&mut nor).unwrap());
        assert_eq!(again.store().generation(), Some(1));
    }

    #[test]
    fn ring_volume_saved_and_clamped() {
        let mut nor = RamNor::new();
        let mut c = Config::new();
        c.load(&mut nor).unwrap();
        assert_eq!(c.ring_volume(), 5);
        c.set_ring_volume(&mut nor, 6).unwrap();
        let mut r = Config::new();
        r.load(&mut nor).unwrap();
        assert_eq!(r.ring_volume(), 6);
        assert_eq!(r.get(b"ipp.ringvolume"), Some(&b"6"[..]));
        r.set_ring_volume(&mut nor, 42).unwrap();
        assert_eq!(r.ring_volume(), 9);
        r.set(&mut nor, RING_VOLUME, b"x").unwrap();
        assert_eq!(r.ring_volume(), 5);
    }

    #[test]
    fn falls_back_to_defaults_for_missing_keys() {
        let mut nor = RamNor::new();
        let mut c = Config::new();
        c.load(&mut nor).unwrap();
        c.set(&mut nor, DISPLAY_NAME, b"Reception \xC9").unwrap();
        assert_eq!(c.display_name(), Some(&b"Reception \xC9"[..]));
        assert_eq!(c.get(b"net.vlan"), Some(&b"0"[..]));
        assert_eq!(c.get(b"nosuch.key"), None);
    }

    #[test]
    fn a_merged_batch_lands_whole_and_other_keys_stay() {
        let mut nor = RamNor::new();
        let mut c = Config::new();
        c.load(&mut nor).unwrap();
        assert!(c.aps_enabled());
        assert_eq!(c.aes_key(), aps::ser::DEFAULT_KEY);
        let mut arena = [0u8; 512];
        let common = b"[sip]\nDisplayName1=Alice\nTEL1Number=2001\n[autoprovision]\nAutoprovisionFlag=0\nDecryption_Key=short\n[vendor]\nx=1\n";
        let (b, _) = crate::apply::batch(aps::run::apply_entries(Some(common), None), &mut arena);
        c.set_batch(&mut nor, b).unwrap();
        let mut r = Config::new();
        r.load(&mut nor).unwrap();
        assert_eq!((r.display_name(), r.number()), (Some(&b"Alice"[..]), Some(&b"2001"[..])));
        assert!(!r.aps_enabled());
        assert_eq!(r.aes_key(), aps::ser::DEFAULT_KEY, "a key that is not 16 bytes");
        assert_eq!(r.get(b"vendor.X"), Some(&b"1"[..]));
        assert_eq!(r.ring_volume(), 5);
    }
}
