use crate::asm::*;
use crate::*;
use board::map::SRAM;
use board::periph::{keypad, sysctl, timer};
use board::keys::Key;
use machine::Stop;
use std::time::Duration;

#[test]
fn sleeps_until_the_deadline_and_reports_why_it_woke() {
    let mut a = Asm::rom();
    a.log("hi\n").sleep(1000).log("woke\n").peek(sysctl::BASE + sysctl::reg::EVENTS).li(0, SRAM.base).str(2, 0, 0).sleep_forever();
    let mut m = powered(a.finish(), 0);
    assert_eq!(m.run(0), Stop::Sleeping { until: Some(1000) });
    assert_eq!(m.poll_at(), Some(1000));
    assert_eq!(m.run(999), Stop::Sleeping { until: Some(1000) });
    assert_eq!(m.run(1000), Stop::Sleeping { until: None });
    assert_eq!(m.poll_at(), None);
    let t = m.drain_trace();
    assert_eq!(logs(&t), ["hi", "woke"]);
    assert_eq!(t.iter().map(|r| r.t_us).collect::<Vec<_>>(), [0, 0, 1000]);
    assert_eq!(word(&m, SRAM.base), sysctl::EVENT_DEADLINE);
}

#[test]
fn timer_counts_from_power_on_in_64_bits() {
    let deadline = (1u64 << 32) + 5;
    let mut a = Asm::rom();
    a.sleep(deadline).li(0, timer::BASE).ldr(2, 0, 0).ldr(3, 0, 4).li(0, SRAM.base).str(2, 0, 0).str(3, 0, 4).sleep_forever();
    let mut m = powered(a.finish(), 5000);
    assert_eq!(m.run(5000), Stop::Sleeping { until: Some(5000 + deadline) });
    m.run(5000 + deadline);
    assert_eq!((word(&m, SRAM.base), word(&m, SRAM.base + 4)), (5, 1));
}

/// Sleeps until an event; on each wake stores EVENTS and one popped key.
fn key_program() -> Vec<u8> {
    let mut a = Asm::rom();
    a.label("loop").sleep(u64::MAX);
    a.peek(sysctl::BASE + sysctl::reg::EVENTS).li(0, SRAM.base).str(2, 0, 0);
    a.peek(keypad::BASE + keypad::reg::POP).li(0, SRAM.base).str(2, 0, 4);
    a.peek(keypad::BASE + keypad::reg::STATUS).li(0, SRAM.base).str(2, 0, 8);
    a.b("loop");
    a.finish()
}

#[test]
fn a_key_wakes_the_cpu_and_reaches_the_fifo() {
    let mut m = powered(key_program(), 0);
    assert_eq!(m.run(0), Stop::Sleeping { until: None });
    m.press(50, Key::Menu, true);
    assert_eq!(m.poll_at(), Some(50));
    m.run(50);
    assert_eq!(word(&m, SRAM.base), sysctl::EVENT_KEY);
    assert_eq!(word(&m, SRAM.base + 4), Key::Menu.code() as u32 | keypad::EVENT_DOWN);
    m.set_hook(60, true);
    m.set_hook(61, true);
    m.run(61);
    assert_eq!(word(&m, SRAM.base + 8), keypad::STATUS_OFF_HOOK);
    let t = m.drain_trace();
    assert_eq!(
        events(&t)[1..],
        [trace::Event::Key { key: "menu".into(), down: true }, trace::Event::Key { key: "hook".into(), down: true }]
    );
    assert_eq!((t[1].t_us, t[2].t_us), (50, 60));
}

#[test]
fn an_event_before_wfi_makes_it_return_at_once() {
    let mut m = powered(key_program(), 0);
    m.press(0, Key::D1, true);
    assert_eq!(m.run(0), Stop::Sleeping { until: None });
    assert_eq!(word(&m, SRAM.base + 4), 0x101);
}

#[test]
fn a_cpu_that_never_sleeps_is_a_hang() {
    let mut a = Asm::rom();
    a.label("l").b("l");
    let mut m = powered(a.finish(), 0);
    m.set_hang_budget(Duration::from_millis(50));
    match m.run(0) {
        Stop::Crashed { pc, reason } => assert_eq!((pc, reason.starts_with("hang")), (8, true), "{reason}"),
        s => panic!("{s:?}"),
    }
    assert_eq!(m.poll_at(), None);
}

#[test]
fn a_wfi_that_always_returns_at_once_is_a_hang() {
    let mut a = Asm::rom();
    a.label("l").sleep(0).b("l");
    let mut m = powered(a.finish(), 0);
    assert!(matches!(m.run(0), Stop::Crashed { reason, .. } if reason.starts_with("hang")));
}

/// Regression: a core keeps the registers of the last phone it ran. A phone
/// that ran on thread A, then on thread B, then on A again must not resume
/// on A with the registers A kept from its first visit (a counter kept in
/// r4 across `wfi` went back by one, and 2 of 30 swarm phones failed).
#[test]
fn a_phone_back_on_a_thread_resumes_with_its_latest_registers() {
    let mut a = Asm::rom();
    a.movs(4, 0).label("loop").adds(4, 1).li(0, SRAM.base).str(4, 0, 0).sleep(u64::MAX).b("loop");
    let mut m = powered(a.finish(), 0);
    let (to_a, on_a) = std::sync::mpsc::channel::<Machine>();
    let (back_a, from_a) = std::sync::mpsc::channel::<Machine>();
    let thread_a = std::thread::spawn(move || {
        for mut m in on_a {
            let t = m.now() + 1;
            m.run(t);
            back_a.send(m).unwrap();
        }
    });
    for n in 1..=6u32 {
        if n % 2 == 1 {
            to_a.send(m).unwrap();
            m = from_a.recv().unwrap();
        } else {
            let t = m.now() + 1;
            m.run(t);
        }
        assert_eq!(word(&m, SRAM.base), n, "wake {n}");
        m.press(m.now(), Key::Menu, true);
    }
    drop(to_a);
    thread_a.join().unwrap();
}
