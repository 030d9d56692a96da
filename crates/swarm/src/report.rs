//! The swarm report: one record per phone, and the aggregate computed from
//! those records alone, so a merge of shard reports is exact (percentiles
//! included).
//!
//! JSON schema (`"schema": "st20xx-swarm/1"`), top level:
//! - `phones`, `provisioned`, `failed`, `unfinished`: counts. `failed` is a
//!   phone that showed an L2 error on its LCD (or crashed); `unfinished` one
//!   that had neither provisioned nor failed when the run stopped.
//! - `failures`: LCD error text (or `crash: …`, or `unfinished`) → phones.
//! - `phases`: phase name (`dhcp`, `inf`, `file:<Title>`, `fw_write`,
//!   `reboot`, `run`) → `{count, failures, retries, p50_us, p90_us, p99_us,
//!   max_us, mean_us}`; `count` completed spans (a phone that went through a
//!   phase twice, e.g. DHCP again after a reboot, counts twice), latencies
//!   over completed spans only, `failures` spans that failed or were left
//!   open, `retries` the phones' retries of that phase.
//! - `dhcp_rate`: leases per second over the swarm's DHCP phase: phones
//!   whose first `dhcp` span completed, over the time from the earliest
//!   first-span start to the latest first-span end (0 with none). On a TAP
//!   a span starts at the phone's boot, not at its DISCOVER.
//! - `provisioned_over_time`: `[[t_us, provisioned so far], …]`, one point
//!   per provisioned phone, in time order.
//! - `run`: what was run (count, shards, mix, MAC range, ramp, duration,
//!   clock, seed, net, latency, cells, `end_us` the emulated stop time).
//! - `per_phone`: `[{index, mac, model, outcome, error, power_on_us,
//!   decided_us, retries, requests, bytes, fetched, phases: [{phase, start_us,
//!   end_us, ok}]}]`, by index.
//! - `wall`: one entry per process (shard): elapsed and build seconds,
//!   workers, resident memory at start / peak / per phone, provisioned
//!   phones per wall second, TAP errors. The only part that differs between
//!   two runs of the same seed.
//!
//! Guarantees: `Report::build` is a pure function of its inputs; `merge`
//! refuses reports that share a phone.

use crate::SwarmError;
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
            retries: t.retries.clone(),
            requests: t.requests,
            bytes: t.bytes,
            fetched: t.fetched,
            phases: t.spans.clone(),
        }
    }

    /// The failure key of this phone, if it did not provision.
    fn failure(&self) -> Option<String> {
        match self.outcome {
            Outcome::Provisioned => None,
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

/// Completed first DHCP spans per second, from the earliest first-span
/// start to the latest first-span end (a rebooted phone's second lease is
/// not part of the swarm's DHCP phase).
fn dhcp_rate(per_phone: &[PhoneReport]) -> f64 {
    let firsts: Vec<&Span> = per_phone.iter().filter_map(|p| p.phases.iter().find(|s| s.phase == "dhcp")).filter(|s| s.ok).collect();
    let (Some(from), Some(to)) = (firsts.iter().map(|s| s.start_us).min(), firsts.iter().map(|s| s.end_us).max()) else { return 0.0 };
    firsts.len() as f64 / ((to - from) as f64 / 1e6).max(1e-6)
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
    pub tap_errors: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    pub phones: u64,
    pub provisioned: u64,
    pub failed: u64,
    pub unfinished: u64,
    pub failures: BTreeMap<String, u64>,
    pub phases: BTreeMap<String, PhaseStats>,
    #[serde(default)]
    pub dhcp_rate: f64,
    pub provisioned_over_time: Vec<(u64, u64)>,
    pub run: RunInfo,
    pub per_phone: Vec<PhoneReport>,
    pub wall: Vec<Wall>,
}

impl Report {
    /// The report of `per_phone` (sorted here by index).
    pub fn build(run: RunInfo, mut per_phone: Vec<PhoneReport>, wall: Vec<Wall>) -> Report {
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
        let dhcp_rate = dhcp_rate(&per_phone);
        let mut done: Vec<u64> = per_phone.iter().filter(|p| p.outcome == Outcome::Provisioned).filter_map(|p| p.decided_us).collect();
        done.sort_unstable();
        let provisioned_over_time = done.into_iter().enumerate().map(|(i, t)| (t, i as u64 + 1)).collect();
        Report {
            schema: SCHEMA.into(),
            phones: per_phone.len() as u64,
            provisioned: count(Outcome::Provisioned),
            failed: count(Outcome::Failed),
            unfinished: count(Outcome::Unfinished),
            failures,
            phases,
            dhcp_rate,
            provisioned_over_time,
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
        Ok(Report::build(run, phones, wall))
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
        let mut s = format!(
            "{} phones ({}, {} clock, {}): {} provisioned, {} failed, {} unfinished; emulated {:.1} s\n",
            self.phones,
            self.run.mix,
            self.run.clock,
            self.run.net,
            self.provisioned,
            self.failed,
            self.unfinished,
            self.run.end_us as f64 / 1e6
        );
        for (why, n) in &self.failures {
            s.push_str(&format!("  {n:>6} × {why}\n"));
        }
        if self.dhcp_rate > 0.0 {
            s.push_str(&format!("  DHCP phase: {:.1} leases/s\n", self.dhcp_rate));
        }
        s.push_str(&format!("  {:<22} {:>7} {:>6} {:>7} {:>10} {:>10} {:>10} {:>10}\n", "phase (ms)", "count", "fail", "retries", "p50", "p90", "p99", "max"));
        for (name, p) in &self.phases {
            s.push_str(&format!("  {:<22} {:>7} {:>6} {:>7} {:>10} {:>10} {:>10} {:>10}\n", name, p.count, p.failures, p.retries, ms(p.p50_us), ms(p.p90_us), ms(p.p99_us), ms(p.max_us)));
        }
        for w in &self.wall {
            let mib = |b: Option<u64>| b.map_or("?".into(), |b| format!("{:.1}", b as f64 / (1 << 20) as f64));
            s.push_str(&format!(
                "  wall {:.2} s (build {:.2} s, {} workers), RSS {} → {} MiB, {} MiB per phone, PSS {} → {} MiB, {} MiB per phone, {:.1} provisioned/s\n",
                w.elapsed_s,
                w.build_s,
                w.workers,
                mib(w.rss_start_bytes),
                mib(w.rss_peak_bytes),
                w.rss_per_phone_bytes.map_or("?".into(), |b| format!("{:.2}", b as f64 / (1 << 20) as f64)),
                mib(w.pss_start_bytes),
                mib(w.pss_peak_bytes),
                w.pss_per_phone_bytes.map_or("?".into(), |b| format!("{:.2}", b as f64 / (1 << 20) as f64)),
                w.provisioned_per_s
            ));
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
            retries: BTreeMap::from([("dhcp".to_string(), 1)]),
            requests: 1,
            bytes: 738,
            fetched: 1,
            phases: vec![Span { phase: "dhcp".into(), start_us: 10, end_us: 10 + dhcp_us, ok: true }, Span { phase: "inf".into(), start_us: 0, end_us: 5, ok: outcome == Outcome::Provisioned }],
        }
    }

    fn run() -> RunInfo {
        RunInfo { count: 4, shards: vec!["0/1".into()], mix: "ST2030S=1".into(), mac_first: String::new(), mac_last: String::new(), ramp_per_s: None, duration_us: 1, clock: "virtual".into(), seed: 0, net: "lab".into(), latency_us: 50, cells: 1, end_us: 9 }
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

    #[test]
    fn merge_pools_phones_and_refuses_overlaps() {
        let a = Report::build(run(), vec![phone(0, Outcome::Provisioned, None, 100), phone(1, Outcome::Provisioned, None, 300)], vec![]);
        let mut rb = run();
        rb.shards = vec!["1/2".into()];
        let b = Report::build(rb, vec![phone(2, Outcome::Failed, Some("Server Unreachable"), 200)], vec![]);
        let m = Report::merge(vec![a.clone(), b.clone()]).unwrap();
        let whole = Report::build(run(), vec![phone(0, Outcome::Provisioned, None, 100), phone(1, Outcome::Provisioned, None, 300), phone(2, Outcome::Failed, Some("Server Unreachable"), 200)], vec![]);
        assert_eq!((m.phones, m.provisioned, m.failed), (3, 2, 1));
        assert_eq!(m.phases, whole.phases);
        assert_eq!(m.run.shards, ["0/1", "1/2"]);
        assert!(matches!(Report::merge(vec![a.clone(), a.clone()]), Err(SwarmError::Overlap { index: 0, .. })));
        let mut other = b;
        other.run.seed = 9;
        assert!(matches!(Report::merge(vec![a, other]), Err(SwarmError::Mismatch(_))));
        assert!(Report::merge(vec![]).is_err());
    }
}
