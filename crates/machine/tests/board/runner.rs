use crate::asm::*;
use crate::*;
use board::keys::Key;
use board::map::{CONFIG, FLASH, SRAM};
use board::periph::{flashctl, lcd, rng};
use machine::{ClockMode, Control, Input, Network, RunEnd, Runner};
use std::time::{Duration, Instant};
use trace::{Event, PowerState};

/// On every wake: pops a key, writes the RNG as 4 printable characters on line 1.
fn busy_program() -> Vec<u8> {
    let mut a = Asm::rom();
    a.label("loop").sleep(u64::MAX);
    a.peek(board::periph::keypad::BASE + board::periph::keypad::reg::POP);
    a.peek(rng::BASE).li(3, 0x1F1F_1F1F).ands(2, 3).li(3, 0x4040_4040).orrs(2, 3);
    a.li(0, lcd::BASE + lcd::reg::CHARS).str(2, 0, 0).li(0, lcd::BASE + lcd::reg::COMMIT).str(2, 0, 0);
    a.b("loop");
    a.finish()
}

fn collect(r: &mut Runner, until: u64) -> (Vec<trace::Record>, RunEnd) {
    let mut out = Vec::new();
    let end = r.run_until(until, &mut |rec| {
        out.push(rec.clone());
        Control::Continue
    });
    (out, end)
}

fn scripted_run() -> Vec<trace::Record> {
    let mut r = Runner::new(powered_later(busy_program()), ClockMode::Virtual);
    r.schedule(0, Input::PowerOn);
    for (i, k) in [Key::D1, Key::D2, Key::Ok].into_iter().enumerate() {
        r.schedule(1_000_000 * (i as u64 + 1), Input::Key { key: k, down: true });
    }
    r.schedule(3_600_000_000, Input::Hook { off_hook: true });
    collect(&mut r, 7_200_000_000).0
}

fn powered_later(rom: Vec<u8>) -> machine::Machine {
    machine(rom, Vec::new())
}

#[test]
fn virtual_time_jumps_and_inputs_apply_in_order() {
    let started = Instant::now();
    let t = scripted_run();
    assert!(started.elapsed() < Duration::from_secs(5), "two emulated hours take no real time");
    let keys: Vec<_> = t.iter().filter(|r| matches!(r.event, Event::Key { .. })).map(|r| r.t_us).collect();
    assert_eq!(keys, [1_000_000, 2_000_000, 3_000_000, 3_600_000_000]);
    assert_eq!(t[0].event, Event::Power { state: PowerState::On });
    let lines = t.iter().filter(|r| matches!(r.event, Event::Lcd { .. })).count();
    assert!(lines >= 3, "each key redraws line 1 from the RNG: {lines}");
}

#[test]
fn two_runs_give_identical_traces() {
    let a: Vec<String> = scripted_run().iter().map(|r| r.to_json()).collect();
    let b: Vec<String> = scripted_run().iter().map(|r| r.to_json()).collect();
    assert_eq!(a, b);
}

#[test]
fn the_sink_can_pause_at_a_flash_operation_to_cut_power_during_it() {
    let mut a = Asm::rom();
    let f = flashctl::BASE;
    a.poke(f + flashctl::reg::ADDR, CONFIG.base).poke(f + flashctl::reg::CMD, flashctl::CMD_ERASE_SECTOR).sleep_forever();
    let mut m = machine(a.finish(), vec![0; 0x30_0000]);
    m.power_on(500);
    let mut r = Runner::new(m, ClockMode::Virtual);
    let end = r.run_until(1_000_000, &mut |rec| if matches!(rec.event, Event::Flash { .. }) { Control::Pause } else { Control::Continue });
    assert_eq!((end, r.now()), (RunEnd::Paused, 500));
    r.schedule(r.now() + flashctl::ERASE_US / 4, Input::PowerCut);
    let (t, end) = collect(&mut r, 1_000_000);
    assert_eq!(end, RunEnd::Reached);
    assert_eq!(r.now(), 1_000_000);
    assert_eq!((t[0].t_us, &t[0].event), (500 + flashctl::ERASE_US / 4, &Event::Power { state: PowerState::Off }));
    let s = &r.machine().flash()[(CONFIG.base - FLASH.base) as usize..];
    assert_eq!((s[0], s[0x4000 + 16], s[0x8000]), (0xFF, 0, 0), "a quarter erased");
}

#[test]
fn real_time_waits_for_the_host_clock() {
    let mut r = Runner::new(machine(busy_program(), Vec::new()), ClockMode::Real);
    r.schedule(0, Input::PowerOn);
    let started = Instant::now();
    collect(&mut r, 30_000);
    assert!(started.elapsed() >= Duration::from_millis(30));
}

/// Echoes every frame back to the phone 100 µs later.
struct Echo(Vec<(u64, Vec<u8>)>);

impl Network for Echo {
    fn receive(&mut self, now: u64, frame: &[u8]) {
        self.0.push((now + 100, frame.iter().rev().copied().collect()));
    }
    fn transmit(&mut self, now: u64) -> Option<Vec<u8>> {
        (self.0.first()?.0 <= now).then(|| self.0.remove(0).1)
    }
    fn poll_at(&self) -> Option<u64> {
        self.0.first().map(|f| f.0)
    }
}

#[test]
fn frames_cross_the_network_seam_both_ways() {
    let mut r = Runner::new(machine(crate::nic::nic_program(), Vec::new()), ClockMode::Virtual);
    r.set_network(Box::new(Echo(Vec::new())));
    r.schedule(0, Input::PowerOn);
    collect(&mut r, 1000);
    let mut back = crate::nic::frame(16);
    back.reverse();
    assert_eq!(r.machine().peek(crate::nic::RX_BUF, 16).unwrap(), back);
    assert_eq!(word(r.machine(), SRAM.base + 0x10), board::periph::sysctl::EVENT_NIC_RX);
}
