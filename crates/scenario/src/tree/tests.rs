//! Served-tree tests on small hand-made trees.

use super::*;
use crate::netspec::Mutate;
use std::collections::BTreeMap;

/// A fresh directory with `files` (path → contents).
fn dir(name: &str, files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let d = tempfile::Builder::new().prefix(name).tempdir().unwrap();
    for (p, c) in files {
        let p = d.path().join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, c).unwrap();
    }
    d
}

fn net(base: &Path) -> Net {
    Net {
        base: Base::Dir(base.to_path_buf()),
        overlay: None,
        remove: vec![],
        lab_file: None,
        dhcp_options: vec![],
        dhcp_file: None,
        dhcp_siaddr: None,
        loss: 0.0,
        http_status: BTreeMap::new(),
        mutate: vec![],
    }
}

#[test]
fn base_overlay_remove_and_mutate_make_the_tree() {
    let base = dir("base", &[("ST2030S.inf", b"base inf"), ("melody/a.txt", b"aaa"), ("melody/b.txt", b"bbb"), ("fw.zz", &[0x00, 0x0f, 0xf0, 0x55])]);
    let overlay = dir("overlay", &[("ST2030S.inf", b"overlay inf"), ("extra/new.txt", b"new")]);
    let mut n = net(base.path());
    n.overlay = Some(overlay.path().to_path_buf());
    n.remove = vec!["melody/a.txt".into()];
    n.mutate = vec![Mutate { line: 9, path: "fw.zz".into(), flip: Some(1), truncate: Some(3) }];
    let s = materialize(&n).unwrap();
    let t = s.tree();
    assert_eq!(std::fs::read(t.join("ST2030S.inf")).unwrap(), b"overlay inf");
    assert_eq!(std::fs::read(t.join("extra/new.txt")).unwrap(), b"new");
    assert_eq!(std::fs::read(t.join("melody/b.txt")).unwrap(), b"bbb");
    assert!(!t.join("melody/a.txt").exists());
    assert_eq!(std::fs::read(t.join("fw.zz")).unwrap(), [0x00, 0xf0, 0xf0]);
    assert_eq!(std::fs::read(base.path().join("fw.zz")).unwrap(), [0x00, 0x0f, 0xf0, 0x55], "the base is never written");
    let tmp = s.tmp.path().to_path_buf();
    drop(s);
    assert!(!tmp.exists(), "the temporary directory is removed");
}

#[test]
fn the_lab_toml_takes_the_tree_s_own_file_then_the_scenario_s_settings() {
    let base = dir("base", &[("lab.toml", b"vlan = 7\n[dhcp]\noptions = { 66 = \"10.0.0.9\" }\n"), ("x.inf", b"x")]);
    let mut n = net(base.path());
    n.dhcp_options = vec!["66=10.0.0.1".into()];
    n.dhcp_file = Some("x.inf".into());
    n.http_status = BTreeMap::from([("/x.inf".to_string(), 500)]);
    let s = materialize(&n).unwrap();
    let cfg = lan::LabConfig::from_toml(&std::fs::read_to_string(s.lab_file()).unwrap()).unwrap();
    assert_eq!(cfg.vlan, 7);
    assert_eq!(cfg.dhcp.options["66"], "10.0.0.1");
    assert_eq!(cfg.dhcp.file.as_deref(), Some("x.inf"));
    assert_eq!(cfg.http.status["/x.inf"], 500);
    let mut net = s.phone_net(&n, crate::format::DEFAULT_MAC, 0).unwrap();
    assert!(net.lab_mut().is_some());
}

#[test]
fn bad_removals_and_mutations_are_named() {
    let base = dir("base", &[("a.txt", b"abc")]);
    let mut n = net(base.path());
    n.remove = vec!["b.txt".into()];
    assert_eq!(materialize(&n).unwrap_err().to_string(), "net.remove `b.txt`: not in the served tree");
    let mut n = net(base.path());
    n.mutate = vec![Mutate { line: 4, path: "a.txt".into(), flip: Some(3), truncate: None }];
    assert_eq!(materialize(&n).unwrap_err().to_string(), "net.mutate (line 4) `a.txt`: flip offset 3 is past the end (3 bytes)");
    n.mutate = vec![Mutate { line: 4, path: "a.txt".into(), flip: None, truncate: Some(3) }];
    assert!(materialize(&n).unwrap_err().to_string().contains("keeps the whole file"));
    n.mutate = vec![Mutate { line: 5, path: "nope".into(), flip: Some(0), truncate: None }];
    assert!(materialize(&n).unwrap_err().to_string().starts_with("net.mutate (line 5) `nope`: not a file of the served tree"));
    let mut n = net(base.path());
    n.base = Base::Dir(base.path().join("gone"));
    assert!(materialize(&n).unwrap_err().to_string().starts_with("cannot build the served tree: "));
}

#[test]
fn the_demo_tree_is_the_repository_s() {
    assert!(demo_dir().join("ST2030S.inf").is_file());
}
