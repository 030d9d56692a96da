//! The directory a scenario's lab serves, built in a temporary directory:
//! the base tree copied, the overlay copied over it, removals taken out,
//! files damaged as `mutate` says; beside it (outside the served tree) the
//! lab's TOML: the chosen lab file with the scenario's DHCP options and HTTP
//! statuses on top.
//!
//! Guarantees: the scenario's own files are never written; the temporary
//! directory is removed when the `Served` value is dropped; a path that is
//! not in the tree (to remove or damage) or an offset past a file's end is
//! an error naming it.

use crate::netspec::{Base, Net};
use site::{LabOptions, NetSpec, PhoneNet};
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum TreeError {
    #[error("cannot build the served tree: {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("net.remove `{0}`: not in the served tree")]
    RemoveMissing(String),
    #[error("net.mutate (line {line}) `{path}`: {msg}")]
    Mutate { line: usize, path: String, msg: String },
    #[error("the lab: {0}")]
    Lab(#[from] site::SiteError),
    #[error("cannot write the lab's TOML: {0}")]
    LabToml(#[from] toml::ser::Error),
}

/// The repository's demo provisioning tree (`base = "demo"`).
pub fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/provisioning")
}

/// A served tree in its temporary directory.
#[derive(Debug)]
pub struct Served {
    tmp: tempfile::TempDir,
}

impl Served {
    /// The served directory.
    pub fn tree(&self) -> PathBuf {
        self.tmp.path().join("tree")
    }

    /// The lab's TOML file, beside the tree.
    pub fn lab_file(&self) -> PathBuf {
        self.tmp.path().join("lab.toml")
    }

    /// The phone's network: the lab serving the tree with its TOML. `seed`
    /// drives the loss stream.
    pub fn phone_net(&self, net: &Net, mac: [u8; 6], seed: u64) -> Result<PhoneNet, TreeError> {
        let opts = LabOptions { lab_file: Some(self.lab_file()), loss: Some(net.loss), seed, ..Default::default() };
        Ok(PhoneNet::build(&NetSpec::Lab { dir: Some(self.tree()) }, &opts, mac, self.tmp.path())?)
    }
}

/// Builds the served tree and the lab's TOML for `net`.
pub fn materialize(net: &Net) -> Result<Served, TreeError> {
    let tmp = tempfile::Builder::new().prefix("st20xx-scenario-").tempdir().map_err(|source| TreeError::Io { path: std::env::temp_dir(), source })?;
    let served = Served { tmp };
    let tree = served.tree();
    let base = match &net.base {
        Base::Demo => demo_dir(),
        Base::Dir(d) => d.clone(),
    };
    copy_dir(&base, &tree)?;
    if let Some(o) = &net.overlay {
        copy_dir(o, &tree)?;
    }
    for r in &net.remove {
        let p = tree.join(r);
        let res = match std::fs::symlink_metadata(&p) {
            Err(_) => return Err(TreeError::RemoveMissing(r.clone())),
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(&p),
            Ok(_) => std::fs::remove_file(&p),
        };
        res.map_err(|source| TreeError::Io { path: p, source })?;
    }
    for m in &net.mutate {
        let p = tree.join(&m.path);
        let err = |msg: String| TreeError::Mutate { line: m.line, path: m.path.clone(), msg };
        let mut bytes = std::fs::read(&p).map_err(|e| err(format!("not a file of the served tree ({e})")))?;
        let len = bytes.len() as u64;
        if let Some(at) = m.flip {
            let b = bytes.get_mut(at as usize).filter(|_| at < len).ok_or_else(|| err(format!("flip offset {at} is past the end ({len} bytes)")))?;
            *b = !*b;
        }
        if let Some(n) = m.truncate {
            if n >= len {
                return Err(err(format!("truncate to {n} bytes keeps the whole file ({len} bytes)")));
            }
            bytes.truncate(n as usize);
        }
        std::fs::write(&p, bytes).map_err(|source| TreeError::Io { path: p.clone(), source })?;
    }
    let opts = LabOptions { lab_file: net.lab_file.clone(), dhcp_options: net.dhcp_options.clone(), dhcp_file: net.dhcp_file.clone(), dhcp_siaddr: net.dhcp_siaddr, ..Default::default() };
    let mut cfg = opts.lab_config_in(&tree)?;
    cfg.http.status.extend(net.http_status.iter().map(|(k, v)| (k.clone(), *v)));
    let lab = served.lab_file();
    std::fs::write(&lab, toml::to_string(&cfg)?).map_err(|source| TreeError::Io { path: lab, source })?;
    Ok(served)
}

/// Copies `from` into `to` recursively (following links), replacing files.
/// Hand-rolled: a dozen lines, where a crate would add a dependency for one call.
fn copy_dir(from: &Path, to: &Path) -> Result<(), TreeError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| TreeError::Io { path, source }
    };
    std::fs::create_dir_all(to).map_err(io(to))?;
    for e in std::fs::read_dir(from).map_err(io(from))? {
        let src = e.map_err(io(from))?.path();
        let dst = to.join(src.file_name().expect("read_dir entries have names"));
        if std::fs::metadata(&src).map_err(io(&src))?.is_dir() {
            copy_dir(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst).map_err(io(&src))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
