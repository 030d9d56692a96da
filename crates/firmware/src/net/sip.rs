//! The answer to one datagram on UDP port 5060 (sans-I/O: bytes in, bytes
//! out). A `check-sync` NOTIFY gets `200 OK`, or `403 Forbidden` when its
//! source is not the trusted one (`aps::notify`); a NOTIFY of another event
//! `489 Bad Event`; other methods `405` with `Allow: NOTIFY` (ACK gets
//! nothing, as RFC 3261 says); a request that parses but breaks the rules
//! `400`; anything else is dropped.
//!
//! Guarantees: the answer is written into the caller's buffer (dropped when
//! it does not fit); no allocation, no panic on any input.

use aps::notify::Verdict;
use netclient::sip::{self, Method, Reply, Request};

/// What a datagram was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seen {
    /// A `check-sync` NOTIFY (`reboot` parameter, false when absent) and
    /// how it was judged (`Untrusted`: answered 403).
    CheckSync { reboot: bool, verdict: Verdict },
    /// Answered with this status code.
    Answered(u16),
    /// Not a SIP request, or no answer possible.
    Dropped,
}

/// Reads `datagram`, a check-sync NOTIFY of which would be judged
/// `verdict` (its source's); returns what it was and the length of the
/// answer written into `out` (0: send nothing).
pub fn answer(datagram: &[u8], tag: &str, verdict: Verdict, out: &mut [u8]) -> (Seen, usize) {
    let Ok(req) = Request::parse(datagram) else {
        return (Seen::Dropped, 0);
    };
    let (seen, reply) = classify(&req, verdict);
    let Some(reply) = reply else {
        return (Seen::Dropped, 0);
    };
    match sip::build_response(&req, reply, Some(tag), out) {
        Ok(n) => (seen, n),
        Err(_) => (Seen::Dropped, 0),
    }
}

fn code(reply: Reply) -> u16 {
    match reply {
        Reply::Ok => 200,
        Reply::BadRequest => 400,
        Reply::Forbidden => 403,
        Reply::MethodNotAllowed { .. } => 405,
        Reply::NoTransaction => 481,
        Reply::BadEvent => 489,
    }
}

fn classify<'r>(req: &Request<'r>, verdict: Verdict) -> (Seen, Option<Reply<'static>>) {
    let answered = |r: Reply<'static>| (Seen::Answered(code(r)), Some(r));
    if req.validate().is_err() {
        return answered(Reply::BadRequest);
    }
    match req.method {
        Method::Ack => (Seen::Dropped, None),
        Method::Notify => match req.event() {
            Ok(Some(e)) if e.is_check_sync() => {
                let reply = if verdict == Verdict::Untrusted { Reply::Forbidden } else { Reply::Ok };
                (Seen::CheckSync { reboot: e.reboot.unwrap_or(false), verdict }, Some(reply))
            }
            Ok(_) => answered(Reply::BadEvent),
            Err(_) => answered(Reply::BadRequest),
        },
        _ => answered(Reply::MethodNotAllowed { allow: "NOTIFY" }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTIFY: &[u8] = b"NOTIFY sip:1001@10.0.0.100:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1a2b3c4d;rport\r\n\
From: <sip:admin@10.0.0.1>;tag=as1\r\nTo: <sip:1001@10.0.0.100>\r\n\
Call-ID: 42@10.0.0.1\r\nCSeq: 102 NOTIFY\r\nEvent: check-sync;reboot=true\r\n\
Content-Length: 0\r\n\r\n";

    fn run(d: &[u8]) -> (Seen, String) {
        let mut out = [0u8; 1024];
        let (seen, n) = answer(d, "st1", Verdict::Accept, &mut out);
        (seen, String::from_utf8_lossy(&out[..n]).into_owned())
    }

    #[test]
    fn check_sync_gets_200() {
        let (seen, text) = run(NOTIFY);
        assert_eq!(seen, Seen::CheckSync { reboot: true, verdict: Verdict::Accept });
        assert!(text.starts_with("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1a2b3c4d;rport\r\n"), "{text}");
        assert!(text.contains("To: <sip:1001@10.0.0.100>;tag=st1\r\n"));
        assert!(text.contains("CSeq: 102 NOTIFY\r\n"));
    }

    #[test]
    fn other_events_methods_and_garbage() {
        let other = String::from_utf8_lossy(NOTIFY).replace("check-sync;reboot=true", "message-summary");
        assert_eq!(run(other.as_bytes()).0, Seen::Answered(489));
        let options = String::from_utf8_lossy(NOTIFY).replace("NOTIFY sip", "OPTIONS sip").replace("102 NOTIFY", "102 OPTIONS");
        let (seen, text) = run(options.as_bytes());
        assert_eq!(seen, Seen::Answered(405));
        assert!(text.contains("Allow: NOTIFY\r\n"), "{text}");
        let no_cseq = String::from_utf8_lossy(NOTIFY).replace("CSeq: 102 NOTIFY\r\n", "");
        assert_eq!(run(no_cseq.as_bytes()).0, Seen::Dropped, "400 impossible without CSeq");
        let bad_cseq = String::from_utf8_lossy(NOTIFY).replace("CSeq: 102 NOTIFY", "CSeq: x NOTIFY");
        assert_eq!(run(bad_cseq.as_bytes()).0, Seen::Answered(400));
        let ack = String::from_utf8_lossy(NOTIFY).replace("NOTIFY sip", "ACK sip").replace("102 NOTIFY", "102 ACK");
        assert_eq!(run(ack.as_bytes()), (Seen::Dropped, String::new()));
        assert_eq!(run(b"\x00\x01garbage").0, Seen::Dropped);
        let mut tiny = [0u8; 10];
        assert_eq!(answer(NOTIFY, "st1", Verdict::Accept, &mut tiny), (Seen::Dropped, 0));
    }

    #[test]
    fn untrusted_check_sync_gets_403_and_disabled_gets_200() {
        let mut out = [0u8; 1024];
        let (seen, n) = answer(NOTIFY, "st1", Verdict::Untrusted, &mut out);
        assert_eq!(seen, Seen::CheckSync { reboot: true, verdict: Verdict::Untrusted });
        let text = String::from_utf8_lossy(&out[..n]);
        assert!(text.starts_with("SIP/2.0 403 Forbidden\r\n"), "{text}");
        let (seen, n) = answer(NOTIFY, "st1", Verdict::Disabled, &mut out);
        assert_eq!(seen, Seen::CheckSync { reboot: true, verdict: Verdict::Disabled });
        assert!(out[..n].starts_with(b"SIP/2.0 200 OK\r\n"));
        let other = String::from_utf8_lossy(NOTIFY).replace("check-sync;reboot=true", "message-summary");
        assert_eq!(answer(other.as_bytes(), "st1", Verdict::Untrusted, &mut out).0, Seen::Answered(489), "only check-sync is judged");
    }
}
