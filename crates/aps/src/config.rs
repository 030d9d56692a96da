//! Config files (common and MAC-specific) as real servers ship them:
//! `[section]` + `key=value`, partial files, any vendor section, the last of
//! a repeated key wins (CONFORMANCE field facts, F7, F8, F11).
//!
//! A [`Config`] is the checked text itself: [`Config::parse`] runs the
//! tokenizer over the whole file once and refuses it on the first bad line
//! (F11: a config that does not parse changes nothing), after which walking
//! the entries cannot fail. Nothing is copied or stored, so a 16 KiB file
//! with hundreds of keys costs no RAM beyond its buffer; lookups scan.
//!
//! Guarantees: no allocation, no panic on any input; section and key names
//! compare case-insensitively; lookups and [`merge`] honour "last value
//! wins" inside a file and "MAC overrides common" across files.

use crate::ini::{self, LineError, Token, Tokenizer};

/// One `key=value` line with the section it sits in (`b""` before any
/// `[section]` line).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    pub line: u32,
    pub section: &'a [u8],
    pub key: &'a [u8],
    pub value: &'a [u8],
}

impl Entry<'_> {
    /// Same (section, key), case-insensitively.
    pub fn same_name(&self, section: &[u8], key: &[u8]) -> bool {
        ini::name_eq(self.key, key) && ini::name_eq(self.section, section)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigErrorReason {
    #[error("{0}")]
    Syntax(LineError),
    #[error("no `config_sn` in [sys]")]
    MissingConfigSn,
}

/// A config that must not be applied (F11). `line` is 0 for whole-file reasons.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("config line {line}: {reason}")]
pub struct ConfigError {
    pub line: u32,
    pub reason: ConfigErrorReason,
}

/// A config file whose every line has been checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config<'a> {
    text: &'a [u8],
    len: usize,
}

impl<'a> Config<'a> {
    /// Checks every line; a common config needs nothing more.
    pub fn parse(text: &'a [u8]) -> Result<Config<'a>, ConfigError> {
        let mut len = 0;
        for item in Tokenizer::new(text) {
            let item = item.map_err(|e| ConfigError { line: e.line, reason: ConfigErrorReason::Syntax(e.reason) })?;
            if let Token::Pair { .. } = item.token {
                len += 1;
            }
        }
        Ok(Config { text, len })
    }

    /// A MAC config: parses, and must carry a non-empty `[sys] config_sn`
    /// (F7, F11).
    pub fn parse_mac(text: &'a [u8]) -> Result<Config<'a>, ConfigError> {
        let c = Config::parse(text)?;
        match c.config_sn() {
            Some(_) => Ok(c),
            None => Err(ConfigError { line: 0, reason: ConfigErrorReason::MissingConfigSn }),
        }
    }

    /// The number of `key=value` lines (repeats included).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every `key=value` line in file order, repeats included.
    pub fn entries(&self) -> Entries<'a> {
        Entries { tok: Tokenizer::new(self.text), section: b"" }
    }

    /// The last value of `[section] key`, case-insensitively.
    pub fn get(&self, section: &str, key: &str) -> Option<Entry<'a>> {
        self.entries().filter(|e| e.same_name(section.as_bytes(), key.as_bytes())).last()
    }

    /// `[sys] config_sn` as text (F7 compares it as any string); an empty
    /// value counts as missing.
    pub fn config_sn(&self) -> Option<&'a [u8]> {
        self.get("sys", "config_sn").map(|e| e.value).filter(|v| !v.is_empty())
    }
}

/// The entries of a checked config; see [`Config::entries`].
#[derive(Clone, Debug)]
pub struct Entries<'a> {
    tok: Tokenizer<'a>,
    section: &'a [u8],
}

impl<'a> Iterator for Entries<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        // The text was checked by `Config::parse`, so `Err` cannot occur;
        // skipping it keeps the walk total anyway.
        for item in self.tok.by_ref().flatten() {
            match item.token {
                Token::Section(s) => self.section = s,
                Token::Pair { key, value } => return Some(Entry { line: item.line, section: self.section, key, value }),
            }
        }
        None
    }
}

/// Where a merged entry came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Common,
    Mac,
}

/// The common config overlaid by the MAC config (F8), one entry per
/// (section, key): the common entries the MAC file does not set (last value
/// of each), then the MAC entries (last value of each), each in file order.
pub fn merge<'a>(common: Option<Config<'a>>, mac: Option<Config<'a>>) -> Merge<'a> {
    Merge { common: common.map(|c| c.entries()), mac, mac_iter: mac.map(|c| c.entries()) }
}

/// The iterator returned by [`merge`].
#[derive(Clone, Debug)]
pub struct Merge<'a> {
    common: Option<Entries<'a>>,
    mac: Option<Config<'a>>,
    mac_iter: Option<Entries<'a>>,
}

fn repeated_later(rest: &Entries<'_>, e: &Entry<'_>) -> bool {
    rest.clone().any(|later| later.same_name(e.section, e.key))
}

impl<'a> Iterator for Merge<'a> {
    type Item = (Origin, Entry<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(it) = self.common.as_mut() {
            while let Some(e) = it.next() {
                let overridden = self.mac.is_some_and(|m| m.entries().any(|x| x.same_name(e.section, e.key)));
                if !overridden && !repeated_later(it, &e) {
                    return Some((Origin::Common, e));
                }
            }
            self.common = None;
        }
        let it = self.mac_iter.as_mut()?;
        while let Some(e) = it.next() {
            if !repeated_later(it, &e) {
                return Some((Origin::Mac, e));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shaped like the common files vendors ship: CRLF, leading blank lines,
    /// values with `$ # ; < > |`, an empty value, ISO-8859-1 text.
    const COMMON: &[u8] = b"\r\n\r\n[autoprovision]\r\nAutoprovisionFlag=1\r\nAutoprovisionHTTPServer=\r\nDecryption_Key=Th0mson2$8s8@9z!\r\n\r\n[sip]\r\nsw_notify_autoprovision=1\r\nDisplayName1=Acc\xE8s # <hall> | ;x\r\n[sys]\r\nconfig_sn=200901010000\r\n[qos]\r\nVLANid1=0\r\n";

    const MAC: &[u8] = b"[sys]\nconfig_sn=AB-17\n[SIP]\ndisplayname1=Alice\nTEL1Number=2001\nTEL1Number=2002\n";

    #[test]
    fn lookup_is_case_insensitive_and_last_wins() {
        let c = Config::parse(MAC).unwrap();
        assert_eq!(c.len(), 4);
        assert_eq!(c.get("sip", "tel1number").map(|e| (e.line, e.value)), Some((6, &b"2002"[..])));
        assert_eq!(c.get("Sip", "DisplayName1").map(|e| e.value), Some(&b"Alice"[..]));
        assert_eq!(c.get("net", "VLAN"), None);
        assert_eq!(c.config_sn(), Some(&b"AB-17"[..]));
    }

    #[test]
    fn values_are_kept_whole() {
        let c = Config::parse(COMMON).unwrap();
        assert_eq!(c.get("sip", "DisplayName1").unwrap().value, b"Acc\xE8s # <hall> | ;x");
        assert_eq!(c.get("autoprovision", "Decryption_Key").unwrap().value, b"Th0mson2$8s8@9z!");
        assert_eq!(c.get("autoprovision", "AutoprovisionHTTPServer").unwrap().value, b"");
        assert_eq!(c.get("autoprovision", "AutoprovisionFlag").unwrap().line, 4);
    }

    #[test]
    fn bad_line_refuses_the_whole_file() {
        let e = Config::parse(b"[sys]\nconfig_sn=1\ngarbage\n").unwrap_err();
        assert_eq!(e, ConfigError { line: 3, reason: ConfigErrorReason::Syntax(LineError::MissingEquals) });
        assert_eq!(e.to_string(), "config line 3: neither `[section]`, `key=value` nor a comment");
    }

    #[test]
    fn mac_file_needs_config_sn() {
        assert!(Config::parse_mac(MAC).is_ok());
        for text in [&b"[sip]\nDisplayName1=x\n"[..], b"[sys]\nconfig_sn=\n", b"[net]\nconfig_sn=5\n"] {
            assert_eq!(Config::parse_mac(text), Err(ConfigError { line: 0, reason: ConfigErrorReason::MissingConfigSn }));
        }
    }

    #[test]
    fn partial_and_sectionless_files() {
        let c = Config::parse(b"VLAN=1\n").unwrap();
        assert_eq!(c.entries().next(), Some(Entry { line: 1, section: b"", key: b"VLAN", value: b"1" }));
        assert!(Config::parse(b"").unwrap().is_empty());
    }

    #[test]
    fn merge_mac_overrides_common() {
        let common = Config::parse(COMMON).unwrap();
        let mac = Config::parse(MAC).unwrap();
        type Row<'a> = (Origin, &'a [u8], &'a [u8], &'a [u8]);
        let got: Vec<Row<'_>> = merge(Some(common), Some(mac)).map(|(o, e)| (o, e.section, e.key, e.value)).collect();
        assert_eq!(
            got,
            vec![
                (Origin::Common, &b"autoprovision"[..], &b"AutoprovisionFlag"[..], &b"1"[..]),
                (Origin::Common, b"autoprovision", b"AutoprovisionHTTPServer", b""),
                (Origin::Common, b"autoprovision", b"Decryption_Key", b"Th0mson2$8s8@9z!"),
                (Origin::Common, b"sip", b"sw_notify_autoprovision", b"1"),
                (Origin::Common, b"qos", b"VLANid1", b"0"),
                (Origin::Mac, b"sys", b"config_sn", b"AB-17"),
                (Origin::Mac, b"SIP", b"displayname1", b"Alice"),
                (Origin::Mac, b"SIP", b"TEL1Number", b"2002"),
            ]
        );
    }

    #[test]
    fn merge_of_one_file_dedups_repeats() {
        let c = Config::parse(b"[a]\nk=1\nK=2\n[b]\nk=3\n").unwrap();
        let got: Vec<_> = merge(Some(c), None).map(|(_, e)| e.value).collect();
        assert_eq!(got, [&b"2"[..], b"3"]);
        let got: Vec<_> = merge(None, Some(c)).map(|(o, e)| (o, e.value)).collect();
        assert_eq!(got, [(Origin::Mac, &b"2"[..]), (Origin::Mac, b"3")]);
        assert_eq!(merge(None, None).count(), 0);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..4096)) {
            if let Ok(c) = Config::parse(&bytes) {
                proptest::prop_assert_eq!(c.entries().count(), c.len());
                let _ = c.config_sn();
                let _ = merge(Some(c), Some(c)).count();
            }
        }

        #[test]
        fn merged_names_are_unique(lines in proptest::collection::vec("(\\[[ab]\\]|[kK][12]=[0-9])", 0..30), lines2 in proptest::collection::vec("(\\[[ab]\\]|[kK][12]=[0-9])", 0..30)) {
            let t1 = lines.join("\n");
            let t2 = lines2.join("\n");
            let (c1, c2) = (Config::parse(t1.as_bytes()).unwrap(), Config::parse(t2.as_bytes()).unwrap());
            let merged: Vec<_> = merge(Some(c1), Some(c2)).collect();
            for (i, (_, a)) in merged.iter().enumerate() {
                proptest::prop_assert!(merged[i + 1..].iter().all(|(_, b)| !b.same_name(a.section, a.key)));
                // The merged value is the MAC file's last value when it has one.
                let want = c2.get(core::str::from_utf8(a.section).unwrap(), core::str::from_utf8(a.key).unwrap())
                    .or_else(|| c1.get(core::str::from_utf8(a.section).unwrap(), core::str::from_utf8(a.key).unwrap()));
                proptest::prop_assert_eq!(want.map(|w| w.value), Some(a.value));
            }
        }
    }
}
