//! The swarm end to end: real firmware from `roms/` (or `$ST20XX_ROMS`),
//! built-in lab serving `assets/provisioning`, virtual clock, small counts.

use rom::Roms;
use std::path::{Path, PathBuf};
use std::process::Command;
use swarm::{Goal, Outcome, Report, Shard, Swarm, SwarmConfig, SwarmNet};
use trace::{Event, PowerState, Record};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn roms_dir() -> PathBuf {
    std::env::var_os("ST20XX_ROMS").map_or_else(|| repo().join("roms"), PathBuf::from)
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("st20xx-swarm-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The lab of `assets/provisioning` (its lab.toml), with extra DHCP options and forced HTTP statuses.
fn lab(options: &[&str], status: &[(&str, u16)]) -> SwarmNet {
    let dir = repo().join("assets/provisioning");
    let text = std::fs::read_to_string(dir.join("lab.toml")).unwrap();
    let mut config = swarm::LabConfig::from_toml(&text).unwrap();
    for o in options {
        config.set_dhcp_arg(o).unwrap();
    }
    for (path, code) in status {
        config.http.status.insert(path.to_string(), *code);
    }
    SwarmNet::Lab { dir, config: swarm::swarm_lab_config(config) }
}

fn run(cfg: &SwarmConfig, net: &SwarmNet) -> Report {
    let roms = Roms::open(&roms_dir()).unwrap();
    let mut s = Swarm::new(cfg, &roms, net).unwrap();
    s.run(&mut |_| {}, None)
}

/// A run that also hands back every trace record, in order.
fn run_traced(cfg: &SwarmConfig, net: &SwarmNet) -> (Report, Vec<Record>) {
    let roms = Roms::open(&roms_dir()).unwrap();
    let mut cfg = cfg.clone();
    cfg.keep_trace = true;
    let mut s = Swarm::new(&cfg, &roms, net).unwrap();
    let mut records = Vec::new();
    let report = s.run(&mut |_| {}, Some(&mut |r: &Record| records.push(r.clone())));
    (report, records)
}

fn config(count: u64) -> SwarmConfig {
    let mut cfg = SwarmConfig::new(count, board::model::Model::parse("ST2030S").unwrap());
    cfg.duration_us = 120_000_000;
    cfg.ramp_per_s = Some(200.0);
    cfg.seed = 7;
    cfg
}

fn ok_spans(r: &swarm::report::PhoneReport, phase: &str) -> usize {
    r.phases.iter().filter(|s| s.phase == phase && s.ok).count()
}

/// Every phone leases an address and fetches its INF. Whether the run then
/// provisions depends on the firmware in roms/: no phone may fail, and each
/// is provisioned or still running its provisioning when the time is up.
#[test]
fn every_phone_gets_a_lease_and_its_inf_and_the_report_reads_back() {
    let r = run(&config(30), &lab(&[], &[]));
    assert_eq!(r.phones, 30);
    assert_eq!(r.failed, 0, "{}", r.summary());
    for p in &r.per_phone {
        assert!(ok_spans(p, "dhcp") >= 1 && ok_spans(p, "inf") >= 1, "{}: {:?}", p.mac, p.phases);
        assert!(matches!(p.outcome, Outcome::Provisioned | Outcome::Unfinished), "{p:?}");
    }
    assert!(r.phases["dhcp"].count >= 30, "one lease per phone at least (again after each reboot): {}", r.summary());
    assert_eq!(r.provisioned + r.unfinished, 30);
    let path = tmp("readback").join("report.json");
    r.write(&path).unwrap();
    // Wall-clock floats need not survive JSON to the last bit; the rest must.
    let back = Report::read(&path).unwrap();
    assert_eq!(back.deterministic_part(), r.deterministic_part());
    assert_eq!(back.wall.len(), r.wall.len());
    let json = std::fs::read_to_string(&path).unwrap();
    assert!(json.contains("\"phones\": 30,") && json.contains("\"failed\": 0,") && json.contains("\"provisioned\": "), "{json}");
}

/// Same seed, different worker counts: the same report but for wall-clock fields.
#[test]
fn the_same_seed_gives_the_same_report_on_any_number_of_workers() {
    let mut one = config(24);
    one.workers = 1;
    let mut two = config(24);
    two.workers = 2;
    let net = lab(&[], &[]);
    let (a, b) = (run(&one, &net), run(&two, &net));
    assert_eq!(a.deterministic_part(), b.deterministic_part());
    assert!(a.phases["dhcp"].count > 0);
}

/// Two shards merged count what one run of both ranges counts.
#[test]
fn merging_two_shards_equals_one_run_of_both() {
    let net = lab(&[], &[]);
    let whole = run(&config(20), &net);
    let shards: Vec<Report> = (0..2)
        .map(|i| {
            let mut c = config(20);
            c.shard = Shard { index: i, of: 2 };
            c.ramp_per_s = None;
            run(&c, &net)
        })
        .collect();
    assert_eq!(shards[0].per_phone.last().unwrap().index + 1, shards[1].per_phone[0].index, "disjoint, adjacent MAC ranges");
    let merged = Report::merge(shards).unwrap();
    assert_eq!((merged.phones, merged.provisioned, merged.failed, merged.unfinished), (whole.phones, whole.provisioned, whole.failed, whole.unfinished));
    assert_eq!(merged.failures, whole.failures);
    let count = |r: &Report| r.phases.iter().map(|(k, p)| (k.clone(), p.count, p.failures)).collect::<Vec<_>>();
    assert_eq!(count(&merged), count(&whole));
    assert_eq!((merged.run.mac_first.as_str(), merged.run.mac_last.as_str()), ("009096000000", "009096000013"));
}

/// An HTTP server that answers 500 to the INF: every phone shows the LCD
/// error, the report counts it, and the CLI exits non-zero.
#[test]
fn a_server_error_fails_every_phone_with_its_lcd_error_and_exit_1() {
    let dir = tmp("http500");
    let lab_file = dir.join("lab.toml");
    std::fs::write(&lab_file, "[dhcp]\noptions = { 43 = \"http://prov.lab/ST2030S.inf\" }\n[http.status]\n\"/ST2030S.inf\" = 500\n").unwrap();
    let report = dir.join("r.json");
    let out = Command::new(env!("CARGO_BIN_EXE_st20xx"))
        .args(["swarm", "--count", "10", "--for", "5m", "--quiet", "--net"])
        .arg(format!("lab={}", repo().join("assets/provisioning").display()))
        .arg("--lab")
        .arg(&lab_file)
        .arg("--roms")
        .arg(roms_dir())
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let r = Report::read(&report).unwrap();
    assert_eq!(r.failed, 10, "{}", r.summary());
    let (why, n) = r.failures.iter().next().unwrap();
    assert_eq!(*n, 10);
    assert!(aps::lcd::Message::ALL.iter().any(|m| m.is_error() && m.text() == why), "{why} is an LCD error text");
    assert!(stdout.contains(why.as_str()), "{stdout}");
    assert!(r.phases["inf"].failures == 10 && r.phases["inf"].retries > 0, "{}", r.summary());
}

#[test]
fn merge_on_the_command_line_writes_the_combined_report() {
    let dir = tmp("cli-merge");
    let shard = |i: u32| {
        let p = dir.join(format!("s{i}.json"));
        let out = Command::new(env!("CARGO_BIN_EXE_st20xx"))
            .args(["swarm", "--count", "6", "--for", "20s", "--quiet", "--max-fail", "6", "--shard", &format!("{i}/2"), "--net"])
            .arg(format!("lab={}", repo().join("assets/provisioning").display()))
            .arg("--roms")
            .arg(roms_dir())
            .arg("--report")
            .arg(&p)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        p
    };
    let (a, b) = (shard(0), shard(1));
    let merged = dir.join("m.json");
    let out = Command::new(env!("CARGO_BIN_EXE_st20xx")).args(["swarm", "merge"]).arg(&a).arg(&b).arg("-o").arg(&merged).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let m = Report::read(Path::new(&merged)).unwrap();
    assert_eq!((m.phones, m.run.shards.clone()), (6, vec!["0/2".to_string(), "1/2".to_string()]));
    let again = Command::new(env!("CARGO_BIN_EXE_st20xx")).args(["swarm", "merge"]).arg(&a).arg(&a).arg("-o").arg(dir.join("x.json")).output().unwrap();
    assert!(!again.status.success(), "the same shard twice is refused");
}

/// The lab's HTTP server goes away mid-run (300 ms in, while the phones
/// download their firmware): the phones fail by their LCD error, the run
/// does not hang until `--for`, the summary names the error and the CLI
/// exits 1. Stopped after every phone is done, nothing changes.
#[test]
fn the_http_server_stopping_mid_run_fails_phones_by_lcd_error_without_hanging() {
    let dir = tmp("httpstop");
    let report = dir.join("r.json");
    let out = Command::new(env!("CARGO_BIN_EXE_st20xx"))
        .args(["swarm", "--count", "16", "--for", "10m", "--quiet", "--http-stop-at", "300ms", "--roms"])
        .arg(roms_dir())
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let r = Report::read(&report).unwrap();
    assert_eq!((r.failed, r.unfinished), (16, 0), "{}", r.summary());
    assert!(r.run.end_us < 600_000_000, "decided before --for ran out: {}", r.summary());
    for (why, n) in &r.failures {
        assert!(aps::lcd::Message::ALL.iter().any(|m| m.is_error() && m.text() == why), "{why} is an LCD error text");
        assert!(stdout.contains(&format!("{n} × {why}")), "{stdout}");
    }
    for p in &r.per_phone {
        assert!(ok_spans(p, "inf") >= 1 && p.fetched >= 1, "the INF came before the stop: {p:?}");
    }

    let mut late = config(8);
    late.http_stop_us = Some(100_000_000);
    let r = run(&late, &lab(&[], &[]));
    assert_eq!(r.provisioned, 8, "a stop after the run changes nothing: {}", r.summary());
}

/// `--until lease`: every phone is powered off at its first lease. Nothing
/// of it is seen after that instant (no INF request reaches the lab; only
/// the power-off and its dark LCD and LEDs at the lease's instant), the run ends as soon as the last phone has its lease
/// (long before `--for`), and the report counts leased phones.
#[test]
fn until_lease_powers_each_phone_off_at_its_lease() {
    let mut cfg = config(12);
    cfg.until = Goal::Lease;
    let (r, records) = run_traced(&cfg, &lab(&[], &[]));
    assert_eq!((r.until, r.phones, r.leased, r.provisioned, r.failed, r.unfinished), (Goal::Lease, 12, 12, 0, 0, 0), "{}", r.summary());
    assert!(r.failures.is_empty() && r.provisioned_over_time.is_empty());
    assert_eq!(r.leased_over_time.len(), 12);
    assert!(!records.iter().any(|x| matches!(x.event, Event::Serve { .. })), "no file was served");
    assert!(!r.phases.contains_key("inf"), "{}", r.summary());
    assert!(r.run.end_us < 1_000_000, "ended at the last lease, not at --for: {}", r.summary());
    for p in &r.per_phone {
        assert_eq!(p.outcome, Outcome::Leased);
        let leased_at = p.decided_us.unwrap();
        let dhcp = p.phases.iter().find(|s| s.phase == "dhcp").unwrap();
        assert!(dhcp.ok && dhcp.end_us == leased_at, "{p:?}");
        assert!(p.discover_us.is_some_and(|d| d <= dhcp.start_us), "the phone's own DISCOVER starts its DHCP: {p:?}");
        let mine: Vec<&Record> = records.iter().filter(|x| x.phone == p.mac).collect();
        assert!(mine.iter().any(|x| matches!(x.event, Event::Power { state: PowerState::Off }) && x.t_us == leased_at), "{p:?}: powered off at the lease");
        let lease = mine.iter().position(|x| matches!(&x.event, Event::Log { text } if text.contains("dhcp: lease"))).unwrap();
        assert!(mine[lease..].iter().all(|x| x.t_us == leased_at), "nothing runs after the lease: {:?}", &mine[lease..]);
    }
    // The ramp of 200/s paces the DISCOVERs: 12 phones over 55 ms.
    assert!(r.dhcp_rate > 150.0 && r.dhcp_rate < 250.0, "{}", r.summary());
}

/// The same seed gives the same `--until lease` report on any number of
/// workers, and the goal changes nothing before the lease.
#[test]
fn until_lease_is_deterministic_and_leases_as_the_full_run_does() {
    let mut one = config(16);
    one.until = Goal::Lease;
    one.workers = 1;
    let mut two = one.clone();
    two.workers = 2;
    let net = lab(&[], &[]);
    let (a, b) = (run(&one, &net), run(&two, &net));
    assert_eq!(a.deterministic_part(), b.deterministic_part());
    let mut full = config(16);
    full.duration_us = 1_000_000;
    let f = run(&full, &net);
    for (l, p) in a.per_phone.iter().zip(&f.per_phone) {
        let first = |r: &swarm::report::PhoneReport| r.phases.iter().find(|s| s.phase == "dhcp").cloned();
        assert_eq!((first(l), l.discover_us), (first(p), p.discover_us), "{}", l.mac);
    }
}

/// On the command line: `--until lease` exits 0 with every phone leased;
/// a `--for` shorter than the boot leaves every phone unfinished (no
/// lease) and exits 1, or 0 within `--max-fail`; a bad goal is refused.
#[test]
fn until_lease_on_the_command_line_sets_the_exit_code() {
    let dir = tmp("cli-until");
    let swarm = |name: &str, extra: &[&str]| {
        let report = dir.join(format!("{name}.json"));
        let out = Command::new(env!("CARGO_BIN_EXE_st20xx"))
            .args(["swarm", "--count", "6", "--quiet", "--roms"])
            .arg(roms_dir())
            .arg("--report")
            .arg(&report)
            .args(extra)
            .output()
            .unwrap();
        (out, report)
    };
    let (out, report) = swarm("ok", &["--until", "lease"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("until lease: 6 leased, 0 failed, 0 unfinished"), "{stdout}");
    let r = Report::read(&report).unwrap();
    assert_eq!((r.until, r.leased), (Goal::Lease, 6));
    let json = std::fs::read_to_string(&report).unwrap();
    assert!(json.contains("\"until\": \"lease\"") && json.contains("\"leased\": 6"), "{json}");

    let (out, report) = swarm("short", &["--until", "lease", "--for", "40ms"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    let r = Report::read(&report).unwrap();
    assert_eq!((r.leased, r.failed, r.unfinished, r.failures.get("unfinished").copied()), (0, 0, 6, Some(6)), "{}", r.summary());
    let (out, _) = swarm("tolerated", &["--until", "lease", "--for", "40ms", "--max-fail", "6"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));

    let (out, _) = swarm("bad", &["--until", "inf"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("`inf` is not a goal"), "{stderr}");
}

/// Virtual time without a trace runs each cell on its own timeline, in
/// parallel; with a trace all cells share one. Cells never exchange
/// frames, so both give the same report, and on any number of workers.
#[test]
fn cells_on_their_own_timelines_give_the_report_of_one_shared_timeline() {
    let mut cfg = config(40);
    cfg.phones_per_lab = Some(5);
    cfg.workers = 2;
    let net = lab(&[], &[]);
    let (together, records) = run_traced(&cfg, &net);
    let apart = run(&cfg, &net);
    assert_eq!(apart.run.cells, 8);
    assert!(!records.is_empty());
    assert_eq!(apart.deterministic_part(), together.deterministic_part());
    cfg.workers = 1;
    assert_eq!(run(&cfg, &net).deterministic_part(), apart.deterministic_part());
}
