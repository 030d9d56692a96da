//! What the window shows of one phone: a `PhoneView` built from the trace
//! (firmware version, boot/crash/power history, the side panel of console
//! `log` lines and lab `dhcp` / `serve` requests) and the machine's state
//! now (LCD, backlight, icons, LEDs, hook).
//!
//! Guarantees: the view at emulated time T depends only on the records up to
//! T and the machine at T, so a screenshot of the same run is the same
//! picture; the side panel keeps at most `PANEL_LINES` lines, oldest first.

use aps::lcd::Message;
use board::model::Model;
use machine::Machine;
use std::collections::VecDeque;
use trace::{BootCause, Event, PowerState, Record};
use window::{Led, PhoneView};

/// More than the panel can show at any scale (it shows the newest that fit).
pub const PANEL_LINES: usize = 64;

pub struct ViewState {
    model: String,
    mac: String,
    firmware: String,
    /// From a `boot` record (or power-off) until the LCD leaves the boot screen.
    booting: bool,
    crashed: bool,
    panel: VecDeque<String>,
}

impl ViewState {
    pub fn new(model: Model, mac: [u8; 6]) -> ViewState {
        let mac = mac.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":");
        ViewState { model: model.to_string(), mac, firmware: String::new(), booting: true, crashed: false, panel: VecDeque::new() }
    }

    pub fn feed(&mut self, r: &Record) {
        let line = match &r.event {
            Event::Boot { cause, image } => {
                self.firmware = image.clone();
                self.booting = true;
                self.crashed = false;
                let cause = match cause {
                    BootCause::PowerOn => "power-on",
                    BootCause::Software => "reboot",
                    BootCause::Watchdog => "watchdog",
                };
                format!("== boot ({cause}) firmware {image} ==")
            }
            Event::Power { state: PowerState::Off } => {
                self.booting = true;
                "== power off ==".to_string()
            }
            Event::Crash { pc, reason } => {
                self.crashed = true;
                format!("CRASH at {pc:#010x}: {reason}")
            }
            Event::Log { text } => text.clone(),
            Event::Dhcp { msg, vlan, .. } => format!("-> DHCP {msg}{}", vlan_text(*vlan)),
            Event::Serve { proto, path, status, bytes, vlan, .. } => {
                let outcome = match (proto.as_str(), status) {
                    ("tftp", 0) => "ok".to_string(),
                    ("tftp", e) => format!("error {e}"),
                    (_, s) => s.to_string(),
                };
                format!("<- {} {path} {outcome} {bytes} B{}", proto.to_uppercase(), vlan_text(*vlan))
            }
            _ => return,
        };
        if self.panel.len() == PANEL_LINES {
            self.panel.pop_front();
        }
        self.panel.push_back(format!("{:>7.3} {line}", r.t_us as f64 / 1e6));
    }

    /// The view of `m` at emulated time `now_us`.
    pub fn view(&mut self, m: &Machine, now_us: u64) -> PhoneView {
        let lcd = m.lcd_lines();
        let led = |n| m.led(n).map(|s| Led::from_register(s.raw)).unwrap_or_default();
        let state = self.state(&lcd, m.is_powered());
        PhoneView {
            model: self.model.clone(),
            mac: self.mac.clone(),
            firmware: self.firmware.clone(),
            state: state.to_string(),
            lcd,
            backlight: m.lcd_backlight(),
            icons: m.lcd_icons(),
            system_led: led(0),
            line_leds: std::array::from_fn(|i| led(i + 1)),
            off_hook: m.off_hook(),
            side_panel: self.panel.iter().cloned().collect(),
            now_us,
        }
    }

    /// The phone's state for the title, from the LCD it shows now: line 3
    /// `Provisioning...` → provisioning; an L2 failure text on line 3 →
    /// error; since a `boot` record, until the LCD leaves the boot screen
    /// (`Starting...` on line 3, or blank) → booting; else idle. Also `off`
    /// and `crashed`.
    pub fn state(&mut self, lcd: &[String; 6], powered: bool) -> &'static str {
        let line3 = lcd[2].as_str();
        let boot_screen = line3 == "Starting..." || lcd.iter().all(|l| l.is_empty());
        if self.booting && !boot_screen {
            self.booting = false;
        }
        if self.crashed {
            "crashed"
        } else if !powered {
            "off"
        } else if line3 == Message::Provisioning.text() {
            "provisioning"
        } else if Message::ALL.iter().any(|m| m.is_error() && m.text() == line3) {
            "error"
        } else if self.booting {
            "booting"
        } else {
            "idle"
        }
    }
}

fn vlan_text(vlan: Option<u16>) -> String {
    vlan.map(|v| format!(" vlan {v}")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn rec(t_us: u64, event: Event) -> Record {
        Record { t_us, phone: "009096A1B1C1".into(), event }
    }

    fn lcd(lines: [&str; 6]) -> [String; 6] {
        lines.map(String::from)
    }

    fn st2030s() -> ViewState {
        ViewState::new(Model::parse("ST2030S").unwrap(), [0x00, 0x90, 0x96, 0xA1, 0xB1, 0xC1])
    }

    #[test]
    fn state_follows_boot_provisioning_error_and_idle() {
        let mut v = st2030s();
        assert_eq!(v.state(&lcd(["", "", "", "", "", ""]), false), "off");
        v.feed(&rec(0, Event::Boot { cause: BootCause::PowerOn, image: "2.74".into() }));
        assert_eq!(v.state(&lcd(["", "", "", "", "", ""]), true), "booting");
        assert_eq!(v.state(&lcd(["ST2030S", "Firmware v2.74", "Starting...", "", "", ""]), true), "booting");
        assert_eq!(v.state(&lcd(["--/-- --:--", "00:90:96:A1:B1:C1", "Provisioning...", "Please Wait...", "", ""]), true), "provisioning");
        assert_eq!(v.state(&lcd(["--/-- --:--", "00:90:96:A1:B1:C1", "Server Unreachable", "Still using v2.74", "Please contact admin", ""]), true), "error");
        assert_eq!(v.state(&lcd(["--/-- --:--", "00:90:96:A1:B1:C1", "ST2030S", "", "", ""]), true), "idle");
        // A reboot after provisioning: booting again until the boot screen goes.
        v.feed(&rec(9_000_000, Event::Boot { cause: BootCause::Software, image: "2.75".into() }));
        assert_eq!(v.state(&lcd(["ST2030S", "Firmware v2.75", "Starting...", "", "", ""]), true), "booting");
        assert_eq!(v.state(&lcd(["--/-- --:--", "00:90:96:A1:B1:C1", "ST2030S", "", "", ""]), true), "idle");
        v.feed(&rec(9_500_000, Event::Crash { pc: 0x0C00_0123, reason: "udf".into() }));
        assert_eq!(v.state(&lcd(["--/-- --:--", "00:90:96:A1:B1:C1", "ST2030S", "", "", ""]), true), "crashed");
    }

    #[test]
    fn a_menu_line_that_is_not_an_l2_text_is_not_an_error() {
        let mut v = st2030s();
        v.feed(&rec(0, Event::Boot { cause: BootCause::PowerOn, image: "2.74".into() }));
        assert_eq!(v.state(&lcd(["Menu", "1 Volume", "Please Wait...", "", "", ""]), true), "idle");
    }

    #[test]
    fn panel_shows_logs_and_requests_briefly_and_keeps_the_newest() {
        let mut v = st2030s();
        v.feed(&rec(0, Event::Boot { cause: BootCause::PowerOn, image: "2.74".into() }));
        v.feed(&rec(51_600, Event::Dhcp { msg: "discover".into(), options: BTreeMap::from([("53".into(), "01".into())]), vlan: None }));
        v.feed(&rec(51_600, Event::Log { text: "aps: INF found (738 bytes)".into() }));
        v.feed(&rec(51_600, Event::Serve { proto: "tftp".into(), server: "10.0.0.1".into(), path: "ST2030S.inf".into(), status: 0, bytes: 738, user_agent: None, vlan: Some(100) }));
        v.feed(&rec(60_000, Event::Serve { proto: "http".into(), server: "10.0.0.1".into(), path: "/x.txt".into(), status: 404, bytes: 0, user_agent: Some("UA".into()), vlan: None }));
        v.feed(&rec(70_000, Event::Lcd { line: 1, text: "not in the panel".into() }));
        v.feed(&rec(1_234_567, Event::Power { state: PowerState::Off }));
        let panel: Vec<&str> = v.panel.iter().map(String::as_str).collect();
        assert_eq!(
            panel,
            [
                "  0.000 == boot (power-on) firmware 2.74 ==",
                "  0.052 -> DHCP discover",
                "  0.052 aps: INF found (738 bytes)",
                "  0.052 <- TFTP ST2030S.inf ok 738 B vlan 100",
                "  0.060 <- HTTP /x.txt 404 0 B",
                "  1.235 == power off ==",
            ]
        );
        for i in 0..100 {
            v.feed(&rec(2_000_000 + i, Event::Log { text: format!("line {i}") }));
        }
        assert_eq!(v.panel.len(), PANEL_LINES);
        assert!(v.panel.back().unwrap().ends_with("line 99"));
        assert!(v.panel.front().unwrap().ends_with(&format!("line {}", 100 - PANEL_LINES)));
    }
}
