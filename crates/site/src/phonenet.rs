//! [`PhoneNet`]: one phone's cable as a [`machine::Network`]. The cable
//! goes into port 0 of a `lan::Switch`; port 1, when there is one, holds
//! the far end (the built-in lab or a TAP device).
//!
//! ```text
//! phone NIC ── [trace-frames, pcap] ── Impair (--loss) ── switch ── Lab | TapPort
//! ```
//!
//! - VLANs: with the lab on VLAN 1 (the default) both ports are untagged
//!   access ports on VLAN 1. With the lab on VLAN V the phone's port is a
//!   trunk (V tagged, VLAN 1 native) and the lab's an access port on V, so
//!   only frames the phone tags V reach the lab. Each `[[vlan_host]]` of
//!   the lab file is one more lab host on an access port of its VLAN, and
//!   that VLAN joins the phone's trunk; a trace record says which host's
//!   VLAN saw it (`None` for VLAN 1, untagged on the phone's cable). With a TAP both ports are
//!   trunks for every VLAN, so tags pass through as the phone sent them
//!   (a tag of VLAN 1 leaves untagged).
//! - `--pcap` and `--trace-frames` see the cable at the phone's side: what
//!   the phone sent (before any loss) and what it was handed (after).
//! - The pcap file is written without buffering, one record per write, so
//!   it is complete whenever the process stops, even by Ctrl-C; its
//!   timestamps are the lab's SNTP clock (emulated time + `sntp.epoch_unix`)
//!   or, on a TAP, the host's Unix time when the network was built.
//!
//! Guarantees: deterministic in virtual time with the lab (no clock, the
//! only randomness the seeded loss stream); never panics on a frame; every
//! trace record is stamped with the `now` of the call that made it.

use crate::events::lab_record;
use crate::options::{LabOptions, lab_dir};
use crate::{NetSpec, SiteError};
use lan::impair::ImpairStats;
use lan::switch::SwitchStats;
use lan::tap::TapPort;
use lan::{Endpoint, Impair, Impairment, Lab, PcapWriter, PortId, PortMode, Switch};
use std::fs::File;
use std::path::Path;
use trace::{Event, Record};

/// What is at the other end of the switch.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Far {
    Nothing,
    /// The main host, then the `[[vlan_host]]`s with the tag their
    /// traffic carries on the phone's port.
    Lab(PortId, Vec<(PortId, Option<u16>)>),
    Tap(PortId),
}

/// The phone's side of the switch: its cable, lossy when asked.
type PhonePort = Impair<Endpoint>;

/// Frame counters of the phone's network.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetStats {
    pub switch: SwitchStats,
    /// Frames the phone sent: passed or lost on the cable.
    pub from_phone: ImpairStats,
    /// Frames for the phone: passed or lost on the cable.
    pub to_phone: ImpairStats,
}

pub struct PhoneNet {
    switch: Switch,
    phone_port: PortId,
    far: Far,
    /// The trace's phone id (its MAC).
    phone: String,
    /// The VLAN tag the lab's traffic carries on the phone's port, if any.
    lab_vlan: Option<u16>,
    trace_frames: bool,
    pcap: Option<PcapWriter<File>>,
    records: Vec<Record>,
    last_now: u64,
}

/// Every VLAN a trunk can carry besides the native VLAN 1.
fn all_vlans() -> Vec<u16> {
    (2..=4094).collect()
}

impl PhoneNet {
    /// Builds the network `spec` with `opts` for the phone with `phone_mac`;
    /// `repo_root` locates the default lab directory (`assets/provisioning`).
    pub fn build(spec: &NetSpec, opts: &LabOptions, phone_mac: [u8; 6], repo_root: &Path) -> Result<PhoneNet, SiteError> {
        opts.check_for(spec)?;
        let loss = opts.loss()?;
        let mut switch = Switch::new();
        let cable = Impairment::loss(loss);
        let phone_port = switch.attach(PortMode::Access { pvid: 1 }, Impair::new(Endpoint::new(), opts.seed, cable, cable));
        let (far, lab_vlan, pcap_epoch_us) = match spec {
            NetSpec::None => (Far::Nothing, None, 0),
            NetSpec::Lab { dir } => {
                let dir = lab_dir(dir.as_deref(), repo_root)?;
                let cfg = opts.lab_config_in(&dir)?;
                let (vlan, epoch) = (cfg.vlan, cfg.sntp.epoch_unix);
                let err = |source| SiteError::LabConfig { path: opts.lab_file.clone(), source };
                let hosts = cfg.vlan_hosts().map_err(err)?;
                let lab = Lab::new(cfg, dir.clone()).map_err(err)?;
                let id = switch.attach(PortMode::Access { pvid: vlan }, lab);
                let mut extra = Vec::new();
                for h in hosts {
                    let v = h.vlan;
                    let lab = Lab::new(h, dir.clone()).map_err(err)?;
                    extra.push((switch.attach(PortMode::Access { pvid: v }, lab), (v != 1).then_some(v)));
                }
                let tagged = (vlan != 1).then_some(vlan);
                let allowed: Vec<u16> = tagged.into_iter().chain(extra.iter().filter_map(|e| e.1)).collect();
                if !allowed.is_empty() {
                    switch.set_mode(phone_port, PortMode::Trunk { allowed, native: Some(1) });
                }
                (Far::Lab(id, extra), tagged, epoch.saturating_mul(1_000_000))
            }
            NetSpec::Tap { name } => {
                let tap = TapPort::open(name).map_err(|source| SiteError::Tap { name: name.clone(), source })?;
                let trunk = PortMode::Trunk { allowed: all_vlans(), native: Some(1) };
                switch.set_mode(phone_port, trunk.clone());
                let id = switch.attach(trunk, tap);
                let unix_us = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros() as u64);
                (Far::Tap(id), None, unix_us)
            }
        };
        let pcap = match &opts.pcap {
            Some(path) => {
                let err = |source| SiteError::Pcap { path: path.clone(), source };
                Some(PcapWriter::with_offset(File::create(path).map_err(err)?, pcap_epoch_us).map_err(err)?)
            }
            None => None,
        };
        Ok(PhoneNet { switch, phone_port, far, phone: trace::phone_id(phone_mac), lab_vlan, trace_frames: opts.trace_frames, pcap, records: Vec::new(), last_now: 0 })
    }

    /// Whether this network only works on the host clock (a TAP).
    pub fn needs_real_clock(&self) -> bool {
        matches!(self.far, Far::Tap(_))
    }

    /// The built-in lab, when the network has one (e.g. to send a NOTIFY).
    pub fn lab_mut(&mut self) -> Option<&mut Lab> {
        match self.far {
            Far::Lab(id, _) => self.switch.device_mut::<Lab>(id),
            _ => None,
        }
    }

    /// The first error writing the pcap file, if any (writing stops there).
    pub fn pcap_error(&self) -> Option<&std::io::Error> {
        self.pcap.as_ref().and_then(|p| p.error())
    }

    /// The TAP device's error, if it failed (the port then goes quiet).
    pub fn tap_error(&self) -> Option<&std::io::Error> {
        match self.far {
            Far::Tap(id) => self.switch.device::<TapPort>(id).and_then(|t| t.error()),
            _ => None,
        }
    }

    pub fn stats(&self) -> NetStats {
        let port = self.switch.device::<PhonePort>(self.phone_port).expect("port 0 is the phone's, of this type, from build");
        NetStats { switch: self.switch.stats(), from_phone: port.tx_stats, to_phone: port.rx_stats }
    }

    fn phone_port(&mut self) -> &mut PhonePort {
        self.switch.device_mut::<PhonePort>(self.phone_port).expect("port 0 is the phone's, of this type, from build")
    }

    /// Moves every frame due at `now` and collects what the lab saw.
    fn pump(&mut self, now: u64) {
        self.switch.poll(now);
        let Far::Lab(main, extra) = &self.far else { return };
        let hosts = std::iter::once((*main, self.lab_vlan)).chain(extra.iter().copied());
        for (id, vlan) in hosts {
            if let Some(lab) = self.switch.device_mut::<Lab>(id) {
                let seen = lab.take_events();
                self.records.extend(seen.iter().filter_map(|r| lab_record(&self.phone, vlan, r)));
            }
        }
    }

    /// Records a frame on the cable: `dir` is `tx` (from the phone) or `rx`.
    fn observe(&mut self, now: u64, dir: &str, frame: &[u8]) {
        if let Some(p) = self.pcap.as_mut() {
            p.record(now, frame);
        }
        if self.trace_frames {
            let hex = frame.iter().map(|b| format!("{b:02x}")).collect();
            self.records.push(Record { t_us: now, phone: self.phone.clone(), event: Event::Frame { dir: dir.into(), len: frame.len() as u32, hex } });
        }
    }
}

impl machine::Network for PhoneNet {
    fn receive(&mut self, now: u64, frame: &[u8]) {
        let now = now.max(self.last_now);
        self.last_now = now;
        self.observe(now, "tx", frame);
        self.phone_port().inner_mut().send(frame.to_vec());
        self.pump(now);
    }

    fn transmit(&mut self, now: u64) -> Option<Vec<u8>> {
        let now = now.max(self.last_now);
        self.last_now = now;
        if self.phone_port().inner().pending() == 0 {
            self.pump(now);
        }
        let (_, frame) = self.phone_port().inner_mut().recv()?;
        self.observe(now, "rx", &frame);
        Some(frame)
    }

    fn poll_at(&self) -> Option<u64> {
        let port = self.switch.device::<PhonePort>(self.phone_port).expect("port 0 is the phone's, of this type, from build");
        if port.inner().pending() > 0 {
            return Some(self.last_now);
        }
        self.switch.poll_at()
    }

    fn drain_trace(&mut self) -> Vec<Record> {
        std::mem::take(&mut self.records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: [u8; 6] = [0x00, 0x90, 0x96, 0xA1, 0xB1, 0xC1];

    fn build(spec: &str, opts: &LabOptions, root: &Path) -> Result<PhoneNet, SiteError> {
        PhoneNet::build(&spec.parse()?, opts, MAC, root)
    }

    #[test]
    fn a_phone_net_can_move_to_the_runner_thread() {
        fn send<T: Send>() {}
        send::<PhoneNet>();
    }

    #[test]
    fn build_errors_name_what_is_wrong() {
        let none = LabOptions::default();
        let e = build("tap:st20xx-nope0", &none, Path::new("/")).err().unwrap().to_string();
        assert!(e.starts_with("cannot attach to TAP device `st20xx-nope0`: "), "{e}");
        let lab_only = LabOptions { dhcp_siaddr: Some([10, 0, 0, 1].into()), ..Default::default() };
        let e = build("tap:st20xx-nope0", &lab_only, Path::new("/")).err().unwrap().to_string();
        assert_eq!(e, "--dhcp-siaddr configures the built-in lab, but the network is `tap:st20xx-nope0` (use --net lab)");
        let e = build("lab", &none, Path::new("/nowhere")).err().unwrap().to_string();
        assert!(e.starts_with("the lab directory /nowhere/assets/provisioning: "), "{e}");
        let pcap = LabOptions { pcap: Some("/nowhere/x.pcap".into()), ..Default::default() };
        let e = build("none", &pcap, Path::new("/")).err().unwrap().to_string();
        assert!(e.starts_with("cannot write the pcap file /nowhere/x.pcap: "), "{e}");
    }

    #[test]
    fn the_repo_default_lab_directory_is_served() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut net = build("lab", &LabOptions::default(), &root).unwrap();
        assert!(!net.needs_real_clock());
        assert!(net.lab_mut().is_some());
        assert!(net.tap_error().is_none() && net.pcap_error().is_none());
        let mut off = build("none", &LabOptions::default(), &root).unwrap();
        assert!(off.lab_mut().is_none());
    }
}
