//! `st20xx swarm`: many phones against one provisioning server, with live
//! progress (`indicatif`), a human summary, a JSON report, a plot and an
//! optional trace; `st20xx swarm merge` combines shard reports. Each phone
//! runs until its goal (`--until provisioned`, the default, or `--until
//! lease`: powered off at its first lease). Exit 1 when more phones than
//! `--max-fail` did not reach their goal (failed or unfinished).

use anyhow::{Context, Result, bail};
use board::model::Model;
use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use machine::ClockMode;
use rom::Roms;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use swarm::{Goal, Mix, Report, Shard, Swarm, SwarmConfig, SwarmNet};

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SwarmArgs {
    #[command(subcommand)]
    command: Option<SwarmCommand>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand)]
enum SwarmCommand {
    /// Combine the reports of the shards of one swarm into one report.
    Merge {
        /// The shard reports (JSON).
        #[arg(required = true)]
        reports: Vec<PathBuf>,
        /// The merged report.
        #[arg(short = 'o', long = "out")]
        out: PathBuf,
        /// Also draw the merged report (.svg or .png).
        #[arg(long)]
        plot: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ClockArg {
    Virtual,
    Real,
}

#[derive(Args)]
struct RunArgs {
    /// Phones in the whole swarm (all shards together).
    #[arg(long)]
    count: Option<u64>,
    /// One model for every phone (default ST2030S).
    #[arg(long, value_parser = crate::fw::parse_model, conflicts_with = "mix")]
    model: Option<Model>,
    /// A model mix, e.g. ST2030S=70,ST2022S=30.
    #[arg(long)]
    mix: Option<String>,
    /// The first phone's MAC; phone k has this + k.
    #[arg(long, default_value = "00:90:96:00:00:00")]
    mac_base: String,
    /// Phones powered on per second (default: all at once).
    #[arg(long, value_name = "R")]
    ramp: Option<f64>,
    /// Cables out at power-on, plugged in at this emulated time (e.g. 5s): the phones boot and wait for the link, then all ask for DHCP (a DHCP load test without boot work in it).
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    link_up_at: Option<u64>,
    /// Cables plugged in per second from --link-up-at on (default: all at once).
    #[arg(long, value_name = "R", requires = "link_up_at")]
    link_ramp: Option<f64>,
    /// Stop after this much emulated time even if phones are still running.
    #[arg(long = "for", value_name = "DURATION", default_value = "10m", value_parser = duration)]
    for_: u64,
    /// Each phone's goal: `provisioned` (its whole provisioning run) or `lease` (its first DHCP lease; then it is powered off: a DHCP load test).
    #[arg(long, value_name = "GOAL", default_value = "provisioned", value_parser = goal)]
    until: Goal,
    /// `lab` (the built-in lab serving assets/provisioning), `lab=DIR`, or `tap:NAME` (real clock).
    #[arg(long, default_value = "lab", value_parser = site::NetSpec::parse_arg)]
    net: site::NetSpec,
    /// The lab's TOML configuration (default: DIR/lab.toml when it exists).
    #[arg(long = "lab", value_name = "FILE")]
    lab_file: Option<PathBuf>,
    /// A DHCP option the lab sends, CODE=VALUE (repeatable).
    #[arg(long = "dhcp-option", value_name = "CODE=VALUE", value_parser = site::dhcp_option)]
    dhcp_options: Vec<String>,
    /// virtual (default with the lab) or real (forced with a TAP).
    #[arg(long, value_enum)]
    clock: Option<ClockArg>,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Write the JSON report here.
    #[arg(long, value_name = "FILE.json")]
    report: Option<PathBuf>,
    /// Draw provisioned-over-time and phase latencies (.svg or .png).
    #[arg(long, value_name = "FILE")]
    plot: Option<PathBuf>,
    /// Write every phone's trace as JSON lines (large).
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// Run the I-th of N slices of the swarm (0-based), e.g. 0/4.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Exit 0 as long as at most this many phones did not reach their goal.
    #[arg(long, default_value_t = 0)]
    max_fail: u64,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    workers: usize,
    /// One-way link latency, µs (also the scheduler's lookahead).
    #[arg(long, default_value_t = 50)]
    latency_us: u64,
    /// At most this many phones per built-in lab (default 8: the lab keeps 8 ARP entries).
    #[arg(long, value_name = "N")]
    phones_per_lab: Option<usize>,
    /// The translation buffer of each worker thread's cores (shared by its phones), MiB (1 to 64; default 32).
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u32).range(1..=64))]
    code_buffer_mib: Option<u32>,
    /// Stop the built-in lab's HTTP server at this emulated time (e.g. 20s): TCP port 80 is dropped from then on.
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    http_stop_at: Option<u64>,
    /// The roms/ directory (default: found beside the executable).
    #[arg(long)]
    roms: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

fn goal(s: &str) -> Result<Goal, String> {
    Goal::parse(s).map_err(|e| e.to_string())
}

fn duration(s: &str) -> Result<u64, String> {
    scenario::time::parse(s).map_err(|e| e.to_string())
}

pub fn dispatch(a: SwarmArgs) -> Result<ExitCode> {
    match a.command {
        Some(SwarmCommand::Merge { reports, out, plot }) => merge(&reports, &out, plot.as_deref()),
        None => run(a.run),
    }
}

fn merge(paths: &[PathBuf], out: &Path, plot: Option<&Path>) -> Result<ExitCode> {
    let reports = paths.iter().map(|p| Report::read(p)).collect::<Result<Vec<_>, _>>()?;
    let merged = Report::merge(reports)?;
    merged.write(out)?;
    if let Some(p) = plot {
        swarm::plot::draw(&merged, p)?;
    }
    print!("{}", merged.summary());
    Ok(ExitCode::SUCCESS)
}

fn run(a: RunArgs) -> Result<ExitCode> {
    let Some(count) = a.count else { bail!("give --count N (or `swarm merge REPORTS… -o FILE`)") };
    let clock = match (a.clock, a.net.needs_real_clock()) {
        (Some(ClockArg::Virtual), true) => bail!("--net {} talks to a real network: it needs --clock real", a.net),
        (_, true) | (Some(ClockArg::Real), _) => ClockMode::Real,
        _ => ClockMode::Virtual,
    };
    let mut cfg = SwarmConfig::new(count, a.model.unwrap_or(Model::ALL[0]));
    if let Some(m) = &a.mix {
        cfg.mix = Mix::parse(m)?;
    }
    cfg.mac_base = swarm::parse_mac(&a.mac_base)?;
    cfg.ramp_per_s = a.ramp;
    cfg.link_up_us = a.link_up_at;
    cfg.link_ramp_per_s = a.link_ramp;
    cfg.duration_us = a.for_;
    cfg.until = a.until;
    cfg.clock = clock;
    cfg.seed = a.seed;
    cfg.shard = a.shard.as_deref().map(Shard::parse).transpose()?.unwrap_or(Shard::WHOLE);
    cfg.workers = a.workers;
    cfg.latency_us = a.latency_us;
    cfg.keep_trace = a.trace.is_some();
    cfg.phones_per_lab = a.phones_per_lab;
    if let Some(m) = a.code_buffer_mib {
        cfg.code_buffer = m << 20;
    }
    cfg.http_stop_us = a.http_stop_at;
    if a.http_stop_at.is_some() && a.net.needs_real_clock() {
        bail!("--http-stop-at stops the built-in lab's HTTP; with `{}` stop the real server instead", a.net);
    }

    let dir = crate::paths::roms_dir(a.roms.as_deref());
    let roms = Roms::open(&dir).with_context(|| format!("cannot open the ROMs in {}", dir.display()))?;
    let repo_root = dir.parent().unwrap_or(Path::new("."));
    let net = match &a.net {
        site::NetSpec::Tap { name } => {
            if a.lab_file.is_some() || !a.dhcp_options.is_empty() {
                bail!("--lab and --dhcp-option configure the built-in lab, but the network is `{}`", a.net);
            }
            SwarmNet::Tap { name: name.clone() }
        }
        site::NetSpec::Lab { dir } => {
            let dir = site::lab_dir(dir.as_deref(), repo_root)?;
            let lab_file = a.lab_file.clone().or_else(|| Some(dir.join("lab.toml")).filter(|f| f.is_file()));
            let opts = site::LabOptions { dhcp_options: a.dhcp_options.clone(), lab_file, ..Default::default() };
            SwarmNet::Lab { dir, config: swarm::swarm_lab_config(opts.lab_config()?) }
        }
        site::NetSpec::None => bail!("a swarm needs a server: use --net lab or --net tap:NAME"),
    };

    let mut trace_out = match &a.trace {
        Some(p) => Some(BufWriter::new(std::fs::File::create(p).with_context(|| format!("cannot write {}", p.display()))?)),
        None => None,
    };
    let mut trace_err: Option<std::io::Error> = None;
    let mut swarm = Swarm::new(&cfg, &roms, &net)?;
    let bar = if a.quiet { ProgressBar::hidden() } else { ProgressBar::new(swarm.len() as u64) };
    bar.set_style(ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}").expect("a fixed template").progress_chars("=> "));
    let mut last = (std::time::Instant::now(), 0usize);
    let until = cfg.until;
    let mut on_progress = |p: &swarm::Progress| {
        let done = p.provisioned + p.leased + p.failed;
        let rate = (done.saturating_sub(last.1)) as f64 / last.0.elapsed().as_secs_f64().max(1e-3);
        last = (std::time::Instant::now(), done);
        bar.set_position(done as u64);
        let t = p.now_us as f64 / 1e6;
        bar.set_message(match until {
            Goal::Provisioned => format!(
                "t={t:.1}s booted {} dhcp {} fetching {} rebooting {} provisioned {} failed {} ({rate:.0}/s)",
                p.booted, p.dhcp, p.fetching, p.rebooting, p.provisioned, p.failed
            ),
            Goal::Lease => format!("t={t:.1}s until lease: booted {} dhcp {} leased {} failed {} ({rate:.0}/s)", p.booted, p.dhcp, p.leased, p.failed),
        });
    };
    let mut write_record = |r: &trace::Record| {
        if let Some(w) = trace_out.as_mut()
            && trace_err.is_none()
            && let Err(e) = writeln!(w, "{}", r.to_json())
        {
            trace_err = Some(e);
        }
    };
    let sink: Option<&mut dyn FnMut(&trace::Record)> = if a.trace.is_some() { Some(&mut write_record) } else { None };
    let report = swarm.run(&mut on_progress, sink);
    bar.finish_and_clear();
    if let Some(mut w) = trace_out.take() {
        w.flush().context("cannot write the trace")?;
    }
    if let Some(e) = trace_err {
        bail!("cannot write the trace: {e}");
    }
    print!("{}", report.summary());
    if let Some(p) = &a.report {
        report.write(p)?;
    }
    if let Some(p) = &a.plot {
        swarm::plot::draw(&report, p)?;
    }
    let short_of_goal = report.failed + report.unfinished;
    Ok(if short_of_goal > a.max_fail { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
