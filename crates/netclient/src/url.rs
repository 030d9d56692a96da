//! HTTP(S) URLs as the provisioning files write them: parse
//! `http://host[:port]/path`, the scheme-less `host[:port]` of
//! `AutoprovisionHTTPServer`, and resolve a relative reference (an INF's
//! `fwurl=../fw/x.zz`) against a base URL (RFC 3986 section 5.2, without
//! userinfo or IPv6 literals, which the phone never needs).
//!
//! Bounded: inputs and results are at most [`MAX_URL`] bytes; fragments are
//! dropped (never sent). A parsed [`Url`] always has a non-empty, valid host
//! and a non-zero port.

use core::net::Ipv4Addr;

use heapless::String;

/// Longest URL accepted or produced.
pub const MAX_URL: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("URL longer than {MAX_URL} bytes")]
    TooLong,
    #[error("URL scheme is not http or https")]
    UnsupportedScheme,
    #[error("URL has no host or an invalid host")]
    BadHost,
    #[error("URL port is not a number in 1..=65535")]
    BadPort,
    #[error("user info and IPv6 literals are not supported")]
    Unsupported,
    #[error("URL contains control characters or spaces")]
    BadChar,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// A parsed absolute URL borrowing its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Url<'a> {
    pub scheme: Scheme,
    pub host: &'a str,
    pub port: u16,
    /// Path and query as written, fragment removed. May be empty or start
    /// with `?`; the request line then uses `/` before it.
    pub path: &'a str,
}

impl<'a> Url<'a> {
    /// Parses an absolute `http://` or `https://` URL.
    pub fn parse(s: &'a str) -> Result<Self, UrlError> {
        let s = check(s)?;
        let (scheme, rest) = split_scheme(s).ok_or(UrlError::UnsupportedScheme)?;
        let scheme = scheme_of(scheme)?;
        let rest = rest.strip_prefix("//").ok_or(UrlError::BadHost)?;
        Self::after_scheme(scheme, rest)
    }

    /// Parses an `AutoprovisionHTTPServer` value: `host[:port]`, optionally
    /// with a path or a full `http://` URL. The path defaults to `/`.
    pub fn parse_server(s: &'a str) -> Result<Self, UrlError> {
        let s = check(s)?;
        if s.contains("://") {
            Self::parse(s)
        } else {
            Self::after_scheme(Scheme::Http, s)
        }
    }

    fn after_scheme(scheme: Scheme, rest: &'a str) -> Result<Self, UrlError> {
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        let path = path.split('#').next().unwrap_or("");
        let (host, port) = parse_authority(authority, scheme)?;
        Ok(Url {
            scheme,
            host,
            port,
            path,
        })
    }

    /// The host as an IPv4 address when it is a dotted quad (no DNS needed).
    pub fn ipv4(&self) -> Option<Ipv4Addr> {
        self.host.parse().ok()
    }

    /// Whether the port is the scheme's default (the `Host` header then omits it).
    pub fn default_port(&self) -> bool {
        self.port == self.scheme.default_port()
    }

    /// The path without its query.
    fn path_only(&self) -> &'a str {
        self.path.split('?').next().unwrap_or("")
    }
}

/// An owned absolute URL, the result of [`resolve`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlBuf {
    text: String<MAX_URL>,
    scheme: Scheme,
    host: (usize, usize),
    port: u16,
    path_start: usize,
}

impl UrlBuf {
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn url(&self) -> Url<'_> {
        Url {
            scheme: self.scheme,
            host: &self.text[self.host.0..self.host.1],
            port: self.port,
            path: &self.text[self.path_start..],
        }
    }

    /// Copies a borrowed URL (normalising its path's dot segments).
    pub fn from_url(url: &Url<'_>) -> Result<Self, UrlError> {
        let (path, query) = split_query(url.path);
        build(url.scheme, url.host, url.port, |out| {
            if path.starts_with('/') {
                remove_dot_segments(path, out)
            } else {
                push(out, "/")
            }?;
            push(out, query)
        })
    }
}

/// Resolves `reference` (absolute, network-path, absolute-path or relative)
/// against `base`, as a browser would.
pub fn resolve(base: &Url<'_>, reference: &str) -> Result<UrlBuf, UrlError> {
    let reference = check(reference)?;
    let reference = reference.split('#').next().unwrap_or("");
    if split_scheme(reference).is_some() {
        return UrlBuf::from_url(&Url::parse(reference)?);
    }
    if let Some(rest) = reference.strip_prefix("//") {
        return UrlBuf::from_url(&Url::after_scheme(base.scheme, rest)?);
    }
    let (path, query) = split_query(reference);
    build(base.scheme, base.host, base.port, |out| {
        if path.is_empty() {
            let (base_path, base_query) = split_query(base.path);
            let base_path = if base_path.is_empty() { "/" } else { base_path };
            remove_dot_segments(base_path, out)?;
            push(out, if query.is_empty() { base_query } else { query })
        } else if path.starts_with('/') {
            remove_dot_segments(path, out)?;
            push(out, query)
        } else {
            let base_path = base.path_only();
            let dir = match base_path.rfind('/') {
                Some(i) => &base_path[..=i],
                None => "/",
            };
            let mut merged: String<MAX_URL> = String::new();
            push(&mut merged, dir)?;
            push(&mut merged, path)?;
            remove_dot_segments(&merged, out)?;
            push(out, query)
        }
    })
}

fn check(s: &str) -> Result<&str, UrlError> {
    let s = s.trim_matches(|c: char| c.is_ascii_whitespace());
    if s.len() > MAX_URL {
        return Err(UrlError::TooLong);
    }
    if s.chars().any(|c| c.is_control() || c == ' ') {
        return Err(UrlError::BadChar);
    }
    Ok(s)
}

/// Splits `scheme:rest` when `s` starts with an RFC 3986 scheme.
fn split_scheme(s: &str) -> Option<(&str, &str)> {
    let colon = s.find(':')?;
    let scheme = &s[..colon];
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    // `host:8080/x` is not a scheme: a scheme is never followed by a digit-only port.
    let looks_like_port = s[colon + 1..].starts_with(|c: char| c.is_ascii_digit());
    (first_ok && rest_ok && !looks_like_port).then(|| (scheme, &s[colon + 1..]))
}

fn scheme_of(s: &str) -> Result<Scheme, UrlError> {
    if s.eq_ignore_ascii_case("http") {
        Ok(Scheme::Http)
    } else if s.eq_ignore_ascii_case("https") {
        Ok(Scheme::Https)
    } else {
        Err(UrlError::UnsupportedScheme)
    }
}

fn parse_authority(authority: &str, scheme: Scheme) -> Result<(&str, u16), UrlError> {
    if authority.contains('@') || authority.starts_with('[') {
        return Err(UrlError::Unsupported);
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => {
            if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
                return Err(UrlError::BadPort);
            }
            let port = port
                .bytes()
                .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
            match u16::try_from(port) {
                Ok(p) if p != 0 => (host, p),
                _ => return Err(UrlError::BadPort),
            }
        }
        None => (authority, scheme.default_port()),
    };
    let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_');
    if host.is_empty() || host.len() > 253 || !host.chars().all(valid) {
        return Err(UrlError::BadHost);
    }
    Ok((host, port))
}

fn split_query(s: &str) -> (&str, &str) {
    match s.find('?') {
        Some(i) => s.split_at(i),
        None => (s, ""),
    }
}

fn push<const N: usize>(out: &mut String<N>, s: &str) -> Result<(), UrlError> {
    out.push_str(s).map_err(|_| UrlError::TooLong)
}

fn build(
    scheme: Scheme,
    host: &str,
    port: u16,
    path: impl FnOnce(&mut String<MAX_URL>) -> Result<(), UrlError>,
) -> Result<UrlBuf, UrlError> {
    let mut text: String<MAX_URL> = String::new();
    push(&mut text, scheme.as_str())?;
    push(&mut text, "://")?;
    let host_start = text.len();
    push(&mut text, host)?;
    let host_end = text.len();
    if port != scheme.default_port() {
        let mut digits = [0u8; 5];
        let mut n = port;
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        push(&mut text, ":")?;
        push(&mut text, core::str::from_utf8(&digits[i..]).unwrap_or("0"))?;
    }
    let path_start = text.len();
    path(&mut text)?;
    Ok(UrlBuf {
        text,
        scheme,
        host: (host_start, host_end),
        port,
        path_start,
    })
}

/// RFC 3986 section 5.2.4, appending the result to `out` (which may already
/// hold a scheme and authority: `..` never climbs above `floor`).
fn remove_dot_segments<const N: usize>(input: &str, out: &mut String<N>) -> Result<(), UrlError> {
    let floor = out.len();
    let pop = |out: &mut String<N>| {
        let last = out[floor..].rfind('/').map_or(floor, |i| floor + i);
        out.truncate(last);
    };
    let mut inp = input;
    while !inp.is_empty() {
        if let Some(rest) = inp.strip_prefix("../") {
            inp = rest;
        } else if let Some(rest) = inp.strip_prefix("./") {
            inp = rest;
        } else if inp.starts_with("/./") {
            inp = &inp[2..];
        } else if inp == "/." {
            inp = "/";
        } else if inp.starts_with("/../") {
            inp = &inp[3..];
            pop(out);
        } else if inp == "/.." {
            inp = "/";
            pop(out);
        } else if inp == "." || inp == ".." {
            inp = "";
        } else {
            let start = usize::from(inp.starts_with('/'));
            let end = inp[start..].find('/').map_or(inp.len(), |i| i + start);
            push(out, &inp[..end])?;
            inp = &inp[end..];
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_absolute_urls() {
        let u = Url::parse("http://aps.example.com:8080/st2030/ST2030S_009096A1B1C1.inf").unwrap();
        assert_eq!(
            (u.scheme, u.host, u.port, u.path),
            (
                Scheme::Http,
                "aps.example.com",
                8080,
                "/st2030/ST2030S_009096A1B1C1.inf"
            )
        );
        assert!(!u.default_port());
        let u = Url::parse("HTTP://192.0.2.10/a?b=c#frag").unwrap();
        assert_eq!((u.host, u.port, u.path), ("192.0.2.10", 80, "/a?b=c"));
        assert_eq!(u.ipv4(), Some(Ipv4Addr::new(192, 0, 2, 10)));
        let u = Url::parse("https://secure.example/").unwrap();
        assert_eq!((u.scheme, u.port, u.ipv4()), (Scheme::Https, 443, None));
        let u = Url::parse("http://host").unwrap();
        assert_eq!(u.path, "");
    }

    #[test]
    fn rejects_bad_urls() {
        assert_eq!(Url::parse("ftp://h/x"), Err(UrlError::UnsupportedScheme));
        assert_eq!(Url::parse("http:/h/x"), Err(UrlError::BadHost));
        assert_eq!(Url::parse("http:///x"), Err(UrlError::BadHost));
        assert_eq!(Url::parse("http://h:0/"), Err(UrlError::BadPort));
        assert_eq!(Url::parse("http://h:65536/"), Err(UrlError::BadPort));
        assert_eq!(Url::parse("http://h:/"), Err(UrlError::BadPort));
        assert_eq!(Url::parse("http://u:p@h/"), Err(UrlError::Unsupported));
        assert_eq!(Url::parse("http://[::1]/"), Err(UrlError::Unsupported));
        assert_eq!(Url::parse("http://h/a b"), Err(UrlError::BadChar));
        assert_eq!(Url::parse("http://h\u{e9}/"), Err(UrlError::BadHost));
        let long = std::format!("http://h/{}", "a".repeat(MAX_URL));
        assert_eq!(Url::parse(&long), Err(UrlError::TooLong));
    }

    #[test]
    fn parses_autoprovision_http_server() {
        let u = Url::parse_server("192.0.2.5:8080").unwrap();
        assert_eq!((u.host, u.port, u.path), ("192.0.2.5", 8080, ""));
        let u = Url::parse_server(" aps.example.com ").unwrap();
        assert_eq!((u.host, u.port), ("aps.example.com", 80));
        let u = Url::parse_server("aps.example.com/phones").unwrap();
        assert_eq!(u.path, "/phones");
        let u = Url::parse_server("http://aps.example.com:81").unwrap();
        assert_eq!(u.port, 81);
        assert_eq!(Url::parse_server(":80"), Err(UrlError::BadHost));
    }

    // RFC 3986 section 5.4 examples (those within our subset).
    #[test]
    fn resolves_rfc3986_examples() {
        let base = Url::parse("http://a/b/c/d;p?q").unwrap();
        let cases = [
            ("g", "http://a/b/c/g"),
            ("./g", "http://a/b/c/g"),
            ("g/", "http://a/b/c/g/"),
            ("/g", "http://a/g"),
            ("//g", "http://g/"),
            ("?y", "http://a/b/c/d;p?y"),
            ("g?y", "http://a/b/c/g?y"),
            ("#s", "http://a/b/c/d;p?q"),
            ("g#s", "http://a/b/c/g"),
            (";x", "http://a/b/c/;x"),
            ("", "http://a/b/c/d;p?q"),
            (".", "http://a/b/c/"),
            ("./", "http://a/b/c/"),
            ("..", "http://a/b/"),
            ("../", "http://a/b/"),
            ("../g", "http://a/b/g"),
            ("../..", "http://a/"),
            ("../../g", "http://a/g"),
            ("../../../g", "http://a/g"),
            ("../../../../g", "http://a/g"),
            ("/./g", "http://a/g"),
            ("/../g", "http://a/g"),
            ("g.", "http://a/b/c/g."),
            ("..g", "http://a/b/c/..g"),
            ("./../g", "http://a/b/g"),
            ("g/./h", "http://a/b/c/g/h"),
            ("g/../h", "http://a/b/c/h"),
            ("g?y/./x", "http://a/b/c/g?y/./x"),
            ("http://x:8080/y/../z", "http://x:8080/z"),
            ("https://x:443/", "https://x/"),
        ];
        for (reference, want) in cases {
            assert_eq!(
                resolve(&base, reference).unwrap().as_str(),
                want,
                "ref {reference:?}"
            );
        }
    }

    #[test]
    fn resolves_inf_relative_names_and_keeps_port() {
        let base = Url::parse("http://192.0.2.5:8080/aps/ST2030S_009096A1B1C1.inf").unwrap();
        let fw = resolve(&base, "fw/v2030SG.R11.1.SED.101223.2.74.zz").unwrap();
        assert_eq!(
            fw.as_str(),
            "http://192.0.2.5:8080/aps/fw/v2030SG.R11.1.SED.101223.2.74.zz"
        );
        let u = fw.url();
        assert_eq!(
            (u.host, u.port, u.path),
            (
                "192.0.2.5",
                8080,
                "/aps/fw/v2030SG.R11.1.SED.101223.2.74.zz"
            )
        );
        let server = Url::parse_server("192.0.2.5").unwrap();
        assert_eq!(
            resolve(&server, "ST2030S.inf").unwrap().as_str(),
            "http://192.0.2.5/ST2030S.inf"
        );
        assert_eq!(resolve(&server, "").unwrap().as_str(), "http://192.0.2.5/");
        assert_eq!(resolve(&base, "mailto:x"), Err(UrlError::UnsupportedScheme));
        let long = "a/".repeat(MAX_URL / 2);
        assert_eq!(resolve(&base, &long), Err(UrlError::TooLong));
    }

    proptest::proptest! {
        #[test]
        fn parse_and_resolve_never_panic(s in "\\PC{0,80}", r in "[a-z./?#:%0-9]{0,40}") {
            let _ = Url::parse(&s);
            let _ = Url::parse_server(&s);
            let base = Url::parse("http://a:81/b/c/d?q").unwrap();
            if let Ok(out) = resolve(&base, &r) {
                let u = out.url();
                proptest::prop_assert!(!u.host.is_empty());
                proptest::prop_assert!(Url::parse(out.as_str()).is_ok());
            }
            let _ = resolve(&base, &s);
        }
    }
}
