//! Drives the real-server lab (`tests/netlab/lab.sh`) from Rust integration
//! tests: include with `#[path = "netlab/netlab.rs"] mod netlab;`.
//!
//! Guarantees: every [`Lab`] has its own namespace prefix (parallel tests do
//! not collide) and is brought down when dropped; a machine that cannot run
//! the lab yields [`LabError::Skipped`] (lab.sh's exit 77), never a panic.
//! Standard library only, so any test crate can include it.

#![allow(dead_code)] // each including test uses only part of it

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// Why a lab is not available.
#[derive(Debug)]
pub enum LabError {
    /// The machine cannot run it (not root, no netns or TUN, packages missing):
    /// the caller should print this loudly and skip.
    Skipped(String),
    /// lab.sh ran and failed.
    Failed(String),
    /// lab.sh could not be run, or wrote a `lab.env` we cannot read.
    Io(std::io::Error),
}

impl fmt::Display for LabError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LabError::Skipped(why) => write!(f, "SKIPPED: {why}"),
            LabError::Failed(why) => write!(f, "lab.sh failed: {why}"),
            LabError::Io(e) => write!(f, "lab.sh: {e}"),
        }
    }
}

impl std::error::Error for LabError {}

impl From<std::io::Error> for LabError {
    fn from(e: std::io::Error) -> Self {
        LabError::Io(e)
    }
}

/// Which DHCP server the lab runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dhcp {
    Dnsmasq,
    Kea,
}

/// How to bring a lab up.
#[derive(Clone, Debug)]
pub struct Options {
    /// The tree the TFTP and HTTP servers serve.
    pub tree: PathBuf,
    pub dhcp: Dhcp,
    /// Also serve VLAN 100 (tagged on tap0).
    pub vlan: bool,
    /// No per-packet server logs (for load runs).
    pub quiet: bool,
}

/// The lab's namespaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ns {
    /// The bridge and `tap0`: run the emulator here.
    Switch,
    /// The servers.
    Servers,
    /// Spare namespace for real clients.
    Client,
}

/// A running lab; brought down on drop.
#[derive(Debug)]
pub struct Lab {
    /// Everything `lab.env` says (`NETLAB_*` keys).
    pub env: HashMap<String, String>,
    /// Where configs, logs, leases and pid files live.
    pub dir: PathBuf,
    name: String,
    down: bool,
}

/// lab.sh: `$NETLAB_SH` if set, else `tests/netlab/lab.sh` of the crate
/// being tested (the workspace root crate).
fn script() -> PathBuf {
    std::env::var_os("NETLAB_SH")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/netlab/lab.sh"))
}

/// A prefix unique to this process and call, short enough for lab.sh (31).
fn unique_name() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!("st20xx-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

/// Runs lab.sh and maps exit 77 to `Skipped`, other failures to `Failed`.
fn run(args: &[&str]) -> Result<Output, LabError> {
    let out = Command::new("bash").arg(script()).args(args).output()?;
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    match out.status.code() {
        Some(0) => Ok(out),
        Some(77) => Err(LabError::Skipped(stderr)),
        _ => Err(LabError::Failed(format!("{} ({})", stderr, out.status))),
    }
}

/// `KEY=value` lines, as lab.sh writes `lab.env`.
pub fn parse_env(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| !k.is_empty() && !k.starts_with('#'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

impl Lab {
    /// Brings a lab up and returns once every server answers.
    pub fn up(opts: &Options) -> Result<Lab, LabError> {
        let name = unique_name();
        let dir = std::env::temp_dir().join(format!("{name}.netlab"));
        let tree = opts.tree.to_str().ok_or_else(|| LabError::Failed("tree path is not UTF-8".into()))?;
        let labdir = dir.to_str().ok_or_else(|| LabError::Failed("temp dir is not UTF-8".into()))?;
        let dhcp = match opts.dhcp {
            Dhcp::Dnsmasq => "dnsmasq",
            Dhcp::Kea => "kea",
        };
        let mut args = vec!["up", "--name", &name, "--dir", tree, "--dhcp", dhcp, "--labdir", labdir];
        if opts.vlan {
            args.push("--vlan");
        }
        if opts.quiet {
            args.push("--quiet");
        }
        run(&args)?;
        let mut lab = Lab { env: HashMap::new(), dir, name, down: false };
        lab.env = parse_env(&std::fs::read_to_string(lab.dir.join("lab.env"))?);
        Ok(lab)
    }

    /// The namespace's name, e.g. to open `/run/netns/<name>` for setns(2).
    pub fn ns(&self, ns: Ns) -> String {
        let suffix = match ns {
            Ns::Switch => "sw",
            Ns::Servers => "srv",
            Ns::Client => "cli",
        };
        format!("{}-{suffix}", self.name)
    }

    /// `program` to be run inside `ns` (`ip netns exec`). The emulator runs
    /// as `command_in(Ns::Switch, "st20xx")` with `--net tap:tap0`.
    pub fn command_in(&self, ns: Ns, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.ns(ns)]).arg(program);
        c
    }

    /// Waits until tap0's bridge port forwards (call after attaching).
    pub fn wait_tap(&self, timeout: Duration) -> Result<(), LabError> {
        let secs = format!("{:.3}", timeout.as_secs_f64());
        run(&["wait-tap", "--name", &self.name, "--timeout", &secs]).map(|_| ())
    }

    /// A log of the lab dir (`dnsmasq.log`, `kea-dhcp4.log`, `kea-eval.log`,
    /// `nginx-access.log`, ...), lossily decoded.
    pub fn log(&self, file: &str) -> Result<String, LabError> {
        Ok(String::from_utf8_lossy(&std::fs::read(self.dir.join(file))?).into_owned())
    }

    /// Brings the lab down, killing everything in its namespaces.
    pub fn down(mut self) -> Result<(), LabError> {
        self.down_inner(false)
    }

    /// Like [`Lab::down`], but keeps the lab dir (logs) for inspection.
    pub fn down_keep_logs(mut self) -> Result<(), LabError> {
        self.down_inner(true)
    }

    fn down_inner(&mut self, keep: bool) -> Result<(), LabError> {
        self.down = true;
        let labdir = self.dir.to_string_lossy().into_owned();
        let mut args = vec!["down", "--name", &self.name, "--labdir", &labdir];
        if keep {
            args.push("--keep");
        }
        run(&args).map(|_| ())
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if !self.down {
            let _ = self.down_inner(false);
        }
    }
}

#[cfg(test)]
mod netlab_tests {
    use super::*;

    #[test]
    fn lab_env_lines_parse() {
        let env = parse_env("NETLAB_NAME=st20xx-1-0\nNETLAB_SERVER=10.77.0.1\n\nNETLAB_TREE=/tmp/a=b\n");
        assert_eq!(env.get("NETLAB_NAME").map(String::as_str), Some("st20xx-1-0"));
        assert_eq!(env.get("NETLAB_SERVER").map(String::as_str), Some("10.77.0.1"));
        assert_eq!(env.get("NETLAB_TREE").map(String::as_str), Some("/tmp/a=b"));
        assert_eq!(env.len(), 3);
    }

    #[test]
    fn names_are_unique_and_short() {
        let (a, b) = (unique_name(), unique_name());
        assert_ne!(a, b);
        assert!(a.len() <= 31, "{a}");
    }
}
