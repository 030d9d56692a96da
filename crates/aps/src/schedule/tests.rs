use super::*;

const S: u64 = 1_000_000;
const MIN: u64 = 60 * S;
const H: u64 = 60 * MIN;
/// 2024-01-01 00:00:00 UTC.
const JAN1: u64 = 1_704_067_200;

fn t(us: u64) -> Instant {
    Instant::from_micros(us)
}

fn timing(days: u8, start: (u16, u16), span: u8) -> Timing {
    Timing { span_minutes: span, days, start_minute: start.0 * 60 + start.1 }
}

/// Booted at board time 0 at local `hh:00`; NTP known 2 s later.
fn booted(hh: u64, tm: Timing, seed: u32) -> Schedule {
    let mut s = Schedule::new(Instant::ZERO, tm, seed, Reason::PowerUp, false);
    s.clock(Wall { unix_secs: JAN1 + hh * 3600 + 2, at: t(2 * S), offset_minutes: 0 });
    s
}

fn run(s: &mut Schedule, now: u64) -> Option<Go> {
    let g = s.poll(t(now), true);
    if g.is_some() {
        s.run_ended();
    }
    g
}

#[test]
fn examples_1_and_2_run_at_boot_only() {
    for start in [(0, 0), (15, 0)] {
        let mut s = booted(17, timing(0, start, 0), 7);
        assert_eq!(run(&mut s, 0), Some(Go::Run { reason: Reason::PowerUp, due: Instant::ZERO }));
        assert_eq!(s.next_periodic(), None, "TimeDays 0: no periodic run");
        assert_eq!(s.poll_at(true), None);
        assert_eq!(run(&mut s, 30 * 24 * H), None);
    }
}

#[test]
fn example_3_within_ten_minutes_of_boot_and_seeds_differ() {
    let mut dues = Vec::new();
    for seed in 1..=20 {
        let s = booted(17, timing(0, (15, 0), 10), seed);
        let (reason, due) = s.pending().unwrap();
        assert_eq!(reason, Reason::PowerUp);
        assert!(due <= t(10 * MIN), "seed {seed}: {due:?}");
        dues.push(due);
    }
    dues.sort();
    dues.dedup();
    assert!(dues.len() > 15, "different seeds, different moments: {dues:?}");
    let mut s = booted(17, timing(0, (15, 0), 10), 3);
    let due = s.pending().unwrap().1;
    assert_eq!(s.poll(Instant::from_micros(due.micros().saturating_sub(1)), true), None.filter(|_| due > Instant::ZERO));
    assert_eq!(s.poll_at(true), Some(due));
    assert_eq!(s.poll(due, true), Some(Go::Run { reason: Reason::PowerUp, due }));
}

#[test]
fn example_4_two_days_later_because_of_the_24_hours() {
    let mut s = booted(17, timing(1, (15, 0), 0), 1);
    assert_eq!(run(&mut s, 0), Some(Go::Run { reason: Reason::PowerUp, due: Instant::ZERO }));
    // Day 1 at 15:00 is only 22 h after 17:00: day 2 at 15:00.
    let due = t(46 * H);
    assert_eq!(s.next_periodic(), Some(due));
    assert_eq!(run(&mut s, 46 * H - 1), None);
    assert_eq!(run(&mut s, 46 * H), Some(Go::Run { reason: Reason::Periodic, due }));
    assert_eq!(s.next_periodic(), Some(t(70 * H)), "then every day");
}

#[test]
fn example_5_next_day_within_twenty_minutes() {
    let mut s = booted(8, timing(1, (15, 0), 20), 99);
    let (_, boot_due) = s.pending().unwrap();
    assert!(boot_due <= t(20 * MIN));
    let p = s.next_periodic().unwrap();
    assert!(p >= t(31 * H) && p <= t(31 * H + 20 * MIN), "{p:?}");
    assert_eq!(run(&mut s, boot_due.micros()).map(|g| matches!(g, Go::Run { reason: Reason::PowerUp, .. })), Some(true));
    assert_eq!(run(&mut s, p.micros()), Some(Go::Run { reason: Reason::Periodic, due: p }));
    let q = s.next_periodic().unwrap();
    assert!(q >= t(55 * H) && q <= t(55 * H + 20 * MIN), "{q:?}");
}

#[test]
fn days_count_from_the_boot_and_zone_shifts_local_time() {
    // Booted 23:00 UTC = 00:00 at UTC+1; NTP comes 30 min later. TimeDays 2, 01:00.
    let mut s = Schedule::new(Instant::ZERO, timing(2, (1, 0), 0), 5, Reason::PowerUp, false);
    s.clock(Wall { unix_secs: JAN1 + 23 * 3600 + 1800, at: t(30 * MIN), offset_minutes: 60 });
    assert_eq!(s.next_periodic(), Some(t(49 * H)));
}

#[test]
fn t2_never_without_ntp() {
    let mut s = Schedule::new(Instant::ZERO, timing(1, (0, 0), 0), 1, Reason::PowerUp, false);
    assert_eq!(run(&mut s, 0).map(|_| ()), Some(()));
    assert_eq!(s.next_periodic(), None);
    assert_eq!(run(&mut s, 10 * 24 * H), None);
    // A second clock call does not re-plan.
    let mut c = booted(17, timing(1, (15, 0), 0), 1);
    c.clock(Wall { unix_secs: JAN1 + 3 * 3600, at: t(H), offset_minutes: 0 });
    assert_eq!(c.next_periodic(), Some(t(46 * H)));
}

#[test]
fn t3_waits_until_ready() {
    let mut s = booted(8, timing(1, (15, 0), 0), 3);
    assert_eq!(run(&mut s, 0).map(|_| ()), Some(()));
    let due = s.next_periodic().unwrap();
    assert_eq!(s.poll(due, false), None, "off-hook");
    assert_eq!(s.poll_at(false), None, "nothing to wake for while busy");
    assert_eq!(s.poll(t(due.micros() + 5 * MIN), true), Some(Go::Run { reason: Reason::Periodic, due }));
    assert_eq!(s.poll(t(due.micros() + 6 * MIN), true), None, "running");
    assert_eq!(s.poll_at(true), None);
}

#[test]
fn t4_notify_waits_for_the_span_and_floods_give_one_run() {
    let mut s = booted(17, timing(0, (0, 0), 5), 11);
    let boot_due = s.pending().unwrap().1;
    assert_eq!(s.notify(t(S), false), Notified::Busy, "the power-up run is pending");
    assert!(s.poll(boot_due, true).is_some());
    assert_eq!(s.notify(boot_due, false), Notified::Busy, "running");
    s.run_ended();
    let now = boot_due.micros() + 10 * S;
    let Notified::Scheduled(at) = s.notify(t(now), false) else { panic!() };
    assert!(at >= t(now) && at <= t(now + 5 * MIN));
    for i in 1..1000 {
        assert_eq!(s.notify(t(now + i * 10_000), i % 2 == 0), Notified::Busy);
    }
    assert_eq!(s.poll(at, true), Some(Go::Run { reason: Reason::Notify, due: at }));
    s.run_ended();
    assert_eq!(s.notify(t(at.micros() + 1), false), Notified::Held { until: t(now + 5 * MIN) });
    assert!(matches!(s.notify(t(now + 5 * MIN), false), Notified::Scheduled(_)), "after the hold");
}

#[test]
fn s2_reboot_once_then_held_after_the_boot() {
    let mut s = booted(17, timing(0, (0, 0), 0), 11);
    assert!(run(&mut s, 0).is_some());
    assert_eq!(s.notify(t(5 * S), true), Notified::Reboot);
    assert_eq!(s.notify(t(5 * S + 1), true), Notified::Busy);
    assert_eq!(s.poll(t(6 * S), false), None, "not rebooted until idle");
    assert_eq!(s.poll(t(6 * S), true), Some(Go::Reboot));
    // The boot the reboot caused: its run is notify_reboot, and NOTIFYs are held a minute.
    let mut b = Schedule::new(Instant::ZERO, timing(0, (0, 0), 0), 12, Reason::NotifyReboot, false);
    assert_eq!(b.poll(Instant::ZERO, true), Some(Go::Run { reason: Reason::NotifyReboot, due: Instant::ZERO }));
    b.run_ended();
    assert_eq!(b.notify(t(30 * S), true), Notified::Held { until: t(MIN) });
    assert_eq!(b.notify(t(MIN), true), Notified::Reboot);
}

#[test]
fn resume_is_immediate_and_extremes_saturate() {
    let s = Schedule::new(t(7), timing(0, (0, 0), 255), 1, Reason::PowerUp, true);
    assert_eq!(s.pending(), Some((Reason::PowerUp, t(7))));
    let mut e = Schedule::new(t(u64::MAX - 1), timing(255, (23, 59), 255), u32::MAX, Reason::PowerUp, false);
    e.clock(Wall { unix_secs: u64::MAX / 4, at: t(u64::MAX), offset_minutes: -720 });
    let _ = e.poll(t(u64::MAX), true);
    let _ = e.notify(t(u64::MAX), true);
}
