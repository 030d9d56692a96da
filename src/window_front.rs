//! The desktop-window front end of `st20xx run`: shows the phone's
//! `PhoneView` in a `window::Window` and turns what the person does into
//! phone inputs.
//!
//! Guarantees: `poll` never blocks and touches the window at most every
//! `window::window::POLL_INTERVAL` of host time, however often it is called,
//! so the emulator's clock never waits for the window; every key press the
//! window reports is handed on with its release.

use board::keys::Key;
use scenario::script::Input;
use std::time::{Duration, Instant};
use window::window::POLL_INTERVAL;
use window::{PhoneView, RenderOptions, UiEvent, Window, WindowError, WindowOptions};

/// How many times a failed window open is tried again.
const OPEN_RETRIES: u32 = 3;

pub struct WindowFront {
    win: Window,
    scale: usize,
    show_panel: bool,
    show_help: bool,
    last_poll: Option<Instant>,
}

/// What the person asked for since the last poll.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Asked {
    /// Inputs for the phone, in order, to apply now.
    pub inputs: Vec<Input>,
    /// The window was closed or Q pressed.
    pub quit: bool,
}

impl WindowFront {
    /// Opens the window. A failed open is tried again a few times before the
    /// caller falls back to the terminal: on a loaded machine `XOpenDisplay`
    /// was seen to fail once against an X server that answered other clients.
    pub fn open(scale: usize, show_panel: bool) -> Result<WindowFront, WindowError> {
        let options = || WindowOptions { scale, show_panel, ..WindowOptions::default() };
        let mut tries = 0;
        let win = loop {
            match Window::open(options()) {
                Err(WindowError::Open(_)) if tries < OPEN_RETRIES => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(300));
                }
                other => break other?,
            }
        };
        Ok(WindowFront { win, scale, show_panel, show_help: false, last_poll: None })
    }

    /// Whether a poll is due; `view` is only worth building when it is.
    pub fn due(&self) -> bool {
        self.last_poll.is_none_or(|t| t.elapsed() >= POLL_INTERVAL)
    }

    /// Shows `view` and collects input.
    pub fn poll(&mut self, view: &PhoneView) -> Asked {
        self.last_poll = Some(Instant::now());
        let events = self.win.update(view);
        for e in &events {
            match e {
                UiEvent::ToggleHelp => self.show_help = !self.show_help,
                UiEvent::TogglePanel => self.show_panel = !self.show_panel,
                _ => {}
            }
        }
        let mut asked = translate(&events);
        asked.quit |= !self.win.is_open();
        asked
    }

    /// The options the window draws with now (for a screenshot of what it shows).
    pub fn render_options(&self) -> RenderOptions {
        RenderOptions { scale: self.scale, show_help: self.show_help, show_panel: self.show_panel, pressed: Vec::<Key>::new() }
    }
}

/// Window events to phone inputs; help and panel toggles stay in the window.
pub fn translate(events: &[UiEvent]) -> Asked {
    let mut asked = Asked::default();
    for e in events {
        match *e {
            UiEvent::Key { key, down } => asked.inputs.push(Input::Key { key, down }),
            UiEvent::Hook { off_hook } => asked.inputs.push(Input::Hook { off_hook }),
            UiEvent::Quit => asked.quit = true,
            UiEvent::ToggleHelp | UiEvent::TogglePanel => {}
        }
    }
    asked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_hook_become_inputs_in_order() {
        let events = [
            UiEvent::Key { key: Key::Menu, down: true },
            UiEvent::ToggleHelp,
            UiEvent::Key { key: Key::Menu, down: false },
            UiEvent::Hook { off_hook: true },
            UiEvent::TogglePanel,
        ];
        let asked = translate(&events);
        assert_eq!(
            asked.inputs,
            [Input::Key { key: Key::Menu, down: true }, Input::Key { key: Key::Menu, down: false }, Input::Hook { off_hook: true }]
        );
        assert!(!asked.quit);
        assert!(translate(&[UiEvent::Key { key: Key::D5, down: true }, UiEvent::Quit]).quit);
    }
}
