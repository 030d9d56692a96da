//! The LCD texts of provisioning (CONFORMANCE L1–L3; vendor document 2.6),
//! exactly as the document spells them, with the line each goes on.
//!
//! Guarantees: every text fits the 24-column LCD; `Still using vX.YY` is
//! built in a fixed buffer.

use board::image::Version;
use core::fmt::Write;
use heapless::String;

/// LCD width in columns.
pub const COLUMNS: usize = 24;

macro_rules! messages {
    ($($variant:ident = $line:literal $text:literal,)*) => {
        /// A fixed LCD text.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Message { $($variant,)* }
        impl Message {
            pub const ALL: &'static [Message] = &[$(Message::$variant,)*];
            /// The exact text.
            pub fn text(self) -> &'static str {
                match self { $(Message::$variant => $text,)* }
            }
            /// The LCD line (1-based) it is shown on.
            pub fn line(self) -> u8 {
                match self { $(Message::$variant => $line,)* }
            }
        }
    };
}

messages! {
    Provisioning = 3 "Provisioning...",
    PleaseWait = 4 "Please Wait...",
    WrongFirmware = 3 "Wrong Firmware",
    WrongComConfig = 3 "Wrong Com Config",
    WrongTelConfig = 3 "Wrong Tel Config",
    WrongMelodyConfig = 3 "Wrong Melody Config",
    ServerUnreachable = 3 "Server Unreachable",
    GenFileNotFound = 3 "Gen File Not Found",
    FirmwareNotFound = 3 "Firmware Not Found",
    MelodyCfgNotFound = 3 "Melody Cfg Not Found",
    ComConfigNotFound = 3 "Com Config Not Found",
    TelConfigNotFound = 3 "Tel Config Not Found",
    DeckFileNotFound = 3 "Deck File Not Found",
    CorruptedFirmware = 3 "Corrupted Firmware",
    CorruptedConfig = 3 "Corrupted Config",
    CorruptedDeckFiles = 3 "Corrupted Deck Files",
    CorruptedMelodyFile = 3 "Corrupted Melody file",
    XmlSyntaxError = 3 "XML Syntax Error",
    PleaseContactAdmin = 5 "Please contact admin",
}

impl Message {
    /// True for the L2 failure texts of line 3.
    pub fn is_error(self) -> bool {
        !matches!(self, Message::Provisioning | Message::PleaseWait | Message::PleaseContactAdmin)
    }
}

/// Line 4 of the error screen: `Still using v2.74` (`major.minor`, minor
/// on two digits as in `vX.YY`).
pub fn still_using(v: Version) -> String<COLUMNS> {
    let mut s = String::new();
    // Cannot fail: at most "Still using v255.255" (20 bytes).
    let _ = write!(s, "Still using v{}.{:02}", v.major, v.minor);
    s
}

/// The three lines of the error screen (L2): (line, text) for lines 3, 4, 5.
pub fn error_screen(error: Message, running: Version) -> [(u8, String<COLUMNS>); 3] {
    let fixed = |m: Message| {
        let mut s = String::new();
        // Cannot fail: every text is shorter than COLUMNS (tested).
        let _ = s.push_str(m.text());
        s
    };
    [(3, fixed(error)), (4, still_using(running)), (5, fixed(Message::PleaseContactAdmin))]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_texts() {
        let texts: Vec<_> = Message::ALL.iter().map(|m| m.text()).collect();
        assert_eq!(
            texts,
            [
                "Provisioning...",
                "Please Wait...",
                "Wrong Firmware",
                "Wrong Com Config",
                "Wrong Tel Config",
                "Wrong Melody Config",
                "Server Unreachable",
                "Gen File Not Found",
                "Firmware Not Found",
                "Melody Cfg Not Found",
                "Com Config Not Found",
                "Tel Config Not Found",
                "Deck File Not Found",
                "Corrupted Firmware",
                "Corrupted Config",
                "Corrupted Deck Files",
                "Corrupted Melody file",
                "XML Syntax Error",
                "Please contact admin",
            ]
        );
        assert!(Message::ALL.iter().all(|m| m.text().len() <= COLUMNS));
        assert_eq!(Message::ALL.iter().filter(|m| m.is_error()).count(), 16);
    }

    #[test]
    fn lines() {
        assert_eq!(Message::Provisioning.line(), 3);
        assert_eq!(Message::PleaseWait.line(), 4);
        assert_eq!(Message::CorruptedConfig.line(), 3);
        assert_eq!(Message::PleaseContactAdmin.line(), 5);
    }

    #[test]
    fn still_using_formats() {
        assert_eq!(still_using(Version { major: 2, minor: 74, patch: 1 }), "Still using v2.74");
        assert_eq!(still_using(Version { major: 2, minor: 5, patch: 0 }), "Still using v2.05");
        assert_eq!(still_using(Version { major: 255, minor: 255, patch: 255 }), "Still using v255.255");
    }

    #[test]
    fn error_screen_lines() {
        let s = error_screen(Message::ServerUnreachable, Version { major: 2, minor: 69, patch: 0 });
        let got: Vec<(u8, &str)> = s.iter().map(|(l, t)| (*l, t.as_str())).collect();
        assert_eq!(got, [(3, "Server Unreachable"), (4, "Still using v2.69"), (5, "Please contact admin")]);
    }
}
