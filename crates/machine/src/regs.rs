//! A phone's CPU registers while it is not running: what moves a phone from
//! one shared unicorn instance to another (`pool`).
//!
//! Guarantees: a phone only ever stops at `wfi`, after a fault or after a
//! trap, in Thread mode, so the architectural state that carries over is the
//! core registers, both stack pointers and the special registers listed in
//! [`SAVED`], plus the floating-point registers. Everything else a CPU holds
//! starts from the instance's fresh-reset context at every restore, so no
//! hidden state passes from one phone to another and the result does not
//! depend on which phones shared an instance before.

use unicorn_engine::RegisterARM as R;

/// The registers saved at a stop, in restore order: CONTROL first (it picks
/// the stack pointer), then both stack pointers, PC last.
const SAVED: [R; 23] = [
    R::CONTROL,
    R::MSP,
    R::PSP,
    R::R0,
    R::R1,
    R::R2,
    R::R3,
    R::R4,
    R::R5,
    R::R6,
    R::R7,
    R::R8,
    R::R9,
    R::R10,
    R::R11,
    R::R12,
    R::LR,
    R::PRIMASK,
    R::BASEPRI,
    R::FAULTMASK,
    R::XPSR_NZCVQG,
    R::FPSCR,
    R::PC,
];

/// Where a phone's registers are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Regs {
    /// A fresh reset: main stack pointer and entry point.
    Reset { sp: u32, pc: u32 },
    /// Saved at a stop: [`SAVED`] then D0–D15.
    Saved(Box<[u64; SAVED.len() + 16]>),
}

fn d(n: usize) -> R {
    [R::D0, R::D1, R::D2, R::D3, R::D4, R::D5, R::D6, R::D7, R::D8, R::D9, R::D10, R::D11, R::D12, R::D13, R::D14, R::D15][n]
}

impl Regs {
    /// Reads the registers of a stopped CPU.
    pub(crate) fn save<D>(uc: &unicorn_engine::Unicorn<'_, D>) -> Result<Regs, unicorn_engine::uc_error> {
        let mut v = Box::new([0u64; SAVED.len() + 16]);
        for (slot, reg) in v.iter_mut().zip(SAVED) {
            // XPSR_NZCVQG is write-only: the flags and GE bits are read from XPSR.
            *slot = uc.reg_read(if reg == R::XPSR_NZCVQG { R::XPSR } else { reg })?;
        }
        for n in 0..16 {
            v[SAVED.len() + n] = uc.reg_read(d(n))?;
        }
        Ok(Regs::Saved(v))
    }

    /// Writes them into a CPU that was just put back to its reset context.
    pub(crate) fn restore<D>(&self, uc: &mut unicorn_engine::Unicorn<'_, D>) -> Result<(), unicorn_engine::uc_error> {
        match self {
            Regs::Reset { sp, pc } => {
                uc.reg_write(R::SP, *sp as u64)?;
                uc.reg_write(R::PC, (*pc & !1) as u64)
            }
            Regs::Saved(v) => {
                for n in 0..16 {
                    uc.reg_write(d(n), v[SAVED.len() + n])?;
                }
                for (value, reg) in v.iter().zip(SAVED) {
                    uc.reg_write(reg, *value)?;
                }
                Ok(())
            }
        }
    }

    /// The program counter.
    pub(crate) fn pc(&self) -> u32 {
        match self {
            Regs::Reset { pc, .. } => pc & !1,
            Regs::Saved(v) => v[SAVED.len() - 1] as u32,
        }
    }
}
