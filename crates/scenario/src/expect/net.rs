//! Checks on what the built-in lab saw: `serve` records (file requests),
//! `dhcp` records (the phone's DHCP messages and their options) and the
//! ordered list of requested paths.
//!
//! Guarantees: pure; a failure lists what the window held (served paths
//! with status, DHCP messages with the option asked about), so it can be
//! read without the trace.

use super::{SHOW, Span, list, window_text};
use crate::format::{Matcher, OptionValue};
use crate::netspec::show_bytes;
use crate::time::stamp;
use trace::{Event, Record};

/// Hex text (`0a1B`, blanks and `:` ignored, an optional `0x`) → bytes.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    let digits: Vec<u8> = s.strip_prefix("0x").unwrap_or(s).bytes().filter(|c| !matches!(c, b' ' | b':')).collect();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits.chunks(2).map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok()).collect()
}

/// ` on VLAN 4` / ` untagged` for an expected VLAN (0 = untagged).
pub(super) fn on_vlan(v: Option<u16>) -> String {
    match v {
        None => String::new(),
        Some(0) => " untagged".into(),
        Some(n) => format!(" on VLAN {n}"),
    }
}

/// `@4` / `@untagged` for a seen VLAN.
fn at_vlan(v: Option<u16>) -> String {
    v.map_or("@untagged".into(), |n| format!("@{n}"))
}

/// Whether a record's VLAN is the expected one (`None`: any; 0: untagged).
fn vlan_ok(want: Option<u16>, seen: Option<u16>) -> bool {
    want.is_none_or(|w| w == seen.unwrap_or(0))
}

/// The serve records in the span: `(time, proto, path, status, vlan)`.
fn served(records: &[Record], s: Span) -> Vec<(u64, &str, &str, u16, Option<u16>)> {
    records
        .iter()
        .filter(|r| super::in_span(r, s))
        .filter_map(|r| match &r.event {
            Event::Serve { proto, path, status, vlan, .. } => Some((r.t_us, proto.as_str(), path.as_str(), *status, *vlan)),
            _ => None,
        })
        .collect()
}

fn show_served(v: &[(u64, &str, &str, u16, Option<u16>)]) -> Vec<String> {
    v.iter().map(|(t, proto, path, status, vlan)| format!("[{} {proto} {path} {status}{}]", stamp(*t), vlan.map_or(String::new(), |n| format!(" vlan {n}")))).collect()
}

#[allow(clippy::too_many_arguments)]
pub(super) fn serve(path: &Matcher, proto: Option<&str>, status: Option<u16>, count: Option<u32>, vlan: Option<u16>, s: Span, never: bool, records: &[Record]) -> (bool, String) {
    let all = served(records, s);
    let n = all.iter().filter(|(_, p, pa, st, v)| path.matches(pa) && proto.is_none_or(|w| w == *p) && status.is_none_or(|w| w == *st) && vlan_ok(vlan, *v)).count() as u32;
    let ok = match (count, never) {
        (Some(c), _) => n == c,
        (None, true) => n == 0,
        (None, false) => n > 0,
    };
    (ok, format!("{n} matching request(s) {}; served there: {}", window_text(s), list(&show_served(&all), "nothing")))
}

/// One DHCP message: `(time, msg, the asked option's value if present, vlan)`.
type Seen<'a> = (u64, &'a str, Option<Vec<u8>>, Option<u16>);

pub(super) fn dhcp(msg: Option<&str>, option: Option<&(u8, Option<OptionValue>)>, vlan: Option<u16>, s: Span, never: bool, records: &[Record]) -> (bool, String) {
    let code = option.map(|(c, _)| c.to_string());
    let seen: Vec<Seen> = records
        .iter()
        .filter(|r| super::in_span(r, s))
        .filter_map(|r| match &r.event {
            Event::Dhcp { msg, options, vlan } => Some((r.t_us, msg.as_str(), code.as_ref().and_then(|c| options.get(c)).map(|h| unhex(h).unwrap_or_default()), *vlan)),
            _ => None,
        })
        .collect();
    let ok_one = |(_, m, v, seen_vlan): &Seen| {
        msg.is_none_or(|w| w == *m)
            && vlan_ok(vlan, *seen_vlan)
            && match option {
                None => true,
                Some((_, want)) => match (v, want) {
                    (None, _) => false,
                    (Some(_), None) => true,
                    (Some(v), Some(OptionValue::Equals(w))) => v == w,
                    (Some(v), Some(OptionValue::Contains(w))) => w.is_empty() || v.windows(w.len()).any(|x| x == w.as_slice()),
                },
            }
    };
    let hit = seen.iter().find(|x| ok_one(x));
    let shown: Vec<String> = seen
        .iter()
        .map(|(t, m, v, sv)| {
            let m = if vlan.is_some() { format!("{m}{}", at_vlan(*sv)) } else { m.to_string() };
            match (option, v) {
                (None, _) => format!("[{} {m}]", stamp(*t)),
                (Some((c, _)), None) => format!("[{} {m}, no option {c}]", stamp(*t)),
                (Some((c, _)), Some(v)) => format!("[{} {m}, option {c} {}]", stamp(*t), show_bytes(v)),
            }
        })
        .collect();
    match (hit, never) {
        (Some((t, m, _, _)), true) => (false, format!("the phone sent a matching {m} at {}", stamp(*t))),
        (None, false) => (false, format!("no matching DHCP message {}; the phone sent: {}", window_text(s), list(&shown, "none"))),
        _ => (true, String::new()),
    }
}

/// What besides served paths the request list holds.
#[derive(Clone, Copy)]
pub(super) struct Entries {
    pub boots: bool,
    pub dhcp: bool,
    pub vlans: bool,
}

pub(super) fn requests(want: &[String], e: Entries, s: Span, records: &[Record]) -> (bool, String) {
    let tag = |name: &str, v: Option<u16>| if e.vlans { format!("{name}{}", at_vlan(v)) } else { name.to_string() };
    let got: Vec<(u64, String)> = records
        .iter()
        .filter(|r| super::in_span(r, s))
        .filter_map(|r| match &r.event {
            Event::Serve { path, vlan, .. } => Some((r.t_us, tag(path, *vlan))),
            Event::Dhcp { msg, vlan, .. } if e.dhcp => Some((r.t_us, tag(msg, *vlan))),
            Event::Boot { .. } if e.boots => Some((r.t_us, "boot".to_string())),
            _ => None,
        })
        .collect();
    let paths: Vec<&str> = got.iter().map(|(_, p)| p.as_str()).collect();
    if paths.iter().copied().eq(want.iter().map(String::as_str)) {
        return (true, String::new());
    }
    let at = paths.iter().zip(want).position(|(g, w)| *g != w).unwrap_or(paths.len().min(want.len()));
    let differs = match (paths.get(at), want.get(at)) {
        (Some(g), Some(w)) => format!("entry {} is {g:?} at {}, expected {w:?}", at + 1, stamp(got[at].0)),
        (Some(g), None) => format!("{} more than expected, from entry {} {g:?} at {}", paths.len() - want.len(), at + 1, stamp(got[at].0)),
        (None, Some(w)) => format!("{} fewer than expected, the first missing is entry {} {w:?}", want.len() - paths.len(), at + 1),
        (None, None) => unreachable!("equal lists returned early"),
    };
    // Show the actual list from a little before the first difference.
    let from = at.saturating_sub(2);
    let tail: Vec<String> = got[from..].iter().take(SHOW).map(|(t, p)| format!("[{} {p}]", stamp(*t))).collect();
    let more = got.len().saturating_sub(from + SHOW);
    (false, format!("{} request(s) {}: {differs}; from entry {}: {}{}", paths.len(), window_text(s), from + 1, tail.join(" "), if more > 0 { format!(" … {more} more") } else { String::new() }))
}

#[cfg(test)]
mod tests {
    use super::unhex;

    #[test]
    fn hex_forms() {
        assert_eq!(unhex("3031"), Some(vec![0x30, 0x31]));
        assert_eq!(unhex("0x0A:1b ff"), Some(vec![0x0a, 0x1b, 0xff]));
        assert_eq!(unhex(""), Some(vec![]));
        assert_eq!(unhex("303"), None);
        assert_eq!(unhex("zz"), None);
        assert_eq!(unhex("é1"), None);
    }
}
