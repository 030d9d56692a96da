//! `cargo xtask roms [--out DIR]`: rebuilds the boot ROM and the firmware
//! images from source, byte for byte, into `roms/` (or `DIR`):
//!
//! - `boot.bin`: the boot ROM, a flat binary for address 0;
//! - one `.zz` per model (`rom::file_name`, e.g. `v2030SG.261127.2.74.zz`):
//!   the same firmware payload under four headers;
//! - `manifest.toml` (model → file, read by `rom::Roms`) and `SHA256SUMS`.
//!
//! Reproducible: the crates are members of the root workspace (so cargo's
//! build metadata does not depend on the checkout path), `--remap-path-prefix`
//! for the workspace, cargo home and rustup home, one codegen unit, `--locked`, and the version and build date
//! from `[package.metadata.st20xx]` in `crates/firmware/Cargo.toml`, never
//! the clock. Only the ELF's loadable bytes go into the images. Files left
//! in the directory from an older version are removed.

use crate::{root, run_cmd};
use board::image::{HEADER_LEN, Kind, Version};
use board::map::{BOOT_ROM, BOOT_WINDOW};
use board::model::Model;
use rom::{MANIFEST, Manifest};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "thumbv7em-none-eabi";
/// The root Cargo.toml's profile for the bare-metal images.
const PROFILE: &str = "firmware";
const BOOT_FILE: &str = "boot.bin";
const SUMS_FILE: &str = "SHA256SUMS";
/// The default provisioning tree the demo serves.
const DEMO_TREE: &str = "assets/provisioning";

pub fn run(args: &[String]) -> Result<(), String> {
    let root = root();
    let out = match args {
        [] => root.join("roms"),
        [flag, dir] if flag == "--out" => PathBuf::from(dir),
        _ => return Err("usage: cargo xtask roms [--out DIR]".into()),
    };
    let target_dir = root.join("target").join("thumb");
    let boot_elf = build(&root, "bootloader", &target_dir)?;
    let fw_elf = build(&root, "firmware", &target_dir)?;

    let boot = rom::elf_to_payload(&read(&boot_elf)?, BOOT_ROM.base).map_err(|e| format!("{}: {e}", boot_elf.display()))?;
    if boot.len() > BOOT_ROM.len as usize {
        return Err(format!("the boot ROM is {} bytes, more than {}", boot.len(), BOOT_ROM.len));
    }
    let payload = rom::elf_to_payload(&read(&fw_elf)?, BOOT_WINDOW.base + HEADER_LEN as u32).map_err(|e| format!("{}: {e}", fw_elf.display()))?;
    let (version, date) = firmware_metadata(&root.join("crates/firmware/Cargo.toml"))?;

    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut firmware = BTreeMap::new();
    files.insert(BOOT_FILE.into(), boot);
    for model in Model::ALL {
        let name = rom::file_name(model, version, date);
        files.insert(name.clone(), rom::pack(Kind::App, model, version, date, &payload));
        firmware.insert(model.to_string(), name);
    }
    let manifest = Manifest { boot: BOOT_FILE.into(), firmware };
    files.insert(MANIFEST.into(), manifest.to_toml().into_bytes());
    let sums: String = files.iter().map(|(name, data)| format!("{:x}  {name}\n", Sha256::digest(data))).collect();
    files.insert(SUMS_FILE.into(), sums.into_bytes());

    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    remove_stale(&out, &files)?;
    for (name, data) in &files {
        let path = out.join(name);
        if std::fs::read(&path).ok().as_deref() != Some(&data[..]) {
            std::fs::write(&path, data).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    if args.is_empty() {
        write_demo_upgrade(&root.join(DEMO_TREE), &payload, version, date)?;
    }
    eprintln!(
        "xtask: roms: boot ROM {} bytes, firmware payload {} bytes, v{}.{}.{} built {} -> {}",
        files[BOOT_FILE].len(),
        payload.len(),
        version.major,
        version.minor,
        version.patch,
        String::from_utf8_lossy(&date),
        out.display()
    );
    Ok(())
}

/// Builds one of the bare-metal crates; returns its ELF.
fn build(root: &Path, krate: &str, target_dir: &Path) -> Result<PathBuf, String> {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    let cargo_home = std::env::var_os("CARGO_HOME").map(PathBuf::from).unwrap_or_else(|| home.join(".cargo"));
    let rustup_home = std::env::var_os("RUSTUP_HOME").map(PathBuf::from).unwrap_or_else(|| home.join(".rustup"));
    let flags = [
        format!("--remap-path-prefix={}=/cargo", cargo_home.display()),
        format!("--remap-path-prefix={}=/rustup", rustup_home.display()),
        format!("--remap-path-prefix={}=/st20xx", root.display()),
        "-Ccodegen-units=1".to_string(),
    ]
    .join("\x1f");
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root)
        .args(["build", "--package", krate, "--features", "image", "--profile", PROFILE, "--locked", "--target", TARGET, "--target-dir"])
        .arg(target_dir)
        .env("CARGO_ENCODED_RUSTFLAGS", flags)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env_remove("SOURCE_DATE_EPOCH");
    run_cmd(&mut cmd)?;
    Ok(target_dir.join(TARGET).join(PROFILE).join(krate))
}

/// `[package.metadata.st20xx] version = "2.74.0"`, `build-date = "261127"`.
fn firmware_metadata(manifest: &Path) -> Result<(Version, [u8; 6]), String> {
    let text = std::fs::read_to_string(manifest).map_err(|e| format!("{}: {e}", manifest.display()))?;
    let doc: toml::Table = text.parse().map_err(|e| format!("{}: {e}", manifest.display()))?;
    let meta = doc
        .get("package")
        .and_then(|p| p.get("metadata"))
        .and_then(|m| m.get("st20xx"))
        .ok_or_else(|| format!("{}: no [package.metadata.st20xx]", manifest.display()))?;
    let field = |k: &str| meta.get(k).and_then(|v| v.as_str()).ok_or_else(|| format!("{}: st20xx metadata needs `{k}`", manifest.display()));
    let version = parse_version(field("version")?).ok_or_else(|| format!("{}: version must be major.minor.patch (0..255 each)", manifest.display()))?;
    let date = field("build-date")?;
    let date: [u8; 6] = date
        .as_bytes()
        .try_into()
        .ok()
        .filter(|d: &[u8; 6]| d.iter().all(u8::is_ascii_digit))
        .ok_or_else(|| format!("{}: build-date must be YYMMDD", manifest.display()))?;
    Ok((version, date))
}

fn parse_version(s: &str) -> Option<Version> {
    let mut it = s.split('.').map(|p| p.parse::<u8>().ok());
    let v = Version { major: it.next()??, minor: it.next()??, patch: it.next()?? };
    it.next().is_none().then_some(v)
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes the demo tree's newer firmware for every model: the same payload
/// under the next minor version (2.74 → 2.75), as a real vendor release of
/// the same code would be, so `st20xx run` shows a firmware upgrade.
fn write_demo_upgrade(tree: &Path, payload: &[u8], running: Version, date: [u8; 6]) -> Result<(), String> {
    let next = Version { minor: running.minor.checked_add(1).ok_or("the firmware minor version is 255")?, ..running };
    let images: BTreeMap<String, Vec<u8>> = Model::ALL.iter().map(|&m| (rom::file_name(m, next, date), rom::pack(Kind::App, m, next, date, payload))).collect();
    std::fs::create_dir_all(tree).map_err(|e| format!("{}: {e}", tree.display()))?;
    remove_stale(tree, &images)?;
    for (name, data) in &images {
        let path = tree.join(name);
        if std::fs::read(&path).ok().as_deref() != Some(&data[..]) {
            std::fs::write(&path, data).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(())
}

/// Removes ROM files of the directory that this build does not produce.
fn remove_stale(out: &Path, keep: &BTreeMap<String, Vec<u8>>) -> Result<(), String> {
    let entries = std::fs::read_dir(out).map_err(|e| format!("{}: {e}", out.display()))?;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if (name.ends_with(".zz") || name.ends_with(".bin")) && !keep.contains_key(&name) {
            let path = e.path();
            std::fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            eprintln!("xtask: roms: removed stale {name}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(parse_version("2.74.0"), Some(Version { major: 2, minor: 74, patch: 0 }));
        assert_eq!(parse_version("2.74"), None);
        assert_eq!(parse_version("2.74.0.1"), None);
        assert_eq!(parse_version("2.300.0"), None);
    }

    #[test]
    fn metadata_of_the_firmware_crate() {
        let (v, d) = firmware_metadata(&root().join("crates/firmware/Cargo.toml")).unwrap();
        assert!(v.major > 0);
        assert!(d.iter().all(u8::is_ascii_digit));
    }
}
