//! One phone of the swarm: its machine, the frames waiting for it, the
//! frames it sent, and its phase tracker. Runs on any worker thread.
//!
//! Guarantees: [`Phone::run_until`] handles every event before `end` in time
//! order (power-on, frames arriving, the machine's own deadlines) and none
//! at or after it; the phone's time never goes back. A phone whose goal is
//! the lease ([`Goal::Lease`]) is powered off at the instant it reaches it,
//! its CPU stopped right after it logged the lease (the frames it sent up
//! to then still go out), and is never due again: frames for it are dropped.

use crate::config::{Goal, PhoneSpec};
use crate::phase::Tracker;
use machine::Machine;
use std::collections::VecDeque;
use trace::Record;

pub struct Phone {
    pub spec: PhoneSpec,
    machine: Machine,
    powered: bool,
    /// The cable is in (see `PhoneSpec::link_up_us`).
    plugged: bool,
    /// Powered off for good: its goal is reached.
    done: bool,
    goal: Goal,
    inbox: VecDeque<(u64, Vec<u8>)>,
    /// Frames sent since the swarm last took them, with their time.
    pub sent: Vec<(u64, Vec<u8>)>,
    pub tracker: Tracker,
    /// Records kept for a trace (only when asked).
    pub records: Vec<Record>,
    keep_records: bool,
    /// Which cell, and the phone's index in that cell's bank.
    pub cell: usize,
    pub slot: usize,
}

impl Phone {
    pub fn new(spec: PhoneSpec, mut machine: Machine, cell: usize, slot: usize, keep_records: bool, goal: Goal) -> Phone {
        let plugged = spec.link_up_us.is_none();
        machine.set_link(0, plugged);
        if goal == Goal::Lease {
            // Off at the lease line itself: nothing the firmware would do
            // next (SNTP, the INF search, their ARP) runs or is sent.
            machine.break_on_log(Some(crate::phase::is_lease_line));
        }
        Phone { spec, machine, powered: false, plugged, done: false, goal, inbox: VecDeque::new(), sent: Vec::new(), tracker: Tracker::with_goal(goal), records: Vec::new(), keep_records, cell, slot }
    }

    /// The next instant this phone has something to do.
    pub fn next_due(&self) -> Option<u64> {
        if self.done {
            return None;
        }
        if !self.powered {
            return Some(self.spec.power_on_us);
        }
        let inbox = self.inbox.front().map(|f| f.0);
        let plug = self.spec.link_up_us.filter(|_| !self.plugged);
        [inbox, plug, self.machine.poll_at()].into_iter().flatten().min()
    }

    /// A frame reaches the phone's NIC at `t_us` (kept until then).
    pub fn deliver(&mut self, t_us: u64, frame: Vec<u8>) {
        if self.done {
            return;
        }
        // Deliveries come in time order per phone; keep the queue sorted anyway.
        let at = self.inbox.iter().rposition(|f| f.0 <= t_us).map_or(0, |i| i + 1);
        self.inbox.insert(at, (t_us, frame));
    }

    /// Handles everything due before `end`.
    pub fn run_until(&mut self, end: u64) {
        while let Some(t) = self.next_due().filter(|&t| t < end) {
            let t = t.max(self.machine.now());
            if !self.powered {
                self.machine.power_on(t);
                self.powered = true;
            }
            if !self.plugged && self.spec.link_up_us.is_some_and(|p| p <= t) {
                self.machine.set_link(t, true);
                self.plugged = true;
            }
            while self.inbox.front().is_some_and(|f| f.0 <= t) {
                let (_, frame) = self.inbox.pop_front().expect("front checked");
                self.machine.nic_receive(t, &frame);
            }
            self.machine.run(t);
            self.collect(t);
            if self.goal == Goal::Lease && self.tracker.reached() {
                self.machine.power_cut(t);
                self.collect(t);
                self.done = true;
                self.inbox.clear();
            }
        }
    }

    /// Takes the machine's records and sent frames (made at `t`).
    fn collect(&mut self, t: u64) {
        for r in self.machine.drain_trace() {
            self.tracker.observe(&r);
            if self.keep_records {
                self.records.push(r);
            }
        }
        for f in self.machine.nic_take_sent() {
            self.tracker.sent(t, &f);
            self.sent.push((t, f));
        }
    }

    /// A record about this phone made elsewhere (the lab).
    pub fn observe(&mut self, r: Record) {
        self.tracker.observe(&r);
        if self.keep_records {
            self.records.push(r);
        }
    }
}
