//! What a run asks of the firmware, and what the firmware tells it back.
//!
//! The protocol, one pending request at a time:
//! - [`Action::Fetch`] → [`crate::run::Run::report`] with a [`FetchResult`].
//!   For an image ([`Sink::Slot`], [`Sink::Files`] of an image kind) the
//!   firmware also calls [`crate::run::Run::image_header`] with the first
//!   [`board::image::HEADER_LEN`] bytes as soon as it has them, and aborts
//!   the transfer when that returns `false`.
//! - [`Action::CheckImage`] → [`crate::run::Run::image_complete`] with
//!   whether the payload CRC over what was written matches.
//! - [`Action::Install`] and [`Action::ApplyConfig`] →
//!   [`crate::run::Run::committed`] with whether the flash write succeeded.
//! - [`Action::Save`]: persist [`crate::run::Run::installed`] now (the run
//!   asks after every change, so a power cut loses at most the last file).
//! - [`Action::Log`], [`Action::Lcd`]: do it; no answer.
//! - [`Action::Reboot`], [`Action::Done`], [`Action::Failed`] end the run and
//!   are repeated by every later poll.
//! - [`Action::Wait`]: a request is pending.

use super::kind::FileKind;
use super::log::{LogLine, Name, RebootReason};
use crate::lcd::{self, COLUMNS, Message};
use crate::url::{Host, Resolved};
use board::image::{Header, Version};
use heapless::String;

/// A RAM buffer of the firmware.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Buf {
    /// Holds the common config until [`Action::ApplyConfig`].
    Common,
    /// Holds the MAC config until [`Action::ApplyConfig`].
    Mac,
    /// Holds one other file until its [`Action::Install`].
    File,
}

/// Where fetched bytes go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sink {
    /// The inactive firmware slot (application image), streamed.
    Slot,
    /// The file store, streamed, not yet visible until [`Action::Install`].
    Files(FileKind),
    /// A RAM buffer; the bytes are reported with [`FetchResult::Data`].
    Ram(Buf),
}

/// Where a file is.
// The HTTP variant carries its resolved path inline (no allocator); a
// location is built once per fetch and never stored by the run.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location<'a> {
    /// On the TFTP server the INF came from; the name as the INF wrote it
    /// (absolute or relative, `\` or `/`) or as the phone built it.
    Tftp { server: Host<'a>, port: u16, name: Name<'a> },
    /// An absolute URL (HTTP values resolved against the INF's URL, I4).
    Http(Resolved<'a>),
}

/// One file to fetch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetch<'a> {
    pub kind: FileKind,
    pub location: Location<'a>,
    pub into: Sink,
}

/// How a fetch ended.
#[derive(Debug, PartialEq, Eq)]
pub enum FetchResult<'b> {
    /// A streamed file ([`Sink::Slot`], [`Sink::Files`]) of `len` bytes.
    Streamed { len: u32 },
    /// A [`Sink::Ram`] file: exactly the bytes received. A `.ser` file is
    /// decrypted in place; the plaintext stays at the start of the buffer.
    Data(&'b mut [u8]),
    /// TFTP "file not found", HTTP 404/410.
    NotFound,
    /// No answer, connection refused, DNS failure, timeout.
    Unreachable,
    /// Any other error from the server (HTTP 5xx, 403, a TFTP error).
    ServerError,
    /// Larger than the buffer or space it goes to.
    TooLarge,
}

/// The configs to write in one batch (F8): the entries are
/// [`crate::run::apply_entries`] of the two buffers' first `len` bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Apply {
    /// Plaintext length in [`Buf::Common`], when the common config is applied.
    pub common: Option<usize>,
    /// Plaintext length in [`Buf::Mac`], when the MAC config is applied.
    pub mac: Option<usize>,
    /// I2 (customization mode): also store the result as the factory profile.
    pub factory: bool,
}

/// What lines 3–5 of the LCD show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    /// L1: `Provisioning...` / `Please Wait...`; the system LED blinks red fast.
    Provisioning,
    /// L2: the error, `Still using vX.YY`, `Please contact admin`; the LED
    /// blinks fast; L3: back to normal on any key, off-hook or incoming call.
    Error { message: Message, running: Version },
    /// The run ended well: the normal idle screen.
    Normal,
}

impl Screen {
    /// (line, text) for each line the screen sets; empty for [`Screen::Normal`].
    pub fn lines(&self) -> heapless::Vec<(u8, String<COLUMNS>), 3> {
        let mut out = heapless::Vec::new();
        let text = |m: Message| {
            let mut s = String::new();
            // Cannot fail: every message fits the LCD (lcd tests).
            let _ = s.push_str(m.text());
            (m.line(), s)
        };
        match *self {
            Screen::Provisioning => {
                let _ = out.push(text(Message::Provisioning));
                let _ = out.push(text(Message::PleaseWait));
            }
            Screen::Error { message, running } => {
                for l in lcd::error_screen(message, running) {
                    let _ = out.push(l);
                }
            }
            Screen::Normal => {}
        }
        out
    }
}

/// What the run asks for next.
// Large only for `Fetch` (an inline URL path); returned by value, never stored.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action<'a> {
    Lcd(Screen),
    Log(LogLine<'a>),
    Fetch(Fetch<'a>),
    /// Verify the payload CRC of the image just streamed; answer with
    /// [`crate::run::Run::image_complete`].
    CheckImage {
        kind: FileKind,
        header: Header,
    },
    /// Make the file fetched into `from` the installed one of `kind` (`len`
    /// bytes; for [`Buf::File`] the buffer's first `len` bytes). `name` is
    /// the INF value (deck files are stored under it). Answer with
    /// [`crate::run::Run::committed`].
    Install {
        kind: FileKind,
        name: &'a [u8],
        from: Sink,
        len: u32,
    },
    /// Write the configs; answer with [`crate::run::Run::committed`].
    ApplyConfig(Apply),
    /// Persist [`crate::run::Run::installed`].
    Save,
    /// A request is pending.
    Wait,
    Reboot(RebootReason),
    Done {
        installed_anything: bool,
    },
    Failed {
        message: Message,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn screens() {
        let got = |s: Screen| s.lines().iter().map(|(l, t)| (*l, t.as_str().to_owned())).collect::<Vec<_>>();
        assert_eq!(got(Screen::Provisioning), [(3, "Provisioning...".to_owned()), (4, "Please Wait...".to_owned())]);
        let e = Screen::Error { message: Message::WrongTelConfig, running: Version { major: 2, minor: 67, patch: 0 } };
        assert_eq!(
            got(e),
            [(3, "Wrong Tel Config".to_owned()), (4, "Still using v2.67".to_owned()), (5, "Please contact admin".to_owned())]
        );
        assert!(got(Screen::Normal).is_empty());
    }
}
