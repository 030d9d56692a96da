//! Reading the LCD back from pictures: PNG files decoded to pixels, the
//! LCD state the trace says the phone had, and a pixel comparison of the
//! LCD text area against the window crate's own rendering of that text.

use std::path::Path;
use trace::{Event, PowerState, Record};
use window::{PhoneView, RenderOptions};

/// RGB pixels as `0xRRGGBB`, row by row.
pub struct Picture {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u32>,
}

impl Picture {
    pub fn read(path: &Path) -> Picture {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut dec = png::Decoder::new(std::io::Cursor::new(bytes));
        dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        let mut reader = dec.read_info().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut buf = vec![0; reader.output_buffer_size().expect("PNG size fits memory")];
        let info = reader.next_frame(&mut buf).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let step = match info.color_type {
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
            other => panic!("{}: unexpected PNG colour type {other:?}", path.display()),
        };
        let (width, height) = (info.width as usize, info.height as usize);
        let pixels = (0..width * height)
            .map(|i| {
                let row = i / width;
                let p = &buf[row * info.line_size + (i % width) * step..];
                u32::from(p[0]) << 16 | u32::from(p[1]) << 8 | u32::from(p[2])
            })
            .collect();
        Picture { width, height, pixels }
    }

    fn from_frame(f: &window::Frame) -> Picture {
        Picture { width: f.width, height: f.height, pixels: f.pixels.clone() }
    }
}

/// The LCD lines and backlight after every record up to `t_us`.
pub fn lcd_at(records: &[Record], t_us: u64) -> ([String; 6], bool) {
    let mut lines: [String; 6] = Default::default();
    let mut backlight = false;
    for r in records.iter().take_while(|r| r.t_us <= t_us) {
        match &r.event {
            Event::Lcd { line, text } => {
                if let Some(slot) = lines.get_mut(usize::from(*line).wrapping_sub(1)) {
                    *slot = text.clone();
                }
            }
            Event::LcdState { backlight: b, .. } => backlight = *b,
            Event::Power { state: PowerState::Off } => {
                lines = Default::default();
                backlight = false;
            }
            _ => {}
        }
    }
    (lines, backlight)
}

/// The LCD's text area in a frame drawn at `scale`: (x, y, w, h).
pub fn text_area(scale: usize) -> (usize, usize, usize, usize) {
    let font = window::font::lcd();
    let r = window::layout::faceplate().lcd.text_rect(font.width(), font.height());
    (r.x as usize * scale, r.y as usize * scale, r.w as usize * scale, r.h as usize * scale)
}

/// The window crate's rendering of an LCD showing `lines`.
pub fn reference(lines: &[String; 6], backlight: bool, scale: usize) -> Picture {
    let view = PhoneView { model: "ST2030S".into(), lcd: lines.clone(), backlight, ..Default::default() };
    Picture::from_frame(&window::render(&view, &RenderOptions { scale, show_panel: true, ..Default::default() }))
}

/// How many pixels of the LCD text area differ between `got` (a picture of
/// the window, its top-left corner at the window's) and `want`.
pub fn lcd_diff(got: &Picture, want: &Picture, scale: usize) -> usize {
    let (x0, y0, w, h) = text_area(scale);
    assert!(got.width >= x0 + w && got.height >= y0 + h, "the picture ({}×{}) does not hold the LCD", got.width, got.height);
    let mut diff = 0;
    for y in y0..y0 + h {
        for x in x0..x0 + w {
            if got.pixels[y * got.width + x] != want.pixels[y * want.width + x] {
                diff += 1;
            }
        }
    }
    diff
}

/// Asserts the LCD area of `got` shows `lines` exactly, and that the
/// comparison can tell: the same lines with one changed do not match.
pub fn assert_lcd_shows(got: &Picture, lines: &[String; 6], backlight: bool, scale: usize, what: &str) {
    assert!(lines.iter().any(|l| !l.trim().is_empty()), "{what}: the LCD is blank, nothing to compare: {lines:?}");
    let diff = lcd_diff(got, &reference(lines, backlight, scale), scale);
    assert_eq!(diff, 0, "{what}: {diff} LCD pixels differ from the rendering of {lines:?}");
    let mut other = lines.clone();
    other[5] = "not on the phone".into();
    assert!(lcd_diff(got, &reference(&other, backlight, scale), scale) > 0, "{what}: the comparison cannot tell texts apart");
}
