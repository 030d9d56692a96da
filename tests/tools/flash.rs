//! `st20xx flash inspect` on a flash the phone itself wrote.

use super::{scratch, st20xx, stderr, stdout, text};

#[test]
fn inspects_a_flash_saved_by_run() {
    let d = scratch("flash-run");
    let flash = d.join("phone.bin");
    let f = flash.to_str().unwrap();
    let o = st20xx(&["run", "--clock", "virtual", "--for", "5s", "--net", "none", "--flash", f]);
    assert!(o.status.success(), "{}", text(&o));
    let o = st20xx(&["flash", "inspect", f]);
    assert!(o.status.success(), "{}", text(&o));
    let out = stdout(&o);
    let line = |prefix: &str| out.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no `{prefix}` line in:\n{out}")).to_string();
    let a = line("slot A   ");
    assert!(a.starts_with("slot A   app ST2030S v") && a.ends_with(", commit seq 1: valid (boots)"), "{a}");
    assert_eq!(line("slot B   "), "slot B   erased");
    // The firmware wrote its factory defaults at first boot.
    assert!(line("config   ").starts_with("config   generation "), "{out}");
    assert!(out.contains("\n  autoprovision.Decryption_Key=Th0mson2$8s8@9z!\n"), "{out}");
    assert_eq!(line("config_sn "), "config_sn (empty)");
    assert!(line("state    ").starts_with("state    no provisioning state"), "{out}");
    assert_eq!(line("files    "), "files    erased (80 sectors)");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn wrong_sizes_and_missing_files_are_clear_errors() {
    let d = scratch("flash-bad");
    let small = d.join("small.bin");
    std::fs::write(&small, vec![0xFF; 1000]).unwrap();
    let o = st20xx(&["flash", "inspect", small.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains(&format!("{} is not a flash image: 1000 bytes: a flash image is exactly 8388608 bytes (8 MiB)", small.display())), "{}", text(&o));
    let o = st20xx(&["flash", "inspect", d.join("none.bin").to_str().unwrap()]);
    assert!(!o.status.success() && stderr(&o).contains("cannot read"), "{}", text(&o));
    std::fs::remove_dir_all(&d).unwrap();
}
