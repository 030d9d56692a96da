//! The provisioning information file, INF (CONFORMANCE I1–I6; vendor
//! document 2.4.3 and 2.5.3).
//!
//! What it guarantees:
//! - I1: keys are matched case-insensitively and accepted in any section;
//!   `deckfile` may repeat (up to [`MAX_DECKFILES`]); for any other key
//!   repeated, the last line wins.
//! - I2: `provision_mode` defaults to `auto_provisioning`.
//! - I4/I6: a known key whose value is empty, longer than [`MAX_VALUE`]
//!   bytes or malformed is kept as [`Value::Unusable`] with its line and
//!   reason, never dropped: the run must stop with the matching `Wrong …`
//!   message when it reaches that file.
//! - I5: unknown sections and keys are collected (the first
//!   [`MAX_IGNORED`], plus a total count) for the APS log, never fatal.
//! - A line that is not INI syntax at all (say an HTML error page served as
//!   the INF) makes [`Inf::parse`] fail with the line and reason.
//!
//! Values borrow from the input; nothing is allocated; no input panics.

use crate::ini::{self, LineError, Token, Tokenizer};
use crate::source::Transport;
use crate::url::{self, Url, UrlError};
use board::image::Kind;
use heapless::Vec;

/// The longest value accepted (I4: "Maximum to 255 characters").
pub const MAX_VALUE: usize = 255;
/// The most `deckfile=` lines accepted (the vendor example has nine).
pub const MAX_DECKFILES: usize = 32;
/// How many ignored lines are kept for the log (all are counted).
pub const MAX_IGNORED: usize = 16;

/// I2.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProvisionMode {
    #[default]
    AutoProvisioning,
    Customization,
}

macro_rules! keys {
    ($($variant:ident = $name:literal,)*) => {
        /// The single-valued INF keys (I3). `deckfile` repeats and is kept apart.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Key { $($variant,)* }
        impl Key {
            pub const ALL: &'static [Key] = &[$(Key::$variant,)*];
            /// The key as the vendor document spells it.
            pub fn name(self) -> &'static str {
                match self { $(Key::$variant => $name,)* }
            }
        }
    };
}

keys! {
    FwFilename = "fw_filename",
    FwUrl = "fwurl",
    DspFilename = "dsp_filename",
    DspUrl = "dspurl",
    BootFilename = "boot_filename",
    BootUrl = "booturl",
    Melodies = "melodies",
    SystemMelodies = "system_melodies",
    CallWaitingTone = "call_waiting_tone",
    BeepTone = "beep_tone",
    ToneTable = "tone_table",
    LanguageTable = "language_table",
    CommonConfig = "common_config",
    Telcfg = "telcfg",
    Config = "config",
    CertAps = "certAPSfilename",
    PkeyAps = "pkeyAPSfilename",
    CalistAps = "calistAPSfilename",
    CertHttps = "certHTTPSfilename",
    PkeyHttps = "pkeyHTTPSfilename",
    CalistHttps = "calistHTTPSfilename",
}

impl Key {
    pub const COUNT: usize = Key::ALL.len();

    /// Case-insensitive lookup of a key name.
    pub fn from_name(name: &[u8]) -> Option<Key> {
        Key::ALL.iter().copied().find(|k| ini::name_eq(k.name().as_bytes(), name))
    }
}

const PROVISION_MODE: &[u8] = b"provision_mode";
const DECKFILE: &[u8] = b"deckfile";
const KNOWN_SECTIONS: [&[u8]; 5] = [b"provision_mode", b"application", b"deckfile", b"melody", b"config"];

/// Why a value cannot be fetched (I4, I6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unusable {
    #[error("empty value")]
    Empty,
    #[error("value is {0} characters, more than {MAX_VALUE}")]
    TooLong(usize),
    #[error("character {0:?} cannot be in a file name or URL")]
    BadChar(char),
    #[error("bad URL: {0}")]
    BadUrl(UrlError),
}

/// A known key's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// A name or URL that can be fetched (still to be resolved, see [`crate::url`]).
    Usable(&'a [u8]),
    Unusable(Unusable),
}

/// A known key's value and the line it was on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field<'a> {
    pub line: u32,
    pub value: Value<'a>,
}

impl<'a> Field<'a> {
    pub fn usable(&self) -> Option<&'a [u8]> {
        match self.value {
            Value::Usable(v) => Some(v),
            Value::Unusable(_) => None,
        }
    }
}

/// Why a line was ignored (I5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IgnoredWhy {
    UnknownSection,
    UnknownKey,
    /// `provision_mode` with a value other than the two modes.
    BadProvisionMode,
}

/// An ignored line, for the APS log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ignored<'a> {
    pub line: u32,
    /// The section name, or the key for [`IgnoredWhy::UnknownKey`] and
    /// [`IgnoredWhy::BadProvisionMode`].
    pub name: &'a [u8],
    pub why: IgnoredWhy,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InfErrorReason {
    #[error("{0}")]
    Syntax(LineError),
    #[error("more than {MAX_DECKFILES} deckfile lines")]
    TooManyDeckfiles,
}

/// An INF that cannot be read at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("INF line {line}: {reason}")]
pub struct InfError {
    pub line: u32,
    pub reason: InfErrorReason,
}

/// A parsed INF, borrowing from its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inf<'a> {
    pub mode: ProvisionMode,
    fields: [Option<Field<'a>>; Key::COUNT],
    deckfiles: Vec<Field<'a>, MAX_DECKFILES>,
    ignored: Vec<Ignored<'a>, MAX_IGNORED>,
    ignored_total: u32,
}

impl<'a> Inf<'a> {
    pub fn parse(text: &'a [u8]) -> Result<Inf<'a>, InfError> {
        let mut inf = Inf {
            mode: ProvisionMode::default(),
            fields: [None; Key::COUNT],
            deckfiles: Vec::new(),
            ignored: Vec::new(),
            ignored_total: 0,
        };
        for item in Tokenizer::new(text) {
            let item = item.map_err(|e| InfError { line: e.line, reason: InfErrorReason::Syntax(e.reason) })?;
            let line = item.line;
            match item.token {
                Token::Section(name) => {
                    if !KNOWN_SECTIONS.iter().any(|s| ini::name_eq(s, name)) {
                        inf.ignore(line, name, IgnoredWhy::UnknownSection);
                    }
                }
                Token::Pair { key, value } => {
                    if let Some(k) = Key::from_name(key) {
                        inf.fields[k as usize] = Some(Field { line, value: check_value(value) });
                    } else if ini::name_eq(key, DECKFILE) {
                        let field = Field { line, value: check_value(value) };
                        inf.deckfiles
                            .push(field)
                            .map_err(|_| InfError { line, reason: InfErrorReason::TooManyDeckfiles })?;
                    } else if ini::name_eq(key, PROVISION_MODE) {
                        match parse_mode(value) {
                            Some(m) => inf.mode = m,
                            None => inf.ignore(line, key, IgnoredWhy::BadProvisionMode),
                        }
                    } else {
                        inf.ignore(line, key, IgnoredWhy::UnknownKey);
                    }
                }
            }
        }
        Ok(inf)
    }

    fn ignore(&mut self, line: u32, name: &'a [u8], why: IgnoredWhy) {
        self.ignored_total = self.ignored_total.saturating_add(1);
        // Only the first few are kept for the log; the total says how many.
        let _ = self.ignored.push(Ignored { line, name, why });
    }

    /// The value of a single-valued key, `None` when absent.
    pub fn get(&self, key: Key) -> Option<&Field<'a>> {
        self.fields[key as usize].as_ref()
    }

    /// The `deckfile` lines in file order.
    pub fn deckfiles(&self) -> &[Field<'a>] {
        &self.deckfiles
    }

    /// The first [`MAX_IGNORED`] ignored lines.
    pub fn ignored(&self) -> &[Ignored<'a>] {
        &self.ignored
    }

    /// How many lines were ignored in all.
    pub fn ignored_total(&self) -> u32 {
        self.ignored_total
    }

    /// The firmware, DSP or boot image for a transport: the transport's own
    /// key (`fwurl` over HTTP, `fw_filename` over TFTP) and else the other
    /// one. **Decision:** the fallback lets one INF serve both transports.
    pub fn image(&self, kind: Kind, transport: Transport) -> Option<(Key, &Field<'a>)> {
        let (tftp, http) = match kind {
            Kind::App => (Key::FwFilename, Key::FwUrl),
            Kind::Dsp => (Key::DspFilename, Key::DspUrl),
            Kind::Boot => (Key::BootFilename, Key::BootUrl),
        };
        let (first, second) = match transport {
            Transport::Tftp => (tftp, http),
            Transport::Http => (http, tftp),
        };
        self.get(first).map(|f| (first, f)).or_else(|| self.get(second).map(|f| (second, f)))
    }

    /// Every present known field (deck files last) with a name for messages,
    /// in file-key order; the linter reports the unusable ones.
    pub fn fields(&self) -> impl Iterator<Item = (&'static str, &Field<'a>)> + '_ {
        Key::ALL
            .iter()
            .filter_map(|&k| self.get(k).map(|f| (k.name(), f)))
            .chain(self.deckfiles.iter().map(|f| ("deckfile", f)))
    }
}

fn parse_mode(v: &[u8]) -> Option<ProvisionMode> {
    if ini::name_eq(v, b"auto_provisioning") {
        Some(ProvisionMode::AutoProvisioning)
    } else if ini::name_eq(v, b"customization") {
        Some(ProvisionMode::Customization)
    } else {
        None
    }
}

fn check_value(v: &[u8]) -> Value<'_> {
    match check(v) {
        Ok(()) => Value::Usable(v),
        Err(u) => Value::Unusable(u),
    }
}

/// I4/I6: empty, too long, characters no file name or URL holds, or a
/// scheme that is not a valid http(s) URL.
fn check(v: &[u8]) -> Result<(), Unusable> {
    if v.is_empty() {
        return Err(Unusable::Empty);
    }
    if v.len() > MAX_VALUE {
        return Err(Unusable::TooLong(v.len()));
    }
    if let Some(&b) = v.iter().find(|b| matches!(b, b'<' | b'>' | b'"' | b'|')) {
        return Err(Unusable::BadChar(char::from(b)));
    }
    if url::has_scheme(v) {
        Url::parse(v).map_err(Unusable::BadUrl)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vendor document's TFTP example, 2.4.4.
    const TFTP_EXAMPLE: &[u8] = b"[application]
fw_filename= C:\\ip_phones\\mgcp\\st2030\\v100.zz

[deckfile]
deckfile=.\\ip_phones\\mgcp\\decks\\st2030\\main.thd
deckfile=.\\ip_phones\\mgcp\\decks\\st2030\\renvoi.thd
deckfile=.\\ip_phones\\mgcp\\decks\\st2030\\config.thd
deckfile=.\\ip_phones\\mgcp\\decks\\st2030\\abrege.thd
deckfile=.\\ip_phones\\mgcp\\decks\\st2030\\call.thd
deckfile=.\\ip_phones\\mgcp\\decks\\st2030\\log.thd
deckfile=.\\ip_phones\\mgcp\\decks\\st2030\\supervision.thd
deckfile=.\\ip_phones\\mgcp\\decks\\st2030\\filtrage.thd
deckfile=.\\ip_phones\\mgcp\\decks\\st2030\\register.thd

[config]
common_config=st2030m.txt
telcfg=st2030m_v100_cfg.txt
melodies=ringtone_033006.txt
system_melodies=ringtone_040406.txt
call_waiting_tone=ringtone_040406CWT.txt
tone_table=ToneTable.txt
language_table=LangTable.txt
certAPSfilename=cert\\001291C2DF29.crt
pkeyAPSfilename=cert\\001291C2DF29.key
calistAPSfilename=cert\\cacert.pem
";

    /// The vendor document's HTTP example, 2.5.4 (the two lines printed
    /// after the code block included).
    const HTTP_EXAMPLE: &[u8] = b"[application]\r
fwurl=http://upgrade.company.com/st2030m/v100.zz\r
\r
[deckfile]\r
deckfile=http://upgrade.company.com/st2030m/main.thd\r
deckfile=http://upgrade.company.com/st2030m/renvoi.thd\r
deckfile=http://upgrade.company.com/st2030m/config.thd\r
deckfile=http://upgrade.company.com/st2030m/abrege.thd\r
deckfile=http://upgrade.company.com/st2030m/call.thd\r
deckfile=http://upgrade.company.com/st2030m/log.thd\r
deckfile=http://upgrade.company.com/st2030m/supervision.thd\r
deckfile=http://upgrade.company.com/st2030m/filtrage.thd\r
deckfile=http://upgrade.company.com/st2030m/register.thd\r
\r
[config]\r
common_config= http://upgrade.company.com/st2030m/config/st2030m_common.txt\r
telcfg=http://upgrade.company.com/st2030m/config/st2030m_telcfg.txt\r
config=http://upgrade.company.com/st2030m/config/\r
melodies=http://10.1.29.198/ringtone_033006.txt\r
system_melodies=http://10.1.29.198/ringtone_040406.txt  \r
 call_waiting_tone=http://10.1.29.198/ringtone_040406CWT.txt\r
";

    fn usable<'a>(inf: &Inf<'a>, k: Key) -> Option<&'a [u8]> {
        inf.get(k).and_then(Field::usable)
    }

    #[test]
    fn tftp_example() {
        let inf = Inf::parse(TFTP_EXAMPLE).unwrap();
        assert_eq!(inf.mode, ProvisionMode::AutoProvisioning);
        assert_eq!(inf.get(Key::FwFilename), Some(&Field { line: 2, value: Value::Usable(b"C:\\ip_phones\\mgcp\\st2030\\v100.zz") }));
        assert_eq!(inf.deckfiles().len(), 9);
        assert_eq!(inf.deckfiles()[8].usable(), Some(&b".\\ip_phones\\mgcp\\decks\\st2030\\register.thd"[..]));
        assert_eq!(usable(&inf, Key::CommonConfig), Some(&b"st2030m.txt"[..]));
        assert_eq!(usable(&inf, Key::Telcfg), Some(&b"st2030m_v100_cfg.txt"[..]));
        assert_eq!(usable(&inf, Key::Melodies), Some(&b"ringtone_033006.txt"[..]));
        assert_eq!(usable(&inf, Key::SystemMelodies), Some(&b"ringtone_040406.txt"[..]));
        assert_eq!(usable(&inf, Key::CallWaitingTone), Some(&b"ringtone_040406CWT.txt"[..]));
        assert_eq!(usable(&inf, Key::ToneTable), Some(&b"ToneTable.txt"[..]));
        assert_eq!(usable(&inf, Key::LanguageTable), Some(&b"LangTable.txt"[..]));
        assert_eq!(usable(&inf, Key::CertAps), Some(&b"cert\\001291C2DF29.crt"[..]));
        assert_eq!(usable(&inf, Key::PkeyAps), Some(&b"cert\\001291C2DF29.key"[..]));
        assert_eq!(usable(&inf, Key::CalistAps), Some(&b"cert\\cacert.pem"[..]));
        assert_eq!(inf.get(Key::FwUrl), None);
        assert_eq!(inf.get(Key::BeepTone), None);
        assert_eq!(inf.ignored_total(), 0);
        assert_eq!(inf.image(Kind::App, Transport::Tftp).map(|(k, _)| k), Some(Key::FwFilename));
        assert_eq!(inf.image(Kind::App, Transport::Http).map(|(k, _)| k), Some(Key::FwFilename));
        assert_eq!(inf.image(Kind::Dsp, Transport::Tftp), None);
    }

    #[test]
    fn http_example() {
        let inf = Inf::parse(HTTP_EXAMPLE).unwrap();
        assert_eq!(usable(&inf, Key::FwUrl), Some(&b"http://upgrade.company.com/st2030m/v100.zz"[..]));
        assert_eq!(inf.deckfiles().len(), 9);
        assert_eq!(inf.deckfiles()[0].line, 5);
        assert_eq!(usable(&inf, Key::CommonConfig), Some(&b"http://upgrade.company.com/st2030m/config/st2030m_common.txt"[..]));
        assert_eq!(usable(&inf, Key::Config), Some(&b"http://upgrade.company.com/st2030m/config/"[..]));
        assert_eq!(usable(&inf, Key::SystemMelodies), Some(&b"http://10.1.29.198/ringtone_040406.txt"[..]));
        assert_eq!(inf.get(Key::CallWaitingTone).map(|f| f.line), Some(21));
        assert_eq!(inf.image(Kind::App, Transport::Http).map(|(k, _)| k), Some(Key::FwUrl));
        assert_eq!(inf.fields().filter(|(_, f)| f.usable().is_none()).count(), 0);
    }

    #[test]
    fn mode_keys_in_any_case_and_any_section() {
        let inf = Inf::parse(b"[provision_mode]\nProvision_mode=Customization\n[whatever]\nFWURL=http://h/fw.zz\n").unwrap();
        assert_eq!(inf.mode, ProvisionMode::Customization);
        assert_eq!(usable(&inf, Key::FwUrl), Some(&b"http://h/fw.zz"[..]));
        assert_eq!(inf.ignored(), &[Ignored { line: 3, name: b"whatever", why: IgnoredWhy::UnknownSection }]);
    }

    #[test]
    fn unknown_keys_are_logged_not_fatal() {
        let inf = Inf::parse(b"[config]\nfoo=1\nprovision_mode=sometimes\ntelcfg=t.txt\n").unwrap();
        assert_eq!(
            inf.ignored(),
            &[
                Ignored { line: 2, name: b"foo", why: IgnoredWhy::UnknownKey },
                Ignored { line: 3, name: b"provision_mode", why: IgnoredWhy::BadProvisionMode },
            ]
        );
        assert_eq!(inf.mode, ProvisionMode::AutoProvisioning);
        assert_eq!(usable(&inf, Key::Telcfg), Some(&b"t.txt"[..]));
    }

    #[test]
    fn ignored_lines_are_bounded_but_counted() {
        let text: std::vec::Vec<u8> = (0..40).flat_map(|i| format!("k{i}=v\n").into_bytes()).collect();
        let inf = Inf::parse(&text).unwrap();
        assert_eq!(inf.ignored().len(), MAX_IGNORED);
        assert_eq!(inf.ignored_total(), 40);
    }

    #[test]
    fn empty_long_and_malformed_values_are_present_but_unusable() {
        let long = format!("fwurl=http://h/{}\n", "a".repeat(250));
        let text = format!("melodies=\ntelcfg=<http://h/t.txt>\ncommon_config=http://:80/c.txt\nbeep_tone=ftp://h/b\n{long}");
        let inf = Inf::parse(text.as_bytes()).unwrap();
        let v = |k| inf.get(k).map(|f| (f.line, f.value));
        assert_eq!(v(Key::Melodies), Some((1, Value::Unusable(Unusable::Empty))));
        assert_eq!(v(Key::Telcfg), Some((2, Value::Unusable(Unusable::BadChar('<')))));
        assert_eq!(v(Key::CommonConfig), Some((3, Value::Unusable(Unusable::BadUrl(UrlError::BadHost)))));
        assert_eq!(v(Key::BeepTone), Some((4, Value::Unusable(Unusable::BadUrl(UrlError::BadScheme)))));
        assert_eq!(v(Key::FwUrl), Some((5, Value::Unusable(Unusable::TooLong(259)))));
    }

    #[test]
    fn value_of_exactly_255_is_accepted() {
        let text = format!("telcfg={}\n", "t".repeat(255));
        assert!(Inf::parse(text.as_bytes()).unwrap().get(Key::Telcfg).unwrap().usable().is_some());
    }

    #[test]
    fn last_repeated_key_wins() {
        let inf = Inf::parse(b"telcfg=a.txt\ntelcfg=b.txt\n").unwrap();
        assert_eq!(inf.get(Key::Telcfg), Some(&Field { line: 2, value: Value::Usable(b"b.txt") }));
    }

    #[test]
    fn too_many_deckfiles() {
        let text: std::vec::Vec<u8> = (0..=MAX_DECKFILES).flat_map(|i| format!("deckfile=d{i}.thd\n").into_bytes()).collect();
        let e = Inf::parse(&text).unwrap_err();
        assert_eq!(e, InfError { line: MAX_DECKFILES as u32 + 1, reason: InfErrorReason::TooManyDeckfiles });
    }

    #[test]
    fn html_error_page_is_not_an_inf() {
        let e = Inf::parse(b"<html>\n<body>404 Not Found</body>\n</html>\n").unwrap_err();
        assert_eq!(e.to_string(), "INF line 1: neither `[section]`, `key=value` nor a comment");
    }

    #[test]
    fn empty_inf_is_valid_and_asks_for_nothing() {
        let inf = Inf::parse(b"").unwrap();
        assert_eq!(inf.fields().count(), 0);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..4096)) {
            if let Ok(inf) = Inf::parse(&bytes) {
                for (_, f) in inf.fields() {
                    if let Some(v) = f.usable() {
                        proptest::prop_assert!(!v.is_empty() && v.len() <= MAX_VALUE);
                    }
                }
            }
        }

        #[test]
        fn never_panics_on_inf_like_text(lines in proptest::collection::vec("(\\[[a-z_]{0,12}\\]|[A-Za-z_]{1,20} ?= ?[ -~]{0,300}|;.*)", 0..40)) {
            let text = lines.join("\r\n");
            let _ = Inf::parse(text.as_bytes());
        }
    }
}
