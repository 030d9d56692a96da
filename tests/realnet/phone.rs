//! The emulated phone as a separate process on a real network: a flash
//! image with some configuration keys preset, and `st20xx run --headless
//! --clock real --net tap:tap0` started inside the lab's switch namespace,
//! its console lines collected until the test has what it waits for.
//!
//! Guarantees: the phone process is killed (by its pid) and reaped before
//! `run` returns, whatever happened, so the next run can attach tap0.

use crate::netlab::{Lab, Ns};
use rom::{Model, Roms};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The ROMs directory: `$ST20XX_ROMS` (as `st20xx` reads it), else `roms/`.
pub fn roms_dir() -> PathBuf {
    std::env::var_os("ST20XX_ROMS").map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("roms"), PathBuf::from)
}

/// A factory ST2030S flash with `config` preset in its config store; the
/// firmware's defaults still answer for every other key.
pub fn flash_with(config: &[(&str, &str)]) -> Vec<u8> {
    let dir = roms_dir();
    let roms = Roms::open(&dir).unwrap_or_else(|e| panic!("{}: {e} (build it with `cargo xtask roms`)", dir.display()));
    let app = roms.firmware(Model::parse("ST2030S").unwrap()).expect("the ST2030S image");
    let mut flash = rom::factory_flash(&app);
    let keys: Vec<(String, Vec<u8>)> = config.iter().map(|(k, v)| (k.to_string(), v.as_bytes().to_vec())).collect();
    scenario::preconfig::write_config(&mut flash, &keys).expect("config fits");
    flash
}

/// What one phone run printed.
pub struct Console {
    /// The firmware's console lines (`log` records), text only.
    pub lines: Vec<String>,
    /// Every headless output line (LCD boxes, LEDs, boots, console).
    pub raw: Vec<String>,
    pub took: Duration,
}

impl Console {
    /// The first console line starting with `prefix`.
    pub fn find(&self, prefix: &str) -> Option<&str> {
        self.lines.iter().map(String::as_str).find(|l| l.starts_with(prefix))
    }
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }
}

/// Kills and reaps the phone process on every way out.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the phone with `flash` in `lab` until `done` holds for its console
/// lines (the firmware's `log` records) or `limit` passed.
pub fn run(lab: &Lab, scratch: &Path, tag: &str, flash: &[u8], limit: Duration, done: impl Fn(&Console) -> bool) -> Console {
    let flash_file: PathBuf = scratch.join(format!("{tag}.flash"));
    std::fs::write(&flash_file, flash).unwrap();
    let start = Instant::now();
    let child = lab
        .command_in(Ns::Switch, env!("CARGO_BIN_EXE_st20xx"))
        .args(["run", "--headless", "--clock", "real", "--net", "tap:tap0", "--for"])
        .arg(format!("{}s", limit.as_secs() + 5))
        .arg("--flash")
        .arg(&flash_file)
        .arg("--roms")
        .arg(roms_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start st20xx");
    let mut child = Reaped(child);
    let (tx, rx) = mpsc::channel();
    let out = child.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut console = Console { lines: Vec::new(), raw: Vec::new(), took: Duration::ZERO };
    while start.elapsed() < limit && !done(&console) {
        match rx.recv_timeout(Duration::from_millis(100)) {
            // Headless lines are `  T.TTTTTT PHONE what`; console lines' `what` is `log TEXT`.
            Ok(line) => {
                console.lines.extend(line.split_once(" log ").map(|(_, t)| t.to_string()));
                console.raw.push(line);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    console.took = start.elapsed();
    drop(child);
    console
}
