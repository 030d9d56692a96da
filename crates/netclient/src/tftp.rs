//! TFTP (RFC 1350) read-request client with option extension (RFC 2347),
//! `blksize` (RFC 2348) and `tsize` (RFC 2349).
//!
//! [`wire`] reads and writes packets; [`client`] is the transfer state
//! machine. Data is streamed block by block to a [`crate::Sink`].

pub mod client;
pub mod wire;

pub use client::{Config, Status, TftpClient, TftpError};
pub use wire::{Packet, WireError};
