//! A part of a swarm, stepped window by window: some phones, the cells they
//! talk to, and the instants its phones are due.
//!
//! The whole swarm is one part when it runs on a real clock or writes a
//! trace. In virtual time without a trace each cell is a part of its own:
//! cells never exchange frames, so each runs on its own timeline, and the
//! parts run in parallel (with a ramp, the swarm-wide 50 µs windows held too
//! few phones to keep more than one worker busy).
//!
//! Guarantees: a window runs every phone of the part due before its end
//! (`Phone::run_until`), then hands the frames they sent to their cells in
//! (time, phone) order and delivers what the cells answer `latency` later;
//! what a phone sees depends only on its own cell, never on how another
//! part's windows are cut.

use crate::bank::Delivery;
use crate::cell::{Cell, Output};
use crate::phone::Phone;
use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Mutex;
use trace::Record;

/// Below this many due phones a window runs on the calling thread (handing
/// one or two phones to the pool costs more than it saves).
const PARALLEL_MIN: usize = 4;

pub(crate) fn lock(p: &Mutex<Phone>) -> std::sync::MutexGuard<'_, Phone> {
    // A phone is only ever locked by one thread at a time; a poisoned lock
    // means a worker panicked, and the phone's state is still the last one.
    p.lock().unwrap_or_else(|e| e.into_inner())
}

/// Whether a frame at `t_us` is HTTP after the lab's HTTP server stopped at `stop`.
fn http_gone(stop: Option<u64>, t_us: u64, frame: &[u8]) -> bool {
    stop.is_some_and(|s| t_us >= s) && crate::cut::is_http(frame)
}

/// How windows are run.
pub(crate) struct Stepping<'a> {
    /// Link latency: a cell's answer reaches a phone this much later.
    pub latency: u64,
    pub http_stop_us: Option<u64>,
    /// Runs a window's phones in parallel here (when there are enough).
    pub pool: Option<&'a rayon::ThreadPool>,
}

pub(crate) struct Part<'s> {
    cells: &'s mut [Cell],
    /// The swarm index of `cells[0]`.
    cell_base: usize,
    phones: &'s [Mutex<Phone>],
    /// (next instant, phone) for every phone of the part with something to do.
    due: BTreeSet<(u64, usize)>,
    scheduled: HashMap<usize, u64>,
    members: usize,
    /// Phones decided and not between a reboot line and their boot.
    settled: HashSet<usize>,
}

impl<'s> Part<'s> {
    /// The phones of `cells` (swarm cells `cell_base..`), as they are now.
    pub(crate) fn new(cells: &'s mut [Cell], cell_base: usize, phones: &'s [Mutex<Phone>]) -> Part<'s> {
        let members: Vec<usize> = cells.iter().flat_map(|c| c.members.iter().copied()).collect();
        let mut part = Part { cells, cell_base, phones, due: BTreeSet::new(), scheduled: HashMap::new(), members: members.len(), settled: HashSet::new() };
        for i in members {
            part.reschedule(i);
        }
        part
    }

    /// The earliest instant a phone or a cell of the part needs a step.
    pub(crate) fn next_at(&self) -> Option<u64> {
        let t_phone = self.due.first().map(|&(t, _)| t);
        let t_cell = self.cells.iter().filter_map(Cell::poll_at).min();
        [t_phone, t_cell].into_iter().flatten().min()
    }

    /// The first TAP device among the part's cells, to wait on.
    pub(crate) fn tap_fd(&self) -> Option<std::os::fd::RawFd> {
        self.cells.iter().find_map(Cell::tap_fd)
    }

    /// Frames wait on the TAP devices: their cells need a step now.
    pub(crate) fn tap_readable(&mut self) {
        self.cells.iter_mut().for_each(Cell::tap_readable);
    }

    /// Every phone of the part is settled.
    pub(crate) fn settled(&self) -> bool {
        self.settled.len() == self.members
    }

    fn reschedule(&mut self, i: usize) {
        let (next, now_settled) = {
            let p = lock(&self.phones[i]);
            (p.next_due(), p.tracker.is_decided() && !p.tracker.rebooting())
        };
        if self.scheduled.get(&i).copied() != next {
            if let Some(old) = self.scheduled.remove(&i) {
                self.due.remove(&(old, i));
            }
            if let Some(t) = next {
                self.due.insert((t, i));
                self.scheduled.insert(i, t);
            }
        }
        if now_settled {
            self.settled.insert(i);
        } else {
            self.settled.remove(&i);
        }
    }

    /// Runs one window up to (not including) `end`. With `records`, the
    /// trace records of the window are appended as (time, phone, record).
    pub(crate) fn window(&mut self, end: u64, how: &Stepping<'_>, mut records: Option<&mut Vec<(u64, usize, Record)>>) {
        let mut ready = Vec::new();
        while let Some(&(pt, i)) = self.due.first() {
            if pt >= end {
                break;
            }
            self.due.pop_first();
            self.scheduled.remove(&i);
            ready.push(i);
        }
        let phones = self.phones;
        match how.pool {
            Some(pool) if ready.len() >= PARALLEL_MIN => pool.install(|| ready.par_iter().for_each(|&i| lock(&phones[i]).run_until(end))),
            _ => ready.iter().for_each(|&i| lock(&phones[i]).run_until(end)),
        }

        // Frames into the cells, in (time, phone) order; `ready` is sorted by (due, index), so sort.
        let mut per_cell: Vec<Vec<(usize, u64, Vec<u8>)>> = vec![Vec::new(); self.cells.len()];
        ready.sort_unstable();
        for &i in &ready {
            let mut p = lock(&phones[i]);
            let (cell, slot) = (p.cell - self.cell_base, p.slot);
            per_cell[cell].extend(p.sent.drain(..).filter(|(t, f)| !http_gone(how.http_stop_us, *t, f)).map(|(t, f)| (slot, t, f)));
            if let Some(out) = records.as_mut() {
                out.extend(p.records.drain(..).map(|r| (r.t_us, i, r)));
            }
        }
        let mut touched = ready;
        for (c, mut frames) in per_cell.into_iter().enumerate() {
            let cell = &mut self.cells[c];
            if frames.is_empty() && cell.poll_at().is_none_or(|p| p >= end) {
                continue;
            }
            frames.sort_by_key(|f| (f.1, cell.members[f.0]));
            let mut out = Output::default();
            cell.step(frames, end, &mut out);
            for Delivery { phone, t_us, frame } in out.deliveries {
                if http_gone(how.http_stop_us, t_us, &frame) {
                    continue;
                }
                let i = cell.members[phone];
                lock(&phones[i]).deliver(t_us + how.latency, frame);
                touched.push(i);
            }
            for (phone, r) in out.records {
                let i = cell.members[phone];
                touched.push(i);
                let mut p = lock(&phones[i]);
                if let Some(out) = records.as_mut() {
                    out.push((r.t_us, i, r.clone()));
                    p.tracker.observe(&r);
                } else {
                    p.observe(r);
                }
            }
        }
        touched.sort_unstable();
        touched.dedup();
        for i in touched {
            self.reschedule(i);
        }
    }

    /// Runs the part on its own until every phone is settled or `until`:
    /// the end of its last window (`until` when that came first).
    /// `reached` is raised to each window's end as it goes.
    pub(crate) fn run_alone(&mut self, until: u64, how: &Stepping<'_>, reached: &std::sync::atomic::AtomicU64) -> u64 {
        let mut end_us = 0;
        while !self.settled() {
            let Some(t) = self.next_at() else { break };
            if t >= until {
                return until;
            }
            let end = (t + how.latency).min(until);
            self.window(end, how, None);
            end_us = end;
            reached.fetch_max(end, std::sync::atomic::Ordering::Relaxed);
        }
        end_us
    }
}
