//! The emulator clock behind a [`Runner`](crate::Runner): virtual (jump to
//! the next deadline at once) or real (wait for the host clock).
//!
//! Guarantees: `wait_until(t)` never returns before the host clock reached
//! `t` in real mode, and never sleeps in virtual mode. Emulated time is the
//! target passed in, not the host time read after the wait, so stamps stay
//! exact in both modes.

use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockMode {
    /// Discrete-event: time jumps to the next deadline.
    Virtual,
    /// Follows the host clock (window, TAP, real servers).
    Real,
}

#[derive(Debug)]
pub struct Clock {
    mode: ClockMode,
    /// Host instant of emulated time 0 (real mode).
    origin: Instant,
}

impl Clock {
    /// A clock at emulated time `now_us`.
    pub fn new(mode: ClockMode, now_us: u64) -> Clock {
        let origin = Instant::now().checked_sub(Duration::from_micros(now_us)).unwrap_or_else(Instant::now);
        Clock { mode, origin }
    }

    pub fn mode(&self) -> ClockMode {
        self.mode
    }

    /// Emulated µs the host clock shows now (real mode; in virtual mode the
    /// host clock means nothing and this is only informative).
    pub fn host_now(&self) -> u64 {
        self.origin.elapsed().as_micros() as u64
    }

    /// Waits until emulated time `t_us` (real mode) or returns at once (virtual).
    pub fn wait_until(&self, t_us: u64) {
        if self.mode == ClockMode::Real {
            let target = self.origin + Duration::from_micros(t_us);
            let now = Instant::now();
            if target > now {
                std::thread::sleep(target - now);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_never_sleeps_real_waits_for_the_host() {
        let v = Clock::new(ClockMode::Virtual, 0);
        let t = Instant::now();
        v.wait_until(3_600_000_000);
        assert!(t.elapsed() < Duration::from_secs(1));
        let r = Clock::new(ClockMode::Real, 1_000_000);
        r.wait_until(1_020_000);
        assert!(r.host_now() >= 1_020_000);
    }
}
