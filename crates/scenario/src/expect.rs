//! Checks a scenario's expectations against a finished trace.
//!
//! States (LCD lines, LEDs) are read as functions of time: the state at `t`
//! is the one after every record at or before `t`; records with the same
//! time count as one change (a line cleared and rewritten in the same
//! microsecond never "showed" blank). A power cut blanks the LCD and darkens
//! every LED until the firmware draws again. Events (log lines, flash
//! operations, boots) count when their time is inside `[from, to]`.
//!
//! Guarantees: pure (no I/O, no clock); every failed outcome says what the
//! trace showed in the window, so a failure can be read without the trace.

use crate::format::{Expect, Matcher, TimeRef, What, Window};
use crate::time::{format as dur, stamp};
use std::collections::HashMap;
use trace::{Event, PowerState, Record};

/// The result of one expectation (or of the implicit "no crash").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// `lcd #2`, `no crash`, …
    pub label: String,
    /// The expectation's line in the file (0 for implicit ones).
    pub line: usize,
    /// What was expected, in words.
    pub expected: String,
    pub passed: bool,
    /// On failure: what the trace showed.
    pub detail: String,
}

/// What a finished run gives the checker.
pub struct Run<'a> {
    pub records: &'a [Record],
    /// Actual times of marked steps.
    pub marks: &'a HashMap<String, u64>,
    pub end_us: u64,
}

/// How many history entries a failure message shows.
const SHOW: usize = 12;

/// The implicit expectation of every scenario: no crash record.
pub fn no_crash(records: &[Record]) -> Outcome {
    let crash = records.iter().find_map(|r| match &r.event {
        Event::Crash { pc, reason } => Some(format!("crashed at {}: pc {pc:#010x}: {reason}", stamp(r.t_us))),
        _ => None,
    });
    Outcome { label: "no crash".into(), line: 0, expected: "the phone never crashes".into(), passed: crash.is_none(), detail: crash.unwrap_or_default() }
}

/// Checks one expectation.
pub fn check(e: &Expect, run: &Run) -> Outcome {
    let expected = describe(e);
    let (passed, detail) = match resolve(&e.window, run) {
        Err(msg) => (false, msg),
        Ok(span) => match &e.what {
            What::Lcd { line, text } => lcd(*line, text, span, e.never, run.records),
            What::Led { led, color, mode } => led_state(led, color.as_deref(), mode.as_deref(), span, e.never, run.records),
            What::Log { text } => log(text, span, e.never, run.records),
            What::Flash { op, partition, count } => flash(*op, *partition, *count, span, e.never, run.records),
            What::Boots { count, causes } => boots(*count, causes.as_deref(), span, run.records),
            What::Run { reason, count, due } => runs(*reason, *count, due, span, e.never, run),
            What::Serve { path, proto, status, count, vlan } => net::serve(path, proto.as_deref(), *status, *count, *vlan, span, e.never, run.records),
            What::Dhcp { msg, option, vlan } => net::dhcp(msg.as_deref(), option.as_ref(), *vlan, span, e.never, run.records),
            What::Requests { paths, boots, dhcp, vlans } => net::requests(paths, net::Entries { boots: *boots, dhcp: *dhcp, vlans: *vlans }, span, run.records),
        },
    };
    Outcome { label: e.label.clone(), line: e.line, expected, passed, detail: if passed { String::new() } else { detail } }
}

/// The window as µs: an instant is `(t, t)`.
#[derive(Clone, Copy)]
struct Span {
    from: u64,
    to: u64,
    instant: bool,
}

fn resolve(w: &Window, run: &Run) -> Result<Span, String> {
    let t = |r: &TimeRef| match r {
        TimeRef::Abs(t) => Ok(*t),
        TimeRef::Mark { mark, plus_us } => run.marks.get(mark).map(|t| t + plus_us).ok_or_else(|| format!("the step marked `{mark}` never happened")),
    };
    Ok(match w {
        Window::Run => Span { from: 0, to: run.end_us, instant: false },
        Window::At(r) => {
            let at = t(r)?;
            Span { from: at, to: at, instant: true }
        }
        Window::Between(f, to) => Span { from: f.as_ref().map(t).transpose()?.unwrap_or(0), to: to.as_ref().map(t).transpose()?.unwrap_or(run.end_us), instant: false },
    })
}

fn window_text(s: Span) -> String {
    if s.instant { format!("at {}", dur(s.from)) } else { format!("in {}..{}", dur(s.from), dur(s.to)) }
}

/// The expectation in words.
pub fn describe(e: &Expect) -> String {
    let what = match &e.what {
        What::Lcd { line: Some(l), text } => format!("LCD line {l} shows {text}"),
        What::Lcd { line: None, text } => format!("an LCD line shows {text}"),
        What::Led { led, color, mode } => {
            let parts: Vec<String> = [color.as_ref().map(|c| format!("color {c}")), mode.as_ref().map(|m| format!("mode {m}"))].into_iter().flatten().collect();
            format!("LED {led} is {}", parts.join(", "))
        }
        What::Log { text } => format!("a console line {text}"),
        What::Flash { op, partition, count } => {
            let op = op.map_or("flash operation".to_string(), |o| format!("flash {o:?}").to_lowercase());
            let part = partition.map_or(String::new(), |p| format!(" in {p}"));
            match count {
                Some(n) => format!("exactly {n} {op}(s){part}"),
                None => format!("a {op}{part}"),
            }
        }
        What::Boots { count, causes } => match (count, causes) {
            (_, Some(c)) => format!("boots with causes [{}]", c.iter().map(|c| format!("{c:?}")).collect::<Vec<_>>().join(", ")),
            (Some(n), None) => format!("{n} boot(s)"),
            (None, None) => "boots".into(),
        },
        What::Run { reason, count, due } => {
            let what = reason.map_or("provisioning run".to_string(), |r| format!("{} run", r.name()));
            let n = match count {
                Some(n) => format!("exactly {n} {what}(s)"),
                None => format!("a {what}"),
            };
            let due = match due {
                (None, None) => String::new(),
                (f, t) => format!(" due in {}..{}", f.as_ref().map_or("start".into(), tref), t.as_ref().map_or("end".into(), tref)),
            };
            format!("{n}{due}")
        }
        What::Serve { path, proto, status, count, vlan } => {
            let proto = proto.as_ref().map_or("a".to_string(), |p| format!("a {p}"));
            let status = status.map_or(String::new(), |s| format!(" answered {s}"));
            let n = count.map_or(String::new(), |c| format!("exactly {c}× "));
            format!("{n}{proto} request for {path}{status}{}", net::on_vlan(*vlan))
        }
        What::Dhcp { msg, option, vlan } => {
            let msg = msg.as_deref().unwrap_or("message");
            let m = match option {
                None => format!("a DHCP {msg}"),
                Some((c, None)) => format!("a DHCP {msg} with option {c}"),
                Some((c, Some(v))) => format!("a DHCP {msg} with option {c} {v}"),
            };
            format!("{m}{}", net::on_vlan(*vlan))
        }
        What::Requests { paths, boots, dhcp, .. } => {
            let extra = [(*dhcp, " and DHCP messages"), (*boots, " and boots")].iter().filter(|x| x.0).map(|x| x.1).collect::<String>();
            format!("the requests{extra} are [{}]", paths.join(", "))
        }
    };
    let when = match &e.window {
        Window::Run => String::new(),
        Window::At(t) => format!(" at {}", tref(t)),
        Window::Between(f, t) => format!(" in {}..{}", f.as_ref().map_or("start".into(), tref), t.as_ref().map_or("end".into(), tref)),
    };
    format!("{}{what}{when}", if e.never { "never: " } else { "" })
}

fn tref(t: &TimeRef) -> String {
    match t {
        TimeRef::Abs(t) => dur(*t),
        TimeRef::Mark { mark, plus_us: 0 } => mark.clone(),
        TimeRef::Mark { mark, plus_us } => format!("{mark}+{}", dur(*plus_us)),
    }
}

/// A state's history: `(time, value)`, one entry per distinct time, starting at 0.
fn history<S: Clone + PartialEq>(records: &[Record], initial: S, mut step: impl FnMut(&Event, &mut S)) -> Vec<(u64, S)> {
    let mut out: Vec<(u64, S)> = vec![(0, initial.clone())];
    let mut cur = initial;
    for r in records {
        step(&r.event, &mut cur);
        match out.last_mut() {
            Some((t, v)) if *t == r.t_us => *v = cur.clone(),
            Some((_, v)) if *v == cur => {}
            _ => out.push((r.t_us, cur.clone())),
        }
    }
    out.dedup_by(|b, a| a.1 == b.1);
    out
}

/// Whether some instant of the span has a matching state; also the first
/// matching time and the entries that the span saw (for messages).
fn scan<S>(h: &[(u64, S)], s: Span, ok: impl Fn(&S) -> bool) -> (Option<u64>, Vec<usize>) {
    let at_from = h.iter().rposition(|(t, _)| *t <= s.from).unwrap_or(0);
    let mut seen = vec![at_from];
    seen.extend((at_from + 1..h.len()).filter(|&i| h[i].0 > s.from && h[i].0 <= s.to));
    let hit = seen.iter().find(|&&i| ok(&h[i].1)).map(|&i| h[i].0.max(s.from));
    (hit, seen)
}

/// Renders the entries a span saw, and the next one after it when the span saw only one.
fn shown<S>(h: &[(u64, S)], seen: &[usize], fmt: impl Fn(&S) -> String) -> String {
    let mut idx: Vec<usize> = seen.to_vec();
    if idx.len() == 1 && idx[0] + 1 < h.len() {
        idx.push(idx[0] + 1);
    }
    let mut parts: Vec<String> = idx.iter().take(SHOW).map(|&i| format!("[{} {}]", stamp(h[i].0), fmt(&h[i].1))).collect();
    if idx.len() > SHOW {
        parts.push(format!("… {} more", idx.len() - SHOW));
    }
    parts.join(" ")
}

fn verdict(hit: Option<u64>, never: bool, s: Span, history: String) -> (bool, String) {
    match (hit, never) {
        (Some(t), true) => (false, format!("matched at {}; it showed: {history}", stamp(t))),
        (None, false) => (false, format!("no match {}; it showed: {history}", window_text(s))),
        _ => (true, String::new()),
    }
}

fn lcd(line: Option<u8>, text: &Matcher, s: Span, never: bool, records: &[Record]) -> (bool, String) {
    let mut hits = Vec::new();
    let mut shows = Vec::new();
    for l in line.map_or(1..=6, |l| l..=l) {
        let h = history(records, String::new(), |e, cur| match e {
            Event::Lcd { line, text } if *line == l => *cur = text.clone(),
            Event::Power { state: PowerState::Off } => cur.clear(),
            _ => {}
        });
        let (hit, seen) = scan(&h, s, |v| text.matches(v));
        hits.extend(hit);
        // For "any line", blank lines say nothing.
        if line.is_some() || seen.iter().any(|&i| !h[i].1.is_empty()) {
            shows.push(format!("line {l}: {}", shown(&h, &seen, |v| format!("{v:?}"))));
        }
    }
    let history = if shows.is_empty() { "a blank LCD".to_string() } else { shows.join("; ") };
    verdict(hits.into_iter().min(), never, s, history)
}

fn led_state(led: &str, color: Option<&str>, mode: Option<&str>, s: Span, never: bool, records: &[Record]) -> (bool, String) {
    let h = history(records, None::<(String, String)>, |e, cur| match e {
        Event::Led { led: l, color, mode } if l == led => *cur = Some((color.clone(), mode.clone())),
        Event::Power { state: PowerState::Off } => *cur = None,
        _ => {}
    });
    let ok = |v: &Option<(String, String)>| v.as_ref().is_some_and(|(c, m)| color.is_none_or(|w| w == c) && mode.is_none_or(|w| w == m));
    let (hit, seen) = scan(&h, s, ok);
    let shown = shown(&h, &seen, |v| v.as_ref().map_or("dark".into(), |(c, m)| format!("{c} {m}")));
    verdict(hit, never, s, shown)
}

fn in_span(r: &Record, s: Span) -> bool {
    r.t_us >= s.from && r.t_us <= s.to
}

fn list(items: &[String], none: &str) -> String {
    if items.is_empty() {
        return none.to_string();
    }
    let mut out: Vec<String> = items.iter().take(SHOW).cloned().collect();
    if items.len() > SHOW {
        out.push(format!("… {} more", items.len() - SHOW));
    }
    out.join(" ")
}

fn log(text: &Matcher, s: Span, never: bool, records: &[Record]) -> (bool, String) {
    let lines: Vec<(u64, &str)> = records.iter().filter(|r| in_span(r, s)).filter_map(|r| match &r.event {
        Event::Log { text } => Some((r.t_us, text.as_str())),
        _ => None,
    }).collect();
    let hit = lines.iter().find(|(_, l)| text.matches(l));
    match (hit, never) {
        (Some((t, l)), true) => (false, format!("console line at {}: {l:?}", stamp(*t))),
        (None, false) => {
            // The last lines of the window say most about where the firmware got to.
            let tail: Vec<String> = lines.iter().rev().take(SHOW).rev().map(|(t, l)| format!("[{} {l:?}]", stamp(*t))).collect();
            (false, format!("no such console line {}; {} line(s) there{}", window_text(s), lines.len(), if tail.is_empty() { String::new() } else { format!(", the last: {}", tail.join(" ")) }))
        }
        _ => (true, String::new()),
    }
}

fn flash(op: Option<trace::FlashOp>, partition: Option<&str>, count: Option<u32>, s: Span, never: bool, records: &[Record]) -> (bool, String) {
    let region = partition.and_then(|p| board::map::PARTITIONS.iter().find(|(n, _)| *n == p).map(|(_, r)| *r));
    let ops: Vec<String> = records
        .iter()
        .filter(|r| in_span(r, s))
        .filter_map(|r| match &r.event {
            Event::Flash { op: o, addr, len } if op.is_none_or(|w| w == *o) && region.is_none_or(|g| g.contains(*addr)) => {
                Some(format!("[{} {o:?} {addr:#010x} +{len}]", stamp(r.t_us)).to_lowercase())
            }
            _ => None,
        })
        .collect();
    let n = ops.len() as u32;
    let ok = match (count, never) {
        (Some(c), _) => n == c,
        (None, true) => n == 0,
        (None, false) => n > 0,
    };
    (ok, format!("{n} matching operation(s) {}: {}", window_text(s), list(&ops, "none")))
}

fn boots(count: Option<u32>, causes: Option<&[trace::BootCause]>, s: Span, records: &[Record]) -> (bool, String) {
    let seen: Vec<(u64, trace::BootCause, &str)> = records.iter().filter(|r| in_span(r, s)).filter_map(|r| match &r.event {
        Event::Boot { cause, image } => Some((r.t_us, *cause, image.as_str())),
        _ => None,
    }).collect();
    let ok = count.is_none_or(|c| seen.len() == c as usize) && causes.is_none_or(|c| seen.iter().map(|b| b.1).eq(c.iter().copied()));
    let shown: Vec<String> = seen.iter().map(|(t, c, i)| format!("[{} {c:?} {i}]", stamp(*t))).collect();
    (ok, format!("{} boot(s) {}: {}", seen.len(), window_text(s), list(&shown, "none")))
}

fn runs(reason: Option<trace::RunReason>, count: Option<u32>, due: &(Option<TimeRef>, Option<TimeRef>), s: Span, never: bool, run: &Run) -> (bool, String) {
    let bound = |r: &Option<TimeRef>, default: u64| match r {
        None => Ok(default),
        Some(TimeRef::Abs(t)) => Ok(*t),
        Some(TimeRef::Mark { mark, plus_us }) => run.marks.get(mark).map(|t| t + plus_us).ok_or_else(|| format!("the step marked `{mark}` never happened")),
    };
    let (lo, hi) = match (bound(&due.0, 0), bound(&due.1, u64::MAX)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(m), _) | (_, Err(m)) => return (false, m),
    };
    let all: Vec<(u64, trace::RunReason, u64)> = run.records.iter().filter(|r| in_span(r, s)).filter_map(|r| match &r.event {
        Event::Run { reason, due_us } => Some((r.t_us, *reason, *due_us)),
        _ => None,
    }).collect();
    let matching = all.iter().filter(|(_, r, d)| reason.is_none_or(|w| w == *r) && (lo..=hi).contains(d)).count();
    let ok = if never { matching == 0 } else { count.map_or(matching >= 1, |c| matching == c as usize) };
    let shown: Vec<String> = all.iter().map(|(t, r, d)| format!("[{} {} due {}]", stamp(*t), r.name(), stamp(*d))).collect();
    (ok, format!("{matching} matching, runs {}: {}", window_text(s), list(&shown, "none")))
}

pub mod net;
#[cfg(test)]
mod tests;
