//! The served directory: maps a requested name to a file under the lab's
//! root, read-only.
//!
//! Names may use `/` or `\`, be absolute or relative; `.` and empty parts are
//! skipped. Guarantee: any `..` part is refused ([`Lookup::Denied`]), so no
//! name ever reaches outside the root.

use std::path::{Path, PathBuf};

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Lookup {
    Found(Vec<u8>),
    NotFound,
    Denied,
}

/// The path under `root` a request names, or `None` for an escape attempt.
pub(crate) fn resolve(root: &Path, name: &str) -> Option<PathBuf> {
    let mut p = root.to_path_buf();
    for part in name.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => return None,
            part => p.push(part),
        }
    }
    Some(p)
}

pub(crate) fn read(root: &Path, name: &str) -> Lookup {
    match resolve(root, name) {
        None => Lookup::Denied,
        Some(p) if p.is_file() => match std::fs::read(&p) {
            Ok(b) => Lookup::Found(b),
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Lookup::Denied,
            Err(_) => Lookup::NotFound,
        },
        Some(_) => Lookup::NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_under_the_root_only() {
        let r = Path::new("/srv");
        assert_eq!(resolve(r, "a/b.txt"), Some(PathBuf::from("/srv/a/b.txt")));
        assert_eq!(resolve(r, "\\a\\b.txt"), Some(PathBuf::from("/srv/a/b.txt")));
        assert_eq!(resolve(r, "/./a//b.txt"), Some(PathBuf::from("/srv/a/b.txt")));
        assert_eq!(resolve(r, "../etc/passwd"), None);
        assert_eq!(resolve(r, "a\\..\\..\\x"), None);
    }

    #[test]
    fn read_reports_missing_and_denied() {
        let d = std::env::temp_dir().join(format!("lan-files-{}", std::process::id()));
        std::fs::create_dir_all(d.join("sub")).unwrap();
        std::fs::write(d.join("sub/f.inf"), b"x=1\n").unwrap();
        assert_eq!(read(&d, "\\sub\\f.inf"), Lookup::Found(b"x=1\n".to_vec()));
        assert_eq!(read(&d, "sub/none"), Lookup::NotFound);
        assert_eq!(read(&d, "sub"), Lookup::NotFound);
        assert_eq!(read(&d, "sub/../../etc/passwd"), Lookup::Denied);
        std::fs::remove_dir_all(&d).unwrap();
    }
}
