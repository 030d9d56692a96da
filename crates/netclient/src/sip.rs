//! SIP requests received over UDP (RFC 3261) — enough for the `check-sync`
//! NOTIFY that starts a provisioning run — and the responses the phone
//! sends back.
//!
//! Parsing is two-step: [`Request::parse`] reads the request line and the
//! headers a response must copy, failing only when the datagram is not a
//! SIP request at all (no reply is possible then); [`Request::validate`]
//! then checks the mandatory headers, `CSeq` and `Content-Length`, and its
//! error is answered with `400 Bad Request` via [`build_response`]. Neither
//! step panics or allocates; header values borrow from the datagram.

use heapless::Vec;

/// Most `Via` header lines kept (a request with more is refused).
pub const MAX_VIA: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SipError {
    #[error("SIP head is not UTF-8")]
    BadEncoding,
    #[error("SIP message has no end of head")]
    NoHeadEnd,
    #[error("malformed request line")]
    BadRequestLine,
    #[error("a SIP response, not a request")]
    IsResponse,
    #[error("malformed header line")]
    BadHeader,
    #[error("more than {MAX_VIA} Via headers")]
    TooManyVia,
    #[error("header {0} appears twice")]
    Duplicate(&'static str),
    #[error("missing header {0}")]
    Missing(&'static str),
    #[error("malformed CSeq")]
    BadCSeq,
    #[error("malformed Content-Length")]
    BadContentLength,
    #[error("body shorter than Content-Length")]
    BodyTooShort,
    #[error("malformed Event header")]
    BadEvent,
    #[error("output buffer too small")]
    BufferTooSmall,
    #[error("request lacks the headers a response must copy")]
    CannotRespond,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method<'a> {
    Notify,
    Options,
    Invite,
    Ack,
    Bye,
    Cancel,
    Register,
    Subscribe,
    Other(&'a str),
}

impl<'a> Method<'a> {
    fn from_token(s: &'a str) -> Self {
        match s {
            "NOTIFY" => Method::Notify,
            "OPTIONS" => Method::Options,
            "INVITE" => Method::Invite,
            "ACK" => Method::Ack,
            "BYE" => Method::Bye,
            "CANCEL" => Method::Cancel,
            "REGISTER" => Method::Register,
            "SUBSCRIBE" => Method::Subscribe,
            other => Method::Other(other),
        }
    }
}

/// A parsed `CSeq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CSeq<'a> {
    pub seq: u32,
    pub method: &'a str,
}

/// A parsed `Event` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    pub package: &'a str,
    /// The `reboot` parameter of `check-sync`, when present.
    pub reboot: Option<bool>,
}

impl Event<'_> {
    pub fn is_check_sync(&self) -> bool {
        self.package.eq_ignore_ascii_case("check-sync")
    }
}

/// A SIP request, header values borrowed from the datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request<'a> {
    pub method: Method<'a>,
    pub method_token: &'a str,
    pub uri: &'a str,
    pub via: Vec<&'a str, MAX_VIA>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub call_id: Option<&'a str>,
    pub cseq: Option<&'a str>,
    pub event: Option<&'a str>,
    pub content_length: Option<&'a str>,
    /// Everything after the head (not yet cut to `Content-Length`).
    pub rest: &'a [u8],
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b))
}

/// Splits the datagram at the blank line ending the head (CRLF or bare LF).
fn split_head(bytes: &[u8]) -> Result<(&[u8], &[u8]), SipError> {
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\n' {
            if bytes.get(i + 1) == Some(&b'\n') {
                return Ok((&bytes[..i], &bytes[i + 2..]));
            }
            if bytes.get(i + 1) == Some(&b'\r') && bytes.get(i + 2) == Some(&b'\n') {
                return Ok((&bytes[..i], &bytes[i + 3..]));
            }
        }
        i += 1;
    }
    Err(SipError::NoHeadEnd)
}

impl<'a> Request<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Self, SipError> {
        let start = bytes
            .iter()
            .position(|&b| b != b'\r' && b != b'\n')
            .unwrap_or(bytes.len());
        let (head, rest) = split_head(&bytes[start..])?;
        let head = core::str::from_utf8(head).map_err(|_| SipError::BadEncoding)?;
        let (line, headers) = head.split_once('\n').unwrap_or((head, ""));
        let line = line.trim_end_matches('\r');
        if line.starts_with("SIP/") {
            return Err(SipError::IsResponse);
        }
        let mut parts = line.split(' ');
        let (Some(method), Some(uri), Some(version), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(SipError::BadRequestLine);
        };
        if !is_token(method) || uri.is_empty() || !version.eq_ignore_ascii_case("SIP/2.0") {
            return Err(SipError::BadRequestLine);
        }
        let mut req = Request {
            method: Method::from_token(method),
            method_token: method,
            uri,
            via: Vec::new(),
            from: None,
            to: None,
            call_id: None,
            cseq: None,
            event: None,
            content_length: None,
            rest,
        };
        for (name, value) in HeaderLines::new(headers) {
            req.header(name?, value)?;
        }
        Ok(req)
    }

    fn header(&mut self, name: &str, value: &'a str) -> Result<(), SipError> {
        let once = |slot: &mut Option<&'a str>, label| {
            if slot.replace(value).is_some() {
                Err(SipError::Duplicate(label))
            } else {
                Ok(())
            }
        };
        let is = |long: &str, short: &str| {
            name.eq_ignore_ascii_case(long) || name.eq_ignore_ascii_case(short)
        };
        if is("Via", "v") {
            self.via.push(value).map_err(|_| SipError::TooManyVia)
        } else if is("From", "f") {
            once(&mut self.from, "From")
        } else if is("To", "t") {
            once(&mut self.to, "To")
        } else if is("Call-ID", "i") {
            once(&mut self.call_id, "Call-ID")
        } else if name.eq_ignore_ascii_case("CSeq") {
            once(&mut self.cseq, "CSeq")
        } else if is("Event", "o") {
            once(&mut self.event, "Event")
        } else if is("Content-Length", "l") {
            once(&mut self.content_length, "Content-Length")
        } else {
            Ok(())
        }
    }

    /// Checks what RFC 3261 requires of a request; returns its body, cut to
    /// `Content-Length`.
    pub fn validate(&self) -> Result<&'a [u8], SipError> {
        if self.via.is_empty() {
            return Err(SipError::Missing("Via"));
        }
        let must = |v: Option<&str>, label| {
            if v.is_some_and(|s| !s.is_empty()) {
                Ok(())
            } else {
                Err(SipError::Missing(label))
            }
        };
        must(self.from, "From")?;
        must(self.to, "To")?;
        must(self.call_id, "Call-ID")?;
        must(self.cseq, "CSeq")?;
        let cseq = self.cseq()?;
        if cseq.method != self.method_token {
            return Err(SipError::BadCSeq);
        }
        match self.content_length {
            None => Ok(self.rest),
            Some(v) => {
                if v.is_empty() || v.len() > 9 || !v.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(SipError::BadContentLength);
                }
                let n: usize = v.parse().map_err(|_| SipError::BadContentLength)?;
                self.rest.get(..n).ok_or(SipError::BodyTooShort)
            }
        }
    }

    pub fn cseq(&self) -> Result<CSeq<'a>, SipError> {
        let v = self.cseq.ok_or(SipError::Missing("CSeq"))?;
        let mut parts = v.split_ascii_whitespace();
        let (Some(seq), Some(method), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(SipError::BadCSeq);
        };
        if seq.is_empty()
            || seq.len() > 10
            || !seq.bytes().all(|b| b.is_ascii_digit())
            || !is_token(method)
        {
            return Err(SipError::BadCSeq);
        }
        let seq = seq
            .parse::<u64>()
            .ok()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or(SipError::BadCSeq)?;
        Ok(CSeq { seq, method })
    }

    /// The `Event` header (`check-sync;reboot=true|false`), if present.
    pub fn event(&self) -> Result<Option<Event<'a>>, SipError> {
        let Some(v) = self.event else { return Ok(None) };
        let mut params = v.split(';');
        let package = params.next().unwrap_or("").trim();
        if !is_token(package) {
            return Err(SipError::BadEvent);
        }
        let mut reboot = None;
        for p in params {
            let (name, value) = p.split_once('=').unwrap_or((p, ""));
            if name.trim().eq_ignore_ascii_case("reboot") {
                let value = value.trim();
                reboot = Some(if value.eq_ignore_ascii_case("true") {
                    true
                } else if value.eq_ignore_ascii_case("false") {
                    false
                } else {
                    return Err(SipError::BadEvent);
                });
            }
        }
        Ok(Some(Event { package, reboot }))
    }
}

/// Iterates `(name, value)` header lines, joining folded continuation lines
/// (leading space or tab) into the value, which stays one slice of the head.
struct HeaderLines<'a> {
    rest: &'a str,
}

impl<'a> HeaderLines<'a> {
    fn new(head: &'a str) -> Self {
        HeaderLines { rest: head }
    }
}

impl<'a> Iterator for HeaderLines<'a> {
    type Item = (Result<&'a str, SipError>, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let s = self.rest;
        let mut end = s.find('\n').unwrap_or(s.len());
        while s[end..].len() > 1
            && s.as_bytes()
                .get(end + 1)
                .is_some_and(|&b| b == b' ' || b == b'\t')
        {
            end = s[end + 1..].find('\n').map_or(s.len(), |i| end + 1 + i);
        }
        let line = &s[..end];
        self.rest = s.get(end + 1..).unwrap_or("");
        let Some((name, value)) = line.split_once(':') else {
            return Some((Err(SipError::BadHeader), ""));
        };
        let name = name.trim_end_matches([' ', '\t']);
        if !is_token(name) {
            return Some((Err(SipError::BadHeader), ""));
        }
        Some((
            Ok(name),
            value.trim_matches(|c: char| c.is_ascii_whitespace()),
        ))
    }
}

/// The responses the phone sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply<'r> {
    Ok,
    BadRequest,
    /// 405 with the `Allow` header, e.g. `NOTIFY, OPTIONS`.
    MethodNotAllowed {
        allow: &'r str,
    },
    /// 403 Forbidden (e.g. a NOTIFY from an untrusted source).
    Forbidden,
    /// 481 Call/Transaction Does Not Exist.
    NoTransaction,
    /// 489 Bad Event.
    BadEvent,
}

impl Reply<'_> {
    pub fn status_line(&self) -> &'static str {
        match self {
            Reply::Ok => "SIP/2.0 200 OK",
            Reply::BadRequest => "SIP/2.0 400 Bad Request",
            Reply::MethodNotAllowed { .. } => "SIP/2.0 405 Method Not Allowed",
            Reply::Forbidden => "SIP/2.0 403 Forbidden",
            Reply::NoTransaction => "SIP/2.0 481 Call/Transaction Does Not Exist",
            Reply::BadEvent => "SIP/2.0 489 Bad Event",
        }
    }
}

fn has_tag(to: &str) -> bool {
    let params = to.rfind('>').map_or(to, |i| &to[i..]);
    params.split(';').skip(1).any(|p| {
        p.trim()
            .get(..4)
            .is_some_and(|n| n.eq_ignore_ascii_case("tag="))
    })
}

/// Writes the response to `req` into `buf`, copying `Via` (all, in order),
/// `From`, `To`, `Call-ID` and `CSeq` (RFC 3261 section 8.2.6.2). `to_tag` is
/// added to `To` when it has none. Returns the length.
pub fn build_response(
    req: &Request<'_>,
    reply: Reply<'_>,
    to_tag: Option<&str>,
    buf: &mut [u8],
) -> Result<usize, SipError> {
    let (Some(from), Some(to), Some(call_id), Some(cseq)) =
        (req.from, req.to, req.call_id, req.cseq)
    else {
        return Err(SipError::CannotRespond);
    };
    if req.via.is_empty() {
        return Err(SipError::CannotRespond);
    }
    let mut len = 0;
    let mut put = |parts: &[&str]| -> Result<(), SipError> {
        for p in parts {
            let end = len + p.len();
            buf.get_mut(len..end)
                .ok_or(SipError::BufferTooSmall)?
                .copy_from_slice(p.as_bytes());
            len = end;
        }
        Ok(())
    };
    put(&[reply.status_line(), "\r\n"])?;
    for via in &req.via {
        put(&["Via: ", via, "\r\n"])?;
    }
    put(&["From: ", from, "\r\nTo: ", to])?;
    if let Some(tag) = to_tag.filter(|_| !has_tag(to)) {
        put(&[";tag=", tag])?;
    }
    put(&["\r\nCall-ID: ", call_id, "\r\nCSeq: ", cseq, "\r\n"])?;
    if let Reply::MethodNotAllowed { allow } = reply {
        put(&["Allow: ", allow, "\r\n"])?;
    }
    put(&["Content-Length: 0\r\n\r\n"])?;
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    // A check-sync NOTIFY as Asterisk's `sip notify` sends it.
    const NOTIFY: &[u8] = b"NOTIFY sip:1001@192.0.2.20:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1a2b3c4d;rport\r\n\
Max-Forwards: 70\r\n\
From: \"asterisk\" <sip:asterisk@192.0.2.1>;tag=as5e1f2a3b\r\n\
To: <sip:1001@192.0.2.20:5060>\r\n\
Contact: <sip:asterisk@192.0.2.1:5060>\r\n\
Call-ID: 2a6b1c0d3e4f5a6b7c8d9e0f@192.0.2.1:5060\r\n\
CSeq: 102 NOTIFY\r\n\
User-Agent: Asterisk PBX\r\n\
Event: check-sync;reboot=true\r\n\
Content-Length: 0\r\n\r\n";

    const OK_RESPONSE: &str = "SIP/2.0 200 OK\r\n\
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1a2b3c4d;rport\r\n\
From: \"asterisk\" <sip:asterisk@192.0.2.1>;tag=as5e1f2a3b\r\n\
To: <sip:1001@192.0.2.20:5060>;tag=st20xx1\r\n\
Call-ID: 2a6b1c0d3e4f5a6b7c8d9e0f@192.0.2.1:5060\r\n\
CSeq: 102 NOTIFY\r\n\
Content-Length: 0\r\n\r\n";

    #[test]
    fn parses_check_sync_notify() {
        let req = Request::parse(NOTIFY).unwrap();
        assert_eq!(req.method, Method::Notify);
        assert_eq!(req.uri, "sip:1001@192.0.2.20:5060");
        assert_eq!(
            req.via.as_slice(),
            ["SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1a2b3c4d;rport"]
        );
        assert_eq!(req.validate().unwrap(), b"");
        assert_eq!(
            req.cseq().unwrap(),
            CSeq {
                seq: 102,
                method: "NOTIFY"
            }
        );
        let ev = req.event().unwrap().unwrap();
        assert!(ev.is_check_sync());
        assert_eq!(ev.reboot, Some(true));
    }

    #[test]
    fn builds_200_copying_headers() {
        let req = Request::parse(NOTIFY).unwrap();
        let mut buf = [0u8; 512];
        let n = build_response(&req, Reply::Ok, Some("st20xx1"), &mut buf).unwrap();
        assert_eq!(core::str::from_utf8(&buf[..n]).unwrap(), OK_RESPONSE);
        assert_eq!(
            build_response(&req, Reply::Ok, None, &mut buf[..100]),
            Err(SipError::BufferTooSmall)
        );
    }

    #[test]
    fn compact_forms_multiple_via_folding_and_body() {
        let msg = b"\r\nOPTIONS sip:phone SIP/2.0\n\
v: SIP/2.0/UDP proxy2;branch=z9hG4bK2\n\
Via: SIP/2.0/UDP proxy1;branch=z9hG4bK1,\n SIP/2.0/UDP origin;branch=z9hG4bK0\n\
f: <sip:a@b>;tag=1\nt: <sip:phone>;tag=existing\ni: cid\nCSeq: 7 OPTIONS\no: check-sync;reboot=FALSE\nl: 3\n\nabcdef";
        let req = Request::parse(msg).unwrap();
        assert_eq!(req.method, Method::Options);
        assert_eq!(req.via.len(), 2);
        assert_eq!(
            req.via[1],
            "SIP/2.0/UDP proxy1;branch=z9hG4bK1,\n SIP/2.0/UDP origin;branch=z9hG4bK0"
        );
        assert_eq!(req.validate().unwrap(), b"abc");
        assert_eq!(req.event().unwrap().unwrap().reboot, Some(false));
        let mut buf = [0u8; 512];
        let n = build_response(
            &req,
            Reply::MethodNotAllowed { allow: "NOTIFY" },
            Some("new"),
            &mut buf,
        )
        .unwrap();
        let text = core::str::from_utf8(&buf[..n]).unwrap();
        assert!(text.starts_with("SIP/2.0 405 Method Not Allowed\r\nVia: SIP/2.0/UDP proxy2;branch=z9hG4bK2\r\nVia: SIP/2.0/UDP proxy1"));
        assert!(
            text.contains("\r\nTo: <sip:phone>;tag=existing\r\n"),
            "no second tag"
        );
        assert!(text.ends_with("CSeq: 7 OPTIONS\r\nAllow: NOTIFY\r\nContent-Length: 0\r\n\r\n"));
    }

    #[test]
    fn validation_errors() {
        let replace = |from: &str, to: &str| {
            std::string::String::from_utf8(NOTIFY.to_vec())
                .unwrap()
                .replacen(from, to, 1)
        };
        let check = |text: std::string::String| {
            Request::parse(text.as_bytes())
                .unwrap()
                .validate()
                .map(|_| ())
        };
        assert_eq!(
            check(replace(
                "Call-ID: 2a6b1c0d3e4f5a6b7c8d9e0f@192.0.2.1:5060\r\n",
                ""
            )),
            Err(SipError::Missing("Call-ID"))
        );
        assert_eq!(
            check(replace("CSeq: 102 NOTIFY", "CSeq: 102 INVITE")),
            Err(SipError::BadCSeq)
        );
        assert_eq!(
            check(replace("CSeq: 102 NOTIFY", "CSeq: 99999999999 NOTIFY")),
            Err(SipError::BadCSeq)
        );
        assert_eq!(
            check(replace("CSeq: 102 NOTIFY", "CSeq: NOTIFY")),
            Err(SipError::BadCSeq)
        );
        assert_eq!(
            check(replace("Content-Length: 0", "Content-Length: 5")),
            Err(SipError::BodyTooShort)
        );
        assert_eq!(
            check(replace("Content-Length: 0", "Content-Length: -1")),
            Err(SipError::BadContentLength)
        );
        assert_eq!(
            check(replace(
                "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1a2b3c4d;rport\r\n",
                ""
            )),
            Err(SipError::Missing("Via"))
        );
        let req_text = replace(
            "Event: check-sync;reboot=true",
            "Event: check-sync;reboot=maybe",
        );
        assert_eq!(
            Request::parse(req_text.as_bytes()).unwrap().event(),
            Err(SipError::BadEvent)
        );
        let dup = replace(
            "To: <sip:1001@192.0.2.20:5060>\r\n",
            "To: <sip:1001@192.0.2.20:5060>\r\nt: <sip:x>\r\n",
        );
        assert_eq!(
            Request::parse(dup.as_bytes()),
            Err(SipError::Duplicate("To"))
        );
        // A 400 can still be built when the copied headers exist.
        let bad = replace("CSeq: 102 NOTIFY", "CSeq: 102 INVITE");
        let req = Request::parse(bad.as_bytes()).unwrap();
        let mut buf = [0u8; 512];
        let n = build_response(&req, Reply::BadRequest, None, &mut buf).unwrap();
        assert!(buf[..n].starts_with(b"SIP/2.0 400 Bad Request\r\n"));
        let n = build_response(&req, Reply::BadEvent, None, &mut buf).unwrap();
        assert!(buf[..n].starts_with(b"SIP/2.0 489 Bad Event\r\n"));
        let n = build_response(&req, Reply::NoTransaction, None, &mut buf).unwrap();
        assert!(buf[..n].starts_with(b"SIP/2.0 481 Call/Transaction Does Not Exist\r\n"));
        let no_call_id = replace("Call-ID: 2a6b1c0d3e4f5a6b7c8d9e0f@192.0.2.1:5060\r\n", "");
        let req = Request::parse(no_call_id.as_bytes()).unwrap();
        assert_eq!(
            build_response(&req, Reply::BadRequest, None, &mut buf),
            Err(SipError::CannotRespond)
        );
    }

    #[test]
    fn not_requests() {
        assert_eq!(
            Request::parse(b"SIP/2.0 200 OK\r\n\r\n"),
            Err(SipError::IsResponse)
        );
        assert_eq!(
            Request::parse(b"NOTIFY sip:x SIP/2.0\r\nVia: x\r\n"),
            Err(SipError::NoHeadEnd)
        );
        assert_eq!(
            Request::parse(b"NOTIFY sip:x HTTP/1.1\r\n\r\n"),
            Err(SipError::BadRequestLine)
        );
        assert_eq!(
            Request::parse(b"NOTIFY  sip:x SIP/2.0\r\n\r\n"),
            Err(SipError::BadRequestLine)
        );
        assert_eq!(
            Request::parse(b"NOTIFY sip:x SIP/2.0\r\nbroken line\r\n\r\n"),
            Err(SipError::BadHeader)
        );
        assert_eq!(
            Request::parse(b"NOTIFY sip:x SIP/2.0\r\nX: \xff\r\n\r\n"),
            Err(SipError::BadEncoding)
        );
        let mut many = b"NOTIFY sip:x SIP/2.0\r\n".to_vec();
        for _ in 0..=MAX_VIA {
            many.extend_from_slice(b"Via: SIP/2.0/UDP h\r\n");
        }
        many.extend_from_slice(b"\r\n");
        assert_eq!(Request::parse(&many), Err(SipError::TooManyVia));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300), cut in 0usize..400) {
            let mut buf = [0u8; 256];
            for input in [&bytes[..], &NOTIFY[..cut.min(NOTIFY.len())]] {
                if let Ok(req) = Request::parse(input) {
                    let _ = req.validate();
                    let _ = req.event();
                    let _ = build_response(&req, Reply::Ok, Some("t"), &mut buf);
                }
            }
        }

        #[test]
        fn header_text_never_panics(text in "[A-Za-z:;= \t\r\n-]{0,120}") {
            let msg = std::format!("NOTIFY sip:x SIP/2.0\r\n{text}\r\n\r\n");
            if let Ok(req) = Request::parse(msg.as_bytes()) {
                let _ = req.validate();
                let _ = req.event();
            }
        }
    }
}
