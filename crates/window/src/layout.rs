//! The faceplate layout: where the LCD, LEDs, handset and every key are,
//! read from `assets/faceplate/st20xx.toml`.
//!
//! Guarantees: a `Layout` that parsed has every board key exactly once, the
//! LCD text fits inside its glass, every region lies inside the phone and no
//! two keys overlap, so a point hits at most one key.

use std::sync::OnceLock;

use board::keys::Key;
use board::periph::{lcd, led};
use serde::Deserialize;
use thiserror::Error;

pub use crate::frame::Rect;

#[derive(Debug, Error)]
pub enum LayoutError {
    #[error("faceplate TOML: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("unknown key name {0:?}")]
    UnknownKey(String),
    #[error("key {0:?} placed twice")]
    Duplicate(&'static str),
    #[error("key {0:?} not placed")]
    Missing(&'static str),
    #[error("{0} lies outside the phone")]
    Outside(String),
    #[error("keys {0:?} and {1:?} overlap")]
    Overlap(&'static str, &'static str),
    #[error("the LCD text does not fit its glass")]
    LcdTooSmall,
    #[error("line LED {0} does not exist")]
    BadLed(u8),
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Style {
    #[default]
    Key,
    Digit,
    Soft,
    Line,
    Nav,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub struct LcdGlass {
    pub x: i32,
    pub y: i32,
    pub w: i32,
    pub h: i32,
    /// Screen pixels per font pixel.
    pub pixel: i32,
    pub text_top: i32,
}

impl LcdGlass {
    pub fn rect(&self) -> Rect {
        Rect { x: self.x, y: self.y, w: self.w, h: self.h }
    }
    /// Size of one character cell on screen (font cell × `pixel`).
    pub fn cell(&self, font_w: usize, font_h: usize) -> (i32, i32) {
        (font_w as i32 * self.pixel, font_h as i32 * self.pixel)
    }
    /// The text area: 24 × 6 cells, centred across the glass, `text_top` down.
    pub fn text_rect(&self, font_w: usize, font_h: usize) -> Rect {
        let (cw, ch) = self.cell(font_w, font_h);
        let (w, h) = (cw * lcd::COLS as i32, ch * lcd::ROWS as i32);
        Rect { x: self.x + (self.w - w) / 2, y: self.y + self.text_top, w, h }
    }
    /// The icon strip, between the text and the glass's bottom edge.
    pub fn icon_rect(&self, font_w: usize, font_h: usize) -> Rect {
        let t = self.text_rect(font_w, font_h);
        let top = t.y + t.h + 4;
        Rect { x: t.x, y: top, w: t.w, h: self.y + self.h - top - 4 }
    }
}

#[derive(Clone, Debug, Deserialize)]
struct RawKey {
    key: String,
    #[serde(default)]
    style: Style,
    #[serde(default)]
    label: String,
    #[serde(default)]
    sub: String,
    led: Option<u8>,
    x: i32,
    y: i32,
    w: i32,
    h: i32,
}

#[derive(Clone, Debug, Deserialize)]
struct RawLayout {
    width: i32,
    height: i32,
    body: Rect,
    handset: Rect,
    grille: Rect,
    brand: Rect,
    lcd: LcdGlass,
    system_led: Rect,
    key: Vec<RawKey>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeySpot {
    pub key: Key,
    pub style: Style,
    pub label: String,
    pub sub: String,
    /// The line LED drawn beside this key.
    pub led: Option<usize>,
    pub rect: Rect,
}

/// What a point on the faceplate hits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Key(Key),
    Hook,
}

#[derive(Clone, Debug)]
pub struct Layout {
    pub width: i32,
    pub height: i32,
    pub body: Rect,
    pub handset: Rect,
    pub grille: Rect,
    pub brand: Rect,
    pub lcd: LcdGlass,
    pub system_led: Rect,
    pub keys: Vec<KeySpot>,
}

/// The shipped faceplate.
pub fn faceplate() -> &'static Layout {
    static L: OnceLock<Layout> = OnceLock::new();
    L.get_or_init(|| Layout::parse(include_str!("../../../assets/faceplate/st20xx.toml")).expect("shipped faceplate is valid (tested)"))
}

impl Layout {
    pub fn parse(src: &str) -> Result<Layout, LayoutError> {
        let raw: RawLayout = toml::from_str(src)?;
        let mut keys = Vec::with_capacity(raw.key.len());
        for k in raw.key {
            let key = Key::from_name(&k.key).ok_or_else(|| LayoutError::UnknownKey(k.key.clone()))?;
            if keys.iter().any(|s: &KeySpot| s.key == key) {
                return Err(LayoutError::Duplicate(key.name()));
            }
            if let Some(n) = k.led
                && usize::from(n) >= led::LINE_LEDS
            {
                return Err(LayoutError::BadLed(n));
            }
            let rect = Rect { x: k.x, y: k.y, w: k.w, h: k.h };
            keys.push(KeySpot { key, style: k.style, label: k.label, sub: k.sub, led: k.led.map(usize::from), rect });
        }
        let l = Layout {
            width: raw.width,
            height: raw.height,
            body: raw.body,
            handset: raw.handset,
            grille: raw.grille,
            brand: raw.brand,
            lcd: raw.lcd,
            system_led: raw.system_led,
            keys,
        };
        l.check()?;
        Ok(l)
    }

    fn check(&self) -> Result<(), LayoutError> {
        if let Some(k) = Key::ALL.iter().find(|k| !self.keys.iter().any(|s| s.key == **k)) {
            return Err(LayoutError::Missing(k.name()));
        }
        let phone = Rect { x: 0, y: 0, w: self.width, h: self.height };
        let inside = |r: &Rect| r.w > 0 && r.h > 0 && r.x >= phone.x && r.y >= phone.y && r.x + r.w <= phone.w && r.y + r.h <= phone.h;
        let named = [
            ("body", self.body),
            ("handset", self.handset),
            ("grille", self.grille),
            ("brand", self.brand),
            ("lcd", self.lcd.rect()),
            ("system_led", self.system_led),
        ];
        for (name, r) in named.iter() {
            if !inside(r) {
                return Err(LayoutError::Outside(name.to_string()));
            }
        }
        for s in &self.keys {
            if !inside(&s.rect) {
                return Err(LayoutError::Outside(format!("key {:?}", s.key.name())));
            }
        }
        for (i, a) in self.keys.iter().enumerate() {
            if let Some(b) = self.keys[i + 1..].iter().find(|b| a.rect.overlaps(&b.rect)) {
                return Err(LayoutError::Overlap(a.key.name(), b.key.name()));
            }
        }
        if self.lcd.pixel < 1 {
            return Err(LayoutError::LcdTooSmall);
        }
        let font = crate::font::lcd();
        let t = self.lcd.text_rect(font.width(), font.height());
        let icons = self.lcd.icon_rect(font.width(), font.height());
        if t.x < self.lcd.x || self.lcd.text_top < 0 || icons.h < 11 {
            return Err(LayoutError::LcdTooSmall);
        }
        Ok(())
    }

    /// What the phone-relative point (`x`, `y`) hits: a key or the handset.
    pub fn hit(&self, x: i32, y: i32) -> Option<Target> {
        if let Some(s) = self.keys.iter().find(|s| s.rect.contains(x, y)) {
            return Some(Target::Key(s.key));
        }
        self.handset.contains(x, y).then_some(Target::Hook)
    }

    pub fn spot(&self, key: Key) -> Option<&KeySpot> {
        self.keys.iter().find(|s| s.key == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = include_str!("../../../assets/faceplate/st20xx.toml");

    #[test]
    fn shipped_faceplate_places_every_key_once() {
        let l = faceplate();
        assert_eq!(l.keys.len(), Key::ALL.len());
        for k in Key::ALL {
            let s = l.spot(*k).unwrap();
            let (x, y) = s.rect.center();
            assert_eq!(l.hit(x, y), Some(Target::Key(*k)), "{}", k.name());
        }
        let (hx, hy) = l.handset.center();
        assert_eq!(l.hit(hx, hy), Some(Target::Hook));
        assert_eq!(l.hit(-1, -1), None);
        // Each line LED is drawn beside exactly one line key.
        let mut leds: Vec<usize> = l.keys.iter().filter_map(|s| s.led).collect();
        leds.sort();
        assert_eq!(leds, (0..led::LINE_LEDS).collect::<Vec<_>>());
    }

    #[test]
    fn a_missing_key_is_reported() {
        let without_hash = SRC.replace("key = \"#\"", "key = \"0\"");
        assert!(matches!(Layout::parse(&without_hash), Err(LayoutError::Duplicate("0"))));
        let unknown = SRC.replace("key = \"#\"", "key = \"pound\"");
        assert!(matches!(Layout::parse(&unknown), Err(LayoutError::UnknownKey(n)) if n == "pound"));
    }

    #[test]
    fn geometry_errors_are_reported() {
        let outside = SRC.replace("x = 512\ny = 52", "x = 590\ny = 52");
        assert!(matches!(Layout::parse(&outside), Err(LayoutError::Outside(n)) if n.contains("line1")));
        let overlap = SRC.replace("x = 512\ny = 84", "x = 512\ny = 60");
        assert!(matches!(Layout::parse(&overlap), Err(LayoutError::Overlap("line1", "line2"))));
        let small_lcd = SRC.replace("w = 316", "w = 200");
        assert!(matches!(Layout::parse(&small_lcd), Err(LayoutError::LcdTooSmall)));
        let bad_led = SRC.replace("led = 5", "led = 6");
        assert!(matches!(Layout::parse(&bad_led), Err(LayoutError::BadLed(6))));
        assert!(matches!(Layout::parse("width = \"wide\""), Err(LayoutError::Toml(_))));
    }
}
