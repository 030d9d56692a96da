//! Any datagram as a SIP request: parse, validate, answer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netclient::sip::{Reply, Request, build_response};

fuzz_target!(|data: &[u8]| {
    let Ok(req) = Request::parse(data) else {
        return;
    };
    let _ = req.cseq();
    let _ = req.event();
    let reply = if req.validate().is_ok() {
        Reply::Ok
    } else {
        Reply::BadRequest
    };
    let mut buf = [0u8; 1500];
    if let Ok(n) = build_response(&req, reply, Some("fz"), &mut buf) {
        // What we send must itself parse as a SIP message head.
        assert!(buf[..n].ends_with(b"\r\n\r\n"));
    }
});
