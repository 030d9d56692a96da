//! The provisioning run as a sans-I/O state machine (CONFORMANCE F1–F12,
//! E1, E2, I2, I5, I6, L1–L3).
//!
//! The firmware creates a [`Run`] once it holds the INF, then loops:
//! `match run.poll(now) { … }`, doing what each [`Action`] says and
//! answering as the protocol in [`super::action`] describes. The run walks
//! the protocol's [`super::plan`]; per file it compares the INF value with
//! [`Installed`], fetches, checks, installs, and asks for [`Action::Save`]
//! after every change. The first error ends the run with the L2 screen;
//! nothing after it is fetched.
//!
//! Guarantees: no allocation, no panic, no clock. The run keeps the INF
//! *text* and re-parses it per step (an INF is a few hundred bytes; its
//! parse is ~1.7 KiB, more than the rest of the run). Every call to `poll`
//! does a bounded amount of work (at most [`MAX_ITERATIONS`] internal steps)
//! and a run issues at most one request per plan step and deck file, so it
//! always ends. Answers that do not match the pending request are ignored.

use super::action::{Action, Apply, Buf, Fetch, FetchResult, Screen, Sink};
use super::content;
use super::installed::{Installed, Stamp};
use super::kind::FileKind;
use super::locate::{self, Origin};
use super::log::{ContentError, ImageProblem, LogLine, Name, RebootReason};
use super::plan::{self, Step};
use super::xml;
use crate::config::Config;
use crate::inf::{Field, Inf, InfError, Key, ProvisionMode, Unusable, Value};
use crate::lcd::Message;
use crate::names::{self, Mac};
use crate::ser::{self, KEY_LEN};
use crate::source::Transport;
use crate::time::Instant;
use board::image::{HEADER_LEN, Header, Version};
use board::map::{FLASH_PAGE, SLOT_LEN};
use board::model::{Model, Protocol};
use heapless::Deque;

/// The phone facts a run needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Phone {
    pub model: Model,
    pub mac: Mac,
    /// The running firmware's version (`Still using vX.YY`).
    pub running: Version,
    /// The configured `Decryption_Key` (E1; [`ser::DEFAULT_KEY`] unless set).
    pub key: [u8; KEY_LEN],
}

/// The most internal steps one `poll` takes before it must return.
pub const MAX_ITERATIONS: usize = 64;
/// Pending log and LCD outputs: the most one step pushes (a MAC file that
/// does not parse: four log lines, the failure line, the error screen).
const QUEUE: usize = 6;
/// The largest application image payload a slot holds.
const MAX_APP_PAYLOAD: u32 = SLOT_LEN - HEADER_LEN as u32 - FLASH_PAGE;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Out<'a> {
    Log(LogLine<'a>),
    Lcd(Screen),
    Save,
}

/// What a fetch is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    File(FileKind),
    MacSer,
    MacTxt,
    Deck(u8),
}

impl Target {
    fn kind(self) -> FileKind {
        match self {
            Target::File(k) => k,
            Target::MacSer | Target::MacTxt => FileKind::MacConfig,
            Target::Deck(_) => FileKind::DeckFile,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Start,
    /// I5: the n-th line about ignored INF content.
    Intro(u8),
    /// Decide the current plan step.
    Ready,
    /// Emit the fetch, then await its report.
    Fetch(Target),
    AwaitFetch(Target),
    Check(FileKind, Header),
    AwaitCheck(FileKind, Header),
    Install(Target, Sink, u32),
    AwaitInstall(Target),
    Apply(Apply),
    AwaitApply(Apply),
    End(End),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    Reboot(RebootReason),
    Done,
    Failed(Message),
}

/// One provisioning run; see the module documentation.
#[derive(Clone, Debug)]
pub struct Run<'a> {
    phone: Phone,
    origin: Origin<'a>,
    inf_text: &'a [u8],
    inf_error: Option<InfError>,
    mode: ProvisionMode,
    installed: Installed,
    resumed: bool,
    started: Option<Instant>,
    phase: Phase,
    pc: u8,
    deck: u8,
    queue: Deque<Out<'a>, QUEUE>,
    header: Option<Header>,
    installed_anything: bool,
    images_installed: bool,
    /// Plaintext length in [`Buf::Common`] when a new common config came.
    common: Option<usize>,
    /// Plaintext length in [`Buf::Mac`] and its `config_sn`.
    mac: Option<(usize, Stamp)>,
}

fn transport(o: &Origin<'_>) -> Transport {
    if o.is_http() { Transport::Http } else { Transport::Tftp }
}

fn sink(kind: FileKind) -> Sink {
    match kind {
        FileKind::App => Sink::Slot,
        FileKind::Melodies | FileKind::SystemMelodies | FileKind::CallWaitingTone | FileKind::Telcfg | FileKind::DeckFile => {
            Sink::Ram(Buf::File)
        }
        FileKind::CommonConfig => Sink::Ram(Buf::Common),
        FileKind::MacConfig => Sink::Ram(Buf::Mac),
        k => Sink::Files(k),
    }
}

fn is_ser(name: &[u8]) -> bool {
    name.len() >= 4 && name[name.len() - 4..].eq_ignore_ascii_case(b".ser")
}

impl<'a> Run<'a> {
    /// A run over the INF `inf` fetched from `origin`. `resumed`: this run
    /// follows the reboot onto firmware the previous run installed (F3).
    pub fn new(phone: Phone, origin: Origin<'a>, inf: &'a [u8], installed: Installed, resumed: bool) -> Run<'a> {
        let (mode, inf_error) = match Inf::parse(inf) {
            Ok(i) => (i.mode, None),
            Err(e) => (ProvisionMode::default(), Some(e)),
        };
        Run {
            phone,
            origin,
            inf_text: inf,
            inf_error,
            mode,
            installed,
            resumed,
            started: None,
            phase: Phase::Start,
            pc: 0,
            deck: 0,
            queue: Deque::new(),
            header: None,
            installed_anything: false,
            images_installed: false,
            common: None,
            mac: None,
        }
    }

    /// The provisioning state to persist on [`Action::Save`] (and to pass
    /// to the next run).
    pub fn installed(&self) -> &Installed {
        &self.installed
    }

    /// When the first `poll` happened.
    pub fn started_at(&self) -> Option<Instant> {
        self.started
    }

    /// True once the run ended (reboot, done or failed).
    pub fn is_finished(&self) -> bool {
        self.queue.is_empty() && matches!(self.phase, Phase::End(_))
    }

    /// `Some(ZERO)` when `poll` has something to do now, `None` while a
    /// request is pending or once the run ended (the run has no timer).
    pub fn poll_at(&self) -> Option<Instant> {
        let busy = !self.queue.is_empty()
            || !matches!(
                self.phase,
                Phase::AwaitFetch(_) | Phase::AwaitCheck(..) | Phase::AwaitInstall(_) | Phase::AwaitApply(_) | Phase::End(_)
            );
        busy.then_some(Instant::ZERO)
    }

    /// The next thing to do.
    pub fn poll(&mut self, now: Instant) -> Action<'a> {
        self.started.get_or_insert(now);
        for _ in 0..MAX_ITERATIONS {
            if let Some(out) = self.queue.pop_front() {
                return match out {
                    Out::Log(l) => Action::Log(l),
                    Out::Lcd(s) => Action::Lcd(s),
                    Out::Save => Action::Save,
                };
            }
            if let Some(a) = self.step() {
                return a;
            }
        }
        // Unreachable for any plan (each step returns or advances), kept
        // so `poll` is bounded by construction.
        Action::Wait
    }

    fn out(&mut self, o: Out<'a>) {
        // The queue is drained before each step, and no step pushes more
        // than `QUEUE` items; a full queue would only drop a log line.
        let _ = self.queue.push_back(o);
    }

    fn log(&mut self, l: LogLine<'a>) {
        self.out(Out::Log(l));
    }

    fn inf(&self) -> Option<Inf<'a>> {
        Inf::parse(self.inf_text).ok()
    }

    fn protocol(&self) -> Protocol {
        self.phone.model.protocol
    }

    fn fail(&mut self, m: Message) {
        self.log(LogLine::Failed(m, self.phone.running));
        self.out(Out::Lcd(Screen::Error { message: m, running: self.phone.running }));
        self.phase = Phase::End(End::Failed(m));
    }

    fn reboot(&mut self, r: RebootReason) {
        self.log(LogLine::Reboot(r));
        self.phase = Phase::End(End::Reboot(r));
    }

    fn next_step(&mut self) {
        self.pc = self.pc.saturating_add(1);
        self.phase = Phase::Ready;
    }

    /// F5: the firmware changed since the last telcfg.
    fn firmware_changed(&self) -> bool {
        self.images_installed || self.resumed || self.installed.telcfg_due
    }

    /// One internal step: pushes outputs and/or returns an action.
    fn step(&mut self) -> Option<Action<'a>> {
        match self.phase {
            Phase::Start => {
                self.out(Out::Lcd(Screen::Provisioning));
                self.log(LogLine::Start { model: self.phone.model, mode: self.mode, resumed: self.resumed });
                match self.inf_error {
                    Some(e) => {
                        // **Decision:** an INF that is not INI text (an HTML
                        // page served with 200) counts as no INF.
                        self.log(LogLine::InfUnreadable(e));
                        self.fail(Message::GenFileNotFound);
                    }
                    None => self.phase = Phase::Intro(0),
                }
                None
            }
            Phase::Intro(i) => {
                self.intro(i);
                None
            }
            Phase::Ready => {
                self.ready();
                None
            }
            Phase::Fetch(t) => Some(self.fetch(t)),
            Phase::Check(kind, header) => {
                self.phase = Phase::AwaitCheck(kind, header);
                Some(Action::CheckImage { kind, header })
            }
            Phase::Install(t, from, len) => {
                let name = self.target_value(t).unwrap_or(&[]);
                self.phase = Phase::AwaitInstall(t);
                Some(Action::Install { kind: t.kind(), name, from, len })
            }
            Phase::Apply(a) => {
                self.phase = Phase::AwaitApply(a);
                Some(Action::ApplyConfig(a))
            }
            Phase::AwaitFetch(_) | Phase::AwaitCheck(..) | Phase::AwaitInstall(_) | Phase::AwaitApply(_) => Some(Action::Wait),
            Phase::End(End::Reboot(r)) => Some(Action::Reboot(r)),
            Phase::End(End::Done) => Some(Action::Done { installed_anything: self.installed_anything }),
            Phase::End(End::Failed(message)) => Some(Action::Failed { message }),
        }
    }

    /// I5: the ignored INF lines, then the keys of the other protocol.
    fn intro(&mut self, i: u8) {
        let Some(inf) = self.inf() else {
            self.phase = Phase::Ready;
            return;
        };
        let ignored = inf.ignored();
        let n = usize::from(i);
        self.phase = Phase::Intro(i.saturating_add(1));
        if let Some(ig) = ignored.get(n) {
            self.log(LogLine::InfIgnored { line: ig.line, name: ig.name, why: ig.why });
            return;
        }
        let more = inf.ignored_total().saturating_sub(ignored.len() as u32);
        if n == ignored.len() && more > 0 {
            self.log(LogLine::InfIgnoredMore(more));
            return;
        }
        // One pass over the keys (bounded by their count), then the plan.
        let protocol = self.protocol();
        for &key in Key::ALL {
            if let (Some(kind), Some(f)) = (FileKind::from_key(key), inf.get(key))
                && !plan::uses(protocol, kind)
            {
                self.log(LogLine::NotForProtocol { line: f.line, key: key.name(), protocol });
            }
            if self.queue.is_full() {
                break;
            }
        }
        if !plan::uses(protocol, FileKind::DeckFile)
            && let Some(d) = inf.deckfiles().first()
        {
            self.log(LogLine::NotForProtocol { line: d.line, key: "deckfile", protocol });
        }
        self.phase = Phase::Ready;
    }

    /// The INF field of a file kind (images: the transport's key first).
    fn field(&self, inf: &Inf<'a>, kind: FileKind) -> Option<Field<'a>> {
        match kind.image() {
            Some(img) => inf.image(img, transport(&self.origin)).map(|(_, f)| *f),
            None => kind.key().and_then(|k| inf.get(k).copied()),
        }
    }

    /// The INF value a target was fetched from (deck files, stamped kinds).
    fn target_value(&self, t: Target) -> Option<&'a [u8]> {
        let inf = self.inf()?;
        match t {
            Target::File(k) => self.field(&inf, k)?.usable(),
            Target::Deck(i) => inf.deckfiles().get(usize::from(i))?.usable(),
            Target::MacSer | Target::MacTxt => None,
        }
    }

    fn mac_name(&self, t: Target) -> Name<'a> {
        let (model, mac) = (self.phone.model, self.phone.mac);
        Name::Built(if t == Target::MacSer { names::mac_config_ser(model, mac) } else { names::mac_config_txt(model, mac) })
    }

    fn target_name(&self, t: Target) -> Name<'a> {
        match t {
            Target::MacSer | Target::MacTxt => self.mac_name(t),
            _ => Name::Inf(self.target_value(t).unwrap_or(&[])),
        }
    }

    /// Decides the current plan step.
    fn ready(&mut self) {
        let steps = plan::plan(self.protocol());
        let Some(&step) = steps.get(usize::from(self.pc)) else {
            self.log(LogLine::Finished { installed_anything: self.installed_anything });
            self.out(Out::Lcd(Screen::Normal));
            self.phase = Phase::End(End::Done);
            return;
        };
        let Some(inf) = self.inf() else {
            self.fail(Message::GenFileNotFound);
            return;
        };
        match step {
            Step::File(kind) => match self.field(&inf, kind) {
                None => self.next_step(),
                Some(Field { line, value: Value::Unusable(why) }) => self.unusable(kind, line, why),
                Some(Field { line, value: Value::Usable(v) }) => {
                    let telcfg_forced = kind == FileKind::Telcfg && self.firmware_changed();
                    if self.installed.is_same(kind, v) && !telcfg_forced {
                        self.log(LogLine::Same(kind, Name::Inf(v)));
                        self.next_step();
                    } else if let Err(e) = locate::file(&self.origin, v) {
                        self.unusable(kind, line, Unusable::BadUrl(e));
                    } else {
                        self.log(LogLine::Begin(kind));
                        self.header = None;
                        self.phase = Phase::Fetch(Target::File(kind));
                    }
                }
            },
            Step::AfterImages => {
                if self.images_installed && (self.origin.is_http() || self.protocol() == Protocol::Mgcp) {
                    self.reboot(RebootReason::FirmwareUpdated);
                } else {
                    self.next_step();
                }
            }
            Step::MacConfig => {
                self.log(LogLine::Begin(FileKind::MacConfig));
                self.phase = Phase::Fetch(Target::MacSer);
            }
            Step::Apply => self.apply(),
            Step::Finish => {
                if self.installed_anything {
                    self.reboot(RebootReason::Provisioned);
                } else {
                    self.next_step();
                }
            }
            Step::Decks => match inf.deckfiles().get(usize::from(self.deck)) {
                None => self.next_step(),
                Some(Field { line, value: Value::Unusable(why) }) => self.unusable(FileKind::DeckFile, *line, *why),
                Some(Field { line, value: Value::Usable(v) }) => {
                    if let Err(e) = locate::file(&self.origin, v) {
                        self.unusable(FileKind::DeckFile, *line, Unusable::BadUrl(e));
                    } else {
                        self.log(LogLine::Begin(FileKind::DeckFile));
                        self.phase = Phase::Fetch(Target::Deck(self.deck));
                    }
                }
            },
        }
    }

    /// I6: a value that cannot be fetched.
    fn unusable(&mut self, kind: FileKind, line: u32, why: Unusable) {
        self.log(LogLine::Unusable { kind, line, why });
        self.fail(kind.wrong());
    }

    fn fetch(&mut self, t: Target) -> Action<'a> {
        let kind = t.kind();
        let location = match t {
            Target::MacSer | Target::MacTxt => {
                let config_dir = self.inf().and_then(|i| i.get(Key::Config).copied());
                let dir = match config_dir {
                    Some(Field { line, value: Value::Unusable(why) }) => {
                        self.unusable(FileKind::CommonConfig, line, why);
                        return Action::Wait;
                    }
                    Some(f) => f.usable(),
                    None => None,
                };
                let Name::Built(name) = self.mac_name(t) else { return Action::Wait };
                locate::mac_file(&self.origin, dir, &name)
            }
            _ => locate::file(&self.origin, self.target_value(t).unwrap_or(&[])),
        };
        match location {
            Ok(location) => {
                self.phase = Phase::AwaitFetch(t);
                Action::Fetch(Fetch { kind, location, into: sink(kind) })
            }
            Err(e) => {
                self.unusable(kind, 0, Unusable::BadUrl(e));
                Action::Wait
            }
        }
    }

    /// The bytes of an image header, while an image is being fetched.
    /// Returns `false` when the transfer must be aborted (the run has then
    /// failed with `Wrong Firmware` or `Corrupted Firmware`).
    pub fn image_header(&mut self, bytes: &[u8]) -> bool {
        let Phase::AwaitFetch(Target::File(kind)) = self.phase else { return false };
        let Some(img) = kind.image() else { return false };
        let problem = match Header::decode(bytes) {
            Err(e) => ImageProblem::Header(e),
            Ok(h) => {
                let model = Model { hardware: h.hardware, protocol: h.protocol };
                if model != self.phone.model {
                    ImageProblem::WrongModel(model)
                } else if h.kind != img {
                    ImageProblem::WrongKind(h.kind)
                } else if kind == FileKind::App && h.payload_len > MAX_APP_PAYLOAD {
                    ImageProblem::TooLarge(h.payload_len)
                } else {
                    self.header = Some(h);
                    return true;
                }
            }
        };
        self.image_failed(kind, problem);
        false
    }

    fn image_failed(&mut self, kind: FileKind, p: ImageProblem) {
        self.log(LogLine::Image(kind, p));
        let m = match p {
            ImageProblem::WrongModel(_) | ImageProblem::WrongKind(_) => Message::WrongFirmware,
            _ => Message::CorruptedFirmware,
        };
        self.fail(m);
    }

    /// How the pending fetch ended. `now` keeps the sans-I/O shape of the
    /// crate; the run itself has no timer (the transfer clients time out and
    /// report [`FetchResult::Unreachable`]).
    pub fn report(&mut self, now: Instant, result: FetchResult<'_>) {
        let _ = now;
        let Phase::AwaitFetch(t) = self.phase else { return };
        let kind = t.kind();
        let name = self.target_name(t);
        match result {
            FetchResult::NotFound => match t {
                Target::MacSer => {
                    self.log(LogLine::MacMissing(name));
                    self.phase = Phase::Fetch(Target::MacTxt);
                }
                Target::MacTxt => {
                    // F7: no MAC file is normal.
                    self.log(LogLine::MacMissing(name));
                    self.next_step();
                }
                _ => {
                    self.log(LogLine::NotFound(kind, name));
                    self.fail(kind.not_found());
                }
            },
            FetchResult::Unreachable => {
                self.log(LogLine::Unreachable(kind, name));
                self.fail(Message::ServerUnreachable);
            }
            FetchResult::ServerError => {
                self.log(LogLine::ServerError(kind, name));
                self.fail(Message::ServerUnreachable);
            }
            FetchResult::TooLarge => {
                self.log(LogLine::TooLarge(kind, name));
                self.fail(kind.corrupted());
            }
            FetchResult::Streamed { len } => self.streamed(t, name, len),
            FetchResult::Data(data) => match sink(kind) {
                Sink::Ram(_) => self.data(t, name, data),
                _ => {
                    if kind.image().is_some() && self.header.is_none() && !self.image_header(data) {
                        return;
                    }
                    self.streamed(t, name, u32::try_from(data.len()).unwrap_or(u32::MAX));
                }
            },
        }
    }

    fn streamed(&mut self, t: Target, name: Name<'a>, len: u32) {
        let kind = t.kind();
        let from = sink(kind);
        if let Sink::Ram(_) = from {
            self.log(LogLine::Content(kind, ContentError::NoContent));
            self.fail(kind.corrupted());
            return;
        }
        if kind.image().is_none() {
            self.log(LogLine::Downloaded(kind, name));
            self.phase = Phase::Install(t, from, len);
            return;
        }
        let Some(h) = self.header else {
            self.image_failed(kind, ImageProblem::NoHeader);
            return;
        };
        let expected = h.payload_len.saturating_add(HEADER_LEN as u32);
        if len != expected {
            self.image_failed(kind, ImageProblem::Length { expected, got: len });
            return;
        }
        self.log(LogLine::Downloaded(kind, name));
        self.phase = Phase::Check(kind, h);
    }

    /// The answer to [`Action::CheckImage`].
    pub fn image_complete(&mut self, crc_ok: bool) {
        let Phase::AwaitCheck(kind, h) = self.phase else { return };
        if !crc_ok {
            self.image_failed(kind, ImageProblem::BadCrc);
            return;
        }
        self.log(LogLine::ImageChecked(kind, h.version));
        let len = h.payload_len.saturating_add(HEADER_LEN as u32);
        self.phase = Phase::Install(Target::File(kind), sink(kind), len);
    }

    /// A RAM file: checks (and decrypts) its content.
    fn data(&mut self, t: Target, name: Name<'a>, data: &mut [u8]) {
        let kind = t.kind();
        let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
        let checked = match kind {
            FileKind::Telcfg => content::check_telcfg(self.phone.model.hardware, data).map_err(ContentError::Telcfg),
            FileKind::DeckFile => xml::check(data).map_err(ContentError::Xml),
            FileKind::CommonConfig | FileKind::MacConfig => {
                self.config(t, name, data);
                return;
            }
            _ => content::check_melody(data).map_err(ContentError::Melody),
        };
        match checked {
            Ok(()) => {
                self.log(LogLine::Downloaded(kind, name));
                self.phase = Phase::Install(t, Sink::Ram(Buf::File), len);
            }
            Err(e) => {
                self.log(LogLine::Content(kind, e));
                self.fail(kind.corrupted());
            }
        }
    }

    /// F7, F11, E1, E2: a common or MAC config.
    fn config(&mut self, t: Target, name: Name<'a>, data: &mut [u8]) {
        let kind = t.kind();
        let encrypted = match t {
            Target::MacSer => true,
            Target::MacTxt => false,
            _ => is_ser(name.as_bytes()),
        };
        let plain: &[u8] = if encrypted {
            match ser::decrypt(&self.phone.key, data) {
                Ok(p) => p,
                Err(e) => {
                    if kind == FileKind::MacConfig {
                        self.log(LogLine::Downloaded(kind, name));
                    }
                    self.log(LogLine::Content(kind, ContentError::Decrypt(e)));
                    self.fail(Message::CorruptedConfig);
                    return;
                }
            }
        } else {
            data
        };
        // The vendor log decrypts the common file before "download
        // successfully!" and the MAC file after it.
        if kind == FileKind::CommonConfig {
            if encrypted {
                self.log(LogLine::Decrypted(kind));
            }
            self.log(LogLine::Downloaded(kind, name));
            match Config::parse(plain) {
                Ok(_) => {
                    self.common = Some(plain.len());
                    self.next_step();
                }
                Err(e) => {
                    self.log(LogLine::Content(kind, ContentError::Config(e)));
                    self.fail(Message::CorruptedConfig);
                }
            }
            return;
        }
        self.log(LogLine::Downloaded(kind, name));
        if encrypted {
            self.log(LogLine::Decrypted(kind));
        }
        match Config::parse_mac(plain) {
            Ok(c) => {
                let sn = c.config_sn().unwrap_or(&[]);
                self.log(if self.installed.is_same_sn(sn) { LogLine::SerialSame } else { LogLine::SerialDiffers });
                self.mac = Some((plain.len(), Stamp::of(sn)));
                self.next_step();
            }
            Err(e) => {
                self.log(LogLine::ParseFailedOrNoSn);
                self.log(LogLine::Content(kind, ContentError::Config(e)));
                self.fail(Message::CorruptedConfig);
            }
        }
    }

    /// F7, F8, I2: what to apply.
    fn apply(&mut self) {
        let mac_changed = self.mac.is_some_and(|(_, sn)| self.installed.config_sn() != Some(sn));
        if self.common.is_none() && !mac_changed {
            self.next_step();
            return;
        }
        self.log(LogLine::BeginUpgradeConfig);
        self.log(LogLine::CheckSyntax);
        self.log(LogLine::CheckSyntaxOk);
        let factory = self.mode == ProvisionMode::Customization;
        // The MAC file goes with a new common config even when its
        // `config_sn` is unchanged, so its values still win (F8).
        self.phase = Phase::Apply(Apply { common: self.common, mac: self.mac.map(|(len, _)| len), factory });
    }

    /// The answer to [`Action::Install`] and [`Action::ApplyConfig`].
    pub fn committed(&mut self, ok: bool) {
        match self.phase {
            Phase::AwaitInstall(t) => {
                let kind = t.kind();
                if !ok {
                    self.log(LogLine::WriteFailed(kind));
                    self.fail(kind.corrupted());
                    return;
                }
                self.log(LogLine::Upgraded(kind));
                if let Target::Deck(i) = t {
                    self.deck = i.saturating_add(1);
                    self.phase = Phase::Ready;
                    return;
                }
                if let Some(v) = self.target_value(t) {
                    self.installed.record(kind, v);
                }
                if kind.image().is_some() {
                    self.images_installed = true;
                    self.installed.telcfg_due = true;
                    if kind == FileKind::App {
                        self.installed.app_version = self.header.map(|h| h.version);
                    }
                }
                if kind == FileKind::Telcfg {
                    self.installed.telcfg_due = false;
                }
                self.installed_anything = true;
                self.out(Out::Save);
                self.next_step();
            }
            Phase::AwaitApply(a) => {
                if !ok {
                    self.log(LogLine::WriteFailed(FileKind::CommonConfig));
                    self.fail(Message::CorruptedConfig);
                    return;
                }
                self.log(LogLine::UpgradeConfigOk);
                if a.factory {
                    self.log(LogLine::FactoryProfile);
                }
                if a.common.is_some()
                    && let Some(v) = self.target_value(Target::File(FileKind::CommonConfig))
                {
                    self.installed.record(FileKind::CommonConfig, v);
                }
                if let Some((_, sn)) = self.mac {
                    self.installed.set_config_sn(sn);
                }
                self.installed_anything = true;
                self.out(Out::Save);
                self.next_step();
            }
            _ => {}
        }
    }
}

/// The entries to write for an [`Action::ApplyConfig`] (F8: MAC wins), from
/// the first `len` bytes of the two buffers.
pub fn apply_entries<'b>(common: Option<&'b [u8]>, mac: Option<&'b [u8]>) -> crate::config::Merge<'b> {
    crate::config::merge(common.and_then(|c| Config::parse(c).ok()), mac.and_then(|m| Config::parse(m).ok()))
}
