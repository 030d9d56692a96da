//! System control: identity (model, MAC from OTP), reset cause, software
//! reset, the sleep deadline, the watchdog, the boot-window slot and the
//! wake-event register.
//!
//! Guarantees: writes that change the machine (RESET, BOOT_SLOT) are only
//! recorded here and applied by the machine at the next stop, never inside the
//! CPU slice; the sleep deadline is one-shot (disarmed once it has fired).

use crate::io::{Device, Io};
use board::periph::sysctl::{reg, *};

pub(crate) struct Sysctl {
    model: u32,
    mac: [u8; 6],
    pub cause: u32,
    /// A software reset was requested (RESET_KEY written).
    pub reset_requested: bool,
    sleep_lo: u32,
    /// Wake deadline in timer µs; `u64::MAX` = none.
    pub deadline: u64,
    wdt_timeout: u32,
    /// Watchdog expiry in timer µs, when enabled.
    pub wdt_expiry: Option<u64>,
    /// The slot now in the boot window.
    pub slot: u32,
    /// A BOOT_SLOT write not applied yet.
    pub slot_request: Option<u32>,
    /// RUN_DUE_LO/HI: when the run now starting was due (timer µs).
    run_due: u64,
}

impl Sysctl {
    pub(crate) fn new(hardware: board::model::Hardware, mac: [u8; 6]) -> Sysctl {
        Sysctl {
            model: hardware as u32 | (hardware.revision() as u32) << 8,
            mac,
            cause: RESET_CAUSE_POWER_ON,
            reset_requested: false,
            sleep_lo: 0,
            deadline: u64::MAX,
            wdt_timeout: 0,
            wdt_expiry: None,
            slot: 0,
            slot_request: None,
            run_due: 0,
        }
    }
}

fn run_reason(v: u32) -> Option<trace::RunReason> {
    use trace::RunReason as R;
    match v {
        RUN_POWER_UP => Some(R::PowerUp),
        RUN_PERIODIC => Some(R::Periodic),
        RUN_NOTIFY => Some(R::Notify),
        RUN_NOTIFY_REBOOT => Some(R::NotifyReboot),
        _ => None,
    }
}

impl Device for Sysctl {
    fn read(&mut self, off: u32, io: &mut Io) -> u32 {
        match off {
            reg::MODEL => self.model,
            reg::MAC_LO => u32::from_le_bytes([self.mac[0], self.mac[1], self.mac[2], self.mac[3]]),
            reg::MAC_HI => u32::from_le_bytes([self.mac[4], self.mac[5], 0, 0]),
            reg::RESET_CAUSE => self.cause,
            reg::SLEEP_LO => self.deadline as u32,
            reg::SLEEP_HI => (self.deadline >> 32) as u32,
            reg::WDT_TIMEOUT => self.wdt_timeout,
            reg::BOOT_SLOT => self.slot_request.unwrap_or(self.slot),
            reg::RUN_DUE_LO => self.run_due as u32,
            reg::RUN_DUE_HI => (self.run_due >> 32) as u32,
            reg::EVENTS => {
                io.wake_latch = false;
                std::mem::take(&mut io.events)
            }
            _ => 0,
        }
    }

    fn write(&mut self, off: u32, _size: usize, value: u32, io: &mut Io) {
        match off {
            reg::RESET if value == RESET_KEY => self.reset_requested = true,
            reg::SLEEP_LO => self.sleep_lo = value,
            reg::SLEEP_HI => self.deadline = (value as u64) << 32 | self.sleep_lo as u64,
            reg::WDT_TIMEOUT => {
                self.wdt_timeout = value;
                self.wdt_expiry = (value > 0).then(|| io.uptime() + value as u64);
            }
            reg::WDT_KICK if value == WDT_KICK_KEY && self.wdt_timeout > 0 => {
                self.wdt_expiry = Some(io.uptime() + self.wdt_timeout as u64);
            }
            reg::BOOT_SLOT => self.slot_request = Some(value & 1),
            reg::RUN_DUE_LO => self.run_due = self.run_due & !0xFFFF_FFFF | u64::from(value),
            reg::RUN_DUE_HI => self.run_due = self.run_due & 0xFFFF_FFFF | u64::from(value) << 32,
            reg::RUN_MARK => {
                if let Some(reason) = run_reason(value) {
                    let due_us = io.to_abs(self.run_due);
                    io.emit(trace::Event::Run { reason, due_us });
                }
            }
            _ => {}
        }
    }

    fn reset(&mut self, _io: &mut Io) {
        // The machine sets `cause` and remaps the window (`slot`) itself.
        self.reset_requested = false;
        self.sleep_lo = 0;
        self.deadline = u64::MAX;
        self.wdt_timeout = 0;
        self.wdt_expiry = None;
        self.slot_request = None;
        self.run_due = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hostmem::HostMem;
    use board::model::Hardware;

    fn io() -> Io {
        Io::new("X".into(), HostMem::zeroed(4096).unwrap())
    }

    #[test]
    fn identity_registers() {
        let mut s = Sysctl::new(Hardware::St2022, [0x00, 0x90, 0x96, 0xA1, 0xB1, 0xC1]);
        let mut io = io();
        assert_eq!(s.read(reg::MODEL, &mut io), 0x0501);
        assert_eq!(s.read(reg::MAC_LO, &mut io), 0xA196_9000);
        assert_eq!(s.read(reg::MAC_HI, &mut io), 0xC1B1);
        s.reset(&mut io);
        assert_eq!(s.read(reg::MODEL, &mut io), 0x0501, "reset keeps the identity");
    }

    #[test]
    fn deadline_arms_on_hi_and_events_clear_on_read() {
        let mut s = Sysctl::new(Hardware::St2030, [0; 6]);
        let mut io = io();
        s.write(reg::SLEEP_LO, 4, 0x10, &mut io);
        assert_eq!(s.deadline, u64::MAX);
        s.write(reg::SLEEP_HI, 4, 0x2, &mut io);
        assert_eq!(s.deadline, 0x2_0000_0010);
        io.raise(EVENT_KEY | EVENT_NIC_RX);
        assert_eq!(s.read(reg::EVENTS, &mut io), EVENT_KEY | EVENT_NIC_RX);
        assert_eq!(s.read(reg::EVENTS, &mut io), 0);
        assert!(!io.wake_latch);
    }

    #[test]
    fn run_mark_becomes_a_run_event_at_absolute_time() {
        let mut s = Sysctl::new(Hardware::St2030, [0; 6]);
        let mut io = io();
        io.power_on_at = 1_000;
        io.now = 9_000;
        s.write(reg::RUN_DUE_LO, 4, 5_000, &mut io);
        s.write(reg::RUN_DUE_HI, 4, 0, &mut io);
        assert_eq!(s.read(reg::RUN_DUE_LO, &mut io), 5_000);
        s.write(reg::RUN_MARK, 4, 9, &mut io);
        assert!(io.trace.is_empty(), "unknown reasons are ignored");
        s.write(reg::RUN_MARK, 4, RUN_NOTIFY, &mut io);
        assert_eq!(io.trace.len(), 1);
        assert_eq!(io.trace[0].event, trace::Event::Run { reason: trace::RunReason::Notify, due_us: 6_000 });
        assert_eq!(io.trace[0].t_us, 9_000);
    }

    #[test]
    fn watchdog_needs_the_key_and_reset_needs_its_key() {
        let mut s = Sysctl::new(Hardware::St2030, [0; 6]);
        let mut io = io();
        io.now = 100;
        s.write(reg::WDT_TIMEOUT, 4, 1000, &mut io);
        assert_eq!(s.wdt_expiry, Some(1100));
        io.now = 500;
        s.write(reg::WDT_KICK, 4, 0x1234, &mut io);
        assert_eq!(s.wdt_expiry, Some(1100));
        s.write(reg::WDT_KICK, 4, WDT_KICK_KEY, &mut io);
        assert_eq!(s.wdt_expiry, Some(1500));
        s.write(reg::RESET, 4, 1, &mut io);
        assert!(!s.reset_requested);
        s.write(reg::RESET, 4, RESET_KEY, &mut io);
        assert!(s.reset_requested);
        s.write(reg::WDT_TIMEOUT, 4, 0, &mut io);
        assert_eq!(s.wdt_expiry, None);
    }
}
