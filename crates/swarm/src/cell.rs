//! A cell: the phones of one bank, a switch, and the far end they all talk
//! to (the built-in lab, or a TAP device to a real server), on the cell's
//! own clock.
//!
//! ```text
//! phones ── Bank ── switch ── Lab | TapPort
//! ```
//!
//! The built-in lab is one /24 host, so its DHCP pool bounds how many phones
//! one lab can serve: the swarm gives each group of at most pool-size phones
//! a cell with its own lab (same directory, same configuration). A TAP is
//! one device, so a TAP swarm is one cell.
//!
//! VLANs as in `site::PhoneNet`: with the lab on VLAN V ≠ 1 the bank's port
//! is a trunk (V tagged, VLAN 1 native) and the lab's an access port on V;
//! with a TAP both are trunks for every VLAN.
//!
//! Guarantees: deterministic with the lab (frames in the order given, time
//! passed in); `now` never goes back; never panics on a frame.

use crate::bank::{Bank, Delivery};
use lan::lab::{LabEvent, LabRecord};
use lan::tap::TapPort;
use lan::{Lab, LabConfig, PortId, PortMode, Switch};
use std::path::Path;
use trace::Record;

enum Far {
    Lab(PortId),
    Tap(PortId),
}

pub struct Cell {
    switch: Switch,
    bank: PortId,
    far: Far,
    now: u64,
    lab_vlan: Option<u16>,
    /// Bank index → the phone's index in the swarm.
    pub members: Vec<usize>,
    /// Trace ids of the members, bank order.
    ids: Vec<String>,
}

/// What a cell produced in one step: frames for its phones (bank indices)
/// and lab observations (bank index, trace record).
#[derive(Default)]
pub struct Output {
    pub deliveries: Vec<Delivery>,
    pub records: Vec<(usize, Record)>,
}

fn all_vlans() -> Vec<u16> {
    (2..=4094).collect()
}

impl Cell {
    /// A cell with the built-in lab serving `dir` with `config` (already validated by the caller).
    pub fn with_lab(config: LabConfig, dir: &Path) -> Result<Cell, lan::lab::ConfigError> {
        let vlan = config.vlan;
        let lab = Lab::new(config, dir)?;
        let mut switch = Switch::new();
        let tagged = (vlan != 1).then_some(vlan);
        let bank_mode = match tagged {
            Some(v) => PortMode::Trunk { allowed: vec![v], native: Some(1) },
            None => PortMode::Access { pvid: 1 },
        };
        let bank = switch.attach(bank_mode, Bank::new());
        let far = Far::Lab(switch.attach(PortMode::Access { pvid: vlan }, lab));
        Ok(Cell { switch, bank, far, now: 0, lab_vlan: tagged, members: Vec::new(), ids: Vec::new() })
    }

    /// A cell bridged to the TAP device `name` (real time only).
    pub fn with_tap(name: &str) -> std::io::Result<Cell> {
        let tap = TapPort::open(name)?;
        let mut switch = Switch::new();
        let trunk = PortMode::Trunk { allowed: all_vlans(), native: Some(1) };
        let bank = switch.attach(trunk.clone(), Bank::new());
        let far = Far::Tap(switch.attach(trunk, tap));
        Ok(Cell { switch, bank, far, now: 0, lab_vlan: None, members: Vec::new(), ids: Vec::new() })
    }

    fn bank(&mut self) -> &mut Bank {
        self.switch.device_mut::<Bank>(self.bank).expect("the bank port holds a Bank, from the constructor")
    }

    /// Adds swarm phone `index` with `mac`; returns its bank index.
    pub fn add(&mut self, index: usize, mac: [u8; 6]) -> usize {
        self.members.push(index);
        self.ids.push(trace::phone_id(mac));
        self.bank().add(mac)
    }

    /// When the cell next needs a step on its own (a lab timer, a TAP poll).
    pub fn poll_at(&self) -> Option<u64> {
        self.switch.poll_at().map(|t| t.max(self.now))
    }

    /// The TAP device's file descriptor (a TAP cell), to wait on.
    pub fn tap_fd(&self) -> Option<std::os::fd::RawFd> {
        match self.far {
            Far::Tap(id) => self.switch.device::<TapPort>(id).map(TapPort::fd),
            Far::Lab(_) => None,
        }
    }

    /// A frame waits on the TAP device: the cell needs a step now.
    pub fn tap_readable(&mut self) {
        if let Far::Tap(id) = self.far
            && let Some(tap) = self.switch.device_mut::<TapPort>(id)
        {
            tap.set_readable();
        }
    }

    /// The TAP device's error, if it failed.
    pub fn tap_error(&self) -> Option<String> {
        match self.far {
            Far::Tap(id) => self.switch.device::<TapPort>(id).and_then(|t| t.error()).map(|e| e.to_string()),
            Far::Lab(_) => None,
        }
    }

    /// Runs the cell up to (not including) `end`: `frames` (bank index,
    /// time, frame; sorted by time) enter at their time, timers fire at
    /// theirs. Everything the phones are sent and the lab saw goes to `out`.
    pub fn step(&mut self, frames: Vec<(usize, u64, Vec<u8>)>, end: u64, out: &mut Output) {
        let mut frames = frames.into_iter().peekable();
        let mut same_instant = 0u32;
        loop {
            let next_frame = frames.peek().map(|f| f.1.max(self.now));
            let Some(t) = [next_frame, self.poll_at()].into_iter().flatten().min().filter(|&t| t < end) else { break };
            // A port that keeps saying "now" without moving anything must not hang the swarm.
            same_instant = if t == self.now { same_instant + 1 } else { 0 };
            if same_instant > 10_000 && next_frame != Some(t) {
                break;
            }
            self.now = t;
            // One frame per poll: the lab serves a bounded number of frames
            // per poll and leaves the rest unserved until its next timer.
            let mut any = false;
            while let Some((phone, _, frame)) = frames.next_if(|f| f.1 <= t) {
                any = true;
                self.bank().send(phone, frame);
                self.pump(t, out);
            }
            if !any {
                self.pump(t, out);
            }
        }
    }

    fn pump(&mut self, t: u64, out: &mut Output) {
        self.switch.poll(t);
        out.deliveries.append(&mut self.bank().delivered);
        self.lab_records(out);
    }

    fn lab_records(&mut self, out: &mut Output) {
        let Far::Lab(id) = self.far else { return };
        let Some(lab) = self.switch.device_mut::<Lab>(id) else { return };
        let seen: Vec<LabRecord> = lab.take_events();
        for rec in seen {
            let phone = {
                let bank = self.bank();
                match &rec.event {
                    LabEvent::Dhcp { mac, .. } => lan::lab::hex(mac).ok().and_then(|b| <[u8; 6]>::try_from(b).ok()).and_then(|m| bank.phone_of_mac(m)),
                    LabEvent::Serve { client, .. } => bank.phone_of_ip(*client),
                    _ => None,
                }
            };
            let Some(p) = phone else { continue };
            if let Some(r) = site::events::lab_record(&self.ids[p], self.lab_vlan, &rec) {
                out.records.push((p, r));
            }
        }
    }
}
