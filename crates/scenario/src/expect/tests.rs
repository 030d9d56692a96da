//! Checker tests on a hand-written trace of a boot, a provisioning run and a power cut.

use super::*;
use std::path::Path;
use trace::{BootCause, FlashOp};

fn rec(t_us: u64, event: Event) -> Record {
    Record { t_us, phone: "009096A1B1C1".into(), event }
}
fn lcd_ev(t: u64, line: u8, text: &str) -> Record {
    rec(t, Event::Lcd { line, text: text.into() })
}
fn led_ev(t: u64, color: &str, mode: &str) -> Record {
    rec(t, Event::Led { led: "system".into(), color: color.into(), mode: mode.into() })
}

/// A boot at 0.1s, the boot screen, provisioning from 2s to 6s, idle, a power
/// cut at 10s during a config erase, a second boot at 11s.
fn trace() -> Vec<Record> {
    vec![
        rec(0, Event::Power { state: PowerState::On }),
        rec(100_000, Event::Boot { cause: BootCause::PowerOn, image: "2.74".into() }),
        lcd_ev(100_000, 1, "THOMSON"),
        lcd_ev(100_000, 3, "Booting..."),
        led_ev(100_000, "green", "steady"),
        lcd_ev(2_000_000, 3, ""),
        lcd_ev(2_000_000, 3, "Provisioning..."),
        lcd_ev(2_000_000, 4, "Please Wait..."),
        led_ev(2_000_000, "red", "fast_blink"),
        rec(3_000_000, Event::Log { text: "Begin Common Config download...".into() }),
        rec(6_000_000, Event::Flash { op: FlashOp::Erase, addr: 0x0820_0000, len: 65536 }),
        rec(6_100_000, Event::Flash { op: FlashOp::Program, addr: 0x0820_0000, len: 256 }),
        lcd_ev(6_500_000, 3, "Idle"),
        lcd_ev(6_500_000, 4, ""),
        led_ev(6_500_000, "green", "steady"),
        rec(9_999_000, Event::Flash { op: FlashOp::Erase, addr: 0x0821_0000, len: 65536 }),
        rec(10_000_000, Event::Power { state: PowerState::Off }),
        rec(11_000_000, Event::Power { state: PowerState::On }),
        rec(11_100_000, Event::Boot { cause: BootCause::PowerOn, image: "2.74".into() }),
        lcd_ev(11_200_000, 3, "Idle"),
    ]
}

/// Parses the TOML of one or more expectations and checks each against `trace()`.
fn outcomes(toml: &str) -> Vec<Outcome> {
    let text = format!("[[step]]\npower = \"on\"\n[[step]]\nat = \"10s\"\npower = \"cut\"\nmark = \"cut\"\n{toml}");
    let s = crate::parse::parse(&text, Path::new("t.toml")).unwrap();
    let records = trace();
    let marks = HashMap::from([("cut".to_string(), 10_000_000u64)]);
    let run = Run { records: &records, marks: &marks, end_us: 12_000_000 };
    s.expects.iter().map(|e| check(e, &run)).collect()
}

fn one(toml: &str) -> Outcome {
    let mut o = outcomes(toml);
    assert_eq!(o.len(), 1);
    o.pop().unwrap()
}

#[test]
fn lcd_states_over_time() {
    assert!(one("[[expect.lcd]]\nline = 3\ntext = \"Booting...\"\nat = \"1s\"").passed);
    assert!(one("[[expect.lcd]]\nline = 3\ntext = \"Provisioning...\"\nat = \"2s\"").passed);
    assert!(one("[[expect.lcd]]\nline = 3\ntext = \"Idle\"\nfrom = \"5s\"\nto = \"7s\"").passed);
    assert!(one("[[expect.lcd]]\ncontains = \"Wait\"\nfrom = \"2s\"\nto = \"3s\"").passed);
    assert!(one("[[expect.lcd]]\nline = 1\nregex = \"^THOM\"").passed);
    // The state at `from` counts even when it was drawn before the window.
    assert!(one("[[expect.lcd]]\nline = 1\ntext = \"THOMSON\"\nfrom = \"9s\"\nto = \"9.5s\"").passed);
}

#[test]
fn same_time_changes_are_one_change() {
    assert!(!one("[[expect.lcd]]\nline = 3\ntext = \"\"\nfrom = \"1s\"\nto = \"5s\"").passed);
    assert!(one("[[expect.lcd]]\nline = 3\ntext = \"\"\nfrom = \"1s\"\nto = \"5s\"\nnever = true").passed);
}

#[test]
fn lcd_failure_shows_the_line_around_the_window() {
    let o = one("\n[[expect.lcd]]\nline = 3\ntext = \"Idle\"\nfrom = \"1s\"\nto = \"3s\"");
    assert!(!o.passed);
    assert_eq!((o.label.as_str(), o.line), ("lcd #1", 8));
    assert_eq!(o.expected, "LCD line 3 shows \"Idle\" in 1s..3s");
    assert_eq!(o.detail, "no match in 1s..3s; it showed: line 3: [0.100s \"Booting...\"] [2.000s \"Provisioning...\"]");

    let o = one("[[expect.lcd]]\nline = 3\ntext = \"Idle\"\nat = \"1s\"");
    assert_eq!(o.detail, "no match at 1s; it showed: line 3: [0.100s \"Booting...\"] [2.000s \"Provisioning...\"]");
}

#[test]
fn never_reports_when_it_happened() {
    let o = one("[[expect.lcd]]\nline = 3\ncontains = \"Provisioning\"\nnever = true\nfrom = \"1s\"");
    assert!(!o.passed);
    assert_eq!(o.expected, "never: LCD line 3 shows containing \"Provisioning\" in 1s..end");
    assert!(o.detail.starts_with("matched at 2.000s; it showed: line 3: [0.100s \"Booting...\"] [2.000s \"Provisioning...\"] [6.500s \"Idle\"]"), "{}", o.detail);
}

#[test]
fn any_line_failure_lists_only_lines_with_text() {
    let o = one("[[expect.lcd]]\ntext = \"Gen File Not Found\"\nfrom = \"5s\"\nto = \"6s\"");
    assert!(!o.passed);
    assert_eq!(o.detail, "no match in 5s..6s; it showed: line 1: [0.100s \"THOMSON\"] [10.000s \"\"]; line 3: [2.000s \"Provisioning...\"] [6.500s \"Idle\"]; line 4: [2.000s \"Please Wait...\"] [6.500s \"\"]");
}

#[test]
fn a_power_cut_blanks_the_lcd_and_darkens_leds() {
    assert!(one("[[expect.lcd]]\nline = 3\ntext = \"\"\nat = \"cut+500ms\"").passed);
    assert!(one("[[expect.lcd]]\nline = 3\ntext = \"Idle\"\nat = \"cut+1.2s\"").passed);
    let o = one("[[expect.led]]\ncolor = \"green\"\nat = \"cut+500ms\"");
    assert!(!o.passed);
    assert_eq!(o.detail, "no match at 10.5s; it showed: [10.000s dark]");
}

#[test]
fn leds() {
    assert!(one("[[expect.led]]\ncolor = \"red\"\nmode = \"fast_blink\"\nfrom = \"0s\"\nto = \"5s\"").passed);
    assert!(one("[[expect.led]]\nmode = \"steady\"\nat = \"7s\"").passed);
    assert!(!one("[[expect.led]]\nled = \"line1\"\ncolor = \"green\"").passed);
    let o = one("[[expect.led]]\ncolor = \"red\"\nat = \"1s\"");
    assert_eq!(o.detail, "no match at 1s; it showed: [0.100s green steady] [2.000s red fast_blink]");
    assert_eq!(o.expected, "LED system is color red at 1s");
}

#[test]
fn logs() {
    assert!(one("[[expect.log]]\ncontains = \"Common Config\"").passed);
    assert!(one("[[expect.log]]\ncontains = \"Common Config\"\nfrom = \"4s\"\nnever = true").passed);
    let o = one("[[expect.log]]\ntext = \"Begin Common Config download\"");
    assert!(!o.passed);
    assert_eq!(o.detail, "no such console line in 0s..12s; 1 line(s) there, the last: [3.000s \"Begin Common Config download...\"]");
    let o = one("[[expect.log]]\nregex = \"Common\"\nnever = true");
    assert_eq!(o.detail, "console line at 3.000s: \"Begin Common Config download...\"");
}

#[test]
fn flash_operations() {
    assert!(one("[[expect.flash]]\nop = \"erase\"\npartition = \"config\"\ncount = 2").passed);
    assert!(one("[[expect.flash]]\nop = \"program\"").passed);
    assert!(one("[[expect.flash]]\npartition = \"files\"\nnever = true").passed);
    let o = one("[[expect.flash]]\nnever = true\nfrom = \"7s\"");
    assert!(!o.passed);
    assert_eq!(o.detail, "1 matching operation(s) in 7s..12s: [9.999s erase 0x08210000 +65536]");
    assert_eq!(one("[[expect.flash]]\npartition = \"slot_b\"").detail, "0 matching operation(s) in 0s..12s: none");
}

#[test]
fn boots_count_and_causes() {
    assert!(one("[[expect.boots]]\ncount = 2").passed);
    assert!(one("[[expect.boots]]\ncauses = [\"power_on\"]\nto = \"cut\"").passed);
    let o = one("[[expect.boots]]\ncauses = [\"power_on\", \"watchdog\"]");
    assert!(!o.passed);
    assert_eq!(o.detail, "2 boot(s) in 0s..12s: [0.100s PowerOn 2.74] [11.100s PowerOn 2.74]");
}

#[test]
fn an_unreached_mark_fails_with_a_reason() {
    let text = "[[step]]\npower = \"on\"\nmark = \"late\"\n[[expect.lcd]]\ntext = \"x\"\nat = \"late\"";
    let s = crate::parse::parse(text, Path::new("t.toml")).unwrap();
    let run = Run { records: &[], marks: &HashMap::new(), end_us: 0 };
    let o = check(&s.expects[0], &run);
    assert!(!o.passed);
    assert_eq!(o.detail, "the step marked `late` never happened");
}

#[test]
fn crashes_always_fail() {
    assert!(no_crash(&trace()).passed);
    let mut t = trace();
    t.push(rec(11_500_000, Event::Crash { pc: 0x0C00_1234, reason: "udf".into() }));
    let o = no_crash(&t);
    assert!(!o.passed);
    assert_eq!(o.detail, "crashed at 11.500s: pc 0x0c001234: udf");
}
