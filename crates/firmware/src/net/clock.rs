//! Wall-clock time from SNTP, and the idle screen's date line.
//!
//! **Decision** (`[ntp] NtpZoneNum`, 0..=255, which the vendor document
//! does not define): the zone number is the UTC offset in whole hours plus
//! 12, so 0 = UTC−12, 12 = UTC, 13 = UTC+1 (Paris in winter), 26 = UTC+14.
//! An absent or out-of-range value (27..=255) means UTC. No daylight saving.
//!
//! Guarantees: time only moves with the board timer between syncs; a new
//! sync replaces the old one.

use netclient::sntp::{Civil, civil};

/// The highest zone number with a meaning (UTC+14).
pub const MAX_ZONE: u8 = 26;

/// Minutes east of UTC for a `NtpZoneNum` value.
pub fn zone_offset_minutes(zone: Option<u8>) -> i32 {
    match zone {
        Some(z) if z <= MAX_ZONE => (i32::from(z) - 12) * 60,
        _ => 0,
    }
}

/// Unix time anchored to the board timer at the last SNTP reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WallClock {
    unix_secs: u64,
    at_us: u64,
}

impl WallClock {
    pub fn new(unix_secs: u64, at_us: u64) -> WallClock {
        WallClock { unix_secs, at_us }
    }

    pub fn unix_secs(&self, now_us: u64) -> u64 {
        self.unix_secs + now_us.saturating_sub(self.at_us) / 1_000_000
    }

    pub fn local(&self, now_us: u64, offset_minutes: i32) -> Civil {
        civil(self.unix_secs(now_us).min(i64::MAX as u64) as i64, offset_minutes)
    }

    /// The board time of the next minute change (for the idle screen).
    pub fn next_minute_us(&self, now_us: u64) -> u64 {
        let elapsed = now_us.saturating_sub(self.at_us);
        let into = (self.unix_secs % 60) * 1_000_000 + elapsed % 60_000_000;
        now_us + (60_000_000 - into % 60_000_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_numbers_map_to_hour_offsets() {
        assert_eq!(zone_offset_minutes(None), 0);
        assert_eq!(zone_offset_minutes(Some(0)), -720);
        assert_eq!(zone_offset_minutes(Some(13)), 60);
        assert_eq!(zone_offset_minutes(Some(26)), 840);
        assert_eq!(zone_offset_minutes(Some(27)), 0);
    }

    #[test]
    fn clock_runs_on_the_board_timer() {
        // 2024-01-01T00:00:50Z received at board time 5 s.
        let c = WallClock::new(1_704_067_250, 5_000_000);
        let t = c.local(15_000_000, 60);
        assert_eq!((t.year, t.month, t.day, t.hour, t.minute, t.second), (2024, 1, 1, 1, 1, 0));
        assert_eq!(c.next_minute_us(5_000_000), 15_000_000);
        assert_eq!(c.next_minute_us(15_000_000), 75_000_000);
        assert_eq!(c.unix_secs(0), 1_704_067_250, "time before the sync does not go back");
    }
}
