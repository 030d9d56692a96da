//! `st20xx run`: one phone, powered on at time 0, key script applied, shown
//! in a desktop window when a display answers (else, or with `--headless`,
//! its trace as text) and optionally written as JSON lines; the flash file
//! loaded at start and saved at the end (also on Ctrl-C, closing the window
//! or Q). `--screenshot` writes a PNG of the window at an emulated instant,
//! with or without a display. Exits non-zero when the phone crashed.
//!
//! Clock: `real` by default, `virtual` when `--for` is given (a bounded run
//! is a check, not a demo); `--clock` overrides either. The emulator runs in
//! slices and the window is polled between them without ever waiting, so in
//! real-clock mode a window that stalls (dragged) only makes the emulator
//! catch up afterwards.

use crate::headless::Headless;
use crate::window_front::WindowFront;
use crate::window_view::ViewState;
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

#[derive(Clone, Copy, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Args)]
pub struct RunArgs {
    /// No window even when a display answers: the trace as text.
    #[arg(long)]
    headless: bool,
    /// Window (and screenshot) scale factor, 1 to 8.
    #[arg(long, default_value_t = 1, value_parser = scale)]
    scale: usize,
    /// The window's side panel (APS log and network requests); Tab toggles it.
    #[arg(long, value_enum, default_value = "on")]
    panel: OnOff,
    /// Write a PNG of the window at --screenshot-at (drawn without a display
    /// when headless).
    #[arg(long, value_name = "FILE.png")]
    screenshot: Option<PathBuf>,
    /// Emulated time of the screenshot (default: the end of the run).
    #[arg(long, value_name = "DURATION", value_parser = duration, requires = "screenshot")]
    screenshot_at: Option<u64>,
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

fn scale(s: &str) -> Result<usize, String> {
    let max = window::window::MAX_SCALE;
    s.parse().ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| format!("`{s}`: the scale is a whole number from 1 to {max}"))
}

/// How much emulated time one `run_until` covers headless, so Ctrl-C is seen promptly.
const SLICE_US: u64 = 100_000;
/// The same with a window: short enough that input is felt at once and the
/// window is polled often (`WindowFront::poll` itself limits how often).
const WINDOW_SLICE_US: u64 = 10_000;

/// A screenshot still to take.
struct Shot {
    path: PathBuf,
    /// `None`: at the end of the run.
    at: Option<u64>,
}

pub fn run(a: RunArgs) -> Result<ExitCode> {
    let inputs = script::parse(&a.keys).map_err(|e| anyhow::anyhow!("--keys: {e}"))?;
    let clock = match (a.clock, a.for_) {
        (Some(ClockArg::Virtual), _) if a.net.needs_real_clock() => bail!("--net {} talks to a real network: it needs --clock real", a.net),
        _ if a.net.needs_real_clock() => Clock::Real,
        (Some(ClockArg::Virtual), _) | (None, Some(_)) => Clock::Virtual,
        (Some(ClockArg::Real), _) | (None, None) => Clock::Real,
    };
    if let (Some(at), Some(end)) = (a.screenshot_at, a.for_)
        && at > end
    {
        bail!("--screenshot-at {} is after the end of the run (--for {})", scenario::time::stamp(at), scenario::time::stamp(end));
    }

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
    let show_panel = matches!(a.panel, OnOff::On);
    let mut win = if a.headless || !window::display_available() {
        None
    } else {
        match WindowFront::open(a.scale, show_panel) {
            Ok(w) => Some(w),
            Err(e) => {
                eprintln!("st20xx: {e}; running headless");
                None
            }
        }
    };
    if win.is_some() {
        eprintln!("st20xx: window open ({} clock); ? shows the keys, Q or closing the window stops", if clock == Clock::Real { "real" } else { "virtual" });
    }
    let mut screen = win.is_none().then(|| Headless::new(std::io::stdout().lock(), a.verbose));
    let mut view = ViewState::new(a.model, a.mac);
    let mut shot = a.screenshot.clone().map(|path| Shot { path, at: a.screenshot_at });
    let shot_options = |win: &Option<WindowFront>| match win {
        Some(w) => w.render_options(),
        None => window::RenderOptions { scale: a.scale, show_panel, ..Default::default() },
    };
    d.schedule(0, Input::PowerOn);
    for Timed { at_us, input } in inputs {
        d.schedule(at_us, input);
    }

    let slice = if win.is_some() { WINDOW_SLICE_US } else { SLICE_US };
    let mut now = 0u64;
    let mut crashed = false;
    let mut quit = false;
    let mut io_err: Option<std::io::Error> = None;
    let mut shot_result = Ok(());
    while !stop.load(Ordering::SeqCst) && !quit && !crashed && a.for_.is_none_or(|end| now < end) {
        let mut until = now + slice;
        if let Some(end) = a.for_ {
            until = until.min(end);
        }
        if let Some(Shot { at: Some(t), .. }) = &shot
            && *t >= now
        {
            until = until.min(*t);
        }
        now = d.run_until(until, &mut |r| {
            view.feed(r);
            let shown = screen.as_mut().map_or(Ok(()), |s| s.feed(r));
            if let Err(e) = shown.and_then(|_| trace_out.as_mut().map_or(Ok(()), |t| t.write(r))) {
                io_err.get_or_insert(e);
            }
            if matches!(r.event, trace::Event::Crash { .. }) {
                crashed = true;
                return Flow::Pause;
            }
            Flow::Continue
        })
        .map_err(|e| anyhow::anyhow!(e))?;
        if let Some(s) = screen.as_mut() {
            s.flush()?;
        }
        if let Some(e) = io_err.take() {
            return Err(e).context("cannot write the trace");
        }
        if let Some(s) = shot.take_if(|s| s.at.is_some_and(|t| now >= t)) {
            // Reported at the end, so the run still saves its trace and flash.
            shot_result = save_shot(&s.path, &view.view(d.runner_mut().machine(), now), &shot_options(&win));
        }
        if let Some(w) = win.as_mut()
            && w.due()
        {
            let asked = w.poll(&view.view(d.runner_mut().machine(), now));
            for input in asked.inputs {
                d.schedule(now, input);
            }
            quit = asked.quit;
        }
    }
    if let Some(t) = trace_out.as_mut() {
        t.flush().context("cannot write the trace")?;
    }
    if let Some(p) = &a.flash {
        save_flash(p, d.flash())?;
    }
    match shot {
        Some(Shot { at: Some(t), .. }) if t > now => {
            eprintln!("st20xx: no screenshot: the run ended at {}, before --screenshot-at {}", scenario::time::stamp(now), scenario::time::stamp(t));
        }
        Some(s) => shot_result = save_shot(&s.path, &view.view(d.runner_mut().machine(), now), &shot_options(&win)),
        None => {}
    }
    shot_result?;
    drop(win);
    let mut out = std::io::stdout().lock();
    if crashed {
        writeln!(out, "the phone crashed at {}", scenario::time::stamp(now))?;
        return Ok(ExitCode::FAILURE);
    }
    if stop.load(Ordering::SeqCst) || quit {
        writeln!(out, "stopped at {}", scenario::time::stamp(now))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn save_shot(path: &Path, view: &window::PhoneView, opts: &window::RenderOptions) -> Result<()> {
    window::save_png(&window::render(view, opts), path).context("cannot write the screenshot")
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
