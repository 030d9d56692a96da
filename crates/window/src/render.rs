//! `render`: a `PhoneView` to pixels, with no display involved.
//!
//! Guarantees: pure (the same view and options give the same frame, bit for
//! bit); the LCD text is the shipped 6x13 font, each font pixel a
//! `lcd.pixel`-square dot of `lcd_ink` on `lcd_paper`; the frame is the
//! faceplate's size (plus `PANEL_W` with the side panel) times `scale`.

use board::keys::Key;

use crate::font::{self, Font};
use crate::frame::{Frame, mix, rgb};
use crate::icons;
use crate::keymap;
use crate::layout::{self, KeySpot, Layout, Rect, Style};
use crate::view::{Color, Led, PhoneView};

/// Width of the side panel at scale 1.
pub const PANEL_W: usize = 372;
/// The largest scale factor; larger ones are drawn at this one.
pub const MAX_SCALE: usize = 8;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderOptions {
    /// Integer scale factor, clamped to 1..=`MAX_SCALE`.
    pub scale: usize,
    pub show_help: bool,
    pub show_panel: bool,
    /// Keys drawn pressed (held on the keyboard or under the mouse).
    pub pressed: Vec<Key>,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions { scale: 1, show_help: false, show_panel: false, pressed: Vec::new() }
    }
}

const DESK: u32 = rgb(0x1d, 0x1f, 0x22);
const BODY_TOP: u32 = rgb(0x4a, 0x4e, 0x55);
const BODY_BOTTOM: u32 = rgb(0x2c, 0x2f, 0x34);
const BODY_EDGE: u32 = rgb(0x62, 0x67, 0x70);
const BEZEL: u32 = rgb(0x18, 0x19, 0x1b);
const KEY_TOP: u32 = rgb(0x70, 0x75, 0x7e);
const KEY_BOTTOM: u32 = rgb(0x52, 0x56, 0x5e);
const KEY_PRESSED: u32 = rgb(0x3a, 0x3d, 0x43);
const KEY_SHADOW: u32 = rgb(0x1a, 0x1b, 0x1e);
const KEY_TEXT: u32 = rgb(0xf2, 0xf2, 0xf2);
const KEY_SUB: u32 = rgb(0xb8, 0xbf, 0xc8);
const SOFT_TOP: u32 = rgb(0xc9, 0xcd, 0xd3);
const SOFT_BOTTOM: u32 = rgb(0x9c, 0xa1, 0xa9);
const HANDSET_TOP: u32 = rgb(0x2a, 0x2c, 0x30);
const HANDSET_BOTTOM: u32 = rgb(0x16, 0x17, 0x19);
const CRADLE: u32 = rgb(0x14, 0x15, 0x17);
const LED_DARK: u32 = rgb(0x2b, 0x2b, 0x2b);
const PANEL_BG: u32 = rgb(0x10, 0x12, 0x14);
const PANEL_TEXT: u32 = rgb(0x9f, 0xe0, 0x9f);
const PANEL_HEAD: u32 = rgb(0xe0, 0xe0, 0xe0);
const BRAND: u32 = rgb(0xc8, 0xcc, 0xd2);

/// LCD colours: (paper, ink) with the backlight on, then off.
pub const LCD_LIT: (u32, u32) = (rgb(0xa9, 0xd8, 0x6a), rgb(0x1b, 0x2e, 0x12));
pub const LCD_DIM: (u32, u32) = (rgb(0x5d, 0x68, 0x55), rgb(0x1c, 0x22, 0x1a));

pub fn led_color(c: Color) -> u32 {
    match c {
        Color::None => LED_DARK,
        Color::Red => rgb(0xff, 0x2a, 0x2a),
        Color::Green => rgb(0x3c, 0xf0, 0x4a),
        Color::Amber => rgb(0xff, 0xb3, 0x00),
    }
}

/// The LCD's (paper, ink) for a backlight state.
pub fn lcd_colors(backlight: bool) -> (u32, u32) {
    if backlight { LCD_LIT } else { LCD_DIM }
}

/// Size of the rendered frame at scale 1.
pub fn base_size(show_panel: bool) -> (usize, usize) {
    let l = layout::faceplate();
    (l.width as usize + if show_panel { PANEL_W } else { 0 }, l.height as usize)
}

pub fn render(view: &PhoneView, opts: &RenderOptions) -> Frame {
    let l = layout::faceplate();
    let (w, h) = base_size(opts.show_panel);
    let mut f = Frame::new(w, h, DESK);
    draw_body(&mut f, l, view);
    draw_handset(&mut f, l.handset, view.off_hook);
    draw_lcd(&mut f, l, view);
    draw_led(&mut f, l.system_led.center(), 7, view.system_led, view.now_us);
    for spot in &l.keys {
        draw_key(&mut f, spot, opts.pressed.contains(&spot.key));
        if let Some(n) = spot.led {
            let (_, cy) = spot.rect.center();
            draw_led(&mut f, (spot.rect.x - 11, cy), 4, view.line_leds[n], view.now_us);
        }
    }
    if opts.show_panel {
        draw_panel(&mut f, l.width, &view.side_panel);
    }
    if opts.show_help {
        draw_help(&mut f, l);
    }
    f.scaled(opts.scale.clamp(1, MAX_SCALE))
}

fn draw_body(f: &mut Frame, l: &Layout, view: &PhoneView) {
    let b = l.body;
    f.fill_round_rect(b.x + 3, b.y + 5, b.w, b.h, 30, rgb(0x0c, 0x0d, 0x0e));
    f.fill_round_rect(b.x, b.y, b.w, b.h, 30, BODY_EDGE);
    f.gradient_round_rect(Rect { x: b.x + 2, y: b.y + 2, w: b.w - 4, h: b.h - 4 }, 28, BODY_TOP, BODY_BOTTOM);
    // Speaker grille: a field of holes.
    let g = l.grille;
    f.gradient_round_rect(g, 8, rgb(0x33, 0x36, 0x3b), rgb(0x2b, 0x2e, 0x33));
    let mut y = g.y + 8;
    let mut odd = false;
    while y < g.y + g.h - 6 {
        let mut x = g.x + if odd { 12 } else { 8 };
        while x < g.x + g.w - 6 {
            f.fill_rect(x, y, 3, 3, rgb(0x10, 0x11, 0x13));
            x += 8;
        }
        y += 7;
        odd = !odd;
    }
    // Brand and model, printed on the plastic.
    let br = l.brand;
    let font = font::label();
    let brand = "THOMSON";
    let bw = font.text_width(brand) * 2 + 6 * (brand.len() as i32 - 1);
    let mut x = br.x + (br.w - bw) / 2;
    for c in brand.chars() {
        x = font.draw(f, x, br.y + 4, &c.to_string(), BRAND, 2) + 6;
    }
    let model = if view.model.is_empty() { "ST20xx" } else { view.model.as_str() };
    let small = font::lcd();
    small.draw(f, br.x + (br.w - small.text_width(model)) / 2, br.y + 34, model, rgb(0x9a, 0xa0, 0xa8), 1);
}

fn draw_handset(f: &mut Frame, r: Rect, off_hook: bool) {
    // The cradle: a recess with the hook switch at its middle.
    f.fill_round_rect(r.x - 4, r.y - 4, r.w + 8, r.h + 8, 40, rgb(0x26, 0x28, 0x2c));
    f.fill_round_rect(r.x, r.y, r.w, r.h, 36, CRADLE);
    let (cx, cy) = r.center();
    f.fill_round_rect(cx - 10, cy - 34, 20, 68, 6, rgb(0x3a, 0x3c, 0x40));
    f.fill_round_rect(cx - 6, cy - 30, 12, if off_hook { 60 } else { 20 }, 4, rgb(0x55, 0x58, 0x5e));
    if off_hook {
        let t = "OFF HOOK";
        let font = font::label();
        for (i, c) in t.chars().enumerate() {
            let y = r.y + 60 + i as i32 * 15;
            font.draw(f, cx - 3, y, &c.to_string(), rgb(0xff, 0xb3, 0x00), 1);
        }
        return;
    }
    // The handset: earpiece and mouthpiece ends joined by a grip.
    let ear = Rect { x: r.x + 4, y: r.y + 4, w: r.w - 8, h: 130 };
    let mouth = Rect { x: r.x + 4, y: r.y + r.h - 134, w: r.w - 8, h: 130 };
    let grip = Rect { x: r.x + 30, y: r.y + 80, w: r.w - 60, h: r.h - 160 };
    f.fill_round_rect(grip.x - 1, grip.y, grip.w + 2, grip.h, 16, rgb(0x3a, 0x3d, 0x42));
    f.gradient_round_rect(grip, 16, HANDSET_TOP, HANDSET_BOTTOM);
    // Highlight along the grip.
    f.shade_rect(grip.x + 6, grip.y + 10, 4, grip.h - 20, rgb(0xff, 0xff, 0xff), 28);
    for p in [ear, mouth] {
        f.fill_round_rect(p.x - 1, p.y - 1, p.w + 2, p.h + 2, 41, rgb(0x3a, 0x3d, 0x42));
        f.gradient_round_rect(p, 40, HANDSET_TOP, HANDSET_BOTTOM);
    }
    for p in [ear, mouth] {
        let (hx, hy) = p.center();
        for dy in [-16, 0, 16] {
            for dx in [-16, 0, 16] {
                f.fill_circle(hx + dx, hy + dy, 3, rgb(0x08, 0x08, 0x09));
            }
        }
    }
}

fn draw_lcd(f: &mut Frame, l: &Layout, view: &PhoneView) {
    let g = l.lcd.rect();
    let font = font::lcd();
    let (paper, ink) = lcd_colors(view.backlight);
    f.fill_round_rect(g.x - 8, g.y - 8, g.w + 16, g.h + 16, 10, BEZEL);
    f.fill_rect(g.x, g.y, g.w, g.h, paper);
    // A faint inner shadow along the top and left edges of the glass.
    f.shade_rect(g.x, g.y, g.w, 3, rgb(0, 0, 0), 40);
    f.shade_rect(g.x, g.y, 3, g.h, rgb(0, 0, 0), 40);
    let t = l.lcd.text_rect(font.width(), font.height());
    draw_lcd_text(f, font, t.x, t.y, l.lcd.pixel, &view.lcd_cells(), ink);
    let strip = l.lcd.icon_rect(font.width(), font.height());
    f.fill_rect(strip.x, strip.y - 3, strip.w, 1, mix(paper, ink, 60));
    let slot = strip.w / board::periph::lcd::ICON_NAMES.len() as i32;
    let px = l.lcd.pixel.min((strip.h / icons::H as i32).max(1));
    for (i, (_, name)) in board::periph::lcd::ICON_NAMES.iter().enumerate() {
        let on = view.icons.iter().any(|n| n == name);
        let Some(bm) = icons::bitmap(name) else { continue };
        // Segment icons: unlit segments show as a faint ghost, as on real glass.
        let c = if on { ink } else { mix(paper, ink, 22) };
        let x0 = strip.x + i as i32 * slot + (slot - icons::W as i32 * px) / 2;
        let y0 = strip.y + (strip.h - icons::H as i32 * px) / 2;
        for (y, row) in bm.iter().enumerate() {
            for (x, ch) in row.bytes().enumerate() {
                if ch == b'#' {
                    f.fill_rect(x0 + x as i32 * px, y0 + y as i32 * px, px, px, c);
                }
            }
        }
    }
}

/// Draws the 24 × 6 cells at (`x`, `y`); shared with the tests' reference.
pub fn draw_lcd_text(f: &mut Frame, font: &Font, x: i32, y: i32, px: i32, cells: &[Vec<char>], ink: u32) {
    for (r, row) in cells.iter().enumerate() {
        let s: String = row.iter().collect();
        font.draw(f, x, y + r as i32 * font.height() as i32 * px, &s, ink, px as u32);
    }
}

fn draw_led(f: &mut Frame, (cx, cy): (i32, i32), r: i32, led: Led, now_us: u64) {
    f.fill_circle(cx, cy, r + 2, rgb(0x15, 0x16, 0x18));
    if led.lit_at(now_us) {
        let c = led_color(led.color);
        f.fill_circle(cx, cy, r, c);
        f.fill_circle(cx - r / 3, cy - r / 3, (r / 3).max(1), mix(c, 0xFFFFFF, 150));
    } else {
        // Unlit: the lens shows a hint of its colour.
        let tint = if led.color == Color::None { LED_DARK } else { mix(LED_DARK, led_color(led.color), 40) };
        f.fill_circle(cx, cy, r, tint);
        f.fill_circle(cx - r / 3, cy - r / 3, (r / 4).max(1), mix(tint, 0xFFFFFF, 50));
    }
}

fn draw_key(f: &mut Frame, s: &KeySpot, pressed: bool) {
    let r = s.rect;
    let (top, bottom) = match s.style {
        Style::Soft => (SOFT_TOP, SOFT_BOTTOM),
        _ => (KEY_TOP, KEY_BOTTOM),
    };
    let radius = match s.style {
        Style::Digit => 9,
        Style::Nav => 6,
        _ => 7,
    };
    let dy = if pressed { 2 } else { 0 };
    f.fill_round_rect(r.x, r.y + 2, r.w, r.h, radius, KEY_SHADOW);
    if pressed {
        f.fill_round_rect(r.x, r.y + dy, r.w, r.h, radius, KEY_PRESSED);
    } else {
        f.gradient_round_rect(r, radius, top, bottom);
        f.shade_rect(r.x + radius, r.y + 1, r.w - 2 * radius, 1, 0xFFFFFF, 60);
    }
    let (cx, cy) = r.center();
    let (cx, cy) = (cx, cy + dy);
    let label = font::label();
    match s.style {
        Style::Nav => draw_arrow(f, cx, cy, &s.label, KEY_TEXT),
        Style::Soft => f.fill_rect(cx - 12, cy - 1, 24, 3, rgb(0x5a, 0x5e, 0x66)),
        Style::Digit => {
            let small = font::small();
            let lh = label.height() as i32;
            let total = if s.sub.is_empty() { lh } else { lh + small.height() as i32 - 2 };
            let y = cy - total / 2;
            label.draw(f, cx - label.text_width(&s.label) / 2, y, &s.label, KEY_TEXT, 1);
            if !s.sub.is_empty() {
                small.draw(f, cx - small.text_width(&s.sub) / 2, y + lh - 2, &s.sub, KEY_SUB, 1);
            }
        }
        Style::Key | Style::Line => {
            let t = &s.label;
            label.draw(f, cx - label.text_width(t) / 2, cy - label.height() as i32 / 2, t, KEY_TEXT, 1);
        }
    }
}

/// A filled triangle pointing `dir` (up/down/left/right), centred on (cx, cy).
fn draw_arrow(f: &mut Frame, cx: i32, cy: i32, dir: &str, c: u32) {
    const H: i32 = 6;
    for i in 0..=H {
        let (x, y, w, h) = match dir {
            "up" => (cx - i, cy - H / 2 + i, 2 * i + 1, 1),
            "down" => (cx - i, cy + H / 2 - i, 2 * i + 1, 1),
            "left" => (cx - H / 2 + i, cy - i, 1, 2 * i + 1),
            _ => (cx + H / 2 - i, cy - i, 1, 2 * i + 1),
        };
        f.fill_rect(x, y, w, h, c);
    }
}

fn draw_panel(f: &mut Frame, x0: i32, lines: &[String]) {
    let h = f.height as i32;
    f.fill_rect(x0, 0, PANEL_W as i32, h, PANEL_BG);
    f.fill_rect(x0, 0, 1, h, rgb(0x3a, 0x3d, 0x42));
    let head = font::label();
    head.draw(f, x0 + 10, 8, "APS log / network", PANEL_HEAD, 1);
    f.fill_rect(x0 + 10, 25, PANEL_W as i32 - 20, 1, rgb(0x3a, 0x3d, 0x42));
    let font = font::lcd();
    let line_h = font.height() as i32 + 1;
    let top = 32;
    let cols = (PANEL_W - 20) / font.width();
    let rows = ((h - top - 6) / line_h).max(0) as usize;
    // Newest lines at the bottom; a line too long is cut with '>' at its end.
    let start = lines.len().saturating_sub(rows);
    for (i, line) in lines[start..].iter().enumerate() {
        let mut s: String = line.chars().take(cols).collect();
        if line.chars().count() > cols {
            s.pop();
            s.push('>');
        }
        font.draw(f, x0 + 10, top + i as i32 * line_h, &s, PANEL_TEXT, 1);
    }
}

fn draw_help(f: &mut Frame, l: &Layout) {
    let lines = keymap::help_lines();
    let font = font::lcd();
    let bold = font::label();
    let line_h = 17;
    let w = 420;
    let h = 56 + lines.len() as i32 * line_h;
    let (x, y) = ((l.width - w) / 2, (l.height - h) / 2);
    f.shade_rect(0, 0, l.width, l.height, 0, 110);
    f.fill_round_rect(x, y, w, h, 12, rgb(0x22, 0x25, 0x2a));
    f.shade_rect(x, y, w, 1, 0xFFFFFF, 60);
    bold.draw(f, x + 20, y + 14, "Keyboard", KEY_TEXT, 1);
    bold.draw(f, x + 20 + 150, y + 14, "Phone", KEY_TEXT, 1);
    f.fill_rect(x + 20, y + 32, w - 40, 1, rgb(0x55, 0x58, 0x5e));
    for (i, (k, what)) in lines.iter().enumerate() {
        let ly = y + 40 + i as i32 * line_h;
        bold.draw(f, x + 20, ly, k, rgb(0xff, 0xd0, 0x60), 1);
        font.draw(f, x + 20 + 150, ly, what, KEY_TEXT, 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::LedMode;

    fn sample() -> PhoneView {
        PhoneView {
            model: "ST2030S".into(),
            mac: "00:90:96:A1:B1:C1".into(),
            firmware: "2.74".into(),
            state: "provisioning".into(),
            lcd: [
                "Thomson ST2030S  v2.74".into(),
                "".into(),
                "  Provisioning...".into(),
                "TFTP 192.168.1.10".into(),
                "ÄÖÜ é à ç ñ ß £ ¿ ½ ©".into(),
                "Menu    Dir    Redial".into(),
            ],
            backlight: true,
            icons: vec!["network".into(), "lock".into()],
            system_led: Led { color: Color::Amber, mode: LedMode::SlowBlink },
            line_leds: [
                Led { color: Color::Green, mode: LedMode::On },
                Led { color: Color::Red, mode: LedMode::FastBlink },
                Led::default(),
                Led::default(),
                Led::default(),
                Led { color: Color::Amber, mode: LedMode::On },
            ],
            off_hook: false,
            side_panel: vec!["APS: start".into(), "TFTP RRQ ST2030S.inf".into()],
            now_us: 0,
        }
    }

    /// The LCD text area as rendered, cell by cell, against the font's own
    /// glyph bits: every dot is ink exactly where the glyph has ink.
    #[test]
    fn lcd_pixels_are_the_text_in_the_shipped_font() {
        let view = sample();
        let frame = render(&view, &RenderOptions::default());
        let l = layout::faceplate();
        let font = font::lcd();
        let t = l.lcd.text_rect(font.width(), font.height());
        let (paper, ink) = lcd_colors(true);
        let px = l.lcd.pixel as usize;
        let cells = view.lcd_cells();
        let mut inked = 0;
        for (r, row) in cells.iter().enumerate() {
            for (c, &ch) in row.iter().enumerate() {
                let g = font.glyph(ch);
                for gy in 0..font.height() {
                    for gx in 0..font.width() {
                        let want = if g.ink(gx, gy) { ink } else { paper };
                        for (dx, dy) in [(0, 0), (px - 1, px - 1)] {
                            let x = t.x as usize + (c * font.width() + gx) * px + dx;
                            let y = t.y as usize + (r * font.height() + gy) * px + dy;
                            assert_eq!(frame.get(x, y), Some(want), "row {r} col {c} {ch:?} dot ({gx},{gy})");
                        }
                        inked += usize::from(g.ink(gx, gy));
                    }
                }
            }
        }
        assert!(inked > 500, "the sample text should ink many dots, got {inked}");
    }

    /// The same region equals the text drawn on its own with the same font.
    #[test]
    fn lcd_region_equals_text_rendered_alone() {
        let view = sample();
        let frame = render(&view, &RenderOptions::default());
        let l = layout::faceplate();
        let font = font::lcd();
        let t = l.lcd.text_rect(font.width(), font.height());
        let (paper, ink) = lcd_colors(true);
        let mut reference = Frame::new(t.w as usize, t.h as usize, paper);
        draw_lcd_text(&mut reference, font, 0, 0, l.lcd.pixel, &view.lcd_cells(), ink);
        assert_eq!(frame.crop(t.x as usize, t.y as usize, t.w as usize, t.h as usize), reference);
        let mut other = view.clone();
        other.lcd[2] = "  Provisioning..,".into();
        let changed = render(&other, &RenderOptions::default());
        assert_ne!(changed.crop(t.x as usize, t.y as usize, t.w as usize, t.h as usize), reference);
    }

    #[test]
    fn backlight_changes_the_lcd_colours() {
        let mut v = sample();
        let l = layout::faceplate();
        let (x, y) = (l.lcd.x as usize + l.lcd.w as usize - 6, l.lcd.y as usize + 6);
        assert_eq!(render(&v, &RenderOptions::default()).get(x, y), Some(LCD_LIT.0));
        v.backlight = false;
        assert_eq!(render(&v, &RenderOptions::default()).get(x, y), Some(LCD_DIM.0));
    }

    #[test]
    fn leds_blink_with_emulated_time() {
        let mut v = sample();
        let l = layout::faceplate();
        let (cx, cy) = l.system_led.center();
        let at = |v: &PhoneView| render(v, &RenderOptions::default()).get(cx as usize, cy as usize).unwrap();
        assert_eq!(at(&v), led_color(Color::Amber));
        v.now_us = 600_000;
        assert_ne!(at(&v), led_color(Color::Amber));
        v.now_us = 1_100_000;
        assert_eq!(at(&v), led_color(Color::Amber));
        // Line 2 blinks fast: off at 130 ms while the slow system LED is still on.
        let s = l.spot(Key::Line2).unwrap();
        let (lx, ly) = (s.rect.x - 11, s.rect.center().1);
        let line2 = |v: &PhoneView| render(v, &RenderOptions::default()).get(lx as usize, ly as usize).unwrap();
        v.now_us = 0;
        assert_eq!(line2(&v), led_color(Color::Red));
        v.now_us = 130_000;
        assert_ne!(line2(&v), led_color(Color::Red));
        assert_eq!(at(&v), led_color(Color::Amber));
    }

    #[test]
    fn icons_light_only_when_named() {
        let mut v = sample();
        let l = layout::faceplate();
        let font = font::lcd();
        let s = l.lcd.icon_rect(font.width(), font.height());
        let crop = |v: &PhoneView| render(v, &RenderOptions::default()).crop(s.x as usize, s.y as usize, s.w as usize, s.h as usize);
        let (_, ink) = lcd_colors(true);
        let inked = |f: &Frame| f.pixels.iter().filter(|&&p| p == ink).count();
        let two = inked(&crop(&v));
        v.icons.clear();
        assert_eq!(inked(&crop(&v)), 0);
        v.icons = vec!["network".into(), "lock".into(), "mute".into(), "no-such-icon".into()];
        assert!(inked(&crop(&v)) > two);
    }

    #[test]
    fn scale_panel_help_and_pressed_keys() {
        let v = sample();
        let one = render(&v, &RenderOptions::default());
        assert_eq!((one.width, one.height), base_size(false));
        let three = render(&v, &RenderOptions { scale: 3, ..Default::default() });
        assert_eq!(three, one.scaled(3));
        let huge = render(&v, &RenderOptions { scale: usize::MAX, ..Default::default() });
        assert_eq!(huge.width, one.width * MAX_SCALE);
        let panel = render(&v, &RenderOptions { show_panel: true, ..Default::default() });
        assert_eq!(panel.width, one.width + PANEL_W);
        assert_eq!(panel.crop(0, 0, one.width, one.height), one);
        let help = render(&v, &RenderOptions { show_help: true, ..Default::default() });
        assert_ne!(help, one);
        let l = layout::faceplate();
        let k = l.spot(Key::D5).unwrap().rect;
        let pressed = render(&v, &RenderOptions { pressed: vec![Key::D5], ..Default::default() });
        let crop = |f: &Frame| f.crop(k.x as usize, k.y as usize, k.w as usize, k.h as usize + 2);
        assert_ne!(crop(&pressed), crop(&one));
        let k9 = l.spot(Key::D9).unwrap().rect;
        assert_eq!(pressed.crop(k9.x as usize, k9.y as usize, k9.w as usize, k9.h as usize), one.crop(k9.x as usize, k9.y as usize, k9.w as usize, k9.h as usize));
    }

    #[test]
    fn off_hook_empties_the_cradle() {
        let mut v = sample();
        let l = layout::faceplate();
        let h = l.handset;
        let crop = |v: &PhoneView| render(v, &RenderOptions::default()).crop(h.x as usize, h.y as usize, h.w as usize, h.h as usize);
        let on = crop(&v);
        v.off_hook = true;
        assert_ne!(crop(&v), on);
    }

    #[test]
    fn panel_shows_the_newest_lines_that_fit() {
        let mut v = sample();
        v.side_panel = (0..200).map(|i| format!("line {i:03} {}", "x".repeat(i % 90))).collect();
        let with_panel = RenderOptions { show_panel: true, ..Default::default() };
        let a = render(&v, &with_panel);
        v.side_panel.pop();
        let b = render(&v, &with_panel);
        assert_ne!(a, b);
    }
}
