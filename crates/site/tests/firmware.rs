//! The real firmware from `roms/` booted by `machine::Runner` on a
//! `PhoneNet` with the built-in lab, in virtual time: its DHCP DISCOVER
//! carries the vendor document's options 60 and 77, it fetches `hello.txt`
//! over TFTP (options 66/67) and over HTTP (option 43), and the whole trace
//! is the same bytes on a second run.
//!
//! These fail (they do not skip) when the firmware in `roms/` has no
//! networking: a phone that never sends a DISCOVER is a broken phone.

mod common;

use common::*;
use machine::{Control, Runner};
use site::{LabOptions, NetSpec, PhoneNet};
use std::path::Path;
use trace::{Event, Record};

/// A factory-fresh ST2030S with the MAC of the tests, on `net`.
fn phone(net: PhoneNet) -> Runner {
    common::phone::boot(Box::new(net))
}

fn lab(tree: &Tree, dhcp_options: &[&str]) -> PhoneNet {
    let opts = LabOptions { dhcp_options: dhcp_options.iter().map(|s| s.to_string()).collect(), ..Default::default() };
    PhoneNet::build(&NetSpec::Lab { dir: Some(tree.path().to_path_buf()) }, &opts, PHONE_MAC, Path::new("/nowhere")).unwrap()
}

/// Runs until `until_us`, or until a record matches `stop` (then a little
/// longer, so what follows it is in the trace too).
fn run(r: &mut Runner, until_us: u64, stop: impl Fn(&Record) -> bool) -> Vec<Record> {
    let mut out = Vec::new();
    r.run_until(until_us, &mut |rec| {
        out.push(rec.clone());
        if stop(rec) { Control::Pause } else { Control::Continue }
    });
    out
}

fn logs(t: &[Record]) -> Vec<String> {
    t.iter()
        .filter_map(|r| match &r.event {
            Event::Log { text } => Some(format!("{:>10} {text}", r.t_us)),
            _ => None,
        })
        .collect()
}

fn serve_of(t: &[Record]) -> Option<&Event> {
    t.iter().map(|r| &r.event).find(|e| matches!(e, Event::Serve { .. }))
}

/// Option 60 as the vendor document's D1 gives it.
const D1_HEX: &str = concat!("3031303754686f6d736f6e303230365354323033303033303353495", "0");

const LIMIT_US: u64 = 120_000_000;

#[test]
fn discover_carries_the_vendor_class_and_user_class() {
    let tree = Tree::new("fw-dhcp");
    let mut r = phone(lab(&tree, &[]));
    let t = run(&mut r, LIMIT_US, |rec| matches!(&rec.event, Event::Dhcp { msg, .. } if msg == "discover"));
    let Some((at, options, vlan)) = t.iter().find_map(|rec| match &rec.event {
        Event::Dhcp { msg, options, vlan } if msg == "discover" => Some((rec.t_us, options, vlan)),
        _ => None,
    }) else {
        panic!("the firmware sent no DHCP DISCOVER in {} s: it has no networking. Console:\n{}", LIMIT_US / 1_000_000, logs(&t).join("\n"));
    };
    assert!(!t.iter().any(|rec| matches!(rec.event, Event::Crash { .. })), "{}", logs(&t).join("\n"));
    assert_eq!(t.iter().find(|rec| rec.t_us == at && matches!(rec.event, Event::Dhcp { .. })).unwrap().phone, "009096A1B1C1");
    // D1, written out as hex, then as the ASCII it encodes.
    assert_eq!(options.get("60").map(String::as_str), Some(D1_HEX), "option 60: {options:?}");
    assert_eq!(options["60"], hex(b"0107Thomson0206ST20300303SIP"));
    assert_eq!(options.get("77"), Some(&hex(b"Thomson ST2030S")), "option 77 (D2): {options:?}");
    assert_eq!(options.get("53").map(String::as_str), Some("01"));
    assert_eq!(*vlan, None);
}

#[test]
fn the_phone_fetches_hello_txt_over_tftp_from_options_66_and_67() {
    let tree = Tree::new("fw-tftp");
    let mut r = phone(lab(&tree, &["66=10.0.0.1", "67=hello.txt"]));
    let t = run(&mut r, LIMIT_US, |rec| matches!(rec.event, Event::Serve { .. }));
    let console = logs(&t).join("\n");
    assert!(t.iter().any(|rec| matches!(&rec.event, Event::Log { text } if text.starts_with("dhcp: lease "))), "no `dhcp: lease` line: the firmware has no networking?\n{console}");
    let Some(Event::Serve { proto, server, path, status, bytes, .. }) = serve_of(&t) else { panic!("the lab served nothing:\n{console}") };
    assert_eq!((proto.as_str(), server.as_str(), path.as_str(), *status, *bytes), ("tftp", "10.0.0.1", "hello.txt", 0, HELLO.len() as u64), "{console}");
    let later = r.now() + 2_000_000;
    let t = [t, run(&mut r, later, |_| false)].concat();
    assert!(logs(&t).iter().any(|l| l.contains("fetch: tftp 10.0.0.1 hello.txt") && l.contains(&format!("{} bytes", HELLO.len()))), "{}", logs(&t).join("\n"));
}

#[test]
fn the_phone_fetches_hello_txt_over_http_from_option_43() {
    let tree = Tree::new("fw-http");
    let mut r = phone(lab(&tree, &["43=http://prov.lab/hello.txt"]));
    let t = run(&mut r, LIMIT_US, |rec| matches!(rec.event, Event::Serve { .. }));
    let console = logs(&t).join("\n");
    assert!(t.iter().any(|rec| matches!(&rec.event, Event::Log { text } if text.starts_with("dhcp: lease "))), "no `dhcp: lease` line: the firmware has no networking?\n{console}");
    let Some(Event::Serve { proto, server, path, status, bytes, user_agent, .. }) = serve_of(&t) else { panic!("the lab served nothing:\n{console}") };
    assert_eq!((proto.as_str(), server.as_str(), path.as_str(), *status, *bytes), ("http", "10.0.0.1", "/hello.txt", 200, HELLO.len() as u64), "{console}");
    let ua = user_agent.as_deref().unwrap_or_default();
    assert!(ua.starts_with("THOMSON ST2030") && ua.ends_with("00-90-96-A1-B1-C1"), "User-Agent {ua:?}");
}

#[test]
fn two_boots_against_the_lab_give_the_same_trace_bytes() {
    let tree = Tree::new("fw-twice");
    let once = || {
        let mut r = phone(lab(&tree, &["66=10.0.0.1", "67=hello.txt"]));
        run(&mut r, 30_000_000, |_| false).iter().map(|rec| rec.to_json() + "\n").collect::<String>()
    };
    let a = once();
    assert!(a.contains(r#""ev":"serve""#), "the run reached the fetch:\n{a}");
    assert_eq!(a, once());
}
