//! 10,000 damaged and random frames fed to the running firmware, in virtual
//! time, and the phone neither crashes nor resets, and still answers.
//!
//! [`FuzzNet`] stands between the phone and the built-in lab (a `PhoneNet`):
//! it learns from the phone's frames what it is doing (DHCP xid, DNS query,
//! SNTP cookie, TFTP ports, TCP sequence), and until its budget is spent it
//! (a) damages 30% of the lab's real replies (the undamaged one follows half
//! the time, so the phone keeps making progress) and (b) every 8 ms forges a
//! reply to one of those conversations (DHCP, DNS, SNTP, TFTP, HTTP over TCP,
//! SIP) and damages it (payload mutations with checksums repaired, header and
//! length damage), or sends ARP/ICMP/unknown/random frames. The lab's options
//! keep the phone busy: an HTTP INF by name (DNS), a TFTP INF, NTP, all of
//! them missing so its INF search retries. Everything is seeded.

#[path = "../common/mod.rs"]
mod common;
mod frames;
mod mutate;
mod replies;

use common::phone::{Shared, boot, console, lab_net, log_text, run};
use common::*;
use machine::Network;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use replies::{KINDS, Kind, LAB_IP, LAB_MAC, Learned};
use site::{LabOptions, PhoneNet};
use std::collections::{BTreeMap, VecDeque};
use trace::{BootCause, Event, Record};

const BUDGET: u64 = 10_000;
const EVERY_US: u64 = 8_000;
/// Share of the lab's replies that get damaged.
const DAMAGE_LAB: f64 = 0.3;

struct FuzzNet {
    lab: PhoneNet,
    rng: ChaCha8Rng,
    learned: Learned,
    /// Frames due for the phone now, before anything else.
    queue: VecDeque<Vec<u8>>,
    next_forge: u64,
    /// Damaged or random frames still to send.
    budget: u64,
    /// What was sent, by kind; `None` for damaged lab replies.
    sent: BTreeMap<Option<Kind>, u64>,
    last_now: u64,
    ip_id: u16,
}

impl FuzzNet {
    fn new(lab: PhoneNet, seed: u64) -> FuzzNet {
        FuzzNet { lab, rng: ChaCha8Rng::seed_from_u64(seed), learned: Learned::default(), queue: VecDeque::new(), next_forge: 0, budget: BUDGET, sent: BTreeMap::new(), last_now: 0, ip_id: 0 }
    }

    /// A damaged copy of a real lab reply.
    fn damage(&mut self, frame: &[u8]) -> Vec<u8> {
        let rng = &mut self.rng;
        if let Some(p) = frames::parse(frame).filter(|_| rng.random_bool(0.7)) {
            let mut payload = p.payload.to_vec();
            mutate::bytes(rng, &mut payload, 1472);
            let r = replies::Reply { src: (p.src, p.sport), dst: (p.dst, p.dport), tcp: p.tcp, payload };
            return r.frame(p.tcp.map_or(1, |_| 2));
        }
        let mut f = frame.to_vec();
        mutate::headers(rng, &mut f);
        f
    }

    /// A forged, damaged frame of a random kind.
    fn forge(&mut self) -> (Kind, Vec<u8>) {
        let kind = KINDS[self.rng.random_range(0..KINDS.len())];
        self.ip_id = self.ip_id.wrapping_add(1);
        if kind == Kind::Other {
            let me = self.learned.ip.unwrap_or(replies::LEASED);
            return (kind, replies::other(&mut self.rng, me));
        }
        let mut r = replies::reply(&mut self.rng, kind, &self.learned);
        if self.rng.random_bool(0.85) {
            mutate::bytes(&mut self.rng, &mut r.payload, 1472);
        }
        let mut f = r.frame(self.ip_id);
        if self.rng.random_bool(0.15) {
            mutate::headers(&mut self.rng, &mut f);
        }
        (kind, f)
    }

    fn count(&mut self, kind: Option<Kind>) {
        self.budget -= 1;
        *self.sent.entry(kind).or_default() += 1;
    }
}

impl Network for FuzzNet {
    fn receive(&mut self, now: u64, frame: &[u8]) {
        self.last_now = self.last_now.max(now);
        self.learned.see(frame);
        self.lab.receive(now, frame);
    }

    fn transmit(&mut self, now: u64) -> Option<Vec<u8>> {
        self.last_now = self.last_now.max(now);
        if let Some(f) = self.queue.pop_front() {
            return Some(f);
        }
        if let Some(f) = self.lab.transmit(now) {
            if self.budget > 0 && self.rng.random_bool(DAMAGE_LAB) {
                self.count(None);
                let bad = self.damage(&f);
                if self.rng.random_bool(0.5) {
                    self.queue.push_back(f);
                }
                return Some(bad);
            }
            return Some(f);
        }
        if self.budget > 0 && now >= self.next_forge {
            self.next_forge = now + EVERY_US;
            let (kind, f) = self.forge();
            self.count(Some(kind));
            return Some(f);
        }
        None
    }

    fn poll_at(&self) -> Option<u64> {
        if !self.queue.is_empty() {
            return Some(self.last_now);
        }
        let forge = (self.budget > 0).then_some(self.next_forge);
        [self.lab.poll_at(), forge].into_iter().flatten().min()
    }

    fn drain_trace(&mut self) -> Vec<Record> {
        self.lab.drain_trace()
    }
}

/// A well-formed SIP NOTIFY check-sync from the lab to `to`.
fn check_sync(to: std::net::Ipv4Addr) -> Vec<u8> {
    let text = format!(
        "NOTIFY sip:{to}:5060 SIP/2.0\r\nVia: SIP/2.0/UDP {LAB_IP}:5060;branch=z9hG4bKalive\r\nMax-Forwards: 70\r\n\
         From: <sip:lab@{LAB_IP}>;tag=alive\r\nTo: <sip:{to}>\r\nCall-ID: alive@{LAB_IP}\r\nCSeq: 1 NOTIFY\r\n\
         Event: check-sync\r\nContent-Length: 0\r\n\r\n"
    );
    frames::udp_frame(PHONE_MAC, LAB_MAC, (LAB_IP, 5060), (to, 5060), 9, text.as_bytes())
}

/// How many console lines start with each of `prefixes`.
fn tally<'a>(t: &'a [Record], prefixes: &[&'a str]) -> BTreeMap<&'a str, usize> {
    let lines: Vec<&str> = t.iter().filter_map(log_text).collect();
    prefixes.iter().map(|p| (*p, lines.iter().filter(|l| l.starts_with(p)).count())).collect()
}

#[test]
fn ten_thousand_damaged_replies_neither_crash_nor_stop_the_phone() {
    let tree = Tree::new("fuzz");
    let lab_toml = tree.path().join("lab.toml");
    std::fs::write(&lab_toml, "[dhcp]\nlease_secs = 40\n").unwrap();
    let options = ["43=http://prov.lab/missing.inf", "66=10.0.0.1", "67=missing.inf", "42=10.0.0.1"];
    let opts = LabOptions { dhcp_options: options.iter().map(|s| s.to_string()).collect(), lab_file: Some(lab_toml), ..Default::default() };
    let (net, fuzz) = Shared::new(FuzzNet::new(lab_net(tree.path(), &opts), 0x5732_0300));
    let mut r = boot(Box::new(net));
    let wall = std::time::Instant::now();

    let mut t: Vec<Record> = Vec::new();
    while fuzz.lock().unwrap().budget > 0 && r.now() < 600_000_000 {
        let until = r.now() + 1_000_000;
        t.extend(run(&mut r, until, |_| false));
    }
    let (fuzzed_until, phone_frames) = (r.now(), fuzz.lock().unwrap().learned.frames);
    // A quiet minute with the real lab only, then a well-formed NOTIFY.
    t.extend(run(&mut r, fuzzed_until + 60_000_000, |_| false));
    let (me, frames_before) = {
        let mut f = fuzz.lock().unwrap();
        let me = f.learned.ip.unwrap_or(replies::LEASED);
        f.queue.push_back(check_sync(me));
        (me, f.learned.frames)
    };
    let alive_at = r.now();
    t.extend(run(&mut r, alive_at + 2_000_000, |_| false));

    let f = fuzz.lock().unwrap();
    let sent: BTreeMap<String, u64> = f.sent.iter().map(|(k, n)| (k.map_or("damaged lab reply".into(), |k| format!("{k:?}")), *n)).collect();
    let seen = tally(&t, &["dhcp: lease", "aps: candidate", "fetch:", "ntp:", "sip:"]);
    eprintln!(
        "fuzz: {BUDGET} frames in {:.1} s virtual, {:.2} s wall; sent {sent:?}; the phone sent {phone_frames} frames; console {seen:?}",
        fuzzed_until as f64 / 1e6,
        wall.elapsed().as_secs_f64()
    );

    let crashes: Vec<&Record> = t.iter().filter(|r| matches!(r.event, Event::Crash { .. } | Event::Boot { cause: BootCause::Watchdog, .. })).collect();
    assert!(crashes.is_empty(), "{crashes:?}\n{}", console(&t));
    let boots = t.iter().filter(|r| matches!(r.event, Event::Boot { .. })).count();
    assert_eq!(boots, 1, "the phone reset while fuzzed:\n{}", console(&t));
    assert_eq!(f.budget, 0, "all {BUDGET} frames were sent");
    assert_eq!(sent.values().sum::<u64>(), BUDGET);
    assert!(sent.len() == KINDS.len() + 1, "every kind was sent: {sent:?}");
    // The fuzzing reached the firmware's code, not only its NIC.
    assert!(phone_frames > 1000, "the phone kept talking while fuzzed: {phone_frames} frames");
    assert!(seen["sip:"] > 100 && seen["dhcp: lease"] > 1 && seen["fetch:"] > 1, "{seen:?}");
    // Still alive: the NOTIFY is understood, and the phone answers (ARP or SIP).
    let after: Vec<&str> = t.iter().filter(|r| r.t_us >= alive_at).filter_map(log_text).collect();
    let want = format!("sip: NOTIFY check-sync from {LAB_IP} reboot=false");
    assert!(after.contains(&want.as_str()), "no `{want}` after fuzzing (phone at {me}):\n{}", console(&t));
    assert!(f.learned.frames > frames_before, "the phone answered the NOTIFY");
}
