//! Computer keyboard → phone: one table that both the input handler and the
//! help overlay read, so the help always tells the truth.
//!
//! Physical keys (`minifb::Key`) give press and release, so a held key is a
//! held phone key. `*`, `#` and `?` sit on shifted keys that differ between
//! layouts, so they come from typed characters instead and press and release
//! at once; digits do too while Shift is held (layouts such as AZERTY).

use board::keys::Key;
use minifb::Key as K;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Phone(Key),
    ToggleHook,
    Help,
    Panel,
    Quit,
}

pub struct Binding {
    pub keys: &'static [K],
    pub action: Action,
}

/// Physical key bindings. A key appears at most once (checked by a test).
pub const BINDINGS: &[Binding] = &[
    Binding { keys: &[K::Key0, K::NumPad0], action: Action::Phone(Key::D0) },
    Binding { keys: &[K::Key1, K::NumPad1], action: Action::Phone(Key::D1) },
    Binding { keys: &[K::Key2, K::NumPad2], action: Action::Phone(Key::D2) },
    Binding { keys: &[K::Key3, K::NumPad3], action: Action::Phone(Key::D3) },
    Binding { keys: &[K::Key4, K::NumPad4], action: Action::Phone(Key::D4) },
    Binding { keys: &[K::Key5, K::NumPad5], action: Action::Phone(Key::D5) },
    Binding { keys: &[K::Key6, K::NumPad6], action: Action::Phone(Key::D6) },
    Binding { keys: &[K::Key7, K::NumPad7], action: Action::Phone(Key::D7) },
    Binding { keys: &[K::Key8, K::NumPad8], action: Action::Phone(Key::D8) },
    Binding { keys: &[K::Key9, K::NumPad9], action: Action::Phone(Key::D9) },
    Binding { keys: &[K::Up], action: Action::Phone(Key::Up) },
    Binding { keys: &[K::Down], action: Action::Phone(Key::Down) },
    Binding { keys: &[K::Left], action: Action::Phone(Key::Left) },
    Binding { keys: &[K::Right], action: Action::Phone(Key::Right) },
    Binding { keys: &[K::Enter, K::NumPadEnter], action: Action::Phone(Key::Ok) },
    Binding { keys: &[K::Escape, K::Backspace], action: Action::Phone(Key::Cancel) },
    Binding { keys: &[K::M], action: Action::Phone(Key::Menu) },
    Binding { keys: &[K::F1], action: Action::Phone(Key::Soft1) },
    Binding { keys: &[K::F2], action: Action::Phone(Key::Soft2) },
    Binding { keys: &[K::F3], action: Action::Phone(Key::Soft3) },
    Binding { keys: &[K::F4], action: Action::Phone(Key::Soft4) },
    Binding { keys: &[K::F5], action: Action::Phone(Key::Line1) },
    Binding { keys: &[K::F6], action: Action::Phone(Key::Line2) },
    Binding { keys: &[K::F7], action: Action::Phone(Key::Line3) },
    Binding { keys: &[K::F8], action: Action::Phone(Key::Line4) },
    Binding { keys: &[K::F9], action: Action::Phone(Key::Line5) },
    Binding { keys: &[K::F10], action: Action::Phone(Key::Line6) },
    Binding { keys: &[K::PageUp, K::NumPadPlus], action: Action::Phone(Key::VolUp) },
    Binding { keys: &[K::PageDown, K::NumPadMinus], action: Action::Phone(Key::VolDown) },
    Binding { keys: &[K::S], action: Action::Phone(Key::Speaker) },
    Binding { keys: &[K::X], action: Action::Phone(Key::Mute) },
    Binding { keys: &[K::H], action: Action::Phone(Key::Headset) },
    Binding { keys: &[K::O], action: Action::Phone(Key::Hold) },
    Binding { keys: &[K::T], action: Action::Phone(Key::Transfer) },
    Binding { keys: &[K::C], action: Action::Phone(Key::Conference) },
    Binding { keys: &[K::R], action: Action::Phone(Key::Redial) },
    Binding { keys: &[K::E], action: Action::Phone(Key::Messages) },
    Binding { keys: &[K::Space], action: Action::ToggleHook },
    Binding { keys: &[K::Tab], action: Action::Panel },
    Binding { keys: &[K::Q], action: Action::Quit },
];

/// The action of a physical key. Digit keys do nothing while Shift is held:
/// their typed character (`*`, `#`, or the digit) is used instead.
pub fn physical(k: K, shift: bool) -> Option<Action> {
    let digit = matches!(k, K::Key0 | K::Key1 | K::Key2 | K::Key3 | K::Key4 | K::Key5 | K::Key6 | K::Key7 | K::Key8 | K::Key9);
    if digit && shift {
        return None;
    }
    BINDINGS.iter().find(|b| b.keys.contains(&k)).map(|b| b.action)
}

/// The action of a typed character; `shift` as for `physical`.
pub fn typed(c: char, shift: bool) -> Option<Action> {
    match c {
        '*' => Some(Action::Phone(Key::Star)),
        '#' => Some(Action::Phone(Key::Hash)),
        '?' => Some(Action::Help),
        '0'..='9' if shift => Key::from_name(c.encode_utf8(&mut [0; 4])).map(Action::Phone),
        _ => None,
    }
}

/// The help overlay's lines: (keyboard, phone).
pub fn help_lines() -> Vec<(&'static str, &'static str)> {
    vec![
        ("0-9  *  #", "keypad"),
        ("arrows", "navigation"),
        ("Enter", "OK"),
        ("Esc / Backspace", "cancel"),
        ("M", "menu"),
        ("F1 - F4", "soft keys 1-4"),
        ("F5 - F10", "line keys 1-6"),
        ("PgUp / PgDn", "volume + / -"),
        ("S  X  H", "speaker, mute, headset"),
        ("O  T  C", "hold, transfer, conference"),
        ("R  E", "redial, messages"),
        ("Space", "lift / hang up handset"),
        ("mouse", "press keys, click handset"),
        ("?", "this help"),
        ("Tab", "side panel"),
        ("Q / close", "quit"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phone_key_is_reachable_from_the_keyboard() {
        for k in Key::ALL {
            let by_key = BINDINGS.iter().any(|b| b.action == Action::Phone(*k));
            let by_char = ['*', '#'].iter().any(|&c| typed(c, false) == Some(Action::Phone(*k)));
            assert!(by_key || by_char, "{} has no keyboard binding", k.name());
        }
    }

    #[test]
    fn no_physical_key_is_bound_twice() {
        let all: Vec<K> = BINDINGS.iter().flat_map(|b| b.keys.iter().copied()).collect();
        for (i, k) in all.iter().enumerate() {
            assert!(!all[i + 1..].contains(k), "{k:?} bound twice");
        }
    }

    #[test]
    fn shift_hands_digits_to_typed_characters() {
        assert_eq!(physical(K::Key3, false), Some(Action::Phone(Key::D3)));
        assert_eq!(physical(K::Key3, true), None);
        assert_eq!(physical(K::NumPad3, true), Some(Action::Phone(Key::D3)));
        assert_eq!(typed('#', true), Some(Action::Phone(Key::Hash)));
        assert_eq!(typed('3', false), None);
        assert_eq!(typed('3', true), Some(Action::Phone(Key::D3)));
        assert_eq!(typed('?', true), Some(Action::Help));
        assert_eq!(physical(K::F10, false), Some(Action::Phone(Key::Line6)));
        assert_eq!(physical(K::Space, false), Some(Action::ToggleHook));
        assert_eq!(physical(K::Z, false), None);
    }
}
