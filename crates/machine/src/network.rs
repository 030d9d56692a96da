//! The seam between a phone's NIC and whatever is at the other end of its
//! cable (a virtual switch port, the built-in lab, a TAP device), on the
//! emulator clock.

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
}
