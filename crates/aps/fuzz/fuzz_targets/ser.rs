//! Fuzzes `.ser` decryption with the default key and a key from the input,
//! and checks that encrypt then decrypt gives the text back.
#![no_main]

use aps::ser::{self, DEFAULT_KEY};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut buf = data.to_vec();
    if let Ok(plain) = ser::decrypt(&DEFAULT_KEY, &mut buf) {
        assert!(plain.len() <= data.len());
    }
    if data.len() >= 16 {
        let key: [u8; 16] = data[..16].try_into().unwrap();
        let text = &data[16..];
        let mut buf = vec![0u8; ser::padded_len(text.len())];
        buf[..text.len()].copy_from_slice(text);
        let n = ser::encrypt(&key, &mut buf, text.len()).unwrap().len();
        assert_eq!(n, buf.len());
        // Text round-trips; binary is refused as "not text".
        let is_text = text.iter().all(|&b| matches!(b, b'\r' | b'\n') || !aps::ini::is_control(b));
        match ser::decrypt(&key, &mut buf) {
            Ok(plain) => assert_eq!(plain, text),
            Err(e) => assert!(!is_text, "{e}"),
        }
    }
});
