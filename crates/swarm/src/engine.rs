//! The swarm's scheduler: many phones, a few cells, one clock.
//!
//! Conservative lookahead: every frame a cell hands a phone arrives one link
//! latency `L` after it left the far end, and phones only meet the far end
//! through frames. So once the earliest pending instant `t` is known, every
//! phone due in the window `[t, t + L)` can run up to `t + L` on its own,
//! in parallel on the worker threads, without missing anything. Then, on
//! this thread, the frames they sent enter their cells in (time, phone
//! index) order, the far ends answer, and the answers are queued for the
//! phones at `time + L`. A heap (ordered set) of each phone's next instant
//! picks the window; a phone that sleeps is not looked at.
//!
//! Virtual clock: windows follow each other at once (time jumps), and
//! without a trace each cell has a timeline of its own ([`crate::part`]):
//! cells never exchange frames, so the cells run in parallel on the
//! workers, each window by window, and the run ends when the last cell
//! does. With a trace (records in time order) all cells share one timeline.
//! Real clock: each window waits for the host clock to reach `t`; a window
//! that starts behind the host clock reaches up to the host's now (at most
//! 2 ms ahead), so a swarm that fell behind catches up in wider parallel
//! windows.
//!
//! Guarantees: with the virtual clock and the built-in lab the result does
//! not depend on the number of workers, on thread timing or on whether the
//! cells shared a timeline: the same config and seed give the same phases,
//! outcomes and trace order. Only the `wall`
//! part of the report (elapsed time, memory) differs between runs.

use crate::cell::Cell;
use crate::config::{PhoneSpec, SwarmConfig};
use crate::phase::Stage;
use crate::part::{Part, Stepping, lock};
use crate::phone::Phone;
use crate::report::{PhoneReport, Report, RunInfo, Wall};
use crate::{SwarmError, mem};
use lan::LabConfig;
use machine::{Clock, ClockMode, FlashTemplate, Machine, MachineConfig, MachineOptions};
use rayon::prelude::*;
use rom::Roms;
use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use trace::Record;

/// Where the swarm's cables go.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // built once per run
pub enum SwarmNet {
    /// The built-in lab serving `dir`, one lab per cell.
    Lab { dir: PathBuf, config: LabConfig },
    /// A real network through the TAP device `name` (real clock only).
    Tap { name: String },
}

impl SwarmNet {
    fn describe(&self) -> String {
        match self {
            SwarmNet::Lab { dir, .. } => format!("lab={}", dir.display()),
            SwarmNet::Tap { name } => format!("tap:{name}"),
        }
    }
}

/// The default DHCP pool of `lan::LabConfig` (100 addresses).
const DEFAULT_POOL: (Ipv4Addr, Ipv4Addr) = (Ipv4Addr::new(10, 0, 0, 100), Ipv4Addr::new(10, 0, 0, 199));

/// A lab configuration for the swarm: the default pool widened to
/// 10.0.0.10–10.0.0.250 (241 phones per lab); a pool set on purpose is kept.
pub fn swarm_lab_config(mut config: LabConfig) -> LabConfig {
    if (config.dhcp.pool_start, config.dhcp.pool_end) == DEFAULT_POOL {
        config.dhcp.pool_start = Ipv4Addr::new(10, 0, 0, 10);
        config.dhcp.pool_end = Ipv4Addr::new(10, 0, 0, 250);
    }
    config
}

/// Phones per built-in lab by default: the lab's smoltcp interface keeps 8
/// neighbour (ARP) entries (smoltcp's default `iface-neighbor-cache-count`),
/// and with more clients in flight its entries thrash and transfers time out
/// (measured: 30 phones on one lab, 8 provisioned, 22 `Server Unreachable`;
/// 8 per lab, 30 of 30). Raise it with `phones_per_lab` once `lan` asks
/// smoltcp for a bigger cache.
pub const LAB_CLIENTS: usize = 8;

/// Live counts for a progress display.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub now_us: u64,
    pub elapsed: Duration,
    pub phones: usize,
    pub off: usize,
    pub booted: usize,
    pub dhcp: usize,
    pub fetching: usize,
    pub rebooting: usize,
    pub provisioned: usize,
    /// Phones done at their lease (`--until lease`).
    pub leased: usize,
    pub failed: usize,
}

/// How often the progress callback runs, wall clock.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);
/// How often the thread waiting for parallel cells looks whether they are done.
const WATCH_EVERY: Duration = Duration::from_millis(5);
/// How far one real-clock window may reach to catch up with the host clock:
/// wider windows batch more phones per pass, but send their frames in
/// bursts that a server's socket buffer may not hold (Kea's raw socket
/// dropped DISCOVERs from 4 ms bursts at 4,000 phones/s).
const CATCH_UP_US: u64 = 2_000;

/// How often PSS is sampled, wall clock (reading it walks every mapping:
/// tens of ms with thousands of phones).
const PSS_EVERY: Duration = Duration::from_secs(1);
/// A real-clock swarm about to sleep this long lets PSS be sampled (the
/// walk, tens of ms with thousands of phones, would delay a busy loop).
const QUIET_US: u64 = 20_000;

pub struct Swarm {
    cfg: SwarmConfig,
    net: String,
    phones: Vec<Mutex<Phone>>,
    cells: Vec<Cell>,
    pool: rayon::ThreadPool,
    workers: usize,
    rss_start: Option<u64>,
    rss_peak: Option<u64>,
    pss_start: Option<u64>,
    pss_peak: Option<u64>,
    build_time: Duration,
}

/// Real clock with a TAP: waits until `t` or until a frame arrives on the
/// device, whichever is first. Returns when the window starts: `t`, or the
/// host's now when a frame came (never before `last_end`, the previous
/// window's end), with the TAP's cell marked for a step. A frame waits for
/// no poll interval.
fn wait_for_frame(clock: &Clock, t: u64, fd: std::os::fd::RawFd, part: &mut Part<'_>, last_end: u64) -> u64 {
    let now = clock.host_now();
    if now >= t {
        return t;
    }
    if lan::tap::wait_readable(fd, Duration::from_micros(t - now)) {
        part.tap_readable();
        return clock.host_now().clamp(last_end.min(t), t);
    }
    clock.wait_until(t);
    t
}

/// What `phones` are doing now, for the progress callback.
fn progress_of(phones: &[Mutex<Phone>], now_us: u64, elapsed: Duration) -> Progress {
    let mut p = Progress { now_us, elapsed, phones: phones.len(), ..Progress::default() };
    for ph in phones {
        match lock(ph).tracker.stage() {
            Stage::Off => p.off += 1,
            Stage::Booted => p.booted += 1,
            Stage::Dhcp => p.dhcp += 1,
            Stage::Fetching => p.fetching += 1,
            Stage::Rebooting => p.rebooting += 1,
            Stage::Provisioned => p.provisioned += 1,
            Stage::Leased => p.leased += 1,
            Stage::Failed => p.failed += 1,
        }
    }
    p
}

/// How far behind the host clock the windows of a real-clock run started.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Lag {
    p99_us: u64,
    max_us: u64,
    /// (bucket start, largest lag in it), `LAG_BUCKET_US` buckets.
    over_time: Vec<(u64, u64)>,
}

const LAG_BUCKET_US: u64 = 100_000;

impl Lag {
    /// From (window start, lag) in time order; None without windows (a
    /// virtual clock records none).
    fn of(lags: Vec<(u64, u32)>) -> Option<Lag> {
        let mut over_time: Vec<(u64, u64)> = Vec::new();
        for &(t, lag) in &lags {
            let bucket = t / LAG_BUCKET_US * LAG_BUCKET_US;
            match over_time.last_mut() {
                Some((b, max)) if *b == bucket => *max = (*max).max(lag as u64),
                _ => over_time.push((bucket, lag as u64)),
            }
        }
        let mut sorted: Vec<u32> = lags.into_iter().map(|l| l.1).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_unstable();
        let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize] as u64;
        Some(Lag { p99_us: at(0.99), max_us: at(1.0), over_time })
    }
}

impl Swarm {
    /// Builds every phone of `cfg`'s shard (factory flash from `roms`) and
    /// the cells of `net`.
    pub fn new(cfg: &SwarmConfig, roms: &Roms, net: &SwarmNet) -> Result<Swarm, SwarmError> {
        let started = Instant::now();
        let rss_start = mem::rss_bytes();
        let pss_start = mem::pss_bytes();
        let specs = cfg.phones()?;
        if specs.is_empty() {
            return Err(SwarmError::NoPhones);
        }
        let phones = specs.len() as u64;
        if let Some((now, limit)) = mem::map_count_and_limit()
            && let Some(need) = mem::map_limit_needed(phones, now, limit)
        {
            return Err(SwarmError::MapLimit { phones, need, limit });
        }
        let workers = if cfg.workers == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { cfg.workers };
        let pool = rayon::ThreadPoolBuilder::new().num_threads(workers).thread_name(|i| format!("swarm-{i}")).build().map_err(|e| SwarmError::Workers(e.to_string()))?;

        let (mut cells, per_cell) = match net {
            SwarmNet::Tap { name } => {
                if cfg.clock != ClockMode::Real {
                    return Err(SwarmError::TapNeedsRealClock);
                }
                let cell = Cell::with_tap(name).map_err(|source| SwarmError::Tap { name: name.clone(), source })?;
                (vec![cell], specs.len())
            }
            SwarmNet::Lab { dir, config } => {
                config.validate()?;
                let (a, b) = (u32::from(config.dhcp.pool_start), u32::from(config.dhcp.pool_end));
                if b < a {
                    return Err(SwarmError::EmptyPool(config.dhcp.pool_start, config.dhcp.pool_end));
                }
                let pool = (b - a + 1) as usize;
                let per_cell = cfg.phones_per_lab.unwrap_or(LAB_CLIENTS).clamp(1, pool);
                let n = specs.len().div_ceil(per_cell);
                let cells = (0..n).map(|_| Cell::with_lab(config.clone(), dir)).collect::<Result<Vec<_>, _>>()?;
                (cells, per_cell)
            }
        };

        let boot_rom = roms.boot_rom()?;
        // One host copy of each model's factory flash, shared by its phones
        // until they write it.
        let mut flashes: HashMap<board::model::Model, FlashTemplate> = HashMap::new();
        for s in &specs {
            if let std::collections::hash_map::Entry::Vacant(e) = flashes.entry(s.model) {
                let image = rom::factory_flash(&roms.firmware(s.model)?);
                e.insert(FlashTemplate::new(&image).map_err(|source| SwarmError::Machine { mac: trace::phone_id(s.mac), source })?);
            }
        }
        let machines: Vec<Machine> = pool.install(|| {
            specs
                .par_iter()
                .map(|s: &PhoneSpec| {
                    let mc = MachineConfig { hardware: s.model.hardware, mac: s.mac, seed: s.seed, boot_rom: boot_rom.clone(), flash: Vec::new() };
                    let opts = MachineOptions { code_buffer: cfg.code_buffer, flash: Some(flashes[&s.model].clone()) };
                    Machine::with_options(mc, opts).map_err(|source| SwarmError::Machine { mac: trace::phone_id(s.mac), source })
                })
                .collect::<Result<Vec<_>, _>>()
        })?;
        drop(flashes);

        let mut phones = Vec::with_capacity(specs.len());
        for (i, (spec, machine)) in specs.into_iter().zip(machines).enumerate() {
            let cell = i / per_cell;
            let slot = cells[cell].add(i, spec.mac);
            phones.push(Mutex::new(Phone::new(spec, machine, cell, slot, cfg.keep_trace, cfg.until)));
        }
        let rss = mem::rss_bytes();
        Ok(Swarm { cfg: cfg.clone(), net: net.describe(), phones, cells, pool, workers, rss_start, rss_peak: rss, pss_start, pss_peak: mem::pss_bytes(), build_time: started.elapsed() })
    }

    pub fn len(&self) -> usize {
        self.phones.len()
    }

    pub fn is_empty(&self) -> bool {
        self.phones.is_empty()
    }

    /// Runs the swarm until every phone is decided (reached its goal or
    /// failed, and none is between a reboot line and its boot) or the
    /// configured duration has passed. A phone whose goal is the lease is
    /// powered off at it and costs nothing from then on.
    /// `on_progress` is called about every 100 ms of wall time and once at
    /// the end; `on_record`, when given, gets every trace record in
    /// (time, phone index) order (needs `keep_trace`).
    pub fn run(&mut self, on_progress: &mut dyn FnMut(&Progress), on_record: Option<&mut dyn FnMut(&Record)>) -> Report {
        let started = Instant::now();
        let pss = mem::PssPeak::start(PSS_EVERY);
        let (end_us, lags) = match on_record {
            None if self.cfg.clock == ClockMode::Virtual => (self.run_cells_apart(on_progress, started), Vec::new()),
            on_record => self.run_together(on_progress, on_record, started, &pss),
        };
        self.rss_peak = self.rss_peak.max(mem::rss_bytes());
        self.pss_peak = self.pss_peak.max(mem::pss_bytes()).max(pss.peak());
        drop(pss);
        for p in &self.phones {
            lock(p).tracker.finish(end_us);
        }
        let elapsed = started.elapsed();
        on_progress(&progress_of(&self.phones, end_us, elapsed));
        self.report(end_us, elapsed, Lag::of(lags))
    }

    /// Virtual time, no trace: each cell runs on its own timeline, the
    /// cells in parallel on the workers. Returns the end of the last window.
    fn run_cells_apart(&mut self, on_progress: &mut dyn FnMut(&Progress), started: Instant) -> u64 {
        let how = Stepping { latency: self.cfg.latency_us.max(1), http_stop_us: self.cfg.http_stop_us, pool: None };
        let until = self.cfg.duration_us;
        let reached = AtomicU64::new(0);
        let (phones, cells, pool) = (&self.phones, &mut self.cells, &self.pool);
        let mut rss_peak = self.rss_peak;
        let end_us = std::thread::scope(|s| {
            let work = s.spawn(|| {
                pool.install(|| cells.par_iter_mut().enumerate().map(|(c, cell)| Part::new(std::slice::from_mut(cell), c, phones).run_alone(until, &how, &reached)).max().unwrap_or(0))
            });
            let mut last_progress = Instant::now();
            while !work.is_finished() {
                std::thread::sleep(WATCH_EVERY);
                if last_progress.elapsed() >= PROGRESS_EVERY {
                    last_progress = Instant::now();
                    rss_peak = rss_peak.max(mem::rss_bytes());
                    on_progress(&progress_of(phones, reached.load(Ordering::Relaxed), started.elapsed()));
                }
            }
            work.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        });
        self.rss_peak = rss_peak;
        end_us
    }

    /// All cells in one timeline, window after window: a real clock (the
    /// windows follow the host clock) or a trace (records in time order).
    /// Returns the end of the last window and the real-clock lags.
    fn run_together(&mut self, on_progress: &mut dyn FnMut(&Progress), mut on_record: Option<&mut dyn FnMut(&Record)>, started: Instant, pss: &mem::PssPeak) -> (u64, Vec<(u64, u32)>) {
        let clock = Clock::new(self.cfg.clock, 0);
        let latency = self.cfg.latency_us.max(1);
        let until = self.cfg.duration_us;
        let how = Stepping { latency, http_stop_us: self.cfg.http_stop_us, pool: (self.workers > 1).then_some(&self.pool) };
        let mut part = Part::new(&mut self.cells, 0, &self.phones);
        let mut last_progress = Instant::now();
        let mut end_us = 0u64;
        let mut lags: Vec<(u64, u32)> = Vec::new();
        while !part.settled() {
            let Some(t) = part.next_at() else { break };
            if t >= until {
                end_us = until;
                break;
            }
            if clock.mode() == ClockMode::Real {
                pss.set_quiet(t > clock.host_now() + QUIET_US);
            }
            let t = match part.tap_fd() {
                Some(fd) if clock.mode() == ClockMode::Real => wait_for_frame(&clock, t, fd, &mut part, end_us),
                _ => {
                    clock.wait_until(t);
                    t
                }
            };
            if clock.mode() == ClockMode::Real {
                lags.push((t, clock.host_now().saturating_sub(t).min(u32::MAX as u64) as u32));
            }
            // Real clock, behind the host: everything due up to the host's
            // now (at most CATCH_UP_US ahead) runs in this one window, in
            // parallel, instead of window after window of one lookahead
            // each. Nothing is deterministic on a real clock anyway, and a
            // frame that comes in meanwhile is stamped when it is read, so
            // no phone sees it early.
            let behind = if clock.mode() == ClockMode::Real { clock.host_now().min(t + CATCH_UP_US) } else { 0 };
            let end = (t + latency).max(behind).min(until);
            end_us = end;
            let mut records = Vec::new();
            part.window(end, &how, on_record.is_some().then_some(&mut records));
            if let Some(sink) = on_record.as_mut() {
                records.sort_by_key(|r| (r.0, r.1));
                for (_, _, r) in &records {
                    sink(r);
                }
            }
            if last_progress.elapsed() >= PROGRESS_EVERY {
                last_progress = Instant::now();
                self.rss_peak = self.rss_peak.max(mem::rss_bytes());
                on_progress(&progress_of(&self.phones, end, started.elapsed()));
            }
        }
        (end_us, lags)
    }

    fn report(&self, end_us: u64, elapsed: Duration, lag: Option<Lag>) -> Report {
        let per_phone: Vec<PhoneReport> = self.phones.iter().map(|p| PhoneReport::from_phone(&lock(p))).collect();
        let (first, last) = (per_phone.first().map(|p| p.mac.clone()).unwrap_or_default(), per_phone.last().map(|p| p.mac.clone()).unwrap_or_default());
        let run = RunInfo {
            count: self.cfg.count,
            shards: vec![format!("{}/{}", self.cfg.shard.index, self.cfg.shard.of)],
            mix: self.cfg.mix.to_string(),
            mac_first: first,
            mac_last: last,
            ramp_per_s: self.cfg.ramp_per_s,
            link_up_us: self.cfg.link_up_us,
            link_ramp_per_s: self.cfg.link_ramp_per_s,
            duration_us: self.cfg.duration_us,
            clock: match self.cfg.clock {
                ClockMode::Virtual => "virtual".into(),
                ClockMode::Real => "real".into(),
            },
            seed: self.cfg.seed,
            net: self.net.clone(),
            latency_us: self.cfg.latency_us,
            cells: self.cells.len(),
            end_us,
        };
        let n = per_phone.len() as u64;
        let count = |o: crate::Outcome| per_phone.iter().filter(|p| p.outcome == o).count() as f64;
        let per_s = |n: f64| n / elapsed.as_secs_f64().max(1e-9);
        let grown = match (self.rss_start, self.rss_peak) {
            (Some(a), Some(b)) => Some(b.saturating_sub(a)),
            _ => None,
        };
        let pss_grown = match (self.pss_start, self.pss_peak) {
            (Some(a), Some(b)) => Some(b.saturating_sub(a)),
            _ => None,
        };
        let wall = Wall {
            elapsed_s: elapsed.as_secs_f64(),
            build_s: self.build_time.as_secs_f64(),
            workers: self.workers,
            rss_start_bytes: self.rss_start,
            rss_peak_bytes: self.rss_peak,
            rss_per_phone_bytes: grown.map(|g| g / n.max(1)),
            pss_start_bytes: self.pss_start,
            pss_peak_bytes: self.pss_peak,
            pss_per_phone_bytes: pss_grown.map(|g| g / n.max(1)),
            provisioned_per_s: per_s(count(crate::Outcome::Provisioned)),
            leased_per_s: per_s(count(crate::Outcome::Leased)),
            lag_p99_us: lag.as_ref().map(|l| l.p99_us),
            lag_max_us: lag.as_ref().map(|l| l.max_us),
            lag_over_time: lag.map(|l| l.over_time).unwrap_or_default(),
            tap_errors: self.cells.iter().filter_map(Cell::tap_error).collect(),
        };
        Report::build(run, self.cfg.until, per_phone, vec![wall])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_is_the_99th_percentile_and_the_maximum_of_the_windows() {
        assert_eq!(Lag::of(Vec::new()), None);
        let lags: Vec<(u64, u32)> = (1..=1000).map(|i| (i * 1000, 1001 - i as u32)).collect();
        let lag = Lag::of(lags).unwrap();
        assert_eq!((lag.p99_us, lag.max_us), (990, 1000));
        assert_eq!(lag.over_time, [(0, 1000), (100_000, 901), (200_000, 801), (300_000, 701), (400_000, 601), (500_000, 501), (600_000, 401), (700_000, 301), (800_000, 201), (900_000, 101), (1_000_000, 1)]);
        let one = Lag::of(vec![(250_000, 7)]).unwrap();
        assert_eq!((one.p99_us, one.max_us, one.over_time), (7, 7, vec![(200_000, 7)]));
    }
}
