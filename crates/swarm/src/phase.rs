//! Phase detection: folds one phone's trace records, as they come, into its
//! phase timings and its outcome, so no trace is kept. This is the one place
//! that knows what the firmware prints; adjust it here when the firmware's
//! wording changes.
//!
//! What is keyed on what (console lines may carry an `aps: ` prefix):
//! - `dhcp`: the lab's first `dhcp` DISCOVER record (on a TAP, where no lab
//!   sees it, the first DISCOVER the phone sent since its last boot, else
//!   that `boot` record) → the console line `dhcp: lease …`. Every DISCOVER
//!   the lab sees after the first is a retry.
//! - `inf`: `dhcp: lease …` → `… INF found …`. Every `fetch: …` line without
//!   a byte count while it is open is a retry.
//! - `file:<Title>`: `Begin <Title> download...` → the next line starting
//!   `<Tag>: ` (downloaded, the same, checked) or `Error: <Tag>: ` (failed);
//!   titles and tags come from `aps::run::FileKind`.
//! - `fw_write`: `Firmware: … download successfully!` → `Upgrading Firmware
//!   successfully!` (or `Error: writing Firmware …`).
//! - `reboot`: `Reboot to …` → the next `boot` record.
//! - `run`: the first `power on` → the decision.
//! - Provisioned: `Auto provisioning done…`. Failed: `Auto provisioning
//!   failed: <LCD text> …`, an L2 error text (`aps::lcd::Message`) on LCD
//!   line 3, or a crash. Neither by the end of the run: unfinished.
//! - With the goal [`Goal::Lease`] the first `dhcp: lease …` line decides the
//!   phone `leased` (no `inf` phase opens): the phone is done.
//! - The first DHCP DISCOVER the phone itself sent (its frames, so also on a
//!   TAP): [`Tracker::sent`].
//!
//! Guarantees: never panics on any record or order; a phone is decided once
//! (the first decision stands); spans are closed with `end ≥ start`.

use crate::config::Goal;
use aps::lcd::Message;
use aps::run::FileKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use trace::{Event, PowerState, Record};


/// How a phone's run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Provisioned,
    /// Got its first lease, the goal of `--until lease`.
    Leased,
    Failed,
    /// Neither reached its goal nor failed when the run stopped.
    Unfinished,
}

impl Outcome {
    /// Whether this is a goal reached (provisioned, or leased with `--until lease`).
    pub fn reached(self) -> bool {
        matches!(self, Outcome::Provisioned | Outcome::Leased)
    }
}

/// Where a phone is now, for the live progress line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// Not powered on yet (waiting for the ramp).
    Off,
    Booted,
    Dhcp,
    Fetching,
    Rebooting,
    Provisioned,
    Leased,
    Failed,
}

/// One completed (or abandoned) phase of one phone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub phase: String,
    pub start_us: u64,
    pub end_us: u64,
    /// False when the phase failed or was still open when the phone was
    /// decided or the run stopped.
    pub ok: bool,
}

/// What the swarm keeps of one phone.
#[derive(Clone, Debug, Default)]
pub struct Tracker {
    goal: Goal,
    power_on: Option<u64>,
    last_boot: Option<u64>,
    /// The first DISCOVER the phone sent since its last boot.
    discover_since_boot: Option<u64>,
    open: Vec<(String, u64)>,
    pub spans: Vec<Span>,
    decided: Option<(Outcome, u64)>,
    /// The LCD error text (or `crash: …`) of a failed phone.
    pub error: Option<String>,
    /// Retries per phase name.
    pub retries: BTreeMap<String, u32>,
    rebooting: bool,
    /// HTTP/TFTP requests the lab answered for this phone, and their bytes.
    pub requests: u32,
    pub bytes: u64,
    /// Files the phone itself says it fetched whole (`fetch: … N bytes`):
    /// the request count seen from the phone's side, also against a real server.
    pub fetched: u32,
    /// When the phone sent its first DHCP DISCOVER.
    pub first_discover: Option<u64>,
}

/// The L2 error message shown as `text` on LCD line 3, if it is one.
fn lcd_error(text: &str) -> Option<&'static str> {
    Message::ALL.iter().find(|m| m.is_error() && m.line() == 3 && m.text() == text).map(|m| m.text())
}

/// Whether a firmware log line is a lease (`dhcp: lease …`).
pub fn is_lease_line(line: &str) -> bool {
    line.starts_with("dhcp: lease")
}

impl Tracker {
    pub fn new() -> Tracker {
        Tracker::default()
    }

    /// A tracker whose phone is done at `goal`.
    pub fn with_goal(goal: Goal) -> Tracker {
        Tracker { goal, ..Tracker::default() }
    }

    /// Whether the phone reached its goal (it is done).
    pub fn reached(&self) -> bool {
        self.decided.is_some_and(|(o, _)| o.reached())
    }

    /// The phone sent `frame` at `t`: the first DHCP DISCOVER is remembered.
    pub fn sent(&mut self, t: u64, frame: &[u8]) {
        if crate::dhcpframe::is_discover(frame) {
            self.first_discover.get_or_insert(t);
            self.discover_since_boot.get_or_insert(t);
        }
    }

    pub fn outcome(&self) -> Option<(Outcome, u64)> {
        self.decided
    }

    pub fn is_decided(&self) -> bool {
        self.decided.is_some()
    }

    /// Whether a reboot phase is still open (the phone is between a `Reboot
    /// to …` line and its next boot).
    pub fn rebooting(&self) -> bool {
        self.rebooting
    }

    pub fn stage(&self) -> Stage {
        match self.decided {
            Some((Outcome::Provisioned, _)) => Stage::Provisioned,
            Some((Outcome::Leased, _)) => Stage::Leased,
            Some(_) => Stage::Failed,
            None if self.power_on.is_none() => Stage::Off,
            None if self.rebooting => Stage::Rebooting,
            None if self.is_open("inf") || self.open.iter().any(|(p, _)| p.starts_with("file:") || p == "fw_write") => Stage::Fetching,
            None if self.is_open("dhcp") => Stage::Dhcp,
            None if self.spans.iter().any(|s| s.phase == "dhcp" && s.ok) => Stage::Fetching,
            None => Stage::Booted,
        }
    }

    fn is_open(&self, phase: &str) -> bool {
        self.open.iter().any(|(p, _)| p == phase)
    }

    fn open(&mut self, phase: &str, t: u64) {
        if !self.is_open(phase) {
            self.open.push((phase.to_string(), t));
        }
    }

    /// Closes `phase` if open; returns whether it was.
    fn close(&mut self, phase: &str, t: u64, ok: bool) -> bool {
        let Some(i) = self.open.iter().position(|(p, _)| p == phase) else { return false };
        let (phase, start) = self.open.remove(i);
        self.spans.push(Span { phase, start_us: start, end_us: t.max(start), ok });
        true
    }

    fn retry(&mut self, phase: &str) {
        *self.retries.entry(phase.to_string()).or_default() += 1;
    }

    fn decide(&mut self, outcome: Outcome, t: u64, error: Option<String>) {
        if self.decided.is_some() {
            return;
        }
        self.decided = Some((outcome, t));
        if !outcome.reached() {
            self.error = error;
            for (phase, start) in std::mem::take(&mut self.open) {
                self.spans.push(Span { phase, start_us: start, end_us: t.max(start), ok: false });
            }
            self.rebooting = false;
        }
        let start = self.power_on.unwrap_or(t);
        self.spans.push(Span { phase: "run".into(), start_us: start, end_us: t.max(start), ok: outcome.reached() });
    }

    /// The run stopped at `t`: an undecided phone is unfinished, its open
    /// phases abandoned (not ok).
    pub fn finish(&mut self, t: u64) {
        if self.decided.is_none() && self.power_on.is_some() {
            self.decide(Outcome::Unfinished, t, None);
        }
    }

    /// Folds one record of this phone in.
    pub fn observe(&mut self, r: &Record) {
        let t = r.t_us;
        match &r.event {
            Event::Power { state: PowerState::On } => {
                self.power_on.get_or_insert(t);
            }
            Event::Boot { .. } => {
                self.last_boot = Some(t);
                self.discover_since_boot = None;
                if self.close("reboot", t, true) {
                    self.rebooting = false;
                }
            }
            Event::Dhcp { msg, .. } if msg == "discover" => {
                if self.is_open("dhcp") {
                    self.retry("dhcp");
                } else {
                    self.open("dhcp", t);
                }
            }
            Event::Serve { bytes, .. } => {
                self.requests += 1;
                self.bytes += bytes;
            }
            Event::Lcd { line: 3, text } => {
                if let Some(e) = lcd_error(text) {
                    self.decide(Outcome::Failed, t, Some(e.to_string()));
                }
            }
            Event::Crash { reason, .. } => self.decide(Outcome::Failed, t, Some(format!("crash: {reason}"))),
            Event::Log { text } => self.log(t, text.strip_prefix("aps: ").unwrap_or(text)),
            _ => {}
        }
    }

    fn log(&mut self, t: u64, line: &str) {
        if is_lease_line(line) {
            if !self.is_open("dhcp") {
                let from = self.discover_since_boot.or(self.last_boot).or(self.power_on).unwrap_or(t);
                self.open.push(("dhcp".into(), from));
            }
            self.close("dhcp", t, true);
            if self.goal == Goal::Lease {
                self.decide(Outcome::Leased, t, None);
            } else {
                self.open("inf", t);
            }
        } else if line.contains("INF found") {
            self.close("inf", t, true);
        } else if let Some(rest) = line.strip_prefix("fetch: ") {
            if rest.contains(" bytes") {
                self.fetched += 1;
            } else {
                let innermost = self.open.iter().rev().find(|(p, _)| p == "inf" || p.starts_with("file:")).map(|(p, _)| p.clone());
                if let Some(p) = innermost {
                    self.retry(&p);
                }
            }
        } else if let Some(title) = line.strip_prefix("Begin ").and_then(|l| l.strip_suffix(" download...")) {
            self.open(&format!("file:{title}"), t);
        } else if line.starts_with("Upgrading Firmware successfully") {
            self.close("fw_write", t, true);
        } else if line.starts_with("Error: writing Firmware") {
            self.close("fw_write", t, false);
        } else if line.starts_with("Reboot to") {
            self.open("reboot", t);
            self.rebooting = true;
        } else if line.starts_with("Auto provisioning done") {
            self.decide(Outcome::Provisioned, t, None);
        } else if let Some(rest) = line.strip_prefix("Auto provisioning failed: ") {
            let text = rest.split(" (still using").next().unwrap_or(rest);
            self.decide(Outcome::Failed, t, Some(text.to_string()));
        } else {
            self.file_line(t, line);
        }
    }

    /// A line that may close an open `file:` phase.
    fn file_line(&mut self, t: u64, line: &str) {
        let (body, ok) = match line.strip_prefix("Error: ") {
            Some(rest) => (rest, false),
            None => (line, true),
        };
        // Every file kind: the remembered ones, the MAC config and deck files.
        for k in FileKind::STAMPED.into_iter().chain([FileKind::MacConfig, FileKind::DeckFile]) {
            let phase = format!("file:{}", k.title());
            if self.is_open(&phase) && body.starts_with(k.tag()) && body[k.tag().len()..].starts_with(": ") {
                self.close(&phase, t, ok);
                if ok && k == FileKind::App && line.ends_with("download successfully!") {
                    self.open("fw_write", t);
                }
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(t: u64, event: Event) -> Record {
        Record { t_us: t, phone: "009096000001".into(), event }
    }
    fn log(t: u64, text: &str) -> Record {
        rec(t, Event::Log { text: text.into() })
    }
    fn discover(t: u64) -> Record {
        rec(t, Event::Dhcp { msg: "discover".into(), options: Default::default(), vlan: None })
    }
    fn feed(rs: &[Record]) -> Tracker {
        let mut tr = Tracker::new();
        rs.iter().for_each(|r| tr.observe(r));
        tr
    }
    fn span(tr: &Tracker, phase: &str) -> Option<(u64, u64, bool)> {
        tr.spans.iter().find(|s| s.phase == phase).map(|s| (s.start_us, s.end_us, s.ok))
    }

    /// The lines today's firmware prints up to the INF (from a real run),
    /// then a run in the vendor's wording.
    #[test]
    fn a_full_run_gives_every_phase() {
        let tr = feed(&[
            rec(0, Event::Power { state: PowerState::On }),
            rec(0, Event::Boot { cause: trace::BootCause::PowerOn, image: "2.74".into() }),
            discover(51_600),
            discover(2_051_600),
            log(2_061_600, "dhcp: lease 10.0.0.100/24 router 10.0.0.1 dns 10.0.0.1"),
            log(2_061_700, "fetch: http prov.lab /ST2030S.inf not found (server error)"),
            log(2_100_000, "fetch: http prov.lab /ST2030S.inf 738 bytes crc32=140ddc46"),
            log(2_100_000, "aps: INF found (738 bytes)"),
            log(2_200_000, "Begin auto provisioning (ST2030S, auto_provisioning)..."),
            log(2_200_000, "Begin Firmware download..."),
            log(3_000_000, "Firmware: v2030SG.261127.2.75.zz download successfully!"),
            log(3_000_000, "Firmware: image v2.75.0 check successfully!"),
            log(4_000_000, "Upgrading Firmware successfully!"),
            log(4_000_000, "Reboot to run the new firmware..."),
            rec(4_100_000, Event::Boot { cause: trace::BootCause::Software, image: "2.75".into() }),
            log(4_300_000, "aps: Begin Common Config download..."),
            log(4_400_000, "aps: CommonConfig: ComConf2030S.txt download successfully!"),
            log(4_500_000, "Begin Tel Config download..."),
            log(4_600_000, "Error: TelConfig: telcfg/x.txt not found!"),
            log(5_000_000, "Auto provisioning done"),
        ]);
        assert_eq!(tr.outcome(), Some((Outcome::Provisioned, 5_000_000)));
        assert_eq!(tr.stage(), Stage::Provisioned);
        assert_eq!(span(&tr, "dhcp"), Some((51_600, 2_061_600, true)));
        assert_eq!(tr.retries["dhcp"], 1);
        assert_eq!(span(&tr, "inf"), Some((2_061_600, 2_100_000, true)));
        assert_eq!(tr.retries["inf"], 1);
        assert_eq!(tr.fetched, 1, "only the `N bytes` fetch line counts");
        assert_eq!(span(&tr, "file:Firmware"), Some((2_200_000, 3_000_000, true)));
        assert_eq!(span(&tr, "fw_write"), Some((3_000_000, 4_000_000, true)));
        assert_eq!(span(&tr, "reboot"), Some((4_000_000, 4_100_000, true)));
        assert_eq!(span(&tr, "file:Common Config"), Some((4_300_000, 4_400_000, true)));
        assert_eq!(span(&tr, "file:Tel Config"), Some((4_500_000, 4_600_000, false)));
        assert_eq!(span(&tr, "run"), Some((0, 5_000_000, true)));
        assert_eq!(tr.error, None);
    }

    #[test]
    fn an_lcd_error_fails_the_phone_once_and_abandons_open_phases() {
        let mut tr = feed(&[
            rec(10, Event::Power { state: PowerState::On }),
            log(20, "dhcp: lease 10.0.0.100/24"),
            rec(30, Event::Lcd { line: 3, text: "Gen File Not Found".into() }),
            log(40, "Auto provisioning failed: Server Unreachable (still using v2.74)"),
        ]);
        assert_eq!(tr.outcome(), Some((Outcome::Failed, 30)));
        assert_eq!(tr.error.as_deref(), Some("Gen File Not Found"));
        assert_eq!(span(&tr, "dhcp"), Some((10, 20, true)), "no lab: DHCP counts from power-on");
        assert_eq!(span(&tr, "inf"), Some((20, 30, false)));
        assert_eq!(span(&tr, "run"), Some((10, 30, false)));
        tr.finish(99);
        assert_eq!(tr.outcome(), Some((Outcome::Failed, 30)));
        let other = feed(&[rec(0, Event::Power { state: PowerState::On }), rec(5, Event::Lcd { line: 3, text: "Starting...".into() })]);
        assert!(!other.is_decided(), "not an error text");
        let failed = feed(&[rec(0, Event::Power { state: PowerState::On }), log(7, "aps: Auto provisioning failed: Corrupted Config (still using v2.07)")]);
        assert_eq!(failed.error.as_deref(), Some("Corrupted Config"));
    }

    #[test]
    fn undecided_phones_finish_unfinished_and_stages_follow_the_run() {
        let mut tr = Tracker::new();
        assert_eq!(tr.stage(), Stage::Off);
        tr.finish(5);
        assert_eq!(tr.outcome(), None, "never powered: nothing to decide");
        tr.observe(&rec(0, Event::Power { state: PowerState::On }));
        assert_eq!(tr.stage(), Stage::Booted);
        tr.observe(&discover(3));
        assert_eq!(tr.stage(), Stage::Dhcp);
        tr.observe(&log(4, "dhcp: lease 10.0.0.100/24"));
        assert_eq!(tr.stage(), Stage::Fetching);
        tr.observe(&log(5, "aps: INF found (738 bytes)"));
        assert_eq!(tr.stage(), Stage::Fetching);
        tr.observe(&log(6, "Reboot to apply the upgrade..."));
        assert_eq!(tr.stage(), Stage::Rebooting);
        tr.finish(100);
        assert_eq!(tr.outcome(), Some((Outcome::Unfinished, 100)));
        assert_eq!(span(&tr, "reboot"), Some((6, 100, false)));
        tr.observe(&rec(200, Event::Crash { pc: 0, reason: "udf #0".into() }));
        assert_eq!(tr.outcome(), Some((Outcome::Unfinished, 100)), "the first decision stands");
    }

    #[test]
    fn with_the_lease_goal_the_first_lease_decides_and_no_inf_opens() {
        let mut tr = Tracker::with_goal(Goal::Lease);
        tr.observe(&rec(0, Event::Power { state: PowerState::On }));
        tr.observe(&rec(0, Event::Boot { cause: trace::BootCause::PowerOn, image: "2.74".into() }));
        tr.observe(&discover(51_600));
        assert!(!tr.reached());
        tr.observe(&log(51_800, "dhcp: lease 10.0.0.100/24 router 10.0.0.1"));
        assert_eq!(tr.outcome(), Some((Outcome::Leased, 51_800)));
        assert!(tr.reached() && tr.is_decided() && !tr.rebooting());
        assert_eq!(tr.stage(), Stage::Leased);
        assert_eq!(span(&tr, "dhcp"), Some((51_600, 51_800, true)));
        assert_eq!(span(&tr, "run"), Some((0, 51_800, true)));
        assert_eq!(span(&tr, "inf"), None);
        tr.observe(&log(60_000, "aps: INF found (738 bytes)"));
        tr.finish(99_000);
        assert_eq!(tr.outcome(), Some((Outcome::Leased, 51_800)), "the first decision stands");
        assert_eq!(tr.spans.len(), 2, "{:?}", tr.spans);

        let mut failed = Tracker::with_goal(Goal::Lease);
        failed.observe(&rec(0, Event::Power { state: PowerState::On }));
        failed.observe(&discover(10));
        failed.observe(&rec(20, Event::Crash { pc: 0, reason: "udf #0".into() }));
        assert_eq!(failed.outcome(), Some((Outcome::Failed, 20)));
        assert!(!failed.reached());
        assert_eq!(span(&failed, "dhcp"), Some((10, 20, false)));

        let provisioned = feed(&[rec(0, Event::Power { state: PowerState::On }), log(4, "dhcp: lease 10.0.0.100/24")]);
        assert!(!provisioned.is_decided(), "the default goal goes on after the lease");
        assert_eq!(provisioned.stage(), Stage::Fetching);
    }

    #[test]
    fn the_first_discover_the_phone_sent_is_remembered() {
        let mut tr = Tracker::new();
        tr.sent(5, &crate::dhcpframe::tests::frame(3));
        assert_eq!(tr.first_discover, None, "a REQUEST is not a DISCOVER");
        tr.sent(7, &crate::dhcpframe::tests::frame(1));
        tr.sent(9, &crate::dhcpframe::tests::frame(1));
        assert_eq!(tr.first_discover, Some(7));
    }

    /// Regression: on a TAP (no lab records) the `dhcp` phase ran from the
    /// boot record, so a phone booted with its cable out counted the wait
    /// for its cable as DHCP time.
    #[test]
    fn without_a_lab_dhcp_runs_from_the_first_discover_since_the_boot() {
        let mut tr = Tracker::new();
        tr.observe(&rec(0, Event::Power { state: PowerState::On }));
        tr.observe(&rec(0, Event::Boot { cause: trace::BootCause::PowerOn, image: "2.74".into() }));
        tr.sent(10_000_000, &crate::dhcpframe::tests::frame(1));
        tr.sent(14_000_000, &crate::dhcpframe::tests::frame(1));
        tr.observe(&log(14_000_300, "dhcp: lease 10.0.0.100/24"));
        assert_eq!(span(&tr, "dhcp"), Some((10_000_000, 14_000_300, true)));
        tr.observe(&rec(20_000_000, Event::Boot { cause: trace::BootCause::Software, image: "2.75".into() }));
        tr.observe(&log(20_500_000, "dhcp: lease 10.0.0.100/24"));
        let after_reboot: Vec<_> = tr.spans.iter().filter(|s| s.phase == "dhcp").map(|s| (s.start_us, s.end_us)).collect();
        assert_eq!(after_reboot, [(10_000_000, 14_000_300), (20_000_000, 20_500_000)], "a DISCOVER before the reboot does not count after it");
    }
}
