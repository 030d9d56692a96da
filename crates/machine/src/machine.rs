//! One emulated ST20xx board: power, reset in place, the run loop (run the
//! CPU until it sleeps, apply what a stop applies), host inputs and the
//! snapshots front ends draw.
//!
//! Guarantees:
//! - Nothing here reads a clock: every method takes `now_us`, and a `now_us`
//!   smaller than one already seen counts as that one (time never goes back).
//! - A crash (fault, `udf`, `bkpt`, `svc`, hang) emits one `crash` record and
//!   halts the phone until the power is cycled.
//! - A software or watchdog reset resets the devices, zeroes SRAM, restores
//!   the CPU context of a fresh reset and restarts at the boot ROM reset
//!   vector. Translated code is not the phone's: it lives in the cores of
//!   the host thread that runs it (`pool`), shared with every phone whose
//!   code bytes are the same, so a reset or a new phone translates nothing
//!   already seen.

use crate::error::MachineError;
use crate::hostmem::{HostMem, Template};
use crate::pagesig::{PageSigs, TemplateSigs};
use crate::pool;
use crate::regs::Regs;
use crate::periph::led::LedState;
use crate::periph::Board;
use board::image::{Header, HEADER_LEN};
use board::keys::Key;
use board::map::{BOOT_ROM, FLASH, SLOT_LEN, SRAM};
use board::model::Hardware;
use board::periph::sysctl::{self, EVENT_DEADLINE};
use std::time::{Duration, Instant};
use trace::{BootCause, Event, PowerState, Record};

/// What a phone is built from.
#[derive(Clone, Debug)]
pub struct MachineConfig {
    pub hardware: Hardware,
    pub mac: [u8; 6],
    /// Seeds the RNG peripheral and torn flash bytes.
    pub seed: u64,
    /// The boot ROM image (≤ 64 KiB), vector table first.
    pub boot_rom: Vec<u8>,
    /// Initial flash contents (≤ 8 MiB, the rest reads as erased `0xFF`).
    pub flash: Vec<u8>,
}

/// Flash contents many machines start from (e.g. a swarm's factory flash):
/// held once in host memory and shared page by page until a machine writes
/// a page. Cheap to clone.
#[derive(Clone)]
pub struct FlashTemplate(std::sync::Arc<(Template, std::sync::Arc<TemplateSigs>)>);

impl FlashTemplate {
    /// Erased flash (8 MiB of `0xFF`) with `image` over its start.
    pub fn new(image: &[u8]) -> Result<FlashTemplate, MachineError> {
        if image.len() > FLASH.len as usize {
            return Err(MachineError::FlashTooLarge(image.len()));
        }
        let len = FLASH.len as usize;
        Ok(FlashTemplate(std::sync::Arc::new((Template::new(len, image)?, std::sync::Arc::new(TemplateSigs::new(len))))))
    }
}

impl std::fmt::Debug for FlashTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FlashTemplate({} bytes)", self.0.0.len())
    }
}

/// How a machine is built on the host (nothing the guest can see).
#[derive(Clone, Debug)]
pub struct MachineOptions {
    /// The translation buffer of the cores this phone runs on, bytes (at
    /// least 1 MiB; default 32 MiB): a core is made with the size asked by
    /// the first phone that needs it. Smaller saves host memory, at the cost
    /// of translating the same code again each time the buffer fills.
    pub code_buffer: u32,
    /// Start from this flash instead of `MachineConfig::flash` (which must
    /// then be empty).
    pub flash: Option<FlashTemplate>,
}

impl Default for MachineOptions {
    fn default() -> MachineOptions {
        MachineOptions { code_buffer: crate::cpu::TCG_BUFFER, flash: None }
    }
}

/// Why `run` returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The CPU sleeps; `until` is the next instant `run` is needed (as
    /// `poll_at`), `None` when only an input can wake it.
    Sleeping { until: Option<u64> },
    /// The phone crashed and stays halted until the power is cycled.
    Crashed { pc: u32, reason: String },
    /// No power.
    Off,
    /// The firmware logged a line that [`Machine::break_on_log`] asked to
    /// stop at. The CPU stopped right after that block, awake: the next
    /// `run` resumes it there.
    Break,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum RunState {
    /// Runs at the next `run`.
    Ready,
    /// Stopped at `wfi`.
    Asleep,
    Crashed { pc: u32, reason: String },
}

/// How many `wfi`s may return at once within one `run` before the phone
/// counts as hung (a loop that never really sleeps).
const MAX_WAKES_PER_RUN: u32 = 100_000;

/// Makes every machine's id unique in the process.
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// One phone.
pub struct Machine {
    /// The devices and memory (swapped into a core while a slice runs).
    board: Box<Board>,
    regs: Regs,
    sigs: PageSigs,
    rom: Vec<u8>,
    rom_id: u64,
    id: u64,
    /// Bumped whenever flash bytes or the boot-window slot change.
    epoch: u64,
    /// The stamp of the last slice run (`pool`).
    stamp: u64,
    code_buffer: u32,
    hardware: Hardware,
    mac: [u8; 6],
    /// Initial SP and reset vector from the boot ROM.
    vector: (u32, u32),
    powered: bool,
    state: RunState,
    now: u64,
    hang_budget: Duration,
}

fn version_text(flash: &[u8], slot: u32) -> String {
    let start = (slot * SLOT_LEN) as usize;
    match flash.get(start..start + HEADER_LEN).map(Header::decode) {
        Some(Ok(h)) if h.version.patch != 0 => format!("{}.{}.{}", h.version.major, h.version.minor, h.version.patch),
        Some(Ok(h)) => format!("{}.{}", h.version.major, h.version.minor),
        _ => "none".into(),
    }
}

impl Machine {
    pub fn new(cfg: MachineConfig) -> Result<Machine, MachineError> {
        Machine::with_options(cfg, MachineOptions::default())
    }

    /// A machine built with `opts` (a shared flash template, the code buffer size).
    pub fn with_options(cfg: MachineConfig, opts: MachineOptions) -> Result<Machine, MachineError> {
        if cfg.boot_rom.len() > BOOT_ROM.len as usize {
            return Err(MachineError::RomTooLarge(cfg.boot_rom.len()));
        }
        if cfg.flash.len() > FLASH.len as usize {
            return Err(MachineError::FlashTooLarge(cfg.flash.len()));
        }
        let (flash, template) = match &opts.flash {
            Some(_) if !cfg.flash.is_empty() => return Err(MachineError::FlashTwice),
            Some(t) => (HostMem::from_template(&t.0.0)?, Some(t.0.1.clone())),
            None => (HostMem::flash(FLASH.len as usize, &cfg.flash)?, None),
        };
        let board = Box::new(Board::new(cfg.hardware, cfg.mac, cfg.seed, flash)?);
        let word = |i: usize| cfg.boot_rom.get(i..i + 4).map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        let vector = (word(0), word(4));
        Ok(Machine {
            board,
            regs: Regs::Reset { sp: vector.0, pc: vector.1 },
            sigs: PageSigs::new(FLASH.len as usize, template),
            rom_id: xxhash_rust::xxh3::xxh3_64(&cfg.boot_rom),
            rom: cfg.boot_rom,
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            epoch: 0,
            stamp: 0,
            code_buffer: opts.code_buffer,
            hardware: cfg.hardware,
            mac: cfg.mac,
            vector,
            powered: false,
            state: RunState::Ready,
            now: 0,
            hang_budget: Duration::from_secs(2),
        })
    }

    /// The wall-clock time one `run` may compute before the phone counts as
    /// hung (default 2 s).
    pub fn set_hang_budget(&mut self, budget: Duration) {
        self.hang_budget = budget;
    }

    fn board(&self) -> &Board {
        &self.board
    }

    fn board_mut(&mut self) -> &mut Board {
        &mut self.board
    }

    /// Flash bytes `[start, end)` changed: their translations must not be
    /// used for this phone any more.
    fn flash_changed(&mut self, start: usize, end: usize) {
        self.sigs.changed(start, end);
        self.epoch += 1;
    }

    fn show_slot(&mut self, slot: u32) {
        if self.board.sysctl.slot != slot {
            self.board.sysctl.slot = slot;
            self.epoch += 1;
        }
    }

    fn set_now(&mut self, now_us: u64) {
        self.now = self.now.max(now_us);
        let now = self.now;
        self.board_mut().io.now = now;
    }

    fn emit(&mut self, event: Event) {
        self.board_mut().io.emit(event);
    }

    /// Applies power: a `power on` record, then a reset with cause power-on.
    /// Does nothing when already powered.
    pub fn power_on(&mut self, now_us: u64) {
        self.set_now(now_us);
        if self.powered {
            return;
        }
        self.powered = true;
        self.board_mut().io.power_on_at = self.now;
        self.emit(Event::Power { state: PowerState::On });
        self.reset_in_place(sysctl::RESET_CAUSE_POWER_ON);
    }

    /// Removes power: a flash operation still busy is torn, the display and
    /// LEDs go dark. Does nothing when already off.
    pub fn power_cut(&mut self, now_us: u64) {
        self.set_now(now_us);
        if !self.powered {
            return;
        }
        self.complete_flash();
        let now = self.now;
        if let Some((s, e)) = self.board_mut().flash.power_cut(now) {
            self.flash_changed(s, e);
        }
        self.emit(Event::Power { state: PowerState::Off });
        self.board_mut().reset_devices();
        self.powered = false;
        self.state = RunState::Ready;
    }

    fn reset_in_place(&mut self, cause: u32) {
        let b = self.board_mut();
        b.reset_devices();
        b.sysctl.cause = cause;
        b.io.events = 0;
        b.io.wake_latch = false;
        b.io.sram.discard();
        self.show_slot(0);
        self.regs = Regs::Reset { sp: self.vector.0, pc: self.vector.1 };
        self.state = RunState::Ready;
    }

    fn crash(&mut self, pc: u32, reason: String) -> Stop {
        self.emit(Event::Crash { pc, reason: reason.clone() });
        self.state = RunState::Crashed { pc, reason: reason.clone() };
        Stop::Crashed { pc, reason }
    }

    /// Lands a flash operation that is due.
    fn complete_flash(&mut self) {
        let b = self.board_mut();
        if let Some((s, e)) = b.flash.complete_due(&mut b.io) {
            self.flash_changed(s, e);
        }
    }

    fn watchdog_at(&self) -> Option<u64> {
        let b = self.board();
        b.sysctl.wdt_expiry.map(|t| b.io.to_abs(t))
    }

    fn deadline_at(&self) -> Option<u64> {
        let b = self.board();
        (b.sysctl.deadline != u64::MAX).then(|| b.io.to_abs(b.sysctl.deadline))
    }

    /// Applies what is due at `now` while the CPU is stopped: flash
    /// completion, then watchdog expiry, in time order.
    fn advance(&mut self) {
        let flash = self.board().flash.busy_until().filter(|&t| t <= self.now);
        let wdt = self.watchdog_at().filter(|&t| t <= self.now);
        match (flash, wdt) {
            (Some(f), Some(w)) if w < f => {
                self.reset_in_place(sysctl::RESET_CAUSE_WATCHDOG);
                self.complete_flash();
            }
            (f, w) => {
                if f.is_some() {
                    self.complete_flash();
                }
                if w.is_some() {
                    self.reset_in_place(sysctl::RESET_CAUSE_WATCHDOG);
                }
            }
        }
    }

    /// Whether a sleeping CPU wakes now; consumes the wake latch or fires the deadline.
    fn wakes(&mut self) -> bool {
        let due = self.deadline_at().is_some_and(|t| t <= self.now);
        let b = self.board_mut();
        if due {
            b.sysctl.deadline = u64::MAX;
            b.io.raise(EVENT_DEADLINE);
        }
        std::mem::take(&mut b.io.wake_latch)
    }

    /// What a stop at `wfi` applies: a requested software reset, or a
    /// BOOT_SLOT write (remap + `boot` record). Returns whether the CPU was reset.
    fn apply_stop(&mut self) -> bool {
        if self.board().sysctl.reset_requested {
            self.reset_in_place(sysctl::RESET_CAUSE_SOFTWARE);
            return true;
        }
        if let Some(slot) = self.board_mut().sysctl.slot_request.take() {
            self.show_slot(slot);
            let cause = match self.board().sysctl.cause {
                sysctl::RESET_CAUSE_SOFTWARE => BootCause::Software,
                sysctl::RESET_CAUSE_WATCHDOG => BootCause::Watchdog,
                _ => BootCause::PowerOn,
            };
            let image = version_text(self.flash(), slot);
            self.emit(Event::Boot { cause, image });
        }
        false
    }

    /// Applies everything due at `now_us` and runs the CPU until it sleeps
    /// (or crashes). Stamps every record made on the way with `now_us`.
    pub fn run(&mut self, now_us: u64) -> Stop {
        self.set_now(now_us);
        if !self.powered {
            return Stop::Off;
        }
        if let RunState::Crashed { pc, reason } = &self.state {
            return Stop::Crashed { pc: *pc, reason: reason.clone() };
        }
        self.advance();
        let started = Instant::now();
        let mut wakes = 0u32;
        loop {
            if let RunState::Crashed { pc, reason } = &self.state {
                return Stop::Crashed { pc: *pc, reason: reason.clone() };
            }
            if self.state == RunState::Asleep && !self.wakes() {
                return Stop::Sleeping { until: self.poll_at() };
            }
            self.state = RunState::Ready;
            let left = self.hang_budget.saturating_sub(started.elapsed()).as_micros() as u64;
            if left == 0 || wakes >= MAX_WAKES_PER_RUN {
                let pc = self.regs.pc();
                return self.crash(pc, "hang: the CPU did not sleep".into());
            }
            self.board_mut().fault = None;
            self.board_mut().io.break_hit = false;
            let mut slice = pool::Slice {
                id: self.id,
                epoch: self.epoch,
                stamp: &mut self.stamp,
                rom: &self.rom,
                rom_id: self.rom_id,
                code_buffer: self.code_buffer,
                board: &mut self.board,
                regs: &mut self.regs,
                sigs: &mut self.sigs,
            };
            let (result, timed_out) = match pool::run(&mut slice, left) {
                Ok(r) => r,
                Err(e) => {
                    let pc = self.regs.pc();
                    return self.crash(pc, e.to_string());
                }
            };
            let pc = self.regs.pc();
            if let Err(e) = result {
                let reason = self.fault_reason(pc, e);
                return self.crash(pc, reason);
            }
            if let Some(trap) = self.board_mut().trap.take() {
                return self.crash(pc, trap);
            }
            if timed_out {
                return self.crash(pc, "hang: the CPU did not sleep".into());
            }
            if self.board().io.break_hit {
                // Ready: a `wfi` in the breaking block returns as a
                // spurious wake-up, which the architecture allows.
                return Stop::Break;
            }
            self.state = RunState::Asleep;
            wakes += 1;
            self.apply_stop();
        }
    }

    fn fault_reason(&mut self, pc: u32, e: unicorn_engine::uc_error) -> String {
        if let Some(f) = self.board_mut().fault.take() {
            return format!("{} {} at {:#010x}", f.access, f.what, f.page);
        }
        let hw = self.peek(pc, 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
        match (e, hw) {
            (unicorn_engine::uc_error::INSN_INVALID, Some(hw)) if hw & 0xFF00 == 0xDE00 => format!("udf #{}", hw & 0xFF),
            (unicorn_engine::uc_error::INSN_INVALID, Some(hw)) => format!("undefined instruction {hw:#06x}"),
            (e, _) => format!("cpu error {e:?}"),
        }
    }

    /// Stops `run` as soon as the firmware logs a line `stop` accepts
    /// (`run` returns [`Stop::Break`] after the block that wrote it; the
    /// line is in the trace). `None`: never (the default). A host setting:
    /// power cycles keep it.
    pub fn break_on_log(&mut self, stop: Option<fn(&str) -> bool>) {
        self.board_mut().io.break_on = stop;
    }

    /// The next instant `run` is needed: now when the CPU is ready or a wake
    /// event is pending, else the earliest of the sleep deadline, the flash
    /// completion and the watchdog. `None`: off, crashed, or only an input
    /// can wake it.
    pub fn poll_at(&self) -> Option<u64> {
        match self.state {
            _ if !self.powered => None,
            RunState::Crashed { .. } => None,
            RunState::Ready => Some(self.now),
            RunState::Asleep if self.board().io.wake_latch => Some(self.now),
            RunState::Asleep => [self.deadline_at(), self.board().flash.busy_until(), self.watchdog_at()].into_iter().flatten().min(),
        }
    }

    /// A key goes down or up (a `key` record; raises the key event when powered).
    pub fn press(&mut self, now_us: u64, key: Key, down: bool) {
        self.set_now(now_us);
        self.emit(Event::Key { key: key.name().into(), down });
        if self.powered {
            let b = self.board_mut();
            b.keypad.press(key, down, &mut b.io);
        }
    }

    /// The handset goes off or on hook (a `key` record named `hook` when it moves).
    pub fn set_hook(&mut self, now_us: u64, off_hook: bool) {
        self.set_now(now_us);
        let b = self.board_mut();
        if b.keypad.set_hook(off_hook, &mut b.io) {
            self.emit(Event::Key { key: "hook".into(), down: off_hook });
        }
    }

    /// A frame arrives on the wire; returns whether the firmware got it
    /// (false: off, crashed, or dropped by the MAC).
    pub fn nic_receive(&mut self, now_us: u64, frame: &[u8]) -> bool {
        self.set_now(now_us);
        if !self.powered || matches!(self.state, RunState::Crashed { .. }) {
            return false;
        }
        let b = self.board_mut();
        b.eth.receive(frame, &mut b.io)
    }

    /// Takes the frames the phone sent since the last call, oldest first.
    pub fn nic_take_sent(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.board_mut().eth.sent)
    }

    /// Plugs or unplugs the cable (ETH STATUS link bit; unplugged: frames
    /// are lost both ways). A change wakes a powered CPU (`EVENT_LINK`).
    pub fn set_link(&mut self, now_us: u64, up: bool) {
        self.set_now(now_us);
        let powered = self.powered;
        let b = self.board_mut();
        if b.eth.link_up != up {
            b.eth.link_up = up;
            if powered {
                b.io.raise(sysctl::EVENT_LINK);
            }
        }
    }

    /// Takes the trace records made since the last call, in time order.
    pub fn drain_trace(&mut self) -> Vec<Record> {
        std::mem::take(&mut self.board_mut().io.trace)
    }

    /// The flash contents (8 MiB), e.g. to save them to a file.
    pub fn flash(&self) -> &[u8] {
        self.board().flash.array.as_slice()
    }

    /// Reads SRAM, flash or boot ROM (for debuggers and tests; no device
    /// register is read, so nothing changes). `None` outside those.
    pub fn peek(&self, addr: u32, len: usize) -> Option<Vec<u8>> {
        if SRAM.contains_range(addr, len as u32) {
            return self.board().io.sram(addr, len).map(<[u8]>::to_vec);
        }
        if FLASH.contains_range(addr, len as u32) {
            let off = (addr - FLASH.base) as usize;
            return self.flash().get(off..off + len).map(<[u8]>::to_vec);
        }
        if BOOT_ROM.contains_range(addr, len as u32) {
            let off = (addr - BOOT_ROM.base) as usize;
            return Some((off..off + len).map(|i| self.rom.get(i).copied().unwrap_or(0)).collect());
        }
        None
    }

    /// The 6 committed LCD lines, trailing blanks trimmed.
    pub fn lcd_lines(&self) -> [String; 6] {
        self.board().lcd.lines()
    }

    pub fn lcd_backlight(&self) -> bool {
        self.board().lcd.backlight()
    }

    /// The committed icons by name (`board::periph::lcd::ICON_NAMES`).
    pub fn lcd_icons(&self) -> Vec<String> {
        self.board().lcd.icons()
    }

    /// LED `n`: 0 = system, 1..=6 = line LEDs; `None` past those.
    pub fn led(&self, n: usize) -> Option<LedState> {
        self.board().leds.get(n)
    }

    pub fn mac(&self) -> [u8; 6] {
        self.mac
    }

    pub fn hardware(&self) -> Hardware {
        self.hardware
    }

    pub fn is_powered(&self) -> bool {
        self.powered
    }

    /// Whether the handset is off hook.
    pub fn off_hook(&self) -> bool {
        self.board().keypad.off_hook
    }

    /// The last instant this machine was given.
    pub fn now(&self) -> u64 {
        self.now
    }
}
