//! Installs what the project needs on a fresh Debian machine, and nothing
//! that is already there: the `thumbv7em-none-eabi` target (rustup), cmake
//! and libclang (to build unicorn's bundled C library), and the Debian
//! packages of the real-server lab. Needs root (or sudo) only when a package
//! is missing.

use crate::run_cmd;
use std::process::Command;

const TARGET: &str = "thumbv7em-none-eabi";

/// Debian packages: (package, a file that shows it is installed).
const PACKAGES: &[(&str, &str)] = &[
    ("cmake", "/usr/bin/cmake"),
    ("libclang1-14", "/usr/lib/x86_64-linux-gnu/libclang-14.so.1"),
    ("libclang-common-14-dev", "/usr/lib/llvm-14/lib/clang/14.0.6/include/stdbool.h"),
    ("pkg-config", "/usr/bin/pkg-config"),
    // The window's test runs it under a real X server and drives it.
    ("xvfb", "/usr/bin/Xvfb"),
    ("xdotool", "/usr/bin/xdotool"),
    ("imagemagick", "/usr/bin/import"),
    ("x11-utils", "/usr/bin/xwininfo"),
];

pub fn run() -> Result<(), String> {
    ensure_target()?;
    ensure_packages(PACKAGES)
}

fn ensure_target() -> Result<(), String> {
    let out = Command::new("rustup").args(["target", "list", "--installed"]).current_dir(crate::root()).output();
    match out {
        Ok(o) if String::from_utf8_lossy(&o.stdout).lines().any(|l| l.trim() == TARGET) => Ok(()),
        Ok(_) => run_cmd(Command::new("rustup").args(["target", "add", TARGET]).current_dir(crate::root())),
        Err(e) => Err(format!("rustup is needed to add the {TARGET} target: {e}")),
    }
}

/// Installs the missing packages of `wanted` with apt-get.
pub fn ensure_packages(wanted: &[(&str, &str)]) -> Result<(), String> {
    let missing: Vec<&str> = wanted.iter().filter(|(_, f)| !std::path::Path::new(f).exists()).map(|(p, _)| *p).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let root = is_root();
    let sudo = |args: &[&str]| {
        let mut c = if root { Command::new(args[0]) } else { Command::new("sudo") };
        if root { c.args(&args[1..]); } else { c.args(args); }
        c.env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    eprintln!("xtask: installing Debian packages: {}", missing.join(" "));
    run_cmd(&mut sudo(&["apt-get", "update", "-qq"]))?;
    let mut args = vec!["apt-get", "install", "-y", "-qq", "--no-install-recommends"];
    args.extend(&missing);
    run_cmd(&mut sudo(&args)).map_err(|e| format!("{e} (installing needs root or sudo)"))
}

pub fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false)
}
