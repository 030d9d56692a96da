//! Building and reading the phone's ROM artefacts on the host: firmware
//! images (`.zz`: header + payload), flat payloads cut from ELF files, the
//! factory flash image, and the `roms/` directory with its manifest.
//!
//! Used by `cargo xtask roms` (which builds `roms/`), by the emulator's tests
//! and by the `st20xx` CLI (`fw pack`, `fw inspect`).
//!
//! Guarantees: every reader here returns a `RomError` on bad input and never
//! panics; `pack` output always passes `inspect`.

mod elf;
mod error;
mod flash;
mod image;
mod roms;

pub use elf::elf_to_payload;
pub use error::RomError;
pub use flash::{factory_flash, try_factory_flash};
pub use image::{file_name, inspect, pack};
pub use roms::{MANIFEST, Manifest, Roms};

pub use board::image::{Header, Kind, Version};
pub use board::model::{Hardware, Model, Protocol};
