//! The desktop window of `st20xx run`, on a private Xvfb display: the window
//! opens, its screenshot shows what the trace says the LCD showed, and keys
//! typed into the window (xdotool) reach the phone and change what the
//! window shows (read back from the X server with ImageMagick's `import`).
//!
//! The LCD is checked pixel for pixel against the window crate's rendering
//! of the same text with the same font. The phones run with `--net none`:
//! these tests are about the window, not provisioning.

mod lcd;
mod xvfb;

use lcd::{Picture, assert_lcd_shows, lcd_at};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use trace::{Event, Record};
use xvfb::Xvfb;

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("st20xx-window-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn st20xx(display: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_st20xx"));
    c.env("DISPLAY", display).env_remove("WAYLAND_DISPLAY");
    c
}

fn text(o: &Output) -> String {
    format!("status {:?}\nstdout:\n{}\nstderr:\n{}", o.status, String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn read_trace(path: &Path) -> Vec<Record> {
    trace::read_json_lines(&std::fs::read_to_string(path).expect("trace written")).expect("trace parses")
}

/// Runs an X tool on `display`; panics with its output when it fails.
fn x_tool(display: &str, tool: &str, args: &[&str]) -> String {
    let o = Command::new(tool).args(args).env("DISPLAY", display).output().unwrap_or_else(|e| panic!("{tool}: {e}"));
    assert!(o.status.success(), "{tool} {args:?}: {}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Kills the run when a test fails half-way, so no window outlives it.
struct Running(Option<Child>);

impl Running {
    fn finish(mut self) -> Output {
        self.0.take().expect("running").wait_with_output().expect("st20xx ends")
    }

    fn finish_now(mut self) -> Output {
        let _ = self.0.as_mut().expect("running").kill();
        self.finish()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(c) = self.0.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The id of the run's window: its title names the model once the first
/// frame is up. Gives the run back, or ends it and fails after 30 s (CI machines are slow and loaded).
fn find_window(run: Running, display: &str, started: Instant) -> (Running, String) {
    loop {
        let o = Command::new("xdotool").args(["search", "--name", "^ST2030S "]).env("DISPLAY", display).output().expect("xdotool runs");
        if let Some(id) = String::from_utf8_lossy(&o.stdout).lines().next() {
            return (run, id.trim().to_string());
        }
        if started.elapsed() > Duration::from_secs(30) {
            let out = run.finish_now();
            panic!("no window titled ST2030S appeared:\n{}", text(&out));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_window_opens_and_its_screenshot_shows_the_lcd() {
    let Some(x) = Xvfb::start() else {
        return xvfb::skip("the_window_opens_and_its_screenshot_shows_the_lcd", "Xvfb");
    };
    let dir = scratch("shot");
    let (png, t) = (dir.join("w.png"), dir.join("t.jsonl"));
    let started = Instant::now();
    let o = st20xx(&x.display)
        .args(["run", "--net", "none", "--clock", "virtual", "--for", "20s", "--keys", "3s menu", "--scale", "2"])
        .args(["--screenshot", png.to_str().unwrap(), "--trace", t.to_str().unwrap()])
        .output()
        .expect("st20xx runs");
    eprintln!("20 s virtual run with the window: {:.2} s", started.elapsed().as_secs_f64());
    assert!(o.status.success(), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("window open (virtual clock)"), "the window did not open:\n{}", text(&o));
    assert!(!String::from_utf8_lossy(&o.stdout).contains("+------"), "no terminal LCD with a window:\n{}", text(&o));

    let records = read_trace(&t);
    assert!(records.iter().any(|r| matches!(&r.event, Event::Key { key, down: true } if key == "menu")), "the scripted key");
    let (lines, backlight) = lcd_at(&records, 20_000_000);
    let shot = Picture::read(&png);
    let (w, h) = window::render::base_size(true);
    assert_eq!((shot.width, shot.height), (w * 2, h * 2), "scale 2 with the side panel");
    assert_lcd_shows(&shot, &lines, backlight, 2, "screenshot at 20 s");

    // The same run headless draws the same picture (the screenshot is the
    // window's rendering, not a grab of the display).
    let png2 = dir.join("headless.png");
    let o = st20xx(&x.display)
        .args(["run", "--headless", "--net", "none", "--clock", "virtual", "--for", "20s", "--keys", "3s menu", "--scale", "2", "--screenshot", png2.to_str().unwrap()])
        .output()
        .expect("st20xx runs");
    assert!(o.status.success(), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("+------"), "headless draws the terminal LCD:\n{}", text(&o));
    assert_eq!(std::fs::read(&png).unwrap(), std::fs::read(&png2).unwrap(), "window and headless screenshots differ");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn keys_typed_into_the_window_reach_the_phone() {
    let Some(x) = Xvfb::start() else {
        return xvfb::skip("keys_typed_into_the_window_reach_the_phone", "Xvfb");
    };
    for tool in ["xdotool", "import"] {
        if !xvfb::have(tool) {
            return xvfb::skip("keys_typed_into_the_window_reach_the_phone", tool);
        }
    }
    let dir = scratch("keys");
    let (png, t, grab) = (dir.join("w.png"), dir.join("t.jsonl"), dir.join("grab.png"));
    let started = Instant::now();
    let child = st20xx(&x.display)
        .args(["run", "--net", "none", "--clock", "real", "--for", "12s", "--screenshot", png.to_str().unwrap(), "--screenshot-at", "10s"])
        .args(["--trace", t.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("st20xx starts");
    let run = Running(Some(child));

    let (run, wid) = find_window(run, &x.display, started);
    let title = x_tool(&x.display, "xdotool", &["getwindowname", &wid]);
    assert!(title.starts_with("ST2030S 00:90:96:A1:B1:C1 v2.74 — "), "title: {title}");
    x_tool(&x.display, "xdotool", &["windowfocus", "--sync", &wid]);
    // Without a network the phone is idle at 2 s (no provisioning run that
    // would ignore keys): menu opens the menu, 5 picks item 5.
    for (at, key) in [(3.5, "m"), (4.5, "5")] {
        let wait = Duration::from_secs_f64(at).saturating_sub(started.elapsed());
        std::thread::sleep(wait);
        x_tool(&x.display, "xdotool", &["key", "--delay", "50", key]);
    }
    std::thread::sleep(Duration::from_secs_f64(7.5).saturating_sub(started.elapsed()));
    x_tool(&x.display, "import", &["-window", &wid, &format!("PNG24:{}", grab.display())]);

    let out = run.finish();
    assert!(out.status.success(), "{}", text(&out));
    eprintln!("12 s real-clock run with the window: {:.2} s", started.elapsed().as_secs_f64());
    let records = read_trace(&t);
    let keys: Vec<(String, bool)> = records
        .iter()
        .filter_map(|r| match &r.event {
            Event::Key { key, down } => Some((key.clone(), *down)),
            _ => None,
        })
        .collect();
    let want: Vec<(String, bool)> = [("menu", true), ("menu", false), ("5", true), ("5", false)].iter().map(|(k, d)| (k.to_string(), *d)).collect();
    assert_eq!(keys, want, "the typed keys, each pressed and released");
    let last_key = records.iter().rev().find(|r| matches!(r.event, Event::Key { down: true, .. })).unwrap().t_us;
    assert!(records.iter().any(|r| r.t_us >= last_key && matches!(r.event, Event::Lcd { .. })), "the 5 key changed the LCD");

    let (lines, backlight) = lcd_at(&records, 12_000_000);
    // The grab came about 3 s after the last key: the LCD must not have changed since shortly after it.
    assert_eq!(lcd_at(&records, last_key + 500_000), (lines.clone(), backlight), "the LCD changed after the last key");
    assert_lcd_shows(&Picture::read(&grab), &lines, backlight, 1, "the X server's picture of the window");
    assert_lcd_shows(&Picture::read(&png), &lines, backlight, 1, "--screenshot-at 10s");
    drop(x);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn screenshots_need_no_display_and_follow_scale_and_panel() {
    let dir = scratch("headless");
    let png = dir.join("p.png");
    let t = dir.join("t.jsonl");
    let o = Command::new(env!("CARGO_BIN_EXE_st20xx"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .args(["run", "--net", "none", "--for", "5s", "--panel", "off", "--scale", "3", "--screenshot-at", "1s"])
        .args(["--screenshot", png.to_str().unwrap(), "--trace", t.to_str().unwrap()])
        .output()
        .expect("st20xx runs");
    assert!(o.status.success(), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("+------"), "no display: the terminal view:\n{}", text(&o));
    let shot = Picture::read(&png);
    let (w, h) = window::render::base_size(false);
    assert_eq!((shot.width, shot.height), (w * 3, h * 3), "scale 3 without the side panel");
    let (lines, backlight) = lcd_at(&read_trace(&t), 1_000_000);
    assert_lcd_shows(&shot, &lines, backlight, 3, "headless screenshot at 1 s");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_window_options_get_clear_errors() {
    let run = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_st20xx")).env_remove("DISPLAY").arg("run").args(args).output().expect("st20xx runs");
    let o = run(&["--for", "1s", "--scale", "9"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("`9`: the scale is a whole number from 1 to 8"), "{}", text(&o));
    let o = run(&["--for", "1s", "--screenshot", "/tmp/x.png", "--screenshot-at", "2s"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--screenshot-at 2.000s is after the end of the run"), "{}", text(&o));
    let o = run(&["--for", "1s", "--screenshot-at", "1s"]);
    assert!(!o.status.success(), "--screenshot-at alone: {}", text(&o));
    let o = run(&["--for", "1s", "--panel", "maybe"]);
    assert!(!o.status.success(), "{}", text(&o));
    let o = run(&["--for", "1s", "--screenshot", "/nonexistent-dir/x.png"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot write the screenshot"), "{}", text(&o));
}

#[test]
fn q_in_the_window_ends_the_run_and_saves_trace_and_flash() {
    let Some(x) = Xvfb::start() else {
        return xvfb::skip("q_in_the_window_ends_the_run_and_saves_trace_and_flash", "Xvfb");
    };
    if !xvfb::have("xdotool") {
        return xvfb::skip("q_in_the_window_ends_the_run_and_saves_trace_and_flash", "xdotool");
    }
    let dir = scratch("quit");
    let (flash, t) = (dir.join("phone.bin"), dir.join("t.jsonl"));
    let started = Instant::now();
    // Real clock and no --for: only the window can end this run.
    let child = st20xx(&x.display)
        .args(["run", "--net", "none", "--flash", flash.to_str().unwrap(), "--trace", t.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("st20xx starts");
    let (run, wid) = find_window(Running(Some(child)), &x.display, started);
    std::thread::sleep(Duration::from_secs(3).saturating_sub(started.elapsed()));
    x_tool(&x.display, "xdotool", &["windowfocus", "--sync", &wid]);
    x_tool(&x.display, "xdotool", &["key", "q"]);
    let waited = Instant::now();
    let mut run = run;
    while run.0.as_mut().is_some_and(|c| c.try_wait().ok().flatten().is_none()) {
        if waited.elapsed() > Duration::from_secs(5) {
            let out = run.finish_now();
            panic!("Q did not end the run:\n{}", text(&out));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = run.finish();
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("stopped at "), "{}", text(&out));
    assert_eq!(std::fs::metadata(&flash).expect("flash saved").len(), 8 << 20);
    let records = read_trace(&t);
    assert!(records.iter().any(|r| matches!(r.event, Event::Boot { .. })), "the trace was flushed");
    assert!(records.last().is_some_and(|r| r.t_us >= 2_000_000), "the run lasted until Q");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The README's screenshot: the demo phone provisioning against the built-in
/// lab at 400 ms, rendered exactly as the window draws it. The LCD must show
/// the L1 screen. With `ST20XX_UPDATE_SCREENSHOT=1` the test also writes it to
/// `assets/screenshots/window.png` (how the committed picture was made).
#[test]
fn readme_screenshot_shows_the_phone_provisioning() {
    let dir = scratch("readme");
    let png = dir.join("window.png");
    let t = dir.join("t.jsonl");
    let o = Command::new(env!("CARGO_BIN_EXE_st20xx"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .args(["run", "--headless", "--for", "400ms", "--screenshot", png.to_str().unwrap(), "--trace", t.to_str().unwrap()])
        .output()
        .expect("st20xx runs");
    assert!(o.status.success(), "{}", text(&o));
    let (lines, backlight) = lcd_at(&read_trace(&t), 400_000);
    assert_eq!((lines[2].as_str(), lines[3].as_str()), ("Provisioning...", "Please Wait..."), "the phone is provisioning at 400 ms: {lines:?}");
    assert_lcd_shows(&Picture::read(&png), &lines, backlight, 1, "README screenshot");
    if std::env::var_os("ST20XX_UPDATE_SCREENSHOT").is_some() {
        let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/screenshots/window.png");
        std::fs::copy(&png, &out).unwrap();
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
