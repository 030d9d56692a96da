//! TOML text → `Scenario` (the form is documented in `format`).
//!
//! Guarantees: never panics on any text; every error names the file and the
//! line (TOML syntax and unknown keys: the exact line; a bad value: the line
//! of its `[[step]]` / `[[expect.…]]` table or top-level key).

use crate::conformance;
use crate::format::{Action, Clock, Expect, Matcher, Notify, Phone, Scenario, Step, StepTime, TimeRef, What, Window, parse_mac};
use crate::script::{self, Input, Timed};
use crate::time;
use board::keys::Key;
use board::model::Model;
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use thiserror::Error;
use toml::Spanned;
use trace::{BootCause, FlashOp, RunReason};

#[derive(Debug, Error)]
pub enum LoadError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}:{line}: {msg}")]
    Parse { path: PathBuf, line: usize, msg: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    name: Option<String>,
    description: Option<String>,
    covers: Option<Spanned<Vec<String>>>,
    end: Option<Spanned<String>>,
    #[serde(default)]
    phone: Option<Spanned<RawPhone>>,
    #[serde(default)]
    step: Vec<Spanned<RawStep>>,
    #[serde(default)]
    expect: RawExpects,
    net: Option<Spanned<net::RawNet>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPhone {
    model: Option<String>,
    mac: Option<String>,
    seed: Option<u64>,
    clock: Option<RawClock>,
    flash: Option<String>,
    #[serde(default)]
    config: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum RawClock {
    Virtual,
    Real,
}

#[derive(Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
enum RawPower {
    On,
    Off,
    Cut,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum RawHook {
    #[serde(alias = "offhook")]
    Off,
    #[serde(alias = "onhook")]
    On,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStep {
    at: Option<String>,
    after: Option<String>,
    wait: Option<String>,
    mark: Option<String>,
    power: Option<RawPower>,
    press: Option<String>,
    hold: Option<String>,
    keys: Option<String>,
    hook: Option<RawHook>,
    during_flash: Option<u32>,
    flash_op: Option<FlashOp>,
    flash_partition: Option<String>,
    notify: Option<RawNotify>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawNotify {
    from: Option<RawFrom>,
    to: Option<String>,
    #[serde(default)]
    reboot: bool,
    count: Option<u32>,
    every: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawFrom {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRun {
    reason: Option<RunReason>,
    count: Option<u32>,
    from: Option<String>,
    to: Option<String>,
    due_from: Option<String>,
    due_to: Option<String>,
    #[serde(default)]
    never: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawExpects {
    #[serde(default)]
    lcd: Vec<Spanned<RawLcd>>,
    #[serde(default)]
    led: Vec<Spanned<RawLed>>,
    #[serde(default)]
    log: Vec<Spanned<RawLog>>,
    #[serde(default)]
    flash: Vec<Spanned<RawFlash>>,
    #[serde(default)]
    boots: Vec<Spanned<RawBoots>>,
    #[serde(default)]
    run: Vec<Spanned<RawRun>>,
    #[serde(default)]
    serve: Vec<Spanned<net::RawServe>>,
    #[serde(default)]
    dhcp: Vec<Spanned<net::RawDhcp>>,
    requests: Option<Spanned<net::OneOrMany>>,
}

/// Time keys shared by every expectation.
struct RawWhen {
    at: Option<String>,
    from: Option<String>,
    to: Option<String>,
    never: bool,
}

/// Text keys shared by LCD and log expectations.
struct RawText {
    text: Option<String>,
    contains: Option<String>,
    regex: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLcd {
    line: Option<u8>,
    text: Option<String>,
    contains: Option<String>,
    regex: Option<String>,
    at: Option<String>,
    from: Option<String>,
    to: Option<String>,
    #[serde(default)]
    never: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLed {
    led: Option<String>,
    color: Option<String>,
    mode: Option<String>,
    at: Option<String>,
    from: Option<String>,
    to: Option<String>,
    #[serde(default)]
    never: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    text: Option<String>,
    contains: Option<String>,
    regex: Option<String>,
    from: Option<String>,
    to: Option<String>,
    #[serde(default)]
    never: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFlash {
    op: Option<FlashOp>,
    partition: Option<String>,
    count: Option<u32>,
    from: Option<String>,
    to: Option<String>,
    #[serde(default)]
    never: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBoots {
    count: Option<u32>,
    causes: Option<Vec<BootCause>>,
    from: Option<String>,
    to: Option<String>,
}

/// Reads and parses a scenario file.
pub fn load(path: &Path) -> Result<Scenario, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io { path: path.to_path_buf(), source })?;
    parse(&text, path)
}

/// Parses scenario text; `path` names it in errors and anchors `phone.flash`.
pub fn parse(text: &str, path: &Path) -> Result<Scenario, LoadError> {
    let at_line = |line: usize, msg: String| LoadError::Parse { path: path.to_path_buf(), line, msg };
    let line_of = |offset: usize| text.get(..offset).map_or(1, |t| t.matches('\n').count() + 1);
    let raw: RawFile = toml::from_str(text).map_err(|e| at_line(e.span().map_or(1, |s| line_of(s.start)), e.message().trim().to_string()))?;

    let mut covers = Vec::new();
    let covers_line = raw.covers.as_ref().map_or(1, |c| line_of(c.span().start));
    for id in raw.covers.as_ref().map(|c| c.get_ref().as_slice()).unwrap_or_default() {
        if conformance::find(id).is_none() {
            return Err(at_line(covers_line, format!("unknown requirement ID `{id}` in `covers` (IDs are those of CONFORMANCE.md: D1-D7, P1-P5, I1-I6, F1-F12, L1-L3, T1-T4, V1-V5, E1-E2, R1, S1-S2)")));
        }
        if covers.contains(id) {
            return Err(at_line(covers_line, format!("`{id}` is listed twice in `covers`")));
        }
        covers.push(id.clone());
    }

    let phone = match &raw.phone {
        None => Phone::default(),
        Some(p) => phone(p.get_ref(), path).map_err(|m| at_line(line_of(p.span().start), m))?,
    };
    let config = match &raw.phone {
        None => Vec::new(),
        Some(p) => net::config(&p.get_ref().config).map_err(|m| at_line(line_of(p.span().start), m))?,
    };

    let mut marks: HashSet<String> = HashSet::new();
    let mut steps = Vec::new();
    for (i, s) in raw.step.iter().enumerate() {
        let line = line_of(s.span().start);
        let step = step(s.get_ref(), line, &marks).map_err(|m| at_line(line, format!("step {}: {m}", i + 1)))?;
        if let Some(m) = &step.mark
            && !marks.insert(m.clone()) {
                return Err(at_line(line, format!("step {}: mark `{m}` is defined twice", i + 1)));
            }
        steps.push(step);
    }

    let end = match &raw.end {
        None => None,
        Some(e) => Some(time_ref(e.get_ref(), &marks).map_err(|m| at_line(line_of(e.span().start), format!("`end`: {m}")))?),
    };

    let mut expects = Vec::new();
    let mut add = |kind: &str, n: usize, span: std::ops::Range<usize>, r: Result<(What, Window, bool), String>| -> Result<(), LoadError> {
        let line = line_of(span.start);
        let label = format!("{kind} #{}", n + 1);
        let (what, window, never) = r.map_err(|m| at_line(line, format!("expect.{label}: {m}")))?;
        expects.push(Expect { line, label, what, window, never });
        Ok(())
    };
    for (i, e) in raw.expect.lcd.iter().enumerate() {
        add("lcd", i, e.span(), lcd(e.get_ref(), &marks))?;
    }
    for (i, e) in raw.expect.led.iter().enumerate() {
        add("led", i, e.span(), led(e.get_ref(), &marks))?;
    }
    for (i, e) in raw.expect.log.iter().enumerate() {
        let r = e.get_ref();
        let when = RawWhen { at: None, from: r.from.clone(), to: r.to.clone(), never: r.never };
        let res = matcher(&RawText { text: r.text.clone(), contains: r.contains.clone(), regex: r.regex.clone() })
            .and_then(|text| Ok((What::Log { text }, window(&when, &marks, false)?, r.never)));
        add("log", i, e.span(), res)?;
    }
    for (i, e) in raw.expect.flash.iter().enumerate() {
        add("flash", i, e.span(), flash(e.get_ref(), &marks))?;
    }
    for (i, e) in raw.expect.boots.iter().enumerate() {
        add("boots", i, e.span(), boots(e.get_ref(), &marks))?;
    }
    for (i, e) in raw.expect.run.iter().enumerate() {
        add("run", i, e.span(), run(e.get_ref(), &marks))?;
    }
    for (i, e) in raw.expect.serve.iter().enumerate() {
        add("serve", i, e.span(), net::serve(e.get_ref(), &marks))?;
    }
    for (i, e) in raw.expect.dhcp.iter().enumerate() {
        add("dhcp", i, e.span(), net::dhcp(e.get_ref(), &marks))?;
    }
    if let Some(r) = raw.expect.requests {
        let span = r.span();
        for (i, e) in r.into_inner().into_vec().iter().enumerate() {
            add("requests", i, span.clone(), net::requests(e, &marks))?;
        }
    }

    let net = match &raw.net {
        None => None,
        Some(n) => {
            let dir = path.parent().unwrap_or(Path::new(""));
            let table = line_of(n.span().start);
            Some(net::net(n.get_ref(), dir, &line_of).map_err(|(line, m)| at_line(line.unwrap_or(table), m))?)
        }
    };

    // Report in file order, whatever the kind.
    expects.sort_by_key(|e| e.line);
    let name = raw.name.unwrap_or_else(|| path.file_stem().map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned()));
    Ok(Scenario { name, path: path.to_path_buf(), description: raw.description.unwrap_or_default(), covers, phone, config, steps, expects, end, net })
}

fn phone(p: &RawPhone, path: &Path) -> Result<Phone, String> {
    let mut out = Phone::default();
    if let Some(m) = &p.model {
        out.model = Model::parse(m).ok_or_else(|| format!("phone.model `{m}`: not one of ST2030S, ST2030M, ST2022S, ST2022M"))?;
    }
    if let Some(m) = &p.mac {
        out.mac = parse_mac(m).ok_or_else(|| format!("phone.mac `{m}`: expected six hex bytes like 00:90:96:A1:B1:C1"))?;
    }
    if let Some(s) = p.seed {
        out.seed = s;
    }
    if let Some(c) = p.clock {
        out.clock = match c {
            RawClock::Virtual => Clock::Virtual,
            RawClock::Real => Clock::Real,
        };
    }
    if let Some(f) = &p.flash {
        out.flash = Some(path.parent().unwrap_or(Path::new("")).join(f));
    }
    Ok(out)
}

fn step(s: &RawStep, line: usize, marks: &HashSet<String>) -> Result<Step, String> {
    let dur = |key: &str, v: &str| time::parse(v).map_err(|e| format!("`{key}`: {e}"));
    let time = match (&s.at, &s.after, &s.wait) {
        (None, None, None) => StepTime::After(0),
        (Some(a), None, None) => StepTime::At(time_ref(a, marks).map_err(|e| format!("`at`: {e}"))?),
        (None, Some(a), None) => StepTime::After(dur("after", a)?),
        (None, None, Some(w)) => StepTime::After(dur("wait", w)?),
        _ => return Err("give at most one of `at`, `after` and `wait`".into()),
    };
    let mut actions: Vec<Action> = Vec::new();
    if let Some(p) = s.power {
        actions.push(match (p, s.during_flash) {
            (RawPower::On, None) => Action::Inputs(vec![Timed { at_us: 0, input: Input::PowerOn }]),
            (RawPower::On, Some(_)) => return Err("`during_flash` goes with `power = \"cut\"`, not `on`".into()),
            (_, None) => Action::Inputs(vec![Timed { at_us: 0, input: Input::PowerCut }]),
            (_, Some(0)) => return Err("`during_flash` counts from 1".into()),
            (_, Some(nth)) => {
                let partition = match &s.flash_partition {
                    None => None,
                    Some(p) => Some(partition(p)?),
                };
                Action::CutDuringFlash { nth, op: s.flash_op, partition }
            }
        });
    }
    if (s.flash_op.is_some() || s.flash_partition.is_some()) && s.during_flash.is_none() {
        return Err("`flash_op` and `flash_partition` go with `during_flash`".into());
    }
    if s.during_flash.is_some() && s.power.is_none() {
        return Err("`during_flash` goes with `power = \"cut\"`".into());
    }
    if let Some(k) = &s.press {
        let key = Key::from_name(k).ok_or_else(|| format!("`press`: unknown key `{k}`"))?;
        let hold = match &s.hold {
            Some(h) => dur("hold", h)?,
            None => script::PRESS_US,
        };
        actions.push(Action::Inputs(vec![Timed { at_us: 0, input: Input::Key { key, down: true } }, Timed { at_us: hold, input: Input::Key { key, down: false } }]));
    } else if s.hold.is_some() {
        return Err("`hold` goes with `press`".into());
    }
    if let Some(k) = &s.keys {
        actions.push(Action::Inputs(script::parse(k).map_err(|e| format!("`keys`: {e}"))?));
    }
    if let Some(h) = s.hook {
        actions.push(Action::Inputs(vec![Timed { at_us: 0, input: Input::Hook { off_hook: matches!(h, RawHook::Off) } }]));
    }
    if let Some(n) = &s.notify {
        actions.push(Action::Notify(notify(n)?));
    }
    let action = match (actions.len(), &s.wait) {
        (0, Some(_)) => Action::Wait,
        (0, None) => return Err("no action: give one of `power`, `press`, `keys`, `hook`, `notify` (or `wait` to let time pass)".into()),
        (1, None) => actions.pop().expect("one action"),
        (1, Some(_)) => return Err("`wait` only lets time pass; use `after` to delay an action".into()),
        _ => return Err("more than one action: give one of `power`, `press`, `keys`, `hook`, `notify` per step".into()),
    };
    if let Some(m) = &s.mark
        && (m.is_empty() || !m.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')) {
            return Err(format!("mark `{m}`: use letters, digits, `_` and `-`"));
        }
    Ok(Step { line, time, mark: s.mark.clone(), action })
}

/// `2s` or `MARK+2s` (or a bare `MARK`).
fn time_ref(s: &str, marks: &HashSet<String>) -> Result<TimeRef, String> {
    let s = s.trim();
    let starts_like_time = s.starts_with(|c: char| c.is_ascii_digit() || c == '.');
    if starts_like_time {
        return time::parse(s).map(TimeRef::Abs).map_err(|e| e.to_string());
    }
    let (mark, plus) = match s.split_once('+') {
        Some((m, p)) => (m.trim(), time::parse(p).map_err(|e| e.to_string())?),
        None => (s, 0),
    };
    if !marks.contains(mark) {
        return Err(format!("`{s}`: no earlier step has mark `{mark}` (a time is `2s` or `MARK+2s`)"));
    }
    Ok(TimeRef::Mark { mark: mark.to_string(), plus_us: plus })
}

fn window(w: &RawWhen, marks: &HashSet<String>, state: bool) -> Result<Window, String> {
    let tr = |key: &str, v: &Option<String>| v.as_deref().map(|v| time_ref(v, marks).map_err(|e| format!("`{key}`: {e}"))).transpose();
    match (&w.at, &w.from, &w.to) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err("give `at`, or `from`/`to`, not both".into()),
        (Some(_), None, None) if !state => Err("`at` is for states (lcd, led); events need `from`/`to`".into()),
        (Some(_), None, None) if w.never => Err("`never` needs a window (`from`/`to`), not `at`".into()),
        (Some(a), None, None) => Ok(Window::At(tr("at", &Some(a.clone()))?.expect("given"))),
        (None, None, None) => Ok(Window::Run),
        (None, f, t) => {
            let (f, t) = (tr("from", f)?, tr("to", t)?);
            if let (Some(TimeRef::Abs(a)), Some(TimeRef::Abs(b))) = (&f, &t)
                && a > b {
                    return Err(format!("`from` ({}) is after `to` ({})", time::format(*a), time::format(*b)));
                }
            Ok(Window::Between(f, t))
        }
    }
}

fn matcher(t: &RawText) -> Result<Matcher, String> {
    match (&t.text, &t.contains, &t.regex) {
        (Some(s), None, None) => Ok(Matcher::Exact(s.clone())),
        (None, Some(s), None) => Ok(Matcher::Contains(s.clone())),
        (None, None, Some(r)) => regex::Regex::new(r).map(Matcher::Regex).map_err(|e| format!("`regex`: {e}")),
        (None, None, None) => Err("give one of `text`, `contains`, `regex`".into()),
        _ => Err("give only one of `text`, `contains`, `regex`".into()),
    }
}

fn lcd(r: &RawLcd, marks: &HashSet<String>) -> Result<(What, Window, bool), String> {
    if let Some(l) = r.line
        && !(1..=6).contains(&l) {
            return Err(format!("`line` {l}: the LCD has lines 1 to 6"));
        }
    let text = matcher(&RawText { text: r.text.clone(), contains: r.contains.clone(), regex: r.regex.clone() })?;
    let when = RawWhen { at: r.at.clone(), from: r.from.clone(), to: r.to.clone(), never: r.never };
    Ok((What::Lcd { line: r.line, text }, window(&when, marks, true)?, r.never))
}

fn led(r: &RawLed, marks: &HashSet<String>) -> Result<(What, Window, bool), String> {
    let led = r.led.clone().unwrap_or_else(|| "system".into());
    let ok = led == "system" || led.strip_prefix("line").is_some_and(|n| matches!(n, "1" | "2" | "3" | "4" | "5" | "6"));
    if !ok {
        return Err(format!("`led` `{led}`: use `system` or `line1`..`line6`"));
    }
    if r.color.is_none() && r.mode.is_none() {
        return Err("give `color`, `mode` or both".into());
    }
    let when = RawWhen { at: r.at.clone(), from: r.from.clone(), to: r.to.clone(), never: r.never };
    Ok((What::Led { led, color: r.color.clone(), mode: r.mode.clone() }, window(&when, marks, true)?, r.never))
}

fn flash(r: &RawFlash, marks: &HashSet<String>) -> Result<(What, Window, bool), String> {
    if r.never && r.count.is_some() {
        return Err("`never` and `count` exclude each other (`never` is `count = 0`)".into());
    }
    let partition = r.partition.as_deref().map(partition).transpose()?;
    let when = RawWhen { at: None, from: r.from.clone(), to: r.to.clone(), never: r.never };
    Ok((What::Flash { op: r.op, partition, count: r.count }, window(&when, marks, false)?, r.never))
}

fn boots(r: &RawBoots, marks: &HashSet<String>) -> Result<(What, Window, bool), String> {
    if r.count.is_none() && r.causes.is_none() {
        return Err("give `count`, `causes` or both".into());
    }
    if let (Some(n), Some(c)) = (r.count, &r.causes)
        && n as usize != c.len() {
            return Err(format!("`count` = {n} but `causes` lists {}", c.len()));
        }
    let when = RawWhen { at: None, from: r.from.clone(), to: r.to.clone(), never: false };
    Ok((What::Boots { count: r.count, causes: r.causes.clone() }, window(&when, marks, false)?, false))
}

fn notify(n: &RawNotify) -> Result<Notify, String> {
    let ip = |key: &str, v: &Option<String>| v.as_deref().map(|v| v.trim().parse::<std::net::Ipv4Addr>().map_err(|_| format!("`notify.{key}` `{v}`: not an IPv4 address"))).transpose();
    let count = n.count.unwrap_or(1);
    if count == 0 {
        return Err("`notify.count` is at least 1".into());
    }
    let every_us = match &n.every {
        Some(e) => time::parse(e).map_err(|e| format!("`notify.every`: {e}"))?,
        None if count > 1 => return Err("`notify.count` > 1 needs `every`".into()),
        None => 0,
    };
    let from = match &n.from {
        None => Vec::new(),
        Some(RawFrom::One(f)) => vec![ip("from", &Some(f.clone()))?.expect("given")],
        Some(RawFrom::Many(fs)) if fs.is_empty() => return Err("`notify.from`: an empty list".into()),
        Some(RawFrom::Many(fs)) => fs.iter().map(|f| ip("from", &Some(f.clone())).map(|o| o.expect("given"))).collect::<Result<_, _>>()?,
    };
    Ok(Notify { from, to: ip("to", &n.to)?, reboot: n.reboot, count, every_us })
}

fn run(r: &RawRun, marks: &HashSet<String>) -> Result<(What, Window, bool), String> {
    if r.never && r.count.is_some() {
        return Err("`never` and `count` exclude each other (`never` is `count = 0`)".into());
    }
    let tr = |key: &str, v: &Option<String>| v.as_deref().map(|v| time_ref(v, marks).map_err(|e| format!("`{key}`: {e}"))).transpose();
    let due = (tr("due_from", &r.due_from)?, tr("due_to", &r.due_to)?);
    let when = RawWhen { at: None, from: r.from.clone(), to: r.to.clone(), never: r.never };
    Ok((What::Run { reason: r.reason, count: r.count, due }, window(&when, marks, false)?, r.never))
}

/// A flash partition name of `board::map::PARTITIONS`.
fn partition(name: &str) -> Result<&'static str, String> {
    board::map::PARTITIONS.iter().map(|(n, _)| *n).find(|n| *n == name).ok_or_else(|| {
        let names: Vec<&str> = board::map::PARTITIONS.iter().map(|(n, _)| *n).collect();
        format!("unknown flash partition `{name}` (partitions: {})", names.join(", "))
    })
}

mod net;
#[cfg(test)]
mod tests;
