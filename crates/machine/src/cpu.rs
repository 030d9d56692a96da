//! The unicorn CPU of one board: a Cortex-M4 in Thumb mode with the board's
//! memory map, the virtual TLB and the hooks that report faults and traps.
//!
//! Guarantees:
//! - Memory: boot ROM read+execute, flash and the boot window read+execute
//!   (both views of the same host buffer), SRAM read+write and never execute,
//!   the peripheral blocks through MMIO. Anything else faults, and the TLB
//!   hook records what was tried (`Board::fault`) before unicorn stops.
//! - No memory hook covers RAM (it would slow every store): faults are seen
//!   by the TLB fill hook only.
//! - `trim` drops every translation and returns the buffer's pages to the
//!   OS; the guest sees no difference (only host time to translate again).
//! - `svc`, `bkpt` and any other CPU exception stop the CPU from the
//!   interrupt hook with `Board::trap` set; MMIO callbacks never stop it.

use crate::codebuf::{CodeBuf, Watch};
use crate::error::MachineError;
use crate::periph::{Board, Fault, MAPPED_LEN};
use board::map::{BOOT_ROM, BOOT_WINDOW, FLASH, PERIPH, SRAM, SLOT_LEN};
use unicorn_engine::unicorn_const::{Arch, ControlType, MemType, Mode, Prot, TlbEntry, TlbType};
use unicorn_engine::{ArmCpuModel, Context, RegisterARM, Unicorn};

/// The default translation buffer per instance. Unicorn's own default
/// (1 GiB, huge pages) costs ≈2 MiB RSS per phone. A provisioning run
/// (three boots, ≈4200 distinct blocks, ≈770 bytes of host code each)
/// translates ≈8 MiB of code in all: 1 MiB fills 31 times per run and
/// translates every block 4.4× over (47 700 translations, 0.36 CPU-s);
/// 2 MiB fills 5 times (15 500 translations, 0.14 CPU-s) for +1 MiB RSS
/// while the phone runs (`Cpu::trim` gives the touched pages back).
pub(crate) const TCG_BUFFER: u32 = 2 << 20;
/// Unicorn's minimum (smaller values are rounded up to it).
pub(crate) const TCG_BUFFER_MIN: u32 = 1 << 20;
/// An address never executed, so `emu_start` runs until a stop: the last
/// halfword of the boot window lies in the slot's commit record page, which
/// holds data only (`board::slot`). It must be mapped and executable: unicorn
/// looks the `until` address up in the TLB when the CPU halts at `wfi`.
const NEVER: u64 = (BOOT_WINDOW.base + SLOT_LEN - 2) as u64;

pub(crate) type Uc = Unicorn<'static, Board>;

/// The unicorn instance with its hooks and the CPU context of a fresh reset.
pub(crate) struct Cpu {
    pub uc: Uc,
    reset_ctx: Context,
    /// Where unicorn put this instance's translation buffer, when known.
    code: Option<CodeBuf>,
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

/// Thumb IT-block state bits of xPSR: IT[1:0] at 26:25, IT[7:2] at 15:10.
const XPSR_IT: u64 = (0b11 << 25) | (0b11_1111 << 10);

/// Works around a unicorn 2.1 virtual-TLB bug that corrupts Thumb-2 code.
///
/// Before calling the TLB-fill hook, unicorn runs `cpu_restore_state`, which
/// rewrites the CPU's IT-block bits (`condexec_bits`) to those of the
/// faulting instruction, and then resumes the translated block in place.
/// QEMU's ARM translator relies on those bits being 0 while a block runs
/// (`arm_tr_tb_start` clears them; they are only stored on exits that are
/// still inside an IT block). A TLB miss on a load or store inside an IT
/// block that ends before the block does therefore leaves stale IT bits,
/// and the *next* block is translated as if it were conditional: loads and
/// stores get skipped or done wrongly (seen as stale flash reads and a
/// corrupted stack). Restoring the invariant here fixes it; NZCV and the
/// other bits are written back unchanged.
fn clear_it_state(uc: &mut Unicorn<'_, Board>) {
    if let Ok(xpsr) = uc.reg_read(RegisterARM::XPSR)
        && xpsr & XPSR_IT != 0
    {
        let _ = uc.reg_write(RegisterARM::EAPSR_NZCVQG, xpsr & !XPSR_IT);
    }
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
    pub(crate) fn new(board: Board, rom: &[u8], code_buffer: u32) -> Result<Cpu, MachineError> {
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
            Some(|uc: &mut Unicorn<'_, Board>, off: u64, size: usize| uc.get_data_mut().read(off, size)),
            Some(|uc: &mut Unicorn<'_, Board>, off: u64, size: usize, value: u64| uc.get_data_mut().write(off, size, value)),
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
                    clear_it_state(uc);
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

    /// Puts the CPU back to its fresh state with `sp` and entry `pc`.
    pub(crate) fn reset(&mut self, sp: u32, pc: u32) -> Result<(), MachineError> {
        self.uc.context_restore(&self.reset_ctx).map_err(uc_err("restore context"))?;
        self.uc.reg_write(RegisterARM::SP, sp as u64).map_err(uc_err("write sp"))?;
        self.uc.reg_write(RegisterARM::PC, (pc & !1) as u64).map_err(uc_err("write pc"))?;
        Ok(())
    }

    /// Drops all translated code and gives the host pages that held it back
    /// to the OS. Returns whether the pages were given back (false: only
    /// the flush was done).
    pub(crate) fn trim(&mut self) -> Result<bool, MachineError> {
        self.uc.ctl_flush_tb().map_err(uc_err("flush translated code"))?;
        Ok(self.code.as_ref().is_some_and(CodeBuf::discard))
    }

    pub(crate) fn pc(&self) -> u32 {
        self.uc.pc_read().unwrap_or(0) as u32
    }

    /// Runs from the current PC until `wfi`, a trap, a fault or the
    /// wall-clock `timeout_us`. Returns unicorn's result and whether the
    /// timeout ended it.
    pub(crate) fn run(&mut self, timeout_us: u64) -> (Result<(), unicorn_engine::uc_error>, bool) {
        let pc = self.pc() as u64 | 1;
        let guard = crate::hang::Slice::start(self.uc.get_handle(), std::time::Duration::from_micros(timeout_us));
        let r = self.uc.emu_start(pc, NEVER, 0, 0);
        (r, guard.finish())
    }

    /// Shows slot `n` of flash in the boot window and drops code translated from it.
    pub(crate) fn map_window(&mut self, slot: u32) -> Result<(), MachineError> {
        let base = BOOT_WINDOW.base as u64;
        self.uc.mem_unmap(base, SLOT_LEN as u64).map_err(uc_err("unmap boot window"))?;
        let view = self.uc.get_data().flash.array.as_ptr().wrapping_add((slot * SLOT_LEN) as usize);
        // SAFETY: `view` lies inside the flash buffer with SLOT_LEN bytes after
        // it (slot is 0 or 1 and flash holds 8 slots' worth).
        unsafe { self.uc.mem_map_ptr(base, SLOT_LEN as u64, Prot::READ | Prot::EXEC, view.cast()) }.map_err(uc_err("map boot window"))?;
        self.uc.ctl_remove_cache(base, base + SLOT_LEN as u64).map_err(uc_err("flush window code"))?;
        self.uc.ctl_flush_tlb().map_err(uc_err("flush tlb"))?;
        Ok(())
    }

    /// Drops translated code for flash offsets `[start, end)` and, when they
    /// are in the slot shown in the boot window, for the alias too.
    pub(crate) fn flash_changed(&mut self, start: usize, end: usize, window_slot: u32) {
        let (s, e) = (FLASH.base as u64 + start as u64, FLASH.base as u64 + end as u64);
        let _ = self.uc.ctl_remove_cache(s, e);
        let slot = (window_slot * SLOT_LEN) as usize..((window_slot + 1) * SLOT_LEN) as usize;
        let (ws, we) = (start.max(slot.start), end.min(slot.end));
        if ws < we {
            let alias = |off: usize| BOOT_WINDOW.base as u64 + (off - slot.start) as u64;
            let _ = self.uc.ctl_remove_cache(alias(ws), alias(we));
        }
    }

    /// Reads guest memory for messages; `None` where nothing is mapped.
    pub(crate) fn peek_u16(&self, addr: u32) -> Option<u16> {
        let mut b = [0u8; 2];
        self.uc.mem_read(addr as u64, &mut b).ok()?;
        Some(u16::from_le_bytes(b))
    }
}
