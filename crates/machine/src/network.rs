//! The seam between a phone's NIC and whatever is at the other end of its
//! cable (a virtual switch port, the built-in lab, a TAP device), on the
//! emulator clock. A network may also observe things worth tracing (a lab
//! server's answers, frames on the wire) and hand them to the [`Runner`]
//! (crate::Runner), which merges them into the phone's trace.

/// The far end of the phone's Ethernet cable. Frames are whole Ethernet
/// frames without FCS (802.1Q tag included when tagged).
///
/// Contract:
/// - `now` MUST be non-decreasing across calls.
/// - `receive` MUST accept any frame (drop what it cannot carry).
/// - `transmit(now)` returns the next frame due for the phone at or before
///   `now`; after it returned `None`, `poll_at` MUST be `None` or later than
///   `now` until `receive` is called again.
pub trait Network {
    /// The phone sent `frame` at `now`.
    fn receive(&mut self, now: u64, frame: &[u8]);
    /// The next frame for the phone due at or before `now`.
    fn transmit(&mut self, now: u64) -> Option<Vec<u8>>;
    /// When `transmit` will next have a frame; `None` when only `receive` can change that.
    fn poll_at(&self) -> Option<u64>;
    /// Trace records made since the last call, oldest first, each stamped
    /// with the `now` of the `receive`/`transmit` call that made it.
    fn drain_trace(&mut self) -> Vec<trace::Record> {
        Vec::new()
    }
}
