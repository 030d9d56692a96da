//! Runs a scenario on the emulator: builds the phone from `roms/` (factory
//! flash, or the scenario's flash file, with `[phone.config]` written into
//! its config store), plugs it into the built-in lab when the scenario has a
//! `[net]` (serving a tree built in a temporary directory, see `tree`),
//! plays the steps on a `machine::Runner` and checks the expectations. Also
//! the `Driver` over a `machine::Runner` that `st20xx run` uses.
//!
//! Guarantees: `run` never panics and always returns a report; anything that
//! stops the run (missing ROMs, a bad flash file, a served tree that cannot
//! be built, a step that cannot happen) is its `error`; the temporary tree
//! is gone when `run` returns.

use crate::expect::{self, Run};
use crate::format::{Clock, Notify, Phone, Scenario};
use crate::play::{self, Driver, Flow};
use crate::preconfig;
use crate::report::Report;
use crate::tree::{self, Served};
use crate::script::Input;
use board::model::Model;
use machine::{ClockMode, Control, Machine, MachineConfig, Runner};
use rom::Roms;
use site::PhoneNet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum RunError {
    #[error(transparent)]
    Rom(#[from] rom::RomError),
    #[error("{path}: {msg}")]
    Flash { path: PathBuf, msg: String },
    #[error("cannot build the phone: {0}")]
    Machine(#[from] machine::MachineError),
    #[error("[phone.config]: cannot write the config store: {0}")]
    Config(flashstore::Error),
    #[error("[net]: {0}")]
    Net(#[from] crate::tree::TreeError),
}

/// One emulated phone on its clock, as a `Driver`.
pub struct PhoneDriver {
    runner: Runner,
    mac: [u8; 6],
    /// The lab's network, shared with the runner (to send NOTIFYs).
    lab: Option<Arc<Mutex<PhoneNet>>>,
}

/// A `PhoneNet` the runner and the driver share.
struct SharedNet(Arc<Mutex<PhoneNet>>);

impl SharedNet {
    fn lock(&self) -> std::sync::MutexGuard<'_, PhoneNet> {
        // A panic while holding the lock already ended the run.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl machine::Network for SharedNet {
    fn receive(&mut self, now: u64, frame: &[u8]) {
        self.lock().receive(now, frame)
    }
    fn transmit(&mut self, now: u64) -> Option<Vec<u8>> {
        self.lock().transmit(now)
    }
    fn poll_at(&self) -> Option<u64> {
        self.lock().poll_at()
    }
    fn drain_trace(&mut self) -> Vec<trace::Record> {
        self.lock().drain_trace()
    }
}

impl PhoneDriver {
    /// A phone of `phone`'s model, MAC and seed, with `flash` and the boot ROM of `roms`, unpowered.
    pub fn new(phone: &Phone, roms: &Roms, flash: Vec<u8>) -> Result<PhoneDriver, RunError> {
        let m = Machine::new(MachineConfig { hardware: phone.model.hardware, mac: phone.mac, seed: phone.seed, boot_rom: roms.boot_rom()?, flash })?;
        let clock = match phone.clock {
            Clock::Virtual => ClockMode::Virtual,
            Clock::Real => ClockMode::Real,
        };
        Ok(PhoneDriver { runner: Runner::new(m, clock), mac: phone.mac, lab: None })
    }

    /// Plugs the phone into `net` (a lab network: NOTIFY steps use it).
    pub fn connect(&mut self, net: PhoneNet) {
        let shared = Arc::new(Mutex::new(net));
        self.lab = Some(shared.clone());
        self.runner.set_network(Box::new(SharedNet(shared)));
    }

    /// The flash contents now (8 MiB).
    pub fn flash(&self) -> &[u8] {
        self.runner.machine().flash()
    }

    /// The runner, e.g. to connect a network.
    pub fn runner_mut(&mut self) -> &mut Runner {
        &mut self.runner
    }
}

impl Driver for PhoneDriver {
    fn schedule(&mut self, at_us: u64, input: Input) {
        let input = match input {
            Input::PowerOn => machine::Input::PowerOn,
            Input::PowerCut => machine::Input::PowerCut,
            Input::Key { key, down } => machine::Input::Key { key, down },
            Input::Hook { off_hook } => machine::Input::Hook { off_hook },
        };
        self.runner.schedule(at_us, input);
    }

    fn run_until(&mut self, until_us: u64, sink: &mut dyn FnMut(&trace::Record) -> Flow) -> Result<u64, String> {
        self.runner.run_until(until_us, &mut |r| match sink(r) {
            Flow::Continue => Control::Continue,
            Flow::Pause => Control::Pause,
        });
        Ok(self.runner.now())
    }

    fn notify(&mut self, from: Option<std::net::Ipv4Addr>, n: &Notify) -> Result<(), String> {
        let shared = self.lab.as_ref().ok_or("a `notify` step needs a `[net]`")?;
        let mut guard = shared.lock().unwrap_or_else(|e| e.into_inner());
        let lab = guard.lab_mut().ok_or("a `notify` step needs the built-in lab")?;
        let to = match n.to {
            Some(ip) => ip,
            None => lab.leased_ip(self.mac).ok_or("`notify`: the lab has leased no address to the phone yet (give `to`)")?,
        };
        let from = from.unwrap_or(lab.config().sip.source);
        lab.send_notify_from(self.runner.now(), from, to, n.reboot)
    }
}

/// Reads a saved flash image; it must be exactly the flash size.
pub fn load_flash(path: &Path) -> Result<Vec<u8>, RunError> {
    let flash = std::fs::read(path).map_err(|e| RunError::Flash { path: path.to_path_buf(), msg: format!("cannot read: {e}") })?;
    let want = board::map::FLASH.len as usize;
    if flash.len() != want {
        return Err(RunError::Flash { path: path.to_path_buf(), msg: format!("a flash image is {want} bytes (8 MiB), this file is {}", flash.len()) });
    }
    Ok(flash)
}

/// A new phone's flash: the model's firmware in slot A, the rest erased.
pub fn factory_flash(roms: &Roms, model: Model) -> Result<Vec<u8>, RunError> {
    Ok(rom::try_factory_flash(&roms.firmware(model)?)?)
}

/// The scenario's phone, plugged into its network; the served tree lives
/// as long as the returned `Served`.
fn phone(s: &Scenario, roms: &Roms) -> Result<(PhoneDriver, Option<Served>), RunError> {
    let mut flash = match &s.phone.flash {
        Some(p) => load_flash(p)?,
        None => factory_flash(roms, s.phone.model)?,
    };
    preconfig::write_config(&mut flash, &s.config).map_err(RunError::Config)?;
    let mut d = PhoneDriver::new(&s.phone, roms, flash)?;
    let served = match &s.net {
        None => None,
        Some(net) => {
            let served = tree::materialize(net)?;
            d.connect(served.phone_net(net, s.phone.mac, s.phone.seed)?);
            Some(served)
        }
    };
    Ok((d, served))
}

/// Runs one scenario to its report.
pub fn run(s: &Scenario, roms: &Roms) -> Report {
    let started = Instant::now();
    let mut report = Report { name: s.name.clone(), path: s.path.clone(), covers: s.covers.clone(), error: None, outcomes: vec![], end_us: 0, host_secs: 0.0, trace: vec![] };
    match phone(s, roms) {
        Err(e) => report.error = Some(e.to_string()),
        Ok((mut d, _served)) => {
            let played = play::play(s, &mut d);
            let run = Run { records: &played.records, marks: &played.marks, end_us: played.end_us };
            report.outcomes.push(expect::no_crash(&played.records));
            report.outcomes.extend(s.expects.iter().map(|e| expect::check(e, &run)));
            report.error = played.error;
            report.end_us = played.end_us;
            report.trace = played.records;
        }
    }
    report.host_secs = started.elapsed().as_secs_f64();
    report
}
