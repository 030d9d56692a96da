//! The kinds of file a provisioning run handles, with what the run needs to
//! know about each: the INF key, how it is stored, the LCD message of each
//! failure (L2) and the names the APS log uses (F12).
//!
//! **Decision** (the document lists no message for them): tone and language
//! tables fail like melodies when the tone table is wrong and like the
//! common config otherwise; certificates, keys and CAs fail like the common
//! config. A server error other than "not found" (HTTP 5xx, a TFTP error
//! packet) shows `Server Unreachable`, like no answer at all.

use crate::inf::Key;
use crate::lcd::Message;

/// A file the run may fetch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileKind {
    App,
    Dsp,
    Boot,
    Melodies,
    SystemMelodies,
    CallWaitingTone,
    BeepTone,
    ToneTable,
    LanguageTable,
    CertAps,
    PkeyAps,
    CalistAps,
    CertHttps,
    PkeyHttps,
    CalistHttps,
    Telcfg,
    CommonConfig,
    MacConfig,
    DeckFile,
}

/// Which family a kind belongs to for its LCD messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    Image,
    Melody,
    Com,
    Tel,
    Deck,
}

impl FileKind {
    /// The kinds whose last installed name is remembered, in
    /// [`crate::run::Installed`] slot order (the order is part of its
    /// flash encoding: append only).
    pub const STAMPED: [FileKind; 17] = [
        FileKind::App,
        FileKind::Dsp,
        FileKind::Boot,
        FileKind::Melodies,
        FileKind::SystemMelodies,
        FileKind::CallWaitingTone,
        FileKind::BeepTone,
        FileKind::ToneTable,
        FileKind::LanguageTable,
        FileKind::CertAps,
        FileKind::PkeyAps,
        FileKind::CalistAps,
        FileKind::CertHttps,
        FileKind::PkeyHttps,
        FileKind::CalistHttps,
        FileKind::Telcfg,
        FileKind::CommonConfig,
    ];

    /// The slot in [`FileKind::STAMPED`], `None` for the MAC config and deck files.
    pub fn slot(self) -> Option<usize> {
        FileKind::STAMPED.iter().position(|&k| k == self)
    }

    /// The firmware image kind, for the three images.
    pub fn image(self) -> Option<board::image::Kind> {
        match self {
            FileKind::App => Some(board::image::Kind::App),
            FileKind::Dsp => Some(board::image::Kind::Dsp),
            FileKind::Boot => Some(board::image::Kind::Boot),
            _ => None,
        }
    }

    /// The INF key naming it; images have two (see [`crate::inf::Inf::image`]).
    pub fn key(self) -> Option<Key> {
        Some(match self {
            FileKind::App => Key::FwFilename,
            FileKind::Dsp => Key::DspFilename,
            FileKind::Boot => Key::BootFilename,
            FileKind::Melodies => Key::Melodies,
            FileKind::SystemMelodies => Key::SystemMelodies,
            FileKind::CallWaitingTone => Key::CallWaitingTone,
            FileKind::BeepTone => Key::BeepTone,
            FileKind::ToneTable => Key::ToneTable,
            FileKind::LanguageTable => Key::LanguageTable,
            FileKind::CertAps => Key::CertAps,
            FileKind::PkeyAps => Key::PkeyAps,
            FileKind::CalistAps => Key::CalistAps,
            FileKind::CertHttps => Key::CertHttps,
            FileKind::PkeyHttps => Key::PkeyHttps,
            FileKind::CalistHttps => Key::CalistHttps,
            FileKind::Telcfg => Key::Telcfg,
            FileKind::CommonConfig => Key::CommonConfig,
            FileKind::MacConfig | FileKind::DeckFile => return None,
        })
    }

    /// The kind an INF key names (`fwurl` and `fw_filename` both name the
    /// application); `None` for `config=`.
    pub fn from_key(key: Key) -> Option<FileKind> {
        Some(match key {
            Key::FwFilename | Key::FwUrl => FileKind::App,
            Key::DspFilename | Key::DspUrl => FileKind::Dsp,
            Key::BootFilename | Key::BootUrl => FileKind::Boot,
            Key::Config => return None,
            k => *FileKind::STAMPED.iter().find(|f| f.key() == Some(k))?,
        })
    }

    fn family(self) -> Family {
        match self {
            FileKind::App | FileKind::Dsp | FileKind::Boot => Family::Image,
            FileKind::Melodies | FileKind::SystemMelodies | FileKind::CallWaitingTone | FileKind::BeepTone | FileKind::ToneTable => {
                Family::Melody
            }
            FileKind::Telcfg => Family::Tel,
            FileKind::DeckFile => Family::Deck,
            _ => Family::Com,
        }
    }

    /// I6: the INF value cannot be fetched.
    pub fn wrong(self) -> Message {
        match self.family() {
            Family::Image => Message::WrongFirmware,
            Family::Melody => Message::WrongMelodyConfig,
            Family::Com => Message::WrongComConfig,
            Family::Tel => Message::WrongTelConfig,
            Family::Deck => Message::CorruptedDeckFiles,
        }
    }

    /// The server says the file is not there.
    pub fn not_found(self) -> Message {
        match self.family() {
            Family::Image => Message::FirmwareNotFound,
            Family::Melody => Message::MelodyCfgNotFound,
            Family::Com => Message::ComConfigNotFound,
            Family::Tel => Message::TelConfigNotFound,
            Family::Deck => Message::DeckFileNotFound,
        }
    }

    /// The file came but its content is not usable.
    pub fn corrupted(self) -> Message {
        match self.family() {
            Family::Image => Message::CorruptedFirmware,
            Family::Melody => Message::CorruptedMelodyFile,
            Family::Com => Message::CorruptedConfig,
            Family::Tel => Message::WrongTelConfig,
            Family::Deck => Message::XmlSyntaxError,
        }
    }

    /// The tag before a file name in the APS log (`CommonConfig: x.ser download successfully!`).
    pub fn tag(self) -> &'static str {
        match self {
            FileKind::App => "Firmware",
            FileKind::Dsp => "DspFirmware",
            FileKind::Boot => "BootFirmware",
            FileKind::Melodies => "Melody",
            FileKind::SystemMelodies => "SystemMelody",
            FileKind::CallWaitingTone => "CWTMelody",
            FileKind::BeepTone => "BeepTone",
            FileKind::ToneTable => "ToneTable",
            FileKind::LanguageTable => "LanguageTable",
            FileKind::CertAps => "CertSIPs",
            FileKind::PkeyAps => "PkeySIPs",
            FileKind::CalistAps => "CASIPs",
            FileKind::CertHttps => "CertHTTPs",
            FileKind::PkeyHttps => "PkeyHTTPs",
            FileKind::CalistHttps => "CAHTTPs",
            FileKind::Telcfg => "TelConfig",
            FileKind::CommonConfig => "CommonConfig",
            FileKind::MacConfig => "MacConfig",
            FileKind::DeckFile => "DeckFile",
        }
    }

    /// The words of `Begin … download...` in the APS log.
    pub fn title(self) -> &'static str {
        match self {
            FileKind::App => "Firmware",
            FileKind::Dsp => "DSP Firmware",
            FileKind::Boot => "Boot Firmware",
            FileKind::Melodies => "Melody",
            FileKind::SystemMelodies => "System Melody",
            FileKind::CallWaitingTone => "CWT Melody",
            FileKind::BeepTone => "Beep Tone",
            FileKind::ToneTable => "Tone Table",
            FileKind::LanguageTable => "Language Table",
            FileKind::CertAps => "Cert of SIPs",
            FileKind::PkeyAps => "Private Key of SIPs",
            FileKind::CalistAps => "CA of SIPs",
            FileKind::CertHttps => "Cert of HTTPs",
            FileKind::PkeyHttps => "Private Key of HTTPs",
            FileKind::CalistHttps => "CA of HTTPs",
            FileKind::Telcfg => "Tel Config",
            FileKind::CommonConfig => "Common Config",
            FileKind::MacConfig => "Mac config",
            FileKind::DeckFile => "Deck File",
        }
    }

    /// The words of `AES decrypt … file successfully!`.
    pub fn decrypt_name(self) -> &'static str {
        match self {
            FileKind::MacConfig => "mac",
            _ => "common config",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamped_slots_are_distinct_and_skip_mac_and_decks() {
        for (i, k) in FileKind::STAMPED.iter().enumerate() {
            assert_eq!(k.slot(), Some(i));
            assert!(k.key().is_some());
        }
        for &k in Key::ALL {
            assert_eq!(FileKind::from_key(k).is_none(), k == Key::Config, "{k:?}");
        }
        assert_eq!(FileKind::from_key(Key::DspUrl), Some(FileKind::Dsp));
        assert_eq!(FileKind::MacConfig.slot(), None);
        assert_eq!(FileKind::DeckFile.slot(), None);
    }

    #[test]
    fn l2_messages_per_family() {
        assert_eq!(FileKind::Dsp.not_found(), Message::FirmwareNotFound);
        assert_eq!(FileKind::Boot.wrong(), Message::WrongFirmware);
        assert_eq!(FileKind::BeepTone.corrupted(), Message::CorruptedMelodyFile);
        assert_eq!(FileKind::Telcfg.corrupted(), Message::WrongTelConfig);
        assert_eq!(FileKind::Telcfg.not_found(), Message::TelConfigNotFound);
        assert_eq!(FileKind::CommonConfig.wrong(), Message::WrongComConfig);
        assert_eq!(FileKind::DeckFile.corrupted(), Message::XmlSyntaxError);
        assert_eq!(FileKind::DeckFile.wrong(), Message::CorruptedDeckFiles);
        assert_eq!(FileKind::CalistHttps.not_found(), Message::ComConfigNotFound);
    }
}
