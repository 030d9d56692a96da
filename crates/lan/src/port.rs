//! The frame port contract: something that exchanges Ethernet frames with
//! time passed in.
//!
//! A frame is a whole Ethernet frame without FCS, 802.1Q tag included when
//! tagged. Time is emulated microseconds (`u64`), passed to every call.
//!
//! Contract, for implementors and drivers alike:
//! - `now` MUST be monotonic (never smaller than in any earlier call on the
//!   same port). Implementors MAY treat a smaller `now` as equal to the last.
//! - After every [`Port::receive`], and whenever `now >= poll_at()`, the driver
//!   MUST call [`Port::transmit`] until it returns `None`. `transmit` is also
//!   where the port runs its timers: a port does nothing between calls.
//! - [`Port::transmit`] MUST NOT return a frame that is not due yet (it never
//!   sends "from the future"), and MUST return every due frame eventually.
//! - [`Port::poll_at`] returns the earliest time at which `transmit` could
//!   return a frame or run a timer; `None` means "nothing until the next
//!   `receive`". A value `<= now` means "call `transmit` now".
//! - Ports MUST NOT panic on any input frame: runts, garbage and oversize
//!   frames are dropped (counted where the port keeps counters).
//! - Ports MUST be deterministic: same calls with the same times ⇒ same frames.

use std::any::Any;
use std::collections::VecDeque;

/// Something that exchanges Ethernet frames with time passed in.
///
/// `Any` lets a driver that owns ports as `Box<dyn Port>` hand back the
/// concrete type ([`crate::Switch::device_mut`]); `Send` lets a whole network
/// move to a worker thread.
pub trait Port: Any + Send {
    /// A frame arrives at this port from the wire at `now`.
    fn receive(&mut self, now: u64, frame: &[u8]);
    /// The next frame this port sends at `now`, if one is due; runs due timers.
    fn transmit(&mut self, now: u64) -> Option<Vec<u8>>;
    /// The earliest time `transmit` needs to be called again, if any.
    fn poll_at(&self) -> Option<u64>;
}

impl<P: Port + ?Sized> Port for Box<P> {
    fn receive(&mut self, now: u64, frame: &[u8]) {
        (**self).receive(now, frame)
    }
    fn transmit(&mut self, now: u64) -> Option<Vec<u8>> {
        (**self).transmit(now)
    }
    fn poll_at(&self) -> Option<u64> {
        (**self).poll_at()
    }
}

/// A port driven from outside: what the switch delivers to it waits in
/// `inbox` for its owner, and what its owner `send`s leaves on the next
/// `transmit`. The emulated phone's NIC, or a test, sits behind one.
///
/// Both queues are bounded ([`Endpoint::CAPACITY`] frames); a full queue drops
/// the newest frame and counts it, as a NIC with a full ring would.
#[derive(Debug, Default)]
pub struct Endpoint {
    inbox: VecDeque<(u64, Vec<u8>)>,
    outbox: VecDeque<Vec<u8>>,
    /// Frames dropped because a queue was full.
    pub dropped: u64,
}

impl Endpoint {
    pub const CAPACITY: usize = 4096;

    pub fn new() -> Self {
        Self::default()
    }
    /// Queues a frame to leave this port.
    pub fn send(&mut self, frame: Vec<u8>) {
        if self.outbox.len() >= Self::CAPACITY {
            self.dropped += 1;
        } else {
            self.outbox.push_back(frame);
        }
    }
    /// The oldest frame that arrived, with its arrival time.
    pub fn recv(&mut self) -> Option<(u64, Vec<u8>)> {
        self.inbox.pop_front()
    }
    /// Frames waiting in the inbox.
    pub fn pending(&self) -> usize {
        self.inbox.len()
    }
}

impl Port for Endpoint {
    fn receive(&mut self, now: u64, frame: &[u8]) {
        if self.inbox.len() >= Self::CAPACITY {
            self.dropped += 1;
        } else {
            self.inbox.push_back((now, frame.to_vec()));
        }
    }
    fn transmit(&mut self, _now: u64) -> Option<Vec<u8>> {
        self.outbox.pop_front()
    }
    fn poll_at(&self) -> Option<u64> {
        // Anything queued is due at once; the driver clamps to its `now`.
        if self.outbox.is_empty() { None } else { Some(0) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_queues_both_ways_in_order() {
        let mut e = Endpoint::new();
        assert_eq!(e.poll_at(), None);
        e.send(vec![1]);
        e.send(vec![2]);
        assert_eq!(e.poll_at(), Some(0));
        assert_eq!(e.transmit(5), Some(vec![1]));
        assert_eq!(e.transmit(5), Some(vec![2]));
        assert_eq!(e.transmit(5), None);
        e.receive(7, &[9, 9]);
        assert_eq!(e.recv(), Some((7, vec![9, 9])));
        assert_eq!(e.recv(), None);
    }

    #[test]
    fn endpoint_full_inbox_drops_and_counts() {
        let mut e = Endpoint::new();
        for i in 0..Endpoint::CAPACITY + 3 {
            e.receive(i as u64, &[0]);
        }
        assert_eq!(e.pending(), Endpoint::CAPACITY);
        assert_eq!(e.dropped, 3);
    }
}
