//! What the firmware hands `aps::schedule` (when a run starts: T1–T4, S2):
//! the `[autoprovision]` timing keys read from the config store, and the
//! board's `RUN_*` code of a run's reason (the trace's `run` event).
//!
//! **Decision:** the timing keys are read at boot; a run that changes them
//! takes effect at the next boot (the document: "the upgrading takes effect
//! after phone rebooting"). An absent or bad value is its default (span 0,
//! days 0, start 00:00).
//!
//! Guarantees: pure; never panics on any stored bytes.

use crate::config::Config;
use aps::schedule::{Reason, Timing};
use aps::settings::{parse_number, parse_time};
use board::periph::sysctl::{RUN_NOTIFY, RUN_NOTIFY_REBOOT, RUN_PERIODIC, RUN_POWER_UP};

pub const KEY_TIME_SPAN: &[u8] = b"autoprovision.AutoprovisionTimeSpan";
pub const KEY_TIME_DAYS: &[u8] = b"autoprovision.AutoprovisionTimeDays";
pub const KEY_START_TIME: &[u8] = b"autoprovision.Autoprovisionstarttime";

fn byte(v: Option<&[u8]>) -> u8 {
    v.and_then(|v| parse_number(v.trim_ascii(), 0, 255).ok()).map_or(0, |n| n as u8)
}

/// The timing from the raw values of the three keys (`None`: absent).
pub fn timing(span: Option<&[u8]>, days: Option<&[u8]>, start: Option<&[u8]>) -> Timing {
    let start_minute = start.and_then(|v| parse_time(v.trim_ascii()).ok()).map_or(0, |t| t.minutes());
    Timing { span_minutes: byte(span), days: byte(days), start_minute }
}

/// The timing of the config store.
pub fn timing_of(config: &Config) -> Timing {
    timing(config.get(KEY_TIME_SPAN), config.get(KEY_TIME_DAYS), config.get(KEY_START_TIME))
}

/// The board's `RUN_MARK` value for a reason.
pub fn run_code(reason: Reason) -> u32 {
    match reason {
        Reason::PowerUp => RUN_POWER_UP,
        Reason::Periodic => RUN_PERIODIC,
        Reason::Notify => RUN_NOTIFY,
        Reason::NotifyReboot => RUN_NOTIFY_REBOOT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_defaults() {
        assert_eq!(timing(Some(b"20"), Some(b"1"), Some(b"15:00")), Timing { span_minutes: 20, days: 1, start_minute: 900 });
        assert_eq!(timing(None, None, None), Timing::default());
        assert_eq!(timing(Some(b"256"), Some(b"x"), Some(b"24:00")), Timing::default(), "bad values are defaults");
        assert_eq!(timing(Some(b" 5 "), Some(b"0"), Some(b"9:05")), Timing { span_minutes: 5, days: 0, start_minute: 545 });
    }

    #[test]
    fn every_reason_has_its_own_code() {
        let codes = [Reason::PowerUp, Reason::Periodic, Reason::Notify, Reason::NotifyReboot].map(run_code);
        assert_eq!(codes, [1, 2, 3, 4]);
    }
}
