//! The event trace: every observation of a phone (LCD line changed, LED
//! changed, boot, flash operation, console line, crash, …) with its emulated
//! time. Scenarios assert on it, front ends draw from it, `--trace` writes it
//! as JSON lines.
//!
//! The JSON form is a public interface (documented in the README): one object
//! per line, `{"t_us":…,"phone":"009096A1B1C1","ev":"lcd",…fields}`, keys in a
//! fixed order so that equal traces are equal bytes.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// One trace record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Emulated microseconds since the run began.
    pub t_us: u64,
    /// The phone's MAC as 12 upper-case hex digits.
    pub phone: String,
    #[serde(flatten)]
    pub event: Event,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "ev", rename_all = "snake_case")]
pub enum Event {
    /// Power applied or removed (a power cut is `off`).
    Power { state: PowerState },
    /// The firmware started: why, and which image (its version text).
    Boot { cause: BootCause, image: String },
    /// An LCD line (1..=6) now shows `text` (trailing blanks trimmed).
    Lcd { line: u8, text: String },
    /// The LCD backlight or icons changed.
    LcdState { backlight: bool, icons: Vec<String> },
    /// An LED changed: `system` or `line1`..`line6`.
    Led { led: String, color: String, mode: String },
    /// A key went down or up, or the hook switch moved (`key` = `hook`,
    /// `down` = off-hook).
    Key { key: String, down: bool },
    /// A flash operation started.
    Flash { op: FlashOp, addr: u32, len: u32 },
    /// A console line.
    Log { text: String },
    /// The firmware crashed: where and why.
    Crash { pc: u32, reason: String },
    /// A DHCP message the phone sent, seen by a lab server: `msg` is the
    /// message type (`discover`, `request`, …), `options` every option the
    /// phone sent, decimal code → value bytes as lower-case hex (keys sort as
    /// text; flattened records cannot carry integer map keys through serde).
    Dhcp {
        msg: String,
        options: BTreeMap<String, String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        vlan: Option<u16>,
    },
    /// A lab server answered a file request. `status` is the HTTP status
    /// code, or for TFTP 0 when the file was sent and else the TFTP error code.
    Serve {
        proto: String,
        server: String,
        path: String,
        status: u16,
        bytes: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_agent: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        vlan: Option<u16>,
    },
    /// A provisioning run started: why, and the emulated time it was due
    /// (earlier than `t_us` when it waited for the phone to be idle).
    Run { reason: RunReason, due_us: u64 },
    /// An Ethernet frame on the phone's port (only with `--trace-frames`):
    /// `dir` is `tx` (sent by the phone) or `rx`, `hex` the whole frame.
    Frame { dir: String, len: u32, hex: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PowerState {
    On,
    Off,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BootCause {
    PowerOn,
    Software,
    Watchdog,
}

/// Why a provisioning run started (CONFORMANCE T1, T2, T4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunReason {
    PowerUp,
    Periodic,
    Notify,
    NotifyReboot,
}

impl RunReason {
    /// The JSON name (`power_up`, …).
    pub fn name(self) -> &'static str {
        match self {
            RunReason::PowerUp => "power_up",
            RunReason::Periodic => "periodic",
            RunReason::Notify => "notify",
            RunReason::NotifyReboot => "notify_reboot",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlashOp {
    Erase,
    Program,
}

/// Formats a MAC as the trace's phone id: 12 upper-case hex digits.
pub fn phone_id(mac: [u8; 6]) -> String {
    mac.iter().map(|b| format!("{b:02X}")).collect()
}

impl Record {
    /// The record as one JSON line (without the newline).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("trace records always serialize")
    }

    /// Parses one JSON line.
    pub fn from_json(line: &str) -> Result<Record, serde_json::Error> {
        serde_json::from_str(line)
    }

    /// A one-line human rendering, for headless runs.
    pub fn human(&self) -> String {
        let t = self.t_us as f64 / 1e6;
        let what = match &self.event {
            Event::Power { state } => format!("power {}", if *state == PowerState::On { "on" } else { "off" }),
            Event::Boot { cause, image } => format!("boot ({cause:?}) firmware {image}"),
            Event::Lcd { line, text } => format!("LCD {line} |{text:<24}|"),
            Event::LcdState { backlight, icons } => {
                format!("LCD backlight {} icons [{}]", if *backlight { "on" } else { "off" }, icons.join(","))
            }
            Event::Led { led, color, mode } => format!("LED {led} {color} {mode}"),
            Event::Key { key, down } => format!("key {key} {}", if *down { "down" } else { "up" }),
            Event::Flash { op, addr, len } => format!("flash {op:?} {addr:#010x} +{len}"),
            Event::Log { text } => format!("log {text}"),
            Event::Crash { pc, reason } => format!("CRASH at pc {pc:#010x}: {reason}"),
            Event::Dhcp { msg, options, vlan } => {
                let codes: Vec<&str> = options.keys().map(String::as_str).collect();
                format!("DHCP {msg}{} options [{}]", vlan_text(*vlan), codes.join(","))
            }
            Event::Serve { proto, server, path, status, bytes, user_agent, vlan } => format!(
                "{} {server} {path} -> {status} ({bytes} bytes){}{}",
                proto.to_uppercase(),
                vlan_text(*vlan),
                user_agent.as_ref().map(|u| format!(" UA \"{u}\"")).unwrap_or_default()
            ),
            Event::Frame { dir, len, .. } => format!("frame {dir} {len} bytes"),
            Event::Run { reason, due_us } => format!("run {} (due {:.6}s)", reason.name(), *due_us as f64 / 1e6),
        };
        format!("{t:>12.6}s {} {what}", self.phone)
    }
}

fn vlan_text(vlan: Option<u16>) -> String {
    vlan.map(|v| format!(" vlan {v}")).unwrap_or_default()
}

/// Writes records as JSON lines.
pub struct JsonLines<W: Write> {
    out: W,
}

impl<W: Write> JsonLines<W> {
    pub fn new(out: W) -> Self {
        JsonLines { out }
    }
    pub fn write(&mut self, r: &Record) -> io::Result<()> {
        self.out.write_all(r.to_json().as_bytes())?;
        self.out.write_all(b"\n")
    }
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
    pub fn into_inner(self) -> W {
        self.out
    }
}

/// Reads a JSON-lines trace; blank lines are skipped.
pub fn read_json_lines(text: &str) -> Result<Vec<Record>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| Record::from_json(l).map_err(|e| format!("trace line {}: {e}", i + 1)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_form_is_flat_and_ordered() {
        let r = Record { t_us: 1500, phone: phone_id([0x00, 0x90, 0x96, 0xA1, 0xB1, 0xC1]), event: Event::Lcd { line: 3, text: "Provisioning...".into() } };
        assert_eq!(r.to_json(), r#"{"t_us":1500,"phone":"009096A1B1C1","ev":"lcd","line":3,"text":"Provisioning..."}"#);
        assert_eq!(Record::from_json(&r.to_json()).unwrap(), r);
    }

    #[test]
    fn every_event_kind_roundtrips() {
        let evs = vec![
            Event::Power { state: PowerState::On },
            Event::Boot { cause: BootCause::Watchdog, image: "2.74".into() },
            Event::Led { led: "system".into(), color: "red".into(), mode: "fast_blink".into() },
            Event::Key { key: "hook".into(), down: true },
            Event::Flash { op: FlashOp::Erase, addr: 0x0820_0000, len: 65536 },
            Event::Log { text: "Begin Common Config download...".into() },
            Event::Crash { pc: 0x0C00_0123, reason: "udf".into() },
            Event::LcdState { backlight: true, icons: vec!["network".into()] },
            Event::Dhcp { msg: "discover".into(), options: BTreeMap::from([("53".into(), "01".into()), ("77".into(), "54686f6d736f6e".into())]), vlan: None },
            Event::Serve { proto: "http".into(), server: "10.0.0.1".into(), path: "/ST2030S.inf".into(), status: 200, bytes: 120, user_agent: Some("THOMSON ST2030 hw5 fw2.74 00-90-96-A1-B1-C1".into()), vlan: Some(100) },
            Event::Frame { dir: "tx".into(), len: 2, hex: "ffff".into() },
            Event::Run { reason: RunReason::NotifyReboot, due_us: 12 },
        ];
        for e in evs {
            let r = Record { t_us: 7, phone: "000000000000".into(), event: e };
            assert_eq!(Record::from_json(&r.to_json()).unwrap(), r);
        }
        let j = Record { t_us: 0, phone: "A".into(), event: Event::Boot { cause: BootCause::PowerOn, image: "2.74".into() } }.to_json();
        assert!(j.contains(r#""ev":"boot","cause":"power_on","image":"2.74""#), "{j}");
        let r = Record { t_us: 5, phone: "A".into(), event: Event::Run { reason: RunReason::PowerUp, due_us: 3 } }.to_json();
        assert_eq!(r, r#"{"t_us":5,"phone":"A","ev":"run","reason":"power_up","due_us":3}"#);
    }

    #[test]
    fn bad_lines_are_reported_with_their_number() {
        let err = read_json_lines("\n{\"t_us\":1}\n").unwrap_err();
        assert!(err.starts_with("trace line 2:"), "{err}");
    }
}
