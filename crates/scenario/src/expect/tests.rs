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

fn serve_ev(t: u64, proto: &str, path: &str, status: u16) -> Record {
    rec(t, Event::Serve { proto: proto.into(), server: "10.0.0.1".into(), path: path.into(), status, bytes: 10, user_agent: None, vlan: None })
}
fn dhcp_ev(t: u64, msg: &str, opts: &[(&str, &str)]) -> Record {
    rec(t, Event::Dhcp { msg: msg.into(), options: opts.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), vlan: None })
}

/// A provisioning run seen by the lab: DHCP, INF, firmware, a reboot, INF,
/// a MAC .ser 404 and its .txt, one TFTP file.
fn lab_trace() -> Vec<Record> {
    vec![
        rec(0, Event::Boot { cause: BootCause::PowerOn, image: "2.74".into() }),
        dhcp_ev(50_000, "discover", &[("53", "01"), ("60", "3031303754686f6d736f6e"), ("77", "54686f6d736f6e2053543230333053")]),
        dhcp_ev(50_000, "request", &[("53", "03"), ("77", "54686f6d736f6e2053543230333053")]),
        serve_ev(51_000, "http", "/ST2030S.inf", 200),
        serve_ev(100_000, "http", "/v2030SG.261127.2.75.zz", 200),
        rec(600_000, Event::Boot { cause: BootCause::Software, image: "2.75".into() }),
        serve_ev(650_000, "http", "/ST2030S.inf", 200),
        serve_ev(700_000, "http", "/ST2030S_009096A1B1C1.ser", 404),
        serve_ev(701_000, "http", "/ST2030S_009096A1B1C1.txt", 200),
        serve_ev(900_000, "tftp", "melody/a.txt", 1),
    ]
}

fn lab_outcomes(toml: &str) -> Vec<Outcome> {
    let s = crate::parse::parse(toml, Path::new("t.toml")).unwrap();
    let records = lab_trace();
    let marks = HashMap::new();
    let run = Run { records: &records, marks: &marks, end_us: 1_000_000 };
    s.expects.iter().map(|e| check(e, &run)).collect()
}

fn lab_one(toml: &str) -> Outcome {
    let mut o = lab_outcomes(toml);
    assert_eq!(o.len(), 1);
    o.pop().unwrap()
}

#[test]
fn serve_records_match_on_path_proto_status_count_and_window() {
    let pass = [
        "path = \"/ST2030S.inf\"\ncount = 2",
        "path = \"/ST2030S.inf\"\nto = \"0.1s\"\ncount = 1",
        "regex = '_009096A1B1C1\\.ser$'\nstatus = 404",
        "contains = \".zz\"\nproto = \"http\"\nstatus = 200",
        "path = \"melody/a.txt\"\nproto = \"tftp\"\nstatus = 1",
        "contains = \".zz\"\nfrom = \"0.2s\"\nnever = true",
    ];
    for p in pass {
        let o = lab_one(&format!("[[expect.serve]]\n{p}\n"));
        assert!(o.passed, "{p}: {}", o.detail);
    }
    let o = lab_one("[[expect.serve]]\npath = \"/ST2030S.inf\"\ncount = 1\n");
    assert!(!o.passed);
    assert!(o.detail.starts_with("2 matching request(s) in 0s..1s; served there: [0.051s http /ST2030S.inf 200] [0.100s http /v2030SG.261127.2.75.zz 200]"), "{}", o.detail);
    assert_eq!(o.expected, "exactly 1× a request for \"/ST2030S.inf\"");
    let o = lab_one("[[expect.serve]]\npath = \"/ST2030S.inf\"\nstatus = 500\nfrom = \"0.9s\"\n");
    assert_eq!(o.detail, "0 matching request(s) in 900ms..1s; served there: [0.900s tftp melody/a.txt 1]");
    let o = lab_one("[[expect.serve]]\nproto = \"tftp\"\ncontains = \"melody\"\nnever = true\n");
    assert!(!o.passed && o.detail.starts_with("1 matching request(s)"), "{}", o.detail);
}

#[test]
fn dhcp_records_match_on_message_and_option_bytes() {
    let pass = [
        "msg = \"discover\"",
        "msg = \"request\"\noption = 77\ntext = \"Thomson ST2030S\"",
        "msg = \"discover\"\noption = 60\nhex = \"3031303754686F6D736F6E\"",
        "option = 60\ncontains_text = \"Thomson\"",
        "option = 60\ncontains_hex = \"0x3037\"",
        "msg = \"request\"\noption = 60\nnever = true",
        "msg = \"inform\"\nnever = true",
        "option = 77",
    ];
    for p in pass {
        let o = lab_one(&format!("[[expect.dhcp]]\n{p}\n"));
        assert!(o.passed, "{p}: {}", o.detail);
    }
    let o = lab_one("[[expect.dhcp]]\nmsg = \"request\"\noption = 60\ntext = \"0107Thomson\"\n");
    assert!(!o.passed);
    assert_eq!(o.detail, "no matching DHCP message in 0s..1s; the phone sent: [0.050s discover, option 60 \"0107Thomson\" (3031303754686f6d736f6e)] [0.050s request, no option 60]");
    assert_eq!(o.expected, "a DHCP request with option 60 = \"0107Thomson\" (3031303754686f6d736f6e)");
    let o = lab_one("[[expect.dhcp]]\noption = 77\ntext = \"Thomson ST2030\"\n");
    assert!(!o.passed, "equal is not a prefix");
    let o = lab_one("[[expect.dhcp]]\nmsg = \"discover\"\nnever = true\n");
    assert_eq!((o.passed, o.detail.as_str()), (false, "the phone sent a matching discover at 0.050s"));
    let o = lab_one("[[expect.dhcp]]\nmsg = \"discover\"\nfrom = \"0.1s\"\n");
    assert_eq!(o.detail, "no matching DHCP message in 100ms..1s; the phone sent: none");
}

#[test]
fn requests_compare_the_ordered_paths_and_show_the_difference() {
    let all = r#"["/ST2030S.inf", "/v2030SG.261127.2.75.zz", "/ST2030S.inf", "/ST2030S_009096A1B1C1.ser", "/ST2030S_009096A1B1C1.txt", "melody/a.txt"]"#;
    assert!(lab_one(&format!("[expect.requests]\npaths = {all}\n")).passed);
    let with_boots = r#"["boot", "/ST2030S.inf", "/v2030SG.261127.2.75.zz", "boot", "/ST2030S.inf"]"#;
    let o = lab_one(&format!("[expect.requests]\nboots = true\nto = \"0.65s\"\npaths = {with_boots}\n"));
    assert!(o.passed, "{}", o.detail);
    assert!(lab_one("[expect.requests]\npaths = []\nfrom = \"0.95s\"\n").passed);

    let o = lab_one("[expect.requests]\nto = \"0.65s\"\npaths = [\"/ST2030S.inf\", \"/ST2030S.inf\"]\n");
    assert!(!o.passed);
    assert_eq!(o.detail, "3 request(s) in 0s..650ms: entry 2 is \"/v2030SG.261127.2.75.zz\" at 0.100s, expected \"/ST2030S.inf\"; from entry 1: [0.051s /ST2030S.inf] [0.100s /v2030SG.261127.2.75.zz] [0.650s /ST2030S.inf]");
    let o = lab_one("[expect.requests]\nto = \"0.1s\"\npaths = [\"/ST2030S.inf\", \"/v2030SG.261127.2.75.zz\", \"boot\"]\n");
    assert_eq!(o.detail, "2 request(s) in 0s..100ms: 1 fewer than expected, the first missing is entry 3 \"boot\"; from entry 1: [0.051s /ST2030S.inf] [0.100s /v2030SG.261127.2.75.zz]");
    let o = lab_one("[expect.requests]\nfrom = \"0.7s\"\npaths = [\"/ST2030S_009096A1B1C1.ser\"]\n");
    assert_eq!(o.detail, "3 request(s) in 700ms..1s: 2 more than expected, from entry 2 \"/ST2030S_009096A1B1C1.txt\" at 0.701s; from entry 1: [0.700s /ST2030S_009096A1B1C1.ser] [0.701s /ST2030S_009096A1B1C1.txt] [0.900s melody/a.txt]");
}

/// 4.5.2's first sequence as the lab sees it: DHCP untagged (Tag1s = the
/// native VLAN), TFTP on VLAN 4, a reboot, DHCP and TFTP on VLAN 4.
fn vlan_trace() -> Vec<Record> {
    let on = |mut r: Record, v: Option<u16>| {
        match &mut r.event {
            Event::Dhcp { vlan, .. } | Event::Serve { vlan, .. } => *vlan = v,
            _ => {}
        }
        r
    };
    vec![
        rec(0, Event::Boot { cause: BootCause::PowerOn, image: "2.74".into() }),
        on(dhcp_ev(50_000, "discover", &[("53", "01")]), None),
        on(dhcp_ev(50_000, "request", &[("53", "03")]), None),
        on(serve_ev(51_000, "tftp", "ST2030S.inf", 200), Some(4)),
        rec(600_000, Event::Boot { cause: BootCause::Software, image: "2.74".into() }),
        on(dhcp_ev(650_000, "discover", &[("53", "01")]), Some(4)),
        on(dhcp_ev(650_000, "request", &[("53", "03")]), Some(4)),
        on(serve_ev(700_000, "tftp", "ST2030S.inf", 200), Some(4)),
    ]
}

fn vlan_one(toml: &str) -> Outcome {
    let s = crate::parse::parse(toml, Path::new("t.toml")).unwrap();
    let records = vlan_trace();
    let marks = HashMap::new();
    let run = Run { records: &records, marks: &marks, end_us: 1_000_000 };
    let mut o: Vec<Outcome> = s.expects.iter().map(|e| check(e, &run)).collect();
    assert_eq!(o.len(), 1);
    o.pop().unwrap()
}

#[test]
fn vlans_of_dhcp_serve_and_the_ordered_exchanges() {
    assert!(vlan_one("[[expect.dhcp]]\nmsg = \"discover\"\nvlan = 0\nto = \"0.1s\"\n").passed);
    assert!(vlan_one("[[expect.dhcp]]\nmsg = \"discover\"\nvlan = 4\nfrom = \"0.6s\"\n").passed);
    let o = vlan_one("[[expect.dhcp]]\nmsg = \"discover\"\nvlan = 4\nto = \"0.1s\"\n");
    assert_eq!(o.detail, "no matching DHCP message in 0s..100ms; the phone sent: [0.050s discover@untagged] [0.050s request@untagged]");
    assert_eq!(o.expected, "a DHCP discover on VLAN 4 in start..100ms");
    assert!(vlan_one("[[expect.serve]]\npath = \"ST2030S.inf\"\nvlan = 4\ncount = 2\n").passed);
    let o = vlan_one("[[expect.serve]]\npath = \"ST2030S.inf\"\nvlan = 0\n");
    assert_eq!(o.detail, "0 matching request(s) in 0s..1s; served there: [0.051s tftp ST2030S.inf 200 vlan 4] [0.700s tftp ST2030S.inf 200 vlan 4]");
    let all = r#"["boot", "discover@untagged", "request@untagged", "ST2030S.inf@4", "boot", "discover@4", "request@4", "ST2030S.inf@4"]"#;
    let o = vlan_one(&format!("[expect.requests]\nboots = true\ndhcp = true\nvlans = true\npaths = {all}\n"));
    assert!(o.passed, "{}", o.detail);
    let o = vlan_one("[expect.requests]\ndhcp = true\nvlans = true\nfrom = \"0.6s\"\npaths = [\"discover@4\", \"request@4\", \"ST2030S.inf@untagged\"]\n");
    assert!(o.detail.contains("entry 3 is \"ST2030S.inf@4\" at 0.700s, expected \"ST2030S.inf@untagged\""), "{}", o.detail);
    assert!(vlan_one("[expect.requests]\npaths = [\"ST2030S.inf\", \"ST2030S.inf\"]\n").passed, "without dhcp/vlans: as before");
    let e = crate::parse::parse("[[expect.serve]]\npath = \"x\"\nvlan = 4095\n", Path::new("t.toml")).unwrap_err().to_string();
    assert!(e.contains("`vlan` 4095"), "{e}");
}
