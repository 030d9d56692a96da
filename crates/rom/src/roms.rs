//! The `roms/` directory: the boot ROM, one firmware image per model, and
//! `manifest.toml` naming them (written by `cargo xtask roms`):
//!
//! ```toml
//! boot = "boot.bin"
//!
//! [firmware]
//! ST2030S = "v2030SG.261127.2.74.zz"
//! ```
//!
//! Guarantees: `Roms::firmware` returns only an image whose header and
//! payload CRC check and whose header names the model asked for.

use crate::{RomError, inspect};
use board::image::Kind;
use board::map::BOOT_ROM;
use board::model::Model;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The manifest's file name inside `roms/`.
pub const MANIFEST: &str = "manifest.toml";

/// What `manifest.toml` says: file names relative to the directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub boot: String,
    /// Model name (`ST2030S`) → image file name.
    pub firmware: BTreeMap<String, String>,
}

impl Manifest {
    pub fn parse(text: &str) -> Result<Manifest, String> {
        let m: Manifest = toml::from_str(text).map_err(|e| e.to_string())?;
        for (model, file) in m.firmware.iter().chain([(&"boot".to_string(), &m.boot)]) {
            if file.is_empty() || file.contains(['/', '\\']) || file.starts_with('.') {
                return Err(format!("{model}: {file:?} is not a plain file name"));
            }
        }
        if let Some(bad) = m.firmware.keys().find(|k| Model::parse(k).is_none()) {
            return Err(format!("unknown model {bad:?}"));
        }
        Ok(m)
    }

    pub fn to_toml(&self) -> String {
        let mut s = String::from("# Written by `cargo xtask roms`; read by `rom::Roms`.\n");
        s.push_str(&toml::to_string(self).expect("a manifest always serialises"));
        s
    }
}

/// An opened `roms/` directory.
#[derive(Clone, Debug)]
pub struct Roms {
    dir: PathBuf,
    manifest: Manifest,
}

impl Roms {
    /// Reads `dir/manifest.toml`.
    pub fn open(dir: &Path) -> Result<Roms, RomError> {
        let path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&path).map_err(|source| RomError::Io { path: path.clone(), source })?;
        let manifest = Manifest::parse(&text).map_err(|msg| RomError::Manifest { path, msg })?;
        Ok(Roms { dir: dir.to_path_buf(), manifest })
    }

    /// The `roms/` directory of this source tree.
    pub fn workspace_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../roms")
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The boot ROM, a flat binary for address 0.
    pub fn boot_rom(&self) -> Result<Vec<u8>, RomError> {
        let path = self.dir.join(&self.manifest.boot);
        let rom = read(&path)?;
        if rom.len() > BOOT_ROM.len as usize || rom.len() < 8 {
            let msg = format!("a boot ROM is 8..={} bytes, this one is {}", BOOT_ROM.len, rom.len());
            return Err(RomError::WrongImage { path, msg });
        }
        Ok(rom)
    }

    /// The application image (`.zz`) for `model`, checked.
    pub fn firmware(&self, model: Model) -> Result<Vec<u8>, RomError> {
        let name = model.to_string();
        let file = self.manifest.firmware.get(&name).ok_or_else(|| RomError::Manifest {
            path: self.dir.join(MANIFEST),
            msg: format!("no firmware listed for {name}"),
        })?;
        let path = self.dir.join(file);
        let image = read(&path)?;
        let h = inspect(&image).map_err(|e| RomError::WrongImage { path: path.clone(), msg: e.to_string() })?;
        if h.kind != Kind::App || h.hardware != model.hardware || h.protocol != model.protocol {
            let msg = format!("header says {} {}{}, expected an app image for {name}", h.kind.name(), h.hardware.name(), h.protocol.letter() as char);
            return Err(RomError::WrongImage { path, msg });
        }
        Ok(image)
    }
}

fn read(path: &Path) -> Result<Vec<u8>, RomError> {
    std::fs::read(path).map_err(|source| RomError::Io { path: path.to_path_buf(), source })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Version, pack};

    fn tmpdir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("rom-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn manifest_roundtrip_and_checks() {
        let text = "boot = \"boot.bin\"\n\n[firmware]\nST2030S = \"v2030SG.261127.2.74.zz\"\n";
        let m = Manifest::parse(text).unwrap();
        assert_eq!(m.firmware["ST2030S"], "v2030SG.261127.2.74.zz");
        assert_eq!(Manifest::parse(&m.to_toml()).unwrap(), m);
        assert!(m.to_toml().ends_with(text));
        assert!(Manifest::parse("boot = \"../x\"\n[firmware]\n").is_err());
        assert!(Manifest::parse("boot = \"b\"\n[firmware]\nST9999S = \"f\"\n").is_err());
        assert!(Manifest::parse("boot = \"b\"\n").is_err());
    }

    #[test]
    fn opens_a_directory_and_checks_models() {
        let d = tmpdir("open");
        let s = Model::parse("ST2030S").unwrap();
        let m = Model::parse("ST2030M").unwrap();
        let img = pack(Kind::App, s, Version { major: 2, minor: 74, patch: 0 }, *b"261127", b"payload");
        std::fs::write(d.join("a.zz"), &img).unwrap();
        std::fs::write(d.join("boot.bin"), [0u8; 64]).unwrap();
        let manifest = "boot = \"boot.bin\"\n[firmware]\nST2030S = \"a.zz\"\nST2030M = \"a.zz\"\n";
        std::fs::write(d.join(MANIFEST), manifest).unwrap();
        let roms = Roms::open(&d).unwrap();
        assert_eq!(roms.firmware(s).unwrap(), img);
        assert!(matches!(roms.firmware(m), Err(RomError::WrongImage { .. })));
        assert!(matches!(roms.firmware(Model::parse("ST2022S").unwrap()), Err(RomError::Manifest { .. })));
        assert_eq!(roms.boot_rom().unwrap().len(), 64);
        assert!(matches!(Roms::open(&d.join("missing")), Err(RomError::Io { .. })));
        std::fs::remove_dir_all(&d).unwrap();
    }
}
