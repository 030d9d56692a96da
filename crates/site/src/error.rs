//! Everything that can stop a phone's network from being built, each with
//! the input that caused it, worded for the person who typed it.

use std::path::PathBuf;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum SiteError {
    #[error("`{0}` is not a network: use lab, lab=DIR, tap:NAME or none")]
    BadNet(String),
    #[error("`{0}` is not a TAP interface name (1 to 15 characters, no `/`, `:`, blanks or NUL)")]
    BadTapName(String),
    #[error("the lab directory {path}: {reason}")]
    LabDir { path: PathBuf, reason: String },
    #[error("cannot read the lab file {path}: {source}")]
    LabFile { path: PathBuf, source: std::io::Error },
    #[error("{}{source}", path.as_ref().map(|p| format!("{}: ", p.display())).unwrap_or_default())]
    LabConfig { path: Option<PathBuf>, source: lan::lab::ConfigError },
    #[error("the lab's VLAN must be 1..=4094, not {0}")]
    BadVlan(u16),
    #[error("{option} configures the built-in lab, but the network is `{net}` (use --net lab)")]
    LabOnly { option: &'static str, net: String },
    #[error("loss must be a probability 0..=1, not {0}")]
    BadLoss(f64),
    #[error("cannot attach to TAP device `{name}`: {source}")]
    Tap { name: String, source: std::io::Error },
    #[error("cannot write the pcap file {path}: {source}")]
    Pcap { path: PathBuf, source: std::io::Error },
}
