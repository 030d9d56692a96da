//! Writes config keys into a flash image's config store on the host, as the
//! firmware would have stored them (`section.key` records of the
//! `flashstore` journal in the CONFIG partition), so a phone powers on
//! already configured. The firmware's factory defaults still answer for
//! every key not written.
//!
//! Guarantees: only the CONFIG partition changes; keys already in the
//! image's store stay unless written again; all keys land in one record.

use board::map::{CONFIG, FLASH, FLASH_SECTOR};
use flashstore::{Nor, NorError, Op, Store};

/// A whole flash image as NOR flash (addresses are CPU addresses).
struct Image<'a>(&'a mut [u8]);

impl Image<'_> {
    fn range(&self, addr: u32, len: usize) -> Result<std::ops::Range<usize>, NorError> {
        let at = addr.checked_sub(FLASH.base).ok_or(NorError::Refused)? as usize;
        (at.checked_add(len).is_some_and(|end| end <= self.0.len())).then_some(at..at + len).ok_or(NorError::Refused)
    }
}

impl Nor for Image<'_> {
    fn read(&self, addr: u32, buf: &mut [u8]) {
        match self.range(addr, buf.len()) {
            Ok(r) => buf.copy_from_slice(&self.0[r]),
            Err(_) => buf.fill(0xff),
        }
    }
    fn erase_sector(&mut self, addr: u32) -> Result<(), NorError> {
        let r = self.range(addr, FLASH_SECTOR as usize)?;
        self.0[r].fill(0xff);
        Ok(())
    }
    fn program(&mut self, addr: u32, data: &[u8]) -> Result<(), NorError> {
        let r = self.range(addr, data.len())?;
        self.0[r].iter_mut().zip(data).for_each(|(f, d)| *f &= d);
        Ok(())
    }
}

/// Sets `keys` in the config store of `flash` (a whole image).
pub fn write_config(flash: &mut [u8], keys: &[(String, Vec<u8>)]) -> Result<(), flashstore::Error> {
    if keys.is_empty() {
        return Ok(());
    }
    let mut img = Image(flash);
    let mut store: Store = Store::open(&img, CONFIG.base);
    store.set_many(&mut img, keys.iter().map(|(k, v)| Op::Set(k.as_bytes(), v.as_slice())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blank() -> Vec<u8> {
        vec![0xff; FLASH.len as usize]
    }

    #[test]
    fn keys_land_in_the_config_partition_and_read_back() {
        let mut flash = blank();
        let keys = vec![("sip.DisplayName1".to_string(), b"J\xfcrgen".to_vec()), ("autoprovision.AutoprovisionHTTPServer".to_string(), b"10.0.0.1".to_vec())];
        write_config(&mut flash, &keys).unwrap();
        let cfg = (CONFIG.base - FLASH.base) as usize..(CONFIG.base - FLASH.base + CONFIG.len) as usize;
        assert!(flash[..cfg.start].iter().chain(&flash[cfg.end..]).all(|&b| b == 0xff), "only CONFIG changed");
        let img = Image(&mut flash);
        let store: Store = Store::open(&img, CONFIG.base);
        assert_eq!(store.get(b"SIP.displayname1"), Some(&b"J\xfcrgen"[..]));
        assert_eq!(store.get(b"autoprovision.AutoprovisionHTTPServer"), Some(&b"10.0.0.1"[..]));
        assert_eq!(store.len(), 2);
    }

    #[test]
    fn a_second_write_keeps_the_first_keys_and_nothing_is_a_no_op() {
        let mut flash = blank();
        write_config(&mut flash, &[("a.b".into(), b"1".to_vec())]).unwrap();
        write_config(&mut flash, &[("c.d".into(), b"2".to_vec()), ("a.b".into(), b"3".to_vec())]).unwrap();
        let before = flash.clone();
        write_config(&mut flash, &[]).unwrap();
        assert_eq!(flash, before);
        let img = Image(&mut flash);
        let store: Store = Store::open(&img, CONFIG.base);
        assert_eq!((store.get(b"a.b"), store.get(b"c.d")), (Some(&b"3"[..]), Some(&b"2"[..])));
    }

    #[test]
    fn a_too_long_value_is_an_error() {
        let mut flash = blank();
        assert!(write_config(&mut flash, &[("a.b".into(), vec![b'x'; 300])]).is_err());
    }
}
