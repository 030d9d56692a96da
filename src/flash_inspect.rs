//! `st20xx flash inspect FILE`: what an 8 MiB flash image (saved by `st20xx
//! run --flash`) holds, partition by partition, read with the same decoders
//! the boot ROM and the firmware use (`board::slot`, `board::image`,
//! `flashstore::Store`, `aps::run::Installed`).
//!
//! - Firmware slots: header, commit record, payload CRC, and which slot the
//!   boot ROM starts (the rule of `crates/bootloader`: valid slots by
//!   descending commit `seq`).
//! - The config store: generation and every `key=value`; `config_sn`.
//! - Provisioning state: the firmware's STATE journal (`aps.installed`, an
//!   `Installed` record, and `aps.resume`; `crates/firmware/src/store/
//!   state.rs`), or an `Installed` record raw at a sector start, else
//!   "no provisioning state".
//! - The APS log: the firmware's two-sector ring (`"APSL"` sector headers,
//!   `crates/firmware/src/store/aps_log.rs`), oldest line first; without
//!   sector headers, the raw text up to the first erased byte.
//! - The factory profile (a config-store journal) and the file store: the
//!   firmware's file table (a journal `name → first sector u16, length u32,
//!   CRC-32 u32` in the first two FILES sectors, `crates/firmware/src/store/
//!   files.rs`) with each file's CRC checked; without a table, a raw summary.
//!
//! The firmware's own decoders are not reused: they live in the
//! bare-metal crate and change with it; these readers follow its documented
//! layouts and fall back to raw summaries when the bytes do not fit them.
//!
//! Guarantees: read-only; never panics on any 8 MiB content; any other size
//! is a clear error.

use anyhow::{Context, Result, bail};
use aps::run::{FileKind, Installed};
use board::image::{HEADER_LEN, Header, Kind, crc32};
use board::map::{APS_LOG, CONFIG, FACTORY, FILES, FLASH, FLASH_SECTOR, Region, STATE, slot};
use board::model::Model;
use board::slot::{COMMIT_LEN, COMMIT_OFFSET, Commit};
use flashstore::{Nor, NorError, Store};
use std::fmt::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum FlashCommand {
    /// Show what a flash image holds: slots, config, state, APS log, files.
    Inspect { file: PathBuf },
}

pub fn dispatch(cmd: FlashCommand) -> Result<ExitCode> {
    match cmd {
        FlashCommand::Inspect { file } => crate::ser::print(&inspect_file(&file)?)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// A read-only `Nor` over a flash image (addresses are absolute).
struct Image<'a>(&'a [u8]);

impl Nor for Image<'_> {
    fn read(&self, addr: u32, buf: &mut [u8]) {
        let at = addr.wrapping_sub(FLASH.base) as usize;
        match self.0.get(at..at.saturating_add(buf.len())) {
            Some(src) => buf.copy_from_slice(src),
            None => buf.fill(0xFF),
        }
    }
    fn erase_sector(&mut self, _: u32) -> Result<(), NorError> {
        Err(NorError::Refused)
    }
    fn program(&mut self, _: u32, _: &[u8]) -> Result<(), NorError> {
        Err(NorError::Refused)
    }
}

fn part(flash: &[u8], r: Region) -> &[u8] {
    &flash[(r.base - FLASH.base) as usize..(r.end() - FLASH.base) as usize]
}

fn erased(b: &[u8]) -> bool {
    b.iter().all(|&x| x == 0xFF)
}

/// ISO-8859-1 bytes as text; control bytes as `\xNN`.
pub fn latin1(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len());
    for &c in b {
        if aps::ini::is_control(c) && c != b'\t' {
            let _ = write!(s, "\\x{c:02x}");
        } else {
            s.push(char::from(c));
        }
    }
    s
}

fn version(v: board::image::Version) -> String {
    format!("{}.{}.{}", v.major, v.minor, v.patch)
}

/// One firmware slot as the boot ROM sees it.
struct SlotView {
    text: String,
    /// `seq` when the boot ROM would accept it.
    bootable: Option<u32>,
}

fn slot_view(flash: &[u8], n: u32) -> SlotView {
    let bytes = part(flash, slot(n));
    let bad = |text: String| SlotView { text, bootable: None };
    if erased(bytes) {
        return bad("erased".into());
    }
    let commit = Commit::decode(&bytes[COMMIT_OFFSET as usize..COMMIT_OFFSET as usize + COMMIT_LEN]);
    let h = match Header::decode(&bytes[..HEADER_LEN]) {
        Ok(h) => h,
        Err(e) => return bad(format!("no valid image header ({e:?}); {}", commit_text(commit))),
    };
    let model = Model { hardware: h.hardware, protocol: h.protocol };
    let date: String = h.date.iter().map(|&b| char::from(b)).collect();
    let head = format!("{} {model} v{} date {date}, {} bytes", h.kind.name(), version(h.version), h.payload_len);
    let max = COMMIT_OFFSET - HEADER_LEN as u32;
    let problem = if h.kind != Kind::App {
        Some("not an application image".to_string())
    } else if !(8..=max).contains(&h.payload_len) {
        Some(format!("payload length outside 8..={max}"))
    } else if crc32(&bytes[HEADER_LEN..HEADER_LEN + h.payload_len as usize]) != h.payload_crc {
        Some("payload CRC does not match (torn write?)".to_string())
    } else {
        match commit {
            None => Some("no commit record (never committed, or torn)".to_string()),
            Some(c) if c.image_crc != h.payload_crc => Some(format!("commit seq {} is for another image", c.seq)),
            Some(_) => None,
        }
    };
    match (problem, commit) {
        (None, Some(c)) => SlotView { text: format!("{head}, commit seq {}: valid", c.seq), bootable: Some(c.seq) },
        (p, _) => bad(format!("{head}: {}", p.unwrap_or_default())),
    }
}

fn commit_text(c: Option<Commit>) -> String {
    match c {
        Some(c) => format!("commit record seq {}", c.seq),
        None => "no commit record".into(),
    }
}

fn store_text(out: &mut String, name: &str, flash: &[u8], base: u32) -> Store {
    let store: Store = Store::open(&Image(flash), base);
    match store.generation() {
        None if erased(part(flash, Region::new(base, 2 * FLASH_SECTOR))) => {
            let _ = writeln!(out, "{name:<9}erased");
        }
        None => {
            let _ = writeln!(out, "{name:<9}no valid journal (sectors hold data, but no valid header)");
        }
        Some(g) => {
            let _ = writeln!(out, "{name:<9}generation {g}, {} keys, {} bytes used", store.len(), store.used());
            for (k, v) in store.iter() {
                let _ = writeln!(out, "  {}={}", latin1(k), latin1(v));
            }
        }
    }
    store
}

fn state_text(out: &mut String, flash: &[u8], config: &Store) {
    let bytes = part(flash, STATE);
    if erased(bytes) {
        let _ = writeln!(out, "state    no provisioning state (partition erased)");
        return;
    }
    let journal: Store = Store::open(&Image(flash), STATE.base);
    let mut found = journal.iter().find_map(|(k, v)| Installed::decode(v).ok().map(|i| (format!("journal key `{}`", latin1(k)), i)));
    if found.is_none() {
        found = (0..2).find_map(|s| {
            let at = s * FLASH_SECTOR as usize;
            raw_installed(&bytes[at..]).map(|i| (format!("raw record at +{at:#x}"), i))
        });
    }
    let Some((place, st)) = found else {
        let used = bytes.iter().filter(|&&b| b != 0xFF).count();
        let _ = writeln!(out, "state    no provisioning state ({used} bytes written in a format not recognised)");
        return;
    };
    let app = st.app_version.map_or("none".into(), version);
    let _ = writeln!(out, "state    {place}: last application installed {app}, telcfg due: {}", if st.telcfg_due { "yes" } else { "no" });
    for (k, v) in journal.iter().filter(|(_, v)| Installed::decode(v).is_err()) {
        let _ = writeln!(out, "  {}={}", latin1(k), latin1(v));
    }
    for k in FileKind::STAMPED {
        if let Some(s) = st.stamp(k) {
            let _ = writeln!(out, "  {:<14}name stamp {:#018x}", k.tag(), s.0);
        }
    }
    if let Some(s) = st.config_sn() {
        let sn = config.get(b"sys.config_sn").unwrap_or_default();
        let same = if st.is_same_sn(sn) { format!("the config store's `{}`", latin1(sn)) } else { "not the config store's value".into() };
        let _ = writeln!(out, "  {:<14}stamp {:#018x} ({same})", "config_sn", s.0);
    }
}

/// An `Installed` record at the start of `b` (its length is in its bitmap).
fn raw_installed(b: &[u8]) -> Option<Installed> {
    let bitmap = u32::from_le_bytes(b.get(10..14)?.try_into().ok()?);
    let len = 14 + 8 * bitmap.count_ones() as usize + 4;
    Installed::decode(b.get(..len)?).ok()
}

/// The APS log sector header: `"APSL"`, sequence u32 LE, CRC-32 of those 8
/// bytes, 4 reserved bytes.
const LOG_MAGIC: [u8; 4] = *b"APSL";
const LOG_HEADER: usize = 16;

fn log_seq(sector: &[u8]) -> Option<u32> {
    let seq = u32::from_le_bytes(sector[4..8].try_into().ok()?);
    (sector[0..4] == LOG_MAGIC && crc32(&sector[0..8]).to_le_bytes() == sector[8..12]).then_some(seq)
}

/// Text up to the first erased byte.
fn until_erased(b: &[u8]) -> &[u8] {
    &b[..b.iter().position(|&x| x == 0xFF).unwrap_or(b.len())]
}

fn log_text(out: &mut String, flash: &[u8]) {
    let bytes = part(flash, APS_LOG);
    let sector = |i: usize| &bytes[i * FLASH_SECTOR as usize..(i + 1) * FLASH_SECTOR as usize];
    let mut ring: Vec<(usize, u32)> = (0..2).filter_map(|i| log_seq(sector(i)).map(|s| (i, s))).collect();
    if let [a, b] = ring[..]
        && (a.1.wrapping_sub(b.1) as i32) > 0
    {
        ring.swap(0, 1);
    }
    let (text, how): (Vec<u8>, String) = if ring.is_empty() {
        (until_erased(bytes).to_vec(), "raw text, no sector header".into())
    } else {
        let text = ring.iter().flat_map(|&(i, _)| until_erased(&sector(i)[LOG_HEADER..]).iter().copied()).collect();
        let how = ring.iter().map(|&(i, s)| format!("sector {i} seq {s}")).collect::<Vec<_>>().join(", ");
        (text, how)
    };
    let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
    if lines.is_empty() {
        let _ = writeln!(out, "aps log  empty");
        return;
    }
    let _ = writeln!(out, "aps log  {} lines, {} bytes ({how})", lines.len(), text.len());
    for l in lines {
        let _ = writeln!(out, "  {}", latin1(l.strip_suffix(b"\r").unwrap_or(l)));
    }
}

/// Sectors of the file table at the start of FILES.
const TABLE_SECTORS: usize = 2;

fn image_text(b: &[u8]) -> Option<String> {
    let h = Header::decode(b.get(..HEADER_LEN)?).ok()?;
    let model = Model { hardware: h.hardware, protocol: h.protocol };
    Some(format!("{} image {model} v{}", h.kind.name(), version(h.version)))
}

fn files_text(out: &mut String, flash: &[u8]) {
    let bytes = part(flash, FILES);
    let sectors = bytes.len() / FLASH_SECTOR as usize;
    let used: Vec<usize> = (0..sectors).filter(|&s| !erased(&bytes[s * FLASH_SECTOR as usize..(s + 1) * FLASH_SECTOR as usize])).collect();
    if used.is_empty() {
        let _ = writeln!(out, "files    erased ({sectors} sectors)");
        return;
    }
    let table: Store = Store::open(&Image(flash), FILES.base);
    if let Some(g) = table.generation() {
        let _ = writeln!(out, "files    table generation {g}, {} files, {} of {sectors} sectors hold data", table.len(), used.len());
        let data = &bytes[TABLE_SECTORS * FLASH_SECTOR as usize..];
        for (name, v) in table.iter() {
            let _ = writeln!(out, "  {}  {}", latin1(name), file_entry(data, v));
        }
        return;
    }
    let _ = writeln!(out, "files    {} of {sectors} sectors hold data (no file table: raw summary)", used.len());
    for s in used {
        let at = s * FLASH_SECTOR as usize;
        if let Some(img) = image_text(&bytes[at..]) {
            let _ = writeln!(out, "  {:#010x}  {img}", FILES.base as usize + at);
        }
    }
}

/// One file-table value: `first sector u16 LE, length u32 LE, CRC-32 u32 LE`.
fn file_entry(data: &[u8], v: &[u8]) -> String {
    let [s0, s1, l0, l1, l2, l3, c0, c1, c2, c3] = v else {
        return format!("unreadable entry ({} bytes)", v.len());
    };
    let first = usize::from(u16::from_le_bytes([*s0, *s1]));
    let len = u32::from_le_bytes([*l0, *l1, *l2, *l3]) as usize;
    let crc = u32::from_le_bytes([*c0, *c1, *c2, *c3]);
    let at = first * FLASH_SECTOR as usize;
    let addr = FILES.base as usize + TABLE_SECTORS * FLASH_SECTOR as usize + at;
    let Some(body) = data.get(at..at.saturating_add(len)) else {
        return format!("{len} bytes at {addr:#010x}: outside the file store");
    };
    let check = if crc32(body) == crc { "crc ok" } else { "crc BAD" };
    let kind = image_text(body).map_or(String::new(), |i| format!(", {i}"));
    format!("{len} bytes at {addr:#010x}, {check}{kind}")
}

/// The report for a whole flash image.
pub fn inspect(flash: &[u8]) -> Result<String> {
    if flash.len() != FLASH.len as usize {
        bail!("{} bytes: a flash image is exactly {} bytes (8 MiB)", flash.len(), FLASH.len);
    }
    let mut out = String::new();
    let slots = [slot_view(flash, 0), slot_view(flash, 1)];
    let boots = match (slots[0].bootable, slots[1].bootable) {
        (Some(a), Some(b)) if b > a => Some(1),
        (Some(_), _) => Some(0),
        (None, Some(_)) => Some(1),
        (None, None) => None,
    };
    for (i, s) in slots.iter().enumerate() {
        let mark = if boots == Some(i) { " (boots)" } else { "" };
        let _ = writeln!(out, "slot {}   {}{mark}", if i == 0 { 'A' } else { 'B' }, s.text);
    }
    if boots.is_none() {
        let _ = writeln!(out, "boot     no valid firmware: the boot ROM would stop");
    }
    let config = store_text(&mut out, "config", flash, CONFIG.base);
    let sn = config.get(b"sys.config_sn").map_or("(not set)".into(), |v| if v.is_empty() { "(empty)".into() } else { latin1(v) });
    let _ = writeln!(out, "config_sn {sn}");
    state_text(&mut out, flash, &config);
    log_text(&mut out, flash);
    store_text(&mut out, "factory", flash, FACTORY.base);
    files_text(&mut out, flash);
    Ok(out)
}

pub fn inspect_file(path: &std::path::Path) -> Result<String> {
    let flash = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let report = inspect(&flash).with_context(|| format!("{} is not a flash image", path.display()))?;
    Ok(format!("file     {}\n{report}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use board::image::Version;
    use board::map::SLOT_B;

    fn blank() -> Vec<u8> {
        vec![0xFF; FLASH.len as usize]
    }

    fn image(minor: u8) -> Vec<u8> {
        rom::pack(Kind::App, Model::ALL[0], Version { major: 2, minor, patch: 0 }, *b"261127", &[0x11; 64])
    }

    fn put(flash: &mut [u8], at: u32, b: &[u8]) {
        let at = (at - FLASH.base) as usize;
        flash[at..at + b.len()].copy_from_slice(b);
    }

    #[test]
    fn wrong_size_is_an_error() {
        assert_eq!(inspect(&[0u8; 100]).unwrap_err().to_string(), "100 bytes: a flash image is exactly 8388608 bytes (8 MiB)");
    }

    #[test]
    fn blank_flash() {
        let r = inspect(&blank()).unwrap();
        assert!(r.contains("slot A   erased\nslot B   erased\nboot     no valid firmware"), "{r}");
        assert!(r.contains("config   erased\nconfig_sn (not set)\nstate    no provisioning state (partition erased)\naps log  empty\n"), "{r}");
        assert!(r.ends_with("factory  erased\nfiles    erased (80 sectors)\n"), "{r}");
    }

    #[test]
    fn newer_slot_boots_and_torn_slot_does_not() {
        let mut f = rom::factory_flash(&image(74));
        let new = image(75);
        put(&mut f, SLOT_B.base, &new);
        let h = Header::decode(&new).unwrap();
        put(&mut f, SLOT_B.base + COMMIT_OFFSET, &Commit { seq: 2, image_crc: h.payload_crc }.encode());
        let r = inspect(&f).unwrap();
        assert!(r.contains("slot A   app ST2030S v2.74.0 date 261127, 64 bytes, commit seq 1: valid\n"), "{r}");
        assert!(r.contains("slot B   app ST2030S v2.75.0 date 261127, 64 bytes, commit seq 2: valid (boots)\n"), "{r}");
        put(&mut f, SLOT_B.base + HEADER_LEN as u32 + 3, &[0x00]);
        let r = inspect(&f).unwrap();
        assert!(r.contains("slot A   app ST2030S v2.74.0 date 261127, 64 bytes, commit seq 1: valid (boots)\n"), "{r}");
        assert!(r.contains("slot B   app ST2030S v2.75.0 date 261127, 64 bytes: payload CRC does not match (torn write?)\n"), "{r}");
    }

    #[test]
    fn raw_state_record_and_log() {
        let mut f = blank();
        let mut st = Installed::default();
        st.record(FileKind::Telcfg, b"telcfg.txt");
        st.record_sn(b"42");
        let mut rec = [0u8; aps::run::installed::ENCODED_MAX];
        let n = st.encode(&mut rec);
        put(&mut f, STATE.base, &rec[..n]);
        put(&mut f, APS_LOG.base, b"Begin Common Config download...\nCommonConfig: c\xE9.txt download successfully!\n");
        let r = inspect(&f).unwrap();
        assert!(r.contains("state    raw record at +0x0: last application installed none, telcfg due: no\n"), "{r}");
        assert!(r.contains(&format!("  TelConfig     name stamp {:#018x}\n", aps::run::Stamp::of(b"telcfg.txt").0)), "{r}");
        assert!(r.contains("  config_sn     stamp "), "{r}");
        assert!(r.contains("aps log  2 lines, 76 bytes (raw text, no sector header)\n  Begin Common Config download...\n  CommonConfig: cé.txt download successfully!\n"), "{r}");
    }

    #[test]
    fn unknown_state_bytes_and_file_images() {
        let mut f = blank();
        put(&mut f, STATE.base, b"junk");
        put(&mut f, FILES.base + FLASH_SECTOR, &rom::pack(Kind::Dsp, Model::ALL[1], Version { major: 1, minor: 2, patch: 0 }, *b"261127", b"dsp!"));
        let r = inspect(&f).unwrap();
        assert!(r.contains("state    no provisioning state (4 bytes written in a format not recognised)\n"), "{r}");
        assert!(r.contains("files    1 of 80 sectors hold data (no file table: raw summary)\n"), "{r}");
        assert!(r.contains("  0x08310000  dsp image ST2030M v1.2.0\n"), "{r}");
    }

    /// A writable NOR over a flash image, to build journals as the firmware does.
    struct Mem(Vec<u8>);

    impl Nor for Mem {
        fn read(&self, addr: u32, buf: &mut [u8]) {
            Image(&self.0).read(addr, buf);
        }
        fn erase_sector(&mut self, addr: u32) -> Result<(), NorError> {
            let at = (addr - FLASH.base) as usize;
            self.0[at..at + FLASH_SECTOR as usize].fill(0xFF);
            Ok(())
        }
        fn program(&mut self, addr: u32, data: &[u8]) -> Result<(), NorError> {
            let at = (addr - FLASH.base) as usize;
            self.0[at..at + data.len()].iter_mut().zip(data).for_each(|(d, s)| *d &= s);
            Ok(())
        }
    }

    fn log_sector(seq: u32, text: &[u8]) -> Vec<u8> {
        let mut h = LOG_MAGIC.to_vec();
        h.extend_from_slice(&seq.to_le_bytes());
        h.extend_from_slice(&crc32(&h).to_le_bytes());
        h.extend_from_slice(&[0; 4]);
        h.extend_from_slice(text);
        h
    }

    #[test]
    fn firmware_layouts_state_journal_log_ring_file_table() {
        let mut m = Mem(blank());
        let mut st = Installed::default();
        st.app_version = Some(Version { major: 2, minor: 75, patch: 0 });
        st.record(FileKind::App, b"v2030SG.261127.2.75.zz");
        let mut rec = [0u8; aps::run::installed::ENCODED_MAX];
        let n = st.encode(&mut rec);
        let mut state: Store = Store::new(STATE.base);
        state.set_many(&mut m, [flashstore::Op::Set(b"aps.installed", &rec[..n]), flashstore::Op::Set(b"aps.resume", b"1")]).unwrap();
        // The newer log sector is sector 0 (seq 8), the older sector 1 (seq 7).
        put(&mut m.0, APS_LOG.base, &log_sector(8, b"third\n"));
        put(&mut m.0, APS_LOG.base + FLASH_SECTOR, &log_sector(7, b"first\nsecond\n"));
        // One file in data sector 3, one whose CRC is wrong.
        let body = b"Clocks:d=16,o=6,b=140:b5,a5,8P\r\n";
        let data = FILES.base + 2 * FLASH_SECTOR;
        put(&mut m.0, data + 3 * FLASH_SECTOR, body);
        let entry = |sector: u16, len: u32, crc: u32| [&sector.to_le_bytes()[..], &len.to_le_bytes(), &crc.to_le_bytes()].concat();
        let (good, bad) = (entry(3, body.len() as u32, crc32(body)), entry(3, 4, 0));
        let mut table: Store = Store::new(FILES.base);
        table.set_many(&mut m, [flashstore::Op::Set(b"melody", &good), flashstore::Op::Set(b"torn", &bad)]).unwrap();
        let r = inspect(&m.0).unwrap();
        assert!(r.contains("state    journal key `aps.installed`: last application installed 2.75.0, telcfg due: no\n  aps.resume=1\n  Firmware      name stamp "), "{r}");
        assert!(r.contains("aps log  3 lines, 19 bytes (sector 1 seq 7, sector 0 seq 8)\n  first\n  second\n  third\n"), "{r}");
        assert!(r.contains("files    table generation 1, 2 files, 2 of 80 sectors hold data\n"), "{r}");
        assert!(r.contains("  melody  32 bytes at 0x08350000, crc ok\n  torn  4 bytes at 0x08350000, crc BAD\n"), "{r}");
    }
}
