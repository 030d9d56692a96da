//! A merged config (`aps::run::apply_entries`: common overlaid by MAC, F8)
//! as one flashstore batch: every `[section] key=value` becomes the store
//! key `section.key` (the key alone before any section line).
//!
//! The keys are built once into a caller's arena (the firmware lends the
//! free file buffer), and the batch iterator walks the merge again beside
//! it, so nothing else is copied. Entries the store cannot hold (a key or
//! value over 255 bytes) are skipped and counted, never fatal.
//!
//! Guarantees: the batch is the same sequence every time it is cloned
//! (flashstore walks it twice); no panic on any input.

use aps::config::{Entry, Origin};
use flashstore::Op;

const MAX: usize = 255;

fn key_len(e: &Entry) -> usize {
    if e.section.is_empty() { e.key.len() } else { e.section.len() + 1 + e.key.len() }
}

fn storable(e: &Entry) -> bool {
    (1..=MAX).contains(&key_len(e)) && e.value.len() <= MAX
}

/// How the entries were split.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub written: usize,
    pub skipped: usize,
}

/// The batch: see the module doc.
#[derive(Clone)]
pub struct Batch<'k, I> {
    entries: I,
    arena: &'k [u8],
    off: usize,
    left: usize,
}

/// Builds the keys into `arena` and returns the batch and its counts.
pub fn batch<'k, 'b, I>(entries: I, arena: &'k mut [u8]) -> (Batch<'k, I>, Counts)
where
    I: Iterator<Item = (Origin, Entry<'b>)> + Clone,
{
    let mut counts = Counts::default();
    let mut off = 0;
    for (_, e) in entries.clone() {
        let n = key_len(&e);
        if !storable(&e) || off + n > arena.len() {
            counts.skipped += 1;
            continue;
        }
        let k = &mut arena[off..off + n];
        if e.section.is_empty() {
            k.copy_from_slice(e.key);
        } else {
            k[..e.section.len()].copy_from_slice(e.section);
            k[e.section.len()] = b'.';
            k[e.section.len() + 1..].copy_from_slice(e.key);
        }
        off += n;
        counts.written += 1;
    }
    (Batch { entries, arena, off: 0, left: counts.written }, counts)
}

impl<'k, 'b, I> Iterator for Batch<'k, I>
where
    'b: 'k,
    I: Iterator<Item = (Origin, Entry<'b>)>,
{
    type Item = Op<'k>;

    fn next(&mut self) -> Option<Op<'k>> {
        while self.left > 0 {
            let (_, e) = self.entries.next()?;
            let n = key_len(&e);
            if !storable(&e) || self.off + n > self.arena.len() {
                continue;
            }
            let k = &self.arena[self.off..self.off + n];
            self.off += n;
            self.left -= 1;
            return Some(Op::Set(k, e.value));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aps::run::apply_entries;

    #[test]
    fn mac_wins_and_keys_are_section_dot_key() {
        let common = b"[sip]\r\nDisplayName1=Hall\r\nTEL1Number=2000\r\n[sys]\r\nconfig_sn=1\r\n";
        let mac = b"[sys]\nconfig_sn=7\n[SIP]\ndisplayname1=Alice\n";
        let mut arena = [0u8; 256];
        let (b, counts) = batch(apply_entries(Some(common), Some(mac)), &mut arena);
        let ops: Vec<(String, String)> = b
            .clone()
            .map(|op| match op {
                Op::Set(k, v) => (String::from_utf8_lossy(k).into_owned(), String::from_utf8_lossy(v).into_owned()),
                Op::Remove(_) => unreachable!(),
            })
            .collect();
        assert_eq!(ops, [("sip.TEL1Number", "2000"), ("sys.config_sn", "7"), ("SIP.displayname1", "Alice")].map(|(k, v)| (k.to_owned(), v.to_owned())));
        assert_eq!(counts, Counts { written: 3, skipped: 0 });
        assert_eq!(b.count(), 3, "a clone walks the same batch");
    }

    #[test]
    fn long_values_and_a_full_arena_are_skipped_consistently() {
        let long = format!("[a]\nk={}\nx=1\nyy=2\n", "v".repeat(300));
        let mut arena = [0u8; 4];
        let (b, counts) = batch(apply_entries(Some(long.as_bytes()), None), &mut arena);
        assert_eq!(counts, Counts { written: 1, skipped: 2 });
        assert_eq!(b.collect::<Vec<_>>(), [Op::Set(b"a.x", b"1")]);
    }
}
