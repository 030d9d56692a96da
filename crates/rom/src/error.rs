//! The one error type of the crate.

use board::image::ImageError;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum RomError {
    #[error("bad image: {0:?}")]
    Image(ImageError),
    #[error("bad ELF file: {0}")]
    Elf(String),
    #[error("ELF segment at {addr:#010x} (+{len:#x}) lies outside {base:#010x}..{end:#010x}")]
    SegmentOutOfRange { addr: u32, len: u32, base: u32, end: u64 },
    #[error("ELF segments overlap at {0:#010x}")]
    SegmentsOverlap(u32),
    #[error("image of {len} bytes does not fit a firmware slot ({max} bytes)")]
    TooLarge { len: usize, max: usize },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: bad manifest: {msg}")]
    Manifest { path: PathBuf, msg: String },
    #[error("{path}: {msg}")]
    WrongImage { path: PathBuf, msg: String },
}

impl From<ImageError> for RomError {
    fn from(e: ImageError) -> Self {
        RomError::Image(e)
    }
}
