//! The `st20xx` binary: `run` boots to idle and writes its trace, keeps its
//! flash file, rejects bad input clearly; `fw pack` / `fw inspect`.

use super::common;
use std::process::{Command, Output};
use trace::{Event, PowerState};

fn st20xx(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_st20xx")).args(args).output().expect("st20xx runs")
}

fn text(o: &Output) -> String {
    format!("status {:?}\nstdout:\n{}\nstderr:\n{}", o.status, String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn run_headless_for_10s_boots_to_idle_and_writes_the_trace() {
    let dir = common::scratch("cli-run");
    let t = dir.join("t.jsonl");
    let o = st20xx(&["run", "--headless", "--model", "ST2030S", "--mac", "00:90:96:A1:B1:C1", "--clock", "virtual", "--for", "10s", "--trace", t.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let records = trace::read_json_lines(&std::fs::read_to_string(&t).unwrap()).unwrap();
    let has = |f: &dyn Fn(&Event) -> bool| records.iter().any(|r| f(&r.event));
    assert!(has(&|e| matches!(e, Event::Power { state: PowerState::On })), "power on");
    assert!(has(&|e| matches!(e, Event::Boot { .. })), "boot");
    assert!(has(&|e| matches!(e, Event::Lcd { line: 3, text } if text == "Starting...")), "boot screen");
    // The built-in lab serves the demo tree: the phone provisions (2.75,
    // two reboots) and its idle screen shows the configured name and number.
    assert!(has(&|e| matches!(e, Event::Lcd { line: 2, text } if text == "Hélène Dupré")), "idle screen");
    assert!(has(&|e| matches!(e, Event::Lcd { line: 3, text } if text == "2001")), "idle screen");
    assert!(has(&|e| matches!(e, Event::Led { .. })), "led");
    assert!(records.iter().all(|r| r.phone == "009096A1B1C1" && r.t_us <= 10_000_000));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("|2001                    |"), "the LCD box is drawn:\n{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn run_keeps_its_flash_file_and_applies_keys() {
    let dir = common::scratch("cli-flash");
    let flash = dir.join("phone.bin");
    let f = flash.to_str().unwrap();
    // No network: a provisioning run would ignore the keys (L1).
    let o = st20xx(&["run", "--net", "none", "--for", "8s", "--flash", f, "--keys", "3s menu down down down down ok +1s up ok"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::metadata(&flash).unwrap().len(), 8 << 20);
    let o = st20xx(&["run", "--net", "none", "--for", "6s", "--flash", f, "--keys", "3s menu 5"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("|Volume: 6"), "the saved volume came back:\n{out}");
    assert!(!out.contains("factory defaults written"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_input_gets_a_clear_error() {
    let o = st20xx(&["run", "--for", "1s", "--keys", "2s menu 3s banana"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("key script token 4 `banana`: unknown key"), "{}", text(&o));

    let o = st20xx(&["run", "--for", "1x"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown unit `x`"), "{}", text(&o));

    let dir = common::scratch("cli-bad-flash");
    let bad = dir.join("short.bin");
    std::fs::write(&bad, [0xFFu8; 1000]).unwrap();
    let o = st20xx(&["run", "--for", "1s", "--flash", bad.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("a flash image is 8388608 bytes (8 MiB), this file is 1000"), "{}", text(&o));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn fw_pack_from_an_image_then_inspect() {
    let dir = common::scratch("cli-fw");
    let roms = common::roms();
    let model = board::model::Model::parse("ST2030S").unwrap();
    let src = dir.join("src.zz");
    std::fs::write(&src, roms.firmware(model).unwrap()).unwrap();
    let out = dir.join("v2.99.zz");
    let o = st20xx(&["fw", "pack", "--kind", "app", "--model", "ST2030S", "--version", "2.99", "--date", "261231", "--from", src.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let o = st20xx(&["fw", "inspect", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.contains("kind     app\nmodel    ST2030S\nversion  2.99.0 (the LCD shows 2.99)\ndate     261231\n"), "{s}");
    assert!(s.contains(" ok\n"), "{s}");

    let mut bytes = std::fs::read(&out).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xFF;
    std::fs::write(&out, &bytes).unwrap();
    let o = st20xx(&["fw", "inspect", out.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("crc      bad: header says"), "{}", text(&o));
    std::fs::remove_dir_all(&dir).unwrap();
}
