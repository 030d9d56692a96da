//! Fuzzes the deck-file XML check, the melody and telcfg checks, and the
//! installed-state record decoder (none may panic; a decoded record
//! re-encodes to the same bytes).
#![no_main]

use aps::run::{Installed, content, installed::ENCODED_MAX, xml};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = xml::check(data);
    let _ = content::check_melody(data);
    let _ = content::check_telcfg(aps::Hardware::St2030, data);
    if let Ok(i) = Installed::decode(data) {
        let mut out = [0u8; ENCODED_MAX];
        let n = i.encode(&mut out);
        assert_eq!(&out[..n], data);
    }
});
