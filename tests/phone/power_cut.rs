//! R1 for config writes: a power cut during any flash operation of a ring
//! volume save (a journal append, and a compaction forced by filling the
//! journal) leaves the old value or the new one, and the phone boots.

use super::common;
use scenario::play::{Driver, Flow};
use scenario::runner::PhoneDriver;
use scenario::script::{self, Input};
use trace::{Event, FlashOp, Record};

const CONFIG: board::map::Region = board::map::CONFIG;

/// Boot, open the ring volume entry at 3 s, save 6 at 5.2 s, reopen at
/// 7 s and save 7 at 7.4 s (the write that is cut).
const TWO_SAVES: &str = "3s menu down down down down ok +1s up ok 7s ok up ok";
const SECOND_SAVE: u64 = 7_000_000;
/// From a flash whose journal is full: one save at 5.2 s (it compacts).
const ONE_SAVE: &str = "3s menu down down down down ok +1s up ok";
const ONE_SAVE_AT: u64 = 5_000_000;

fn config_ops(records: &[Record], from_us: u64) -> Vec<(u64, FlashOp)> {
    records
        .iter()
        .filter(|r| r.t_us >= from_us)
        .filter_map(|r| match r.event {
            Event::Flash { op, addr, .. } if CONFIG.contains(addr) => Some((r.t_us, op)),
            _ => None,
        })
        .collect()
}

/// A scenario: power on (from `flash` when given), `keys`, a cut during the
/// `k`-th config flash operation at or after `save_at`, power on; then the
/// store must load without falling back to factory defaults, and the menu
/// must show the old or the new volume (`allowed`, a regex class like `[67]`).
fn cut_scenario(flash: Option<&str>, keys: &str, save_at: u64, k: usize, allowed: &str) -> String {
    let phone = flash.map_or(String::new(), |f| format!("[phone]\nflash = \"{f}\"\n"));
    format!(
        r#"end = "again+6s"
{phone}
[[step]]
power = "on"
[[step]]
keys = "{keys}"
[[step]]
at = "{save_at}us"
power = "cut"
during_flash = {k}
flash_partition = "config"
mark = "cut"
[[step]]
after = "1s"
power = "on"
mark = "again"
[[step]]
at = "again+3s"
keys = "menu 5"
mark = "reopen"
[[expect.boots]]
count = 2
[[expect.log]]
regex = '^config: \d+ keys, generation \d+$'
from = "again"
[[expect.log]]
text = "config: factory defaults written"
from = "again"
never = true
[[expect.lcd]]
line = 3
regex = '^Volume: {allowed}$'
at = "reopen+1s"
"#
    )
}

/// The volume the menu showed after the second boot.
fn volume_after(r: &scenario::Report) -> String {
    let last = r.trace.iter().rev().find_map(|rec| match &rec.event {
        Event::Lcd { line: 3, text } if text.starts_with("Volume: ") => Some(text.clone()),
        _ => None,
    });
    last.unwrap_or_default()
}

#[test]
fn a_cut_at_every_operation_of_a_journal_append_keeps_old_or_new() {
    let roms = common::roms();
    let reference = common::parse("ref.toml", &format!("end = \"10s\"\n[[step]]\npower = \"on\"\n[[step]]\nkeys = \"{TWO_SAVES}\"\n"));
    let r = scenario::run(&reference, &roms);
    common::assert_passes(&r);
    let ops = config_ops(&r.trace, SECOND_SAVE);
    assert!(ops.len() >= 2, "a save is at least two programs (body, head): {ops:?}");
    for k in 1..=ops.len() {
        let s = common::parse(&format!("cut{k}.toml"), &cut_scenario(None, TWO_SAVES, SECOND_SAVE, k, "[67]"));
        let r = scenario::run(&s, &roms);
        assert!(r.passed(), "cut during operation {k} of {} ({:?}):\n{}", ops.len(), ops[k - 1], r.summary());
        eprintln!("cut during operation {k}/{} {:?}: {}", ops.len(), ops[k - 1].1, volume_after(&r));
    }
}

#[test]
fn a_cut_at_every_operation_of_a_compaction_keeps_old_or_new() {
    let roms = common::roms();
    let factory = scenario::runner::factory_flash(&roms, board::model::Model::parse("ST2030S").unwrap()).unwrap();
    let phone = scenario::format::Phone::default();

    // Fill the journal: open the entry once, then save 6, 5, 6, … until a
    // save erases (the compaction). Each save is `up ok` or `down ok`, then
    // `ok` reopens the entry.
    const WRITES: usize = 4000;
    let mut keys = String::from("3s menu down down down down ok");
    for i in 0..WRITES {
        keys.push_str(if i % 2 == 0 { " up ok ok" } else { " down ok ok" });
    }
    let inputs = script::parse(&keys).unwrap();
    let mut d = PhoneDriver::new(&phone, &roms, factory.clone()).unwrap();
    d.schedule(0, Input::PowerOn);
    for t in &inputs {
        d.schedule(t.at_us, t.input);
    }
    let end = inputs.last().unwrap().at_us + 2_000_000;
    let mut records = Vec::new();
    let mut erase_at = None;
    d.run_until(end, &mut |r| {
        records.push(r.clone());
        if let Event::Crash { .. } = r.event {
            return Flow::Pause;
        }
        if let Event::Flash { op: FlashOp::Erase, addr, .. } = r.event
            && r.t_us > 3_000_000 && CONFIG.contains(addr) {
                erase_at = Some(r.t_us);
                return Flow::Pause;
            }
        Flow::Continue
    })
    .unwrap();
    assert!(scenario::expect::no_crash(&records).passed, "{}", scenario::expect::no_crash(&records).detail);
    let erase_at = erase_at.unwrap_or_else(|| panic!("{WRITES} saves never compacted the journal"));
    // The save that compacts is the last `ok` key-down before the erase.
    let save_at = inputs.iter().filter(|t| t.at_us <= erase_at && t.input == (Input::Key { key: board::keys::Key::Ok, down: true })).map(|t| t.at_us).max().unwrap();

    // The flash just before that save, from a replay of the same inputs.
    let mut d = PhoneDriver::new(&phone, &roms, factory).unwrap();
    d.schedule(0, Input::PowerOn);
    for t in inputs.iter().filter(|t| t.at_us < save_at) {
        d.schedule(t.at_us, t.input);
    }
    d.run_until(save_at - 50_000, &mut |_| Flow::Continue).unwrap();
    let dir = common::scratch("compaction");
    std::fs::write(dir.join("full.bin"), d.flash()).unwrap();

    // From that flash: boot, save once (that save compacts), count its operations.
    let reference = format!("end = \"8s\"\n[phone]\nflash = \"full.bin\"\n[[step]]\npower = \"on\"\n[[step]]\nkeys = \"{ONE_SAVE}\"\n");
    let s = scenario::parse::parse(&reference, &dir.join("ref.toml")).unwrap();
    let r = scenario::run(&s, &roms);
    common::assert_passes(&r);
    let ops = config_ops(&r.trace, ONE_SAVE_AT);
    assert!(ops.iter().any(|(_, op)| *op == FlashOp::Erase), "the save from the full journal compacts: {ops:?}");
    // The entry opened at 4 s showed the stored value; `up` adds one.
    let old: u8 = r.trace.iter().find_map(|rec| match &rec.event {
        Event::Lcd { line: 3, text } if rec.t_us >= 4_000_000 => text.strip_prefix("Volume: ").and_then(|v| v.parse().ok()),
        _ => None,
    }).expect("the ring volume entry opened");
    let allowed = format!("[{old}{}]", old + 1);
    for k in 1..=ops.len() {
        let s = scenario::parse::parse(&cut_scenario(Some("full.bin"), ONE_SAVE, ONE_SAVE_AT, k, &allowed), &dir.join(format!("cut{k}.toml"))).unwrap();
        let r = scenario::run(&s, &roms);
        assert!(r.passed(), "cut during compaction operation {k} of {} ({:?}):\n{}", ops.len(), ops[k - 1], r.summary());
        eprintln!("cut during compaction operation {k}/{} {:?}: {}", ops.len(), ops[k - 1].1, volume_after(&r));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
