//! Frames to PNG files (8-bit RGB), for screenshots, docs and CI artefacts.
//!
//! Guarantees: the PNG decodes to exactly the frame's pixels.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use thiserror::Error;

use crate::frame::Frame;

#[derive(Debug, Error)]
pub enum SnapshotError {
    #[error("writing {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("encoding PNG: {0}")]
    Png(#[from] png::EncodingError),
    #[error("empty frame ({0}×{1})")]
    Empty(usize, usize),
}

/// Writes `frame` as a PNG to `w`.
pub fn write_png<W: Write>(frame: &Frame, w: W) -> Result<(), SnapshotError> {
    if frame.width == 0 || frame.height == 0 {
        return Err(SnapshotError::Empty(frame.width, frame.height));
    }
    let (Ok(width), Ok(height)) = (u32::try_from(frame.width), u32::try_from(frame.height)) else {
        return Err(SnapshotError::Empty(frame.width, frame.height));
    };
    let mut enc = png::Encoder::new(w, width, height);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header()?;
    let data: Vec<u8> = frame.pixels.iter().flat_map(|p| [(p >> 16) as u8, (p >> 8) as u8, *p as u8]).collect();
    writer.write_image_data(&data)?;
    writer.finish()?;
    Ok(())
}

/// Writes `frame` as a PNG file at `path`.
pub fn save_png(frame: &Frame, path: impl AsRef<Path>) -> Result<(), SnapshotError> {
    let path = path.as_ref();
    let io = |source| SnapshotError::Io { path: path.display().to_string(), source };
    let file = File::create(path).map_err(io)?;
    let mut out = BufWriter::new(file);
    write_png(frame, &mut out)?;
    out.flush().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_round_trips_the_pixels() {
        let mut f = Frame::new(3, 2, 0x123456);
        f.set(2, 1, 0xFF00AA);
        let dir = std::env::temp_dir().join(format!("window-snap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.png");
        save_png(&f, &path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (3, 2));
        assert_eq!(&buf[..3], &[0x12, 0x34, 0x56]);
        assert_eq!(&buf[15..18], &[0xFF, 0x00, 0xAA]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_targets_are_errors() {
        assert!(matches!(write_png(&Frame::new(0, 5, 0), Vec::new()), Err(SnapshotError::Empty(0, 5))));
        let e = save_png(&Frame::new(1, 1, 0), "/nonexistent-dir/x.png").unwrap_err();
        assert!(e.to_string().contains("/nonexistent-dir/x.png"));
    }
}
