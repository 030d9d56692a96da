//! Machine benchmarks (plain std timing, `cargo bench -p machine`): cold
//! create + boot, reboot in place, guest MIPS against raw unicorn, and host
//! memory per phone. Uses the real boot ROM and firmware from `roms/` when
//! present (or from `$ST20XX_ROMS`). Prints a table; asserts nothing about
//! speed.

use board::map::{SLOT_A, SRAM};
use board::model::Hardware;
use board::slot::{COMMIT_OFFSET, Commit};
use machine::{Machine, MachineConfig, Stop};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use unicorn_engine::unicorn_const::{Arch, Mode, Prot, TlbEntry, TlbType};
use unicorn_engine::{ArmCpuModel, RegisterARM, Unicorn};

fn roms() -> (Vec<u8>, Vec<u8>) {
    // `$ST20XX_ROMS` (as `st20xx` reads it) pins the images, e.g. when comparing builds.
    let dir = std::env::var_os("ST20XX_ROMS").map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../roms"), PathBuf::from);
    let boot = std::fs::read(dir.join("boot.bin")).expect("roms/boot.bin (cargo xtask roms)");
    let app = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.to_string_lossy().contains("v2030SG") && p.to_string_lossy().ends_with(".zz"))
        .map(|p| std::fs::read(p).unwrap())
        .expect("an ST2030S image in roms/");
    let (h, _) = board::image::Header::check_image(&app).expect("valid image");
    let mut flash = vec![0xFF; (COMMIT_OFFSET + 16) as usize];
    flash[..app.len()].copy_from_slice(&app);
    let at = (SLOT_A.base - board::map::FLASH.base + COMMIT_OFFSET) as usize;
    flash[at..at + 16].copy_from_slice(&Commit { seq: 1, image_crc: h.payload_crc }.encode());
    (boot, flash)
}

fn cfg(boot: &[u8], flash: &[u8], i: u32) -> MachineConfig {
    let b = i.to_be_bytes();
    MachineConfig { hardware: Hardware::St2030, mac: [0x00, 0x90, b[0], b[1], b[2], b[3]], seed: 1, boot_rom: boot.to_vec(), flash: flash.to_vec() }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// `movw`/`movt` of `v` into `rd`.
fn li(rd: u16, v: u32) -> [u16; 4] {
    let e = |top: u16, imm: u16| [top | ((imm >> 11) & 1) << 10 | imm >> 12, ((imm >> 8) & 7) << 12 | rd << 8 | (imm & 0xFF)];
    let (a, b) = (e(0xF240, v as u16), e(0xF2C0, (v >> 16) as u16));
    [a[0], a[1], b[0], b[1]]
}

const LOOP_ITERS: u32 = 50_000_000;
const LOOP_INSNS: u64 = 4;

/// A boot ROM: `for i in 0..N { *sram = i }` then `wfi` forever. 4 instructions per iteration.
fn compute_rom() -> Vec<u8> {
    let sp = SRAM.end();
    let mut hw: Vec<u16> = vec![sp as u16, (sp >> 16) as u16, 9, 0];
    hw.extend(li(0, SRAM.base));
    hw.extend(li(3, LOOP_ITERS));
    hw.push(0x2200); // movs r2, #0
    hw.extend([0x6002, 0x3201, 0x3B01, 0xD1FB]); // str r2,[r0]; adds r2,#1; subs r3,#1; bne loop
    hw.extend([0xBF30, 0xE7FD]); // wfi; b wfi
    hw.iter().flat_map(|h| h.to_le_bytes()).collect()
}

fn raw_unicorn_mips(rom: &[u8], virtual_tlb: bool) -> f64 {
    let mut uc = Unicorn::new(Arch::ARM, Mode::THUMB).unwrap();
    uc.ctl_set_cpu_model(ArmCpuModel::CORTEX_M4 as i32).unwrap();
    if virtual_tlb {
        uc.ctl_set_tlb_type(TlbType::VIRTUAL).unwrap();
        uc.add_tlb_hook(1, 0, |_, page, _| {
            let perms = if page < 0x1_0000 { Prot::READ | Prot::EXEC } else { Prot::READ | Prot::WRITE };
            Some(TlbEntry { paddr: page, perms })
        })
        .unwrap();
    }
    uc.mem_map(0, 64 * 1024, Prot::READ | Prot::EXEC).unwrap();
    uc.mem_write(0, rom).unwrap();
    uc.mem_map(SRAM.base as u64, SRAM.len as u64, Prot::READ | Prot::WRITE).unwrap();
    uc.reg_write(RegisterARM::SP, SRAM.end() as u64).unwrap();
    let t = Instant::now();
    uc.emu_start(9, 0xFFF0, 0, 0).unwrap(); // `until`: mapped, never executed
    let s = t.elapsed().as_secs_f64();
    (LOOP_ITERS as u64 * LOOP_INSNS) as f64 / s / 1e6
}

fn machine_mips(rom: &[u8]) -> f64 {
    let mut m = Machine::new(cfg(rom, &[], 0)).unwrap();
    m.set_hang_budget(Duration::from_secs(120));
    m.power_on(0);
    let t = Instant::now();
    let stop = m.run(0);
    let s = t.elapsed().as_secs_f64();
    assert_eq!(stop, Stop::Sleeping { until: None });
    (LOOP_ITERS as u64 * LOOP_INSNS) as f64 / s / 1e6
}

fn mem_kib() -> (u64, Option<u64>) {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let rss_pages: u64 = statm.split_whitespace().nth(1).and_then(|v| v.parse().ok()).unwrap_or(0);
    let pss = std::fs::read_to_string("/proc/self/smaps_rollup")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Pss:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()));
    (rss_pages * 4, pss)
}

/// Runs a powered phone in virtual time from `from` to `to` µs.
fn idle(m: &mut Machine, from: u64, to: u64) {
    let mut t = from;
    while t <= to {
        match m.run(t) {
            Stop::Sleeping { until: Some(next) } => t = next,
            s => panic!("{s:?}"),
        }
    }
    m.drain_trace();
}

/// Boots a phone to its idle screen (3 s virtual).
fn boot_to_idle(m: &mut Machine) {
    m.power_on(0);
    idle(m, 0, IDLE_US);
}

const IDLE_US: u64 = 3_000_000;

/// Creates phones `ids` and boots each to idle, on `threads` threads.
fn boot_many(boot: &[u8], flash: &[u8], ids: std::ops::Range<u32>, threads: u32) -> Vec<Machine> {
    let boot_one = |i| {
        let mut m = Machine::new(cfg(boot, flash, i)).unwrap();
        boot_to_idle(&mut m);
        m
    };
    if threads == 1 {
        return ids.map(boot_one).collect();
    }
    let per = ids.len().div_ceil(threads as usize) as u32;
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|k| {
                let part = ids.start + k * per..(ids.start + (k + 1) * per).min(ids.end);
                s.spawn(move || part.map(boot_one).collect::<Vec<_>>())
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    })
}

fn row(name: &str, value: String) {
    println!("{name:<58} {value:>16}");
}

fn main() {
    let (boot, flash) = roms();
    println!("st20xx machine benchmarks (wall clock; 2 shared cores: expect ±30%)\n");
    row("measure", "value".into());

    // Translations are shared by the phones of a thread (machine::pool):
    // "cold" is a phone alone on a fresh thread, "warm" a new phone on a
    // thread whose core already ran the same image.
    let to_first_sleep = |i: u32| {
        let t = Instant::now();
        let mut m = Machine::new(cfg(&boot, &flash, i)).unwrap();
        m.power_on(0);
        assert!(matches!(m.run(0), Stop::Sleeping { .. }));
        t.elapsed().as_secs_f64() * 1e3
    };
    let cold: Vec<f64> = (0..20).map(|i| std::thread::scope(|s| s.spawn(|| to_first_sleep(i)).join().unwrap())).collect();
    row("cold create + boot to first sleep, fresh thread (median of 20)", format!("{:.2} ms", median(cold)));
    let warm: Vec<f64> = (0..20).map(|i| to_first_sleep(50 + i)).skip(1).collect();
    row("warm create + boot to first sleep, shared core (median of 19)", format!("{:.3} ms", median(warm)));
    let cold_idle: Vec<f64> = (0..10)
        .map(|i| {
            std::thread::scope(|s| {
                s.spawn(|| {
                    let t = Instant::now();
                    let mut m = Machine::new(cfg(&boot, &flash, i)).unwrap();
                    boot_to_idle(&mut m);
                    t.elapsed().as_secs_f64() * 1e3
                })
                .join()
                .unwrap()
            })
        })
        .collect();
    row("cold create + boot to idle, 3 s virtual, fresh thread (median of 10)", format!("{:.2} ms", median(cold_idle)));

    let mut m = Machine::new(cfg(&boot, &flash, 0)).unwrap();
    boot_to_idle(&mut m);
    let (mut cycle, mut first_sleep, mut to_idle) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..100u64 {
        let t0 = 10_000_000 * (i + 1);
        let t = Instant::now();
        m.power_cut(t0);
        m.power_on(t0);
        cycle.push(t.elapsed().as_secs_f64() * 1e6);
        assert!(matches!(m.run(t0), Stop::Sleeping { .. }));
        first_sleep.push(t.elapsed().as_secs_f64() * 1e6);
        idle(&mut m, t0, t0 + IDLE_US);
        to_idle.push(t.elapsed().as_secs_f64() * 1e3);
    }
    row("reboot in place (power cycle, median of 100)", format!("{:.1} µs", median(cycle)));
    row("reboot in place to first sleep (median of 100)", format!("{:.1} µs", median(first_sleep)));
    row("reboot in place to idle, 3 s virtual (median of 100)", format!("{:.2} ms", median(to_idle)));
    drop(m);

    let rom = compute_rom();
    // Alternated and repeated: the host is noisy, the ratio is what matters.
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        a.push(machine_mips(&rom));
        b.push(raw_unicorn_mips(&rom, true));
    }
    let (ours, raw_v, raw) = (median(a), median(b), raw_unicorn_mips(&rom, false));
    row("guest store loop, this machine (median of 3)", format!("{ours:.0} MIPS"));
    row("same loop, raw unicorn, virtual TLB (median of 3)", format!("{raw_v:.0} MIPS"));
    row("same loop, raw unicorn, default TLB, no hooks", format!("{raw:.0} MIPS"));
    row("ratio machine / raw virtual TLB", format!("{:.2}x", ours / raw_v));
    row("ratio machine / raw default TLB", format!("{:.2}x", ours / raw));

    let env = |name: &str, default: u32| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    // One thread by default: each extra thread gets its own malloc arena,
    // which adds fragmentation to the per-phone figure.
    let (n_max, threads) = (env("BENCH_PHONES", 1000), env("BENCH_THREADS", 1).max(1));
    println!("\nhost memory per phone (RSS counts shared flash pages once per phone, PSS once)");
    let (base_rss, base_pss) = mem_kib();
    let mut phones: Vec<Machine> = Vec::new();
    for n in [1u32, 100, 1000].into_iter().filter(|&n| n <= n_max) {
        let t = Instant::now();
        let have = phones.len() as u32;
        phones.extend(boot_many(&boot, &flash, have + 1..n + 1, threads));
        let took = t.elapsed().as_secs_f64();
        let per = |now: u64, base: u64| now.saturating_sub(base) as f64 / n as f64 / 1024.0;
        let show = |what: &str| {
            let (rss, pss) = mem_kib();
            let pss = match (pss, base_pss) {
                (Some(p), Some(b)) => format!("{:.2} MiB PSS", per(p, b)),
                _ => "PSS n/a".into(),
            };
            row(&format!("{n} phones {what}"), format!("{:.2} MiB RSS, {pss}", per(rss, base_rss)));
        };
        show("at idle");
        row(&format!("  (created and booted to idle on {threads} thread(s) in)"), format!("{took:.1} s"));
        for m in &mut phones {
            let now = m.now();
            idle(m, now, now + IDLE_US);
        }
        show("then 3 s more idle");
    }
    let create: Vec<f64> = (0..20)
        .map(|i| {
            let t = Instant::now();
            let m = Machine::new(cfg(&boot, &flash, 100_000 + i)).unwrap();
            let took = t.elapsed().as_secs_f64() * 1e3;
            drop(m);
            took
        })
        .collect();
    row(&format!("Machine::new with {} phones alive (median of 20)", phones.len()), format!("{:.2} ms", median(create)));
}
