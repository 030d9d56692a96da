//! `st20xx run`: one phone, powered on at time 0, key script applied, its
//! trace shown (headless) and optionally written as JSON lines; the flash
//! file loaded at start and saved at the end (also on Ctrl-C). Exits non-zero
//! when the phone crashed.
//!
//! Clock: `real` by default, `virtual` when `--for` is given (a bounded run
//! is a check, not a demo); `--clock` overrides either.

use crate::headless::Headless;
use anyhow::{Context, Result, bail};
use board::model::Model;
use clap::{Args, ValueEnum};
use rom::Roms;
use scenario::format::{Clock, Phone, parse_mac};
use scenario::play::{Driver, Flow};
use scenario::runner::PhoneDriver;
use scenario::script::{self, Input, Timed};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Clone, Copy, ValueEnum)]
pub enum ClockArg {
    Virtual,
    Real,
}

#[derive(Args)]
pub struct RunArgs {
    /// No window (the only front end for now: accepted for scripts that will
    /// keep working once the window exists).
    #[arg(long)]
    headless: bool,
    /// ST2030S, ST2030M, ST2022S or ST2022M.
    #[arg(long, default_value = "ST2030S", value_parser = crate::fw::parse_model)]
    model: Model,
    /// The phone's MAC.
    #[arg(long, default_value = "00:90:96:A1:B1:C1", value_parser = mac)]
    mac: [u8; 6],
    /// Flash image (8 MiB): loaded when it exists, else factory flash; saved at the end.
    #[arg(long)]
    flash: Option<PathBuf>,
    /// real (default) or virtual (default with --for).
    #[arg(long, value_enum)]
    clock: Option<ClockArg>,
    /// Seeds the phone's RNG and torn flash bytes.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Stop after this much emulated time (10s, 500ms, 2m, 1h, 3d, 1.5s); default: until Ctrl-C.
    #[arg(long = "for", value_name = "DURATION", value_parser = duration)]
    for_: Option<u64>,
    /// Timed inputs, e.g. "2s menu 2.5s down 3s ok 5s offhook 8s onhook".
    /// Tokens: TIME (from power-on) or +TIME (after the previous action);
    /// a key name (a press: down, up 100 ms later; untimed actions follow
    /// 200 ms apart); KEY:down, KEY:up; offhook, onhook; poweron, poweroff.
    #[arg(long, default_value = "")]
    keys: String,
    /// Write the trace as JSON lines to this file.
    #[arg(long)]
    trace: Option<PathBuf>,
    /// The roms/ directory (default: found beside the executable).
    #[arg(long)]
    roms: Option<PathBuf>,
    /// Also print flash operations and LCD icon/backlight changes.
    #[arg(long, short)]
    verbose: bool,
    /// Where the phone's cable goes: `lab` (the built-in lab serving
    /// assets/provisioning), `lab=DIR`, `tap:NAME` (a real network; real clock)
    /// or `none`.
    #[arg(long, default_value = "lab", value_parser = site::NetSpec::parse_arg)]
    net: site::NetSpec,
    #[command(flatten)]
    lab: site::LabOptions,
}

fn mac(s: &str) -> Result<[u8; 6], String> {
    parse_mac(s).ok_or_else(|| format!("`{s}`: a MAC is six hex bytes, e.g. 00:90:96:A1:B1:C1"))
}

fn duration(s: &str) -> Result<u64, String> {
    scenario::time::parse(s).map_err(|e| e.to_string())
}

/// How much emulated time one `run_until` covers, so Ctrl-C is seen promptly.
const SLICE_US: u64 = 100_000;

pub fn run(a: RunArgs) -> Result<ExitCode> {
    let inputs = script::parse(&a.keys).map_err(|e| anyhow::anyhow!("--keys: {e}"))?;
    let clock = match (a.clock, a.for_) {
        (Some(ClockArg::Virtual), _) if a.net.needs_real_clock() => bail!("--net {} talks to a real network: it needs --clock real", a.net),
        _ if a.net.needs_real_clock() => Clock::Real,
        (Some(ClockArg::Virtual), _) | (None, Some(_)) => Clock::Virtual,
        (Some(ClockArg::Real), _) | (None, None) => Clock::Real,
    };
    let dir = crate::paths::roms_dir(a.roms.as_deref());
    let roms = Roms::open(&dir).with_context(|| format!("cannot open the ROMs in {} (build them with `cargo xtask roms`, or pass --roms DIR)", dir.display()))?;
    let flash = match &a.flash {
        Some(p) if p.exists() => scenario::runner::load_flash(p)?,
        _ => scenario::runner::factory_flash(&roms, a.model)?,
    };
    let phone = Phone { model: a.model, mac: a.mac, seed: a.seed, clock, flash: None };
    let mut d = PhoneDriver::new(&phone, &roms, flash)?;
    let mut lab = a.lab;
    lab.seed = a.seed;
    let repo_root = dir.parent().unwrap_or(Path::new("."));
    let net = site::PhoneNet::build(&a.net, &lab, a.mac, repo_root).context("cannot set up the network")?;
    d.runner_mut().set_network(Box::new(net));

    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst)).context("cannot install the Ctrl-C handler")?;

    let mut trace_out = match &a.trace {
        Some(p) => Some(trace::JsonLines::new(std::io::BufWriter::new(std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?))),
        None => None,
    };
    let mut screen = Headless::new(std::io::stdout().lock(), a.verbose);
    d.schedule(0, Input::PowerOn);
    for Timed { at_us, input } in inputs {
        d.schedule(at_us, input);
    }

    let mut now = 0u64;
    let mut crashed = false;
    let mut io_err: Option<std::io::Error> = None;
    while !stop.load(Ordering::SeqCst) && !crashed && a.for_.is_none_or(|end| now < end) {
        let until = a.for_.map_or(now + SLICE_US, |end| end.min(now + SLICE_US));
        now = d.run_until(until, &mut |r| {
            let res = screen.feed(r).and_then(|_| trace_out.as_mut().map_or(Ok(()), |t| t.write(r)));
            if let Err(e) = res {
                io_err.get_or_insert(e);
            }
            if matches!(r.event, trace::Event::Crash { .. }) {
                crashed = true;
                return Flow::Pause;
            }
            Flow::Continue
        })
        .map_err(|e| anyhow::anyhow!(e))?;
        screen.flush()?;
        if let Some(e) = io_err.take() {
            return Err(e).context("cannot write the trace");
        }
    }
    if let Some(t) = trace_out.as_mut() {
        t.flush().context("cannot write the trace")?;
    }
    if let Some(p) = &a.flash {
        save_flash(p, d.flash())?;
    }
    let mut out = std::io::stdout().lock();
    if crashed {
        writeln!(out, "the phone crashed at {}", scenario::time::stamp(now))?;
        return Ok(ExitCode::FAILURE);
    }
    if stop.load(Ordering::SeqCst) {
        writeln!(out, "stopped at {}", scenario::time::stamp(now))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the flash through a temporary file and a rename, so an interrupted
/// save never leaves half an image.
fn save_flash(path: &Path, flash: &[u8]) -> Result<()> {
    if flash.len() != board::map::FLASH.len as usize {
        bail!("the phone's flash is {} bytes, expected {}", flash.len(), board::map::FLASH.len);
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, flash).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))
}
