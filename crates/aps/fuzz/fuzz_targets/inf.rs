//! Fuzzes the INF parser and what the firmware does next with its values:
//! resolving every usable value against an INF URL.
#![no_main]

use aps::inf::Inf;
use aps::url::Url;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(inf) = Inf::parse(data) {
        let base = Url::parse(b"http://aps.example.net/st2030/a.inf").unwrap();
        for (_, field) in inf.fields() {
            if let Some(v) = field.usable() {
                assert!(!v.is_empty() && v.len() <= aps::inf::MAX_VALUE);
                let _ = base.join(v);
            }
        }
        let _ = inf.ignored_total();
    }
});
