//! `cargo bench -p site`: the real firmware on the built-in lab in virtual
//! time (no loss), against the same work between two threads over host
//! loopback, measured side by side in this run. Prints one table:
//!
//! - DHCP lease: power-on (booting included) and the lab's first DISCOVER
//!   to the firmware's `dhcp: lease` line; baseline: two UDP round trips.
//! - TFTP and HTTP, 1 MiB of seeded random bytes: the INF fetch, from the
//!   firmware's `aps: candidate` line to its `fetch:` line (checked: right
//!   length and CRC-32); baselines: the same file over loopback.
//!
//! Wall times are host time (medians of several runs); "virtual" is the
//! emulated time the same span took on the phone's clock. The ratio is
//! phone wall / loopback wall (how many times slower the emulated phone is).

#[path = "../../tests/common/mod.rs"]
mod common;
mod loopback;

use common::phone::{boot, lab_net, log_text};
use common::Tree;
use machine::Control;
use trace::{Event, Record};
use rand::{RngCore, SeedableRng};
use site::LabOptions;
use std::time::{Duration, Instant};

const SIZE: usize = 1 << 20;
const PHONE_RUNS: usize = 5;
const HOST_RUNS: usize = 21;

/// A console line starting with `prefix`.
fn line(prefix: &'static str) -> impl Fn(&Record) -> bool {
    move |r| log_text(r).is_some_and(|l| l.starts_with(prefix))
}

/// The phone's first DHCP DISCOVER, as the lab saw it.
fn discover(r: &Record) -> bool {
    matches!(&r.event, Event::Dhcp { msg, .. } if msg == "discover")
}

/// Wall and virtual time from the first record matching `from` (`None`:
/// from power-on) to the first matching `to`, which is returned too.
fn phone_span(tree: &Tree, dhcp_options: &[&str], from: Option<Pred>, to: Pred) -> (Duration, u64, Record) {
    let opts = LabOptions { dhcp_options: dhcp_options.iter().map(|s| s.to_string()).collect(), ..Default::default() };
    let mut r = boot(Box::new(lab_net(tree.path(), &opts)));
    let mut start: Option<(Instant, u64)> = from.is_none().then(|| (Instant::now(), 0));
    let mut end: Option<(Instant, u64, Record)> = None;
    r.run_until(600_000_000, &mut |rec| {
        if start.is_none() && from.is_some_and(|f| f(rec)) {
            start = Some((Instant::now(), rec.t_us));
        } else if start.is_some() && to(rec) {
            end = Some((Instant::now(), rec.t_us, rec.clone()));
            return Control::Pause;
        }
        Control::Continue
    });
    let ((w0, v0), (w1, v1, rec)) = (start.expect("the start record"), end.expect("the end record within 600 s"));
    (w1 - w0, v1 - v0, rec)
}

fn median<T: Copy + Ord>(mut xs: Vec<T>) -> T {
    xs.sort();
    xs[xs.len() / 2]
}

struct Row {
    what: &'static str,
    wall: Duration,
    virt_us: u64,
    host: Duration,
    host_what: &'static str,
    bytes: Option<usize>,
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn rate(bytes: Option<usize>, secs: f64) -> String {
    bytes.map_or(String::new(), |b| format!(" ({:.1} MB/s)", b as f64 / secs / 1e6))
}

type Span = (Duration, u64);
type Pred<'a> = &'a dyn Fn(&Record) -> bool;
/// Name, DHCP options, from, to, the `to` line expected.
type Case<'a> = (&'static str, &'a [&'a str], Option<Pred<'a>>, Pred<'a>, Option<String>);

fn phone_rows(tree: &Tree, crc: u32) -> Vec<(&'static str, Vec<Span>)> {
    let fetch = |proto: &str, name: &str| format!("fetch: {proto} 10.0.0.1 {name} {SIZE} bytes crc32={crc:08x}");
    let (lease, candidate, fetched) = (line("dhcp: lease"), line("aps: candidate"), line("fetch:"));
    let cases: [Case; 4] = [
        ("DHCP power-on -> lease", &[], None, &lease, None),
        ("DHCP DISCOVER -> lease", &[], Some(&discover), &lease, None),
        ("TFTP 1 MiB", &["66=10.0.0.1", "67=big.bin"], Some(&candidate), &fetched, Some(fetch("tftp", "big.bin"))),
        ("HTTP 1 MiB", &["43=http://10.0.0.1/big.bin"], Some(&candidate), &fetched, Some(fetch("http", "/big.bin"))),
    ];
    cases
        .into_iter()
        .map(|(what, opts, from, to, want)| {
            let runs = (0..PHONE_RUNS)
                .map(|_| {
                    let (wall, virt, rec) = phone_span(tree, opts, from, to);
                    if let Some(want) = &want {
                        assert_eq!(log_text(&rec), Some(want.as_str()), "{what}");
                    }
                    (wall, virt)
                })
                .collect();
            (what, runs)
        })
        .collect()
}

fn main() {
    let tree = Tree::new("bench");
    let mut data = vec![0; SIZE];
    rand_chacha::ChaCha8Rng::seed_from_u64(2030).fill_bytes(&mut data);
    std::fs::write(tree.path().join("big.bin"), &data).unwrap();
    let crc = crc32fast::hash(&data);

    // Warm-up: page in the ROMs and the loopback paths once.
    let _ = phone_span(&tree, &[], None, &line("dhcp: lease"));
    let _ = (loopback::tftp(&data), loopback::http(&data), loopback::dhcp_like());

    let phone = phone_rows(&tree, crc);
    let host = |f: &dyn Fn() -> Duration| median((0..HOST_RUNS).map(|_| f()).collect());
    let dhcp = host(&loopback::dhcp_like);
    let baselines: [(Duration, &str, Option<usize>); 4] = [
        (dhcp, "2 UDP round trips", None),
        (dhcp, "2 UDP round trips", None),
        (host(&|| loopback::tftp(&data)), "TFTP lockstep", Some(SIZE)),
        (host(&|| loopback::http(&data)), "HTTP GET", Some(SIZE)),
    ];
    let rows: Vec<Row> = phone
        .into_iter()
        .zip(baselines)
        .map(|((what, runs), (host, host_what, bytes))| {
            let wall = median(runs.iter().map(|r| r.0).collect());
            let virt_us = median(runs.iter().map(|r| r.1).collect());
            Row { what, wall, virt_us, host, host_what, bytes }
        })
        .collect();

    println!("\nsite network bench: phone = real firmware + built-in lab, virtual clock, no loss (median of {PHONE_RUNS});");
    println!("host = the same over 127.0.0.1 between two threads (median of {HOST_RUNS}). ratio = phone wall / host wall.\n");
    println!("| {:<27} | {:<28} | {:<22} | {:<38} | {:>8} |", "what", "phone wall", "phone virtual", "host loopback", "ratio");
    println!("|{}|{}|{}|{}|{}|", "-".repeat(29), "-".repeat(30), "-".repeat(24), "-".repeat(40), "-".repeat(10));
    for r in &rows {
        let virt = r.virt_us as f64 / 1e6;
        println!(
            "| {:<27} | {:<28} | {:<22} | {:<38} | {:>7.1}x |",
            r.what,
            ms(r.wall) + &rate(r.bytes, r.wall.as_secs_f64()),
            if r.virt_us == 0 { "0 (no time passes)".into() } else { format!("{:.3} s", virt) + &rate(r.bytes, virt) },
            format!("{} {}", r.host_what, ms(r.host)) + &rate(r.bytes, r.host.as_secs_f64()),
            r.wall.as_secs_f64() / r.host.as_secs_f64()
        );
    }
}
