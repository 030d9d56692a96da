//! One phone on a clock, with scheduled inputs and an optional network: the
//! discrete-event loop every front end drives.
//!
//! Guarantees: inputs scheduled for the same instant apply in the order they
//! were scheduled, before the machine runs at that instant; an input
//! scheduled in the past applies at the current time; every trace record is
//! handed to the sink once, in time order; a slice's records all go to the
//! sink even when the sink asks to pause in the middle of them.

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
            if let Some(net) = self.network.as_mut() {
                while let Some(frame) = net.transmit(t) {
                    self.machine.nic_receive(t, &frame);
                }
            }
            self.machine.run(t);
            let sent = self.machine.nic_take_sent();
            if let Some(net) = self.network.as_mut() {
                for frame in &sent {
                    net.receive(t, frame);
                }
            }
            let mut paused = false;
            for record in self.machine.drain_trace() {
                paused |= sink(&record) == Control::Pause;
            }
            if paused {
                return RunEnd::Paused;
            }
        }
    }
}
