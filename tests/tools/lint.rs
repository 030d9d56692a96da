//! `st20xx lint DIR` on the default tree and on bad copies of it: every bad
//! case is reported at the right `file:line` and fails the exit status.

use super::{copy_tree, root, scratch, st20xx, stderr, stdout, text};
use std::path::{Path, PathBuf};
use std::process::Output;

const IMAGES: [(&str, &str); 4] = [
    ("ST2030S", "v2030SG.261127.2.75.zz"),
    ("ST2030M", "v2030MG.261127.2.75.zz"),
    ("ST2022S", "v2022SG.261127.2.75.zz"),
    ("ST2022M", "v2022MG.261127.2.75.zz"),
];

fn lint(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["lint", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    st20xx(&args)
}

/// A copy of the default tree with the 2.75 images the INFs name (made with
/// `fw pack`, as `cargo xtask roms` would make them).
fn good_tree(name: &str) -> PathBuf {
    let d = scratch(name);
    let tree = d.join("tree");
    copy_tree(&root().join("assets/provisioning"), &tree);
    let payload = d.join("payload.bin");
    std::fs::write(&payload, (0..4096u32).map(|i| (i * 7 % 251) as u8).collect::<Vec<u8>>()).unwrap();
    for (model, file) in IMAGES {
        let out = tree.join(file);
        let o = st20xx(&["fw", "pack", "--kind", "app", "--model", model, "--version", "2.75", "--date", "261127", "--payload", payload.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        assert!(o.status.success(), "{}", text(&o));
    }
    tree
}

/// The 1-based line of the first line of `file` starting with `prefix`.
fn line_of(file: &Path, prefix: &str) -> usize {
    let bytes = std::fs::read(file).unwrap();
    let text: String = bytes.iter().map(|&b| char::from(b)).collect();
    text.lines().position(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no `{prefix}` in {}", file.display())) + 1
}

/// Replaces the line starting with `prefix` by `with` (bytes kept ISO-8859-1, CRLF kept).
fn replace_line(file: &Path, prefix: &str, with: &str) {
    let bytes = std::fs::read(file).unwrap();
    let text: String = bytes.iter().map(|&b| char::from(b)).collect();
    let mut found = false;
    let out: Vec<String> = text
        .split('\n')
        .map(|l| {
            if !found && l.starts_with(prefix) {
                found = true;
                format!("{with}{}", if l.ends_with('\r') { "\r" } else { "" })
            } else {
                l.to_string()
            }
        })
        .collect();
    assert!(found, "no `{prefix}` in {}", file.display());
    std::fs::write(file, out.join("\n").chars().map(|c| c as u8).collect::<Vec<u8>>()).unwrap();
}

/// Lints and expects failure with exactly one error, at `at` (`file:line` or `file`).
fn expect_one_error(tree: &Path, extra: &[&str], at: &str, says: &str) {
    let o = lint(tree, extra);
    assert!(!o.status.success(), "{}", text(&o));
    let out = stdout(&o);
    let errors: Vec<&str> = out.lines().filter(|l| l.contains(": error: ")).collect();
    let want = format!("{}: error: ", tree.join(at).display());
    assert!(errors.len() == 1 && errors[0].starts_with(&want) && errors[0].contains(says), "want one `{want}…{says}…`, got:\n{}", text(&o));
}

#[test]
fn the_default_tree_passes_once_its_images_exist() {
    let tree = good_tree("lint-good");
    let o = lint(&tree, &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(stdout(&o), "", "no error and no warning");
    assert!(stderr(&o).ends_with(": 0 errors, 0 warnings\n"), "{}", text(&o));
    let o = lint(&tree, &["--json"]);
    assert!(o.status.success() && stdout(&o) == "[]\n", "{}", text(&o));
    std::fs::remove_dir_all(tree.parent().unwrap()).unwrap();
}

/// The tree in git has no images: lint says so clearly, and nothing else.
#[test]
fn the_checked_in_tree_reports_only_its_missing_images() {
    let tree = root().join("assets/provisioning");
    let o = lint(&tree, &[]);
    let out = stdout(&o);
    for l in out.lines() {
        assert!(l.contains("error: `fw_filename`: `v20") && l.contains("is not in the tree (the phone shows `Firmware Not Found`; firmware images are built by `cargo xtask roms`"), "unexpected: {l}\n{}", text(&o));
    }
    let missing = IMAGES.iter().filter(|(_, f)| !tree.join(f).exists()).count();
    assert_eq!(out.lines().count(), missing, "{}", text(&o));
    assert_eq!(o.status.success(), missing == 0, "{}", text(&o));
}

#[test]
fn bad_inf_lines() {
    let tree = good_tree("lint-inf");
    let inf = tree.join("ST2030S.inf");
    let text0 = std::fs::read(&inf).unwrap();

    // An HTML error page is not an INF.
    std::fs::write(&inf, b"<html>\r\n<body>404</body>\r\n</html>\r\n").unwrap();
    expect_one_error(&tree, &[], "ST2030S.inf:1", "the phone cannot read this INF");

    // An empty value stops the run (I6).
    std::fs::write(&inf, &text0).unwrap();
    let n = line_of(&inf, "melodies=");
    replace_line(&inf, "melodies=", "melodies=");
    expect_one_error(&tree, &[], &format!("ST2030S.inf:{n}"), "`melodies`: empty value (the phone stops with `Wrong Melody Config`)");

    // A name that is not in the tree.
    replace_line(&inf, "melodies=", "melodies=melody/nope.txt");
    expect_one_error(&tree, &[], &format!("ST2030S.inf:{n}"), "`melodies`: `melody/nope.txt` is not in the tree (the phone shows `Melody Cfg Not Found`)");

    // Another model's firmware.
    std::fs::write(&inf, &text0).unwrap();
    let n = line_of(&inf, "fw_filename=");
    replace_line(&inf, "fw_filename=", "fw_filename=v2022SG.261127.2.75.zz");
    expect_one_error(&tree, &[], &format!("ST2030S.inf:{n}"), "is an ST2022S image, this INF is for ST2030S (the phone shows `Wrong Firmware`)");

    // Unknown keys are only warnings (I5).
    std::fs::write(&inf, &text0).unwrap();
    let n = line_of(&inf, "[config]");
    replace_line(&inf, "[config]", "[config]\r\nfavourite_colour=blue");
    let o = lint(&tree, &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(stdout(&o), format!("{}:{}: warning: unknown key `favourite_colour` (the phone ignores it)\n", inf.display(), n + 1));
    std::fs::remove_dir_all(tree.parent().unwrap()).unwrap();
}

#[test]
fn bad_named_files() {
    let tree = good_tree("lint-files");

    // A melody line that is not RTTTL.
    let ring = tree.join("melody/ringtone_261127.txt");
    replace_line(&ring, "Clocks:", "Clocks:d=16,o=6,b=140:b5,zz,8P");
    expect_one_error(&tree, &[], "melody/ringtone_261127.txt:2", "not RTTTL: bad note (the phone shows `Corrupted Melody file`)");
    replace_line(&ring, "Clocks:", "Clocks:d=16,o=6,b=140:b5,a5,8P");

    // The ST2030 telcfg named by an ST2022 INF.
    let inf = tree.join("ST2022S.inf");
    replace_line(&inf, "telcfg=", "telcfg=telcfg/st2030_v275_cfg.txt");
    expect_one_error(&tree, &[], "telcfg/st2030_v275_cfg.txt:1", "must start with #VPD1220D49S for ST2022 (the phone shows `Wrong Tel Config`)");
    replace_line(&inf, "telcfg=", "telcfg=telcfg/st2022_v275_cfg.txt");

    // A deck file that is not well-formed XML, line 5.
    let deck = tree.join("decks/st2030m/call.thd");
    replace_line(&deck, "    <line n=\"1\">Renvoi", "    <line n=\"1\">Renvoi immédiat vers :</lines>");
    expect_one_error(&tree, &[], "decks/st2030m/call.thd:5", "XML not well-formed: MismatchedEnd (the phone shows `XML Syntax Error`)");
    replace_line(&deck, "    <line n=\"1\">Renvoi", "    <line n=\"1\">Renvoi</line>");

    // A missing image.
    let img = tree.join("v2022SG.261127.2.75.zz");
    let kept = std::fs::read(&img).unwrap();
    std::fs::remove_file(&img).unwrap();
    let n = line_of(&tree.join("ST2022S.inf"), "fw_filename=");
    expect_one_error(&tree, &[], &format!("ST2022S.inf:{n}"), "`fw_filename`: `v2022SG.261127.2.75.zz` is not in the tree (the phone shows `Firmware Not Found`; firmware images are built by `cargo xtask roms`");
    std::fs::write(&img, kept).unwrap();

    // A broken image.
    let img = tree.join("v2030MG.261127.2.75.zz");
    let mut bytes = std::fs::read(&img).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xFF;
    std::fs::write(&img, &bytes).unwrap();
    expect_one_error(&tree, &[], "v2030MG.261127.2.75.zz", "not a valid firmware image: BadPayloadCrc (the phone shows `Corrupted Firmware`)");
    std::fs::remove_dir_all(tree.parent().unwrap()).unwrap();
}

#[test]
fn bad_configs() {
    let tree = good_tree("lint-configs");
    let common = tree.join("ComConf2030S.txt");
    let text0 = std::fs::read(&common).unwrap();

    // A line that is no config syntax refuses the whole file (F11).
    let n = line_of(&common, "[ntp]");
    replace_line(&common, "[ntp]", "[ntp");
    expect_one_error(&tree, &[], &format!("ComConf2030S.txt:{n}"), "`[` without a closing `]` (the phone shows `Corrupted Config` and applies nothing)");

    // A value out of its range.
    std::fs::write(&common, &text0).unwrap();
    let n = line_of(&common, "AutoprovisionTimeSpan=");
    replace_line(&common, "AutoprovisionTimeSpan=", "AutoprovisionTimeSpan=300");
    expect_one_error(&tree, &[], &format!("ComConf2030S.txt:{n}"), "[autoprovision] AutoprovisionTimeSpan=300: expected a number in 0..=255 (the phone ignores this value)");
    std::fs::write(&common, &text0).unwrap();

    // A MAC config without config_sn.
    let mac = tree.join("ST2030S_009096A1B1C1.txt");
    replace_line(&mac, "config_sn=", "serial=1");
    expect_one_error(&tree, &[], "ST2030S_009096A1B1C1.txt", "no `config_sn` in [sys] (the phone shows `Corrupted Config`");

    // Every .ser of the tree is read with --key: the wrong key names the file.
    replace_line(&mac, "serial=", "config_sn=1");
    expect_one_error(&tree, &["--key", "1234567890123456"], "ST2030S_009096A1B1C2.ser", "cannot decrypt with key `1234567890123456`");
    let o = lint(&tree, &["--key", "1234567890123456", "--json"]);
    assert!(!o.status.success());
    let json = stdout(&o);
    assert!(json.starts_with("[{\"file\":\"ST2030S_009096A1B1C2.ser\",\"line\":null,\"severity\":\"error\",\"message\":\"cannot decrypt"), "{json}");
    std::fs::remove_dir_all(tree.parent().unwrap()).unwrap();
}

#[test]
fn not_a_directory() {
    let o = st20xx(&["lint", "/nonexistent/tree"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("/nonexistent/tree is not a directory"), "{}", text(&o));
}
