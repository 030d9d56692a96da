//! Minimal `http`/`https` URL parsing and relative resolution (CONFORMANCE I4:
//! HTTP values in the INF are absolute URLs or relative to the INF's URL).
//!
//! Hand-rolled rather than the `url` crate: that crate needs `alloc` and
//! full WHATWG parsing, while the phone only needs scheme, host, port and
//! path from ASCII text of at most a few hundred bytes.
//!
//! Guarantees: no allocation, no panic on any input; a parsed [`Url`] has a
//! non-empty host of letters, digits, `-`, `.`, `_`, a port in 1..=65535 and
//! a path that starts with `/` and holds only visible ASCII. Resolution
//! results are bounded by [`MAX_PATH`].

use core::net::Ipv4Addr;
use heapless::Vec;

/// The longest path (with query) a resolved URL may have.
pub const MAX_PATH: usize = 512;
/// The longest host name accepted.
pub const MAX_HOST: usize = 253;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// A server: an IPv4 address or a DNS name (letters, digits, `-`, `.`, `_`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host<'a> {
    Ip(Ipv4Addr),
    Name(&'a [u8]),
}

impl<'a> Host<'a> {
    /// Parses a dotted IPv4 address, else a host name.
    pub fn parse(s: &'a [u8]) -> Result<Host<'a>, UrlError> {
        if let Some(ip) = parse_ipv4(s) {
            return Ok(Host::Ip(ip));
        }
        let ok = !s.is_empty()
            && s.len() <= MAX_HOST
            && s.iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
            && s.iter().any(|b| b.is_ascii_alphabetic());
        if ok { Ok(Host::Name(s)) } else { Err(UrlError::BadHost) }
    }
}

/// Strict dotted-quad IPv4 text: four decimal numbers 0..=255, each 1–3 digits.
pub fn parse_ipv4(s: &[u8]) -> Option<Ipv4Addr> {
    let mut out = [0u8; 4];
    let mut parts = s.split(|&b| b == b'.');
    for o in &mut out {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 3 || !p.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let v = p.iter().fold(0u16, |a, &d| a * 10 + u16::from(d - b'0'));
        *o = u8::try_from(v).ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(Ipv4Addr::from(out))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("not an http:// or https:// URL")]
    BadScheme,
    #[error("bad host")]
    BadHost,
    #[error("bad port")]
    BadPort,
    #[error("user info (`@`) is not supported")]
    UserInfo,
    #[error("character not allowed in a URL")]
    BadChar,
    #[error("longer than {MAX_PATH} bytes")]
    TooLong,
    #[error("`..` climbs above the root")]
    AboveRoot,
}

/// An absolute http(s) URL borrowed from its text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Url<'a> {
    pub scheme: Scheme,
    pub host: Host<'a>,
    pub host_text: &'a [u8],
    pub port: u16,
    /// Starts with `/`; includes the query, never the fragment.
    pub path: &'a [u8],
}

/// `host[:port]` with an optional `http://`/`https://` in front and an optional
/// path after, as `AutoprovisionHTTPServer` is written in the field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Authority<'a> {
    pub host: Host<'a>,
    pub host_text: &'a [u8],
    pub port: Option<u16>,
}

impl<'a> Authority<'a> {
    /// Parses `host[:port]`; a leading scheme and a trailing `/…` are tolerated.
    pub fn parse(s: &'a [u8]) -> Result<Authority<'a>, UrlError> {
        let s = strip_scheme(s).map(|(_, r)| r).unwrap_or(s);
        let end = s.iter().position(|&b| b == b'/').unwrap_or(s.len());
        parse_authority(&s[..end])
    }
}

fn strip_scheme(s: &[u8]) -> Option<(Scheme, &[u8])> {
    let lower = |p: &[u8]| s.len() >= p.len() && s[..p.len()].eq_ignore_ascii_case(p);
    if lower(b"http://") {
        Some((Scheme::Http, &s[7..]))
    } else if lower(b"https://") {
        Some((Scheme::Https, &s[8..]))
    } else {
        None
    }
}

/// True when the text starts with a URL scheme (`letters://`).
pub fn has_scheme(s: &[u8]) -> bool {
    match s.windows(3).position(|w| w == b"://") {
        Some(i) => i > 0 && s[..i].iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')),
        None => false,
    }
}

fn parse_authority(a: &[u8]) -> Result<Authority<'_>, UrlError> {
    if a.contains(&b'@') {
        return Err(UrlError::UserInfo);
    }
    let (host_text, port) = match a.iter().rposition(|&b| b == b':') {
        Some(i) => (&a[..i], Some(parse_port(&a[i + 1..])?)),
        None => (a, None),
    };
    Ok(Authority { host: Host::parse(host_text)?, host_text, port })
}

fn parse_port(p: &[u8]) -> Result<u16, UrlError> {
    if p.is_empty() || p.len() > 5 || !p.iter().all(u8::is_ascii_digit) {
        return Err(UrlError::BadPort);
    }
    let v = p.iter().fold(0u32, |a, &d| a * 10 + u32::from(d - b'0'));
    match u16::try_from(v) {
        Ok(0) | Err(_) => Err(UrlError::BadPort),
        Ok(v) => Ok(v),
    }
}

fn is_url_char(b: u8) -> bool {
    b.is_ascii_graphic()
}

impl<'a> Url<'a> {
    /// Parses an absolute `http://` or `https://` URL.
    pub fn parse(s: &'a [u8]) -> Result<Url<'a>, UrlError> {
        let (scheme, rest) = strip_scheme(s).ok_or(UrlError::BadScheme)?;
        let rest = match rest.iter().position(|&b| b == b'#') {
            Some(i) => &rest[..i],
            None => rest,
        };
        if !rest.iter().all(|&b| is_url_char(b)) {
            return Err(UrlError::BadChar);
        }
        let end = rest.iter().position(|&b| b == b'/' || b == b'?').unwrap_or(rest.len());
        let auth = parse_authority(&rest[..end])?;
        let path = &rest[end..];
        if path.len() > MAX_PATH {
            return Err(UrlError::TooLong);
        }
        let path: &[u8] = if path.is_empty() || path[0] == b'?' { b"/" } else { path };
        Ok(Url { scheme, host: auth.host, host_text: auth.host_text, port: auth.port.unwrap_or(scheme.default_port()), path })
    }

    /// The path without its query.
    pub fn path_only(&self) -> &'a [u8] {
        match self.path.iter().position(|&b| b == b'?') {
            Some(i) => &self.path[..i],
            None => self.path,
        }
    }

    /// The last path segment (the file name), empty for a directory URL.
    pub fn file_name(&self) -> &'a [u8] {
        let p = self.path_only();
        let start = p.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
        &p[start..]
    }

    /// Resolves `reference` (absolute, `//host/…`, `/path` or relative)
    /// against this URL. Backslashes in a relative reference are read as `/`
    /// (the vendor's TFTP-style names); `.` and `..` segments are removed.
    pub fn join<'r>(&self, reference: &'r [u8]) -> Result<Resolved<'r>, UrlError>
    where
        'a: 'r,
    {
        if has_scheme(reference) {
            let u = Url::parse(reference)?;
            return Resolved::new(u.scheme, u.host, u.host_text, u.port, u.path);
        }
        if let Some(net) = reference.strip_prefix(b"//") {
            let end = net.iter().position(|&b| b == b'/' || b == b'?').unwrap_or(net.len());
            let auth = parse_authority(&net[..end])?;
            let port = auth.port.unwrap_or(self.scheme.default_port());
            let path: &[u8] = if end == net.len() { b"/" } else { &net[end..] };
            return Resolved::new(self.scheme, auth.host, auth.host_text, port, path);
        }
        let reference = match reference.iter().position(|&b| b == b'#') {
            Some(i) => &reference[..i],
            None => reference,
        };
        let mut merged: Vec<u8, MAX_PATH> = Vec::new();
        if !matches!(reference.first(), Some(b'/' | b'\\')) {
            let base = self.path_only();
            let dir = &base[..base.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1)];
            merged.extend_from_slice(dir).map_err(|_| UrlError::TooLong)?;
        }
        for &b in reference {
            merged.push(if b == b'\\' { b'/' } else { b }).map_err(|_| UrlError::TooLong)?;
        }
        Resolved::new(self.scheme, self.host, self.host_text, self.port, &merged)
    }
}

/// A URL produced by [`Url::join`]: host borrowed, path owned (bounded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved<'a> {
    pub scheme: Scheme,
    pub host: Host<'a>,
    pub host_text: &'a [u8],
    pub port: u16,
    path: Vec<u8, MAX_PATH>,
}

impl<'a> Resolved<'a> {
    fn new(scheme: Scheme, host: Host<'a>, host_text: &'a [u8], port: u16, path: &[u8]) -> Result<Self, UrlError> {
        if !path.iter().all(|&b| is_url_char(b)) {
            return Err(UrlError::BadChar);
        }
        Ok(Resolved { scheme, host, host_text, port, path: remove_dot_segments(path)? })
    }

    /// Starts with `/`; includes the query.
    pub fn path(&self) -> &[u8] {
        &self.path
    }

    pub fn as_url(&self) -> Url<'_> {
        Url { scheme: self.scheme, host: self.host, host_text: self.host_text, port: self.port, path: &self.path }
    }

    /// The file `name` inside this URL read as a directory (F7: the MAC
    /// config in the INF's `config=` directory): a `/` is added when the path
    /// does not end with one, the query is dropped. `name` must be a plain
    /// file name (URL characters, no `/`).
    pub fn file_in_dir(&self, name: &[u8]) -> Result<Resolved<'a>, UrlError> {
        if name.is_empty() || name.contains(&b'/') || !name.iter().all(|&b| is_url_char(b)) {
            return Err(UrlError::BadChar);
        }
        let dir = match self.path.iter().position(|&b| b == b'?') {
            Some(i) => &self.path[..i],
            None => &self.path[..],
        };
        let mut path: Vec<u8, MAX_PATH> = Vec::new();
        path.extend_from_slice(dir).map_err(|_| UrlError::TooLong)?;
        if !dir.ends_with(b"/") {
            path.push(b'/').map_err(|_| UrlError::TooLong)?;
        }
        path.extend_from_slice(name).map_err(|_| UrlError::TooLong)?;
        Resolved::new(self.scheme, self.host, self.host_text, self.port, &path)
    }
}

/// RFC 3986 5.2.4 on a path (query kept as is); refuses `..` above the root
/// instead of silently clamping, so a typo shows up as an error.
fn remove_dot_segments(path: &[u8]) -> Result<Vec<u8, MAX_PATH>, UrlError> {
    let (p, query) = match path.iter().position(|&b| b == b'?') {
        Some(i) => (&path[..i], &path[i..]),
        None => (path, &[][..]),
    };
    let mut out: Vec<u8, MAX_PATH> = Vec::new();
    let segs: &[u8] = p.strip_prefix(b"/").unwrap_or(p);
    let mut it = segs.split(|&b| b == b'/').peekable();
    let push = |out: &mut Vec<u8, MAX_PATH>, s: &[u8]| out.extend_from_slice(s).map_err(|_| UrlError::TooLong);
    push(&mut out, b"/")?;
    while let Some(seg) = it.next() {
        let last = it.peek().is_none();
        match seg {
            b"." => {}
            b".." => {
                if out.len() == 1 {
                    return Err(UrlError::AboveRoot);
                }
                out.truncate(out.len() - 1);
                let cut = out.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
                out.truncate(cut);
            }
            s => {
                push(&mut out, s)?;
                if !last {
                    push(&mut out, b"/")?;
                }
            }
        }
    }
    push(&mut out, query)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const INF: &[u8] = b"http://upgrade.company.com/st2030m/aps.inf";

    #[test]
    fn parses_vendor_urls() {
        let u = Url::parse(b"http://upgrade.company.com/st2030m/v100.zz").unwrap();
        assert_eq!(u.scheme, Scheme::Http);
        assert_eq!(u.host, Host::Name(b"upgrade.company.com"));
        assert_eq!(u.port, 80);
        assert_eq!(u.path, b"/st2030m/v100.zz");
        assert_eq!(u.file_name(), b"v100.zz");
        let u = Url::parse(b"HTTPS://10.1.29.198:8443?x=1#frag").unwrap();
        assert_eq!((u.scheme, u.host, u.port, u.path), (Scheme::Https, Host::Ip(Ipv4Addr::new(10, 1, 29, 198)), 8443, &b"/"[..]));
        assert_eq!(Url::parse(b"http://upgrade.company.com/st2030m/config/").unwrap().file_name(), b"");
    }

    #[test]
    fn rejects_bad_urls() {
        assert_eq!(Url::parse(b"ftp://h/x"), Err(UrlError::BadScheme));
        assert_eq!(Url::parse(b"<http://h/x>"), Err(UrlError::BadScheme));
        assert_eq!(Url::parse(b"http:///x"), Err(UrlError::BadHost));
        assert_eq!(Url::parse(b"http://h:0/x"), Err(UrlError::BadPort));
        assert_eq!(Url::parse(b"http://h:65536/x"), Err(UrlError::BadPort));
        assert_eq!(Url::parse(b"http://u:p@h/x"), Err(UrlError::UserInfo));
        assert_eq!(Url::parse(b"http://h/a b"), Err(UrlError::BadChar));
        assert_eq!(Url::parse(b"http://h\xE9/"), Err(UrlError::BadChar));
    }

    #[test]
    fn joins_relative_absolute_and_dotted_references() {
        let base = Url::parse(INF).unwrap();
        let j = |r: &'static [u8]| base.join(r).map(|x| (x.host_text, x.port, x.path().to_vec()));
        assert_eq!(j(b"v100.zz"), Ok((&b"upgrade.company.com"[..], 80, b"/st2030m/v100.zz".to_vec())));
        assert_eq!(j(b"config/st2030m.txt"), Ok((&b"upgrade.company.com"[..], 80, b"/st2030m/config/st2030m.txt".to_vec())));
        assert_eq!(j(b"../fw/./v2.zz"), Ok((&b"upgrade.company.com"[..], 80, b"/fw/v2.zz".to_vec())));
        assert_eq!(j(b".\\melody\\ring.txt"), Ok((&b"upgrade.company.com"[..], 80, b"/st2030m/melody/ring.txt".to_vec())));
        assert_eq!(j(b"/root.txt"), Ok((&b"upgrade.company.com"[..], 80, b"/root.txt".to_vec())));
        assert_eq!(j(b"http://10.1.29.198/ringtone_033006.txt"), Ok((&b"10.1.29.198"[..], 80, b"/ringtone_033006.txt".to_vec())));
        assert_eq!(j(b"//other:81/a/../b"), Ok((&b"other"[..], 81, b"/b".to_vec())));
        assert_eq!(j(b"../../x"), Err(UrlError::AboveRoot));
        assert_eq!(j(b"a b.txt"), Err(UrlError::BadChar));
    }

    #[test]
    fn file_in_a_directory_url() {
        let base = Url::parse(INF).unwrap();
        let f = |dir: &'static [u8]| base.join(dir).and_then(|d| d.file_in_dir(b"ST2030S_009096A1B1C1.ser")).map(|r| r.path().to_vec());
        assert_eq!(f(b"config/"), Ok(b"/st2030m/config/ST2030S_009096A1B1C1.ser".to_vec()));
        assert_eq!(f(b"http://h/cfg?x=1"), Ok(b"/cfg/ST2030S_009096A1B1C1.ser".to_vec()));
        assert_eq!(f(b"."), Ok(b"/st2030m/ST2030S_009096A1B1C1.ser".to_vec()));
        assert_eq!(base.join(b"c/").unwrap().file_in_dir(b"a/b"), Err(UrlError::BadChar));
        assert_eq!(base.join(b"c/").unwrap().file_in_dir(b""), Err(UrlError::BadChar));
    }

    #[test]
    fn authority_for_preconfigured_servers() {
        let a = Authority::parse(b"192.168.1.10:8080").unwrap();
        assert_eq!((a.host, a.port), (Host::Ip(Ipv4Addr::new(192, 168, 1, 10)), Some(8080)));
        let a = Authority::parse(b"http://aps.example.net/").unwrap();
        assert_eq!((a.host, a.port), (Host::Name(b"aps.example.net"), None));
        assert_eq!(Authority::parse(b"aps:x"), Err(UrlError::BadPort));
        assert_eq!(Authority::parse(b""), Err(UrlError::BadHost));
    }

    #[test]
    fn ipv4_text_is_strict() {
        assert_eq!(parse_ipv4(b"10.0.0.1"), Some(Ipv4Addr::new(10, 0, 0, 1)));
        for bad in [&b"10.0.0"[..], b"10.0.0.1.", b"256.0.0.1", b"1..2.3", b"0001.0.0.1", b"a.b.c.d", b""] {
            assert_eq!(parse_ipv4(bad), None, "{bad:?}");
        }
        // Looks numeric but is not an address: a host name needs a letter.
        assert_eq!(Host::parse(b"10.0.0"), Err(UrlError::BadHost));
    }

    #[test]
    fn scheme_detection() {
        assert!(has_scheme(b"http://x"));
        assert!(has_scheme(b"tftp://x"));
        assert!(!has_scheme(b"C:\\ip_phones\\v100.zz"));
        assert!(!has_scheme(b"://x"));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..700), r in proptest::collection::vec(proptest::num::u8::ANY, 0..700)) {
            let _ = Authority::parse(&bytes);
            if let Ok(u) = Url::parse(&bytes) {
                proptest::prop_assert!(u.path.starts_with(b"/"));
                if let Ok(j) = u.join(&r) {
                    proptest::prop_assert!(j.path().starts_with(b"/"));
                }
            }
            let base = Url::parse(INF).unwrap();
            let _ = base.join(&bytes);
        }
    }
}
