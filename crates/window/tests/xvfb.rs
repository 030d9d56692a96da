//! A real window on a private Xvfb server: it opens, shows exactly the
//! rendered frame (grabbed back from the X server), and turns real X key and
//! mouse events into phone events. Skips LOUDLY when Xvfb is not installed;
//! the grab and input checks skip loudly without ImageMagick's `import` or
//! `xdotool`.
//!
//! One test function in its own binary: it sets DISPLAY, which is only
//! sound while no other thread reads the environment.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use board::keys::Key;
use window::{Color, Led, LedMode, PhoneView, RenderOptions, UiEvent, Window, WindowOptions, display_available, render};

struct Xvfb {
    child: Child,
    display: String,
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn on_path(bin: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(bin).is_file()))
}

fn start_xvfb() -> Option<Xvfb> {
    let n = (90..200).find(|n| !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() && !Path::new(&format!("/tmp/.X{n}-lock")).exists())?;
    let display = format!(":{n}");
    let child = Command::new("Xvfb")
        .args([&display, "-screen", "0", "1280x1024x24", "-nolisten", "tcp"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let x = Xvfb { child, display };
    let deadline = Instant::now() + Duration::from_secs(10);
    while !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(x)
}

fn view() -> PhoneView {
    PhoneView {
        model: "ST2030S".into(),
        mac: "00:90:96:A1:B1:C1".into(),
        firmware: "2.74".into(),
        state: "provisioning".into(),
        lcd: ["Xvfb test".into(), "Ligne 2 é".into(), String::new(), String::new(), String::new(), "OK".into()],
        backlight: true,
        icons: vec!["network".into()],
        system_led: Led { color: Color::Green, mode: LedMode::On },
        ..Default::default()
    }
}

/// Calls `update` until it reports something or a second passes.
fn events_after(w: &mut Window, v: &PhoneView) -> Vec<UiEvent> {
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut all = Vec::new();
    while Instant::now() < deadline {
        all.extend(w.update(v));
        if !all.is_empty() {
            // Collect what arrives together with the first event.
            std::thread::sleep(Duration::from_millis(30));
            all.extend(w.update(v));
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    all
}

fn xdotool(display: &str, args: &[&str]) -> String {
    let out = Command::new("xdotool").env("DISPLAY", display).args(args).output().expect("xdotool runs");
    assert!(out.status.success(), "xdotool {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn real_window_under_xvfb() {
    if !on_path("Xvfb") {
        eprintln!("\n!!! SKIPPED real_window_under_xvfb: Xvfb is not installed (apt-get install -y xvfb) !!!\n");
        return;
    }
    let Some(x) = start_xvfb() else {
        eprintln!("\n!!! SKIPPED real_window_under_xvfb: Xvfb did not start !!!\n");
        return;
    };
    // SAFETY: this binary's only test; no other thread reads the environment.
    unsafe {
        std::env::set_var("DISPLAY", &x.display);
        std::env::remove_var("WAYLAND_DISPLAY");
    }
    assert!(display_available(), "Xvfb on {} should be reachable", x.display);

    let mut w = Window::open(WindowOptions { scale: 1, fps: 60, show_panel: false }).expect("window opens on Xvfb");
    let v = view();
    // The caller may call `update` as often as it likes; it draws when a frame is due.
    let t = Instant::now();
    let mut calls = 0;
    while t.elapsed() < Duration::from_millis(300) {
        assert!(w.update(&v).is_empty());
        calls += 1;
    }
    assert!(w.is_open());
    eprintln!("update: {calls} calls in 300 ms ({:.2} µs each on average)", 300_000.0 / calls as f64);
    let expected = render(&v, &RenderOptions::default());
    assert_eq!(w.last_frame(), Some(&expected));

    if !on_path("xdotool") || !on_path("import") {
        eprintln!("\n!!! SKIPPED the grab and input half of real_window_under_xvfb: needs xdotool and ImageMagick import !!!\n");
        return;
    }
    // The title names model, MAC, firmware and state.
    let tree = Command::new("xwininfo").env("DISPLAY", &x.display).args(["-root", "-tree"]).output();
    if let Ok(tree) = tree {
        let tree = String::from_utf8_lossy(&tree.stdout);
        assert!(tree.contains("\"ST2030S 00:90:96:A1:B1:C1 v2.74 — provisioning\""), "{tree}");
    }
    let id = xdotool(&x.display, &["search", "--name", "^ST2030S 00:90:96:A1:B1:C1"]);
    let id = id.lines().next().expect("window found by its title").to_string();

    // Grab the window's pixels back from the X server.
    let png = std::env::temp_dir().join(format!("window-xvfb-{}.png", std::process::id()));
    let st = Command::new("import").env("DISPLAY", &x.display).args(["-window", &id, png.to_str().unwrap()]).status().unwrap();
    assert!(st.success(), "import failed");
    let bytes = std::fs::read(&png).unwrap();
    let _ = std::fs::remove_file(&png);
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width as usize, info.height as usize), (expected.width, expected.height));
    let chans = info.color_type.samples();
    let grabbed: Vec<u32> = buf[..info.buffer_size()]
        .chunks(chans)
        .map(|p| (u32::from(p[0]) << 16) | (u32::from(p[1]) << 8) | u32::from(p[2]))
        .collect();
    let same = grabbed.iter().zip(&expected.pixels).filter(|(a, b)| a == b).count();
    assert_eq!(same, expected.pixels.len(), "the window shows the rendered frame");

    // Keyboard: a held F1 is soft key 1, down then up; '#' is typed.
    xdotool(&x.display, &["windowfocus", "--sync", &id]);
    xdotool(&x.display, &["keydown", "F1"]);
    assert_eq!(events_after(&mut w, &v), vec![UiEvent::Key { key: Key::Soft1, down: true }]);
    xdotool(&x.display, &["keyup", "F1"]);
    assert_eq!(events_after(&mut w, &v), vec![UiEvent::Key { key: Key::Soft1, down: false }]);
    xdotool(&x.display, &["type", "#"]);
    assert_eq!(
        events_after(&mut w, &v),
        vec![UiEvent::Key { key: Key::Hash, down: true }, UiEvent::Key { key: Key::Hash, down: false }]
    );
    xdotool(&x.display, &["key", "space"]);
    assert_eq!(events_after(&mut w, &v), vec![UiEvent::Hook { off_hook: true }]);
    // A held key that auto-repeats is still one press.
    xdotool(&x.display, &["keydown", "Down"]);
    std::thread::sleep(Duration::from_millis(700));
    xdotool(&x.display, &["keyup", "Down"]);
    assert_eq!(
        events_after(&mut w, &v),
        vec![UiEvent::Key { key: Key::Down, down: true }, UiEvent::Key { key: Key::Down, down: false }]
    );
    // Tab and '?' toggle the side panel (a new, wider window) and the help.
    xdotool(&x.display, &["key", "Tab"]);
    assert_eq!(events_after(&mut w, &v), vec![UiEvent::TogglePanel]);
    let panel = render(&v, &RenderOptions { show_panel: true, ..Default::default() });
    w.update(&v);
    assert!(w.is_open());
    let id = xdotool(&x.display, &["search", "--name", "^ST2030S 00:90:96:A1:B1:C1"]).lines().next().unwrap().to_string();
    let geometry = xdotool(&x.display, &["getwindowgeometry", &id]);
    assert!(geometry.contains(&format!("{}x{}", panel.width, panel.height)), "{geometry}");
    xdotool(&x.display, &["windowfocus", "--sync", &id]);
    xdotool(&x.display, &["type", "?"]);
    assert_eq!(events_after(&mut w, &v), vec![UiEvent::ToggleHelp]);

    // Mouse: pressing the drawn "5" presses the key until the button is released.
    let five = window::layout::faceplate().spot(Key::D5).unwrap().rect;
    let (cx, cy) = five.center();
    xdotool(&x.display, &["mousemove", "--window", &id, &cx.to_string(), &cy.to_string()]);
    xdotool(&x.display, &["mousedown", "1"]);
    assert_eq!(events_after(&mut w, &v), vec![UiEvent::Key { key: Key::D5, down: true }]);
    xdotool(&x.display, &["mouseup", "1"]);
    assert_eq!(events_after(&mut w, &v), vec![UiEvent::Key { key: Key::D5, down: false }]);

    // Q quits and closes.
    xdotool(&x.display, &["key", "q"]);
    assert_eq!(events_after(&mut w, &v), vec![UiEvent::Quit]);
    assert!(!w.is_open());
}
