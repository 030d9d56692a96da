//! The swarm report: one record per phone, and the aggregate computed from
//! those records alone, so a merge of shard reports is exact (percentiles
//! included).
//!
//! JSON schema (`"schema": "st20xx-swarm/1"`), top level:
//! - `until`: each phone's goal, `provisioned` (`Auto provisioning done`, the
//!   default) or `lease` (its first `dhcp: lease …` line; the phone is then
//!   powered off). Absent in older reports: `provisioned`.
//! - `phones`, `provisioned`, `leased`, `failed`, `unfinished`: counts, each
//!   phone in exactly one. `provisioned` phones reached the goal
//!   `provisioned`; `leased` ones the goal `lease` (0 under `provisioned`,
//!   and `provisioned` is 0 under `lease`). `failed` is a phone that showed
//!   an L2 error on its LCD (or crashed) before its goal; `unfinished` one
//!   that had neither reached its goal nor failed when the run stopped
//!   (under `lease`: no lease by `--for`).
//! - `failures`: LCD error text (or `crash: …`, or `unfinished`) → phones.
//! - `phases`: phase name (`dhcp`, `inf`, `file:<Title>`, `fw_write`,
//!   `reboot`, `run`) → `{count, failures, retries, p50_us, p90_us, p99_us,
//!   max_us, mean_us}`; `count` completed spans (a phone that went through a
//!   phase twice, e.g. DHCP again after a reboot, counts twice), latencies
//!   over completed spans only, `failures` spans that failed or were left
//!   open, `retries` the phones' retries of that phase.
//! - `dhcp_rate`: leases per second of emulated time over the swarm's DHCP
//!   phase, as `tests/swarmnet/dhcpwire.py` counts it on the wire: phones
//!   that sent a DISCOVER and got a lease, over the time from the first
//!   DISCOVER any phone sent to the latest of their first leases (0 when
//!   that time is 0). DISCOVERs are the phones' own frames (lab or TAP);
//!   a report without `discover_us` uses the first `dhcp` span's start.
//!   With the built-in lab the servers answer in no emulated time, so this
//!   measures how fast the phones ask (ramp, boot, retries, link latency),
//!   not a server; against a real server (TAP) it is that server's rate,
//!   on the phones' clock: when the host cannot keep up, the real clock
//!   falls behind the host's (`run.end_us` below `wall.elapsed_s`), the
//!   phones' retry timers fire early in host time, and a capture on the
//!   wire is the truer measure (500 phones at once: 48/s here, 174/s on
//!   the wire).
//! - `provisioned_over_time`, `leased_over_time`: `[[t_us, phones so far],
//!   …]`, one point per provisioned (leased) phone, in time order.
//! - `run`: what was run (count, shards, mix, MAC range, ramp, duration,
//!   clock, seed, net, latency, cells, `end_us` the emulated stop time;
//!   `link_up_us`/`link_ramp_per_s` only when the cables went in late).
//! - `per_phone`: `[{index, mac, model, outcome, error, power_on_us,
//!   decided_us, discover_us, retries, requests, bytes, fetched, phases:
//!   [{phase, start_us, end_us, ok}]}]`, by index; `outcome` is
//!   `provisioned`, `leased`, `failed` or `unfinished`, `discover_us` the
//!   first DHCP DISCOVER the phone sent.
//! - `wall`: one entry per process (shard): elapsed and build seconds,
//!   workers, resident memory at start / peak / per phone, provisioned
//!   (and leased) phones per wall second, TAP errors. The only part that differs between
//!   two runs of the same seed.
//!
//! Guarantees: `Report::build` is a pure function of its inputs; `merge`
//! refuses reports that share a phone or differ in their goal.

use crate::SwarmError;
use crate::config::Goal;
use crate::phase::{Outcome, Span};
use crate::phone::Phone;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

pub const SCHEMA: &str = "st20xx-swarm/1";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhoneReport {
    pub index: u64,
    pub mac: String,
    pub model: String,
    pub outcome: Outcome,
    pub error: Option<String>,
    pub power_on_us: u64,
    pub decided_us: Option<u64>,
    /// When the phone sent its first DHCP DISCOVER.
    #[serde(default)]
    pub discover_us: Option<u64>,
    pub retries: BTreeMap<String, u32>,
    pub requests: u32,
    pub bytes: u64,
    /// Whole files the phone reported fetching (its side of `requests`).
    #[serde(default)]
    pub fetched: u32,
    pub phases: Vec<Span>,
}

impl PhoneReport {
    pub(crate) fn from_phone(p: &Phone) -> PhoneReport {
        let t = &p.tracker;
        let (outcome, decided_us) = match t.outcome() {
            Some((o, at)) => (o, Some(at)),
            None => (Outcome::Unfinished, None),
        };
        PhoneReport {
            index: p.spec.index,
            mac: trace::phone_id(p.spec.mac),
            model: p.spec.model.to_string(),
            outcome,
            error: t.error.clone(),
            power_on_us: p.spec.power_on_us,
            decided_us,
            discover_us: t.first_discover,
            retries: t.retries.clone(),
            requests: t.requests,
            bytes: t.bytes,
            fetched: t.fetched,
            phases: t.spans.clone(),
        }
    }

    /// The failure key of this phone, if it did not reach its goal.
    fn failure(&self) -> Option<String> {
        match self.outcome {
            Outcome::Provisioned | Outcome::Leased => None,
            Outcome::Failed => Some(self.error.clone().unwrap_or_else(|| "failed".into())),
            Outcome::Unfinished => Some("unfinished".into()),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PhaseStats {
    pub count: u64,
    pub failures: u64,
    pub retries: u64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
    pub mean_us: u64,
}

/// First leases per second, from the first DISCOVER to the last first
/// lease (a rebooted phone's second lease is not part of the swarm's DHCP
/// phase); 0 when no time passed.
fn dhcp_rate(per_phone: &[PhoneReport]) -> f64 {
    let first_span = |p: &PhoneReport| p.phases.iter().find(|s| s.phase == "dhcp").map(|s| s.start_us);
    let discover = |p: &PhoneReport| p.discover_us.or_else(|| first_span(p));
    let lease = |p: &PhoneReport| p.phases.iter().find(|s| s.phase == "dhcp" && s.ok).map(|s| s.end_us);
    let Some(from) = per_phone.iter().filter_map(discover).min() else { return 0.0 };
    let leases: Vec<u64> = per_phone.iter().filter(|p| discover(p).is_some()).filter_map(lease).collect();
    match leases.iter().max() {
        Some(&to) if to > from => leases.len() as f64 / ((to - from) as f64 / 1e6),
        _ => 0.0,
    }
}

/// `[[t_us, phones so far], …]` of the phones decided `outcome`.
fn over_time(per_phone: &[PhoneReport], outcome: Outcome) -> Vec<(u64, u64)> {
    let mut done: Vec<u64> = per_phone.iter().filter(|p| p.outcome == outcome).filter_map(|p| p.decided_us).collect();
    done.sort_unstable();
    done.into_iter().enumerate().map(|(i, t)| (t, i as u64 + 1)).collect()
}

/// Nearest-rank percentile of sorted values (`q` in 0..=100).
fn percentile(sorted: &[u64], q: u64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (q * sorted.len() as u64).div_ceil(100).max(1) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

impl PhaseStats {
    fn of(mut durations: Vec<u64>, failures: u64, retries: u64) -> PhaseStats {
        durations.sort_unstable();
        let n = durations.len() as u64;
        let sum: u128 = durations.iter().map(|&d| u128::from(d)).sum();
        PhaseStats {
            count: n,
            failures,
            retries,
            p50_us: percentile(&durations, 50),
            p90_us: percentile(&durations, 90),
            p99_us: percentile(&durations, 99),
            max_us: durations.last().copied().unwrap_or(0),
            mean_us: if n == 0 { 0 } else { (sum / u128::from(n)) as u64 },
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    pub count: u64,
    pub shards: Vec<String>,
    pub mix: String,
    pub mac_first: String,
    pub mac_last: String,
    pub ramp_per_s: Option<f64>,
    /// Cables plugged in from this emulated µs on (absent: from the start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_up_us: Option<u64>,
    /// Cables plugged in per second from `link_up_us` (absent: all at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_ramp_per_s: Option<f64>,
    pub duration_us: u64,
    pub clock: String,
    pub seed: u64,
    pub net: String,
    pub latency_us: u64,
    pub cells: usize,
    pub end_us: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Wall {
    pub elapsed_s: f64,
    pub build_s: f64,
    pub workers: usize,
    pub rss_start_bytes: Option<u64>,
    pub rss_peak_bytes: Option<u64>,
    pub rss_per_phone_bytes: Option<u64>,
    /// PSS at the start and its peak (sampled about once a second and at the end).
    #[serde(default)]
    pub pss_start_bytes: Option<u64>,
    #[serde(default)]
    pub pss_peak_bytes: Option<u64>,
    #[serde(default)]
    pub pss_per_phone_bytes: Option<u64>,
    pub provisioned_per_s: f64,
    /// Phones that reached the goal `lease`, per wall second.
    #[serde(default)]
    pub leased_per_s: f64,
    /// Real clock only: how far behind the host clock each lookahead window
    /// started, µs (p99 and max over the run's windows). Small lags mean the
    /// phones kept real time and every delay was the network's or the
    /// server's; large ones mean the host was too slow for the load.
    #[serde(default)]
    pub lag_p99_us: Option<u64>,
    #[serde(default)]
    pub lag_max_us: Option<u64>,
    /// Real clock only: (emulated µs, the largest lag of the windows that
    /// started in the 100 ms from there), for every 100 ms with a window.
    #[serde(default)]
    pub lag_over_time: Vec<(u64, u64)>,
    pub tap_errors: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    #[serde(default)]
    pub until: Goal,
    pub phones: u64,
    pub provisioned: u64,
    #[serde(default)]
    pub leased: u64,
    pub failed: u64,
    pub unfinished: u64,
    pub failures: BTreeMap<String, u64>,
    pub phases: BTreeMap<String, PhaseStats>,
    #[serde(default)]
    pub dhcp_rate: f64,
    pub provisioned_over_time: Vec<(u64, u64)>,
    #[serde(default)]
    pub leased_over_time: Vec<(u64, u64)>,
    pub run: RunInfo,
    pub per_phone: Vec<PhoneReport>,
    pub wall: Vec<Wall>,
}

impl Report {
    /// The report of `per_phone` (sorted here by index), whose goal was `until`.
    pub fn build(run: RunInfo, until: Goal, mut per_phone: Vec<PhoneReport>, wall: Vec<Wall>) -> Report {
        per_phone.sort_by_key(|p| p.index);
        let count = |o: Outcome| per_phone.iter().filter(|p| p.outcome == o).count() as u64;
        let mut failures: BTreeMap<String, u64> = BTreeMap::new();
        for f in per_phone.iter().filter_map(PhoneReport::failure) {
            *failures.entry(f).or_default() += 1;
        }
        let mut spans: BTreeMap<String, (Vec<u64>, u64, u64)> = BTreeMap::new();
        for p in &per_phone {
            for s in &p.phases {
                let e = spans.entry(s.phase.clone()).or_default();
                if s.ok {
                    e.0.push(s.end_us - s.start_us);
                } else {
                    e.1 += 1;
                }
            }
            for (phase, n) in &p.retries {
                spans.entry(phase.clone()).or_default().2 += u64::from(*n);
            }
        }
        let phases = spans.into_iter().map(|(k, (d, f, r))| (k, PhaseStats::of(d, f, r))).collect();
        Report {
            schema: SCHEMA.into(),
            until,
            phones: per_phone.len() as u64,
            provisioned: count(Outcome::Provisioned),
            leased: count(Outcome::Leased),
            failed: count(Outcome::Failed),
            unfinished: count(Outcome::Unfinished),
            failures,
            phases,
            dhcp_rate: dhcp_rate(&per_phone),
            provisioned_over_time: over_time(&per_phone, Outcome::Provisioned),
            leased_over_time: over_time(&per_phone, Outcome::Leased),
            run,
            per_phone,
            wall,
        }
    }

    /// Combines shard reports of one swarm: phones are pooled (none may be
    /// in two reports), the aggregate recomputed, walls kept side by side.
    pub fn merge(reports: Vec<Report>) -> Result<Report, SwarmError> {
        let mut it = reports.into_iter();
        let Some(first) = it.next() else { return Err(SwarmError::Mismatch("no reports given".into())) };
        let mut run = first.run.clone();
        let mut phones = first.per_phone;
        let mut wall = first.wall;
        for r in it {
            if r.run.count != run.count || r.run.seed != run.seed || r.run.mix != run.mix {
                return Err(SwarmError::Mismatch(format!("the reports are of different swarms (count/seed/mix {}/{}/{} vs {}/{}/{})", run.count, run.seed, run.mix, r.run.count, r.run.seed, r.run.mix)));
            }
            if r.until != first.until {
                return Err(SwarmError::Mismatch(format!("the reports have different goals (--until {} vs {})", first.until, r.until)));
            }
            run.shards.extend(r.run.shards);
            run.cells += r.run.cells;
            run.end_us = run.end_us.max(r.run.end_us);
            phones.extend(r.per_phone);
            wall.extend(r.wall);
        }
        phones.sort_by_key(|p| p.index);
        if let Some(w) = phones.windows(2).find(|w| w[0].index == w[1].index) {
            return Err(SwarmError::Overlap { mac: w[0].mac.clone(), index: w[0].index });
        }
        run.shards.sort();
        run.mac_first = phones.first().map(|p| p.mac.clone()).unwrap_or_default();
        run.mac_last = phones.last().map(|p| p.mac.clone()).unwrap_or_default();
        Ok(Report::build(run, first.until, phones, wall))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serialises")
    }

    pub fn from_json(text: &str) -> Result<Report, serde_json::Error> {
        serde_json::from_str(text)
    }

    pub fn write(&self, path: &Path) -> Result<(), SwarmError> {
        std::fs::write(path, self.to_json()).map_err(|source| SwarmError::Io { path: path.to_path_buf(), source })
    }

    pub fn read(path: &Path) -> Result<Report, SwarmError> {
        let text = std::fs::read_to_string(path).map_err(|source| SwarmError::Io { path: path.to_path_buf(), source })?;
        Report::from_json(&text).map_err(|source| SwarmError::BadReport { path: path.to_path_buf(), source })
    }

    /// The report without its wall-clock part: equal for equal seeds.
    pub fn deterministic_part(&self) -> Report {
        Report { wall: Vec::new(), ..self.clone() }
    }

    /// A human summary for the terminal.
    pub fn summary(&self) -> String {
        let ms = |us: u64| format!("{:.1}", us as f64 / 1000.0);
        let reached = match self.until {
            Goal::Provisioned => format!("{} provisioned", self.provisioned),
            Goal::Lease => format!("until lease: {} leased", self.leased),
        };
        let mut s = format!(
            "{} phones ({}, {} clock, {}): {reached}, {} failed, {} unfinished; emulated {:.1} s\n",
            self.phones,
            self.run.mix,
            self.run.clock,
            self.run.net,
            self.failed,
            self.unfinished,
            self.run.end_us as f64 / 1e6
        );
        for (why, n) in &self.failures {
            s.push_str(&format!("  {n:>6} × {why}\n"));
        }
        if self.dhcp_rate > 0.0 {
            let whose = if self.run.net.starts_with("lab") { "; the built-in lab has no server cost: this is the phones' pace" } else { "" };
            s.push_str(&format!("  DHCP phase: {:.1} leases/s (first DISCOVER to last first lease, emulated time{whose})\n", self.dhcp_rate));
        }
        s.push_str(&format!("  {:<22} {:>7} {:>6} {:>7} {:>10} {:>10} {:>10} {:>10}\n", "phase (ms)", "count", "fail", "retries", "p50", "p90", "p99", "max"));
        for (name, p) in &self.phases {
            s.push_str(&format!("  {:<22} {:>7} {:>6} {:>7} {:>10} {:>10} {:>10} {:>10}\n", name, p.count, p.failures, p.retries, ms(p.p50_us), ms(p.p90_us), ms(p.p99_us), ms(p.max_us)));
        }
        for w in &self.wall {
            let mib = |b: Option<u64>| b.map_or("?".into(), |b| format!("{:.1}", b as f64 / (1 << 20) as f64));
            s.push_str(&format!(
                "  wall {:.2} s (build {:.2} s, {} workers), RSS {} → {} MiB, {} MiB per phone, PSS {} → {} MiB, {} MiB per phone, {:.1} {}/s\n",
                w.elapsed_s,
                w.build_s,
                w.workers,
                mib(w.rss_start_bytes),
                mib(w.rss_peak_bytes),
                w.rss_per_phone_bytes.map_or("?".into(), |b| format!("{:.2}", b as f64 / (1 << 20) as f64)),
                mib(w.pss_start_bytes),
                mib(w.pss_peak_bytes),
                w.pss_per_phone_bytes.map_or("?".into(), |b| format!("{:.2}", b as f64 / (1 << 20) as f64)),
                if self.until == Goal::Lease { w.leased_per_s } else { w.provisioned_per_s },
                if self.until == Goal::Lease { "leased" } else { "provisioned" }
            ));
            if let (Some(p99), Some(max)) = (w.lag_p99_us, w.lag_max_us) {
                s.push_str(&format!("  behind real time: p99 {} ms, max {} ms\n", ms(p99), ms(max)));
            }
            for e in &w.tap_errors {
                s.push_str(&format!("  TAP error: {e}\n"));
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone(index: u64, outcome: Outcome, error: Option<&str>, dhcp_us: u64) -> PhoneReport {
        PhoneReport {
            index,
            mac: format!("0090960000{index:02X}"),
            model: "ST2030S".into(),
            outcome,
            error: error.map(Into::into),
            power_on_us: 0,
            decided_us: Some(1000 + index),
            discover_us: None,
            retries: BTreeMap::from([("dhcp".to_string(), 1)]),
            requests: 1,
            bytes: 738,
            fetched: 1,
            phases: vec![Span { phase: "dhcp".into(), start_us: 10, end_us: 10 + dhcp_us, ok: true }, Span { phase: "inf".into(), start_us: 0, end_us: 5, ok: outcome == Outcome::Provisioned }],
        }
    }

    fn run() -> RunInfo {
        RunInfo { count: 4, shards: vec!["0/1".into()], mix: "ST2030S=1".into(), mac_first: String::new(), mac_last: String::new(), ramp_per_s: None, link_up_us: None, link_ramp_per_s: None, duration_us: 1, clock: "virtual".into(), seed: 0, net: "lab".into(), latency_us: 50, cells: 1, end_us: 9 }
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!((percentile(&v, 50), percentile(&v, 90), percentile(&v, 99), percentile(&v, 100)), (50, 90, 99, 100));
        assert_eq!(percentile(&[7], 50), 7);
        assert_eq!(percentile(&[], 50), 0);
        assert_eq!(percentile(&[1, 2], 1), 1);
    }

    #[test]
    fn aggregate_counts_outcomes_failures_and_phases() {
        let r = Report::build(
            run(),
            Goal::Provisioned,
            vec![phone(2, Outcome::Failed, Some("Gen File Not Found"), 300), phone(0, Outcome::Provisioned, None, 100), phone(1, Outcome::Unfinished, None, 200)],
            vec![],
        );
        assert_eq!((r.phones, r.provisioned, r.failed, r.unfinished), (3, 1, 1, 1));
        assert_eq!(r.failures, BTreeMap::from([("Gen File Not Found".into(), 1), ("unfinished".into(), 1)]));
        let d = &r.phases["dhcp"];
        assert_eq!((d.count, d.failures, d.retries, d.p50_us, d.max_us, d.mean_us), (3, 0, 3, 200, 300, 200));
        assert_eq!((r.phases["inf"].count, r.phases["inf"].failures), (1, 2));
        assert_eq!(r.provisioned_over_time, vec![(1000, 1)]);
        // First dhcp spans 10..110, 10..210, 10..310: 3 leases in 300 µs.
        assert!((r.dhcp_rate - 10_000.0).abs() < 1e-6, "{}", r.dhcp_rate);
        assert_eq!(r.per_phone.iter().map(|p| p.index).collect::<Vec<_>>(), [0, 1, 2]);
        let back = Report::from_json(&r.to_json()).unwrap();
        assert_eq!(back, r);
        assert!(r.summary().contains("3 phones"), "{}", r.summary());
    }

    /// Under `--until lease`: leased phones reached the goal (no failure
    /// key), counts partition the phones, and the rate runs from the first
    /// DISCOVER the phones sent to the last first lease.
    #[test]
    fn the_lease_goal_counts_leased_phones_and_the_rate_from_the_first_discover() {
        let mut a = phone(0, Outcome::Leased, None, 100);
        a.discover_us = Some(5);
        let mut b = phone(1, Outcome::Leased, None, 395);
        b.discover_us = Some(8);
        let mut c = phone(2, Outcome::Unfinished, None, 0);
        c.phases = vec![Span { phase: "dhcp".into(), start_us: 10, end_us: 900, ok: false }];
        c.discover_us = Some(7);
        let r = Report::build(run(), Goal::Lease, vec![a, b, c], vec![]);
        assert_eq!((r.until, r.phones, r.provisioned, r.leased, r.failed, r.unfinished), (Goal::Lease, 3, 0, 2, 0, 1));
        assert_eq!(r.failures, BTreeMap::from([("unfinished".into(), 1)]));
        assert_eq!(r.leased_over_time, vec![(1000, 1), (1001, 2)]);
        assert!(r.provisioned_over_time.is_empty());
        // DISCOVER at 5 µs, last first lease at 10 + 395: 2 leases in 400 µs.
        assert!((r.dhcp_rate - 5_000.0).abs() < 1e-6, "{}", r.dhcp_rate);
        let sum = r.summary();
        assert!(sum.contains("until lease: 2 leased, 0 failed, 1 unfinished"), "{sum}");
        let json = r.to_json();
        assert!(json.contains("\"until\": \"lease\"") && json.contains("\"leased\": 2") && json.contains("\"outcome\": \"leased\""), "{json}");
        assert_eq!(Report::from_json(&json).unwrap(), r);
    }

    /// Phones that all lease at the instant of the first DISCOVER give no
    /// time to divide by: the rate is 0, not a huge number.
    #[test]
    fn no_time_between_discover_and_lease_is_no_rate() {
        let mut p = phone(0, Outcome::Leased, None, 0);
        p.discover_us = Some(10);
        assert_eq!(Report::build(run(), Goal::Lease, vec![p], vec![]).dhcp_rate, 0.0);
        assert_eq!(Report::build(run(), Goal::Lease, vec![], vec![]).dhcp_rate, 0.0);
    }

    /// A report written before `until`, `leased`, `discover_us` and
    /// `leased_over_time` existed reads as a `provisioned` run.
    #[test]
    fn an_older_report_reads_as_provisioned() {
        let r = Report::build(run(), Goal::Provisioned, vec![phone(0, Outcome::Provisioned, None, 100)], vec![]);
        let mut v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        for k in ["until", "leased", "leased_over_time"] {
            v.as_object_mut().unwrap().remove(k);
        }
        v["per_phone"][0].as_object_mut().unwrap().remove("discover_us");
        let back: Report = serde_json::from_value(v).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn merge_pools_phones_and_refuses_overlaps() {
        let a = Report::build(run(), Goal::Provisioned, vec![phone(0, Outcome::Provisioned, None, 100), phone(1, Outcome::Provisioned, None, 300)], vec![]);
        let mut rb = run();
        rb.shards = vec!["1/2".into()];
        let b = Report::build(rb, Goal::Provisioned, vec![phone(2, Outcome::Failed, Some("Server Unreachable"), 200)], vec![]);
        let m = Report::merge(vec![a.clone(), b.clone()]).unwrap();
        let whole = Report::build(run(), Goal::Provisioned, vec![phone(0, Outcome::Provisioned, None, 100), phone(1, Outcome::Provisioned, None, 300), phone(2, Outcome::Failed, Some("Server Unreachable"), 200)], vec![]);
        assert_eq!((m.phones, m.provisioned, m.failed), (3, 2, 1));
        assert_eq!(m.phases, whole.phases);
        assert_eq!(m.run.shards, ["0/1", "1/2"]);
        assert!(matches!(Report::merge(vec![a.clone(), a.clone()]), Err(SwarmError::Overlap { index: 0, .. })));
        let mut other = b;
        other.run.seed = 9;
        assert!(matches!(Report::merge(vec![a.clone(), other]), Err(SwarmError::Mismatch(_))));
        assert!(Report::merge(vec![]).is_err());
        let lease = Report::build(run(), Goal::Lease, vec![phone(3, Outcome::Leased, None, 100)], vec![]);
        let e = Report::merge(vec![a, lease]).unwrap_err().to_string();
        assert!(e.contains("different goals"), "{e}");
    }
}
