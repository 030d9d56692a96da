//! The in-RAM map: entries packed back to back in a fixed byte arena,
//! `key length, value length, key, value`.
//!
//! Hand-rolled rather than `heapless::IndexMap` because entries are of very
//! different sizes (a 3-byte `sys.VLAN=0` beside a 255-byte URL): packing
//! them keeps the capacity in bytes instead of reserving 510 bytes per slot.
//!
//! Guarantees: a failed `set` leaves the map unchanged; keys are unique under
//! `fold_latin1` case folding; the arena never holds a partial entry.

use crate::format::{MAX_KEY, MAX_VALUE};

/// Lower-cases ASCII and ISO-8859-1 letters (`À`..`Þ` except `×`).
pub const fn fold_latin1(b: u8) -> u8 {
    match b {
        b'A'..=b'Z' => b + 0x20,
        0xC0..=0xDE if b != 0xD7 => b + 0x20,
        _ => b,
    }
}

pub fn keys_equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(&x, &y)| fold_latin1(x) == fold_latin1(y))
}

const ENTRY_HEAD: usize = 2;

/// The map is full: the entry does not fit in the arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full;

pub struct Map<const BYTES: usize> {
    arena: [u8; BYTES],
    used: usize,
    count: usize,
}

impl<const BYTES: usize> Map<BYTES> {
    pub const fn new() -> Self {
        Map { arena: [0; BYTES], used: 0, count: 0 }
    }

    pub fn clear(&mut self) {
        self.used = 0;
        self.count = 0;
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Bytes used in the arena.
    pub fn used(&self) -> usize {
        self.used
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter { rest: &self.arena[..self.used] }
    }

    /// Start offset and total length of the entry for `key`.
    fn find(&self, key: &[u8]) -> Option<(usize, usize)> {
        let mut off = 0;
        for (k, v) in self.iter() {
            let len = ENTRY_HEAD + k.len() + v.len();
            if keys_equal(k, key) {
                return Some((off, len));
            }
            off += len;
        }
        None
    }

    pub fn get(&self, key: &[u8]) -> Option<&[u8]> {
        self.find(key).map(|(off, len)| {
            let klen = self.arena[off] as usize;
            &self.arena[off + ENTRY_HEAD + klen..off + len]
        })
    }

    /// Inserts or replaces. The caller has checked the key and value sizes.
    pub fn set(&mut self, key: &[u8], value: &[u8]) -> Result<(), Full> {
        debug_assert!(!key.is_empty() && key.len() <= MAX_KEY && value.len() <= MAX_VALUE);
        let need = ENTRY_HEAD + key.len() + value.len();
        let old = self.find(key);
        let freed = old.map_or(0, |(_, len)| len);
        if self.used - freed + need > BYTES {
            return Err(Full);
        }
        if let Some((off, len)) = old {
            self.cut(off, len);
        }
        let at = self.used;
        self.arena[at] = key.len() as u8;
        self.arena[at + 1] = value.len() as u8;
        self.arena[at + ENTRY_HEAD..at + ENTRY_HEAD + key.len()].copy_from_slice(key);
        self.arena[at + ENTRY_HEAD + key.len()..at + need].copy_from_slice(value);
        self.used += need;
        self.count += 1;
        Ok(())
    }

    /// Removes `key`; true when it was present.
    pub fn remove(&mut self, key: &[u8]) -> bool {
        match self.find(key) {
            Some((off, len)) => {
                self.cut(off, len);
                true
            }
            None => false,
        }
    }

    fn cut(&mut self, off: usize, len: usize) {
        self.arena.copy_within(off + len..self.used, off);
        self.used -= len;
        self.count -= 1;
    }
}

impl<const BYTES: usize> Default for Map<BYTES> {
    fn default() -> Self {
        Self::new()
    }
}

/// Iterates `(key, value)` in insertion order (a replaced key moves last).
pub struct Iter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        let (&k, rest) = self.rest.split_first()?;
        let (&v, rest) = rest.split_first()?;
        let (key, rest) = rest.split_at(k as usize);
        let (value, rest) = rest.split_at(v as usize);
        self.rest = rest;
        Some((key, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_entries_and_replaces_case_insensitively() {
        let mut m = Map::<32>::new();
        m.set(b"sys.VLAN", b"0").unwrap();
        m.set(b"ipp.Ring", b"5").unwrap();
        assert_eq!(&m.arena[..m.used], b"\x08\x01sys.VLAN0\x08\x01ipp.Ring5");
        m.set(b"SYS.vlan", b"12").unwrap();
        assert_eq!(&m.arena[..m.used], b"\x08\x01ipp.Ring5\x08\x02SYS.vlan12");
        assert_eq!(m.get(b"sys.VLAN"), Some(&b"12"[..]));
        assert_eq!(m.len(), 2);
        assert!(m.remove(b"IPP.RING"));
        assert!(!m.remove(b"ipp.ring"));
        assert_eq!(m.iter().collect::<Vec<_>>(), [(&b"SYS.vlan"[..], &b"12"[..])]);
    }

    #[test]
    fn full_leaves_map_unchanged() {
        let mut m = Map::<16>::new();
        m.set(b"a.b", b"0123456").unwrap(); // 12 bytes
        assert_eq!(m.set(b"c.d", b"x"), Err(Full));
        assert_eq!(m.set(b"a.b", b"012345678901"), Err(Full));
        assert_eq!(m.get(b"a.b"), Some(&b"0123456"[..]));
        m.set(b"A.B", b"0123456789a").unwrap(); // replacing frees the old entry first
        assert_eq!(m.used(), 16);
    }

    #[test]
    fn latin1_folding() {
        assert_eq!(fold_latin1(b'Q'), b'q');
        assert_eq!(fold_latin1(0xC9), 0xE9); // É -> é
        assert_eq!(fold_latin1(0xD7), 0xD7); // × has no lower case
        assert_eq!(fold_latin1(0xDF), 0xDF); // ß
        assert!(keys_equal(b"net.\xC9T\xC9", b"NET.\xE9t\xE9"));
        assert!(!keys_equal(b"net.a", b"net.ab"));
    }
}
