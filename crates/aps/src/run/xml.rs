//! A small, bounded XML well-formedness check for MGCP deck files (F10:
//! `XML Syntax Error`).
//!
//! Hand-rolled: the XML crates that work without `alloc` parse far more
//! than a yes/no check needs, and deck files are small.
//!
//! Checked: one root element; properly nested start/end tags with matching
//! names (case-sensitive); attributes `name="v"` or `name='v'`, no `<` in
//! values, no repeated attribute on one tag; text outside the root only
//! whitespace; comments (no `--` inside), processing instructions
//! (`<?xml …?>`), `<![CDATA[…]]>` inside the root, one `<!DOCTYPE …>` before
//! the root (an internal subset `[…]` is skipped, not checked); entity
//! references `&amp; &lt; &gt; &quot; &apos; &#N; &#xH;` only. Bytes
//! 0x80–0xFF are text (ISO-8859-1 or UTF-8, not validated); control bytes
//! other than tab, CR, LF are refused.
//!
//! Guarantees: no allocation, no panic, one pass over the input; nesting is
//! bounded by [`MAX_DEPTH`] and attributes per tag by [`MAX_ATTRS`] (deeper or
//! more is an error, never an overflow).

use heapless::Vec;

pub const MAX_DEPTH: usize = 32;
pub const MAX_ATTRS: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XmlErrorKind {
    NoRoot,
    TextOutsideRoot,
    SecondRoot,
    BadName,
    Unclosed,
    MismatchedEnd,
    UnexpectedEnd,
    BadAttribute,
    DuplicateAttribute,
    BadEntity,
    BadComment,
    BadMarkup,
    TooDeep,
    TooManyAttributes,
    ControlChar,
}

/// Where (byte offset) and why a document is not well-formed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("byte {at}: {kind:?}")]
pub struct XmlError {
    pub at: usize,
    pub kind: XmlErrorKind,
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

type R<T> = Result<T, XmlError>;

impl<'a> Cursor<'a> {
    fn err<T>(&self, kind: XmlErrorKind) -> R<T> {
        Err(XmlError { at: self.i, kind })
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn starts(&self, p: &[u8]) -> bool {
        self.s[self.i..].starts_with(p)
    }
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.i += 1;
        }
    }
    /// Moves past the next `end`, or fails with `kind`.
    fn skip_past(&mut self, end: &[u8], kind: XmlErrorKind) -> R<&'a [u8]> {
        let from = self.i;
        match self.s[from..].windows(end.len()).position(|w| w == end) {
            Some(p) => {
                self.i = from + p + end.len();
                Ok(&self.s[from..from + p])
            }
            None => self.err(kind),
        }
    }
    fn name(&mut self) -> R<&'a [u8]> {
        let from = self.i;
        match self.peek() {
            Some(b) if is_name_start(b) => self.i += 1,
            _ => return self.err(XmlErrorKind::BadName),
        }
        while self.peek().is_some_and(is_name_char) {
            self.i += 1;
        }
        Ok(&self.s[from..self.i])
    }
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b':' || b >= 0x80
}

fn is_name_char(b: u8) -> bool {
    is_name_start(b) || b.is_ascii_digit() || b == b'-' || b == b'.'
}

fn is_control(b: u8) -> bool {
    (b < 0x20 && !matches!(b, b'\t' | b'\r' | b'\n')) || b == 0x7F
}

/// Checks that `doc` is a well-formed XML document.
pub fn check(doc: &[u8]) -> Result<(), XmlError> {
    let doc = doc.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(doc);
    if let Some(at) = doc.iter().position(|&b| is_control(b)) {
        return Err(XmlError { at, kind: XmlErrorKind::ControlChar });
    }
    let mut c = Cursor { s: doc, i: 0 };
    let mut stack: Vec<&[u8], MAX_DEPTH> = Vec::new();
    let mut seen_root = false;
    let mut seen_doctype = false;
    while let Some(b) = c.peek() {
        if b != b'<' {
            if stack.is_empty() {
                if !matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
                    return c.err(XmlErrorKind::TextOutsideRoot);
                }
                c.i += 1;
            } else if b == b'&' {
                entity(&mut c)?;
            } else {
                c.i += 1;
            }
            continue;
        }
        if c.starts(b"<!--") {
            c.i += 4;
            let body = c.skip_past(b"-->", XmlErrorKind::BadComment)?;
            if body.windows(2).any(|w| w == b"--") || body.ends_with(b"-") {
                return c.err(XmlErrorKind::BadComment);
            }
        } else if c.starts(b"<?") {
            c.i += 2;
            c.name()?;
            c.skip_past(b"?>", XmlErrorKind::BadMarkup)?;
        } else if c.starts(b"<![CDATA[") {
            if stack.is_empty() {
                return c.err(XmlErrorKind::TextOutsideRoot);
            }
            c.i += 9;
            c.skip_past(b"]]>", XmlErrorKind::BadMarkup)?;
        } else if c.starts(b"<!DOCTYPE") {
            if seen_root || seen_doctype {
                return c.err(XmlErrorKind::BadMarkup);
            }
            seen_doctype = true;
            doctype(&mut c)?;
        } else if c.starts(b"</") {
            c.i += 2;
            let name = c.name()?;
            c.skip_ws();
            if c.peek() != Some(b'>') {
                return c.err(XmlErrorKind::BadMarkup);
            }
            c.i += 1;
            match stack.pop() {
                Some(open) if open == name => {}
                Some(_) => return c.err(XmlErrorKind::MismatchedEnd),
                None => return c.err(XmlErrorKind::UnexpectedEnd),
            }
        } else {
            if stack.is_empty() && seen_root {
                return c.err(XmlErrorKind::SecondRoot);
            }
            c.i += 1;
            let name = c.name()?;
            let self_closing = attributes(&mut c)?;
            seen_root = true;
            if !self_closing && stack.push(name).is_err() {
                return c.err(XmlErrorKind::TooDeep);
            }
        }
    }
    if !stack.is_empty() {
        return c.err(XmlErrorKind::Unclosed);
    }
    if !seen_root {
        return c.err(XmlErrorKind::NoRoot);
    }
    Ok(())
}

/// After a tag name: attributes up to `>` or `/>`; true when self-closing.
fn attributes(c: &mut Cursor<'_>) -> R<bool> {
    let mut names: Vec<&[u8], MAX_ATTRS> = Vec::new();
    loop {
        let had_ws = matches!(c.peek(), Some(b' ' | b'\t' | b'\r' | b'\n'));
        c.skip_ws();
        match c.peek() {
            Some(b'>') => {
                c.i += 1;
                return Ok(false);
            }
            Some(b'/') if c.starts(b"/>") => {
                c.i += 2;
                return Ok(true);
            }
            None => return c.err(XmlErrorKind::Unclosed),
            Some(_) if !had_ws => return c.err(XmlErrorKind::BadAttribute),
            Some(_) => {}
        }
        let name = c.name().or_else(|_| c.err(XmlErrorKind::BadAttribute))?;
        if names.contains(&name) {
            return c.err(XmlErrorKind::DuplicateAttribute);
        }
        if names.push(name).is_err() {
            return c.err(XmlErrorKind::TooManyAttributes);
        }
        c.skip_ws();
        if c.peek() != Some(b'=') {
            return c.err(XmlErrorKind::BadAttribute);
        }
        c.i += 1;
        c.skip_ws();
        let q = match c.peek() {
            Some(q @ (b'"' | b'\'')) => q,
            _ => return c.err(XmlErrorKind::BadAttribute),
        };
        c.i += 1;
        loop {
            match c.peek() {
                None | Some(b'<') => return c.err(XmlErrorKind::BadAttribute),
                Some(b'&') => entity(c)?,
                Some(b) if b == q => {
                    c.i += 1;
                    break;
                }
                Some(_) => c.i += 1,
            }
        }
    }
}

/// `&name;` or a character reference, at `&`.
fn entity(c: &mut Cursor<'_>) -> R<()> {
    let start = c.i;
    c.i += 1;
    let end = match c.s[c.i..].iter().take(12).position(|&b| b == b';') {
        Some(p) => c.i + p,
        None => return Err(XmlError { at: start, kind: XmlErrorKind::BadEntity }),
    };
    let body = &c.s[c.i..end];
    let ok = match body {
        b"amp" | b"lt" | b"gt" | b"quot" | b"apos" => true,
        [b'#', b'x', hex @ ..] => !hex.is_empty() && hex.iter().all(u8::is_ascii_hexdigit),
        [b'#', dec @ ..] => !dec.is_empty() && dec.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    if !ok {
        return Err(XmlError { at: start, kind: XmlErrorKind::BadEntity });
    }
    c.i = end + 1;
    Ok(())
}

/// `<!DOCTYPE name … [ … ] >`, at `<!DOCTYPE`.
fn doctype(c: &mut Cursor<'_>) -> R<()> {
    c.i += 9;
    c.skip_ws();
    c.name()?;
    let mut quote = None;
    let mut in_subset = false;
    while let Some(b) = c.peek() {
        c.i += 1;
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'[') if !in_subset => in_subset = true,
            (None, b']') if in_subset => in_subset = false,
            (None, b'>') if !in_subset => return Ok(()),
            _ => {}
        }
    }
    c.err(XmlErrorKind::BadMarkup)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(doc: &[u8]) -> Option<XmlErrorKind> {
        check(doc).err().map(|e| e.kind)
    }

    const DECK: &[u8] = br#"<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE deck SYSTEM "deck.dtd">
<!-- main screen -->
<deck name='main' version="1">
  <screen id="1"><line n="3">Appel &amp; renvoi &#233; &#xE9;</line><softkey label="OK"/></screen>
  <![CDATA[ raw <text> & more ]]>
  <empty />
</deck>
"#;

    #[test]
    fn well_formed_deck() {
        assert_eq!(check(DECK), Ok(()));
        assert_eq!(check(b"<a/>"), Ok(()));
        assert_eq!(check(b"\xEF\xBB\xBF<a>caf\xE9</a>"), Ok(()));
        assert_eq!(check(b"<!DOCTYPE a [<!ENTITY x \"]>\">]><a/>"), Ok(()));
    }

    #[test]
    fn malformed_documents() {
        assert_eq!(kind(b""), Some(XmlErrorKind::NoRoot));
        assert_eq!(kind(b"<?xml version='1.0'?>"), Some(XmlErrorKind::NoRoot));
        assert_eq!(kind(b"<a>"), Some(XmlErrorKind::Unclosed));
        assert_eq!(kind(b"<a></b>"), Some(XmlErrorKind::MismatchedEnd));
        assert_eq!(kind(b"<a><b></a></b>"), Some(XmlErrorKind::MismatchedEnd));
        assert_eq!(kind(b"</a>"), Some(XmlErrorKind::UnexpectedEnd));
        assert_eq!(kind(b"<a/><b/>"), Some(XmlErrorKind::SecondRoot));
        assert_eq!(kind(b"hello<a/>"), Some(XmlErrorKind::TextOutsideRoot));
        assert_eq!(kind(b"<a x=1/>"), Some(XmlErrorKind::BadAttribute));
        assert_eq!(kind(b"<a x='1'y='2'/>"), Some(XmlErrorKind::BadAttribute));
        assert_eq!(kind(b"<a x='1' x='2'/>"), Some(XmlErrorKind::DuplicateAttribute));
        assert_eq!(kind(b"<a x='<'/>"), Some(XmlErrorKind::BadAttribute));
        assert_eq!(kind(b"<a>&nbsp;</a>"), Some(XmlErrorKind::BadEntity));
        assert_eq!(kind(b"<a>AT&T</a>"), Some(XmlErrorKind::BadEntity));
        assert_eq!(kind(b"<a><!-- x -- y --></a>"), Some(XmlErrorKind::BadComment));
        assert_eq!(kind(b"<a><!-- x </a>"), Some(XmlErrorKind::BadComment));
        assert_eq!(kind(b"<1a/>"), Some(XmlErrorKind::BadName));
        assert_eq!(kind(b"<a>\x01</a>"), Some(XmlErrorKind::ControlChar));
        assert_eq!(kind(b"<a/><!DOCTYPE a>"), Some(XmlErrorKind::BadMarkup));
        assert_eq!(kind(b"<a"), Some(XmlErrorKind::Unclosed));
        assert_eq!(check(b"<a></b>").unwrap_err().to_string(), "byte 7: MismatchedEnd");
    }

    #[test]
    fn depth_is_bounded() {
        let deep = |n: usize| {
            let mut s = "<a>".repeat(n);
            s.push_str(&"</a>".repeat(n));
            s
        };
        assert_eq!(check(deep(MAX_DEPTH).as_bytes()), Ok(()));
        assert_eq!(kind(deep(MAX_DEPTH + 1).as_bytes()), Some(XmlErrorKind::TooDeep));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = check(&bytes);
        }

        #[test]
        fn never_panics_on_xmlish(parts in proptest::collection::vec("(<[a-c]( [xy]='[^<]{0,3}')?/?>|</[a-c]>|<!--.{0,4}-->|<\\?x.{0,3}\\?>|&[a-z#0-9]{0,5};?|[ a-z]{0,4})", 0..30)) {
            let _ = check(parts.concat().as_bytes());
        }
    }
}
