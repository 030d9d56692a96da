//! One emulated ST20xx board: a `unicorn-engine` Cortex-M4, the memory map of
//! `crates/board`, the peripheral models, power and reset, sleep and wake,
//! and the event trace. No network policy and no UI live here.
//!
//! # Time model
//! Time is passed in (`now_us`, emulator microseconds since the run began);
//! nothing in this crate reads a clock except the hang guard (below).
//! - Computation takes no emulated time: within one `run(now)` the timer
//!   reads `now - power_on_time`, and every trace record made is stamped
//!   `now`.
//! - The CPU sleeps with `wfi` after writing its wake deadline (timer µs) to
//!   SYSCTL SLEEP_LO/HI. `run` then returns [`Stop::Sleeping`] and
//!   [`Machine::poll_at`] says when to call `run` again: the deadline, a flash
//!   completion or the watchdog expiry, whichever is first. The caller
//!   advances time: in virtual time it jumps to `poll_at()`, in real time it
//!   waits for the host clock ([`Runner`] does both).
//! - Wake events (NIC RX, key/hook, flash done, deadline) collect in SYSCTL
//!   EVENTS (clear on read). Each raised event also sets a wake latch that the
//!   next `wfi` consumes, like the ARM event register: a `wfi` after an event
//!   that the firmware has not read returns at once.
//! - Writes whose effect is structural (RESET, BOOT_SLOT) take effect at the
//!   next `wfi` stop, never inside a CPU slice.
//! - A host may ask to stop at a log line ([`Machine::break_on_log`]): `run`
//!   then returns [`Stop::Break`] right after the block that wrote it, the
//!   CPU awake; the next `run` resumes it as if it had never stopped.
//! - Determinism: the same config and the same inputs at the same times give
//!   the same trace, byte for byte. The only wall-clock input is the hang
//!   guard: a `run` that computes for more than the hang budget (2 s by
//!   default) without sleeping crashes the phone with reason `hang`, as does
//!   a `wfi` that returns at once 100 000 times in one `run`.
//!
//! # Crashes
//! `udf`, `bkpt`, `svc`, an undefined instruction, a fetch from SRAM or an
//! unmapped address, a write to ROM or flash, an access outside the mapped
//! memory, or a hang emit one `crash` record {pc, reason} and halt the phone
//! ([`Stop::Crashed`]) until the power is cut and applied again.

mod clock;
mod codebuf;
mod cpu;
mod error;
mod hang;
mod hostmem;
mod io;
mod machine;
mod network;
mod pagesig;
mod periph;
mod pool;
mod regs;
mod runner;

pub use clock::{Clock, ClockMode};
pub use error::MachineError;
pub use hostmem::HostMemError;
pub use machine::{FlashTemplate, Machine, MachineConfig, MachineOptions, Stop};
pub use network::Network;
pub use periph::led::LedState;
pub use pool::thread_cores;
pub use runner::{Control, Input, RunEnd, Runner};
