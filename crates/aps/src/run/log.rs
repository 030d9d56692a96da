//! The APS log lines of a run (F12), worded as the vendor document's log
//! (section 6: `Begin Common Config download...`, `AES decrypt common config
//! file successfully!`, `Serial number is the same!`, …) and, for what the
//! document does not show, in the same style.
//!
//! A line is a small value borrowing names from the INF; its text comes from
//! `Display` (ISO-8859-1 bytes of names shown as the same code points), so
//! the firmware writes it straight to the log without a buffer here.
//!
//! Guarantees: formatting never panics; a line is at most one INF value
//! (255 bytes) plus about 100 bytes of words.

use super::kind::FileKind;
use super::xml::XmlError;
use crate::config::ConfigError;
use crate::inf::{IgnoredWhy, InfError, ProvisionMode, Unusable};
use crate::lcd::Message;
use crate::names::NAME_LEN;
use crate::run::content::{MelodyError, TelcfgError};
use crate::ser::SerError;
use board::image::{ImageError, Version};
use board::model::{Model, Protocol};
use core::fmt;
use heapless::String;

/// A file name: an INF value or one the phone builds (`ST2030S_<MAC>.ser`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Name<'a> {
    Inf(&'a [u8]),
    Built(String<NAME_LEN>),
}

impl Name<'_> {
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Name::Inf(b) => b,
            Name::Built(s) => s.as_bytes(),
        }
    }
}

/// ISO-8859-1 bytes as text.
pub struct Latin1<'b>(pub &'b [u8]);

impl fmt::Display for Latin1<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|&b| fmt::Write::write_char(f, char::from(b)))
    }
}

impl fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Latin1(self.as_bytes()).fmt(f)
    }
}

/// Why a firmware image was refused (F2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageProblem {
    /// Fewer than a header's bytes arrived, or none were shown to the run.
    NoHeader,
    Header(ImageError),
    /// Built for another model (`Wrong Firmware`).
    WrongModel(Model),
    /// An image of another kind (a DSP image under `fwurl`).
    WrongKind(board::image::Kind),
    /// The length received differs from the header's.
    Length {
        expected: u32,
        got: u32,
    },
    /// Longer than the space it goes to.
    TooLarge(u32),
    BadCrc,
}

/// Why a text file's content was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentError {
    Melody(MelodyError),
    Telcfg(TelcfgError),
    Xml(XmlError),
    Config(ConfigError),
    Decrypt(SerError),
    /// The caller reported a RAM fetch without its bytes.
    NoContent,
}

/// Why the run reboots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RebootReason {
    /// F3: onto the firmware just installed; the run resumes after it.
    FirmwareUpdated,
    /// F9: something was installed.
    Provisioned,
}

/// One APS log line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogLine<'a> {
    Start {
        model: Model,
        mode: ProvisionMode,
        resumed: bool,
    },
    InfUnreadable(InfError),
    InfIgnored {
        line: u32,
        name: &'a [u8],
        why: IgnoredWhy,
    },
    InfIgnoredMore(u32),
    NotForProtocol {
        line: u32,
        key: &'static str,
        protocol: Protocol,
    },
    Unusable {
        kind: FileKind,
        line: u32,
        why: Unusable,
    },
    Same(FileKind, Name<'a>),
    Begin(FileKind),
    Downloaded(FileKind, Name<'a>),
    Decrypted(FileKind),
    NotFound(FileKind, Name<'a>),
    /// F7: no MAC file of that name; normal.
    MacMissing(Name<'a>),
    Unreachable(FileKind, Name<'a>),
    ServerError(FileKind, Name<'a>),
    TooLarge(FileKind, Name<'a>),
    Image(FileKind, ImageProblem),
    ImageChecked(FileKind, Version),
    Content(FileKind, ContentError),
    /// The vendor's line for a MAC file that does not parse or has no `config_sn`.
    ParseFailedOrNoSn,
    SerialSame,
    SerialDiffers,
    BeginUpgradeConfig,
    CheckSyntax,
    CheckSyntaxOk,
    UpgradeConfigOk,
    FactoryProfile,
    Upgraded(FileKind),
    WriteFailed(FileKind),
    Reboot(RebootReason),
    Finished {
        installed_anything: bool,
    },
    Failed(Message, Version),
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContentError::Melody(e) => e.fmt(f),
            ContentError::Telcfg(e) => e.fmt(f),
            ContentError::Xml(e) => e.fmt(f),
            ContentError::Config(e) => e.fmt(f),
            ContentError::Decrypt(e) => e.fmt(f),
            ContentError::NoContent => f.write_str("no content received"),
        }
    }
}

impl fmt::Display for ImageProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageProblem::NoHeader => f.write_str("no image header"),
            ImageProblem::Header(e) => write!(f, "bad image header ({e:?})"),
            ImageProblem::WrongModel(m) => write!(f, "image is for {m}"),
            ImageProblem::WrongKind(k) => write!(f, "image is a {} image", k.name()),
            ImageProblem::Length { expected, got } => write!(f, "{got} bytes received, {expected} expected"),
            ImageProblem::TooLarge(n) => write!(f, "image of {n} bytes does not fit"),
            ImageProblem::BadCrc => f.write_str("payload CRC mismatch"),
        }
    }
}

fn mode_name(m: ProvisionMode) -> &'static str {
    match m {
        ProvisionMode::AutoProvisioning => "auto_provisioning",
        ProvisionMode::Customization => "customization",
    }
}

impl fmt::Display for LogLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use LogLine as L;
        match self {
            L::Start { model, mode, resumed: false } => write!(f, "Begin auto provisioning ({model}, {})...", mode_name(*mode)),
            L::Start { model, mode, resumed: true } => {
                write!(f, "Resume auto provisioning after firmware upgrade ({model}, {})...", mode_name(*mode))
            }
            L::InfUnreadable(e) => write!(f, "Error: {e}"),
            L::InfIgnored { line, name, why } => match why {
                IgnoredWhy::UnknownSection => write!(f, "INF line {line}: unknown section [{}] ignored", Latin1(name)),
                IgnoredWhy::UnknownKey => write!(f, "INF line {line}: unknown key {} ignored", Latin1(name)),
                IgnoredWhy::BadProvisionMode => write!(f, "INF line {line}: bad provision_mode value ignored"),
            },
            L::InfIgnoredMore(n) => write!(f, "INF: {n} more lines ignored"),
            L::NotForProtocol { line, key, protocol } => {
                write!(f, "INF line {line}: {key} is not used by {} phones, ignored", protocol.name())
            }
            L::Unusable { kind, line, why } => write!(f, "Error: INF line {line}: {} value unusable: {why}", kind.tag()),
            L::Same(k, n) => write!(f, "{}: {n} is the same!", k.tag()),
            L::Begin(k) => write!(f, "Begin {} download...", k.title()),
            L::Downloaded(k, n) => write!(f, "{}: {n} download successfully!", k.tag()),
            L::Decrypted(k) => write!(f, "AES decrypt {} file successfully!", k.decrypt_name()),
            L::NotFound(k, n) => write!(f, "Error: {}: {n} not found!", k.tag()),
            L::MacMissing(n) => write!(f, "MacConfig: {n} not found on server"),
            L::Unreachable(k, n) => write!(f, "Error: {}: {n} server unreachable!", k.tag()),
            L::ServerError(k, n) => write!(f, "Error: {}: {n} server error!", k.tag()),
            L::TooLarge(k, n) => write!(f, "Error: {}: {n} too large!", k.tag()),
            L::Image(k, p) => write!(f, "Error: {}: {p}", k.tag()),
            L::ImageChecked(k, v) => write!(f, "{}: image v{}.{:02}.{} check successfully!", k.tag(), v.major, v.minor, v.patch),
            L::Content(FileKind::MacConfig | FileKind::CommonConfig, ContentError::Config(e)) => {
                write!(f, "Error: Config file format error: {e}")
            }
            L::Content(k, ContentError::Decrypt(e)) => write!(f, "Error: AES decrypt {} file failed: {e}", k.decrypt_name()),
            L::Content(k, e) => write!(f, "Error: {}: format error: {e}", k.tag()),
            L::ParseFailedOrNoSn => f.write_str("Error: Parse config file failed or config_sn tag not found!"),
            L::SerialSame => f.write_str("Serial number is the same!"),
            L::SerialDiffers => f.write_str("Serial number is different!"),
            L::BeginUpgradeConfig => f.write_str("Begin upgrading config file..."),
            L::CheckSyntax => f.write_str("Check config file syntax"),
            L::CheckSyntaxOk => f.write_str("Check config file syntax successfully!"),
            L::UpgradeConfigOk => f.write_str("Upgrading config file successfully!"),
            L::FactoryProfile => f.write_str("Customization: config stored as factory profile"),
            L::Upgraded(k) => write!(f, "Upgrading {} successfully!", k.title()),
            L::WriteFailed(k) => write!(f, "Error: writing {} to flash failed!", k.title()),
            L::Reboot(RebootReason::FirmwareUpdated) => f.write_str("Reboot to run the new firmware..."),
            L::Reboot(RebootReason::Provisioned) => f.write_str("Reboot to apply the upgrade..."),
            L::Finished { installed_anything: false } => f.write_str("Auto provisioning done, nothing to upgrade"),
            L::Finished { installed_anything: true } => f.write_str("Auto provisioning done"),
            L::Failed(m, v) => write!(f, "Auto provisioning failed: {} (still using v{}.{:02})", m.text(), v.major, v.minor),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(l: LogLine<'_>) -> std::string::String {
        l.to_string()
    }

    #[test]
    fn vendor_wording() {
        let n = Name::Inf(b"ComConf2030SG.R11.1.090213.2.67.1.ser");
        assert_eq!(text(LogLine::Begin(FileKind::CommonConfig)), "Begin Common Config download...");
        assert_eq!(text(LogLine::Decrypted(FileKind::CommonConfig)), "AES decrypt common config file successfully!");
        assert_eq!(
            text(LogLine::Downloaded(FileKind::CommonConfig, n)),
            "CommonConfig: ComConf2030SG.R11.1.090213.2.67.1.ser download successfully!"
        );
        assert_eq!(text(LogLine::Begin(FileKind::MacConfig)), "Begin Mac config download...");
        let mac = Name::Built(String::try_from("ST2030S_00147F00DFE4.ser").unwrap());
        assert_eq!(text(LogLine::Downloaded(FileKind::MacConfig, mac)), "MacConfig: ST2030S_00147F00DFE4.ser download successfully!");
        assert_eq!(text(LogLine::Decrypted(FileKind::MacConfig)), "AES decrypt mac file successfully!");
        assert_eq!(text(LogLine::SerialSame), "Serial number is the same!");
        assert_eq!(text(LogLine::BeginUpgradeConfig), "Begin upgrading config file...");
        assert_eq!(text(LogLine::CheckSyntax), "Check config file syntax");
        assert_eq!(text(LogLine::CheckSyntaxOk), "Check config file syntax successfully!");
        assert_eq!(text(LogLine::UpgradeConfigOk), "Upgrading config file successfully!");
        assert_eq!(text(LogLine::ParseFailedOrNoSn), "Error: Parse config file failed or config_sn tag not found!");
    }

    #[test]
    fn latin1_names_and_errors() {
        assert_eq!(text(LogLine::Same(FileKind::Melodies, Name::Inf(b"sonnerie_\xE9t\xE9.txt"))), "Melody: sonnerie_été.txt is the same!");
        assert_eq!(
            text(LogLine::Content(FileKind::MacConfig, ContentError::Decrypt(SerError::BadPadding))),
            "Error: AES decrypt mac file failed: bad padding (wrong key?)"
        );
        let m = Model::parse("ST2022S").unwrap();
        assert_eq!(text(LogLine::Image(FileKind::App, ImageProblem::WrongModel(m))), "Error: Firmware: image is for ST2022S");
        assert_eq!(
            text(LogLine::Failed(Message::CorruptedConfig, Version { major: 2, minor: 7, patch: 0 })),
            "Auto provisioning failed: Corrupted Config (still using v2.07)"
        );
    }
}
