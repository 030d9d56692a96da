//! The phone's protocol clients: TFTP, HTTP/1.1, URLs, SNTP, DNS and the SIP
//! request parser / response builder used for `check-sync` NOTIFYs.
//!
//! Everything here is `no_std`, allocation-free and sans-I/O, shaped like
//! smoltcp sockets: a client never touches a socket or a clock. The firmware
//! glue feeds received bytes with `process(now, ..)`, sends what `dispatch`
//! hands it, and wakes the client at `poll_at()`. Times are microseconds
//! (`u64`) from any monotonic origin; `now` MUST never go backwards.
//!
//! Guarantees shared by every module: all buffers are fixed-size, every
//! transfer has a size limit and a deadline, and malformed input yields a
//! typed error, never a panic.
#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

pub mod dns;
pub mod http;
pub mod sink;
pub mod sip;
pub mod sntp;
pub mod tftp;
pub mod url;

pub use sink::{Sink, SinkError, SliceSink};
