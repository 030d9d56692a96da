//! `st20xx ser encrypt|decrypt KEY IN OUT`.

use super::{DEFAULT_KEY, scratch, st20xx, stderr, text};
use std::process::Command;

const PLAIN: &[u8] = b"\r\n[autoprovision]\r\nDecryption_Key=Th0mson2$8s8@9z!\r\n[sip]\r\nDisplayName1=Ren\xE9 M\xFCller\r\n[sys]\r\nconfig_sn=7\r\n";

#[test]
fn a_file_round_trips_and_pads_to_the_next_block() {
    let d = scratch("ser-file");
    let (plain, ser, back) = (d.join("ComConf.txt"), d.join("ComConf.ser"), d.join("back.txt"));
    std::fs::write(&plain, PLAIN).unwrap();
    let o = st20xx(&["ser", "encrypt", DEFAULT_KEY, plain.to_str().unwrap(), ser.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let cipher = std::fs::read(&ser).unwrap();
    assert_eq!(cipher.len(), (PLAIN.len() / 16 + 1) * 16);
    assert_ne!(&cipher[..16], &PLAIN[..16]);
    let o = st20xx(&["ser", "decrypt", DEFAULT_KEY, ser.to_str().unwrap(), back.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::read(&back).unwrap(), PLAIN);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_directory_encrypts_every_txt_and_decrypts_every_ser() {
    let d = scratch("ser-dir");
    let src = d.join("src");
    std::fs::create_dir_all(src.join("sub")).unwrap();
    std::fs::write(src.join("a.txt"), b"[sys]\nconfig_sn=1\n").unwrap();
    std::fs::write(src.join("sub/ST2030S_009096A1B1C1.TXT"), PLAIN).unwrap();
    std::fs::write(src.join("skip.inf"), b"[application]\n").unwrap();
    let (enc, dec) = (d.join("enc"), d.join("dec"));
    let o = st20xx(&["ser", "encrypt", "1234567890123456", src.to_str().unwrap(), enc.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(enc.join("a.ser").is_file() && enc.join("sub/ST2030S_009096A1B1C1.ser").is_file());
    assert!(!enc.join("skip.inf").exists() && !enc.join("skip.ser").exists());
    let o = st20xx(&["ser", "decrypt", "1234567890123456", enc.to_str().unwrap(), dec.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::read(dec.join("a.txt")).unwrap(), b"[sys]\nconfig_sn=1\n");
    assert_eq!(std::fs::read(dec.join("sub/ST2030S_009096A1B1C1.txt")).unwrap(), PLAIN);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn wrong_key_and_bad_keys_are_clear_errors() {
    let d = scratch("ser-keys");
    let (plain, ser) = (d.join("p.txt"), d.join("p.ser"));
    std::fs::write(&plain, PLAIN).unwrap();
    assert!(st20xx(&["ser", "encrypt", DEFAULT_KEY, plain.to_str().unwrap(), ser.to_str().unwrap()]).status.success());
    let o = st20xx(&["ser", "decrypt", "1234567890123456", ser.to_str().unwrap(), d.join("out.txt").to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains(&format!("{}: cannot decrypt:", ser.display())) && stderr(&o).contains("wrong key?"), "{}", text(&o));
    assert!(!d.join("out.txt").exists(), "nothing is written for a file that does not decrypt");

    let o = st20xx(&["ser", "encrypt", "short", plain.to_str().unwrap(), ser.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("the key must be exactly 16 characters, `short` has 5"), "{}", text(&o));

    let o = st20xx(&["ser", "decrypt", DEFAULT_KEY, plain.to_str().unwrap(), plain.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("the output would overwrite the input"), "{}", text(&o));
    std::fs::remove_dir_all(&d).unwrap();
}

/// The decision of E1 (key bytes, zero IV, PKCS#7) is exactly
/// `openssl enc -aes-128-cbc -K <hex key> -iv 0…0`.
#[test]
fn same_bytes_as_openssl() {
    if Command::new("openssl").arg("version").output().is_err() {
        eprintln!("openssl not installed: skipping the comparison");
        return;
    }
    let d = scratch("ser-openssl");
    let (plain, ours, theirs) = (d.join("p.txt"), d.join("ours.ser"), d.join("theirs.ser"));
    std::fs::write(&plain, PLAIN).unwrap();
    assert!(st20xx(&["ser", "encrypt", DEFAULT_KEY, plain.to_str().unwrap(), ours.to_str().unwrap()]).status.success());
    let hex: String = DEFAULT_KEY.bytes().map(|b| format!("{b:02x}")).collect();
    let o = Command::new("openssl")
        .args(["enc", "-aes-128-cbc", "-K", &hex, "-iv", "00000000000000000000000000000000", "-in"])
        .arg(&plain)
        .arg("-out")
        .arg(&theirs)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::read(&ours).unwrap(), std::fs::read(&theirs).unwrap());
    std::fs::remove_dir_all(&d).unwrap();
}

/// The tree's `.ser` was made with openssl; the tool reads it back.
#[test]
fn the_default_trees_ser_decrypts_with_the_default_key() {
    let d = scratch("ser-tree");
    let ser = super::root().join("assets/provisioning/ST2030S_009096A1B1C2.ser");
    let out = d.join("mac.txt");
    let o = st20xx(&["ser", "decrypt", DEFAULT_KEY, ser.to_str().unwrap(), out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let plain = std::fs::read(&out).unwrap();
    assert!(plain.starts_with(b"[sys]\r\nconfig_sn=261127000002\r\n"), "{}", String::from_utf8_lossy(&plain));
    let name = b"DisplayName1=J\xE9r\xF4me B\xE9zier";
    assert!(plain.windows(name.len()).any(|w| w == name), "ISO-8859-1 name");
    std::fs::remove_dir_all(&d).unwrap();
}
