//! A private X server (Xvfb) for one test: a display number no other server
//! holds, waited for until it accepts connections, killed on drop.
//!
//! Tests skip (loudly, on stderr) when Xvfb or the X tools are missing; CI
//! installs xvfb, xdotool, imagemagick and x11-utils.

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub struct Xvfb {
    child: Child,
    pub display: String,
    // Window tests run one at a time: several X servers and phones at once on
    // a loaded 2-core machine made windows fail to open in time.
    _turn: MutexGuard<'static, ()>,
}

static TURN: Mutex<()> = Mutex::new(());

static NEXT: AtomicU32 = AtomicU32::new(0);

/// Whether `tool` runs at all (found on PATH).
pub fn have(tool: &str) -> bool {
    Command::new(tool).arg("-version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok()
}

/// Says why the test is skipped so it cannot pass unnoticed: written to the
/// process's stderr directly, which the test harness does not capture.
pub fn skip(test: &str, missing: &str) {
    let _ = writeln!(std::io::stderr(), "\n*** SKIPPED {test}: {missing} not found (install xvfb, xdotool, imagemagick, x11-utils) ***\n");
}

impl Xvfb {
    /// Starts a server on a free display, or `None` when Xvfb is missing.
    pub fn start() -> Option<Xvfb> {
        if !have("Xvfb") {
            return None;
        }
        let turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
        // Spread tests of parallel runs apart, then step past displays in use.
        let base = 300 + (std::process::id() % 500) * 4;
        for _ in 0..64 {
            let n = base + NEXT.fetch_add(1, Ordering::SeqCst);
            if Path::new(&format!("/tmp/.X{n}-lock")).exists() || Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
                continue;
            }
            let child = Command::new("Xvfb")
                .args([format!(":{n}").as_str(), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("Xvfb starts");
            let mut child = child;
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(20) {
                if UnixStream::connect(format!("/tmp/.X11-unix/X{n}")).is_ok() && answers(&format!(":{n}")) {
                    return Some(Xvfb { child, display: format!(":{n}"), _turn: turn });
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break; // lost a race for this display: try the next
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("no free X display found for Xvfb");
    }
}

/// Whether the X server on `display` answers a real X request (a listening
/// socket alone did not mean it would accept clients yet).
fn answers(display: &str) -> bool {
    !have("xdotool")
        || Command::new("xdotool")
            .arg("getdisplaygeometry")
            .env("DISPLAY", display)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
