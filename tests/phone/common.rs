//! Shared helpers: the repository's `roms/` and `scenarios/`, scenario text runs.

use rom::Roms;
use scenario::{Report, Scenario};
use std::path::{Path, PathBuf};

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The repository's ROMs; a clear failure when they are not built.
pub fn roms() -> Roms {
    let dir = root().join("roms");
    Roms::open(&dir).unwrap_or_else(|e| panic!("cannot open {}: {e} (build the images with `cargo xtask roms`)", dir.display()))
}

pub fn scenario_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .expect("scenarios/ exists")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

/// Parses scenario text (named `name` in messages).
pub fn parse(name: &str, text: &str) -> Scenario {
    scenario::parse::parse(text, Path::new(name)).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs and fails the test with the report's summary unless it passed.
pub fn assert_passes(r: &Report) {
    assert!(r.passed(), "{}", r.summary());
}

/// A scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("st20xx-it-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}
