//! A frame of pixels (`u32` 0RGB, row-major, as minifb takes them) and the
//! few drawing primitives the faceplate needs.
//!
//! Guarantees: every primitive clips to the frame, so drawing anywhere (even
//! at negative or huge coordinates) never panics.

use serde::Deserialize;

/// A rectangle in pixels: top-left corner and size.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub w: i32,
    pub h: i32,
}

impl Rect {
    pub fn contains(&self, x: i32, y: i32) -> bool {
        x >= self.x && y >= self.y && x < self.x + self.w && y < self.y + self.h
    }
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }
    pub fn center(&self) -> (i32, i32) {
        (self.x + self.w / 2, self.y + self.h / 2)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u32>,
}

/// Packs a colour as 0RGB.
pub const fn rgb(r: u8, g: u8, b: u8) -> u32 {
    ((r as u32) << 16) | ((g as u32) << 8) | b as u32
}

/// Mixes `a` towards `b` by `t`/255 per channel.
pub fn mix(a: u32, b: u32, t: u8) -> u32 {
    let ch = |s: u32| {
        let (x, y) = ((a >> s) & 0xFF, (b >> s) & 0xFF);
        ((x * (255 - t as u32) + y * t as u32) / 255) << s
    };
    ch(16) | ch(8) | ch(0)
}

impl Frame {
    pub fn new(width: usize, height: usize, fill: u32) -> Frame {
        Frame { width, height, pixels: vec![fill; width * height] }
    }

    pub fn get(&self, x: usize, y: usize) -> Option<u32> {
        (x < self.width && y < self.height).then(|| self.pixels[y * self.width + x])
    }

    pub fn set(&mut self, x: i32, y: i32, c: u32) {
        if x >= 0 && y >= 0 && (x as usize) < self.width && (y as usize) < self.height {
            self.pixels[y as usize * self.width + x as usize] = c;
        }
    }

    /// Clips a rectangle to the frame: (x0, y0, x1, y1), exclusive ends.
    fn clip(&self, x: i32, y: i32, w: i32, h: i32) -> (usize, usize, usize, usize) {
        let c = |v: i64, max: usize| v.clamp(0, max as i64) as usize;
        let (x, y, w, h) = (x as i64, y as i64, w.max(0) as i64, h.max(0) as i64);
        (c(x, self.width), c(y, self.height), c(x + w, self.width), c(y + h, self.height))
    }

    pub fn fill_rect(&mut self, x: i32, y: i32, w: i32, h: i32, c: u32) {
        let (x0, y0, x1, y1) = self.clip(x, y, w, h);
        for row in y0..y1 {
            self.pixels[row * self.width + x0..row * self.width + x1].fill(c);
        }
    }

    /// Blends `c` over a rectangle with opacity `alpha`/255.
    pub fn shade_rect(&mut self, x: i32, y: i32, w: i32, h: i32, c: u32, alpha: u8) {
        let (x0, y0, x1, y1) = self.clip(x, y, w, h);
        for row in y0..y1 {
            for p in &mut self.pixels[row * self.width + x0..row * self.width + x1] {
                *p = mix(*p, c, alpha);
            }
        }
    }

    pub fn outline_rect(&mut self, x: i32, y: i32, w: i32, h: i32, c: u32) {
        self.fill_rect(x, y, w, 1, c);
        self.fill_rect(x, y + h - 1, w, 1, c);
        self.fill_rect(x, y, 1, h, c);
        self.fill_rect(x + w - 1, y, 1, h, c);
    }

    /// A rectangle with corners of radius `r` cut round.
    pub fn fill_round_rect(&mut self, x: i32, y: i32, w: i32, h: i32, r: i32, c: u32) {
        let r = r.clamp(0, w.min(h) / 2);
        for dy in 0..h {
            // Horizontal inset of this row from the corner circles.
            let inset = corner_inset(r, dy.min(h - 1 - dy));
            self.fill_rect(x + inset, y + dy, w - 2 * inset, 1, c);
        }
    }

    pub fn fill_circle(&mut self, cx: i32, cy: i32, r: i32, c: u32) {
        for dy in -r..=r {
            let half = ((r * r - dy * dy) as f32).sqrt().round() as i32;
            self.fill_rect(cx - half, cy + dy, 2 * half + 1, 1, c);
        }
    }

    /// A vertical gradient from `top` to `bottom` over a rounded rectangle.
    pub fn gradient_round_rect(&mut self, rect: Rect, r: i32, top: u32, bottom: u32) {
        let Rect { x, y, w, h } = rect;
        let r = r.clamp(0, w.min(h) / 2);
        for dy in 0..h {
            let inset = corner_inset(r, dy.min(h - 1 - dy));
            let t = (dy * 255 / h.max(1)) as u8;
            self.fill_rect(x + inset, y + dy, w - 2 * inset, 1, mix(top, bottom, t));
        }
    }

    /// Copies `src` with its top-left corner at (`x`, `y`), clipped.
    pub fn blit(&mut self, src: &Frame, x: i32, y: i32) {
        for sy in 0..src.height {
            for sx in 0..src.width {
                self.set(x + sx as i32, y + sy as i32, src.pixels[sy * src.width + sx]);
            }
        }
    }

    /// The sub-frame at (`x`, `y`) of size `w`×`h`, clipped to this frame.
    pub fn crop(&self, x: usize, y: usize, w: usize, h: usize) -> Frame {
        let (x0, y0, x1, y1) = self.clip(x as i32, y as i32, w as i32, h as i32);
        let mut out = Frame::new(x1 - x0, y1 - y0, 0);
        for row in y0..y1 {
            let dst = (row - y0) * out.width;
            out.pixels[dst..dst + out.width].copy_from_slice(&self.pixels[row * self.width + x0..row * self.width + x1]);
        }
        out
    }

    /// Nearest-neighbour upscale by an integer factor (1 returns a copy).
    pub fn scaled(&self, n: usize) -> Frame {
        let n = n.max(1);
        if n == 1 {
            return self.clone();
        }
        let w = self.width * n;
        let mut out = Frame::new(w, self.height * n, 0);
        for y in 0..self.height {
            let src = &self.pixels[y * self.width..(y + 1) * self.width];
            let row0 = y * n * w;
            for (x, &p) in src.iter().enumerate() {
                out.pixels[row0 + x * n..row0 + x * n + n].fill(p);
            }
            for k in 1..n {
                out.pixels.copy_within(row0..row0 + w, row0 + k * w);
            }
        }
        out
    }
}

/// How far row `k` (0 = the outermost) of a corner of radius `r` is inset;
/// rows past the corner are not.
fn corner_inset(r: i32, k: i32) -> i32 {
    if k >= r {
        return 0;
    }
    let d = (r - k) as f32 - 0.5;
    r - ((r * r) as f32 - d * d).max(0.0).sqrt().round() as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_clips_instead_of_panicking() {
        let mut f = Frame::new(4, 3, 0);
        f.fill_rect(-2, -2, 4, 4, 7);
        f.fill_rect(3, 2, 100, 100, 9);
        f.fill_rect(i32::MAX - 1, i32::MIN, i32::MAX, 5, 1);
        assert_eq!(f.pixels, vec![7, 7, 0, 0, 7, 7, 0, 0, 0, 0, 0, 9]);
    }

    #[test]
    fn scaled_repeats_each_pixel() {
        let f = Frame { width: 2, height: 1, pixels: vec![1, 2] };
        let s = f.scaled(3);
        assert_eq!((s.width, s.height), (6, 3));
        assert_eq!(&s.pixels[..6], &[1, 1, 1, 2, 2, 2]);
        assert_eq!(&s.pixels[12..], &[1, 1, 1, 2, 2, 2]);
        assert_eq!(f.scaled(0), f);
    }

    #[test]
    fn crop_and_blit_round_trip() {
        let mut f = Frame::new(5, 5, 0);
        f.fill_rect(1, 1, 2, 2, 5);
        let c = f.crop(1, 1, 2, 2);
        assert_eq!(c.pixels, vec![5; 4]);
        let mut g = Frame::new(5, 5, 0);
        g.blit(&c, 1, 1);
        assert_eq!(g, f);
        assert_eq!(f.crop(4, 4, 10, 10).pixels, vec![0]);
    }

    #[test]
    fn round_rect_cuts_corners_and_mix_blends() {
        let mut f = Frame::new(20, 20, 0);
        f.fill_round_rect(0, 0, 20, 20, 6, 1);
        assert_eq!(f.get(0, 0), Some(0));
        assert_eq!(f.get(10, 0), Some(1));
        assert_eq!(f.get(0, 10), Some(1));
        assert_eq!(f.get(19, 19), Some(0));
        assert_eq!(mix(rgb(0, 0, 0), rgb(255, 255, 255), 255), 0xFFFFFF);
        assert_eq!(mix(rgb(200, 100, 0), rgb(0, 100, 200), 0), rgb(200, 100, 0));
    }
}
