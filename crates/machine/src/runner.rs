//! One phone on a clock, with scheduled inputs and an optional network: the
//! discrete-event loop every front end drives.
//!
//! Guarantees: inputs scheduled for the same instant apply in the order they
//! were scheduled, before the machine runs at that instant; an input
//! scheduled in the past applies at the current time; every trace record is
//! handed to the sink once, in time order; a slice's records all go to the
//! sink even when the sink asks to pause in the middle of them.
//!
//! The network's records ([`Network::drain_trace`]) join the machine's in
//! causal order: what the network made while handing frames to the phone,
//! then the machine's slice, then what it made taking the phone's frames;
//! a stable sort by time keeps that order among records of the same instant,
//! so the merged trace is deterministic.

use crate::clock::{Clock, ClockMode};
use crate::machine::Machine;
use crate::network::Network;
use board::keys::Key;
use std::collections::BTreeMap;

/// Something that happens to the phone from outside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    PowerOn,
    PowerCut,
    Key { key: Key, down: bool },
    Hook { off_hook: bool },
}

/// What the sink wants after a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    Continue,
    /// Stop after the current slice; `Runner::now` is then that slice's time.
    Pause,
}

/// Why `run_until` returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunEnd {
    /// Time reached `until_us`.
    Reached,
    /// The sink asked to pause.
    Paused,
}

pub struct Runner {
    machine: Machine,
    clock: Clock,
    now: u64,
    /// Scheduled inputs keyed by (time, scheduling order).
    inputs: BTreeMap<(u64, u64), Input>,
    seq: u64,
    network: Option<Box<dyn Network + Send>>,
}

impl Runner {
    pub fn new(machine: Machine, clock: ClockMode) -> Runner {
        let now = machine.now();
        Runner { machine, clock: Clock::new(clock, now), now, inputs: BTreeMap::new(), seq: 0, network: None }
    }

    /// Connects the phone's cable to `network` (without one, sent frames are dropped).
    pub fn set_network(&mut self, network: Box<dyn Network + Send>) {
        self.network = Some(network);
    }

    pub fn schedule(&mut self, at_us: u64, input: Input) {
        self.inputs.insert((at_us, self.seq), input);
        self.seq += 1;
    }

    pub fn now(&self) -> u64 {
        self.now
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn machine(&self) -> &Machine {
        &self.machine
    }

    pub fn machine_mut(&mut self) -> &mut Machine {
        &mut self.machine
    }

    pub fn into_machine(self) -> Machine {
        self.machine
    }

    /// The next instant something is due, if any.
    fn next_due(&self) -> Option<u64> {
        let input = self.inputs.keys().next().map(|&(t, _)| t);
        let net = self.network.as_ref().and_then(|n| n.poll_at());
        [input, self.machine.poll_at(), net].into_iter().flatten().min().map(|t| t.max(self.now))
    }

    fn apply(&mut self, input: Input) {
        let now = self.now;
        let m = &mut self.machine;
        match input {
            Input::PowerOn => m.power_on(now),
            Input::PowerCut => m.power_cut(now),
            Input::Key { key, down } => m.press(now, key, down),
            Input::Hook { off_hook } => m.set_hook(now, off_hook),
        }
    }

    /// Advances the world to `until_us` (virtual: jumping; real: sleeping on
    /// the host clock), applying scheduled inputs at their time and handing
    /// every trace record to `sink` as it appears.
    pub fn run_until(&mut self, until_us: u64, sink: &mut dyn FnMut(&trace::Record) -> Control) -> RunEnd {
        loop {
            let Some(t) = self.next_due().filter(|&t| t <= until_us) else {
                self.clock.wait_until(until_us);
                self.now = self.now.max(until_us);
                return RunEnd::Reached;
            };
            self.clock.wait_until(t);
            self.now = t;
            while let Some(entry) = self.inputs.first_entry() {
                if entry.key().0 > t {
                    break;
                }
                let input = entry.remove();
                self.apply(input);
            }
            let mut records = Vec::new();
            if let Some(net) = self.network.as_mut() {
                while let Some(frame) = net.transmit(t) {
                    self.machine.nic_receive(t, &frame);
                }
                records.extend(net.drain_trace());
            }
            self.machine.run(t);
            records.extend(self.machine.drain_trace());
            let sent = self.machine.nic_take_sent();
            if let Some(net) = self.network.as_mut() {
                for frame in &sent {
                    net.receive(t, frame);
                }
                records.extend(net.drain_trace());
            }
            records.sort_by_key(|r| r.t_us);
            let mut paused = false;
            for record in records {
                paused |= sink(&record) == Control::Pause;
            }
            if paused {
                return RunEnd::Paused;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::MachineConfig;
    use trace::{Event, PowerState, Record};

    /// A boot ROM that sleeps forever: SP, reset vector (Thumb), `wfi; b wfi`.
    const SLEEPER: [u8; 12] = [0x00, 0x10, 0x00, 0x20, 0x09, 0x00, 0x00, 0x00, 0x30, 0xBF, 0xFD, 0xE7];

    /// A network with no frames that logs a record at each of `due`, when
    /// `transmit` runs at or after it.
    struct Logger {
        due: Vec<u64>,
        made: Vec<Record>,
    }

    impl Network for Logger {
        fn receive(&mut self, _now: u64, _frame: &[u8]) {}
        fn transmit(&mut self, now: u64) -> Option<Vec<u8>> {
            while self.due.first().is_some_and(|&d| d <= now) {
                let d = self.due.remove(0);
                self.made.push(Record { t_us: now, phone: "NET".into(), event: Event::Log { text: format!("net {d}") } });
            }
            None
        }
        fn poll_at(&self) -> Option<u64> {
            self.due.first().copied()
        }
        fn drain_trace(&mut self) -> Vec<Record> {
            std::mem::take(&mut self.made)
        }
    }

    fn run() -> Vec<Record> {
        let cfg = MachineConfig { hardware: board::model::Hardware::St2030, mac: [0, 0x90, 0x96, 1, 2, 3], seed: 1, boot_rom: SLEEPER.to_vec(), flash: Vec::new() };
        let mut r = Runner::new(Machine::new(cfg).unwrap(), ClockMode::Virtual);
        r.set_network(Box::new(Logger { due: vec![500, 1000, 2500], made: Vec::new() }));
        r.schedule(1000, Input::PowerOn);
        let mut out = Vec::new();
        r.run_until(3000, &mut |rec| {
            out.push(rec.clone());
            Control::Continue
        });
        out
    }

    #[test]
    fn network_records_join_the_trace_in_time_order() {
        let t = run();
        let seen: Vec<(u64, String)> = t
            .iter()
            .map(|r| match &r.event {
                Event::Log { text } if r.phone == "NET" => (r.t_us, text.clone()),
                Event::Power { state: PowerState::On } => (r.t_us, "power on".into()),
                other => (r.t_us, format!("{other:?}")),
            })
            .collect();
        assert_eq!(seen.first(), Some(&(500, "net 500".to_string())));
        let net_1000 = seen.iter().position(|s| *s == (1000, "net 1000".to_string())).expect("net 1000");
        let power = seen.iter().position(|s| *s == (1000, "power on".to_string())).expect("power on");
        assert!(net_1000 < power, "the network's handover comes before the slice at the same instant: {seen:?}");
        assert_eq!(seen.last(), Some(&(2500, "net 2500".to_string())), "{seen:?}");
        assert!(t.windows(2).all(|w| w[0].t_us <= w[1].t_us), "{seen:?}");
        assert_eq!(t, run(), "deterministic");
    }
}
