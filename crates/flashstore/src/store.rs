//! The store: the RAM map kept equal to what `load` would read back from
//! flash, and the write paths (append one record, or compact into the other
//! sector) that keep it so across power cuts.
//!
//! Guarantees: every public write either returns `Ok` with RAM and flash
//! agreeing on the new state, or returns `Err` after reloading RAM from
//! flash (which then holds the old state, or the new one if only the
//! read-back check failed). A write never leaves a state that mixes the old
//! and new values of one call.

use crate::format::*;
use crate::map::{Iter, Map};
use crate::nor::{Nor, NorError};
use board::image::crc32_update;
use board::map::{FLASH_PAGE, FLASH_SECTOR};

/// The default capacity of the RAM map, in bytes (2 bytes per entry plus
/// its key and value).
pub const DEFAULT_BYTES: usize = 24 * 1024;

const PAGE: usize = FLASH_PAGE as usize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("key is empty or longer than {MAX_KEY} bytes")]
    BadKey,
    #[error("value is longer than {MAX_VALUE} bytes")]
    BadValue,
    #[error("the store is full")]
    Full,
    #[error("flash: {0}")]
    Nor(#[from] NorError),
    #[error("flash reads back other bytes than were programmed")]
    Verify,
}

/// One change of a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op<'a> {
    Set(&'a [u8], &'a [u8]),
    Remove(&'a [u8]),
}

impl Op<'_> {
    fn parts(&self) -> (u8, &[u8], &[u8]) {
        match *self {
            Op::Set(k, v) => (OP_SET, k, v),
            Op::Remove(k) => (OP_REMOVE, k, &[]),
        }
    }
}

/// A key/value store over the two sectors at `base` and `base + FLASH_SECTOR`.
pub struct Store<const BYTES: usize = DEFAULT_BYTES> {
    base: u32,
    /// The sector (0 or 1) holding the newest valid header, if any.
    active: Option<u32>,
    generation: u32,
    /// Offset in the active sector where the next record goes.
    write_off: u32,
    /// The active sector has non-erased bytes after its last good record
    /// (a torn write): the next write must compact instead of appending.
    dirty: bool,
    map: Map<BYTES>,
}

impl<const BYTES: usize> Store<BYTES> {
    /// A snapshot of a full map (3-byte entries at worst, one byte more per
    /// op than per entry) must fit in one sector.
    const SNAPSHOT_FITS: () = assert!(BYTES + BYTES / 3 <= MAX_BODY as usize, "store capacity exceeds one sector");

    /// An empty, unloaded store (const, so it can live in a `static`).
    pub const fn new(base: u32) -> Self {
        let () = Self::SNAPSHOT_FITS;
        Store { base, active: None, generation: 0, write_off: 0, dirty: false, map: Map::new() }
    }

    /// A store loaded from `nor`.
    pub fn open(nor: &impl Nor, base: u32) -> Self {
        let mut s = Self::new(base);
        s.load(nor);
        s
    }

    /// True when neither sector holds a valid header (blank or never written).
    pub fn is_blank(&self) -> bool {
        self.active.is_none()
    }

    /// The generation of the active sector (`None` when blank).
    pub fn generation(&self) -> Option<u32> {
        self.active.map(|_| self.generation)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.len() == 0
    }

    /// Bytes of the capacity in use.
    pub fn used(&self) -> usize {
        self.map.used()
    }

    pub fn get(&self, key: &[u8]) -> Option<&[u8]> {
        self.map.get(key)
    }

    /// Every `(key, value)`, keys spelled as last written.
    pub fn iter(&self) -> Iter<'_> {
        self.map.iter()
    }

    /// (Re)reads the state from flash: the valid sector with the highest
    /// generation, then its records up to the first erased, torn or corrupt one.
    pub fn load(&mut self, nor: &impl Nor) {
        self.map.clear();
        self.active = None;
        self.generation = 0;
        self.write_off = 0;
        self.dirty = false;
        let gens = [0, 1].map(|i| {
            let mut h = [0u8; SECTOR_HEADER_LEN as usize];
            nor.read(self.sector(i), &mut h);
            decode_sector_header(&h)
        });
        let (active, generation) = match gens {
            [Some(a), Some(b)] if newer(b, a) => (1, b),
            [Some(a), _] => (0, a),
            [None, Some(b)] => (1, b),
            [None, None] => return,
        };
        self.active = Some(active);
        self.generation = generation;
        let sector = self.sector(active);
        let mut off = SECTOR_HEADER_LEN;
        while off + RECORD_HEAD_LEN <= FLASH_SECTOR {
            let mut head = [0u8; RECORD_HEAD_LEN as usize];
            nor.read(sector + off, &mut head);
            let Head::Record { body_len, crc } = decode_record_head(&head) else { break };
            let body = sector + off + RECORD_HEAD_LEN;
            let end = off + RECORD_HEAD_LEN + body_len as u32;
            if end > FLASH_SECTOR || body_crc(nor, body_len, body) != crc || !well_formed(nor, body, body_len) {
                break;
            }
            if replay(&mut self.map, nor, body, body_len).is_err() {
                break;
            }
            off = end;
        }
        self.write_off = off;
        self.dirty = !nor.is_erased(sector + off, FLASH_SECTOR - off);
    }

    /// Sets one key (one record).
    pub fn set(&mut self, nor: &mut impl Nor, key: &[u8], value: &[u8]) -> Result<(), Error> {
        self.set_many(nor, core::iter::once(Op::Set(key, value)))
    }

    /// Removes one key; removing an absent key writes nothing.
    pub fn remove(&mut self, nor: &mut impl Nor, key: &[u8]) -> Result<(), Error> {
        if self.get(key).is_none() {
            return Ok(());
        }
        self.set_many(nor, core::iter::once(Op::Remove(key)))
    }

    /// Applies a batch atomically: after a power cut, either every op or none
    /// is loaded. Ops apply in order (a later op on the same key wins).
    pub fn set_many<'a, I>(&mut self, nor: &mut impl Nor, ops: I) -> Result<(), Error>
    where
        I: IntoIterator<Item = Op<'a>>,
        I::IntoIter: Clone,
    {
        let ops = ops.into_iter();
        let mut body = 0u32;
        for op in ops.clone() {
            let (_, k, v) = op.parts();
            check(k, v)?;
            body = body.saturating_add(op_len(k.len(), v.len()));
        }
        if body == 0 {
            return Ok(());
        }
        for op in ops.clone() {
            let applied = match op {
                Op::Set(k, v) => self.map.set(k, v).is_ok(),
                Op::Remove(k) => {
                    self.map.remove(k);
                    true
                }
            };
            if !applied {
                self.load(nor);
                return Err(Error::Full);
            }
        }
        let result = match self.active {
            Some(i) if !self.dirty && self.write_off + RECORD_HEAD_LEN + body <= FLASH_SECTOR => {
                write_record(nor, self.sector(i) + self.write_off, body, ops).map(|()| self.write_off += RECORD_HEAD_LEN + body)
            }
            _ => self.compact(nor),
        };
        if result.is_err() {
            self.load(nor);
        }
        result
    }

    /// Replaces the whole state with `defaults`, atomically (a snapshot in
    /// the other sector).
    pub fn reset_to<'a, I>(&mut self, nor: &mut impl Nor, defaults: I) -> Result<(), Error>
    where
        I: IntoIterator<Item = (&'a [u8], &'a [u8])>,
    {
        self.map.clear();
        for (k, v) in defaults {
            let r = check(k, v).and_then(|()| self.map.set(k, v).map_err(|_| Error::Full));
            if let Err(e) = r {
                self.load(nor);
                return Err(e);
            }
        }
        let result = self.compact(nor);
        if result.is_err() {
            self.load(nor);
        }
        result
    }

    /// Writes the RAM map as a snapshot into the other sector, header last.
    fn compact(&mut self, nor: &mut impl Nor) -> Result<(), Error> {
        let target = self.active.map_or(0, |i| 1 - i);
        let generation = self.active.map_or(1, |_| self.generation.wrapping_add(1));
        let sector = self.sector(target);
        nor.erase_sector(sector)?;
        let mut off = SECTOR_HEADER_LEN;
        if !self.map.is_empty() {
            let body: u32 = self.map.iter().map(|(k, v)| op_len(k.len(), v.len())).sum();
            write_record(nor, sector + off, body, self.map.iter().map(|(k, v)| Op::Set(k, v)))?;
            off += RECORD_HEAD_LEN + body;
        }
        program_all(nor, sector, &encode_sector_header(generation))?;
        self.active = Some(target);
        self.generation = generation;
        self.write_off = off;
        self.dirty = false;
        Ok(())
    }

    fn sector(&self, i: u32) -> u32 {
        self.base + i * FLASH_SECTOR
    }
}

/// Serial-number comparison, so generations keep ordering across a wrap.
fn newer(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

fn check(k: &[u8], v: &[u8]) -> Result<(), Error> {
    if k.is_empty() || k.len() > MAX_KEY {
        return Err(Error::BadKey);
    }
    if v.len() > MAX_VALUE {
        return Err(Error::BadValue);
    }
    Ok(())
}

fn body_crc(nor: &impl Nor, body_len: u16, mut addr: u32) -> u32 {
    let mut state = crc32_update(!0, &record_prefix(body_len));
    let mut left = body_len as usize;
    let mut buf = [0u8; PAGE];
    while left > 0 {
        let n = left.min(PAGE);
        nor.read(addr, &mut buf[..n]);
        state = crc32_update(state, &buf[..n]);
        addr += n as u32;
        left -= n;
    }
    !state
}


/// Walks the ops of a body; calls `f(op, key, value)` for each. Fails on a
/// malformed op (bad code, empty key, or running past the body).
fn walk_ops(nor: &impl Nor, mut addr: u32, body_len: u16, mut f: impl FnMut(u8, &[u8], &[u8]) -> bool) -> bool {
    let end = addr + body_len as u32;
    let (mut key, mut value) = ([0u8; MAX_KEY], [0u8; MAX_VALUE]);
    while addr < end {
        if end - addr < OP_HEAD_LEN as u32 {
            return false;
        }
        let mut h = [0u8; OP_HEAD_LEN];
        nor.read(addr, &mut h);
        let (k, v) = (h[1] as usize, h[2] as usize);
        let len = op_len(k, v);
        if k == 0 || end - addr < len || !(h[0] == OP_SET || (h[0] == OP_REMOVE && v == 0)) {
            return false;
        }
        nor.read(addr + OP_HEAD_LEN as u32, &mut key[..k]);
        nor.read(addr + (OP_HEAD_LEN + k) as u32, &mut value[..v]);
        if !f(h[0], &key[..k], &value[..v]) {
            return false;
        }
        addr += len;
    }
    true
}

fn well_formed(nor: &impl Nor, addr: u32, body_len: u16) -> bool {
    walk_ops(nor, addr, body_len, |_, _, _| true)
}

/// Applies a record's ops. Only fails when the map is smaller than the one
/// that wrote the record (the writer checked the ops fit its own map).
fn replay<const BYTES: usize>(map: &mut Map<BYTES>, nor: &impl Nor, addr: u32, body_len: u16) -> Result<(), ()> {
    let ok = walk_ops(nor, addr, body_len, |op, k, v| {
        if op == OP_SET {
            map.set(k, v).is_ok()
        } else {
            map.remove(k);
            true
        }
    });
    if ok { Ok(()) } else { Err(()) }
}

/// Programs a record at `at`: the body first, then the head that commits it.
fn write_record<'a>(nor: &mut impl Nor, at: u32, body: u32, ops: impl Iterator<Item = Op<'a>>) -> Result<(), Error> {
    let body_len = body as u16;
    let prefix = record_prefix(body_len);
    let mut crc = crc32_update(!0, &prefix);
    let mut w = PageWriter::new(at + RECORD_HEAD_LEN);
    for op in ops {
        let (code, k, v) = op.parts();
        let h = [code, k.len() as u8, v.len() as u8];
        for part in [&h[..], k, v] {
            crc = crc32_update(crc, part);
            w.push(nor, part)?;
        }
    }
    w.flush(nor)?;
    let mut head = [0u8; RECORD_HEAD_LEN as usize];
    head[0..4].copy_from_slice(&prefix);
    head[4..8].copy_from_slice(&(!crc).to_le_bytes());
    program_all(nor, at, &head)
}

fn program_all(nor: &mut impl Nor, at: u32, data: &[u8]) -> Result<(), Error> {
    let mut w = PageWriter::new(at);
    w.push(nor, data)?;
    w.flush(nor)
}

/// Gathers a byte stream into page-bounded program calls, checking each by
/// reading it back.
struct PageWriter {
    start: u32,
    buf: [u8; PAGE],
    len: usize,
}

impl PageWriter {
    fn new(start: u32) -> Self {
        PageWriter { start, buf: [0; PAGE], len: 0 }
    }

    fn room(&self) -> usize {
        PAGE - (self.start as usize % PAGE) - self.len
    }

    fn push(&mut self, nor: &mut impl Nor, mut data: &[u8]) -> Result<(), Error> {
        while !data.is_empty() {
            let n = self.room().min(data.len());
            self.buf[self.len..self.len + n].copy_from_slice(&data[..n]);
            self.len += n;
            data = &data[n..];
            if self.room() == 0 {
                self.flush(nor)?;
            }
        }
        Ok(())
    }

    fn flush(&mut self, nor: &mut impl Nor) -> Result<(), Error> {
        if self.len == 0 {
            return Ok(());
        }
        let data = &self.buf[..self.len];
        nor.program(self.start, data)?;
        let mut back = [0u8; PAGE];
        nor.read(self.start, &mut back[..self.len]);
        if back[..self.len] != *data {
            return Err(Error::Verify);
        }
        self.start += self.len as u32;
        self.len = 0;
        Ok(())
    }
}

#[cfg(test)]
impl<const BYTES: usize> Store<BYTES> {
    pub(crate) fn write_off_test(&self) -> u32 {
        self.write_off
    }
}
