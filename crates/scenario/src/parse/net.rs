//! The network parts of a scenario file: `[phone.config]`, `[net]` and the
//! lab expectations (`serve`, `dhcp`, `requests`), TOML → `format` values.
//!
//! Guarantees: as `parse`: never panics; bad values come back as messages
//! the caller prefixes with file, line and table; a missing base, overlay or
//! lab file is an error here, not at run time.

use super::{RawText, RawWhen, matcher, window};
use crate::format::{Base, Mutate, Net, OptionValue, What, Window};
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::net::Ipv4Addr;
use std::path::{Component, Path, PathBuf};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNet {
    base: String,
    overlay: Option<String>,
    #[serde(default)]
    remove: Vec<String>,
    lab_file: Option<String>,
    #[serde(default)]
    dhcp_options: Vec<String>,
    dhcp_file: Option<String>,
    dhcp_siaddr: Option<String>,
    loss: Option<f64>,
    #[serde(default)]
    http_status: BTreeMap<String, u16>,
    #[serde(default)]
    mutate: Vec<toml::Spanned<RawMutate>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMutate {
    path: String,
    flip: Option<u64>,
    truncate: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServe {
    path: Option<String>,
    contains: Option<String>,
    regex: Option<String>,
    proto: Option<String>,
    status: Option<u16>,
    count: Option<u32>,
    vlan: Option<u16>,
    from: Option<String>,
    to: Option<String>,
    #[serde(default)]
    never: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDhcp {
    msg: Option<String>,
    option: Option<u8>,
    hex: Option<String>,
    text: Option<String>,
    contains_hex: Option<String>,
    contains_text: Option<String>,
    vlan: Option<u16>,
    from: Option<String>,
    to: Option<String>,
    #[serde(default)]
    never: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRequests {
    paths: Vec<String>,
    #[serde(default)]
    boots: bool,
    #[serde(default)]
    dhcp: bool,
    #[serde(default)]
    vlans: bool,
    from: Option<String>,
    to: Option<String>,
}

/// `[expect.requests]` is one table, or `[[expect.requests]]` several.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum OneOrMany {
    One(RawRequests),
    Many(Vec<RawRequests>),
}

impl OneOrMany {
    pub(super) fn into_vec(self) -> Vec<RawRequests> {
        match self {
            OneOrMany::One(r) => vec![r],
            OneOrMany::Many(v) => v,
        }
    }
}

/// The DHCP message names the lab gives.
const DHCP_MSGS: [&str; 6] = ["discover", "request", "decline", "release", "inform", "malformed"];

/// `[phone.config]` → sorted `(key, ISO-8859-1 bytes)`.
pub(super) fn config(raw: &BTreeMap<String, toml::Value>) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (k, v) in raw {
        let text = match v {
            toml::Value::String(t) => t.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => (if *b { "1" } else { "0" }).to_string(),
            _ => return Err(format!("phone.config `{k}`: a value is text, an integer or a boolean")),
        };
        let key = latin1(k).ok_or_else(|| format!("phone.config key `{k}`: not ISO-8859-1 text"))?;
        if !k.contains('.') || k.starts_with('.') || k.ends_with('.') || key.len() > flashstore::MAX_KEY {
            return Err(format!("phone.config key `{k}`: a key is `section.key`, at most {} bytes", flashstore::MAX_KEY));
        }
        // The store matches keys case-insensitively: two spellings would be one key.
        if !seen.insert(k.to_ascii_lowercase()) {
            return Err(format!("phone.config key `{k}` is given twice (keys are case-insensitive)"));
        }
        let value = latin1(&text).ok_or_else(|| format!("phone.config `{k}`: the value is not ISO-8859-1 text"))?;
        if value.len() > flashstore::MAX_VALUE {
            return Err(format!("phone.config `{k}`: the value is {} bytes, at most {}", value.len(), flashstore::MAX_VALUE));
        }
        out.push((k.clone(), value));
    }
    Ok(out)
}

/// The text as ISO-8859-1 bytes, if every character has one.
fn latin1(s: &str) -> Option<Vec<u8>> {
    s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
}

/// `[net]` → `Net`; `dir` is the scenario file's folder.
pub(super) fn net(r: &RawNet, dir: &Path, line_of: &dyn Fn(usize) -> usize) -> Result<Net, (Option<usize>, String)> {
    let whole = |m: String| (None, m);
    let base = match r.base.as_str() {
        "demo" => Base::Demo,
        d => Base::Dir(existing_dir(dir, "base", d).map_err(whole)?),
    };
    let overlay = r.overlay.as_deref().map(|d| existing_dir(dir, "overlay", d)).transpose().map_err(whole)?;
    let lab_file = match &r.lab_file {
        None => None,
        Some(f) => {
            let p = dir.join(f);
            if !p.is_file() {
                return Err(whole(format!("net.lab_file `{f}`: no such file ({})", p.display())));
            }
            Some(p)
        }
    };
    for p in &r.remove {
        inside(p).map_err(|m| whole(format!("net.remove `{p}`: {m}")))?;
    }
    for o in &r.dhcp_options {
        site::dhcp_option(o).map_err(|m| whole(format!("net.dhcp_options `{o}`: {m}")))?;
    }
    let dhcp_siaddr = r.dhcp_siaddr.as_deref().map(|s| s.parse::<Ipv4Addr>().map_err(|_| whole(format!("net.dhcp_siaddr `{s}`: not a dotted IPv4 address")))).transpose()?;
    if let Some(f) = &r.dhcp_file
        && f.len() > 127
    {
        return Err(whole(format!("net.dhcp_file is {} bytes; the BOOTP field holds 127 and a NUL", f.len())));
    }
    let loss = r.loss.unwrap_or(0.0);
    if !(0.0..=1.0).contains(&loss) {
        return Err(whole(format!("net.loss {loss}: a probability is 0..=1")));
    }
    for (p, s) in &r.http_status {
        if !p.starts_with('/') {
            return Err(whole(format!("net.http_status `{p}`: HTTP paths start with `/`")));
        }
        if !(100..=599).contains(s) {
            return Err(whole(format!("net.http_status `{p}` = {s}: an HTTP status is 100..=599")));
        }
    }
    let mut mutate = Vec::new();
    for (i, m) in r.mutate.iter().enumerate() {
        let line = line_of(m.span().start);
        let at = |msg: String| (Some(line), format!("net.mutate #{}: {msg}", i + 1));
        let raw = m.get_ref();
        inside(&raw.path).map_err(|e| at(format!("path `{}`: {e}", raw.path)))?;
        if raw.flip.is_none() && raw.truncate.is_none() {
            return Err(at("give `flip`, `truncate` or both".into()));
        }
        mutate.push(Mutate { line, path: raw.path.trim_start_matches('/').to_string(), flip: raw.flip, truncate: raw.truncate });
    }
    let remove = r.remove.iter().map(|p| p.trim_start_matches('/').to_string()).collect();
    Ok(Net { base, overlay, remove, lab_file, dhcp_options: r.dhcp_options.clone(), dhcp_file: r.dhcp_file.clone(), dhcp_siaddr, loss, http_status: r.http_status.clone(), mutate })
}

fn existing_dir(dir: &Path, key: &str, d: &str) -> Result<PathBuf, String> {
    let p = dir.join(d);
    match std::fs::metadata(&p) {
        Ok(m) if m.is_dir() => Ok(p),
        Ok(_) => Err(format!("net.{key} `{d}`: {} is not a directory", p.display())),
        Err(e) => Err(format!("net.{key} `{d}`: {}: {e}", p.display())),
    }
}

/// A path inside the served tree: relative (a leading `/` is allowed, as in
/// an HTTP path), no `..`, not empty.
pub(crate) fn inside(p: &str) -> Result<(), String> {
    let rel = Path::new(p.trim_start_matches('/'));
    if rel.as_os_str().is_empty() {
        return Err("empty path".into());
    }
    if rel.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir)) { Ok(()) } else { Err("must stay inside the served tree (no `..`)".into()) }
}

/// `vlan = N`: 0 (untagged) or a VLAN id 1..=4094.
fn vlan(v: Option<u16>) -> Result<Option<u16>, String> {
    match v {
        Some(n) if n > 4094 => Err(format!("`vlan` {n}: 0 (untagged) or a VLAN id 1..=4094")),
        v => Ok(v),
    }
}

pub(super) fn serve(r: &RawServe, marks: &HashSet<String>) -> Result<(What, Window, bool), String> {
    if r.never && r.count.is_some() {
        return Err("`never` and `count` exclude each other (`never` is `count = 0`)".into());
    }
    let path = matcher(&RawText { text: r.path.clone(), contains: r.contains.clone(), regex: r.regex.clone() }).map_err(|m| m.replace("`text`", "`path`"))?;
    if let Some(p) = &r.proto
        && p != "http"
        && p != "tftp"
    {
        return Err(format!("`proto` `{p}`: use `http` or `tftp`"));
    }
    let when = RawWhen { at: None, from: r.from.clone(), to: r.to.clone(), never: r.never };
    let vlan = vlan(r.vlan)?;
    Ok((What::Serve { path, proto: r.proto.clone(), status: r.status, count: r.count, vlan }, window(&when, marks, false)?, r.never))
}

pub(super) fn dhcp(r: &RawDhcp, marks: &HashSet<String>) -> Result<(What, Window, bool), String> {
    if let Some(m) = &r.msg
        && !DHCP_MSGS.contains(&m.as_str())
    {
        return Err(format!("`msg` `{m}`: one of {}", DHCP_MSGS.join(", ")));
    }
    let hex = |key: &str, h: &str| crate::expect::net::unhex(h).ok_or_else(|| format!("`{key}` `{h}`: not hex bytes"));
    let value = match (&r.hex, &r.text, &r.contains_hex, &r.contains_text) {
        (None, None, None, None) => None,
        (Some(h), None, None, None) => Some(OptionValue::Equals(hex("hex", h)?)),
        (None, Some(t), None, None) => Some(OptionValue::Equals(t.as_bytes().to_vec())),
        (None, None, Some(h), None) => Some(OptionValue::Contains(hex("contains_hex", h)?)),
        (None, None, None, Some(t)) => Some(OptionValue::Contains(t.as_bytes().to_vec())),
        _ => return Err("give only one of `hex`, `text`, `contains_hex`, `contains_text`".into()),
    };
    let option = match (r.option, value) {
        (None, None) => None,
        (None, Some(_)) => return Err("a value (`hex`, `text`, …) needs `option` (its code)".into()),
        (Some(0 | 255), _) => return Err("`option`: a DHCP option code is 1..=254".into()),
        (Some(c), v) => Some((c, v)),
    };
    let when = RawWhen { at: None, from: r.from.clone(), to: r.to.clone(), never: r.never };
    let vlan = vlan(r.vlan)?;
    Ok((What::Dhcp { msg: r.msg.clone(), option, vlan }, window(&when, marks, false)?, r.never))
}

pub(super) fn requests(r: &RawRequests, marks: &HashSet<String>) -> Result<(What, Window, bool), String> {
    if let Some(p) = r.paths.iter().find(|p| p.is_empty()) {
        return Err(format!("`paths`: an empty path {p:?}"));
    }
    let when = RawWhen { at: None, from: r.from.clone(), to: r.to.clone(), never: false };
    Ok((What::Requests { paths: r.paths.clone(), boots: r.boots, dhcp: r.dhcp, vlans: r.vlans }, window(&when, marks, false)?, false))
}
