//! Project automation: `cargo xtask <task>`.
//!
//! - `setup`  installs what a fresh machine needs (cmake and libclang for
//!   unicorn, the `thumbv7em-none-eabi` target, the lab's Debian packages).
//! - `roms`   rebuilds `roms/` byte-for-byte from source.
//! - `ci`     what CI runs: setup, the ROM reproducibility check, every test.
//! - `demo`   setup, then boots a phone against the built-in lab.

mod roms;
mod setup;

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::run(),
        Some("roms") => roms::run(&args[1..]),
        Some("ci") => ci(),
        Some("demo") => demo(&args[1..]),
        _ => Err("usage: cargo xtask setup | roms | ci | demo [st20xx run options…]".to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs a command, failing with its name when it does not succeed.
pub fn run_cmd(cmd: &mut Command) -> Result<(), String> {
    eprintln!("xtask: $ {cmd:?}");
    let status = cmd.status().map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("{cmd:?} failed: {status}")) }
}

/// The workspace root (the parent of `crates/xtask`).
pub fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).expect("xtask lives in crates/xtask").to_path_buf()
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

fn ci() -> Result<(), String> {
    setup::run()?;
    roms::run(&[])?;
    let out = Command::new("git")
        .current_dir(root())
        .args(["status", "--porcelain", "--", "roms", "assets/provisioning/*.zz"])
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let changed = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() || !changed.trim().is_empty() {
        return Err(format!(
            "roms/ (or the demo tree's firmware) differs from a fresh `cargo xtask roms`: the images are not reproducible or not committed\n{changed}"
        ));
    }
    netlab_install();
    run_cmd(cargo().args(["test", "--workspace", "--release", "--no-fail-fast"]))?;
    netlab_selftest()
}

/// Installs the real-server lab's Debian packages before the tests, so the
/// tests that drive real servers over TAP (`realnet`, `swarmnet`) run instead
/// of skipping. Without root, or when the install fails, those tests skip
/// loudly and the self-test reports why; CI itself does not fail here.
fn netlab_install() {
    let root_user = Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !root_user {
        eprintln!("xtask: !!! not root: the real-server lab is not installed; its tests will be SKIPPED");
        return;
    }
    let script = root().join("tests/netlab/install.sh");
    if let Err(e) = run_cmd(Command::new("bash").arg(&script).current_dir(root())) {
        eprintln!("xtask: !!! installing the real-server lab failed ({e}); its tests will be SKIPPED");
    }
}

/// The real-server lab's self-test (dnsmasq, Kea, tftpd-hpa, nginx, chrony
/// in network namespaces). It needs root; without it the script says so
/// loudly and exits 77, which is reported, never silently passed.
fn netlab_selftest() -> Result<(), String> {
    let script = root().join("tests/netlab/selftest.sh");
    eprintln!("xtask: $ bash {}", script.display());
    let status = Command::new("bash").arg(&script).current_dir(root()).status().map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    match status.code() {
        Some(0) => Ok(()),
        Some(77) => {
            eprintln!("xtask: !!! the real-server lab self-test was SKIPPED (needs root, network namespaces and /dev/net/tun)");
            Ok(())
        }
        _ => Err(format!("{} failed: {status}", script.display())),
    }
}

fn demo(rest: &[String]) -> Result<(), String> {
    setup::run()?;
    // `cargo xtask demo -- --for 30s` (as the README writes it) and
    // `cargo xtask demo --for 30s` both reach `st20xx run` as `--for 30s`.
    let rest = rest.strip_prefix(&["--".to_string()][..]).unwrap_or(rest);
    run_cmd(cargo().args(["run", "--release", "--", "run"]).args(rest))
}
