//! The cores of one host thread, shared by every phone that runs on it:
//! code translated for one phone is reused by the next one whose bytes are
//! the same, so a thousand phones translate their firmware about once
//! instead of a thousand times.
//!
//! Guarantees:
//! - A phone runs on a core only when, for every flash or boot-window page
//!   the core holds translations for, the phone's bytes there have the
//!   signature the translations were made from (`pagesig`); the boot ROM is
//!   part of the core's identity. Otherwise another core is taken, a new one
//!   made (up to [`MAX_CORES`]), or the least recently used one has all its
//!   translations dropped.
//! - Each phone starts every slice from the fresh-reset CPU context with its
//!   own registers loaded (`regs`), except when the core's last slice was
//!   the same phone with nothing changed since: then the core is exactly as
//!   that slice left it. Either way the guest sees the same machine, so
//!   results do not depend on which phones share a thread.
//! - Cores live in a thread-local pool and die with their thread.

use crate::cpu::Cpu;
use crate::error::MachineError;
use crate::pagesig::{PAGE, PageSigs};
use crate::periph::Board;
use crate::regs::Regs;
use board::map::{BOOT_WINDOW, FLASH, SLOT_LEN};
use std::cell::RefCell;
use std::collections::HashMap;

/// At most this many cores per thread (one per distinct firmware image in
/// the boot window, in practice: a swarm's factory and upgrade images of
/// each model; all four models provisioning at once use 8).
pub(crate) const MAX_CORES: usize = 16;

/// A core remembers this many phones that fitted it (ids are never reused,
/// so a long-lived thread that makes machine after machine starts over).
const FITTED_MAX: usize = 1 << 20;

/// What a phone brings to a slice.
pub(crate) struct Slice<'a> {
    /// Unique per machine (never reused in the process).
    pub id: u64,
    /// Changes whenever the phone's flash bytes or boot-window slot change.
    pub epoch: u64,
    /// The stamp of the phone's last slice (unique in the process; 0: none).
    pub stamp: &'a mut u64,
    pub rom: &'a [u8],
    pub rom_id: u64,
    pub code_buffer: u32,
    pub board: &'a mut Box<Board>,
    pub regs: &'a mut Regs,
    pub sigs: &'a mut PageSigs,
}

impl Slice<'_> {
    /// The phone's flash page behind guest code page `page`.
    fn flash_page(&self, page: u32) -> Option<u32> {
        if FLASH.contains(page) {
            Some((page - FLASH.base) / PAGE as u32)
        } else if BOOT_WINDOW.contains(page) {
            Some((self.board.sysctl.slot * SLOT_LEN + (page - BOOT_WINDOW.base)) / PAGE as u32)
        } else {
            None
        }
    }

    fn sig(&mut self, page: u32) -> Option<u64> {
        let p = self.flash_page(page)?;
        self.sigs.sig(self.board.flash.array.as_slice(), p)
    }
}

struct Core {
    cpu: Cpu,
    rom_id: u64,
    code_buffer: u32,
    /// Guest code pages holding translations → the signature of the bytes
    /// they were translated from.
    code: HashMap<u32, u64>,
    /// The phone (id, epoch, stamp of its slice) whose state the CPU still
    /// holds: its last slice ran here and it has not run anywhere since.
    holds: Option<(u64, u64, u64)>,
    last_used: u64,
    /// Bumped whenever `code` changes.
    generation: u64,
    /// Phone id → (epoch, generation) at which it last fitted: it still
    /// does while neither changed (its signatures change only with its
    /// epoch, the core's only with `code`).
    fitted: HashMap<u64, (u64, u64)>,
}

impl Core {
    fn new(s: &Slice<'_>) -> Result<Core, MachineError> {
        let cpu = Cpu::new(Box::new(Board::placeholder()?), s.rom, s.code_buffer)?;
        Ok(Core { cpu, rom_id: s.rom_id, code_buffer: s.code_buffer, code: HashMap::new(), holds: None, last_used: 0, generation: 0, fitted: HashMap::new() })
    }

    fn fits(&mut self, s: &mut Slice<'_>) -> bool {
        if self.rom_id != s.rom_id || self.code_buffer != s.code_buffer {
            return false;
        }
        if self.fitted.get(&s.id) == Some(&(s.epoch, self.generation)) {
            return true;
        }
        let fits = self.code.iter().all(|(&page, &sig)| s.sig(page) == Some(sig));
        if fits {
            if self.fitted.len() >= FITTED_MAX {
                self.fitted.clear();
            }
            self.fitted.insert(s.id, (s.epoch, self.generation));
        }
        fits
    }

    /// Notes code translated from `page` of phone `s` (which fits).
    fn translated(&mut self, s: &mut Slice<'_>, page: u32) {
        // A page already held has this phone's signature: it fitted.
        if !self.code.contains_key(&page)
            && let Some(sig) = s.sig(page)
        {
            self.code.insert(page, sig);
            self.generation += 1;
        }
    }

    fn forget_code(&mut self) -> Result<(), MachineError> {
        self.cpu.drop_code()?;
        self.code.clear();
        self.generation += 1;
        Ok(())
    }
}

#[derive(Default)]
struct Pool {
    cores: Vec<Core>,
    clock: u64,
}

static NEXT_STAMP: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

thread_local! {
    static POOL: RefCell<Pool> = RefCell::new(Pool::default());
}

impl Pool {
    /// The core `s` runs on, made ready for it (memory, registers).
    fn take(&mut self, s: &mut Slice<'_>) -> Result<usize, MachineError> {
        self.clock += 1;
        let me = Some((s.id, s.epoch, *s.stamp));
        if *s.stamp != 0
            && let Some(i) = self.cores.iter().position(|c| c.holds == me)
        {
            if matches!(s.regs, Regs::Reset { .. }) {
                self.cores[i].cpu.load(s.regs)?;
            }
            self.cores[i].last_used = self.clock;
            return Ok(i);
        }
        let i = match self.cores.iter_mut().position(|c| c.fits(s)) {
            Some(i) => i,
            None if self.cores.len() < MAX_CORES => {
                self.cores.push(Core::new(s)?);
                self.cores.len() - 1
            }
            None => {
                let (i, _) = self.cores.iter().enumerate().min_by_key(|(_, c)| c.last_used).expect("MAX_CORES > 0");
                if (self.cores[i].rom_id, self.cores[i].code_buffer) != (s.rom_id, s.code_buffer) {
                    self.cores[i] = Core::new(s)?;
                } else {
                    self.cores[i].forget_code()?;
                }
                i
            }
        };
        let core = &mut self.cores[i];
        core.holds = None;
        core.cpu.attach(s.board, s.regs)?;
        core.last_used = self.clock;
        Ok(i)
    }
}

/// Runs phone `s` until it stops (as `Cpu::run`), on a core of this thread.
/// Its registers are saved in `s.regs` after.
pub(crate) fn run(s: &mut Slice<'_>, timeout_us: u64) -> Result<(Result<(), unicorn_engine::uc_error>, bool), MachineError> {
    POOL.with_borrow_mut(|pool| {
        let i = pool.take(s)?;
        let core = &mut pool.cores[i];
        core.holds = None;
        std::mem::swap(core.cpu.uc.get_data_mut(), s.board);
        let out = core.cpu.run(timeout_us);
        std::mem::swap(core.cpu.uc.get_data_mut(), s.board);
        let saved = core.cpu.save();
        let fetched = std::mem::take(&mut s.board.fetched);
        for page in fetched {
            core.translated(s, page);
        }
        *s.regs = saved?;
        *s.stamp = NEXT_STAMP.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        core.holds = Some((s.id, s.epoch, *s.stamp));
        Ok(out)
    })
}

/// How many cores this host thread holds (for tests and measurements).
pub fn thread_cores() -> usize {
    POOL.with_borrow(|pool| pool.cores.len())
}
