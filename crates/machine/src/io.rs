//! The context every peripheral model shares while the CPU runs: the current
//! instant, the wake-event register, the trace being recorded and SRAM (the
//! DMA target of the flash controller, the NIC and the UART).
//!
//! Guarantees: records are appended in call order with the slice's `now`, so
//! the trace is in time order; raising an event always sets the wake latch;
//! a log line that `break_on` accepts sets `break_hit`.

use crate::hostmem::HostMem;
use trace::{Event, Record};

pub(crate) struct Io {
    /// The instant of the current slice (emulator µs).
    pub now: u64,
    /// When power was last applied (emulator µs); the timer counts from here.
    pub power_on_at: u64,
    /// The trace phone id (MAC as hex).
    pub phone: String,
    pub trace: Vec<Record>,
    /// Pending wake events (`sysctl::EVENT_*`), cleared when the CPU reads EVENTS.
    pub events: u32,
    /// Set by every raised event, consumed by the next `wfi` (like the ARM
    /// event register): an event that arrived since the CPU last slept or read
    /// EVENTS makes the next `wfi` return at once.
    pub wake_latch: bool,
    pub sram: HostMem,
    /// Log lines that stop the CPU (see `Machine::break_on_log`).
    pub break_on: Option<fn(&str) -> bool>,
    /// A log line matched `break_on` during this slice.
    pub break_hit: bool,
}

impl Io {
    pub(crate) fn new(phone: String, sram: HostMem) -> Io {
        Io { now: 0, power_on_at: 0, phone, trace: Vec::new(), events: 0, wake_latch: false, sram, break_on: None, break_hit: false }
    }

    /// Microseconds since power-on: what the timer shows.
    pub(crate) fn uptime(&self) -> u64 {
        self.now.saturating_sub(self.power_on_at)
    }

    /// Converts a timer value (µs since power-on) to emulator time.
    pub(crate) fn to_abs(&self, timer_us: u64) -> u64 {
        self.power_on_at.saturating_add(timer_us)
    }

    pub(crate) fn emit(&mut self, event: Event) {
        if let (Event::Log { text }, Some(breaks)) = (&event, self.break_on) {
            self.break_hit |= breaks(text);
        }
        self.trace.push(Record { t_us: self.now, phone: self.phone.clone(), event });
    }

    pub(crate) fn raise(&mut self, event_bits: u32) {
        self.events |= event_bits;
        self.wake_latch = true;
    }

    /// SRAM bytes at the absolute address `addr`, if the range lies in SRAM.
    pub(crate) fn sram(&self, addr: u32, len: usize) -> Option<&[u8]> {
        let off = addr.checked_sub(board::map::SRAM.base)? as usize;
        self.sram.get(off, len)
    }

    pub(crate) fn sram_mut(&mut self, addr: u32, len: usize) -> Option<&mut [u8]> {
        let off = addr.checked_sub(board::map::SRAM.base)? as usize;
        self.sram.get_mut(off, len)
    }
}

/// A peripheral model: sees offsets relative to its 4 KiB block. Accesses
/// are 1, 2 or 4 bytes; a narrower access to a word register reads the
/// matching bytes of the word and writes the value zero-extended.
pub(crate) trait Device {
    fn read(&mut self, off: u32, io: &mut Io) -> u32;
    fn write(&mut self, off: u32, size: usize, value: u32, io: &mut Io);
    /// Back to the power-on state (software, watchdog or power reset).
    fn reset(&mut self, io: &mut Io);
}
