//! Integration tests of the provisioning tools, through the `st20xx` binary:
//! `ser encrypt|decrypt`, `lint`, `flash inspect`, `notify`, and the default tree in
//! `assets/provisioning`.

// `ser`: files and directories round trip; the openssl vector; key and wrong-key errors.
mod ser;
// `lint`: the default tree passes once its images exist; each bad case names the right file:line.
mod lint;
// `flash inspect` on a flash saved by `st20xx run --flash`; wrong sizes refused.
mod flash;
// `notify`: a check-sync NOTIFY to a UDP peer; 2xx exits 0, 403 and timeouts exit 1.
mod notify;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn st20xx(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_st20xx")).args(args).output().expect("st20xx runs")
}

/// The whole of an output, for assertion messages.
pub fn text(o: &Output) -> String {
    format!("status {:?}\nstdout:\n{}\nstderr:\n{}", o.status, String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("st20xx-tools-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

/// Copies a directory tree.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if e.file_type().unwrap().is_dir() {
            copy_tree(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

pub const DEFAULT_KEY: &str = "Th0mson2$8s8@9z!";
