//! Any datagram as the answer to an A query.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netclient::dns::{build_query, parse_response};

fuzz_target!(|data: &[u8]| {
    if let Ok(answer) = parse_response(data, 0xbeef, "aps.example.com") {
        assert!(!answer.addrs.is_empty());
    }
    if let Ok(name) = core::str::from_utf8(data) {
        let mut buf = [0u8; 300];
        let _ = build_query(&mut buf, 1, name);
    }
});
