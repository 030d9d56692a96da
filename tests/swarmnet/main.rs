//! The swarm against real Debian servers (tests/netlab): as root, with
//! network namespaces and TUN, the dnsmasq lab serves the demo tree
//! (`assets/provisioning`, linked as `prov/` so the lab's option 43
//! `http://10.77.0.1/prov/ST2030S.inf` finds its INF), and
//! `st20xx swarm --net tap:tap0 --clock real` runs inside the lab's switch
//! namespace. Every phone must provision, and what each phone says it
//! fetched must be what nginx logged for it (200 lines by User-Agent MAC).
//! A second test stops nginx while the phones download their firmware: the
//! phones fail by their LCD error, the swarm stops before `--for`, prints
//! its summary and exits 1, and the counts still add up against nginx's log.
//! A third runs the swarm `--until lease`: every phone leased, nginx unused.
//! Without root, netns or TUN the tests print a loud SKIPPED and pass.
//! The lab is torn down also when a check fails (on drop). The 1,000-phone
//! run and the perfdhcp comparison are `tests/swarmnet/bench.sh` (minutes).

#[path = "../netlab/netlab.rs"]
mod netlab;

use netlab::{Dhcp, Lab, LabError, Ns, Options};
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use swarm::{Outcome, Report};

/// Phones in the test: a modest swarm (the lab's dnsmasq pool holds 100).
const PHONES: u32 = 50;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn roms_dir() -> PathBuf {
    std::env::var_os("ST20XX_ROMS").map_or_else(|| repo().join("roms"), PathBuf::from)
}

/// A served tree whose `prov/` is the demo tree; removed on drop.
struct Tree(PathBuf);

impl Tree {
    /// A directory of its own per test: tests run in parallel in one process,
    /// and a shared one was removed under a running swarm by the first test to
    /// finish (its nginx then answered 404: every phone `Gen File Not Found`).
    fn new() -> Tree {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("st20xx-swarmnet-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("tree")).unwrap();
        std::os::unix::fs::symlink(repo().join("assets/provisioning"), dir.join("tree/prov")).unwrap();
        Tree(dir)
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn lab_or_skip(tree: PathBuf) -> Option<Lab> {
    match Lab::up(&Options { tree, dhcp: Dhcp::Dnsmasq, vlan: false, quiet: true }) {
        Ok(lab) => Some(lab),
        Err(LabError::Skipped(why)) => {
            let stars = "*".repeat(72);
            let _ = writeln!(std::io::stderr().lock(), "\n{stars}\nSKIPPED swarmnet: {why}\n{stars}\n");
            None
        }
        Err(e) => panic!("the lab did not come up: {e}"),
    }
}

/// nginx's 200 answers per phone, keyed by the MAC at the end of the
/// User-Agent (`… 00-90-96-00-00-2A"`), as the report spells MACs (`00909600002A`).
fn served_per_mac(access_log: &str) -> HashMap<String, u32> {
    let mut n = HashMap::new();
    for line in access_log.lines().filter(|l| l.contains("\" 200 ")) {
        let ua = line.rsplit('"').nth(1).unwrap_or("");
        let mac: String = ua.rsplit(' ').next().unwrap_or("").chars().filter(|c| *c != '-').collect();
        *n.entry(mac.to_uppercase()).or_insert(0) += 1;
    }
    n
}

#[test]
fn a_swarm_provisions_from_dnsmasq_and_nginx_and_nginx_logged_every_fetch() {
    let tree = Tree::new();
    let Some(lab) = lab_or_skip(tree.0.join("tree")) else { return };
    let report = tree.0.join("report.json");
    let started = Instant::now();
    let out = lab
        .command_in(Ns::Switch, env!("CARGO_BIN_EXE_st20xx"))
        .args(["swarm", "--count", &PHONES.to_string(), "--net", "tap:tap0", "--clock", "real", "--ramp", "50", "--for", "3m", "--quiet", "--roms"])
        .arg(roms_dir())
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let r = Report::read(&report).unwrap();
    eprintln!("{PHONES} phones against the real lab in {:.1} s:\n{}", took.as_secs_f64(), r.summary());
    assert_eq!((r.phones, r.provisioned), (u64::from(PHONES), u64::from(PHONES)), "{}", r.summary());
    assert!(r.wall[0].tap_errors.is_empty(), "{:?}", r.wall[0].tap_errors);

    let access = lab.log("nginx-access.log").unwrap();
    let served = served_per_mac(&access);
    for p in &r.per_phone {
        assert_eq!(p.outcome, Outcome::Provisioned);
        assert!(p.fetched >= 9, "INF twice, firmware, configs, tables, melodies: {p:?}");
        assert_eq!(served.get(&p.mac).copied().unwrap_or(0), p.fetched, "phone {}: nginx's 200s vs the report", p.mac);
    }
    assert_eq!(served.len(), PHONES as usize, "no request from an unknown phone: {served:?}");
    let fetched: u32 = r.per_phone.iter().map(|p| p.fetched).sum();
    assert_eq!(served.values().sum::<u32>(), fetched);
    lab.down().expect("lab down");
}

/// `--until lease` against dnsmasq: every phone leases and is powered off
/// at once (nginx never hears from one), the swarm ends by itself long
/// before `--for`, and each phone's DISCOVER (its own frame, no lab record
/// on a TAP) starts its DHCP phase.
#[test]
fn until_lease_leases_every_phone_from_dnsmasq_and_nginx_hears_from_none() {
    let tree = Tree::new();
    let Some(lab) = lab_or_skip(tree.0.join("tree")) else { return };
    let report = tree.0.join("lease.json");
    let out = lab
        .command_in(Ns::Switch, env!("CARGO_BIN_EXE_st20xx"))
        .args(["swarm", "--count", &PHONES.to_string(), "--net", "tap:tap0", "--clock", "real", "--until", "lease", "--for", "2m", "--quiet", "--roms"])
        .arg(roms_dir())
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let r = Report::read(&report).unwrap();
    eprintln!("{PHONES} phones until lease against dnsmasq:\n{}", r.summary());
    assert_eq!((r.phones, r.leased, r.provisioned, r.failed, r.unfinished), (u64::from(PHONES), u64::from(PHONES), 0, 0, 0), "{}", r.summary());
    assert!(r.run.end_us < 60_000_000, "{}", r.summary());
    assert!(r.dhcp_rate > 0.0, "{}", r.summary());
    for p in &r.per_phone {
        assert_eq!(p.outcome, Outcome::Leased);
        let dhcp = p.phases.iter().find(|s| s.phase == "dhcp" && s.ok).unwrap();
        assert!(p.discover_us.is_some_and(|d| d >= p.power_on_us && d < dhcp.end_us), "{p:?}");
        assert_eq!((p.requests, p.fetched), (0, 0), "{p:?}");
    }
    let access = lab.log("nginx-access.log").unwrap_or_default();
    assert!(access.trim().is_empty(), "nginx heard from a phone:\n{access}");
    lab.down().expect("lab down");
}

/// A running swarm that is killed if the test fails before it ends.
struct Running(Option<Child>);

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(c) = self.0.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Phones in the server-stopped test.
const STOPPED_PHONES: u32 = 30;

#[test]
fn nginx_stopped_mid_run_fails_phones_by_lcd_error_without_hanging() {
    let tree = Tree::new();
    let Some(lab) = lab_or_skip(tree.0.join("tree")) else { return };
    let report = tree.0.join("stopped.json");
    let child = lab
        .command_in(Ns::Switch, env!("CARGO_BIN_EXE_st20xx"))
        .args(["swarm", "--count", &STOPPED_PHONES.to_string(), "--net", "tap:tap0", "--clock", "real", "--for", "2m", "--quiet", "--roms"])
        .arg(roms_dir())
        .arg("--report")
        .arg(&report)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut running = Running(Some(child));

    // Every phone has its INF (and asks for the firmware next): stop nginx.
    let waited = Instant::now();
    loop {
        let access = lab.log("nginx-access.log").unwrap_or_default();
        let infs = access.lines().filter(|l| l.contains("GET /prov/ST2030S.inf ") && l.contains("\" 200 ")).count();
        if infs >= STOPPED_PHONES as usize {
            break;
        }
        assert!(waited.elapsed() < Duration::from_secs(120), "only {infs} INFs served after 2 min:\n{access}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = std::fs::read_to_string(lab.dir.join("nginx.pid")).unwrap();
    let killed = std::process::Command::new("kill").args(["-TERM", pid.trim()]).status().unwrap();
    assert!(killed.success(), "kill nginx {pid}");
    let stopped_at = Instant::now();

    let out = running.0.take().unwrap().wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let r = Report::read(&report).unwrap();
    eprintln!("nginx stopped after {:.1} s; the swarm ended {:.1} s later:\n{}", (stopped_at - waited).as_secs_f64(), stopped_at.elapsed().as_secs_f64(), r.summary());
    assert_eq!(r.phones, u64::from(STOPPED_PHONES));
    assert_eq!(r.unfinished, 0, "every phone decided before --for ran out: {}", r.summary());
    assert!(r.run.end_us < 120_000_000, "{}", r.summary());
    assert!(r.failed >= 1, "nginx stopped while phones were fetching: {}", r.summary());
    assert_eq!(r.provisioned + r.failed, r.phones);
    assert_eq!(r.failures.values().sum::<u64>(), r.failed);
    for (why, n) in &r.failures {
        assert!(aps::lcd::Message::ALL.iter().any(|m| m.is_error() && m.text() == why), "{why} is an LCD error text");
        assert!(stdout.contains(&format!("{n} × {why}")), "the summary names it: {stdout}");
    }
    // nginx logs a request when it ends, also one the stop cut short: each
    // phone's whole files are its 200 lines, but for at most one cut short.
    let served = served_per_mac(&lab.log("nginx-access.log").unwrap());
    for p in &r.per_phone {
        let n = served.get(&p.mac).copied().unwrap_or(0);
        assert!(p.fetched >= 1, "the INF came before the stop: {p:?}");
        assert!(n >= p.fetched && n <= p.fetched + 1, "phone {}: nginx 200s {n}, fetched {}", p.mac, p.fetched);
        if p.outcome == Outcome::Failed {
            assert!(p.error.is_some(), "{p:?}");
        }
    }
    assert_eq!(served.len(), STOPPED_PHONES as usize, "no request from an unknown phone: {served:?}");
    lab.down().expect("lab down");
}

#[test]
fn nginx_user_agents_map_to_report_macs() {
    let log = "10.77.0.126 [27/Nov/2026:21:35:54 +0000] \"GET /prov/ST2030S.inf HTTP/1.1\" 200 738 \"THOMSON ST2030 hw5 fw2.74 00-90-96-00-00-2a\"\n\
               10.77.0.126 [27/Nov/2026:21:35:54 +0000] \"GET /prov/ST2030S_00909600002A.txt HTTP/1.1\" 404 153 \"THOMSON ST2030 hw5 fw2.74 00-90-96-00-00-2a\"\n";
    assert_eq!(served_per_mac(log), HashMap::from([("00909600002A".to_string(), 1)]));
}
