//! Finds the `roms/` directory: `--roms DIR`, else `$ST20XX_ROMS`, else a
//! `roms/` with a manifest beside the executable or in one of its parent
//! folders (a source tree's `target/debug/st20xx` finds the tree's `roms/`),
//! else the `roms/` of the source tree this binary was built from.

use std::path::{Path, PathBuf};

pub fn roms_dir(arg: Option<&Path>) -> PathBuf {
    if let Some(a) = arg {
        return a.to_path_buf();
    }
    if let Some(env) = std::env::var_os("ST20XX_ROMS") {
        return PathBuf::from(env);
    }
    if let Ok(exe) = std::env::current_exe()
        && let Some(found) = exe.ancestors().skip(1).map(|d| d.join("roms")).find(|d| d.join(rom::MANIFEST).is_file()) {
            return found;
        }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("roms")
}
