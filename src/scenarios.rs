//! `st20xx scenario`: loads scenario files, runs each on an emulated phone,
//! prints a verdict per scenario, writes JUnit XML / JSON / traces on
//! request, and exits non-zero when any scenario failed. `--coverage` only
//! lists which scenarios cover which CONFORMANCE.md requirement.

use anyhow::{Context, Result, bail};
use clap::Args;
use rom::Roms;
use scenario::{Scenario, report};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct ScenarioArgs {
    /// Scenario files, or directories searched for *.toml (recursively).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Write a JUnit XML report here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Write a JSON report here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write each scenario's trace as DIR/<name>.jsonl.
    #[arg(long, value_name = "DIR")]
    trace_dir: Option<PathBuf>,
    /// Only list requirement coverage (runs nothing).
    #[arg(long)]
    coverage: bool,
    /// The roms/ directory (default: found beside the executable).
    #[arg(long)]
    roms: Option<PathBuf>,
}

/// Expands directories into their *.toml files, sorted; files stay as given.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found).with_context(|| format!("cannot read {}", p.display()))?;
            if found.is_empty() {
                bail!("{}: no *.toml scenario files", p.display());
            }
            found.sort();
            out.extend(found);
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            bail!("{}: no such file or directory", p.display());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            // A scenario's served trees (overlays) are data, not scenarios.
            if p.file_name().is_some_and(|n| n != "trees") {
                walk(&p, out)?;
            }
        } else if p.extension().is_some_and(|x| x == "toml") && p.file_name().is_some_and(|n| n != "lab.toml") {
            out.push(p);
        }
    }
    Ok(())
}

pub fn run(a: ScenarioArgs) -> Result<ExitCode> {
    let files = collect(&a.paths)?;
    let mut scenarios: Vec<Scenario> = Vec::new();
    let mut bad = Vec::new();
    for f in &files {
        match scenario::load(f) {
            Ok(s) => scenarios.push(s),
            Err(e) => bad.push(e.to_string()),
        }
    }
    if !bad.is_empty() {
        bail!("{} scenario file(s) do not parse:\n{}", bad.len(), bad.join("\n"));
    }
    if a.coverage {
        print!("{}", scenario::coverage::table(scenarios.iter().map(|s| (s.name.as_str(), s.covers.as_slice()))));
        return Ok(ExitCode::SUCCESS);
    }
    let dir = crate::paths::roms_dir(a.roms.as_deref());
    let roms = Roms::open(&dir).with_context(|| format!("cannot open the ROMs in {} (build them with `cargo xtask roms`, or pass --roms DIR)", dir.display()))?;
    let mut reports = Vec::new();
    for s in &scenarios {
        let r = scenario::run(s, &roms);
        print!("{}", r.summary());
        if let Some(d) = &a.trace_dir {
            std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
            let path = d.join(format!("{}.jsonl", file_stem(&s.path)));
            let text: String = r.trace.iter().map(|rec| rec.to_json() + "\n").collect();
            std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        }
        reports.push(r);
    }
    if let Some(p) = &a.junit {
        std::fs::write(p, report::junit(&reports)).with_context(|| format!("cannot write {}", p.display()))?;
    }
    if let Some(p) = &a.json {
        std::fs::write(p, report::json(&reports)).with_context(|| format!("cannot write {}", p.display()))?;
    }
    let failed = reports.iter().filter(|r| !r.passed()).count();
    println!("{} passed, {failed} failed", reports.len() - failed);
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn file_stem(p: &Path) -> String {
    p.file_stem().map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned())
}
