//! Key codes of the keypad FIFO. The hook switch is not a key: it is a level
//! in `keypad::STATUS_OFF_HOOK`, and a change of it also raises the key event.

macro_rules! keys {
    ($($name:ident = $code:expr, $text:expr;)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Key { $($name = $code,)* }
        impl Key {
            pub const ALL: &'static [Key] = &[$(Key::$name,)*];
            pub fn code(self) -> u8 { self as u8 }
            pub fn from_code(c: u8) -> Option<Key> {
                match c { $($code => Some(Key::$name),)* _ => None }
            }
            /// The name used in traces, key scripts and scenarios.
            pub fn name(self) -> &'static str {
                match self { $(Key::$name => $text,)* }
            }
            pub fn from_name(s: &str) -> Option<Key> {
                Key::ALL.iter().copied().find(|k| k.name().eq_ignore_ascii_case(s))
            }
        }
    };
}

keys! {
    D0 = 0x00, "0"; D1 = 0x01, "1"; D2 = 0x02, "2"; D3 = 0x03, "3"; D4 = 0x04, "4";
    D5 = 0x05, "5"; D6 = 0x06, "6"; D7 = 0x07, "7"; D8 = 0x08, "8"; D9 = 0x09, "9";
    Star = 0x0A, "*"; Hash = 0x0B, "#";
    Up = 0x10, "up"; Down = 0x11, "down"; Left = 0x12, "left"; Right = 0x13, "right";
    Ok = 0x14, "ok"; Cancel = 0x15, "cancel"; Menu = 0x16, "menu";
    Soft1 = 0x20, "soft1"; Soft2 = 0x21, "soft2"; Soft3 = 0x22, "soft3"; Soft4 = 0x23, "soft4";
    Line1 = 0x30, "line1"; Line2 = 0x31, "line2"; Line3 = 0x32, "line3";
    Line4 = 0x33, "line4"; Line5 = 0x34, "line5"; Line6 = 0x35, "line6";
    VolUp = 0x40, "vol_up"; VolDown = 0x41, "vol_down"; Speaker = 0x42, "speaker";
    Mute = 0x43, "mute"; Headset = 0x44, "headset"; Hold = 0x45, "hold";
    Transfer = 0x46, "transfer"; Conference = 0x47, "conference"; Redial = 0x48, "redial";
    Messages = 0x49, "messages";
}
