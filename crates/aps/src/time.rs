//! Time as the sans-I/O state machines see it: an [`Instant`] the caller
//! passes in (the board's 64-bit microsecond timer), never read from a clock.
//!
//! Guarantees: arithmetic saturates, so no input makes it panic.

use core::time::Duration;

/// Microseconds since boot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(u64);

impl Instant {
    pub const ZERO: Instant = Instant(0);

    pub const fn from_micros(us: u64) -> Instant {
        Instant(us)
    }
    pub const fn from_millis(ms: u64) -> Instant {
        Instant(ms.saturating_mul(1000))
    }
    pub const fn from_secs(s: u64) -> Instant {
        Instant(s.saturating_mul(1_000_000))
    }
    pub const fn micros(self) -> u64 {
        self.0
    }
    /// The time from `earlier` to `self`, zero when `earlier` is later.
    pub fn since(self, earlier: Instant) -> Duration {
        Duration::from_micros(self.0.saturating_sub(earlier.0))
    }
}

/// `instant + duration`, saturating at the end of time.
impl core::ops::Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        Instant(self.0.saturating_add(u64::try_from(d.as_micros()).unwrap_or(u64::MAX)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(Instant::from_secs(30) + Duration::from_secs(30), Instant::from_secs(60));
        assert_eq!(Instant::from_micros(u64::MAX) + Duration::from_secs(1), Instant::from_micros(u64::MAX));
        assert_eq!(Instant::from_secs(1).since(Instant::from_secs(2)), Duration::ZERO);
        assert_eq!(Instant::from_millis(1500).since(Instant::ZERO), Duration::from_millis(1500));
    }
}
