//! The flash controller and the NOR array it owns: erase a 64 KiB sector or
//! program up to one 256 B page from SRAM, one operation at a time.
//!
//! Guarantees:
//! - A command is checked when written (sector alignment, length 1..=256, no
//!   page crossing, source inside SRAM, not busy); a bad one sets
//!   `STATUS_ERROR` and changes nothing.
//! - The program data is taken from SRAM when the command is written; the
//!   effect lands in the array only at completion (`ERASE_US`/`PROGRAM_US`
//!   later), which raises `EVENT_FLASH_DONE`. Programming ANDs bits in.
//! - A power cut while busy tears the operation deterministically: the
//!   elapsed fraction of the bytes (from the start of the range) got the full
//!   effect, the next up to `TEAR_GARBAGE` bytes are half-done (erase: random
//!   bits set; program: random bits of the data cleared), the rest is
//!   untouched. The garbage comes from a seeded stream of its own.

use crate::hostmem::HostMem;
use crate::io::{Device, Io};
use board::map::{FLASH, FLASH_PAGE, FLASH_SECTOR};
use board::periph::flashctl::{reg, *};
use board::periph::sysctl::EVENT_FLASH_DONE;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use trace::{Event, FlashOp};

/// Half-done bytes after the cleanly torn prefix.
pub(crate) const TEAR_GARBAGE: usize = 16;

struct Op {
    kind: FlashOp,
    /// Offset into the array.
    off: usize,
    len: usize,
    /// The bytes to program (empty for an erase).
    data: Vec<u8>,
    start: u64,
    done_at: u64,
}

pub(crate) struct FlashCtl {
    pub array: HostMem,
    addr: u32,
    src: u32,
    len: u32,
    error: bool,
    op: Option<Op>,
    tear_rng: ChaCha8Rng,
}

impl FlashCtl {
    pub(crate) fn new(array: HostMem, tear_seed: [u8; 32]) -> FlashCtl {
        FlashCtl { array, addr: 0, src: 0, len: 0, error: false, op: None, tear_rng: ChaCha8Rng::from_seed(tear_seed) }
    }

    /// When the operation in flight completes (emulator µs).
    pub(crate) fn busy_until(&self) -> Option<u64> {
        self.op.as_ref().map(|o| o.done_at)
    }

    /// Lands the operation in flight if it is due at `io.now`. Returns the
    /// changed array range (offsets) so the caller can drop translated code.
    pub(crate) fn complete_due(&mut self, io: &mut Io) -> Option<(usize, usize)> {
        if self.op.as_ref().is_none_or(|o| o.done_at > io.now) {
            return None;
        }
        let op = self.op.take()?;
        self.apply(&op, op.len, 0);
        io.raise(EVENT_FLASH_DONE);
        Some((op.off, op.off + op.len))
    }

    /// Power cut at `now`: a due operation lands whole, one still busy is torn.
    pub(crate) fn power_cut(&mut self, now: u64) -> Option<(usize, usize)> {
        let op = self.op.take()?;
        let total = op.done_at - op.start;
        let elapsed = now.saturating_sub(op.start).min(total);
        let done = (op.len as u64 * elapsed / total.max(1)) as usize;
        let garbage = if done == op.len { 0 } else { TEAR_GARBAGE.min(op.len - done) };
        self.apply(&op, done, garbage);
        Some((op.off, op.off + op.len))
    }

    /// Applies the first `done` bytes fully and the next `garbage` bytes partly.
    fn apply(&mut self, op: &Op, done: usize, garbage: usize) {
        if self.array.get(op.off, op.len).is_none() {
            return;
        }
        let skip = if op.kind == FlashOp::Erase {
            self.array.erase(op.off, done);
            done
        } else {
            0
        };
        let Some(cells) = self.array.get_mut(op.off, op.len) else { return };
        for (i, cell) in cells.iter_mut().enumerate().take(done + garbage).skip(skip) {
            let noise = if i < done { None } else { Some(self.tear_rng.next_u32() as u8) };
            *cell = match (op.kind, noise) {
                (FlashOp::Erase, None) => 0xFF,
                (FlashOp::Erase, Some(n)) => *cell | n,
                (FlashOp::Program, None) => *cell & op.data[i],
                (FlashOp::Program, Some(n)) => *cell & (op.data[i] | n),
            };
        }
    }

    fn start(&mut self, cmd: u32, io: &mut Io) {
        let started = match cmd {
            _ if self.op.is_some() => None,
            CMD_ERASE_SECTOR => self.check_erase().map(|off| (FlashOp::Erase, off, Vec::new(), ERASE_US)),
            CMD_PROGRAM => self.check_program(io).map(|(off, data)| (FlashOp::Program, off, data, PROGRAM_US)),
            _ => None,
        };
        self.error = started.is_none();
        if let Some((kind, off, data, busy)) = started {
            let len = if kind == FlashOp::Erase { FLASH_SECTOR as usize } else { data.len() };
            io.emit(Event::Flash { op: kind, addr: self.addr, len: len as u32 });
            self.op = Some(Op { kind, off, len, data, start: io.now, done_at: io.now + busy });
        }
    }

    fn check_erase(&self) -> Option<usize> {
        (FLASH.contains(self.addr) && self.addr.is_multiple_of(FLASH_SECTOR)).then(|| (self.addr - FLASH.base) as usize)
    }

    fn check_program(&self, io: &Io) -> Option<(usize, Vec<u8>)> {
        let len = self.len;
        let page_end = (self.addr / FLASH_PAGE + 1) as u64 * FLASH_PAGE as u64;
        let ok = (1..=FLASH_PAGE).contains(&len) && FLASH.contains_range(self.addr, len) && self.addr as u64 + len as u64 <= page_end;
        if !ok {
            return None;
        }
        let data = io.sram(self.src, len as usize)?.to_vec();
        Some(((self.addr - FLASH.base) as usize, data))
    }
}

impl Device for FlashCtl {
    fn read(&mut self, off: u32, _io: &mut Io) -> u32 {
        match off {
            reg::ADDR => self.addr,
            reg::SRC => self.src,
            reg::LEN => self.len,
            reg::STATUS => (self.op.is_some() as u32 * STATUS_BUSY) | (self.error as u32 * STATUS_ERROR),
            _ => 0,
        }
    }

    fn write(&mut self, off: u32, _size: usize, value: u32, io: &mut Io) {
        match off {
            reg::ADDR => self.addr = value,
            reg::SRC => self.src = value,
            reg::LEN => self.len = value,
            reg::CMD => self.start(value, io),
            _ => {}
        }
    }

    /// Registers go back to zero; the NOR array finishes an operation in
    /// flight on its own (only a power cut tears it).
    fn reset(&mut self, _io: &mut Io) {
        self.addr = 0;
        self.src = 0;
        self.len = 0;
        self.error = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use board::map::SRAM;

    fn setup() -> (FlashCtl, Io) {
        let array = HostMem::flash(FLASH.len as usize, &[0x0F, 0xF0, 0x55]).unwrap();
        (FlashCtl::new(array, [7; 32]), Io::new("P".into(), HostMem::zeroed(SRAM.len as usize).unwrap()))
    }

    fn cmd(f: &mut FlashCtl, io: &mut Io, addr: u32, src: u32, len: u32, c: u32) -> u32 {
        f.write(reg::ADDR, 4, addr, io);
        f.write(reg::SRC, 4, src, io);
        f.write(reg::LEN, 4, len, io);
        f.write(reg::CMD, 4, c, io);
        f.read(reg::STATUS, io)
    }

    #[test]
    fn program_ands_bits_and_lands_at_completion() {
        let (mut f, mut io) = setup();
        io.sram_mut(SRAM.base, 3).unwrap().copy_from_slice(&[0xFF, 0x3C, 0x00]);
        io.now = 10;
        assert_eq!(cmd(&mut f, &mut io, FLASH.base, SRAM.base, 3, CMD_PROGRAM), STATUS_BUSY);
        io.sram_mut(SRAM.base, 1).unwrap()[0] = 0; // data was taken at the command
        assert_eq!(&f.array.as_slice()[..3], &[0x0F, 0xF0, 0x55], "nothing before completion");
        io.now = 10 + PROGRAM_US - 1;
        assert_eq!(f.complete_due(&mut io), None);
        io.now = 10 + PROGRAM_US;
        assert_eq!(f.complete_due(&mut io), Some((0, 3)));
        assert_eq!(&f.array.as_slice()[..4], &[0x0F, 0x30, 0x00, 0xFF]);
        assert_eq!(io.events, EVENT_FLASH_DONE);
        assert_eq!(f.read(reg::STATUS, &mut io), 0);
        assert_eq!(io.trace[0].event, Event::Flash { op: FlashOp::Program, addr: FLASH.base, len: 3 });
    }

    #[test]
    fn erase_sets_ff_over_one_sector() {
        let (mut f, mut io) = setup();
        f.array.as_mut_slice()[FLASH_SECTOR as usize] = 0;
        assert_eq!(cmd(&mut f, &mut io, FLASH.base, 0, 0, CMD_ERASE_SECTOR), STATUS_BUSY);
        io.now = ERASE_US;
        f.complete_due(&mut io);
        assert!(f.array.as_slice()[..FLASH_SECTOR as usize].iter().all(|&b| b == 0xFF));
        assert_eq!(f.array.as_slice()[FLASH_SECTOR as usize], 0, "next sector untouched");
    }

    #[test]
    fn bad_commands_are_refused() {
        let (mut f, mut io) = setup();
        let s = SRAM.base;
        assert_eq!(cmd(&mut f, &mut io, FLASH.base + 4, s, 0, CMD_ERASE_SECTOR), STATUS_ERROR, "unaligned sector");
        assert_eq!(cmd(&mut f, &mut io, FLASH.end(), s, 0, CMD_ERASE_SECTOR), STATUS_ERROR, "past flash");
        assert_eq!(cmd(&mut f, &mut io, FLASH.base, s, 0, CMD_PROGRAM), STATUS_ERROR, "zero length");
        assert_eq!(cmd(&mut f, &mut io, FLASH.base, s, 257, CMD_PROGRAM), STATUS_ERROR, "longer than a page");
        assert_eq!(cmd(&mut f, &mut io, FLASH.base + 255, s, 2, CMD_PROGRAM), STATUS_ERROR, "crosses a page");
        assert_eq!(cmd(&mut f, &mut io, FLASH.base, SRAM.end() - 1, 2, CMD_PROGRAM), STATUS_ERROR, "source past SRAM");
        assert_eq!(cmd(&mut f, &mut io, FLASH.base, s, 1, 9), STATUS_ERROR, "unknown command");
        assert_eq!(cmd(&mut f, &mut io, FLASH.base + 255, s, 1, CMD_PROGRAM), STATUS_BUSY);
        assert_eq!(cmd(&mut f, &mut io, FLASH.base, s, 1, CMD_PROGRAM), STATUS_BUSY | STATUS_ERROR, "busy");
        assert!(io.trace.len() == 1);
    }

    #[test]
    fn power_cut_tears_an_erase_proportionally() {
        let (mut f, mut io) = setup();
        f.array.as_mut_slice()[..FLASH_SECTOR as usize].fill(0);
        cmd(&mut f, &mut io, FLASH.base, 0, 0, CMD_ERASE_SECTOR);
        assert_eq!(f.power_cut(ERASE_US / 4), Some((0, FLASH_SECTOR as usize)));
        let a = f.array.as_slice();
        let q = FLASH_SECTOR as usize / 4;
        assert!(a[..q].iter().all(|&b| b == 0xFF));
        assert!(a[q..q + TEAR_GARBAGE].iter().any(|&b| b != 0 && b != 0xFF), "half-erased bytes");
        assert!(a[q + TEAR_GARBAGE..FLASH_SECTOR as usize].iter().all(|&b| b == 0));
        assert_eq!(f.read(reg::STATUS, &mut io), 0);
    }

    #[test]
    fn power_cut_tears_a_program_and_only_clears_bits() {
        let (mut f, mut io) = setup();
        io.sram_mut(SRAM.base, 256).unwrap().fill(0x00);
        cmd(&mut f, &mut io, FLASH.base + 256, SRAM.base, 256, CMD_PROGRAM);
        f.power_cut(PROGRAM_US / 2);
        let a = &f.array.as_slice()[256..512];
        assert!(a[..128].iter().all(|&b| b == 0));
        assert!(a[128..144].iter().any(|&b| b != 0 && b != 0xFF));
        assert!(a[144..].iter().all(|&b| b == 0xFF));
        assert_eq!(f.power_cut(PROGRAM_US), None, "nothing in flight any more");
    }

    #[test]
    fn the_same_tear_twice_gives_the_same_bytes() {
        let run = || {
            let (mut f, mut io) = setup();
            cmd(&mut f, &mut io, FLASH.base, 0, 0, CMD_ERASE_SECTOR);
            f.array.as_mut_slice()[..FLASH_SECTOR as usize].fill(0);
            f.power_cut(1234);
            f.array.as_slice()[..FLASH_SECTOR as usize].to_vec()
        };
        assert_eq!(run(), run());
    }
}
