//! The `[net]` table of a scenario, once parsed: which provisioning tree the
//! built-in lab serves (a base, an overlay, removals, damaged files) and the
//! lab's DHCP and HTTP settings, as `st20xx run`'s network flags would give
//! them. `tree` turns it into a served directory.
//!
//! Guarantees: every path is resolved against the scenario file's folder;
//! the base, overlay and lab file existed when the file was parsed; every
//! path inside the tree (`remove`, `mutate`) is relative and never leaves it.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::PathBuf;

/// The network of a scenario: the lab serving a tree.
#[derive(Clone, Debug, PartialEq)]
pub struct Net {
    pub base: Base,
    /// A directory whose files replace or add to the base's.
    pub overlay: Option<PathBuf>,
    /// Paths (relative to the tree) taken out of the served tree.
    pub remove: Vec<String>,
    /// The lab's TOML; `None`: the served tree's own `lab.toml`, if any.
    pub lab_file: Option<PathBuf>,
    /// `CODE=VALUE`, as `--dhcp-option` (checked when parsed).
    pub dhcp_options: Vec<String>,
    pub dhcp_file: Option<String>,
    pub dhcp_siaddr: Option<Ipv4Addr>,
    /// Frame loss probability each way, 0..=1.
    pub loss: f64,
    /// Forced HTTP status per request path (`/ST2030S.inf`).
    pub http_status: BTreeMap<String, u16>,
    pub mutate: Vec<Mutate>,
}

/// Where the served tree starts from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Base {
    /// The repository's `assets/provisioning`.
    Demo,
    Dir(PathBuf),
}

/// Damage done to one served file, after overlay and removals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mutate {
    /// Line in the scenario file, for messages.
    pub line: usize,
    /// Relative to the tree.
    pub path: String,
    /// Invert every bit of the byte at this offset.
    pub flip: Option<u64>,
    /// Keep only the first N bytes (applied after `flip`).
    pub truncate: Option<u64>,
}

/// What a DHCP option's value must be (bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OptionValue {
    Equals(Vec<u8>),
    Contains(Vec<u8>),
}

impl std::fmt::Display for OptionValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OptionValue::Equals(b) => write!(f, "= {}", show_bytes(b)),
            OptionValue::Contains(b) => write!(f, "containing {}", show_bytes(b)),
        }
    }
}

/// Bytes for messages: the text when printable ASCII, else hex.
pub fn show_bytes(b: &[u8]) -> String {
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    if !b.is_empty() && b.iter().all(|c| (0x20..0x7f).contains(c)) { format!("{:?} ({hex})", String::from_utf8_lossy(b)) } else { format!("0x{hex}") }
}
