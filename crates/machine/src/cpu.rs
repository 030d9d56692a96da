//! One unicorn instance (a "core") with the board's memory map and hooks.
//! A core runs one phone at a time; many phones take turns on it (`pool`)
//! so that code translated for one is reused by the next.
//!
//! Guarantees:
//! - Memory: boot ROM read+execute, flash and the boot window read+execute
//!   (both views of the running phone's flash), SRAM read+write and never
//!   execute, the peripheral blocks through MMIO. Anything else faults, and
//!   the TLB hook records what was tried (`Board::fault`) before unicorn stops.
//! - The TLB grants execute permission only on an instruction fetch, and
//!   every such fill of a flash or boot-window page is noted in
//!   `Board::fetched`: so the pages a core holds translations for are known
//!   (`pool` checks them against the next phone's bytes).
//! - No memory hook covers RAM (it would slow every store): faults are seen
//!   by the TLB fill hook only.
//! - `svc`, `bkpt` and any other CPU exception stop the CPU from the
//!   interrupt hook with `Board::trap` set; MMIO callbacks never stop it.
//! - `attach` points the core's SRAM, flash and boot window at a phone's own
//!   host memory (patched unicorn `uc_mem_set_ptr`: the regions keep their
//!   identity, hence their translations), flushes the TLB and loads the
//!   phone's registers on top of the fresh-reset context.

use crate::codebuf::{CodeBuf, Watch};
use crate::regs::Regs;
use crate::error::MachineError;
use crate::periph::{Board, Fault, MAPPED_LEN};
use board::map::{BOOT_ROM, BOOT_WINDOW, FLASH, PERIPH, SRAM, SLOT_LEN};
use unicorn_engine::unicorn_const::{Arch, ControlType, MemType, Mode, Prot, TlbEntry, TlbType};
use unicorn_engine::{ArmCpuModel, Context, Unicorn};

/// The default translation buffer of a core. Every phone running on a core
/// shares it: one firmware image is ≈4,200 blocks, ≈3.2 MiB of host code,
/// and a swarm's cores hold one or two images each. Pages are touched only
/// as code is translated.
pub(crate) const TCG_BUFFER: u32 = 32 << 20;
/// Unicorn's minimum (smaller values are rounded up to it).
pub(crate) const TCG_BUFFER_MIN: u32 = 1 << 20;
/// An address never executed, so `emu_start` runs until a stop: the last
/// halfword of the boot window lies in the slot's commit record page, which
/// holds data only (`board::slot`). It must be mapped and executable: unicorn
/// looks the `until` address up in the TLB when the CPU halts at `wfi`.
const NEVER: u64 = (BOOT_WINDOW.base + SLOT_LEN - 2) as u64;

pub(crate) type Uc = Unicorn<'static, Box<Board>>;

/// The unicorn instance with its hooks and the CPU context of a fresh reset.
pub(crate) struct Cpu {
    pub uc: Uc,
    reset_ctx: Context,
    /// Where unicorn put this instance's translation buffer, when known.
    code: Option<CodeBuf>,
}

unsafe extern "C" {
    /// st20xx's unicorn patch (ST20XX-PATCHES.md): repoints a `mem_map_ptr`
    /// region, keeping its translations; the TLB must be flushed after.
    fn uc_mem_set_ptr(uc: *mut unicorn_engine::unicorn_const::uc_engine, address: u64, ptr: *mut core::ffi::c_void) -> unicorn_engine::uc_error;
    /// st20xx's unicorn patch: no exit-request check after every guest load
    /// and store. Only a hook stopping the CPU mid-block needs it, and ours
    /// never do (MMIO callbacks never stop; traps stop between blocks).
    fn uc_st20xx_no_exit_checks(uc: *mut unicorn_engine::unicorn_const::uc_engine, on: bool) -> unicorn_engine::uc_error;
    /// st20xx's unicorn patch: flushes the TLB but keeps the jump cache
    /// (valid across phones: same virtual map, blocks checked by `pool`).
    fn uc_st20xx_flush_tlb_keep_jumps(uc: *mut unicorn_engine::unicorn_const::uc_engine) -> unicorn_engine::uc_error;
    /// st20xx's unicorn patch: TLB-fill hooks run without `cpu_restore_state`
    /// (ours read no CPU state). Unicorn's restore, followed by resuming the
    /// block, left stale Thumb IT bits behind: a TLB miss on a load or store
    /// inside an IT block that ends before its translated block made the
    /// *next* block conditional (stale flash reads, a corrupted stack; test
    /// `it_block.rs`). It also searched the translated blocks on every miss.
    fn uc_st20xx_fill_without_restore(uc: *mut unicorn_engine::unicorn_const::uc_engine, on: bool) -> unicorn_engine::uc_error;
    /// st20xx's unicorn patch: SRAM (writable, never code) enters the TLB
    /// writable, without the notdirty slow path on its first store after
    /// each fill (a fill per page per phone switch). We use no snapshots
    /// and no memory hooks, the two things that path also served.
    fn uc_st20xx_clean_data_ram(uc: *mut unicorn_engine::unicorn_const::uc_engine, on: bool) -> unicorn_engine::uc_error;
}

// SAFETY: `Unicorn` is !Send only because it holds an `Rc` (its hooks keep
// `Weak`s to the same allocation) and `Context` holds a raw pointer. `Cpu`
// owns the only strong handle and the context; nothing is ever cloned out of
// it, so moving a `Cpu` moves the whole graph, and `&mut` access keeps one
// thread at a time.
unsafe impl Send for Cpu {}

fn uc_err(what: &'static str) -> impl Fn(unicorn_engine::uc_error) -> MachineError {
    move |e| MachineError::Unicorn { what, code: format!("{e:?}") }
}

/// Region permissions for the TLB, by address.
fn region(addr: u32) -> Option<(Prot, &'static str)> {
    let rx = Prot::READ | Prot::EXEC;
    if BOOT_ROM.contains(addr) {
        Some((rx, "boot ROM"))
    } else if FLASH.contains(addr) {
        Some((rx, "flash"))
    } else if BOOT_WINDOW.contains(addr) {
        Some((rx, "boot window"))
    } else if SRAM.contains(addr) {
        Some((Prot::READ | Prot::WRITE, "SRAM"))
    } else if addr >= PERIPH.base && addr - PERIPH.base < MAPPED_LEN {
        Some((Prot::READ | Prot::WRITE, "peripherals"))
    } else {
        None
    }
}

impl Cpu {
    /// A core with `rom` as its boot ROM, showing `board` (a placeholder
    /// until the first `attach`).
    pub(crate) fn new(board: Box<Board>, rom: &[u8], code_buffer: u32) -> Result<Cpu, MachineError> {
        let code_buffer = code_buffer.max(TCG_BUFFER_MIN);
        let watch = Watch::start();
        let mut uc = Unicorn::new_with_data(Arch::ARM, Mode::THUMB, board).map_err(uc_err("open"))?;
        // SAFETY: a valid handle; TCG_BUFFER_SIZE|WRITE takes one uint32_t and
        // must come before the first mapping (UNICORN.md).
        let rc = unsafe {
            unicorn_engine::unicorn_const::uc_ctl(uc.get_handle(), ControlType(ControlType::TCG_BUFFER_SIZE.0 | ControlType::IO_WRITE.0), code_buffer)
        };
        if rc != unicorn_engine::uc_error::OK {
            return Err(uc_err("tcg buffer size")(rc));
        }
        // SAFETY: a valid handle, before anything is translated.
        let rc = unsafe { uc_st20xx_no_exit_checks(uc.get_handle(), true) };
        if rc != unicorn_engine::uc_error::OK {
            return Err(uc_err("exit checks")(rc));
        }
        // SAFETY: as above.
        let rc = unsafe { uc_st20xx_fill_without_restore(uc.get_handle(), true) };
        if rc != unicorn_engine::uc_error::OK {
            return Err(uc_err("fill without restore")(rc));
        }
        // SAFETY: as above.
        let rc = unsafe { uc_st20xx_clean_data_ram(uc.get_handle(), true) };
        if rc != unicorn_engine::uc_error::OK {
            return Err(uc_err("clean data RAM")(rc));
        }
        uc.ctl_set_cpu_model(ArmCpuModel::CORTEX_M4 as i32).map_err(uc_err("cpu model"))?;
        uc.ctl_set_tlb_type(TlbType::VIRTUAL).map_err(uc_err("tlb type"))?;

        // The first mapping sets the engine up, translation buffer included.
        uc.mem_map(BOOT_ROM.base as u64, BOOT_ROM.len as u64, Prot::READ | Prot::EXEC).map_err(uc_err("map boot ROM"))?;
        let code = watch.finish(code_buffer as usize);
        // Nothing is translated yet but TCG's prologue on the first page.
        if let Some(c) = &code {
            c.no_huge_pages();
        }
        uc.mem_write(BOOT_ROM.base as u64, rom).map_err(uc_err("load boot ROM"))?;
        let flash = uc.get_data().flash.array.as_ptr();
        let sram = uc.get_data().io.sram.as_ptr();
        // SAFETY: both buffers are owned by the Board inside `uc`, outlive
        // every mapping, and are at least as long as the regions mapped.
        unsafe {
            uc.mem_map_ptr(FLASH.base as u64, FLASH.len as u64, Prot::READ | Prot::EXEC, flash.cast()).map_err(uc_err("map flash"))?;
            uc.mem_map_ptr(BOOT_WINDOW.base as u64, SLOT_LEN as u64, Prot::READ | Prot::EXEC, flash.cast()).map_err(uc_err("map boot window"))?;
            uc.mem_map_ptr(SRAM.base as u64, SRAM.len as u64, Prot::READ | Prot::WRITE, sram.cast()).map_err(uc_err("map SRAM"))?;
        }
        uc.mmio_map(
            PERIPH.base as u64,
            MAPPED_LEN as u64,
            Some(|uc: &mut Unicorn<'_, Box<Board>>, off: u64, size: usize| uc.get_data_mut().read(off, size)),
            Some(|uc: &mut Unicorn<'_, Box<Board>>, off: u64, size: usize, value: u64| {
                uc.get_data_mut().write(off, size, value);
                // Takes effect at the next block: the CPU stops between two
                // instructions, resumable from its PC.
                if uc.get_data().io.break_hit {
                    let _ = uc.emu_stop();
                }
            }),
        )
        .map_err(uc_err("map peripherals"))?;

        uc.add_tlb_hook(1, 0, |uc, page, access| {
            let page = page as u32;
            let (access, need) = match access {
                MemType::WRITE => ("write to", Prot::WRITE),
                MemType::FETCH => ("execute from", Prot::EXEC),
                _ => ("read from", Prot::READ),
            };
            match region(page) {
                Some((perms, _)) if perms.0 & need.0 != 0 => {
                    let perms = if need == Prot::EXEC {
                        if FLASH.contains(page) || BOOT_WINDOW.contains(page) {
                            uc.get_data_mut().fetched.push(page);
                        }
                        perms
                    } else {
                        Prot(perms.0 & !Prot::EXEC.0)
                    };
                    Some(TlbEntry { paddr: page as u64, perms })
                }
                found => {
                    uc.get_data_mut().fault = Some(Fault { access, page, what: found.map_or("unmapped memory", |(_, n)| n) });
                    None
                }
            }
        })
        .map_err(uc_err("tlb hook"))?;
        uc.add_intr_hook(|uc, intno| {
            let why = match intno {
                2 => "svc".to_string(),
                7 => "bkpt".to_string(),
                n => format!("cpu exception {n}"),
            };
            uc.get_data_mut().trap = Some(why);
            let _ = uc.emu_stop();
        })
        .map_err(uc_err("interrupt hook"))?;
        let reset_ctx = uc.context_init().map_err(uc_err("save context"))?;
        Ok(Cpu { uc, reset_ctx, code })
    }

    /// Points the core at `board`'s memory (its flash slot `slot` in the
    /// boot window), flushes the TLB and loads `regs` over the fresh-reset
    /// context. The board itself is swapped in by the caller.
    pub(crate) fn attach(&mut self, board: &Board, regs: &Regs) -> Result<(), MachineError> {
        let flash = board.flash.array.as_ptr();
        let window = flash.wrapping_add((board.sysctl.slot * SLOT_LEN) as usize);
        let h = self.uc.get_handle();
        for (base, ptr) in [(SRAM.base, board.io.sram.as_ptr()), (FLASH.base, flash), (BOOT_WINDOW.base, window)] {
            // SAFETY: a valid handle; each pointer is the phone's own host
            // buffer for the region, at least as long as it (the window's
            // slot lies inside the 8 MiB flash), alive while the phone runs.
            let rc = unsafe { uc_mem_set_ptr(h, base as u64, ptr.cast()) };
            if rc != unicorn_engine::uc_error::OK {
                return Err(uc_err("repoint memory")(rc));
            }
        }
        // SAFETY: a valid handle, between slices.
        let rc = unsafe { uc_st20xx_flush_tlb_keep_jumps(h) };
        if rc != unicorn_engine::uc_error::OK {
            return Err(uc_err("flush tlb")(rc));
        }
        self.load(regs)
    }

    /// Loads `regs` over the fresh-reset context (same memory).
    pub(crate) fn load(&mut self, regs: &Regs) -> Result<(), MachineError> {
        self.uc.context_restore(&self.reset_ctx).map_err(uc_err("restore context"))?;
        regs.restore(&mut self.uc).map_err(uc_err("write registers"))
    }

    /// The registers of the stopped CPU.
    pub(crate) fn save(&self) -> Result<Regs, MachineError> {
        Regs::save(&self.uc).map_err(uc_err("read registers"))
    }

    /// Drops all translated code and gives the host pages that held it back
    /// to the OS. Returns whether the pages were given back (false: only
    /// the flush was done).
    pub(crate) fn drop_code(&mut self) -> Result<bool, MachineError> {
        self.uc.ctl_flush_tb().map_err(uc_err("flush translated code"))?;
        Ok(self.code.as_ref().is_some_and(CodeBuf::discard))
    }

    /// Runs from the current PC until `wfi`, a trap, a fault or the
    /// wall-clock `timeout_us`. Returns unicorn's result and whether the
    /// timeout ended it.
    pub(crate) fn run(&mut self, timeout_us: u64) -> (Result<(), unicorn_engine::uc_error>, bool) {
        let pc = self.uc.pc_read().unwrap_or(0) | 1;
        let guard = crate::hang::Slice::start(self.uc.get_handle(), std::time::Duration::from_micros(timeout_us));
        let r = self.uc.emu_start(pc, NEVER, 0, 0);
        (r, guard.finish())
    }
}
