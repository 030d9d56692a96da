//! What the window shows (`PhoneView`, filled from the emulator each frame)
//! and what it reports back (`UiEvent`).
//!
//! Guarantees: the LED blink phase is a pure function of emulated time, with
//! the board's periods (`board::periph::led`), so the same `now_us` always
//! draws the same frame.

use board::keys::Key;
use board::periph::{lcd, led};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Color {
    #[default]
    None,
    Red,
    Green,
    Amber,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LedMode {
    #[default]
    Off,
    On,
    SlowBlink,
    FastBlink,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Led {
    pub color: Color,
    pub mode: LedMode,
}

impl Led {
    /// Decodes an LED controller register value (`board::periph::led`).
    pub fn from_register(v: u32) -> Led {
        let mode = match v & led::MODE_MASK {
            led::MODE_OFF => LedMode::Off,
            led::MODE_ON => LedMode::On,
            led::MODE_SLOW_BLINK => LedMode::SlowBlink,
            _ => LedMode::FastBlink,
        };
        let color = match (v & led::COLOR_MASK) >> led::COLOR_SHIFT {
            led::COLOR_RED => Color::Red,
            led::COLOR_GREEN => Color::Green,
            led::COLOR_AMBER => Color::Amber,
            _ => Color::None,
        };
        Led { color, mode }
    }

    /// Whether the LED shows light at emulated time `now_us`: blinking LEDs
    /// are lit for the first half of each period, counted from time 0.
    pub fn lit_at(&self, now_us: u64) -> bool {
        let period_ms = match self.mode {
            LedMode::Off => return false,
            LedMode::On => return self.color != Color::None,
            LedMode::SlowBlink => led::SLOW_BLINK_MS,
            LedMode::FastBlink => led::FAST_BLINK_MS,
        };
        let period = u64::from(period_ms) * 1000;
        self.color != Color::None && now_us % period < period / 2
    }
}

/// Everything the window draws. `lcd` rows longer than 24 characters are
/// cut, shorter ones padded; characters outside ISO-8859-1 draw as the
/// font's default glyph.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PhoneView {
    pub model: String,
    pub mac: String,
    pub firmware: String,
    pub state: String,
    pub lcd: [String; lcd::ROWS],
    pub backlight: bool,
    /// Icon names from `board::periph::lcd::ICON_NAMES`; unknown names are ignored.
    pub icons: Vec<String>,
    pub system_led: Led,
    pub line_leds: [Led; led::LINE_LEDS],
    pub off_hook: bool,
    /// Live APS log lines and the last network requests, oldest first.
    pub side_panel: Vec<String>,
    /// Emulated time, for blinking.
    pub now_us: u64,
}

impl PhoneView {
    /// `ST2030S 00:90:96:A1:B1:C1 v2.74 — provisioning`; empty parts are left out.
    pub fn title(&self) -> String {
        let fw = if self.firmware.is_empty() || self.firmware.starts_with('v') {
            self.firmware.clone()
        } else {
            format!("v{}", self.firmware)
        };
        let head: Vec<&str> = [self.model.as_str(), self.mac.as_str(), fw.as_str()].into_iter().filter(|s| !s.is_empty()).collect();
        let head = if head.is_empty() { "ST20xx".to_string() } else { head.join(" ") };
        if self.state.is_empty() { head } else { format!("{head} — {}", self.state) }
    }

    /// The LCD row decoded from character RAM bytes (ISO-8859-1 maps 1:1 to
    /// Unicode code points); control bytes show as spaces.
    pub fn lcd_row_from_latin1(bytes: &[u8]) -> String {
        bytes.iter().take(lcd::COLS).map(|&b| if b < 0x20 || (0x7F..0xA0).contains(&b) { ' ' } else { b as char }).collect()
    }

    /// Icon names for the LCD `ICONS` register bits.
    pub fn icons_from_bits(bits: u32) -> Vec<String> {
        lcd::ICON_NAMES.iter().filter(|(bit, _)| bits & bit != 0).map(|(_, n)| n.to_string()).collect()
    }

    /// This view's `lcd` rows as exactly `COLS` characters each.
    pub fn lcd_cells(&self) -> [Vec<char>; lcd::ROWS] {
        std::array::from_fn(|r| {
            let mut row: Vec<char> = self.lcd[r].chars().take(lcd::COLS).collect();
            row.resize(lcd::COLS, ' ');
            row
        })
    }
}

/// What the person did, in the order it happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UiEvent {
    Key { key: Key, down: bool },
    Hook { off_hook: bool },
    Quit,
    ToggleHelp,
    TogglePanel,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn led_register_decodes_the_board_encoding() {
        let v = led::value(led::MODE_SLOW_BLINK, led::COLOR_AMBER);
        assert_eq!(v, 0x32);
        assert_eq!(Led::from_register(v), Led { color: Color::Amber, mode: LedMode::SlowBlink });
        assert_eq!(Led::from_register(0x13), Led { color: Color::Red, mode: LedMode::FastBlink });
        assert_eq!(Led::from_register(0x70), Led { color: Color::None, mode: LedMode::Off });
    }

    #[test]
    fn blink_follows_emulated_time() {
        let slow = Led { color: Color::Red, mode: LedMode::SlowBlink };
        assert!(slow.lit_at(0));
        assert!(slow.lit_at(499_999));
        assert!(!slow.lit_at(500_000));
        assert!(slow.lit_at(1_000_000));
        let fast = Led { color: Color::Green, mode: LedMode::FastBlink };
        assert!(fast.lit_at(124_999));
        assert!(!fast.lit_at(125_000));
        assert!(fast.lit_at(250_000));
        assert!(Led { color: Color::Amber, mode: LedMode::On }.lit_at(125_000));
        assert!(!Led { color: Color::None, mode: LedMode::On }.lit_at(0));
        assert!(!Led { color: Color::Red, mode: LedMode::Off }.lit_at(0));
    }

    #[test]
    fn title_names_model_mac_firmware_and_state() {
        let v = PhoneView {
            model: "ST2030S".into(),
            mac: "00:90:96:A1:B1:C1".into(),
            firmware: "2.74".into(),
            state: "provisioning".into(),
            ..Default::default()
        };
        assert_eq!(v.title(), "ST2030S 00:90:96:A1:B1:C1 v2.74 — provisioning");
        let bare = PhoneView { model: "ST2022M".into(), firmware: "v1.60".into(), ..Default::default() };
        assert_eq!(bare.title(), "ST2022M v1.60");
    }

    #[test]
    fn latin1_rows_and_icon_bits_decode() {
        assert_eq!(PhoneView::lcd_row_from_latin1(b"Caf\xe9\x01\x85ok"), "Café  ok");
        let long = [b'x'; 40];
        assert_eq!(PhoneView::lcd_row_from_latin1(&long).len(), 24);
        assert_eq!(PhoneView::icons_from_bits(lcd::ICON_NETWORK | lcd::ICON_LOCK), vec!["network", "lock"]);
        let v = PhoneView { lcd: ["ab".into(), "x".repeat(30), String::new(), String::new(), String::new(), String::new()], ..Default::default() };
        let cells = v.lcd_cells();
        assert_eq!(cells[0].len(), 24);
        assert_eq!(cells[0][1], 'b');
        assert_eq!(cells[0][2], ' ');
        assert_eq!(cells[1].iter().filter(|&&c| c == 'x').count(), 24);
    }
}
