//! Plays a scenario's steps on anything that runs a phone in emulated time
//! (`Driver`), and collects its trace. The emulator is one such driver
//! (`runner`); tests use a scripted one.
//!
//! Steps happen in file order. A step's time is absolute (`at`) or after the
//! previous step's actual time (`after`); a power cut `during_flash` happens
//! when the chosen flash operation starts, which is that step's actual time
//! (and its mark's); `notify` runs to each NOTIFY's time and has the lab
//! send it (the step's actual time is its first). The run stops at `end`, or 1 s after the last time the
//! scenario mentions, or at a crash.
//!
//! Guarantees: never panics on a valid `Scenario`; a step that cannot happen
//! (time going back, a flash operation that never comes, an unreached mark)
//! stops the run with an error naming the step and its line.

use crate::format::{Action, Scenario, StepTime, TimeRef, Window};
use crate::script::Input;
use crate::time::{format as dur, stamp};
use std::collections::HashMap;
use trace::{Event, Record};

/// How long a `during_flash` cut waits for its operation when the run's end
/// is not yet known (it depends on the cut's own mark).
pub const FLASH_SEARCH_US: u64 = 3_600_000_000;

/// Quiet time after the last thing a scenario mentions, when it gives no `end`.
pub const TAIL_US: u64 = 1_000_000;

/// What the sink tells the driver after each record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// Stop `run_until` now, before emulating further.
    Pause,
}

/// A phone running in emulated time.
///
/// Contract: `run_until` emulates up to `until_us` (or until the sink says
/// `Pause`), hands every new trace record to the sink in time order, applies
/// each scheduled input when emulated time reaches it, and returns the
/// emulated time it stopped at; after a `Pause`, that is the time of the
/// record that paused it, with the operation that record announced begun
/// but not finished, so an input scheduled at that time lands inside it.
pub trait Driver {
    /// Queues an input for emulated time `at_us` (never earlier than now).
    fn schedule(&mut self, at_us: u64, input: Input);
    fn run_until(&mut self, until_us: u64, sink: &mut dyn FnMut(&Record) -> Flow) -> Result<u64, String>;
    /// The lab sends one check-sync NOTIFY of `n` now, from `from` (`None`:
    /// the lab's SIP source).
    fn notify(&mut self, from: Option<std::net::Ipv4Addr>, n: &crate::format::Notify) -> Result<(), String> {
        let _ = (from, n);
        Err("this phone has no lab to send a NOTIFY from".into())
    }
}

/// The outcome of playing the steps.
#[derive(Debug, Default)]
pub struct Played {
    pub records: Vec<Record>,
    pub marks: HashMap<String, u64>,
    pub end_us: u64,
    pub error: Option<String>,
}

/// Plays `s` on `d`.
pub fn play(s: &Scenario, d: &mut dyn Driver) -> Played {
    let mut p = Played::default();
    if let Err(e) = steps(s, d, &mut p) {
        p.error = Some(e);
    }
    p
}

fn resolve(r: &TimeRef, marks: &HashMap<String, u64>) -> Option<u64> {
    match r {
        TimeRef::Abs(t) => Some(*t),
        TimeRef::Mark { mark, plus_us } => marks.get(mark).map(|t| t + plus_us),
    }
}

/// Runs to `until`, recording; `Ok(false)` when the phone crashed.
fn run_to(d: &mut dyn Driver, until: u64, p: &mut Played) -> Result<bool, String> {
    let mut crashed = false;
    let records = &mut p.records;
    let now = d.run_until(until, &mut |r| {
        records.push(r.clone());
        if matches!(r.event, Event::Crash { .. }) {
            crashed = true;
            Flow::Pause
        } else {
            Flow::Continue
        }
    })?;
    p.end_us = now;
    Ok(!crashed)
}

fn steps(s: &Scenario, d: &mut dyn Driver, p: &mut Played) -> Result<(), String> {
    let mut prev: u64 = 0;
    let mut last_input: u64 = 0;
    for (i, step) in s.steps.iter().enumerate() {
        let name = format!("step {} (line {})", i + 1, step.line);
        let t = match &step.time {
            StepTime::After(d) => prev + d,
            StepTime::At(r) => resolve(r, &p.marks).ok_or_else(|| format!("{name}: its mark never happened"))?,
        };
        if t < prev {
            return Err(format!("{name}: at {} is before the previous step's {}", stamp(t), stamp(prev)));
        }
        let actual = match &step.action {
            Action::Wait => {
                if !run_to(d, t, p)? {
                    return Ok(());
                }
                t
            }
            Action::Inputs(inputs) => {
                for input in inputs {
                    d.schedule(t + input.at_us, input.input);
                    last_input = last_input.max(t + input.at_us);
                }
                t
            }
            Action::CutDuringFlash { nth, op, partition } => {
                if !run_to(d, t, p)? {
                    return Ok(());
                }
                let region = partition.and_then(|n| board::map::PARTITIONS.iter().find(|(pn, _)| *pn == n).map(|(_, r)| *r));
                let limit = match &s.end {
                    Some(TimeRef::Abs(e)) => *e,
                    _ => t + FLASH_SEARCH_US,
                };
                let mut seen = 0u32;
                let mut crashed = false;
                let records = &mut p.records;
                let stopped = d.run_until(limit, &mut |r| {
                    records.push(r.clone());
                    match &r.event {
                        Event::Crash { .. } => {
                            crashed = true;
                            return Flow::Pause;
                        }
                        Event::Flash { op: o, addr, .. } if r.t_us >= t && op.is_none_or(|w| w == *o) && region.is_none_or(|g| g.contains(*addr)) => {
                            seen += 1;
                            if seen == *nth {
                                return Flow::Pause;
                            }
                        }
                        _ => {}
                    }
                    Flow::Continue
                })?;
                p.end_us = stopped;
                if crashed {
                    return Ok(());
                }
                if seen < *nth {
                    return Err(format!("{name}: wanted to cut power during flash operation {nth} after {}, but only {seen} happened by {}", stamp(t), stamp(stopped)));
                }
                d.schedule(stopped, Input::PowerCut);
                stopped
            }
            Action::Notify(n) => {
                for i in 0..u64::from(n.count) {
                    if !run_to(d, t + i * n.every_us, p)? {
                        return Ok(());
                    }
                    let from = (!n.from.is_empty()).then(|| n.from[i as usize % n.from.len()]);
                    d.notify(from, n).map_err(|e| format!("{name}: {e}"))?;
                }
                last_input = last_input.max(t + u64::from(n.count - 1) * n.every_us);
                t
            }
        };
        if let Some(m) = &step.mark {
            p.marks.insert(m.clone(), actual);
        }
        prev = actual;
    }
    let end = match &s.end {
        Some(r) => resolve(r, &p.marks).ok_or("`end`: its mark never happened")?,
        None => default_end(s, &p.marks, prev.max(last_input)),
    };
    if end < p.end_us {
        return Err(format!("`end` ({}) is before the last step ({})", dur(end), dur(p.end_us)));
    }
    run_to(d, end, p)?;
    Ok(())
}

/// 1 s after the latest of: the last step or input, and every expectation time.
fn default_end(s: &Scenario, marks: &HashMap<String, u64>, last: u64) -> u64 {
    let times = s.expects.iter().flat_map(|e| match &e.window {
        Window::Run => vec![],
        Window::At(t) => vec![resolve(t, marks)],
        Window::Between(f, t) => vec![f.as_ref().and_then(|f| resolve(f, marks)), t.as_ref().and_then(|t| resolve(t, marks))],
    });
    times.flatten().fold(last, u64::max) + TAIL_US
}

#[cfg(test)]
mod tests;
