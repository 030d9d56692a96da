//! The real firmware from `roms/` on a `machine::Runner` in virtual time,
//! plugged into any `machine::Network`, and what its trace says: console
//! lines, crashes, boots. A [`Shared`] network lets a test keep a handle on
//! the network it gave the runner (e.g. to read `PhoneNet::stats`).

use super::PHONE_MAC;
use machine::{ClockMode, Control, Input, Machine, MachineConfig, Network, Runner};
use rom::{Model, Roms};
use site::{LabOptions, NetSpec, PhoneNet};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use trace::{Event, Record};

/// The ROMs: `$ST20XX_ROMS` (as `st20xx` reads it), else the tree's `roms/`.
pub fn roms() -> Roms {
    let dir = std::env::var_os("ST20XX_ROMS").map_or_else(Roms::workspace_dir, std::path::PathBuf::from);
    Roms::open(&dir).unwrap_or_else(|e| panic!("{}: {e} (build it with `cargo xtask roms`)", dir.display()))
}

/// A factory-fresh ST2030S with the tests' MAC, powered on at 0, on `net`.
pub fn boot(net: Box<dyn Network + Send>) -> Runner {
    let roms = roms();
    let app = roms.firmware(Model::parse("ST2030S").unwrap()).expect("the ST2030S image in roms/");
    let cfg = MachineConfig { hardware: board::model::Hardware::St2030, mac: PHONE_MAC, seed: 0, boot_rom: roms.boot_rom().unwrap(), flash: rom::factory_flash(&app) };
    let mut r = Runner::new(Machine::new(cfg).unwrap(), ClockMode::Virtual);
    r.set_network(net);
    r.schedule(0, Input::PowerOn);
    r
}

/// The built-in lab serving `dir` with `opts`.
pub fn lab_net(dir: &Path, opts: &LabOptions) -> PhoneNet {
    PhoneNet::build(&NetSpec::Lab { dir: Some(dir.to_path_buf()) }, opts, PHONE_MAC, Path::new("/nowhere")).unwrap()
}

/// Runs until `until_us`, or until a record matches `stop`; returns the
/// records seen.
pub fn run(r: &mut Runner, until_us: u64, mut stop: impl FnMut(&Record) -> bool) -> Vec<Record> {
    let mut out = Vec::new();
    r.run_until(until_us, &mut |rec| {
        out.push(rec.clone());
        if stop(rec) { Control::Pause } else { Control::Continue }
    });
    out
}

/// The console line of a record, if it is one.
pub fn log_text(rec: &Record) -> Option<&str> {
    match &rec.event {
        Event::Log { text } => Some(text),
        _ => None,
    }
}

/// The console, one stamped line per log record, for failure messages.
pub fn console(t: &[Record]) -> String {
    t.iter().filter_map(|r| log_text(r).map(|l| format!("{:>12} {l}", r.t_us))).collect::<Vec<_>>().join("\n")
}

/// Crash records and boots other than the first power-on.
pub fn mishaps(t: &[Record]) -> Vec<String> {
    let mut boots = 0;
    t.iter()
        .filter_map(|r| match &r.event {
            Event::Crash { .. } => Some(format!("{} {:?}", r.t_us, r.event)),
            Event::Boot { .. } => {
                boots += 1;
                (boots > 1).then(|| format!("{} {:?}", r.t_us, r.event))
            }
            _ => None,
        })
        .collect()
}

/// A network the runner drives while the test keeps a handle on it.
pub struct Shared<N>(pub Arc<Mutex<N>>);

impl<N> Shared<N> {
    pub fn new(n: N) -> (Shared<N>, Arc<Mutex<N>>) {
        let a = Arc::new(Mutex::new(n));
        (Shared(a.clone()), a)
    }
    fn get(&self) -> MutexGuard<'_, N> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<N: Network> Network for Shared<N> {
    fn receive(&mut self, now: u64, frame: &[u8]) {
        self.get().receive(now, frame)
    }
    fn transmit(&mut self, now: u64) -> Option<Vec<u8>> {
        self.get().transmit(now)
    }
    fn poll_at(&self) -> Option<u64> {
        self.get().poll_at()
    }
    fn drain_trace(&mut self) -> Vec<Record> {
        self.get().drain_trace()
    }
}
