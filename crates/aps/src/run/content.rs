//! Light content checks of the text files a run installs: the telcfg magic
//! header (F5, field facts) and melody files as RTTTL text (`Corrupted
//! Melody file`).
//!
//! RTTTL (`name:d=4,o=6,b=140:8c,p,4e.,g#5`): each non-blank line is a
//! ringtone, `name : defaults : notes`. Checked: text only (ISO-8859-1, no
//! control bytes but tab/CR/LF), at least one tone, each default `d=`, `o=`
//! or `b=` with digits, each note `[duration]` `a`–`g`/`h`/`p` `[#]` `[.]`
//! `[octave]` `[.]`. Not checked: value ranges (the player clamps them).
//!
//! Guarantees: no allocation, no panic on any input; errors name the
//! 1-based line.

use board::model::Hardware;

/// The first-line prefix of a telcfg file for each hardware.
pub fn telcfg_magic(hw: Hardware) -> &'static [u8] {
    match hw {
        Hardware::St2030 => b"#VPD1020D49S",
        Hardware::St2022 => b"#VPD1220D49S",
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TelcfgError {
    #[error("first line does not start with {0}")]
    WrongHeader(&'static str),
}

/// F5: the first line (after an optional UTF-8 BOM and leading blanks)
/// starts with the hardware's magic, e.g. `#VPD1020D49S_IAD_TELCFG`.
pub fn check_telcfg(hw: Hardware, text: &[u8]) -> Result<(), TelcfgError> {
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let first = text.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let magic = telcfg_magic(hw);
    if crate::ini::trim(first).starts_with(magic) {
        Ok(())
    } else {
        // The magic is ASCII, so this cannot fail.
        Err(TelcfgError::WrongHeader(core::str::from_utf8(magic).unwrap_or("")))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MelodyError {
    #[error("no ringtone in the file")]
    Empty,
    #[error("line {0}: control character")]
    NotText(u32),
    #[error("line {0}: expected `name:defaults:notes`")]
    Sections(u32),
    #[error("line {0}: bad default (expected d=, o= or b= with digits)")]
    Default(u32),
    #[error("line {0}: bad note")]
    Note(u32),
}

/// Checks a melody file as RTTTL text.
pub fn check_melody(text: &[u8]) -> Result<(), MelodyError> {
    let mut tones = 0u32;
    for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().any(|&b| crate::ini::is_control(b)) {
            return Err(MelodyError::NotText(line));
        }
        let l = crate::ini::trim(raw);
        if l.is_empty() {
            continue;
        }
        let mut parts = l.splitn(3, |&b| b == b':');
        let (_name, defaults, notes) = match (parts.next(), parts.next(), parts.next()) {
            (Some(n), Some(d), Some(t)) => (n, d, t),
            _ => return Err(MelodyError::Sections(line)),
        };
        for d in defaults.split(|&b| b == b',').map(crate::ini::trim).filter(|d| !d.is_empty()) {
            let ok = d.len() > 2
                && matches!(d[0].to_ascii_lowercase(), b'd' | b'o' | b'b')
                && d[1] == b'='
                && d[2..].iter().all(u8::is_ascii_digit);
            if !ok {
                return Err(MelodyError::Default(line));
            }
        }
        let mut any = false;
        for n in notes.split(|&b| b == b',').map(crate::ini::trim) {
            if !is_note(n) {
                return Err(MelodyError::Note(line));
            }
            any = true;
        }
        if !any {
            return Err(MelodyError::Note(line));
        }
        tones += 1;
    }
    if tones == 0 { Err(MelodyError::Empty) } else { Ok(()) }
}

/// `[duration] note [#] [.] [octave] [.]`
fn is_note(n: &[u8]) -> bool {
    let digits = |s: &[u8]| s.iter().take_while(|b| b.is_ascii_digit()).count();
    let d = digits(n);
    if d > 2 {
        return false;
    }
    let mut rest = &n[d..];
    match rest.first().map(u8::to_ascii_lowercase) {
        Some(b'a'..=b'h' | b'p') => rest = &rest[1..],
        _ => return false,
    }
    if let Some(r) = rest.strip_prefix(b"#") {
        rest = r;
    }
    if let Some(r) = rest.strip_prefix(b".") {
        rest = r;
    }
    let o = digits(rest);
    if o > 1 {
        return false;
    }
    rest = &rest[o..];
    if let Some(r) = rest.strip_prefix(b".") {
        rest = r;
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telcfg_headers() {
        let f = b"#VPD1020D49S_IAD_TELCFG\r\nSET 1 2\r\n";
        assert_eq!(check_telcfg(Hardware::St2030, f), Ok(()));
        assert_eq!(check_telcfg(Hardware::St2022, f), Err(TelcfgError::WrongHeader("#VPD1220D49S")));
        assert_eq!(check_telcfg(Hardware::St2022, b"#VPD1220D49S_IAD_TELCFG\n"), Ok(()));
        assert_eq!(check_telcfg(Hardware::St2030, b"\xEF\xBB\xBF  #VPD1020D49S_IAD_TELCFG"), Ok(()));
        assert!(check_telcfg(Hardware::St2030, b"").is_err());
        assert!(check_telcfg(Hardware::St2030, b"SET 1 2\n#VPD1020D49S_IAD_TELCFG\n").is_err());
    }

    #[test]
    fn field_fact_melody_is_valid() {
        assert_eq!(check_melody(b"Clocks:d=16,o=6,b=140:b5,a5,8P\r\n"), Ok(()));
        assert_eq!(check_melody(b"\nA:d=4,o=5,b=100:8c#.6,4e.,g,32p,16f#6.\nB::c\n\n"), Ok(()));
    }

    #[test]
    fn bad_melodies() {
        assert_eq!(check_melody(b""), Err(MelodyError::Empty));
        assert_eq!(check_melody(b" \r\n"), Err(MelodyError::Empty));
        assert_eq!(check_melody(b"<html>404</html>"), Err(MelodyError::Sections(1)));
        assert_eq!(check_melody(b"A:d=4:c\nB:x=4:c\n"), Err(MelodyError::Default(2)));
        assert_eq!(check_melody(b"A:d=4:c,zz\n"), Err(MelodyError::Note(1)));
        assert_eq!(check_melody(b"A:d=4:\n"), Err(MelodyError::Note(1)));
        assert_eq!(check_melody(b"A:d=4:c\x00\n"), Err(MelodyError::NotText(1)));
        assert_eq!(check_melody(b"A:d=4:128c\n"), Err(MelodyError::Note(1)));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = check_melody(&bytes);
            let _ = check_telcfg(Hardware::St2030, &bytes);
        }
    }
}
