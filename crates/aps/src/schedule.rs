//! When a provisioning run starts (CONFORMANCE T1–T4, S2; vendor document
//! 3.1–3.4), as a sans-I/O state machine: the firmware tells it the boot,
//! the NTP time once known, each accepted NOTIFY and each run's end, and
//! asks `poll(now, ready)` whether to start a run (or reboot) now.
//!
//! - T1: every boot arms one run due at a uniformly random moment in
//!   [boot, boot + `AutoprovisionTimeSpan` minutes].
//! - T2: with NTP time, periodic runs every `AutoprovisionTimeDays` days at
//!   a random moment in [start, start + span], where day 0 is the day of the
//!   boot and the first start is at least 24 h after the boot (else one day
//!   later: the document's examples 4 and 5). Later starts follow every
//!   `days` days. Without NTP time, or with `days` = 0: never.
//! - T3: a due run starts only when the caller says the phone is `ready`
//!   (idle); until then it waits, and `poll_at` leaves it out (the hook
//!   change wakes the caller).
//! - T4/S2: an accepted NOTIFY arms one run due in [now, now + span], or a
//!   reboot (whose boot then arms the `notify_reboot` run). A NOTIFY while a
//!   run is pending, running or a reboot is pending, or within the hold
//!   after the last accepted one, changes nothing.
//!   **Decision:** the hold is `max(span, 1 minute)`, counted from the last
//!   accepted NOTIFY (or from a boot that a NOTIFY reboot caused), so a
//!   flood makes at most one run or one reboot per hold.
//!
//! Guarantees: no I/O, no clock, no allocation; the random moments come
//! from a xorshift stream seeded by the caller (the board RNG), so equal
//! seeds give equal schedules; arithmetic saturates.

use crate::time::Instant;

const MINUTE_US: u64 = 60_000_000;
const DAY_SECS: i64 = 86_400;
/// The shortest NOTIFY hold (see the module's Decision).
pub const MIN_NOTIFY_HOLD_US: u64 = MINUTE_US;

/// Why a run starts (the trace's `run` event reasons).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    PowerUp,
    Periodic,
    Notify,
    NotifyReboot,
}

impl Reason {
    pub fn name(self) -> &'static str {
        match self {
            Reason::PowerUp => "power_up",
            Reason::Periodic => "periodic",
            Reason::Notify => "notify",
            Reason::NotifyReboot => "notify_reboot",
        }
    }
}

/// The `[autoprovision]` timing keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Timing {
    /// `AutoprovisionTimeSpan`, minutes.
    pub span_minutes: u8,
    /// `AutoprovisionTimeDays`; 0 = no periodic runs.
    pub days: u8,
    /// `Autoprovisionstarttime`, minutes after local midnight.
    pub start_minute: u16,
}

/// Wall-clock time known at a board instant (from SNTP).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wall {
    pub unix_secs: u64,
    pub at: Instant,
    /// The local zone, minutes east of UTC.
    pub offset_minutes: i32,
}

/// What `poll` says to do now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Go {
    /// Start a run: why, and the moment it was due.
    Run { reason: Reason, due: Instant },
    /// Reboot for a `reboot=true` NOTIFY (then provision: [`Reason::NotifyReboot`]).
    Reboot,
}

/// What became of an accepted NOTIFY.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notified {
    /// A run is now due at this moment.
    Scheduled(Instant),
    /// A reboot is now pending.
    Reboot,
    /// A run is pending or running, or a reboot is pending: nothing new.
    Busy,
    /// Within the hold after the last accepted NOTIFY: nothing new.
    Held { until: Instant },
}

#[derive(Clone, Copy, Debug)]
struct Due {
    at: Instant,
    reason: Reason,
}

pub struct Schedule {
    timing: Timing,
    rng: u32,
    pending: Option<Due>,
    /// The next periodic run: its slot start (local seconds) and due moment.
    periodic: Option<(i64, Instant)>,
    boot: Instant,
    clocked: bool,
    /// The NTP anchor: a board instant and its local time in seconds.
    wall: Option<(Instant, i64)>,
    running: bool,
    reboot: bool,
    hold_until: Instant,
}

/// Spreads a seed's bits (small seeds would start xorshift nearly at 0).
fn mix(seed: u32) -> u32 {
    let mut x = seed ^ 0x5BD1_E995;
    x = (x ^ (x >> 16)).wrapping_mul(0x7FEB_352D);
    x = (x ^ (x >> 15)).wrapping_mul(0x846C_A68B);
    (x ^ (x >> 16)) | 1
}

impl Schedule {
    /// The schedule of a boot at `boot`: its run (T1) is `first`
    /// ([`Reason::PowerUp`], or [`Reason::NotifyReboot`] after a NOTIFY
    /// reboot); `immediate` makes it due at `boot` (a boot that resumes a
    /// run after a firmware upgrade).
    pub fn new(boot: Instant, timing: Timing, seed: u32, first: Reason, immediate: bool) -> Schedule {
        let mut s = Schedule {
            timing,
            rng: mix(seed),
            pending: None,
            periodic: None,
            boot,
            clocked: false,
            wall: None,
            running: false,
            reboot: false,
            hold_until: Instant::ZERO,
        };
        let at = if immediate { boot } else { s.within_span(boot) };
        s.pending = Some(Due { at, reason: first });
        if first == Reason::NotifyReboot {
            s.hold_until = boot + s.hold();
        }
        s
    }

    fn next_random(&mut self) -> u32 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rng = x;
        x
    }

    /// A uniformly random moment in [from, from + span].
    fn within_span(&mut self, from: Instant) -> Instant {
        let span = u64::from(self.timing.span_minutes) * MINUTE_US;
        let r = u64::from(self.next_random());
        Instant::from_micros(from.micros().saturating_add(((u128::from(r) * u128::from(span + 1)) >> 32) as u64))
    }

    fn hold(&self) -> core::time::Duration {
        core::time::Duration::from_micros((u64::from(self.timing.span_minutes) * MINUTE_US).max(MIN_NOTIFY_HOLD_US))
    }

    /// NTP time is known (T2). Only the first call plans the periodic runs.
    pub fn clock(&mut self, wall: Wall) {
        if core::mem::replace(&mut self.clocked, true) || self.timing.days == 0 {
            return;
        }
        let local_at = wall.unix_secs as i64 + i64::from(wall.offset_minutes) * 60;
        let boot_local = local_at - (wall.at.micros().saturating_sub(self.boot.micros()) / 1_000_000) as i64;
        let day0 = boot_local - boot_local.rem_euclid(DAY_SECS);
        let mut slot = day0 + i64::from(self.timing.days) * DAY_SECS + i64::from(self.timing.start_minute) * 60;
        while slot - boot_local < DAY_SECS {
            slot += DAY_SECS;
        }
        let to_us = |slot: i64| Instant::from_micros(wall.at.micros().saturating_add(((slot - local_at).max(0) as u64).saturating_mul(1_000_000)));
        let start = to_us(slot);
        let due = self.within_span(start);
        self.periodic = Some((slot, due));
        self.wall = Some((wall.at, local_at));
    }

    /// An accepted NOTIFY (source and switch already checked: `aps::notify`).
    pub fn notify(&mut self, now: Instant, reboot: bool) -> Notified {
        if self.running || self.reboot || self.pending.is_some() {
            return Notified::Busy;
        }
        if now < self.hold_until {
            return Notified::Held { until: self.hold_until };
        }
        self.hold_until = now + self.hold();
        if reboot {
            self.reboot = true;
            return Notified::Reboot;
        }
        let at = self.within_span(now);
        self.pending = Some(Due { at, reason: Reason::Notify });
        Notified::Scheduled(at)
    }

    fn due_now(&self, now: Instant) -> Option<Due> {
        let periodic = self.periodic.map(|(_, at)| Due { at, reason: Reason::Periodic });
        [self.pending, periodic].into_iter().flatten().filter(|d| d.at <= now).min_by_key(|d| d.at)
    }

    /// What to do at `now`; `ready`: the phone is idle (on-hook) and on the
    /// network, so a run (or a reboot) may begin.
    pub fn poll(&mut self, now: Instant, ready: bool) -> Option<Go> {
        if self.running || !ready {
            return None;
        }
        if self.reboot {
            return Some(Go::Reboot);
        }
        let due = self.due_now(now)?;
        self.running = true;
        if due.reason == Reason::Periodic {
            self.advance_periodic();
        } else {
            self.pending = None;
        }
        Some(Go::Run { reason: due.reason, due: due.at })
    }

    fn advance_periodic(&mut self) {
        let (Some((slot, _)), Some((at, local_at))) = (self.periodic, self.wall) else { return };
        let next = slot + i64::from(self.timing.days) * DAY_SECS;
        let start = Instant::from_micros(at.micros().saturating_add(((next - local_at).max(0) as u64).saturating_mul(1_000_000)));
        let due = self.within_span(start);
        self.periodic = Some((next, due));
    }

    /// The run that `poll` started has ended (done, failed, or never began).
    pub fn run_ended(&mut self) {
        self.running = false;
    }

    pub fn running(&self) -> bool {
        self.running
    }

    /// The next moment `poll` may have something to do, given `ready`
    /// (`None`: only a change of `ready`, a NOTIFY or NTP can bring one).
    pub fn poll_at(&self, ready: bool) -> Option<Instant> {
        if self.running || !ready {
            return None;
        }
        if self.reboot {
            return Some(Instant::ZERO);
        }
        let periodic = self.periodic.map(|(_, at)| at);
        [self.pending.map(|d| d.at), periodic].into_iter().flatten().min()
    }

    /// The next periodic run's due moment, if any.
    pub fn next_periodic(&self) -> Option<Instant> {
        self.periodic.map(|(_, at)| at)
    }

    /// The pending one-shot run (power-up or NOTIFY), if any.
    pub fn pending(&self) -> Option<(Reason, Instant)> {
        self.pending.map(|d| (d.reason, d.at))
    }
}

#[cfg(test)]
mod tests;
