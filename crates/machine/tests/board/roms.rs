use crate::*;
use board::map::SLOT_A;
use board::slot::{Commit, COMMIT_OFFSET};
use machine::{ClockMode, Control, Input, Runner, Stop};
use std::path::PathBuf;

fn roms_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../roms")
}

/// The factory flash for an app image: slot A + its commit record.
fn factory_flash(app: &[u8]) -> Vec<u8> {
    let (h, _) = board::image::Header::check_image(app).expect("a valid image in roms/");
    let mut f = vec![0xFF; (COMMIT_OFFSET + 16) as usize];
    f[..app.len()].copy_from_slice(app);
    let at = (SLOT_A.base - board::map::FLASH.base + COMMIT_OFFSET) as usize;
    f[at..at + 16].copy_from_slice(&Commit { seq: 1, image_crc: h.payload_crc }.encode());
    f
}

/// The real boot ROM and the factory flash of the ST2030S firmware.
fn real_images() -> (Vec<u8>, Vec<u8>) {
    let dir = roms_dir();
    let boot = std::fs::read(dir.join("boot.bin")).expect("roms/boot.bin");
    let app = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("v2030SG") && n.ends_with(".zz")))
        .expect("an ST2030S image in roms/");
    let app = std::fs::read(app).unwrap();
    (boot, factory_flash(&app))
}

/// The real boot ROM and firmware from `roms/` (built by `cargo xtask roms`).
pub fn real_phone() -> Machine {
    let (boot, flash) = real_images();
    machine(boot, flash)
}

/// Power on, 45 s (the firmware saves its config), power cycle, 60 s: the trace.
fn power_cycled(m: Machine) -> (Vec<trace::Record>, Machine) {
    let mut r = Runner::new(m, ClockMode::Virtual);
    r.schedule(0, Input::PowerOn);
    r.schedule(45_000_000, Input::PowerCut);
    r.schedule(46_000_000, Input::PowerOn);
    let mut t = Vec::new();
    r.run_until(60_000_000, &mut |rec| {
        t.push(rec.clone());
        Control::Continue
    });
    (t, r.into_machine())
}

/// Host options (a shared flash template, a small code buffer that fills and
/// is flushed) change nothing the guest does, and a template phone's flash
/// writes stay its own.
#[test]
fn a_phone_from_a_flash_template_with_a_small_code_buffer_runs_the_same() {
    let (boot, flash) = real_images();
    let (plain, plain_m) = power_cycled(machine(boot.clone(), flash.clone()));
    let template = machine::FlashTemplate::new(&flash).unwrap();
    let cfg = MachineConfig { hardware: Hardware::St2030, mac: MAC, seed: 42, boot_rom: boot, flash: Vec::new() };
    let opts = machine::MachineOptions { code_buffer: 1 << 20, flash: Some(template.clone()) };
    let (shared, shared_m) = power_cycled(Machine::with_options(cfg.clone(), opts.clone()).unwrap());
    assert!(plain.iter().any(|r| matches!(r.event, trace::Event::Flash { .. })), "the run writes flash");
    assert_eq!(shared, plain);
    assert!(shared_m.flash() == plain_m.flash(), "same flash at the end");
    let fresh = Machine::with_options(cfg.clone(), opts).unwrap();
    let mut expect = vec![0xFF; shared_m.flash().len()];
    expect[..flash.len()].copy_from_slice(&flash);
    assert!(fresh.flash() == &expect[..], "a new phone from the template sees the factory flash, not the other phone's writes");
    let twice = machine::MachineOptions { code_buffer: 2 << 20, flash: Some(template) };
    let cfg = MachineConfig { flash: vec![0], ..cfg };
    assert!(matches!(Machine::with_options(cfg, twice), Err(machine::MachineError::FlashTwice)));
}

#[test]
fn the_real_firmware_boots_and_shows_something() {
    let mut r = Runner::new(real_phone(), ClockMode::Virtual);
    r.schedule(0, Input::PowerOn);
    let mut t = Vec::new();
    r.run_until(10_000_000, &mut |rec| {
        t.push(rec.clone());
        Control::Continue
    });
    assert!(t.iter().any(|r| matches!(&r.event, trace::Event::Boot { image, .. } if image == "2.74")), "a boot record");
    assert!(!t.iter().any(|r| matches!(r.event, trace::Event::Crash { .. })), "no crash");
    assert!(t.iter().any(|r| matches!(r.event, trace::Event::Lcd { .. })), "the LCD shows something");
    assert!(!matches!(r.machine_mut().run(10_000_000), Stop::Crashed { .. }));
}

#[test]
fn the_real_firmware_boots_again_after_a_power_cut_and_feeds_the_watchdog() {
    let mut r = Runner::new(real_phone(), ClockMode::Virtual);
    r.schedule(0, Input::PowerOn);
    r.schedule(20_000_000, Input::PowerCut);
    r.schedule(21_000_000, Input::PowerOn);
    let mut t = Vec::new();
    r.run_until(40_000_000, &mut |rec| {
        t.push(rec.clone());
        Control::Continue
    });
    let boots: Vec<_> = t.iter().filter(|r| matches!(r.event, trace::Event::Boot { .. })).map(|r| r.t_us).collect();
    assert_eq!(boots, [0, 21_000_000], "no watchdog reset in 20 s of idle");
    assert!(!t.iter().any(|r| matches!(r.event, trace::Event::Crash { .. })), "no crash");
}

/// Regression: with unicorn's virtual TLB, a TLB miss inside a Thumb IT block
/// left stale IT bits behind (see `cpu::clear_it_state`); the firmware then
/// lost its saved config at every boot and crashed when the backlight went off.
#[test]
fn the_config_survives_a_power_cycle_and_idle_runs_past_the_backlight_timeout() {
    let mut r = Runner::new(real_phone(), ClockMode::Virtual);
    r.schedule(0, Input::PowerOn);
    r.schedule(45_000_000, Input::PowerCut);
    r.schedule(46_000_000, Input::PowerOn);
    let mut t = Vec::new();
    r.run_until(60_000_000, &mut |rec| {
        t.push(rec.clone());
        Control::Continue
    });
    let logs: Vec<(u64, &str)> = t
        .iter()
        .filter_map(|r| match &r.event {
            trace::Event::Log { text } => Some((r.t_us, text.as_str())),
            _ => None,
        })
        .collect();
    assert!(!t.iter().any(|r| matches!(r.event, trace::Event::Crash { .. })), "no crash: {logs:?}");
    let defaults: Vec<u64> = logs.iter().filter(|(_, l)| l.contains("factory defaults written")).map(|(t, _)| *t).collect();
    assert_eq!(defaults.len(), 1, "defaults written once, on the first boot only: {logs:?}");
    assert!(logs.iter().any(|(t, l)| *t >= 46_000_000 && l.starts_with("config: ") && l.contains("keys")), "{logs:?}");
}

/// `trim` drops translated code and its host pages mid-run: the guest must
/// not notice (same trace, byte for byte, as an untrimmed twin), and the
/// translation buffer must have been found.
#[test]
fn trimming_translated_code_changes_nothing_the_guest_does() {
    let run = |trim_at: Option<u64>| {
        let mut m = real_phone();
        m.power_on(0);
        let mut t = 0;
        let mut trimmed = false;
        while t <= 12_000_000 {
            if trim_at.is_some_and(|at| t >= at) && !trimmed {
                assert!(m.trim().unwrap(), "the translation buffer was found and given back");
                trimmed = true;
            }
            match m.run(t) {
                Stop::Sleeping { until: Some(next) } => t = next,
                s => panic!("{s:?}"),
            }
        }
        m.drain_trace()
    };
    let plain = run(None);
    let trimmed = run(Some(4_000_000));
    assert!(plain.iter().any(|r| matches!(r.event, trace::Event::Lcd { .. })));
    assert_eq!(plain, trimmed);
}
