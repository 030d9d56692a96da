//! Bitmap fonts: a BDF parser and the two fonts shipped in `assets/font/`
//! (X11 misc-fixed 6x13 for the LCD, 6x13 bold for key labels, 5x8 for
//! small print).
//!
//! Guarantees: `Font::parse` never panics on bad input (it returns a
//! `FontError` naming the line); a parsed font is monospaced with every
//! glyph normalised to the font's cell, so `Glyph::ink(x, y)` answers for any
//! `x < width`, `y < height`. Characters the font lacks draw as its default
//! character.
//!
//! Hand-rolled because the BDF subset we need (fixed cells, `BITMAP` hex
//! rows) is ~100 lines, and the crates that parse BDF are unmaintained.

use std::collections::HashMap;
use std::sync::OnceLock;

use thiserror::Error;

use crate::frame::Frame;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum FontError {
    #[error("line {line}: {what}")]
    Syntax { line: usize, what: String },
    #[error("no FONTBOUNDINGBOX before the first glyph")]
    NoBoundingBox,
    #[error("font has no glyphs")]
    Empty,
}

/// One glyph, normalised to the font's cell: `rows[y]` has bit `x` (from
/// the left, bit 0 = leftmost) set where the glyph has ink.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Glyph {
    rows: Vec<u32>,
}

impl Glyph {
    pub fn ink(&self, x: usize, y: usize) -> bool {
        self.rows.get(y).is_some_and(|r| x < 32 && r & (1 << x) != 0)
    }
}

#[derive(Clone, Debug)]
pub struct Font {
    width: usize,
    height: usize,
    glyphs: HashMap<u32, Glyph>,
    default: Glyph,
}

/// The LCD and label font (misc-fixed 6x13, ISO-8859-1).
pub fn lcd() -> &'static Font {
    static F: OnceLock<Font> = OnceLock::new();
    F.get_or_init(|| {
        Font::parse(include_str!("../../../assets/font/6x13-ISO8859-1.bdf")).expect("shipped font 6x13 parses (tested)")
    })
}

/// The key-label font (misc-fixed 6x13 bold, ISO-8859-1).
pub fn label() -> &'static Font {
    static F: OnceLock<Font> = OnceLock::new();
    F.get_or_init(|| {
        Font::parse(include_str!("../../../assets/font/6x13B-ISO8859-1.bdf")).expect("shipped font 6x13B parses (tested)")
    })
}

/// The small-print font (misc-fixed 5x8, ISO-8859-1).
pub fn small() -> &'static Font {
    static F: OnceLock<Font> = OnceLock::new();
    F.get_or_init(|| {
        Font::parse(include_str!("../../../assets/font/5x8-ISO8859-1.bdf")).expect("shipped font 5x8 parses (tested)")
    })
}

/// A glyph being read: its encoding, bounding box and the rows so far.
struct Pending {
    encoding: Option<u32>,
    bbx: Option<(i32, i32, i32, i32)>,
    bitmap: Option<Vec<u32>>,
}

impl Font {
    pub fn width(&self) -> usize {
        self.width
    }
    pub fn height(&self) -> usize {
        self.height
    }

    /// The glyph for `c`, or the default glyph when the font has none.
    pub fn glyph(&self, c: char) -> &Glyph {
        self.glyphs.get(&(c as u32)).unwrap_or(&self.default)
    }

    pub fn has(&self, c: char) -> bool {
        self.glyphs.contains_key(&(c as u32))
    }

    /// Draws `text` with its top-left corner at (`x`, `y`), each font pixel
    /// a `px`×`px` square of `ink`; paper is left untouched. Returns the x
    /// after the last character.
    pub fn draw(&self, frame: &mut Frame, x: i32, y: i32, text: &str, ink: u32, px: u32) -> i32 {
        let px = px.max(1) as i32;
        let mut cx = x;
        for c in text.chars() {
            let g = self.glyph(c);
            for gy in 0..self.height {
                for gx in 0..self.width {
                    if g.ink(gx, gy) {
                        frame.fill_rect(cx + gx as i32 * px, y + gy as i32 * px, px, px, ink);
                    }
                }
            }
            cx += self.width as i32 * px;
        }
        cx
    }

    /// Width in pixels of `text` at pixel size 1.
    pub fn text_width(&self, text: &str) -> i32 {
        (text.chars().count() * self.width) as i32
    }

    pub fn parse(src: &str) -> Result<Font, FontError> {
        let mut cell: Option<(i32, i32, i32, i32)> = None;
        let mut default_char: Option<u32> = None;
        let mut glyphs = HashMap::new();
        let mut pending: Option<Pending> = None;
        for (i, raw) in src.lines().enumerate() {
            let line = i + 1;
            let err = |what: &str| FontError::Syntax { line, what: what.to_string() };
            let mut words = raw.split_whitespace();
            let Some(keyword) = words.next() else { continue };
            let nums = |words: std::str::SplitWhitespace<'_>, n: usize| -> Result<Vec<i32>, FontError> {
                let v: Vec<i32> = words.map(str::parse).collect::<Result<_, _>>().map_err(|_| err("bad number"))?;
                if v.len() < n {
                    return Err(err(&format!("{keyword} needs {n} numbers")));
                }
                Ok(v)
            };
            if let Some(p) = pending.as_mut() {
                if let Some(rows) = p.bitmap.as_mut() {
                    if keyword == "ENDCHAR" {
                        let p = pending.take().expect("pending is Some");
                        let (fbw, fbh, fbx, fby) = cell.ok_or(FontError::NoBoundingBox)?;
                        let bbx = p.bbx.ok_or_else(|| err("glyph without BBX"))?;
                        let rows = place(p.bitmap.as_deref().unwrap_or(&[]), bbx, (fbw, fbh, fbx, fby));
                        if let Some(enc) = p.encoding {
                            glyphs.insert(enc, Glyph { rows });
                        }
                        continue;
                    }
                    let bits = u32::from_str_radix(keyword, 16).map_err(|_| err("bad bitmap row"))?;
                    if keyword.len() > 8 {
                        return Err(err("bitmap row wider than 32 pixels"));
                    }
                    // A row of n hex digits holds 4n bits, leftmost pixel in the top bit.
                    let nbits = keyword.len() * 4;
                    rows.push(reverse_bits(bits, nbits));
                    continue;
                }
                match keyword {
                    "ENCODING" => {
                        let v = nums(words, 1)?;
                        p.encoding = u32::try_from(v[0]).ok();
                    }
                    "BBX" => {
                        let v = nums(words, 4)?;
                        if v[0] < 0 || v[1] < 0 || v[0] > 32 || v[1] > 64 {
                            return Err(err("BBX out of range"));
                        }
                        p.bbx = Some((v[0], v[1], v[2], v[3]));
                    }
                    "BITMAP" => p.bitmap = Some(Vec::new()),
                    "ENDCHAR" => return Err(err("ENDCHAR without BITMAP")),
                    "STARTCHAR" => return Err(err("STARTCHAR inside a glyph")),
                    _ => {}
                }
                continue;
            }
            match keyword {
                "FONTBOUNDINGBOX" => {
                    let v = nums(words, 4)?;
                    if v[0] <= 0 || v[1] <= 0 || v[0] > 32 || v[1] > 64 {
                        return Err(err("FONTBOUNDINGBOX out of range"));
                    }
                    cell = Some((v[0], v[1], v[2], v[3]));
                }
                "DEFAULT_CHAR" => default_char = nums(words, 1)?.first().and_then(|&v| u32::try_from(v).ok()),
                "STARTCHAR" => {
                    if cell.is_none() {
                        return Err(FontError::NoBoundingBox);
                    }
                    pending = Some(Pending { encoding: None, bbx: None, bitmap: None });
                }
                "ENDCHAR" | "BITMAP" | "BBX" => return Err(err("outside a glyph")),
                _ => {}
            }
        }
        if pending.is_some() {
            return Err(FontError::Syntax { line: src.lines().count(), what: "missing ENDCHAR".into() });
        }
        let (w, h, _, _) = cell.ok_or(FontError::NoBoundingBox)?;
        let default = default_char
            .and_then(|c| glyphs.get(&c))
            .or_else(|| glyphs.get(&('?' as u32)))
            .or_else(|| glyphs.values().next())
            .cloned()
            .ok_or(FontError::Empty)?;
        Ok(Font { width: w as usize, height: h as usize, glyphs, default })
    }
}

/// Reverses the low `n` bits so bit 0 is the leftmost pixel.
fn reverse_bits(v: u32, n: usize) -> u32 {
    if n == 0 { 0 } else { v.reverse_bits() >> (32 - n) }
}

/// Moves a glyph's rows from its own box into the font cell. Both boxes are
/// (width, height, x offset, y offset) with y offsets from the baseline up.
fn place(rows: &[u32], bbx: (i32, i32, i32, i32), cell: (i32, i32, i32, i32)) -> Vec<u32> {
    let (_, gh, gx, gy) = bbx;
    let (cw, ch, cx, cy) = cell;
    let mut out = vec![0u32; ch as usize];
    // Cell row of the glyph's top row: cell top is at baseline + ch + cy.
    let top = (ch + cy) - (gh + gy);
    let shift = gx - cx;
    let mask = if cw >= 32 { u32::MAX } else { (1u32 << cw) - 1 };
    for (i, &r) in rows.iter().enumerate().take(gh as usize) {
        let y = top + i as i32;
        if (0..ch).contains(&y) {
            let moved = if shift >= 0 { r.checked_shl(shift as u32).unwrap_or(0) } else { r >> (-shift) as u32 };
            out[y as usize] = moved & mask;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The real 'A' of misc-fixed 6x13 (as pcf2bdf writes it), and a glyph
    /// with a smaller box than the cell, to check placement.
    const SMALL_BDF: &str = "STARTFONT 2.1
FONTBOUNDINGBOX 6 13 0 -2
STARTPROPERTIES 1
DEFAULT_CHAR 0
ENDPROPERTIES
CHARS 2
STARTCHAR A
ENCODING 65
SWIDTH 480 0
DWIDTH 6 0
BBX 6 13 0 -2
BITMAP
00
00
20
50
88
88
88
F8
88
88
88
00
00
ENDCHAR
STARTCHAR period
ENCODING 46
BBX 2 2 2 0
BITMAP
C0
C0
ENDCHAR
ENDFONT
";

    fn art(g: &Glyph, w: usize, h: usize) -> Vec<String> {
        (0..h).map(|y| (0..w).map(|x| if g.ink(x, y) { '#' } else { '.' }).collect()).collect()
    }

    #[test]
    fn parses_a_real_glyph() {
        let f = Font::parse(SMALL_BDF).unwrap();
        assert_eq!((f.width(), f.height()), (6, 13));
        let a = art(f.glyph('A'), 6, 13);
        assert_eq!(&a[2..8], &["..#...", ".#.#..", "#...#.", "#...#.", "#...#.", "#####."]);
        assert_eq!(a[0], "......");
    }

    #[test]
    fn places_a_small_box_on_the_baseline() {
        let f = Font::parse(SMALL_BDF).unwrap();
        // Baseline is 2 rows above the cell bottom; a 2×2 box at y offset 0
        // sits on rows 9 and 10, shifted 2 pixels right.
        let p = art(f.glyph('.'), 6, 13);
        assert_eq!(p[9], "..##..");
        assert_eq!(p[10], "..##..");
        assert_eq!(p[8], "......");
        assert_eq!(p[11], "......");
    }

    #[test]
    fn missing_characters_use_a_fallback() {
        let f = Font::parse(SMALL_BDF).unwrap();
        assert!(!f.has('€'));
        // No glyph 0 and no '?': falls back to some glyph, never panics.
        let _ = f.glyph('€').ink(0, 0);
    }

    #[test]
    fn bad_input_is_an_error_with_a_line() {
        let bad_hex = SMALL_BDF.replace("F8", "Z8");
        assert!(matches!(Font::parse(&bad_hex), Err(FontError::Syntax { line: 20, .. })));
        let no_end = SMALL_BDF.replace("ENDCHAR\nENDFONT", "ENDFONT");
        assert!(Font::parse(&no_end).is_err());
        assert_eq!(Font::parse("STARTFONT 2.1\nSTARTCHAR A\n").unwrap_err(), FontError::NoBoundingBox);
        assert_eq!(Font::parse("FONTBOUNDINGBOX 6 13 0 -2\n").unwrap_err(), FontError::Empty);
        let huge = SMALL_BDF.replace("BBX 2 2 2 0", "BBX 2000 2 2 0");
        assert!(Font::parse(&huge).is_err());
        assert!(Font::parse("FONTBOUNDINGBOX 6\n").is_err());
        assert!(Font::parse("").is_err());
    }

    #[test]
    fn shipped_fonts_cover_iso_8859_1() {
        for f in [lcd(), label(), small()] {
            for c in (0x20u8..=0x7E).chain(0xA0..=0xFF) {
                assert!(f.has(c as char), "missing {:#04x}", c);
            }
        }
        assert_eq!((lcd().width(), lcd().height()), (6, 13));
        assert_eq!((small().width(), small().height()), (5, 8));
        // 'é' differs from 'e' (the accent is really there).
        assert_ne!(lcd().glyph('é'), lcd().glyph('e'));
    }

    #[test]
    fn draw_puts_ink_where_the_glyph_has_it() {
        let f = Font::parse(SMALL_BDF).unwrap();
        let mut fr = Frame::new(12, 26, 0);
        let end = f.draw(&mut fr, 0, 0, "A", 0xFFFFFF, 2);
        assert_eq!(end, 12);
        // Row 2 of 'A' has ink at x=2 only: pixels (4..6, 4..6) are lit.
        assert_eq!(fr.get(4, 4), Some(0xFFFFFF));
        assert_eq!(fr.get(5, 5), Some(0xFFFFFF));
        assert_eq!(fr.get(2, 4), Some(0));
        assert_eq!(fr.get(6, 4), Some(0));
    }
}
