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

/// The real boot ROM and the factory flash of `prefix`'s image (e.g. `v2022SG`).
fn images_of(prefix: &str) -> (Vec<u8>, Vec<u8>) {
    let dir = roms_dir();
    let app = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(prefix) && n.ends_with(".zz")))
        .expect("the image in roms/ (cargo xtask roms)");
    (std::fs::read(dir.join("boot.bin")).unwrap(), factory_flash(&std::fs::read(app).unwrap()))
}

/// The real boot ROM and the factory flash of the ST2030S firmware.
fn real_images() -> (Vec<u8>, Vec<u8>) {
    images_of("v2030SG")
}

/// The real boot ROM and firmware from `roms/` (built by `cargo xtask roms`).
pub fn real_phone() -> Machine {
    let (boot, flash) = real_images();
    machine(boot, flash)
}

/// Power on at 0, cut at `cut` µs, on again at `on`, run until `until`:
/// the trace and the machine.
fn cycled(m: Machine, cut: u64, on: u64, until: u64) -> (Vec<trace::Record>, Machine) {
    let mut r = Runner::new(m, ClockMode::Virtual);
    r.schedule(0, Input::PowerOn);
    r.schedule(cut, Input::PowerCut);
    r.schedule(on, Input::PowerOn);
    let mut t = Vec::new();
    r.run_until(until, &mut |rec| {
        t.push(rec.clone());
        Control::Continue
    });
    (t, r.into_machine())
}

/// Power on, 45 s (the firmware saves its config), power cycle, 60 s: the trace.
fn power_cycled(m: Machine) -> (Vec<trace::Record>, Machine) {
    cycled(m, 45_000_000, 46_000_000, 60_000_000)
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
    let (t, _) = cycled(real_phone(), 20_000_000, 21_000_000, 40_000_000);
    let boots: Vec<_> = t.iter().filter(|r| matches!(r.event, trace::Event::Boot { .. })).map(|r| r.t_us).collect();
    assert_eq!(boots, [0, 21_000_000], "no watchdog reset in 20 s of idle");
    assert!(!t.iter().any(|r| matches!(r.event, trace::Event::Crash { .. })), "no crash");
}

/// Regression: with unicorn's virtual TLB, a TLB miss inside a Thumb IT block
/// left stale IT bits behind (unicorn's `cpu_restore_state` before the TLB
/// hook, now skipped: `uc_st20xx_fill_without_restore`); the firmware then
/// lost its saved config at every boot and crashed when the backlight went off.
#[test]
fn the_config_survives_a_power_cycle_and_idle_runs_past_the_backlight_timeout() {
    let (t, _) = power_cycled(real_phone());
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

/// Power on, cut at 45 s, on again at 46 s, until 60 s: each machine's trace,
/// the machines stepped in turn (earliest next instant first) on this thread.
fn interleaved(mut ms: Vec<Machine>) -> Vec<Vec<trace::Record>> {
    let inputs = [(0u64, true), (45_000_000, false), (46_000_000, true)];
    let mut next: Vec<u64> = vec![0; ms.len()];
    let mut fed = vec![0usize; ms.len()];
    let mut traces = vec![Vec::new(); ms.len()];
    while let Some((i, &t)) = next.iter().enumerate().filter(|(_, t)| **t <= 60_000_000).min_by_key(|(i, t)| (**t, *i)) {
        let m = &mut ms[i];
        while fed[i] < inputs.len() && inputs[fed[i]].0 <= t {
            if inputs[fed[i]].1 { m.power_on(inputs[fed[i]].0) } else { m.power_cut(inputs[fed[i]].0) }
            fed[i] += 1;
        }
        m.run(t);
        let input_at = inputs.get(fed[i]).map_or(u64::MAX, |x| x.0);
        next[i] = m.poll_at().unwrap_or(u64::MAX).max(t + 1).min(input_at);
        traces[i].extend(m.drain_trace());
    }
    traces
}

/// Phones on one host thread share translated code (`pool`): phones with
/// the same image share one core, another image gets its own, and each
/// phone's trace is byte for byte the one it makes alone on a fresh thread.
#[test]
fn phones_sharing_translations_run_as_they_do_alone() {
    let (boot, a30) = images_of("v2030SG");
    let (_, a22) = images_of("v2022SG");
    let phones = move || {
        let make = |hardware, mac: [u8; 6], flash: &Vec<u8>| {
            let cfg = MachineConfig { hardware, mac, seed: mac[5] as u64, boot_rom: boot.clone(), flash: flash.clone() };
            Machine::new(cfg).unwrap()
        };
        vec![
            make(Hardware::St2030, [0, 0x90, 0x96, 0, 0, 1], &a30),
            make(Hardware::St2030, [0, 0x90, 0x96, 0, 0, 2], &a30),
            make(Hardware::St2022, [0, 0x90, 0x96, 0, 0, 3], &a22),
        ]
    };
    let alone: Vec<Vec<trace::Record>> = phones()
        .into_iter()
        .map(|m| std::thread::spawn(move || (interleaved(vec![m]).remove(0), machine::thread_cores())).join().unwrap())
        .map(|(t, cores)| {
            assert_eq!(cores, 1);
            t
        })
        .collect();
    let (together, cores) = std::thread::spawn(move || (interleaved(phones()), machine::thread_cores())).join().unwrap();
    assert!(alone[0].iter().any(|r| matches!(r.event, trace::Event::Flash { .. })), "the run writes flash");
    assert!(alone[2].iter().any(|r| matches!(&r.event, trace::Event::Log { text } if text.contains("ST2022"))), "{:?}", alone[2]);
    assert_eq!(cores, 2, "one core per image");
    for (i, (t, a)) in together.iter().zip(&alone).enumerate() {
        assert_eq!(t, a, "phone {i}");
    }
}

/// A phone whose slices run on two host threads in turn (as swarm phones
/// move between workers) runs as it does on one: each thread's core holds
/// a stale copy of its registers between its visits.
#[test]
fn a_phone_moving_between_threads_runs_as_it_does_on_one() {
    use std::sync::mpsc::channel;
    let (boot, flash) = images_of("v2030SG");
    let make = || Machine::new(MachineConfig { hardware: Hardware::St2030, mac: MAC, seed: 1, boot_rom: boot.clone(), flash: flash.clone() }).unwrap();
    let alone = interleaved(vec![make()]).remove(0);
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (to, from_lead) = channel::<(Machine, u64)>();
            let (back, results) = channel::<Machine>();
            std::thread::spawn(move || {
                for (mut m, t) in from_lead {
                    m.run(t);
                    back.send(m).unwrap();
                }
            });
            (to, results)
        })
        .collect();
    let mut m = make();
    let inputs = [(0u64, true), (45_000_000, false), (46_000_000, true)];
    let (mut fed, mut t, mut turn, mut moved) = (0usize, 0u64, 0usize, Vec::new());
    while t <= 60_000_000 {
        while fed < inputs.len() && inputs[fed].0 <= t {
            if inputs[fed].1 { m.power_on(inputs[fed].0) } else { m.power_cut(inputs[fed].0) }
            fed += 1;
        }
        let (to, results) = &workers[turn % 2];
        to.send((m, t)).unwrap();
        m = results.recv().unwrap();
        turn += 1;
        let input_at = inputs.get(fed).map_or(u64::MAX, |x| x.0);
        t = m.poll_at().unwrap_or(u64::MAX).max(t + 1).min(input_at);
        moved.extend(m.drain_trace());
    }
    assert!(turn > 10, "enough moves to matter: {turn}");
    assert_eq!(moved, alone);
}

/// Runs a powered-on phone on its own deadlines until `until` µs: its trace
/// and how many times `run` returned [`Stop::Break`], with each break's last
/// record.
fn stepped(mut m: Machine, until: u64) -> (Vec<trace::Record>, Vec<trace::Record>) {
    let (mut t, mut now, mut breaks) = (Vec::new(), 0, Vec::new());
    m.power_on(0);
    loop {
        let stop = m.run(now);
        let records = m.drain_trace();
        if stop == Stop::Break {
            breaks.push(records.last().expect("a break follows a log line").clone());
        }
        t.extend(records);
        match m.poll_at() {
            Some(next) if next < until => now = next,
            _ => return (t, breaks),
        }
    }
}

/// A break on a log line stops the CPU right after the line (nothing the
/// firmware does next is in the slice), and resuming runs on as if it had
/// never stopped.
#[test]
fn a_break_on_a_log_line_stops_right_after_it_and_resumes_as_if_never_stopped() {
    let (plain, none) = stepped(real_phone(), 5_000_000);
    assert!(none.is_empty());
    let mut m = real_phone();
    m.break_on_log(Some(|line| line.starts_with("config: ")));
    let (broken, breaks) = stepped(m, 5_000_000);
    assert!(!breaks.is_empty(), "the boot logs a config line: {plain:?}");
    for r in &breaks {
        assert!(matches!(&r.event, trace::Event::Log { text } if text.starts_with("config: ")), "{r:?}");
    }
    assert_eq!(broken, plain);
}

/// Regression: a phone booted with its cable out woke for every DHCP
/// retransmission (10 s after boot, then on), sending into a dead link; a
/// thousand such phones booted together all woke in the same instant. Now
/// it sleeps until the cable goes in, and DHCP starts at once then.
#[test]
fn a_phone_with_its_cable_out_sleeps_until_it_is_plugged_in() {
    let mut m = real_phone();
    m.set_link(0, false);
    m.power_on(0);
    let mut wakes = Vec::new();
    while let Some(now) = m.poll_at().filter(|&t| t < 25_000_000) {
        m.run(now);
        wakes.push(now);
        assert!(m.nic_take_sent().is_empty(), "nothing sent unplugged (at {now} µs)");
    }
    let late: Vec<u64> = wakes.iter().copied().filter(|&t| t > 3_000_000).collect();
    assert!(late.is_empty(), "woke unplugged at {late:?} µs");
    let logs = |m: &mut Machine| {
        m.drain_trace()
            .into_iter()
            .filter_map(|r| match r.event {
                trace::Event::Log { text } => Some(text),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    assert!(logs(&mut m).iter().any(|l| l == "eth: link down"));
    m.set_link(25_000_000, true);
    m.run(25_000_000);
    assert!(logs(&mut m).iter().any(|l| l == "eth: link up"));
    let sent = m.nic_take_sent();
    let discover = |f: &Vec<u8>| f.len() > 282 && f[12..14] == [0x08, 0x00] && f[23] == 17 && f[36..38] == [0, 67];
    assert!(sent.iter().any(discover), "a DISCOVER at once: {} frames", sent.len());
}
