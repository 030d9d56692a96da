//! The user interface: boot screen, idle screen, keypad menu, backlight
//! and system LED, as a state machine driven by key presses and time.
//!
//! Screens (6 × 24):
//! - boot (2 s): model (`ST2030S`), `Firmware v2.74`, `Starting...`
//! - idle: `DD/MM HH:MM` local time once SNTP gave it (`--/-- --:--`
//!   before), the display name (`[sip] DisplayName1`) or else the MAC
//!   (`00:90:96:A1:B1:C1`), the number (`[sip] TEL1Number`) or else the
//!   model; after a failed search or run, lines 3–5 show the L2 error screen
//!   and the LED blinks red fast until any key is pressed or the handset
//!   goes off-hook (L3)
//! - menu: see `menu`
//!
//! During a provisioning run (L1), whatever screen is up (the boot screen
//! too), lines 3–4 read `Provisioning...` / `Please Wait...`, keys are
//! ignored (the menu closes when the run starts) and the LED blinks red
//! fast; the screen underneath comes back when the run ends.
//!
//! Backlight: on from power-up until 30 s after the boot screen, and for
//! 30 s after every key press. System LED: steady amber while booting, off
//! at idle.
//!
//! Guarantees: keys pressed during the boot screen only light the
//! backlight; `poll_at` is the next instant the UI changes by itself.

pub mod menu;

use crate::config::Config;
use crate::identity::Identity;
use crate::text::Frame;
use board::keys::Key;
use aps::lcd::{self, Message};
use board::periph::led;
use netclient::sntp::Civil;
pub use menu::{Action, Item, LogTail, Menu};

pub const BOOT_SCREEN_US: u64 = 2_000_000;
pub const BACKLIGHT_US: u64 = 30_000_000;

/// The system LED while booting and at idle.
pub const LED_BOOTING: u32 = led::value(led::MODE_ON, led::COLOR_AMBER);
pub const LED_IDLE: u32 = led::value(led::MODE_OFF, 0);
/// The system LED while an L2 error is shown.
pub const LED_ERROR: u32 = led::value(led::MODE_FAST_BLINK, led::COLOR_RED);
/// The system LED during a provisioning run (L1).
pub const LED_PROVISIONING: u32 = led::value(led::MODE_FAST_BLINK, led::COLOR_RED);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    Boot,
    Idle,
    Menu(Menu),
}

/// What the screens show that the UI does not own.
pub struct View<'a> {
    pub id: &'a Identity,
    pub config: &'a Config,
    pub ip: [u8; 4],
    pub aps_log: &'a LogTail,
    /// Local time, once known.
    pub time: Option<Civil>,
}

pub struct Ui {
    screen: Screen,
    boot_until: u64,
    backlight_until: u64,
    error: Option<Message>,
    provisioning: bool,
}

impl Ui {
    pub fn new(now: u64) -> Ui {
        let boot_until = now + BOOT_SCREEN_US;
        Ui { screen: Screen::Boot, boot_until, backlight_until: boot_until + BACKLIGHT_US, error: None, provisioning: false }
    }

    pub fn screen(&self) -> Screen {
        self.screen
    }

    /// Advances time-driven changes (the end of the boot screen).
    pub fn poll(&mut self, now: u64) {
        if self.screen == Screen::Boot && now >= self.boot_until {
            self.screen = Screen::Idle;
        }
    }

    /// Shows an L2 error on the idle screen until a key is pressed.
    pub fn show_error(&mut self, msg: Message) {
        self.error = Some(msg);
    }

    pub fn error(&self) -> Option<Message> {
        self.error
    }

    /// L3: the handset went off-hook (or a call came): the error screen goes.
    pub fn clear_error(&mut self) {
        self.error = None;
    }

    /// L1: a provisioning run starts (the menu closes) or ends.
    pub fn set_provisioning(&mut self, on: bool) {
        self.provisioning = on;
        if on {
            self.error = None;
            if let Screen::Menu(_) = self.screen {
                self.screen = Screen::Idle;
            }
        }
    }

    pub fn provisioning(&self) -> bool {
        self.provisioning
    }

    /// A key went down. `volume` is the ring volume currently configured.
    pub fn key(&mut self, now: u64, key: Key, volume: u8) -> Option<Action> {
        self.backlight_until = self.backlight_until.max(now + BACKLIGHT_US);
        if self.provisioning || self.error.take().is_some() {
            return None;
        }
        match self.screen {
            Screen::Boot => None,
            Screen::Idle => {
                if key == Key::Menu {
                    self.screen = Screen::Menu(Menu::new());
                }
                None
            }
            Screen::Menu(mut m) => {
                let (stay, action) = m.key(key, volume);
                self.screen = if stay { Screen::Menu(m) } else { Screen::Idle };
                action
            }
        }
    }

    /// The APS log the menu shows was loaded with `lines` lines.
    pub fn log_loaded(&mut self, lines: usize) {
        if let Screen::Menu(m) = &mut self.screen {
            m.log_loaded(lines);
        }
    }

    /// Tells the menu how a requested action ended.
    pub fn action_done(&mut self, ok: bool) {
        if let Screen::Menu(m) = &mut self.screen {
            m.action_done(ok);
        }
    }

    pub fn backlight(&self, now: u64) -> bool {
        now < self.backlight_until
    }

    pub fn led(&self) -> u32 {
        if self.provisioning {
            LED_PROVISIONING
        } else if self.screen == Screen::Boot {
            LED_BOOTING
        } else if self.error.is_some() {
            LED_ERROR
        } else {
            LED_IDLE
        }
    }

    /// The next instant the UI changes without a key (`u64::MAX`: none).
    pub fn poll_at(&self, now: u64) -> u64 {
        let boot = if self.screen == Screen::Boot { self.boot_until } else { u64::MAX };
        let light = if self.backlight_until > now { self.backlight_until } else { u64::MAX };
        boot.min(light)
    }

    pub fn render(&self, view: &View, f: &mut Frame) {
        *f = Frame::blank();
        let id = view.id;
        match &self.screen {
            Screen::Boot => {
                f.setf(0, format_args!("{}", id.model));
                f.setf(1, format_args!("Firmware v{}", id.short_version()));
                f.set(2, b"Starting...");
            }
            Screen::Idle => {
                match view.time {
                    Some(t) => f.setf(0, format_args!("{:02}/{:02} {:02}:{:02}", t.day, t.month, t.hour, t.minute)),
                    None => f.set(0, b"--/-- --:--"),
                }
                match view.config.display_name() {
                    Some(name) => f.set(1, name),
                    None => f.setf(1, format_args!("{}", id.mac_colons())),
                }
                match view.config.number() {
                    Some(n) => f.set(2, n),
                    None => f.setf(2, format_args!("{}", id.model)),
                }
                if let (false, Some(e)) = (self.provisioning, self.error) {
                    for (line, text) in lcd::error_screen(e, id.version) {
                        f.set(usize::from(line) - 1, text.as_bytes());
                    }
                }
            }
            Screen::Menu(m) => m.render(view, f),
        }
        // L1: over whatever screen is up (a run often starts and ends
        // during the boot screen).
        if self.provisioning {
            f.set(2, Message::Provisioning.text().as_bytes());
            f.set(3, Message::PleaseWait.text().as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use board::image::Version;
    use board::model::Model;

    pub fn id() -> Identity {
        Identity {
            model: Model::parse("ST2030S").unwrap(),
            version: Version { major: 2, minor: 74, patch: 0 },
            build_date: *b"261127",
            mac: [0x00, 0x90, 0x96, 0xA1, 0xB1, 0xC1],
            slot: 0,
        }
    }

    fn frame(ui: &Ui, config: &Config) -> Frame {
        let id = id();
        let log = LogTail::default();
        let mut f = Frame::blank();
        ui.render(&View { id: &id, config, ip: [0; 4], aps_log: &log, time: None }, &mut f);
        f
    }

    #[test]
    fn error_screen_until_a_key_and_time_line() {
        let config = Config::new();
        let mut ui = Ui::new(0);
        ui.poll(BOOT_SCREEN_US);
        ui.show_error(Message::GenFileNotFound);
        assert_eq!(ui.led(), LED_ERROR);
        let f = frame(&ui, &config);
        assert_eq!([f.text(2), f.text(3), f.text(4)], [&b"Gen File Not Found"[..], b"Still using v2.74", b"Please contact admin"]);
        assert_eq!(ui.key(BOOT_SCREEN_US + 1, Key::Menu, 5), None);
        assert_eq!((ui.screen(), ui.led()), (Screen::Idle, LED_IDLE), "the key only clears the error");
        let (id, log) = (id(), LogTail::default());
        let time = Some(netclient::sntp::civil(1_704_067_200 + 3 * 3600 + 5 * 60, 60));
        let mut f = Frame::blank();
        ui.render(&View { id: &id, config: &config, ip: [0; 4], aps_log: &log, time }, &mut f);
        assert_eq!(f.text(0), b"01/01 04:05");
    }

    #[test]
    fn l1_provisioning_ignores_keys_then_l2_error_until_off_hook() {
        let config = Config::new();
        let mut ui = Ui::new(0);
        ui.poll(BOOT_SCREEN_US);
        ui.key(BOOT_SCREEN_US, Key::Menu, 5);
        ui.set_provisioning(true);
        assert_eq!((ui.screen(), ui.led()), (Screen::Idle, LED_PROVISIONING), "the menu closes");
        let f = frame(&ui, &config);
        assert_eq!([f.text(2), f.text(3)], [&b"Provisioning..."[..], b"Please Wait..."]);
        assert_eq!(ui.key(BOOT_SCREEN_US + 1, Key::Menu, 5), None);
        assert_eq!(ui.screen(), Screen::Idle, "keys are ignored");
        ui.set_provisioning(false);
        ui.show_error(Message::CorruptedConfig);
        assert_eq!(frame(&ui, &config).text(2), b"Corrupted Config");
        ui.clear_error();
        assert_eq!((ui.led(), frame(&ui, &config).text(2)), (LED_IDLE, &b"ST2030S"[..]));
    }

    #[test]
    fn l1_provisioning_over_the_boot_screen_then_the_screen_underneath() {
        let config = Config::new();
        let mut ui = Ui::new(0);
        ui.set_provisioning(true);
        assert_eq!((ui.screen(), ui.led()), (Screen::Boot, LED_PROVISIONING));
        let f = frame(&ui, &config);
        assert_eq!(
            [f.text(0), f.text(1), f.text(2), f.text(3)],
            [&b"ST2030S"[..], b"Firmware v2.74", b"Provisioning...", b"Please Wait..."]
        );
        assert_eq!(ui.key(1_000, Key::Menu, 5), None);
        ui.poll(BOOT_SCREEN_US);
        assert_eq!(ui.screen(), Screen::Idle, "the boot screen still ends after 2 s");
        let f = frame(&ui, &config);
        assert_eq!([f.text(1), f.text(2), f.text(3)], [&b"00:90:96:A1:B1:C1"[..], b"Provisioning...", b"Please Wait..."]);
        assert_eq!(ui.led(), LED_PROVISIONING);
        ui.key(BOOT_SCREEN_US + 1, Key::Menu, 5);
        assert_eq!(ui.screen(), Screen::Idle, "keys are ignored after the boot screen too");
        ui.set_provisioning(false);
        let f = frame(&ui, &config);
        assert_eq!([f.text(2), f.text(3)], [&b"ST2030S"[..], b""], "the idle screen comes back");
        assert_eq!(ui.led(), LED_IDLE);
    }

    #[test]
    fn l1_run_ending_during_the_boot_screen_gives_the_boot_screen_back() {
        let config = Config::new();
        let mut ui = Ui::new(0);
        ui.set_provisioning(true);
        assert_eq!(frame(&ui, &config).text(2), b"Provisioning...");
        ui.set_provisioning(false);
        let f = frame(&ui, &config);
        assert_eq!([f.text(2), f.text(3)], [&b"Starting..."[..], b""]);
        assert_eq!(ui.led(), LED_BOOTING);
    }

    #[test]
    fn boot_then_idle_with_backlight_timeout() {
        let config = Config::new();
        let mut ui = Ui::new(1_000);
        let f = frame(&ui, &config);
        assert_eq!([f.text(0), f.text(1), f.text(2)], [&b"ST2030S"[..], b"Firmware v2.74", b"Starting..."]);
        assert_eq!(ui.led(), LED_BOOTING);
        assert_eq!(ui.poll_at(1_000), 1_000 + BOOT_SCREEN_US);
        assert_eq!(ui.key(500_000, Key::Menu, 5), None);
        ui.poll(1_000 + BOOT_SCREEN_US);
        assert_eq!(ui.screen(), Screen::Idle);
        assert_eq!(ui.led(), LED_IDLE);
        let f = frame(&ui, &config);
        assert_eq!([f.text(0), f.text(1), f.text(2)], [&b"--/-- --:--"[..], b"00:90:96:A1:B1:C1", b"ST2030S"]);
        let off = 1_000 + BOOT_SCREEN_US + BACKLIGHT_US;
        assert_eq!(ui.poll_at(1_000 + BOOT_SCREEN_US), off);
        assert!(ui.backlight(off - 1) && !ui.backlight(off));
        assert_eq!(ui.poll_at(off), u64::MAX);
        ui.key(off + 5, Key::D1, 5);
        assert!(ui.backlight(off + 5));
        assert_eq!(ui.poll_at(off + 5), off + 5 + BACKLIGHT_US);
    }
}
