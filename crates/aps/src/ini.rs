//! The line tokenizer shared by INF and config files (CONFORMANCE I1 and the
//! config-file field facts).
//!
//! Syntax: `[section]` lines, `key=value` lines, comment lines starting with
//! `;` or `#`, blank lines. Blanks (space, tab) around `=`, around the section
//! name and at line ends are ignored; a value runs to the end of the line and
//! may hold `#`, `;`, `=`, spaces (there are no inline comments); `key=` is an
//! empty value. Lines end in LF or CRLF. Text is ISO-8859-1, so keys, values
//! and section names are byte slices, never `str`. A UTF-8 byte-order mark at
//! the very start is skipped (Windows editors write one).
//!
//! Guarantees: the tokenizer borrows from its input, never allocates, never
//! panics, and yields one item per non-blank, non-comment line with its 1-based
//! line number. A bad line yields an error and tokenizing goes on with the next
//! line, so a linter can report every bad line. Lines are at most
//! [`MAX_LINE`] bytes; a control character (other than tab) is an error.

/// The longest line accepted, in bytes, without its line ending.
pub const MAX_LINE: usize = 1024;

/// One meaningful line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token<'a> {
    /// `[name]`, with `name` trimmed.
    Section(&'a [u8]),
    /// `key=value`, both trimmed; `value` may be empty.
    Pair { key: &'a [u8], value: &'a [u8] },
}

/// A token and the line it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Item<'a> {
    pub line: u32,
    pub token: Token<'a>,
}

/// Why a line was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error("line longer than {MAX_LINE} bytes")]
    TooLong,
    #[error("control character 0x{0:02x}")]
    ControlChar(u8),
    #[error("`[` without a closing `]`")]
    UnclosedSection,
    #[error("text after `]`")]
    TextAfterSection,
    #[error("empty section name")]
    EmptySection,
    #[error("neither `[section]`, `key=value` nor a comment")]
    MissingEquals,
    #[error("empty key before `=`")]
    EmptyKey,
}

/// A refused line and its 1-based number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct IniError {
    pub line: u32,
    pub reason: LineError,
}

/// Iterates over the meaningful lines of a file.
#[derive(Clone, Debug)]
pub struct Tokenizer<'a> {
    rest: &'a [u8],
    line: u32,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

impl<'a> Tokenizer<'a> {
    pub fn new(text: &'a [u8]) -> Self {
        let text = text.strip_prefix(BOM).unwrap_or(text);
        Tokenizer { rest: text, line: 0 }
    }
}

impl<'a> Iterator for Tokenizer<'a> {
    type Item = Result<Item<'a>, IniError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.rest.is_empty() {
            let (raw, rest) = match self.rest.iter().position(|&b| b == b'\n') {
                Some(i) => (&self.rest[..i], &self.rest[i + 1..]),
                None => (self.rest, &[][..]),
            };
            self.rest = rest;
            self.line = self.line.saturating_add(1);
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            match classify(raw) {
                Ok(None) => continue,
                Ok(Some(token)) => return Some(Ok(Item { line: self.line, token })),
                Err(reason) => return Some(Err(IniError { line: self.line, reason })),
            }
        }
        None
    }
}

fn classify(raw: &[u8]) -> Result<Option<Token<'_>>, LineError> {
    if raw.len() > MAX_LINE {
        return Err(LineError::TooLong);
    }
    if let Some(&c) = raw.iter().find(|&&b| is_control(b)) {
        return Err(LineError::ControlChar(c));
    }
    let line = trim(raw);
    match line.first() {
        None | Some(b';') | Some(b'#') => Ok(None),
        Some(b'[') => {
            let close = line.iter().position(|&b| b == b']').ok_or(LineError::UnclosedSection)?;
            if !trim(&line[close + 1..]).is_empty() {
                return Err(LineError::TextAfterSection);
            }
            let name = trim(&line[1..close]);
            if name.is_empty() {
                return Err(LineError::EmptySection);
            }
            Ok(Some(Token::Section(name)))
        }
        Some(_) => {
            let eq = line.iter().position(|&b| b == b'=').ok_or(LineError::MissingEquals)?;
            let key = trim(&line[..eq]);
            if key.is_empty() {
                return Err(LineError::EmptyKey);
            }
            Ok(Some(Token::Pair { key, value: trim(&line[eq + 1..]) }))
        }
    }
}

/// True for the bytes that never occur in a text line: C0 controls except
/// tab, and DEL. (0x80..=0xFF are ISO-8859-1 / Windows-1252 text.)
pub fn is_control(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b == 0x7F
}

/// Strips blanks (space, tab) at both ends.
pub fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Case-insensitive (ASCII) comparison of a key or section name.
pub fn name_eq(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(text: &[u8]) -> Vec<Result<Item<'_>, IniError>> {
        Tokenizer::new(text).collect()
    }

    fn pair<'a>(line: u32, key: &'a [u8], value: &'a [u8]) -> Result<Item<'a>, IniError> {
        Ok(Item { line, token: Token::Pair { key, value } })
    }

    #[test]
    fn vendor_inf_example_lines() {
        // From 2.4.4 of the vendor document, CRLF as a Windows server writes it.
        let text = b"[application]\r\nfw_filename= C:\\ip_phones\\mgcp\\st2030\\v100.zz\r\n\r\n[deckfile]\r\ndeckfile=.\\ip_phones\\mgcp\\decks\\st2030\\main.thd\r\n";
        assert_eq!(
            items(text),
            vec![
                Ok(Item { line: 1, token: Token::Section(b"application") }),
                pair(2, b"fw_filename", b"C:\\ip_phones\\mgcp\\st2030\\v100.zz"),
                Ok(Item { line: 4, token: Token::Section(b"deckfile") }),
                pair(5, b"deckfile", b".\\ip_phones\\mgcp\\decks\\st2030\\main.thd"),
            ]
        );
    }

    #[test]
    fn values_keep_hash_semicolon_equals_and_inner_spaces() {
        let text = b"\n\n  [ sip ]  \nDisplayName1 = Bob # desk ; 2=x \t\nDecryption_Key=Th0mson2$8s8@9z!\nkey=\n";
        assert_eq!(
            items(text),
            vec![
                Ok(Item { line: 3, token: Token::Section(b"sip") }),
                pair(4, b"DisplayName1", b"Bob # desk ; 2=x"),
                pair(5, b"Decryption_Key", b"Th0mson2$8s8@9z!"),
                pair(6, b"key", b""),
            ]
        );
    }

    #[test]
    fn comments_and_latin1() {
        let text = b"; comment\n  # another\nname=Ren\xE9 M\xFCller\n";
        assert_eq!(items(text), vec![pair(3, b"name", b"Ren\xE9 M\xFCller")]);
    }

    #[test]
    fn bom_is_skipped() {
        assert_eq!(items(b"\xEF\xBB\xBFa=1"), vec![pair(1, b"a", b"1")]);
    }

    #[test]
    fn bad_lines_are_reported_and_tokenizing_goes_on() {
        let mut long = b"k=".to_vec();
        long.extend(std::iter::repeat_n(b'x', MAX_LINE));
        let mut text = b"[sip\nnot a pair\n=v\n[]\n[a] b\nx=\x00\n".to_vec();
        text.extend_from_slice(&long);
        text.extend_from_slice(b"\nok=1");
        let errs = |line, reason| Err(IniError { line, reason });
        assert_eq!(
            items(&text),
            vec![
                errs(1, LineError::UnclosedSection),
                errs(2, LineError::MissingEquals),
                errs(3, LineError::EmptyKey),
                errs(4, LineError::EmptySection),
                errs(5, LineError::TextAfterSection),
                errs(6, LineError::ControlChar(0)),
                errs(7, LineError::TooLong),
                pair(8, b"ok", b"1"),
            ]
        );
    }

    #[test]
    fn lone_cr_inside_a_line_is_a_control_char() {
        assert_eq!(items(b"a=1\rb=2\n"), vec![Err(IniError { line: 1, reason: LineError::ControlChar(b'\r') })]);
    }

    #[test]
    fn error_text_names_line_and_reason() {
        let e = IniError { line: 7, reason: LineError::MissingEquals };
        assert_eq!(e.to_string(), "line 7: neither `[section]`, `key=value` nor a comment");
    }

    #[test]
    fn names_compare_case_insensitively() {
        assert!(name_eq(b"Provision_mode", b"provision_mode"));
        assert!(!name_eq(b"fwurl", b"fw_url"));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_lines_increase(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..4096)) {
            let mut last = 0;
            for item in Tokenizer::new(&bytes) {
                let line = match item { Ok(i) => i.line, Err(e) => e.line };
                proptest::prop_assert!(line > last);
                last = line;
            }
        }
    }
}
