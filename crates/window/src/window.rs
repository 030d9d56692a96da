//! The desktop window (minifb): shows `render`'s frame and turns keyboard
//! and mouse into `UiEvent`s.
//!
//! Guarantees: `update` never sleeps. It touches the display at most every
//! `POLL_INTERVAL` and presents a frame at most `fps` times a second; calls
//! in between return at once with no events, so the caller's emulated clock
//! keeps running. A frame is only re-rendered when what it shows changed.
//! Every key press reported is followed by its release (on key-up, focus
//! loss, or at once for typed `*` / `#`).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use board::keys::Key;
use minifb::{InputCallback, MouseButton, MouseMode};
use thiserror::Error;

use crate::frame::Frame;
use crate::keymap::{self, Action};
use crate::layout::{self, Target};
use crate::render::{RenderOptions, base_size, render};
use crate::view::{PhoneView, UiEvent};

/// Input is read at most this often (250 Hz), however often `update` is called.
pub const POLL_INTERVAL: Duration = Duration::from_millis(4);
pub use crate::render::MAX_SCALE;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowOptions {
    /// Integer scale factor, 1..=`MAX_SCALE`.
    pub scale: usize,
    /// Frames presented per second at most.
    pub fps: u32,
    pub show_panel: bool,
}

impl Default for WindowOptions {
    fn default() -> Self {
        WindowOptions { scale: 1, fps: 30, show_panel: true }
    }
}

#[derive(Debug, Error)]
pub enum WindowError {
    #[error("no display: set DISPLAY or WAYLAND_DISPLAY to a reachable server, or run headless")]
    NoDisplay,
    #[error("scale {0} is out of range 1..={MAX_SCALE}")]
    BadScale(usize),
    #[error("cannot open the window: {0}")]
    Open(String),
}

/// What the minifb callback saw, in order.
enum Input {
    Key(minifb::Key, bool),
    Char(char),
}

struct Collector(Rc<RefCell<Vec<Input>>>);

impl InputCallback for Collector {
    fn add_char(&mut self, c: u32) {
        if let Some(c) = char::from_u32(c) {
            self.0.borrow_mut().push(Input::Char(c));
        }
    }
    fn set_key_state(&mut self, key: minifb::Key, down: bool) {
        self.0.borrow_mut().push(Input::Key(key, down));
    }
}

/// The view as far as pixels go: the view without its clock, plus the blink
/// phase of every LED (the only thing the clock changes).
#[derive(PartialEq)]
struct Shown {
    view: PhoneView,
    lit: [bool; 7],
    opts: RenderOptions,
}

pub struct Window {
    win: minifb::Window,
    inbox: Rc<RefCell<Vec<Input>>>,
    scale: usize,
    frame_interval: Duration,
    show_help: bool,
    show_panel: bool,
    shift: bool,
    /// Computer keys down, to tell auto-repeat from a new press.
    down: Vec<minifb::Key>,
    /// Phone keys held on the keyboard, in press order.
    held: Vec<Key>,
    mouse_key: Option<Key>,
    mouse_was_down: bool,
    was_active: bool,
    last_poll: Option<Instant>,
    last_draw: Option<Instant>,
    shown: Option<(Shown, Frame)>,
    title: String,
    quit: bool,
}

fn open_minifb(show_panel: bool, scale: usize, title: &str) -> Result<minifb::Window, WindowError> {
    let (w, h) = base_size(show_panel);
    let mut win = minifb::Window::new(title, w * scale, h * scale, minifb::WindowOptions::default())
        .map_err(|e| WindowError::Open(e.to_string()))?;
    // minifb's own rate limit sleeps; ours skips instead (see `update`).
    win.set_target_fps(0);
    Ok(win)
}

impl Window {
    pub fn open(opts: WindowOptions) -> Result<Window, WindowError> {
        if !(1..=MAX_SCALE).contains(&opts.scale) {
            return Err(WindowError::BadScale(opts.scale));
        }
        if !display_available() {
            return Err(WindowError::NoDisplay);
        }
        let title = "ST20xx".to_string();
        let mut win = open_minifb(opts.show_panel, opts.scale, &title)?;
        let inbox = Rc::new(RefCell::new(Vec::new()));
        win.set_input_callback(Box::new(Collector(inbox.clone())));
        Ok(Window {
            win,
            inbox,
            scale: opts.scale,
            frame_interval: Duration::from_secs(1) / opts.fps.max(1),
            show_help: false,
            show_panel: opts.show_panel,
            shift: false,
            down: Vec::new(),
            held: Vec::new(),
            mouse_key: None,
            mouse_was_down: false,
            was_active: false,
            last_poll: None,
            last_draw: None,
            shown: None,
            title,
            quit: false,
        })
    }

    /// False once the person closed the window or asked to quit.
    pub fn is_open(&self) -> bool {
        !self.quit && self.win.is_open()
    }

    /// The frame last presented (at the window's scale), if any.
    pub fn last_frame(&self) -> Option<&Frame> {
        self.shown.as_ref().map(|(_, f)| f)
    }

    /// Draws `view` (when a frame is due) and returns what the person did
    /// since the last call. `ToggleHelp` and `TogglePanel` are applied by the
    /// window itself and reported for the caller's information.
    pub fn update(&mut self, view: &PhoneView) -> Vec<UiEvent> {
        let now = Instant::now();
        if self.quit || self.last_poll.is_some_and(|t| now.duration_since(t) < POLL_INTERVAL) {
            return Vec::new();
        }
        self.last_poll = Some(now);
        let title = view.title();
        if title != self.title {
            self.win.set_title(&title);
            self.title = title;
        }
        if self.last_draw.is_none_or(|t| now.duration_since(t) >= self.frame_interval) {
            self.present(view);
            self.last_draw = Some(now);
        } else {
            self.win.update();
        }
        let mut events = Vec::new();
        let panel_before = self.show_panel;
        self.read_keyboard(view, &mut events);
        self.read_mouse(view, &mut events);
        // Losing focus loses the key releases too: release what is held.
        let active = self.win.is_active();
        if self.was_active && !active {
            self.down.clear();
            for key in self.held.drain(..) {
                events.push(UiEvent::Key { key, down: false });
            }
        }
        self.was_active = active;
        if !self.win.is_open() && !self.quit {
            events.push(UiEvent::Quit);
        }
        if events.contains(&UiEvent::Quit) {
            self.quit = true;
        } else if self.show_panel != panel_before {
            self.reopen();
        }
        events
    }

    fn present(&mut self, view: &PhoneView) {
        let mut pressed = self.held.clone();
        pressed.extend(self.mouse_key);
        let opts = RenderOptions { scale: self.scale, show_help: self.show_help, show_panel: self.show_panel, pressed };
        let mut lit = [view.system_led.lit_at(view.now_us); 7];
        for (i, led) in view.line_leds.iter().enumerate() {
            lit[i + 1] = led.lit_at(view.now_us);
        }
        let shown = Shown { view: PhoneView { now_us: 0, ..view.clone() }, lit, opts };
        if self.shown.as_ref().is_none_or(|(s, _)| *s != shown) {
            let frame = render(view, &shown.opts);
            self.shown = Some((shown, frame));
        }
        if let Some((_, f)) = &self.shown {
            // Only a size mismatch can fail, and the frame is sized for this window.
            let _ = self.win.update_with_buffer(&f.pixels, f.width, f.height);
        }
    }

    /// A new window of the size the side panel needs, where the old one was.
    fn reopen(&mut self) {
        let pos = self.win.get_position();
        if let Ok(mut win) = open_minifb(self.show_panel, self.scale, &self.title) {
            win.set_position(pos.0, pos.1);
            win.set_input_callback(Box::new(Collector(self.inbox.clone())));
            self.win = win;
            self.shown = None;
            self.last_draw = None;
        } else {
            // Keep the old window; the frame still fits it with the old panel setting.
            self.show_panel = !self.show_panel;
        }
    }

    fn read_keyboard(&mut self, view: &PhoneView, events: &mut Vec<UiEvent>) {
        let inputs: Vec<Input> = self.inbox.borrow_mut().drain(..).collect();
        let mut hook = view.off_hook;
        for input in inputs {
            let (action, down) = match input {
                Input::Key(minifb::Key::LeftShift | minifb::Key::RightShift, down) => {
                    self.shift = down;
                    continue;
                }
                Input::Key(k, true) => {
                    // X11 auto-repeat sends presses without releases: act on the first only.
                    if self.down.contains(&k) {
                        continue;
                    }
                    self.down.push(k);
                    match keymap::physical(k, self.shift) {
                        Some(a) => (a, true),
                        None => continue,
                    }
                }
                Input::Key(k, false) => {
                    self.down.retain(|d| *d != k);
                    // Release what the press held, whatever Shift does now.
                    if let Some(Action::Phone(key)) = keymap::physical(k, false)
                        && let Some(i) = self.held.iter().position(|h| *h == key)
                    {
                        self.held.remove(i);
                        events.push(UiEvent::Key { key, down: false });
                    }
                    continue;
                }
                Input::Char(c) => match keymap::typed(c, self.shift) {
                    Some(Action::Phone(key)) if !self.held.contains(&key) => {
                        events.push(UiEvent::Key { key, down: true });
                        events.push(UiEvent::Key { key, down: false });
                        continue;
                    }
                    Some(a @ Action::Help) => (a, true),
                    _ => continue,
                },
            };
            match action {
                Action::Phone(key) if !self.held.contains(&key) => {
                    self.held.push(key);
                    events.push(UiEvent::Key { key, down });
                }
                Action::Phone(_) => {} // already held through another computer key or the mouse
                Action::ToggleHook => {
                    hook = !hook;
                    events.push(UiEvent::Hook { off_hook: hook });
                }
                Action::Help => {
                    self.show_help = !self.show_help;
                    events.push(UiEvent::ToggleHelp);
                }
                Action::Panel => {
                    self.show_panel = !self.show_panel;
                    events.push(UiEvent::TogglePanel);
                }
                Action::Quit => events.push(UiEvent::Quit),
            }
        }
    }

    fn read_mouse(&mut self, view: &PhoneView, events: &mut Vec<UiEvent>) {
        let down = self.win.get_mouse_down(MouseButton::Left);
        if down && !self.mouse_was_down
            && let Some((mx, my)) = self.win.get_mouse_pos(MouseMode::Discard)
        {
            let (x, y) = (mx as i32 / self.scale as i32, my as i32 / self.scale as i32);
            match layout::faceplate().hit(x, y) {
                Some(Target::Key(key)) if !self.held.contains(&key) => {
                    self.mouse_key = Some(key);
                    events.push(UiEvent::Key { key, down: true });
                }
                Some(Target::Hook) => {
                    let before = events.iter().rev().find_map(|e| match e {
                        UiEvent::Hook { off_hook } => Some(*off_hook),
                        _ => None,
                    });
                    events.push(UiEvent::Hook { off_hook: !before.unwrap_or(view.off_hook) });
                }
                _ => {}
            }
        }
        if !down && let Some(key) = self.mouse_key.take() {
            events.push(UiEvent::Key { key, down: false });
        }
        self.mouse_was_down = down;
    }
}

/// Whether a display server is set and answers: X11 via `DISPLAY`, or
/// Wayland via `WAYLAND_DISPLAY`. Checks by connecting, so a stale variable
/// (e.g. over ssh without forwarding) counts as no display.
pub fn display_available() -> bool {
    #[cfg(unix)]
    {
        probe::x11() || probe::wayland()
    }
    #[cfg(not(unix))]
    {
        true
    }
}

#[cfg(unix)]
mod probe {
    use std::net::{TcpStream, ToSocketAddrs};
    use std::os::unix::net::UnixStream;
    use std::path::PathBuf;
    use std::time::Duration;

    /// `DISPLAY` is `[host]:number[.screen]`; no host (or `unix`) means the
    /// local socket `/tmp/.X11-unix/X<number>`, otherwise TCP port 6000 + number.
    pub fn x11() -> bool {
        let Ok(d) = std::env::var("DISPLAY") else { return false };
        let Some((host, rest)) = d.rsplit_once(':') else { return false };
        let Ok(n) = rest.split('.').next().unwrap_or("").parse::<u16>() else { return false };
        if host.is_empty() || host == "unix" {
            if UnixStream::connect(format!("/tmp/.X11-unix/X{n}")).is_ok() {
                return true;
            }
            #[cfg(target_os = "linux")]
            {
                use std::os::linux::net::SocketAddrExt;
                let name = format!("/tmp/.X11-unix/X{n}");
                return std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
                    .and_then(|a| UnixStream::connect_addr(&a))
                    .is_ok();
            }
            #[allow(unreachable_code)]
            return false;
        }
        let Some(port) = 6000u16.checked_add(n) else { return false };
        let Ok(addrs) = (host, port).to_socket_addrs() else { return false };
        addrs.into_iter().any(|a| TcpStream::connect_timeout(&a, Duration::from_millis(300)).is_ok())
    }

    pub fn wayland() -> bool {
        let Ok(name) = std::env::var("WAYLAND_DISPLAY") else { return false };
        let path = PathBuf::from(&name);
        let path = if path.is_absolute() {
            path
        } else {
            let Ok(dir) = std::env::var("XDG_RUNTIME_DIR") else { return false };
            PathBuf::from(dir).join(name)
        };
        UnixStream::connect(path).is_ok()
    }
}
