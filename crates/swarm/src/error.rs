//! Everything that can stop a swarm from starting or a report from being
//! read, each naming the input that caused it.

use std::path::PathBuf;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum SwarmError {
    #[error("`{text}` is not a model mix ({why}); e.g. ST2030S=70,ST2022S=30")]
    BadMix { text: String, why: String },
    #[error("`{0}` is not a shard: use I/N with 0 <= I < N, e.g. 0/4")]
    BadShard(String),
    #[error("`{0}` is not a MAC address (six hex bytes, e.g. 00:90:96:00:00:00)")]
    BadMac(String),
    #[error("the ramp must be a positive number of phones per second, not {0}")]
    BadRamp(f64),
    #[error("`{0}` is not a goal: use lease or provisioned")]
    BadGoal(String),
    #[error("{count} phones from MAC {base} would run past ff:ff:ff:ff:ff:ff")]
    MacRange { base: String, count: u64 },
    #[error("{phones} phones need about {need} memory mappings, and the kernel allows this process {limit} (vm.max_map_count): raise it, e.g. `sysctl -w vm.max_map_count={need}`, or run fewer phones per process (--shard)")]
    MapLimit { phones: u64, need: u64, limit: u64 },
    #[error("a swarm needs at least one phone in this shard")]
    NoPhones,
    #[error("a TAP network talks to real servers: it needs the real clock (--clock real)")]
    TapNeedsRealClock,
    #[error("the lab's DHCP pool {0}..={1} holds no address")]
    EmptyPool(std::net::Ipv4Addr, std::net::Ipv4Addr),
    #[error("cannot open the ROMs: {0}")]
    Rom(#[from] rom::RomError),
    #[error("cannot build phone {mac}: {source}")]
    Machine { mac: String, source: machine::MachineError },
    #[error("the lab: {0}")]
    Lab(#[from] lan::lab::ConfigError),
    #[error("cannot attach to TAP device `{name}`: {source}")]
    Tap { name: String, source: std::io::Error },
    #[error("cannot start the worker threads: {0}")]
    Workers(String),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: not a swarm report: {source}")]
    BadReport { path: PathBuf, source: serde_json::Error },
    #[error("cannot merge: phone {mac} (index {index}) is in more than one report")]
    Overlap { mac: String, index: u64 },
    #[error("cannot merge: {0}")]
    Mismatch(String),
    #[error("cannot draw the plot {path}: {reason}")]
    Plot { path: PathBuf, reason: String },
}
