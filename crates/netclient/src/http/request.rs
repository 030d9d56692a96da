//! The request head a phone sends, and its `User-Agent`.
//!
//! The request line is in origin form (`GET /path HTTP/1.1`) with a `Host`
//! header carrying the port when it is not the scheme's default
//! (CONFORMANCE field facts). Path bytes outside RFC 3986's allowed set are
//! percent-encoded, so the request line never contains spaces or controls.

use core::fmt::Write;

use heapless::String;

use crate::url::Url;

/// Longest `User-Agent` produced.
pub const UA_MAX: usize = 96;

/// The output buffer is too small for the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("HTTP request does not fit its buffer")]
pub struct TooLong;

/// `THOMSON ST2030 hw5 fw2.74 00-90-96-A1-B1-C1`: model (hardware, without
/// the protocol letter), hardware revision, firmware version, MAC with dashes.
pub fn user_agent(
    model: &str,
    hw_rev: u8,
    fw_version: &str,
    mac: &[u8; 6],
) -> Result<String<UA_MAX>, TooLong> {
    let mut s = String::new();
    let [a, b, c, d, e, f] = *mac;
    write!(
        s,
        "THOMSON {model} hw{hw_rev} fw{fw_version} {a:02X}-{b:02X}-{c:02X}-{d:02X}-{e:02X}-{f:02X}"
    )
    .map_err(|_| TooLong)?;
    Ok(s)
}

struct Out<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl Out<'_> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), TooLong> {
        let end = self.len.checked_add(bytes.len()).ok_or(TooLong)?;
        self.buf
            .get_mut(self.len..end)
            .ok_or(TooLong)?
            .copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }
}

fn allowed_in_target(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&b)
}

/// Writes `GET <path> HTTP/1.1` and its headers into `buf`; returns the length.
pub fn write_request(
    buf: &mut [u8],
    url: &Url<'_>,
    user_agent: &str,
    keep_alive: bool,
) -> Result<usize, TooLong> {
    let mut w = Out { buf, len: 0 };
    w.put(b"GET ")?;
    if !url.path.starts_with('/') {
        w.put(b"/")?;
    }
    for &b in url.path.as_bytes() {
        if allowed_in_target(b) {
            w.put(&[b])?;
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            w.put(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]])?;
        }
    }
    w.put(b" HTTP/1.1\r\nHost: ")?;
    w.put(url.host.as_bytes())?;
    if !url.default_port() {
        let mut port: String<6> = String::new();
        write!(port, ":{}", url.port).map_err(|_| TooLong)?;
        w.put(port.as_bytes())?;
    }
    w.put(b"\r\nUser-Agent: ")?;
    if user_agent.bytes().any(|b| b.is_ascii_control()) {
        return Err(TooLong);
    }
    w.put(user_agent.as_bytes())?;
    w.put(b"\r\nAccept: */*\r\nConnection: ")?;
    w.put(if keep_alive {
        b"keep-alive\r\n\r\n"
    } else {
        b"close\r\n\r\n"
    })?;
    Ok(w.len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agent_matches_the_field_fact() {
        let ua = user_agent("ST2030", 5, "2.74", &[0x00, 0x90, 0x96, 0xA1, 0xB1, 0xC1]).unwrap();
        assert_eq!(ua.as_str(), "THOMSON ST2030 hw5 fw2.74 00-90-96-A1-B1-C1");
        let ua = user_agent("ST2030", 5, "2.74", &[0x00, 0x14, 0x7f, 0xe1, 0x47, 0xb3]).unwrap();
        assert_eq!(ua.as_str(), "THOMSON ST2030 hw5 fw2.74 00-14-7F-E1-47-B3");
        assert_eq!(
            user_agent(&"x".repeat(100), 5, "2.74", &[0; 6]),
            Err(TooLong)
        );
    }

    #[test]
    fn request_bytes_origin_form_with_host_port() {
        let url = Url::parse("http://192.0.2.5:8080/aps/ST2030S_009096A1B1C1.inf").unwrap();
        let mut buf = [0u8; 512];
        let n = write_request(
            &mut buf,
            &url,
            "THOMSON ST2030 hw5 fw2.74 00-90-96-A1-B1-C1",
            false,
        )
        .unwrap();
        assert_eq!(
            core::str::from_utf8(&buf[..n]).unwrap(),
            "GET /aps/ST2030S_009096A1B1C1.inf HTTP/1.1\r\n\
             Host: 192.0.2.5:8080\r\n\
             User-Agent: THOMSON ST2030 hw5 fw2.74 00-90-96-A1-B1-C1\r\n\
             Accept: */*\r\n\
             Connection: close\r\n\r\n"
        );
    }

    #[test]
    fn default_port_empty_path_keep_alive_and_encoding() {
        let url = Url::parse("http://aps.example.com?x=1").unwrap();
        let mut buf = [0u8; 256];
        let n = write_request(&mut buf, &url, "UA", true).unwrap();
        assert_eq!(
            &buf[..n],
            b"GET /?x=1 HTTP/1.1\r\nHost: aps.example.com\r\nUser-Agent: UA\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n"
        );
        let url = Url {
            path: "/a\\b\"\u{e9}",
            ..url
        };
        let n = write_request(&mut buf, &url, "UA", true).unwrap();
        assert!(buf[..n].starts_with(b"GET /a%5Cb%22%C3%A9 HTTP/1.1\r\n"));
        assert_eq!(
            write_request(&mut buf[..20], &url, "UA", true),
            Err(TooLong)
        );
        assert_eq!(
            write_request(&mut buf, &url, "U\r\nX: y", true),
            Err(TooLong)
        );
    }
}
