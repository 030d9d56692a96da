//! The APS log (F12): text lines (`\n`-terminated, ISO-8859-1) in a ring
//! over the two APS_LOG sectors. Each sector starts with a 16-byte header
//! (`"APSL"`, sequence u32 LE, CRC-32 of those 8 bytes, 4 reserved bytes);
//! lines follow back to back up to the first erased byte. When a line does
//! not fit, the older sector is erased and takes the next sequence, so the
//! log keeps between one and two sectors of the newest lines.
//!
//! Guarantees (R1): a power cut loses at most the line being written (a
//! torn line is cut at its first erased byte); a sector whose header is
//! torn is ignored; reading never panics on any contents. A `0xFF` byte in
//! a line is written as `?` (it would read as the end of the log).

use board::image::crc32;
use board::map::{APS_LOG, FLASH_PAGE, FLASH_SECTOR};
use flashstore::{Nor, NorError};

const HEADER: u32 = 16;
const MAGIC: [u8; 4] = *b"APSL";
/// The longest line kept (longer ones are cut).
pub const LINE_MAX: usize = 400;

pub struct ApsLog {
    /// The sector written to (0 or 1) and its sequence, once known.
    active: Option<(u32, u32)>,
    /// Offset of the next line in the active sector.
    at: u32,
    /// The text ends inside a torn line: start the next one on a new line.
    torn: bool,
}

fn sector(i: u32) -> u32 {
    APS_LOG.base + i * FLASH_SECTOR
}

fn seq_of(nor: &impl Nor, i: u32) -> Option<u32> {
    let mut h = [0u8; HEADER as usize];
    nor.read(sector(i), &mut h);
    let seq = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
    (h[0..4] == MAGIC && crc32(&h[0..8]).to_le_bytes() == h[8..12]).then_some(seq)
}

/// Where the text of sector `i` ends (its first erased byte).
fn end_of(nor: &impl Nor, i: u32) -> u32 {
    let mut buf = [0u8; FLASH_PAGE as usize];
    let mut off = HEADER;
    while off < FLASH_SECTOR {
        let n = (FLASH_SECTOR - off).min(FLASH_PAGE) as usize;
        nor.read(sector(i) + off, &mut buf[..n]);
        if let Some(p) = buf[..n].iter().position(|&b| b == 0xFF) {
            return off + p as u32;
        }
        off += n as u32;
    }
    FLASH_SECTOR
}

/// The valid sectors, oldest first.
fn order(nor: &impl Nor) -> heapless::Vec<(u32, u32), 2> {
    let mut v: heapless::Vec<(u32, u32), 2> = [0, 1].into_iter().filter_map(|i| seq_of(nor, i).map(|s| (i, s))).collect();
    if v.len() == 2 && v[0].1.wrapping_sub(v[1].1) < 0x8000_0000 && v[0].1 != v[1].1 {
        v.swap(0, 1);
    }
    v
}

impl ApsLog {
    pub const fn new() -> ApsLog {
        ApsLog { active: None, at: 0, torn: false }
    }

    /// Finds the newest sector and the end of its text.
    pub fn load(&mut self, nor: &impl Nor) {
        self.active = order(nor).last().copied();
        self.at = self.active.map_or(0, |(i, _)| end_of(nor, i));
        let mut last = [b'\n'];
        if let Some((i, _)) = self.active.filter(|_| self.at > HEADER) {
            nor.read(sector(i) + self.at - 1, &mut last);
        }
        self.torn = last[0] != b'\n';
    }

    /// Appends `line` and a `\n`.
    pub fn append(&mut self, nor: &mut impl Nor, line: &[u8]) -> Result<(), NorError> {
        let mut buf = [0u8; LINE_MAX + 2];
        let skip = usize::from(!self.torn);
        buf[0] = b'\n';
        let n = line.len().min(LINE_MAX);
        for (d, &s) in buf[1..].iter_mut().zip(&line[..n]) {
            *d = if s == 0xFF || s == b'\n' { b'?' } else { s };
        }
        buf[n + 1] = b'\n';
        let bytes = &buf[skip..n + 2];
        let fits = self.active.is_some() && self.at + bytes.len() as u32 <= FLASH_SECTOR;
        if !fits {
            self.rotate(nor)?;
        }
        let (i, _) = self.active.ok_or(NorError::Failed)?;
        let mut addr = sector(i) + self.at;
        let mut rest = bytes;
        // Advance first: a failed program leaves bytes that must not be overwritten.
        self.at += bytes.len() as u32;
        self.torn = true;
        while !rest.is_empty() {
            let room = (FLASH_PAGE - addr % FLASH_PAGE) as usize;
            let k = room.min(rest.len());
            nor.program(addr, &rest[..k])?;
            addr += k as u32;
            rest = &rest[k..];
        }
        self.torn = false;
        Ok(())
    }

    /// Erases the older sector and makes it the active one.
    fn rotate(&mut self, nor: &mut impl Nor) -> Result<(), NorError> {
        let (next, seq) = match self.active {
            Some((i, s)) => (1 - i, s.wrapping_add(1)),
            None => (0, 1),
        };
        self.active = None;
        nor.erase_sector(sector(next))?;
        let mut h = [0u8; HEADER as usize];
        h[0..4].copy_from_slice(&MAGIC);
        h[4..8].copy_from_slice(&seq.to_le_bytes());
        let crc = crc32(&h[0..8]);
        h[8..12].copy_from_slice(&crc.to_le_bytes());
        nor.program(sector(next), &h)?;
        self.active = Some((next, seq));
        (self.at, self.torn) = (HEADER, false);
        Ok(())
    }

    /// Every byte of the log, oldest first.
    pub fn bytes(nor: &impl Nor) -> impl Iterator<Item = u8> + '_ {
        order(nor).into_iter().flat_map(move |(i, _)| {
            (HEADER..end_of(nor, i)).map(move |off| {
                let mut b = [0u8];
                nor.read(sector(i) + off, &mut b);
                b[0]
            })
        })
    }

    /// Every byte of the log, oldest first, to `f`.
    pub fn for_each_byte(nor: &impl Nor, mut f: impl FnMut(u8)) {
        let mut buf = [0u8; FLASH_PAGE as usize];
        for (i, _) in order(nor) {
            let end = end_of(nor, i);
            let mut off = HEADER;
            while off < end {
                let n = (end - off).min(FLASH_PAGE) as usize;
                nor.read(sector(i) + off, &mut buf[..n]);
                buf[..n].iter().for_each(|&b| f(b));
                off += n as u32;
            }
        }
    }
}

impl Default for ApsLog {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sim::SimFlash;

    fn text(f: &SimFlash) -> Vec<u8> {
        let mut v = Vec::new();
        ApsLog::for_each_byte(f, |b| v.push(b));
        v
    }

    #[test]
    fn lines_append_and_survive_a_reload() {
        let mut f = SimFlash::new();
        let mut log = ApsLog::new();
        log.load(&f);
        log.append(&mut f, b"Begin Common Config download...").unwrap();
        let mut again = ApsLog::new();
        again.load(&f);
        again.append(&mut f, b"CommonConfig: ComConf2030S.txt download successfully!\xFF").unwrap();
        assert_eq!(text(&f), b"Begin Common Config download...\nCommonConfig: ComConf2030S.txt download successfully!?\n");
        assert_eq!(ApsLog::bytes(&f).collect::<Vec<u8>>(), text(&f));
    }

    #[test]
    fn the_ring_keeps_the_newest_lines() {
        let mut f = SimFlash::new();
        let mut log = ApsLog::new();
        log.load(&f);
        for i in 0..5000 {
            log.append(&mut f, format!("line {i:05} of the APS log, padded to forty").as_bytes()).unwrap();
        }
        let t = String::from_utf8(text(&f)).unwrap();
        assert!(t.ends_with("line 04999 of the APS log, padded to forty\n"));
        assert!(!t.contains("line 00000"));
        let first: usize = t[5..10].parse().unwrap();
        let lines: Vec<_> = t.lines().collect();
        assert!(lines.iter().enumerate().all(|(k, l)| l[5..10].parse::<usize>().unwrap() == first + k), "in order, no gaps");
        assert!(lines.len() > FLASH_SECTOR as usize / 44, "more than one sector kept");
    }

    #[test]
    fn r1_a_torn_line_costs_only_itself() {
        let mut base = SimFlash::new();
        let mut log = ApsLog::new();
        log.load(&base);
        log.append(&mut base, b"first").unwrap();
        let ops0 = base.ops;
        let mut f = SimFlash::new();
        (f.mem, f.ops, f.cut) = (base.mem.clone(), ops0, Some((ops0, 3)));
        let _ = log.append(&mut f, b"second line");
        f.restore();
        let mut l2 = ApsLog::new();
        l2.load(&f);
        l2.append(&mut f, b"third").unwrap();
        assert_eq!(text(&f), b"first\nsec\nthird\n");
    }
}
