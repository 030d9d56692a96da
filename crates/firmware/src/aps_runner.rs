//! Drives one provisioning run (`aps::run::Run`) to its end: performs each
//! [`Action`] on the flash stores (`crate::store`) and the config store,
//! and asks its [`Port`] for fetches, console lines and screens.
//!
//! Fetched bytes go through [`ApsRunner::sink`] (a `netclient::Sink` the
//! network writes into while a fetch runs):
//! - the application image: its 256-byte header is held back and shown to
//!   `Run::image_header` (model, kind, size: `Wrong Firmware` before any
//!   write), then the payload streams into the other slot
//!   (`store::slot`); the header page and commit record follow only after
//!   the CRC check and the install;
//! - tables, certificates, DSP and boot images: streamed into free sectors
//!   of the FILES partition, entered in its table at install;
//! - configs, melodies, telcfg, deck files: into RAM buffers
//!   ([`CONFIG_MAX`], [`FILE_MAX`]); a larger file is `TooLarge`.
//!
//! `ApplyConfig` writes the merged entries as one flashstore batch (and,
//! in customization mode, the same batch into the FACTORY partition);
//! `Save` writes `Installed` and the resume flag in one STATE record.
//!
//! Guarantees: one fetch at a time; every action is answered the way the
//! `aps::run::action` protocol says; no panic on any server data; a run
//! ends (the run's own bound, and each fetch has deadlines).

use crate::apply;
use crate::config::Config;
use crate::net::fetch::{Outcome, Proto};
use crate::store::aps_log::{ApsLog, LINE_MAX};
use crate::store::crc::{NorCrc, crc_of};
use crate::store::extent::{Extent, WriteError};
use crate::store::files::Files;
use crate::store::slot::{SlotWriter, next_seq};
use crate::store::state::State;
use aps::run::{Action, Buf, FetchResult, FileKind, Location, Origin, Phone, RebootReason, Run, Screen, Sink, apply_entries};
use aps::time::Instant;
use aps::url::{Host, Scheme, Url};
use board::image::{HEADER_LEN, Header};
use board::map::FACTORY;
use core::fmt::{self, Write};
use flashstore::{Nor, Store};
use netclient::SinkError;

/// The INF as kept for the run.
pub const INF_MAX: usize = 8192;
/// A common or MAC config (the document's example common file is 16 KiB).
pub const CONFIG_MAX: usize = 16 * 1024;
/// A melody, telcfg or deck file; also the key arena of `ApplyConfig`.
pub const FILE_MAX: usize = 12 * 1024;
const ORIGIN_MAX: usize = 16 + 253 + 6 + 256;
/// The RAM of the factory profile (customization mode).
pub const FACTORY_BYTES: usize = 12 * 1024;

/// The RAM a run uses (the binary keeps it in `.bss`).
pub struct Memory {
    inf: [u8; INF_MAX],
    origin: [u8; ORIGIN_MAX],
    common: [u8; CONFIG_MAX],
    mac: [u8; CONFIG_MAX],
    file: [u8; FILE_MAX],
}

impl Memory {
    pub const fn new() -> Memory {
        Memory { inf: [0; INF_MAX], origin: [0; ORIGIN_MAX], common: [0; CONFIG_MAX], mac: [0; CONFIG_MAX], file: [0; FILE_MAX] }
    }
}

impl Default for Memory {
    fn default() -> Self {
        Self::new()
    }
}

/// The flash stores of provisioning, loaded once at boot.
pub struct Stores {
    pub files: Files,
    pub state: State,
    pub log: ApsLog,
    pub factory: Store<FACTORY_BYTES>,
}

impl Stores {
    pub const fn new() -> Stores {
        Stores { files: Files::new(), state: State::new(), log: ApsLog::new(), factory: Store::new(FACTORY.base) }
    }

    pub fn load(&mut self, nor: &impl Nor) {
        self.files.load(nor);
        self.state.load(nor);
        self.log.load(nor);
        self.factory.load(nor);
    }

    /// Appends one line to the APS log (errors only cost the line).
    pub fn log_line(&mut self, nor: &mut impl Nor, line: &[u8]) {
        let _ = self.log.append(nor, line);
    }
}

impl Default for Stores {
    fn default() -> Self {
        Self::new()
    }
}

/// Where the INF came from (the INF search's winning candidate).
pub struct InfSource<'s> {
    pub http: bool,
    pub host: &'s str,
    pub port: u16,
    pub name: &'s [u8],
}

/// One fetch for the network.
pub struct Request<'r> {
    pub proto: Proto,
    pub host: &'r str,
    pub port: u16,
    pub name: &'r [u8],
}

/// What the runner needs from the rest of the phone.
pub trait Port {
    /// Starts a fetch; its end comes back through [`ApsRunner::fetched`].
    fn fetch(&mut self, now: u64, req: Request);
    fn line(&mut self, args: fmt::Arguments);
    fn screen(&mut self, screen: &Screen);
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// Reset the board now (the state is saved).
    Reboot(RebootReason),
    Done { installed_anything: bool },
    Failed,
}

/// An image's header, held back until it is complete and accepted.
struct Head {
    bytes: [u8; HEADER_LEN],
    len: usize,
    accepted: bool,
    rejected: bool,
}

enum Target {
    Slot(SlotWriter),
    Files(Extent),
}

// One of these exists at a time, inside the runner.
#[allow(clippy::large_enum_variant)]
enum Io {
    Idle,
    Ram { buf: Buf, len: usize, over: bool },
    Stream { image: bool, head: Head, target: Target, total: u64, error: Option<WriteError> },
}

pub struct ApsRunner<'a> {
    run: Run<'a>,
    common: &'a mut [u8],
    mac: &'a mut [u8],
    file: &'a mut [u8],
    io: Io,
    /// The slot the phone does not run from.
    other_slot: u32,
    resume: bool,
    fetching: bool,
    end: Option<End>,
}

/// ISO-8859-1 bytes of formatted text (the log's `Display` gives code points).
struct Latin1Buf {
    buf: [u8; LINE_MAX],
    len: usize,
}

impl Write for Latin1Buf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            if self.len < LINE_MAX {
                self.buf[self.len] = u8::try_from(u32::from(c)).unwrap_or(b'?');
                self.len += 1;
            }
        }
        Ok(())
    }
}

fn file_key(kind: FileKind, name: &[u8], out: &mut heapless::Vec<u8, 255>) {
    out.clear();
    if kind == FileKind::DeckFile {
        let _ = out.extend_from_slice(b"deck.");
        let _ = out.extend_from_slice(&name[..name.len().min(250)]);
    } else {
        let _ = out.extend_from_slice(b"kind.");
        let _ = out.extend_from_slice(kind.tag().as_bytes());
    }
}

impl<'a> ApsRunner<'a> {
    /// A run over `inf` fetched from `src`. `running_slot`: the slot the
    /// phone booted from. `None` when the source cannot be an origin.
    pub fn new(mem: &'a mut Memory, src: &InfSource, inf: &[u8], phone: Phone, stores: &Stores, running_slot: u32) -> Option<ApsRunner<'a>> {
        let Memory { inf: inf_buf, origin: origin_buf, common, mac, file } = mem;
        let n = inf.len().min(INF_MAX);
        inf_buf[..n].copy_from_slice(&inf[..n]);
        let inf_text: &'a [u8] = &inf_buf[..n];
        let origin = if src.http {
            let mut w = SliceWriter { buf: &mut origin_buf[..], len: 0 };
            let slash = if src.name.starts_with(b"/") { "" } else { "/" };
            write!(w, "http://{}:{}{slash}", src.host, src.port).ok()?;
            w.put(src.name).ok()?;
            let len = w.len;
            let text: &'a [u8] = &origin_buf[..len];
            Origin::Http { inf_url: Url::parse(text).ok()? }
        } else {
            let h = src.host.as_bytes();
            let buf = origin_buf.get_mut(..h.len())?;
            buf.copy_from_slice(h);
            let text: &'a [u8] = buf;
            Origin::Tftp { server: Host::parse(text).ok()?, port: src.port }
        };
        let resume = stores.state.resume();
        let run = Run::new(phone, origin, inf_text, stores.state.installed(), resume);
        Some(ApsRunner { run, common, mac, file, io: Io::Idle, other_slot: 1 - (running_slot & 1), resume, fetching: false, end: None })
    }

    pub fn resumed(&self) -> bool {
        self.resume
    }

    /// True while a fetch of the run is in progress.
    pub fn fetching(&self) -> bool {
        self.fetching
    }

    pub fn end(&self) -> Option<End> {
        self.end
    }

    /// Performs actions until the run waits for a fetch or ends.
    pub fn poll(&mut self, now: u64, nor: &mut impl NorCrc, stores: &mut Stores, config: &mut Config, port: &mut impl Port) -> Option<End> {
        // Bounded: a run issues a bounded number of actions (its plan); 64
        // per call keeps one call short, the next poll continues.
        for _ in 0..64 {
            if self.end.is_some() || self.fetching {
                break;
            }
            let action = self.run.poll(Instant::from_micros(now));
            match action {
                Action::Wait => break,
                Action::Lcd(s) => port.screen(&s),
                Action::Log(l) => {
                    let mut b = Latin1Buf { buf: [0; LINE_MAX], len: 0 };
                    let _ = write!(b, "{l}");
                    port.line(format_args!("aps: {l}"));
                    stores.log_line(nor, &b.buf[..b.len]);
                }
                Action::Fetch(f) => self.start_fetch(now, f.kind, &f.location, f.into, &stores.files, port),
                Action::CheckImage { header, .. } => {
                    let ok = self.check_image(nor, &header);
                    self.run.image_complete(ok);
                }
                Action::Install { kind, name, from, len } => {
                    let ok = self.install(nor, stores, kind, name, from, len);
                    if !ok {
                        port.line(format_args!("aps: writing {} to flash failed", kind.tag()));
                    }
                    self.run.committed(ok);
                }
                Action::ApplyConfig(a) => {
                    let common = a.common.map(|n| &self.common[..n.min(CONFIG_MAX)]);
                    let mac = a.mac.map(|n| &self.mac[..n.min(CONFIG_MAX)]);
                    let (batch, counts) = apply::batch(apply_entries(common, mac), &mut self.file[..]);
                    let mut r = config.set_batch(nor, batch.clone());
                    if r.is_ok() && a.factory {
                        r = stores.factory.set_many(nor, batch);
                    }
                    port.line(format_args!("config: {} keys applied, {} skipped", counts.written, counts.skipped));
                    if let Err(e) = r {
                        port.line(format_args!("config: applying failed: {e}"));
                    }
                    self.run.committed(r.is_ok());
                }
                Action::Save => self.save(nor, stores, self.resume, port),
                Action::Reboot(r) => {
                    self.save(nor, stores, r == RebootReason::FirmwareUpdated, port);
                    self.end = Some(End::Reboot(r));
                }
                Action::Done { installed_anything } => {
                    self.finish(nor, stores, port);
                    self.end = Some(End::Done { installed_anything });
                }
                Action::Failed { .. } => {
                    self.finish(nor, stores, port);
                    self.end = Some(End::Failed);
                }
            }
        }
        self.end
    }

    fn save(&mut self, nor: &mut impl Nor, stores: &mut Stores, resume: bool, port: &mut impl Port) {
        if let Err(e) = stores.state.save(nor, self.run.installed(), resume) {
            port.line(format_args!("aps: saving the provisioning state failed: {e}"));
        }
    }

    /// The run ended without a reboot: the next boot is not a resume.
    fn finish(&mut self, nor: &mut impl Nor, stores: &mut Stores, port: &mut impl Port) {
        if stores.state.resume() {
            self.save(nor, stores, false, port);
        }
    }

    fn start_fetch(&mut self, now: u64, kind: FileKind, loc: &Location, into: Sink, files: &Files, port: &mut impl Port) {
        self.io = match into {
            Sink::Ram(buf) => Io::Ram { buf, len: 0, over: false },
            Sink::Slot => Io::Stream { image: true, head: Head::new(), target: Target::Slot(SlotWriter::new(self.other_slot)), total: 0, error: None },
            Sink::Files(_) => Io::Stream { image: kind.image().is_some(), head: Head::new(), target: Target::Files(files.writer()), total: 0, error: None },
        };
        let mut host: heapless::String<253> = heapless::String::new();
        match loc {
            Location::Tftp { server, port: p, name } => {
                host_text(*server, &mut host);
                self.fetching = true;
                port.fetch(now, Request { proto: Proto::Tftp, host: &host, port: *p, name: name.as_bytes() });
            }
            Location::Http(r) if r.scheme == Scheme::Http => {
                host_text(r.host, &mut host);
                self.fetching = true;
                port.fetch(now, Request { proto: Proto::Http, host: &host, port: r.port, name: r.path() });
            }
            Location::Http(_) => {
                port.line(format_args!("aps: https is not supported"));
                self.io = Io::Idle;
                self.run.report(Instant::from_micros(now), FetchResult::Unreachable);
            }
        }
    }

    /// The network's sink for the fetch in progress.
    pub fn sink<'r, N: Nor>(&'r mut self, nor: &'r mut N) -> RunSink<'r, 'a, N> {
        RunSink { runner: self, nor }
    }

    /// The fetch ended. `server_error`: the server answered with an error
    /// other than "not found".
    pub fn fetched(&mut self, now: u64, outcome: Outcome, server_error: bool) {
        self.fetching = false;
        let io = core::mem::replace(&mut self.io, Io::Idle);
        let at = Instant::from_micros(now);
        let over = match &io {
            Io::Ram { over, .. } => *over,
            Io::Stream { error, .. } => error.is_some(),
            Io::Idle => false,
        };
        let result = match outcome {
            _ if over => FetchResult::TooLarge,
            Outcome::Unreachable => FetchResult::Unreachable,
            Outcome::NotFound if server_error => FetchResult::ServerError,
            Outcome::NotFound => FetchResult::NotFound,
            Outcome::Found { .. } => match io {
                Io::Ram { buf, len, .. } => {
                    let b: &mut [u8] = match buf {
                        Buf::Common => self.common,
                        Buf::Mac => self.mac,
                        Buf::File => self.file,
                    };
                    self.run.report(at, FetchResult::Data(&mut b[..len]));
                    return;
                }
                Io::Stream { total, .. } => {
                    // The writer stays for CheckImage and Install.
                    self.io = io;
                    FetchResult::Streamed { len: u32::try_from(total).unwrap_or(u32::MAX) }
                }
                Io::Idle => FetchResult::NotFound,
            },
        };
        self.run.report(at, result);
    }

    fn check_image(&mut self, nor: &mut impl NorCrc, h: &Header) -> bool {
        match &mut self.io {
            Io::Stream { target: Target::Slot(w), .. } => w.check(nor, h),
            Io::Stream { target: Target::Files(e), .. } => {
                e.finish(nor).is_ok()
                    && u64::from(e.len()) == HEADER_LEN as u64 + u64::from(h.payload_len)
                    && crc_of(nor, e.base() + HEADER_LEN as u32, h.payload_len) == h.payload_crc
            }
            _ => false,
        }
    }

    fn install(&mut self, nor: &mut impl NorCrc, stores: &mut Stores, kind: FileKind, name: &[u8], from: Sink, len: u32) -> bool {
        let mut key = heapless::Vec::new();
        file_key(kind, name, &mut key);
        let io = core::mem::replace(&mut self.io, Io::Idle);
        match (from, io) {
            (Sink::Slot, Io::Stream { target: Target::Slot(mut w), head, .. }) => {
                let seq = next_seq(nor);
                head.len == HEADER_LEN && w.commit(nor, &head.bytes, seq).is_ok()
            }
            (Sink::Files(_), Io::Stream { target: Target::Files(mut e), .. }) => stores.files.commit(nor, &key, &mut e).is_ok(),
            (Sink::Ram(Buf::File), _) => {
                let n = (len as usize).min(FILE_MAX);
                stores.files.write_all(nor, &key, &self.file[..n]).is_ok()
            }
            _ => false,
        }
    }
}

impl Head {
    const fn new() -> Head {
        Head { bytes: [0; HEADER_LEN], len: 0, accepted: false, rejected: false }
    }
}

fn host_text(h: Host, out: &mut heapless::String<253>) {
    match h {
        Host::Ip(ip) => {
            let _ = write!(out, "{ip}");
        }
        Host::Name(n) => n.iter().for_each(|&b| {
            let _ = out.push(char::from(b));
        }),
    }
}

/// `fmt::Write` into a byte slice.
struct SliceWriter<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl SliceWriter<'_> {
    fn put(&mut self, b: &[u8]) -> fmt::Result {
        let dst = self.buf.get_mut(self.len..self.len + b.len()).ok_or(fmt::Error)?;
        dst.copy_from_slice(b);
        self.len += b.len();
        Ok(())
    }
}

impl Write for SliceWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.put(s.as_bytes())
    }
}

/// The sink of a run's fetch; see the module documentation.
pub struct RunSink<'r, 'a, N: Nor> {
    runner: &'r mut ApsRunner<'a>,
    nor: &'r mut N,
}

impl<N: Nor> netclient::Sink for RunSink<'_, '_, N> {
    fn expect_size(&mut self, size: u64) -> Result<(), SinkError> {
        if let Io::Ram { buf, over, .. } = &mut self.runner.io {
            let cap = if *buf == Buf::File { FILE_MAX } else { CONFIG_MAX };
            if size > cap as u64 {
                *over = true;
                return Err(SinkError);
            }
        }
        Ok(())
    }

    fn write(&mut self, data: &[u8]) -> Result<(), SinkError> {
        let r = &mut *self.runner;
        match &mut r.io {
            Io::Idle => Err(SinkError),
            Io::Ram { buf, len, over } => {
                let b: &mut [u8] = match buf {
                    Buf::Common => r.common,
                    Buf::Mac => r.mac,
                    Buf::File => r.file,
                };
                match b.get_mut(*len..*len + data.len()) {
                    Some(dst) => {
                        dst.copy_from_slice(data);
                        *len += data.len();
                        Ok(())
                    }
                    None => {
                        *over = true;
                        Err(SinkError)
                    }
                }
            }
            Io::Stream { image, head, target, total, error } => {
                *total += data.len() as u64;
                let mut data = data;
                if *image && !head.accepted {
                    if head.rejected {
                        return Err(SinkError);
                    }
                    let n = (HEADER_LEN - head.len).min(data.len());
                    head.bytes[head.len..head.len + n].copy_from_slice(&data[..n]);
                    head.len += n;
                    data = &data[n..];
                    if head.len < HEADER_LEN {
                        return Ok(());
                    }
                    if !r.run.image_header(&head.bytes) {
                        head.rejected = true;
                        return Err(SinkError);
                    }
                    head.accepted = true;
                    let begun = match target {
                        Target::Slot(w) => w.begin(self.nor),
                        Target::Files(e) => e.write(self.nor, &head.bytes),
                    };
                    if let Err(e) = begun {
                        *error = Some(e);
                        return Err(SinkError);
                    }
                }
                let w = match target {
                    Target::Slot(w) => w.write_payload(self.nor, data),
                    Target::Files(e) => e.write(self.nor, data),
                };
                w.map_err(|e| {
                    *error = Some(e);
                    SinkError
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sim::SimFlash;
    use crate::store::slot::commit_of;
    use aps::names::Mac;
    use board::image::{Kind, Version, crc32};
    use board::model::Model;
    use std::collections::HashMap;

    const MAC: [u8; 6] = [0x00, 0x90, 0x96, 0xA1, 0xB1, 0xC1];
    const INF: &[u8] = b"[provision_mode]\nprovision_mode=auto_provisioning\n[application]\nfwurl=v2030SG.261127.2.75.zz\n[config]\ncommon_config=ComConf2030S.txt\nmelodies=melody/ring.txt\n";

    fn image(model: &str, len: usize) -> Vec<u8> {
        let m = Model::parse(model).unwrap();
        let payload: Vec<u8> = (0..len).map(|i| (i * 31 + 7) as u8).collect();
        let h = Header {
            kind: Kind::App,
            hardware: m.hardware,
            protocol: m.protocol,
            version: Version { major: 2, minor: 75, patch: 0 },
            date: *b"261127",
            payload_len: len as u32,
            payload_crc: crc32(&payload),
        };
        let mut v = h.encode().to_vec();
        v.extend(payload);
        v
    }

    /// The phone's side: a server (path → bytes), the requests seen, the screen.
    #[derive(Default)]
    struct Fake {
        server: HashMap<String, Vec<u8>>,
        pending: Option<String>,
        asked: Vec<String>,
        lines: Vec<String>,
        screen: Option<Screen>,
    }

    impl Port for Fake {
        fn fetch(&mut self, _now: u64, req: Request) {
            let p = String::from_utf8_lossy(req.name).into_owned();
            self.asked.push(p.clone());
            self.pending = Some(p);
        }
        fn line(&mut self, args: fmt::Arguments) {
            self.lines.push(args.to_string());
        }
        fn screen(&mut self, s: &Screen) {
            self.screen = Some(*s);
        }
    }

    struct Phone1 {
        nor: SimFlash,
        stores: Stores,
        config: Config,
        slot: u32,
    }

    impl Phone1 {
        fn new() -> Phone1 {
            let mut nor = SimFlash::new();
            let mut config = Config::new();
            config.load(&mut nor).unwrap();
            Phone1 { nor, stores: Stores::new(), config, slot: 0 }
        }

        /// One boot's run against `fake`; returns how it ended.
        fn run(&mut self, fake: &mut Fake) -> End {
            self.stores = Stores::new();
            self.stores.load(&self.nor);
            self.config = Config::new();
            self.config.load(&mut self.nor).unwrap();
            let mem = Box::leak(Box::new(Memory::new()));
            let src = InfSource { http: true, host: "10.0.0.1", port: 80, name: b"ST2030S.inf" };
            let phone = aps::run::Phone { model: Model::parse("ST2030S").unwrap(), mac: Mac(MAC), running: Version { major: 2, minor: 74, patch: 0 }, key: self.config.aes_key() };
            let mut r = ApsRunner::new(mem, &src, INF, phone, &self.stores, self.slot).unwrap();
            for step in 0..1000u64 {
                if let Some(end) = r.poll(step, &mut self.nor, &mut self.stores, &mut self.config, fake) {
                    if let End::Reboot(_) = end {
                        // The boot ROM's choice: the valid commit with the highest seq.
                        self.slot = [0, 1].into_iter().max_by_key(|&n| commit_of(&self.nor, n).map_or(0, |c| c.seq)).unwrap();
                    }
                    return end;
                }
                let Some(path) = fake.pending.take() else { continue };
                let outcome = match fake.server.get(&path) {
                    Some(bytes) => {
                        let mut sink = r.sink(&mut self.nor);
                        let ok = bytes.chunks(1428).all(|c| netclient::Sink::write(&mut sink, c).is_ok());
                        if ok { Outcome::Found { len: bytes.len() as u64 } } else { Outcome::NotFound }
                    }
                    None => Outcome::NotFound,
                };
                r.fetched(step, outcome, false);
            }
            panic!("the run did not end");
        }
    }

    fn server() -> Fake {
        let mut f = Fake::default();
        f.server.insert("/v2030SG.261127.2.75.zz".into(), image("ST2030S", 40_000));
        f.server.insert("/ComConf2030S.txt".into(), b"[sip]\r\nDisplayName1=Hall\r\nTEL1Number=2000\r\n[vendor]\r\nx=1\r\n".to_vec());
        f.server.insert("/ST2030S_009096A1B1C1.txt".into(), b"[sys]\nconfig_sn=1\n[sip]\nDisplayName1=Alice\n".to_vec());
        f.server.insert("/melody/ring.txt".into(), b"Clocks:d=16,o=6,b=140:b5,a5,8P\n".to_vec());
        f
    }

    #[test]
    fn upgrade_reboot_config_reboot_then_nothing() {
        let mut p = Phone1::new();
        let mut s = server();
        assert_eq!(p.run(&mut s), End::Reboot(RebootReason::FirmwareUpdated));
        assert_eq!(s.asked, ["/v2030SG.261127.2.75.zz"]);
        assert_eq!((p.slot, commit_of(&p.nor, 1).map(|c| c.seq)), (1, Some(1)), "the new image is committed in slot B");
        assert!(s.lines.iter().any(|l| l == "aps: Firmware: image v2.75.0 check successfully!"), "{:?}", s.lines);

        let mut s = server();
        assert_eq!(p.run(&mut s), End::Reboot(RebootReason::Provisioned));
        assert_eq!(s.asked, ["/melody/ring.txt", "/ComConf2030S.txt", "/ST2030S_009096A1B1C1.ser", "/ST2030S_009096A1B1C1.txt"]);
        assert_eq!((p.config.display_name(), p.config.number()), (Some(&b"Alice"[..]), Some(&b"2000"[..])), "MAC wins (F8)");
        assert_eq!(p.config.get(b"vendor.x"), Some(&b"1"[..]));
        let melody = p.stores.files.get(b"kind.Melody").unwrap();
        assert_eq!(melody.len, 31);

        let mut s = server();
        assert_eq!(p.run(&mut s), End::Done { installed_anything: false });
        assert_eq!(s.asked, ["/ST2030S_009096A1B1C1.ser", "/ST2030S_009096A1B1C1.txt"], "F9: only the MAC file");
        let mut log = Vec::new();
        ApsLog::for_each_byte(&p.nor, |b| log.push(b));
        let log = String::from_utf8_lossy(&log);
        assert!(log.contains("Begin Firmware download...\n") && log.contains("Serial number is the same!\n"), "{log}");
    }

    #[test]
    fn wrong_model_fails_before_any_write_and_keeps_the_config() {
        let mut p = Phone1::new();
        let mut s = server();
        s.server.insert("/v2030SG.261127.2.75.zz".into(), image("ST2022S", 40_000));
        let b = (board::map::SLOT_B.base - board::map::FLASH.base) as usize;
        p.nor.mem[b..b + (1 << 20)].fill(0x5A);
        assert_eq!(p.run(&mut s), End::Failed);
        assert!(p.nor.mem[b..b + (1 << 20)].iter().all(|&x| x == 0x5A), "slot B untouched");
        match s.screen {
            Some(Screen::Error { message, .. }) => assert_eq!(message, aps::lcd::Message::WrongFirmware),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_corrupted_image_is_not_committed() {
        let mut p = Phone1::new();
        let mut s = server();
        let mut img = image("ST2030S", 40_000);
        img[30_000] ^= 0x40;
        s.server.insert("/v2030SG.261127.2.75.zz".into(), img);
        assert_eq!(p.run(&mut s), End::Failed);
        assert_eq!(commit_of(&p.nor, 1), None);
        assert!(matches!(s.screen, Some(Screen::Error { message: aps::lcd::Message::CorruptedFirmware, .. })));
    }
}
