//! `st20xx`: an emulated Thomson ST2030 / ST2022 IP phone.
//!
//! Glue only: the phone is `machine`, scenarios are `scenario`, images are
//! `rom`. Subcommands: `run` (one phone, in a window or headless), `scenario`
//! (run scenario files, JUnit/JSON reports, coverage), `fw pack|inspect`,
//! `ser encrypt|decrypt`, `lint DIR`, `flash inspect`, `notify` (a SIP
//! check-sync NOTIFY to a phone).

mod flash_inspect;
mod fw;
mod headless;
mod lint;
mod notify;
mod paths;
mod run;
mod scenarios;
mod ser;
mod swarm;
mod window_front;
mod window_view;

use anyhow::Result;
use board::image::{Kind, Version};
use board::model::Model;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "st20xx", version, about = "An emulated Thomson ST2030 / ST2022 IP desk phone")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Boot one phone and show what it does.
    Run(Box<run::RunArgs>),
    /// Run scenario files (or every *.toml under directories) and report.
    Scenario(scenarios::ScenarioArgs),
    /// Firmware images (.zz).
    #[command(subcommand)]
    Fw(FwCommand),
    /// Encrypted config files (.ser), like the vendor's `aes_cbc_128 KEY IN OUT`.
    #[command(subcommand)]
    Ser(ser::SerCommand),
    /// Check a provisioning tree with the phone's own parsers (exit 1 on errors).
    Lint(lint::LintArgs),
    /// Many phones against one provisioning server (load test), or `swarm merge`.
    Swarm(Box<swarm::SwarmArgs>),
    /// Flash images saved by `st20xx run --flash`.
    #[command(subcommand)]
    Flash(flash_inspect::FlashCommand),
    /// Send a SIP NOTIFY check-sync to a phone and print its answer.
    Notify(notify::NotifyArgs),
}

#[derive(Subcommand)]
enum FwCommand {
    /// Write an image: a header over a payload (or over another image's payload).
    Pack(PackArgs),
    /// Print an image's header and check its CRC (non-zero exit when bad).
    Inspect {
        file: PathBuf,
    },
}

#[derive(Args)]
struct PackArgs {
    /// app, dsp or boot.
    #[arg(long, value_parser = fw::parse_kind)]
    kind: Kind,
    /// ST2030S, ST2030M, ST2022S or ST2022M.
    #[arg(long, value_parser = fw::parse_model)]
    model: Model,
    /// MAJOR.MINOR[.PATCH], e.g. 2.75.
    #[arg(long, value_parser = fw::parse_version)]
    version: Version,
    /// Build date YYMMDD (default: today, or the day of $SOURCE_DATE_EPOCH).
    #[arg(long, value_parser = fw::parse_date)]
    date: Option<[u8; 6]>,
    /// Reuse this image's payload under the new header.
    #[arg(long, conflicts_with = "payload", required_unless_present = "payload")]
    from: Option<PathBuf>,
    /// A raw payload file.
    #[arg(long)]
    payload: Option<PathBuf>,
    /// The image to write.
    #[arg(short = 'o', long = "out")]
    out: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("st20xx: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Run(a) => run::run(*a),
        Command::Scenario(a) => scenarios::run(a),
        Command::Ser(c) => ser::dispatch(c),
        Command::Lint(a) => lint::dispatch(a),
        Command::Flash(c) => flash_inspect::dispatch(c),
        Command::Swarm(a) => swarm::dispatch(*a),
        Command::Notify(a) => notify::dispatch(a),
        Command::Fw(FwCommand::Inspect { file }) => {
            print!("{}", fw::inspect_file(&file)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Fw(FwCommand::Pack(a)) => {
            let source = match (a.from, a.payload) {
                (Some(f), _) => fw::Source::Image(f),
                (None, Some(p)) => fw::Source::Payload(p),
                (None, None) => anyhow::bail!("give --from IMAGE or --payload FILE"),
            };
            println!("{}", fw::pack(a.kind, a.model, a.version, a.date.unwrap_or_else(fw::today), &source, &a.out)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}
