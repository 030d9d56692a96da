//! Whole runs against a scripted fake server (a table location → bytes /
//! not found / unreachable / server error) and a fake phone (slot, file
//! store, config store, factory profile, installed-state record, LCD, log).
//! Each test names the CONFORMANCE IDs it covers.

use super::*;
use crate::lcd::Message;
use crate::names::Mac;
use crate::ser;
use crate::url::{Host, Url};
use board::image::{HEADER_LEN, Header, Kind, Version, crc32};
use board::model::Model;
use std::collections::{BTreeMap, HashMap};
use std::string::{String, ToString};
use std::vec::Vec;

const MAC: Mac = Mac([0x00, 0x14, 0x7F, 0xE1, 0x47, 0xB3]);
const V267: Version = Version { major: 2, minor: 67, patch: 0 };
const V269: Version = Version { major: 2, minor: 69, patch: 0 };
const V274: Version = Version { major: 2, minor: 74, patch: 1 };

#[derive(Clone)]
enum Entry {
    Bytes(Vec<u8>),
    NotFound,
    Unreachable,
    ServerError,
}

/// The fake server: location text → answer; anything absent is 404.
#[derive(Default)]
struct Server {
    files: HashMap<String, Entry>,
}

impl Server {
    fn put(&mut self, at: &str, bytes: impl Into<Vec<u8>>) -> &mut Self {
        self.files.insert(at.to_string(), Entry::Bytes(bytes.into()));
        self
    }
    fn set(&mut self, at: &str, e: Entry) -> &mut Self {
        self.files.insert(at.to_string(), e);
        self
    }
    fn get(&self, at: &str) -> Entry {
        self.files.get(at).cloned().unwrap_or(Entry::NotFound)
    }
}

fn location_text(l: &Location<'_>) -> String {
    match l {
        Location::Tftp { name, .. } => format!("tftp:{name}"),
        Location::Http(r) => {
            let port = if r.port == 80 { String::new() } else { format!(":{}", r.port) };
            format!("http://{}{}{}", std::str::from_utf8(r.host_text).unwrap(), port, std::str::from_utf8(r.path()).unwrap())
        }
    }
}

fn image(model: Model, kind: Kind, v: Version) -> Vec<u8> {
    let payload: Vec<u8> = (0..1000u32).map(|i| (i * 7 + u32::from(v.minor)) as u8).collect();
    let h = Header {
        kind,
        hardware: model.hardware,
        protocol: model.protocol,
        version: v,
        date: *b"101223",
        payload_len: payload.len() as u32,
        payload_crc: crc32(&payload),
    };
    let mut b = h.encode().to_vec();
    b.extend_from_slice(&payload);
    b
}

fn encrypt(key: &[u8; 16], text: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; ser::padded_len(text.len())];
    buf[..text.len()].copy_from_slice(text);
    ser::encrypt(key, &mut buf, text.len()).unwrap().to_vec()
}

/// How one run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
enum End {
    Reboot(RebootReason),
    Done(bool),
    Failed(Message),
}

/// The fake phone.
struct Device {
    model: Model,
    key: [u8; 16],
    running: Version,
    slot: Option<Vec<u8>>,
    state: Vec<u8>,
    files: BTreeMap<String, Vec<u8>>,
    config: BTreeMap<(String, String), String>,
    factory: Option<BTreeMap<(String, String), String>>,
    resumed: bool,
    fetched: Vec<String>,
    log: Vec<String>,
    lcd: BTreeMap<u8, String>,
    saves: usize,
}

impl Device {
    fn new(model: &str) -> Device {
        let mut state = [0u8; installed::ENCODED_MAX];
        let n = Installed::default().encode(&mut state);
        Device {
            model: Model::parse(model).unwrap(),
            key: ser::DEFAULT_KEY,
            running: V267,
            slot: None,
            state: state[..n].to_vec(),
            files: BTreeMap::new(),
            config: BTreeMap::new(),
            factory: None,
            resumed: false,
            fetched: vec![],
            log: vec![],
            lcd: BTreeMap::new(),
            saves: 0,
        }
    }

    fn installed(&self) -> Installed {
        Installed::decode(&self.state).unwrap()
    }

    fn set_installed(&mut self, i: Installed) {
        let mut out = [0u8; installed::ENCODED_MAX];
        let n = i.encode(&mut out);
        self.state = out[..n].to_vec();
    }

    /// One run: fetch the INF at `inf_at` (HTTP URL or `tftp:NAME`), then drive `Run`.
    fn run(&mut self, srv: &Server, inf_at: &str) -> End {
        self.fetched.push("INF".to_string());
        let inf = match srv.get(inf_at) {
            Entry::Bytes(b) => b,
            _ => panic!("no INF at {inf_at}"),
        };
        let origin = match inf_at.strip_prefix("tftp:") {
            Some(_) => Origin::Tftp { server: Host::Name(b"tftp.lan"), port: 69 },
            None => Origin::Http { inf_url: Url::parse(inf_at.as_bytes()).unwrap() },
        };
        let phone = Phone { model: self.model, mac: MAC, running: self.running, key: self.key };
        let mut run = Run::new(phone, origin, &inf, self.installed(), self.resumed);
        let mut staging: Vec<u8> = vec![];
        let mut ram: HashMap<&'static str, Vec<u8>> = HashMap::new();
        let now = crate::time::Instant::from_secs(1);
        for _ in 0..2000 {
            assert!(run.poll_at().is_some() || run.is_finished(), "poll_at says idle while work is due");
            match run.poll(now) {
                Action::Lcd(s) => {
                    if s == Screen::Normal {
                        self.lcd.clear();
                    }
                    for (l, t) in s.lines() {
                        self.lcd.insert(l, t.to_string());
                    }
                }
                Action::Log(l) => self.log.push(l.to_string()),
                Action::Fetch(f) => {
                    let at = location_text(&f.location);
                    self.fetched.push(at.clone());
                    let r = match srv.get(&at) {
                        Entry::NotFound => FetchResult::NotFound,
                        Entry::Unreachable => FetchResult::Unreachable,
                        Entry::ServerError => FetchResult::ServerError,
                        Entry::Bytes(b) => match f.into {
                            Sink::Ram(buf) => {
                                let slot = match buf {
                                    Buf::Common => "common",
                                    Buf::Mac => "mac",
                                    Buf::File => "file",
                                };
                                ram.insert(slot, b);
                                run.report(now, FetchResult::Data(ram.get_mut(slot).unwrap()));
                                assert_eq!(run.poll_at(), Some(crate::time::Instant::ZERO));
                                continue;
                            }
                            Sink::Slot | Sink::Files(_) => {
                                if f.kind.image().is_some() && !run.image_header(&b[..b.len().min(HEADER_LEN)]) {
                                    // Aborted; the run has failed already.
                                    run.report(now, FetchResult::Unreachable);
                                    continue;
                                }
                                staging = b.clone();
                                FetchResult::Streamed { len: b.len() as u32 }
                            }
                        },
                    };
                    run.report(now, r);
                }
                Action::CheckImage { .. } => run.image_complete(Header::check_image(&staging).is_ok()),
                Action::Install { kind, name, from, len } => {
                    let name = String::from_utf8_lossy(name).to_string();
                    match from {
                        Sink::Slot => self.slot = Some(staging[..len as usize].to_vec()),
                        Sink::Files(_) => {
                            self.files.insert(format!("{}:{name}", kind.tag()), staging[..len as usize].to_vec());
                        }
                        Sink::Ram(_) => {
                            self.files.insert(format!("{}:{name}", kind.tag()), ram["file"][..len as usize].to_vec());
                        }
                    }
                    run.committed(true);
                }
                Action::ApplyConfig(a) => {
                    let common = a.common.map(|n| &ram["common"][..n]);
                    let mac = a.mac.map(|n| &ram["mac"][..n]);
                    for (_, e) in apply_entries(common, mac) {
                        let s = |b: &[u8]| String::from_utf8_lossy(b).to_lowercase();
                        self.config.insert((s(e.section), s(e.key)), String::from_utf8_lossy(e.value).to_string());
                    }
                    if a.factory {
                        self.factory = Some(self.config.clone());
                    }
                    run.committed(true);
                }
                Action::Save => {
                    self.set_installed(*run.installed());
                    self.saves += 1;
                }
                Action::Wait => panic!("nothing pending in a synchronous harness"),
                Action::Reboot(r) => {
                    // The boot ROM starts the newest committed slot.
                    if let Some(s) = self.slot.take() {
                        self.running = Header::decode(&s).unwrap().version;
                    }
                    self.resumed = r == RebootReason::FirmwareUpdated;
                    assert_eq!(run.poll(now), Action::Reboot(r), "terminal actions repeat");
                    return End::Reboot(r);
                }
                Action::Done { installed_anything } => {
                    self.resumed = false;
                    return End::Done(installed_anything);
                }
                Action::Failed { message } => {
                    self.resumed = false;
                    assert!(run.is_finished() && run.poll_at().is_none());
                    return End::Failed(message);
                }
            }
        }
        panic!("run did not end");
    }

    fn take_fetched(&mut self) -> Vec<String> {
        std::mem::take(&mut self.fetched)
    }

    fn cfg(&self, section: &str, key: &str) -> Option<&str> {
        self.config.get(&(section.to_string(), key.to_string())).map(String::as_str)
    }
}

const HTTP_INF_AT: &str = "http://aps.lan/st2030s/ST2030S_00147FE147B3.inf";

const SIP_HTTP_INF: &str = "[application]\r
fwurl=v2030SG.R11.1.SED.101223.2.69.zz\r
dspurl=dsp2030SG.2.69.zz\r
[melody]\r
melodies=ringtone_033006.txt\r
system_melodies=ringtone_040406.txt\r
call_waiting_tone=ringtone_040406CWT.txt\r
[config]\r
tone_table=ToneTable.txt\r
language_table=LangTable.txt\r
telcfg=st2030s_v269_cfg.txt\r
common_config=config/ComConf2030SG.R11.1.090213.2.69.1.txt\r
config=config/\r
";

const MELODY: &[u8] = b"Clocks:d=16,o=6,b=140:b5,a5,8P\r\n";
const TELCFG: &[u8] = b"#VPD1020D49S_IAD_TELCFG\r\nSET 1 2\r\n";
const COMMON: &[u8] = b"[autoprovision]\r\nAutoprovisionFlag=1\r\n[sip]\r\nDisplayName1=Common\r\nregid1=1\r\n";
const MAC_TXT: &[u8] = b"[sys]\nconfig_sn=200901010000\n[sip]\nDisplayName1=Alice\nTEL1Number=2001\n";

fn sip_http_server() -> Server {
    let m = Model::parse("ST2030S").unwrap();
    let mut s = Server::default();
    s.put(HTTP_INF_AT, SIP_HTTP_INF)
        .put("http://aps.lan/st2030s/v2030SG.R11.1.SED.101223.2.69.zz", image(m, Kind::App, V269))
        .put("http://aps.lan/st2030s/dsp2030SG.2.69.zz", image(m, Kind::Dsp, V269))
        .put("http://aps.lan/st2030s/ringtone_033006.txt", MELODY)
        .put("http://aps.lan/st2030s/ringtone_040406.txt", MELODY)
        .put("http://aps.lan/st2030s/ringtone_040406CWT.txt", MELODY)
        .put("http://aps.lan/st2030s/ToneTable.txt", "tones")
        .put("http://aps.lan/st2030s/LangTable.txt", "langs")
        .put("http://aps.lan/st2030s/st2030s_v269_cfg.txt", TELCFG)
        .put("http://aps.lan/st2030s/config/ComConf2030SG.R11.1.090213.2.69.1.txt", COMMON)
        .put("http://aps.lan/st2030s/config/ST2030S_00147FE147B3.txt", MAC_TXT);
    s
}

fn urls(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| if *s == "INF" { s.to_string() } else { format!("http://aps.lan/st2030s/{s}") }).collect()
}

/// F1, F2, F3, F5, F7, F8, F9, L1, and the 2.67→2.69 field-fact sequence.
#[test]
fn first_install_over_http_matches_the_field_fact_sequence() {
    let srv = sip_http_server();
    let mut d = Device::new("ST2030S");

    assert_eq!(d.run(&srv, HTTP_INF_AT), End::Reboot(RebootReason::FirmwareUpdated));
    assert_eq!(d.take_fetched(), urls(&["INF", "v2030SG.R11.1.SED.101223.2.69.zz", "dsp2030SG.2.69.zz"]));
    assert_eq!(d.running, V269);
    assert_eq!(d.lcd.get(&3).map(String::as_str), Some("Provisioning..."));
    assert_eq!(d.lcd.get(&4).map(String::as_str), Some("Please Wait..."));

    assert_eq!(d.run(&srv, HTTP_INF_AT), End::Reboot(RebootReason::Provisioned));
    assert_eq!(
        d.take_fetched(),
        urls(&[
            "INF",
            "ringtone_033006.txt",
            "ringtone_040406.txt",
            "ringtone_040406CWT.txt",
            "ToneTable.txt",
            "LangTable.txt",
            "st2030s_v269_cfg.txt",
            "config/ComConf2030SG.R11.1.090213.2.69.1.txt",
            "config/ST2030S_00147FE147B3.ser",
            "config/ST2030S_00147FE147B3.txt",
        ])
    );
    // F8: the MAC file wins over the common one; both are applied.
    assert_eq!(d.cfg("sip", "displayname1"), Some("Alice"));
    assert_eq!(d.cfg("sip", "regid1"), Some("1"));
    assert_eq!(d.cfg("sys", "config_sn"), Some("200901010000"));
    assert_eq!(d.files.get("Melody:ringtone_033006.txt").map(Vec::as_slice), Some(MELODY));
    assert_eq!(d.files.get("TelConfig:st2030s_v269_cfg.txt").map(Vec::as_slice), Some(TELCFG));
    assert!(!d.installed().telcfg_due);

    assert_eq!(d.run(&srv, HTTP_INF_AT), End::Done(false));
    assert_eq!(d.take_fetched(), urls(&["INF", "config/ST2030S_00147FE147B3.ser", "config/ST2030S_00147FE147B3.txt"]));
    assert!(d.lcd.is_empty(), "the provisioning screen is cleared");
    assert!(d.log.contains(&"Serial number is the same!".to_string()));
    assert_eq!(d.installed().app_version, Some(V269));
}

/// F9 (nothing installed, no reboot), F4, F6, F7: a run against an unchanged server.
#[test]
fn second_run_against_unchanged_server_installs_nothing() {
    let srv = sip_http_server();
    let mut d = Device::new("ST2030S");
    while d.run(&srv, HTTP_INF_AT) != End::Done(false) {}
    d.take_fetched();
    let (saves, config, files, state) = (d.saves, d.config.clone(), d.files.clone(), d.state.clone());
    d.log.clear();
    assert_eq!(d.run(&srv, HTTP_INF_AT), End::Done(false));
    assert_eq!(d.take_fetched(), urls(&["INF", "config/ST2030S_00147FE147B3.ser", "config/ST2030S_00147FE147B3.txt"]));
    assert_eq!((d.saves, &d.config, &d.files, &d.state), (saves, &config, &files, &state));
    assert!(d.log.contains(&"Firmware: v2030SG.R11.1.SED.101223.2.69.zz is the same!".to_string()), "{:?}", d.log);
    assert!(d.log.contains(&"Auto provisioning done, nothing to upgrade".to_string()));
}

const TFTP_INF: &str = "[application]
fw_filename=.\\fw\\v2030SG.R11.1.SED.101223.2.69.zz
[melody]
melodies=ring.txt
[config]
telcfg=st2030s_cfg.txt
common_config=st2030s.txt
beep_tone=bt.txt
";

fn sip_tftp_server() -> Server {
    let m = Model::parse("ST2030S").unwrap();
    let mut s = Server::default();
    s.put("tftp:ST2030S.inf", TFTP_INF)
        .put("tftp:.\\fw\\v2030SG.R11.1.SED.101223.2.69.zz", image(m, Kind::App, V269))
        .put("tftp:ring.txt", MELODY)
        .put("tftp:st2030s_cfg.txt", TELCFG)
        .put("tftp:st2030s.txt", COMMON)
        .put("tftp:ST2030S_00147FE147B3.txt", MAC_TXT);
    s
}

/// F1, F3 (SIP over TFTP: reboot at the end), F5, F7 (server root), F9, I5.
#[test]
fn sip_over_tftp_reboots_at_the_end() {
    let srv = sip_tftp_server();
    let mut d = Device::new("ST2030S");
    assert_eq!(d.run(&srv, "tftp:ST2030S.inf"), End::Reboot(RebootReason::Provisioned));
    assert_eq!(
        d.take_fetched(),
        [
            "INF",
            "tftp:.\\fw\\v2030SG.R11.1.SED.101223.2.69.zz",
            "tftp:ring.txt",
            "tftp:st2030s_cfg.txt",
            "tftp:st2030s.txt",
            "tftp:ST2030S_00147FE147B3.ser",
            "tftp:ST2030S_00147FE147B3.txt",
        ]
    );
    assert_eq!(d.running, V269);
    assert!(d.log.contains(&"INF line 8: beep_tone is not used by SIP phones, ignored".to_string()), "{:?}", d.log);
    assert_eq!(d.run(&srv, "tftp:ST2030S.inf"), End::Done(false));
    assert_eq!(d.take_fetched(), ["INF", "tftp:ST2030S_00147FE147B3.ser", "tftp:ST2030S_00147FE147B3.txt"]);
}

const MGCP_INF_AT: &str = "http://aps.lan/m/ST2030M.inf";
const MGCP_INF: &str = "[application]
fwurl=v2030MG.2.69.zz
[deckfile]
deckfile=decks/main.thd
deckfile=http://decks.lan/renvoi.thd
[melody]
melodies=ring.txt
beep_tone=bt.txt
[config]
tone_table=ToneTable.txt
telcfg=m_cfg.txt
common_config=st2030m.txt
";
const DECK: &[u8] = b"<?xml version=\"1.0\"?>\n<deck name=\"main\"><screen id=\"1\">Appel &amp; renvoi</screen></deck>\n";

fn mgcp_server() -> Server {
    let m = Model::parse("ST2030M").unwrap();
    let mut s = Server::default();
    s.put(MGCP_INF_AT, MGCP_INF)
        .put("http://aps.lan/m/v2030MG.2.69.zz", image(m, Kind::App, V269))
        .put("http://aps.lan/m/ring.txt", MELODY)
        .put("http://aps.lan/m/bt.txt", MELODY)
        .put("http://aps.lan/m/m_cfg.txt", TELCFG)
        .put("http://aps.lan/m/st2030m.txt", COMMON)
        .put("http://aps.lan/m/ST2030M_00147FE147B3.txt", "[sys]\nconfig_sn=7\n")
        .put("http://aps.lan/m/decks/main.thd", DECK)
        .put("http://decks.lan/renvoi.thd", DECK);
    s
}

/// F1 (MGCP order), F3 (MGCP reboots after the images), F9, F10 (deck files
/// every run, after the reboot step), I5.
#[test]
fn mgcp_over_http_with_deck_files() {
    let srv = mgcp_server();
    let mut d = Device::new("ST2030M");
    assert_eq!(d.run(&srv, MGCP_INF_AT), End::Reboot(RebootReason::FirmwareUpdated));
    assert_eq!(d.take_fetched(), ["INF", "http://aps.lan/m/v2030MG.2.69.zz"]);
    assert!(d.log.contains(&"INF line 10: tone_table is not used by MGCP phones, ignored".to_string()), "{:?}", d.log);

    assert_eq!(d.run(&srv, MGCP_INF_AT), End::Reboot(RebootReason::Provisioned));
    let m = |s: &str| format!("http://aps.lan/m/{s}");
    assert_eq!(
        d.take_fetched(),
        [
            "INF".into(),
            m("ring.txt"),
            m("bt.txt"),
            m("m_cfg.txt"),
            m("st2030m.txt"),
            m("ST2030M_00147FE147B3.ser"),
            m("ST2030M_00147FE147B3.txt")
        ]
    );
    for _ in 0..2 {
        assert_eq!(d.run(&srv, MGCP_INF_AT), End::Done(false));
        assert_eq!(
            d.take_fetched(),
            [
                "INF".into(),
                m("ST2030M_00147FE147B3.ser"),
                m("ST2030M_00147FE147B3.txt"),
                m("decks/main.thd"),
                "http://decks.lan/renvoi.thd".to_string(),
            ]
        );
    }
    assert_eq!(d.files.get("DeckFile:decks/main.thd").map(Vec::as_slice), Some(DECK));
}

/// Runs `srv` to its end from a fresh phone (at most three runs) and returns
/// the failure.
fn failure(model: &str, srv: &Server, inf_at: &str) -> (Message, Device) {
    let mut d = Device::new(model);
    for _ in 0..3 {
        match d.run(srv, inf_at) {
            End::Failed(m) => return (m, d),
            End::Reboot(_) => {}
            End::Done(_) => panic!("no failure: {:?}", d.log),
        }
    }
    panic!("no failure");
}

/// L2 (every message), L3 (the error screen), F2, F5, F10, F11, I6: each
/// error shows its text on line 3, `Still using vX.YY` on line 4, and
/// `Please contact admin` on line 5; no config is applied.
#[test]
fn every_l2_error_message() {
    let st2022 = Model::parse("ST2022S").unwrap();
    let mut corrupt = image(Model::parse("ST2030S").unwrap(), Kind::App, V269);
    let last = corrupt.len() - 1;
    corrupt[last] ^= 1;
    let fw = "http://aps.lan/st2030s/v2030SG.R11.1.SED.101223.2.69.zz";
    let mel = "http://aps.lan/st2030s/ringtone_033006.txt";
    let tel = "http://aps.lan/st2030s/st2030s_v269_cfg.txt";
    let com = "http://aps.lan/st2030s/config/ComConf2030SG.R11.1.090213.2.69.1.txt";
    type Edit = Box<dyn Fn(&mut Server)>;
    let inf = |from: &'static str, to: &'static str| -> Edit {
        Box::new(move |s: &mut Server| {
            s.put(HTTP_INF_AT, SIP_HTTP_INF.replace(from, to));
        })
    };
    let put = |at: &'static str, b: Vec<u8>| -> Edit {
        Box::new(move |s: &mut Server| {
            s.put(at, b.clone());
        })
    };
    let set = |at: &'static str, e: Entry| -> Edit {
        Box::new(move |s: &mut Server| {
            s.set(at, e.clone());
        })
    };
    let cases: Vec<(Message, Edit)> = vec![
        (Message::WrongFirmware, put(fw, image(st2022, Kind::App, V269))),
        (Message::WrongFirmware, inf("fwurl=v2030SG.R11.1.SED.101223.2.69.zz", "fwurl=")),
        (Message::WrongFirmware, put(fw, image(Model::parse("ST2030S").unwrap(), Kind::Dsp, V269))),
        (Message::WrongComConfig, inf("common_config=config/", "common_config=<config/")),
        (Message::WrongTelConfig, put(tel, b"#VPD1220D49S_IAD_TELCFG\n".to_vec())),
        (Message::WrongTelConfig, inf("telcfg=st2030s_v269_cfg.txt", "telcfg=")),
        (Message::WrongMelodyConfig, inf("melodies=ringtone_033006.txt", "melodies=")),
        (Message::ServerUnreachable, set(mel, Entry::Unreachable)),
        (Message::ServerUnreachable, set(com, Entry::ServerError)),
        (Message::GenFileNotFound, put(HTTP_INF_AT, b"<html>\n<body>Welcome</body>\n</html>\n".to_vec())),
        (Message::FirmwareNotFound, set(fw, Entry::NotFound)),
        (Message::MelodyCfgNotFound, set(mel, Entry::NotFound)),
        (Message::ComConfigNotFound, set(com, Entry::NotFound)),
        (Message::TelConfigNotFound, set(tel, Entry::NotFound)),
        (Message::CorruptedFirmware, put(fw, corrupt)),
        (Message::CorruptedFirmware, put(fw, b"STZZ short".to_vec())),
        (Message::CorruptedConfig, put(com, b"[sip]\nDisplayName1=x\nthis is not a pair\n".to_vec())),
        (Message::CorruptedMelodyFile, put(mel, b"<html>not found</html>".to_vec())),
    ];
    for (want, edit) in cases {
        let mut srv = sip_http_server();
        edit(&mut srv);
        let (got, d) = failure("ST2030S", &srv, HTTP_INF_AT);
        assert_eq!(got, want, "{:?}", d.log);
        let screen: Vec<(u8, &str)> = d.lcd.iter().map(|(l, t)| (*l, t.as_str())).collect();
        let still = format!("Still using v2.{}", d.running.minor);
        assert_eq!(screen, [(3, want.text()), (4, still.as_str()), (5, "Please contact admin")]);
        assert!(d.config.is_empty(), "{want:?}: nothing applied");
        assert!(d.log.last().unwrap().starts_with("Auto provisioning failed: "), "{:?}", d.log);
    }
    // The MGCP-only messages.
    let deck = "http://aps.lan/m/decks/main.thd";
    let mgcp: Vec<(Message, Edit)> = vec![
        (Message::DeckFileNotFound, set(deck, Entry::NotFound)),
        (Message::XmlSyntaxError, put(deck, b"<deck><screen></deck>".to_vec())),
        (
            Message::CorruptedDeckFiles,
            Box::new(|s: &mut Server| {
                s.put(MGCP_INF_AT, MGCP_INF.replace("deckfile=decks/main.thd", "deckfile="));
            }),
        ),
    ];
    for (want, edit) in mgcp {
        let mut srv = mgcp_server();
        edit(&mut srv);
        let (got, d) = failure("ST2030M", &srv, MGCP_INF_AT);
        assert_eq!(got, want, "{:?}", d.log);
        assert_eq!(d.lcd.get(&3).map(String::as_str), Some(want.text()));
        assert_eq!(d.lcd.get(&4).map(String::as_str), Some("Still using v2.69"));
    }
}

/// F2: a failed firmware leaves the running one; line 4 names it.
#[test]
fn failed_firmware_keeps_the_running_one() {
    let mut srv = sip_http_server();
    srv.set("http://aps.lan/st2030s/dsp2030SG.2.69.zz", Entry::NotFound);
    let mut d = Device::new("ST2030S");
    assert_eq!(d.run(&srv, HTTP_INF_AT), End::Failed(Message::FirmwareNotFound));
    assert_eq!(d.running, V267);
    assert_eq!(d.lcd.get(&4).map(String::as_str), Some("Still using v2.67"));
    // The application image was committed; the next run does not fetch it again.
    srv.put("http://aps.lan/st2030s/dsp2030SG.2.69.zz", image(Model::parse("ST2030S").unwrap(), Kind::Dsp, V269));
    d.take_fetched();
    assert_eq!(d.run(&srv, HTTP_INF_AT), End::Reboot(RebootReason::FirmwareUpdated));
    assert_eq!(d.take_fetched(), urls(&["INF", "dsp2030SG.2.69.zz"]));
}

/// F2: a different name is fetched even when it is an older version.
#[test]
fn downgrade_is_fetched_and_installed() {
    let srv = sip_http_server();
    let mut d = Device::new("ST2030S");
    d.running = V274;
    let mut i = Installed::default();
    i.record(FileKind::App, b"v2030SG.R11.1.SED.110301.2.74.zz");
    i.record(FileKind::Dsp, b"dsp2030SG.2.69.zz");
    i.app_version = Some(V274);
    d.set_installed(i);
    assert_eq!(d.run(&srv, HTTP_INF_AT), End::Reboot(RebootReason::FirmwareUpdated));
    assert_eq!(d.take_fetched(), urls(&["INF", "v2030SG.R11.1.SED.101223.2.69.zz"]));
    assert_eq!(d.running, V269);
    assert_eq!(d.installed().app_version, Some(V269));
}

/// F5: telcfg is fetched again after a firmware change even under the same name.
#[test]
fn telcfg_follows_a_firmware_change() {
    let srv = sip_http_server();
    let mut d = Device::new("ST2030S");
    while d.run(&srv, HTTP_INF_AT) != End::Done(false) {}
    let mut srv = sip_http_server();
    let m = Model::parse("ST2030S").unwrap();
    srv.put(HTTP_INF_AT, SIP_HTTP_INF.replace("2.69.zz", "2.74.zz"))
        .put("http://aps.lan/st2030s/v2030SG.R11.1.SED.101223.2.74.zz", image(m, Kind::App, V274))
        .put("http://aps.lan/st2030s/dsp2030SG.2.74.zz", image(m, Kind::Dsp, V274));
    d.take_fetched();
    assert_eq!(d.run(&srv, HTTP_INF_AT), End::Reboot(RebootReason::FirmwareUpdated));
    assert!(d.installed().telcfg_due);
    assert_eq!(d.run(&srv, HTTP_INF_AT), End::Reboot(RebootReason::Provisioned));
    assert!(d.take_fetched().contains(&"http://aps.lan/st2030s/st2030s_v269_cfg.txt".to_string()));
    assert!(!d.installed().telcfg_due);
}

const KEY2: [u8; 16] = *b"1234567890123456";

/// E1: `.ser` files decrypt with the configured key; the log follows the
/// vendor's wording (F12).
#[test]
fn encrypted_common_and_mac_files() {
    let mut srv = sip_http_server();
    srv.put(HTTP_INF_AT, SIP_HTTP_INF.replace("2.69.1.txt", "2.69.1.ser"))
        .put("http://aps.lan/st2030s/config/ComConf2030SG.R11.1.090213.2.69.1.ser", encrypt(&KEY2, COMMON))
        .put("http://aps.lan/st2030s/config/ST2030S_00147FE147B3.ser", encrypt(&KEY2, MAC_TXT));
    let mut d = Device::new("ST2030S");
    d.key = KEY2;
    d.run(&srv, HTTP_INF_AT);
    d.log.clear();
    assert_eq!(d.run(&srv, HTTP_INF_AT), End::Reboot(RebootReason::Provisioned));
    assert_eq!(d.cfg("sip", "displayname1"), Some("Alice"));
    let tail: Vec<&str> = d.log.iter().map(String::as_str).skip_while(|l| !l.starts_with("Begin Common")).collect();
    assert_eq!(
        tail,
        [
            "Begin Common Config download...",
            "AES decrypt common config file successfully!",
            "CommonConfig: config/ComConf2030SG.R11.1.090213.2.69.1.ser download successfully!",
            "Begin Mac config download...",
            "MacConfig: ST2030S_00147FE147B3.ser download successfully!",
            "AES decrypt mac file successfully!",
            "Serial number is different!",
            "Begin upgrading config file...",
            "Check config file syntax",
            "Check config file syntax successfully!",
            "Upgrading config file successfully!",
            "Reboot to apply the upgrade...",
        ]
    );
}

/// E2: the wrong key gives `Corrupted Config`, the log says why, nothing changes.
#[test]
fn wrong_key_is_corrupted_config() {
    let mut srv = sip_http_server();
    srv.put("http://aps.lan/st2030s/config/ST2030S_00147FE147B3.ser", encrypt(&KEY2, MAC_TXT));
    let (m, d) = failure("ST2030S", &srv, HTTP_INF_AT);
    assert_eq!(m, Message::CorruptedConfig);
    assert!(d.log.iter().any(|l| l.starts_with("Error: AES decrypt mac file failed: ") && l.ends_with("(wrong key?)")), "{:?}", d.log);
    assert!(d.config.is_empty());
    assert_eq!(d.installed().config_sn(), None);
}

/// F11: a MAC file without `config_sn` is `Corrupted Config`; the installed
/// config stays whole (nothing of the common file is applied either).
#[test]
fn corrupted_config_changes_nothing() {
    let mut srv = sip_http_server();
    let mut d = Device::new("ST2030S");
    while d.run(&srv, HTTP_INF_AT) != End::Done(false) {}
    let before = d.config.clone();
    srv.put(HTTP_INF_AT, SIP_HTTP_INF.replace("2.69.1.txt", "2.69.2.txt"))
        .put("http://aps.lan/st2030s/config/ComConf2030SG.R11.1.090213.2.69.2.txt", "[sip]\nDisplayName1=New\n")
        .put("http://aps.lan/st2030s/config/ST2030S_00147FE147B3.txt", "[sip]\nDisplayName1=Bob\n");
    assert_eq!(d.run(&srv, HTTP_INF_AT), End::Failed(Message::CorruptedConfig));
    assert!(d.log.contains(&"Error: Parse config file failed or config_sn tag not found!".to_string()));
    assert_eq!(d.config, before);
    // The common file was not recorded as installed: it is fetched again next time.
    assert!(!d.installed().is_same(FileKind::CommonConfig, b"config/ComConf2030SG.R11.1.090213.2.69.2.txt"));
}

/// F7: a changed `config_sn` alone applies the MAC file; F9: and reboots.
#[test]
fn changed_config_sn_alone_is_applied() {
    let mut srv = sip_http_server();
    let mut d = Device::new("ST2030S");
    while d.run(&srv, HTTP_INF_AT) != End::Done(false) {}
    srv.put("http://aps.lan/st2030s/config/ST2030S_00147FE147B3.txt", "[sys]\nconfig_sn=B\n[sip]\nDisplayName1=Bob\n");
    assert_eq!(d.run(&srv, HTTP_INF_AT), End::Reboot(RebootReason::Provisioned));
    assert_eq!(d.cfg("sip", "displayname1"), Some("Bob"));
    assert_eq!(d.cfg("sip", "regid1"), Some("1"), "the common values stay");
    assert_eq!(d.run(&srv, HTTP_INF_AT), End::Done(false));
}

/// I2: in customization mode the applied config is also the factory profile.
#[test]
fn customization_mode_stores_the_factory_profile() {
    let mut srv = sip_http_server();
    srv.put(HTTP_INF_AT, format!("[provision_mode]\nprovision_mode=customization\n{SIP_HTTP_INF}"));
    let mut d = Device::new("ST2030S");
    while d.run(&srv, HTTP_INF_AT) != End::Done(false) {}
    assert_eq!(d.factory.as_ref(), Some(&d.config));
    assert!(d.log.contains(&"Customization: config stored as factory profile".to_string()));
    let mut plain = Device::new("ST2030S");
    while plain.run(&sip_http_server(), HTTP_INF_AT) != End::Done(false) {}
    assert_eq!(plain.factory, None);
}

/// I6 for the `config=` directory, and F7's "missing is normal".
#[test]
fn missing_mac_file_is_normal() {
    let mut srv = sip_http_server();
    srv.set("http://aps.lan/st2030s/config/ST2030S_00147FE147B3.txt", Entry::NotFound);
    let mut d = Device::new("ST2030S");
    while d.run(&srv, HTTP_INF_AT) != End::Done(false) {}
    assert_eq!(d.cfg("sip", "displayname1"), Some("Common"));
    assert!(d.log.contains(&"MacConfig: ST2030S_00147FE147B3.txt not found on server".to_string()));
}

/// F2/F3: answers that do not match the pending request change nothing;
/// a run never ends on its own without answers.
#[test]
fn stray_answers_are_ignored() {
    let inf = SIP_HTTP_INF.as_bytes();
    let phone = Phone { model: Model::parse("ST2030S").unwrap(), mac: MAC, running: V267, key: ser::DEFAULT_KEY };
    let origin = Origin::Http { inf_url: Url::parse(HTTP_INF_AT.as_bytes()).unwrap() };
    let mut run = Run::new(phone, origin, inf, Installed::default(), false);
    let now = crate::time::Instant::ZERO;
    run.committed(true);
    run.image_complete(true);
    run.report(now, FetchResult::NotFound);
    assert!(!run.image_header(&[0; 256]));
    let mut actions = vec![];
    loop {
        let a = run.poll(now);
        if let Action::Fetch(f) = &a {
            assert_eq!(f.kind, FileKind::App);
            assert_eq!(f.into, Sink::Slot);
            break;
        }
        actions.push(a);
    }
    assert_eq!(actions[0], Action::Lcd(Screen::Provisioning));
    assert_eq!(run.poll(now), Action::Wait);
    assert_eq!(run.poll_at(), None);
    run.committed(true);
    run.image_complete(true);
    assert_eq!(run.poll(now), Action::Wait);
}

/// Run size in RAM (reported to the lead) stays small.
#[test]
fn run_is_small() {
    let size = core::mem::size_of::<Run<'_>>();
    std::println!(
        "size_of::<Run>() = {size} bytes, Installed = {} bytes, Action = {} bytes",
        core::mem::size_of::<Installed>(),
        core::mem::size_of::<Action<'_>>()
    );
    assert!(size <= 1024, "{size}");
}

proptest::proptest! {
    /// Any answers in any order: no panic, and the run ends within a bounded
    /// number of polls (at most one request per plan step and deck file).
    #[test]
    fn any_answers_end_the_run(choices in proptest::collection::vec(0u8..8, 0..64), mgcp: bool) {
        let (model, inf) = if mgcp { ("ST2030M", MGCP_INF) } else { ("ST2030S", SIP_HTTP_INF) };
        let phone = Phone { model: Model::parse(model).unwrap(), mac: MAC, running: V267, key: ser::DEFAULT_KEY };
        let origin = Origin::Http { inf_url: Url::parse(HTTP_INF_AT.as_bytes()).unwrap() };
        let mut run = Run::new(phone, origin, inf.as_bytes(), Installed::default(), false);
        let now = crate::time::Instant::ZERO;
        let mut it = choices.into_iter().cycle();
        let mut ended = false;
        for _ in 0..1000 {
            let c = it.next().unwrap_or(0);
            match run.poll(now) {
                Action::Fetch(f) => {
                    let mut data = match f.kind {
                        FileKind::Telcfg => TELCFG.to_vec(),
                        FileKind::CommonConfig => COMMON.to_vec(),
                        FileKind::MacConfig => MAC_TXT.to_vec(),
                        FileKind::DeckFile => DECK.to_vec(),
                        FileKind::App | FileKind::Dsp => image(Model::parse(model).unwrap(), if f.kind == FileKind::App { Kind::App } else { Kind::Dsp }, V269),
                        _ => MELODY.to_vec(),
                    };
                    let r = match c {
                        0 => FetchResult::NotFound,
                        1 => FetchResult::Unreachable,
                        2 => FetchResult::ServerError,
                        3 => FetchResult::TooLarge,
                        4 => FetchResult::Streamed { len: data.len() as u32 },
                        _ => {
                            if f.kind.image().is_some() && c == 5 {
                                run.image_header(&data);
                            }
                            FetchResult::Data(&mut data)
                        }
                    };
                    run.report(now, r);
                }
                Action::CheckImage { .. } => run.image_complete(c != 0),
                Action::Install { .. } | Action::ApplyConfig(_) => run.committed(c != 1),
                Action::Reboot(_) | Action::Done { .. } | Action::Failed { .. } => { ended = true; break; }
                Action::Wait => proptest::prop_assert!(false, "nothing pending"),
                _ => {}
            }
        }
        proptest::prop_assert!(ended);
    }
}
