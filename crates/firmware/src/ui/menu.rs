//! The keypad menu. Key sequences (key-down events):
//!
//! - idle: `menu` opens the list, cursor on the first entry.
//! - list: `up`/`down` move the cursor, `ok` (or digit `1`..`6`) opens the
//!   entry, `cancel` or `menu` go back to idle.
//! - entries, in list order: 1 `MAC address`, 2 `IP address` (`0.0.0.0`
//!   until the network exists), 3 `Firmware` (model, version, build date,
//!   slot), 4 `APS log` (its last five lines; `up` scrolls to older lines,
//!   `down` back to newer ones, up to the last 32), 5 `Ring volume`, 6
//!   `Decryption key` (view only).
//! - in an entry: `cancel` or `ok` go back to the list; `menu` to idle.
//! - `Ring volume`: `up`/`down` change the value within 1..9, `ok` saves it
//!   to the config store (`[ipp] RingVolume`) and returns to the list, whose
//!   title then reads `Menu: saved` (or `Menu: save failed`); `cancel` drops
//!   the change.
//!
//! So `menu, down×4, ok, up, ok` raises the ring volume by one and saves it.

use super::View;
use crate::config::{RING_VOLUME_MAX, RING_VOLUME_MIN};
use crate::text::Frame;
use board::keys::Key;
use board::periph::lcd::{COLS, ROWS};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item {
    Mac,
    Ip,
    Firmware,
    ApsLog,
    RingVolume,
    DecryptionKey,
}

pub const ITEMS: [Item; 6] = [Item::Mac, Item::Ip, Item::Firmware, Item::ApsLog, Item::RingVolume, Item::DecryptionKey];

impl Item {
    pub fn title(self) -> &'static str {
        match self {
            Item::Mac => "MAC address",
            Item::Ip => "IP address",
            Item::Firmware => "Firmware",
            Item::ApsLog => "APS log",
            Item::RingVolume => "Ring volume",
            Item::DecryptionKey => "Decryption key",
        }
    }
}

/// Something the menu needs done outside the UI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Store this ring volume; answer with `Ui::action_done`.
    SaveRingVolume(u8),
    /// Refresh the `LogTail` before the APS log entry is drawn.
    LoadApsLog,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    None,
    Saved,
    SaveFailed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Menu {
    cursor: usize,
    /// The open entry, if any, and the ring volume being edited.
    open: Option<Item>,
    volume: u8,
    notice: Notice,
    /// APS log: lines scrolled back from the newest, and how many there are.
    scroll: usize,
    log_len: usize,
}

impl Menu {
    pub fn new() -> Menu {
        Menu { cursor: 0, open: None, volume: 0, notice: Notice::None, scroll: 0, log_len: LOG_LINES }
    }

    pub fn open_item(&self) -> Option<Item> {
        self.open
    }

    /// Handles a key; returns whether the menu stays open, and an action.
    pub fn key(&mut self, key: Key, volume: u8) -> (bool, Option<Action>) {
        self.notice = Notice::None;
        if key == Key::Menu {
            return (false, None);
        }
        match self.open {
            None => match key {
                Key::Up => self.cursor = self.cursor.saturating_sub(1),
                Key::Down => self.cursor = (self.cursor + 1).min(ITEMS.len() - 1),
                Key::Cancel => return (false, None),
                Key::Ok => return (true, self.enter(self.cursor, volume)),
                k if (Key::D1.code()..=Key::D6.code()).contains(&k.code()) => {
                    self.cursor = (k.code() - Key::D1.code()) as usize;
                    return (true, self.enter(self.cursor, volume));
                }
                _ => {}
            },
            Some(Item::RingVolume) => match key {
                Key::Up => self.volume = (self.volume + 1).min(RING_VOLUME_MAX),
                Key::Down => self.volume = self.volume.saturating_sub(1).max(RING_VOLUME_MIN),
                Key::Ok => {
                    self.open = None;
                    return (true, Some(Action::SaveRingVolume(self.volume)));
                }
                Key::Cancel => self.open = None,
                _ => {}
            },
            Some(Item::ApsLog) if matches!(key, Key::Up | Key::Down) => {
                let most = self.log_len.saturating_sub(ROWS - 1);
                self.scroll = if key == Key::Up { (self.scroll + 1).min(most) } else { self.scroll.saturating_sub(1) };
            }
            Some(_) => {
                if matches!(key, Key::Ok | Key::Cancel) {
                    self.open = None;
                }
            }
        }
        (true, None)
    }

    fn enter(&mut self, index: usize, volume: u8) -> Option<Action> {
        let item = ITEMS[index];
        self.open = Some(item);
        self.volume = volume.clamp(RING_VOLUME_MIN, RING_VOLUME_MAX);
        self.scroll = 0;
        (item == Item::ApsLog).then_some(Action::LoadApsLog)
    }

    /// The APS log was loaded with `lines` lines (bounds the scrolling).
    pub fn log_loaded(&mut self, lines: usize) {
        self.log_len = lines;
    }

    pub fn action_done(&mut self, ok: bool) {
        if self.open.is_none() {
            self.notice = if ok { Notice::Saved } else { Notice::SaveFailed };
        }
    }

    pub fn render(&self, view: &View, f: &mut Frame) {
        let id = view.id;
        let Some(item) = self.open else {
            match self.notice {
                Notice::None => f.set(0, b"Menu"),
                Notice::Saved => f.set(0, b"Menu: saved"),
                Notice::SaveFailed => f.set(0, b"Menu: save failed"),
            }
            let visible = ROWS - 1;
            let top = self.cursor.saturating_sub(visible - 1);
            for (row, i) in (top..ITEMS.len()).take(visible).enumerate() {
                let mark = if i == self.cursor { '>' } else { ' ' };
                f.setf(row + 1, format_args!("{mark}{} {}", i + 1, ITEMS[i].title()));
            }
            return;
        };
        f.set(0, item.title().as_bytes());
        match item {
            Item::Mac => f.setf(2, format_args!("{}", id.mac_colons())),
            Item::Ip => {
                let ip = view.ip;
                f.setf(2, format_args!("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3]));
            }
            Item::Firmware => {
                f.setf(2, format_args!("{} v{}", id.model, id.short_version()));
                let v = id.version;
                let d = id.build_date;
                f.setf(3, format_args!("{}.{}.{} built {}", v.major, v.minor, v.patch, core::str::from_utf8(&d).unwrap_or("?")));
                f.setf(4, format_args!("Slot {}", id.slot_letter()));
            }
            Item::ApsLog => {
                if view.aps_log.is_empty() {
                    f.set(2, b"(empty)");
                }
                let shown = ROWS - 1;
                let count = view.aps_log.len();
                let back = self.scroll.min(count.saturating_sub(shown));
                let first = count.saturating_sub(shown + back);
                for (i, line) in view.aps_log.lines().skip(first).take(shown).enumerate() {
                    f.set(i + 1, line);
                }
            }
            Item::RingVolume => {
                f.setf(2, format_args!("Volume: {}", self.volume));
                f.set(4, b"Up/Down, OK to save");
            }
            Item::DecryptionKey => f.set(2, view.config.decryption_key()),
        }
    }
}

impl Default for Menu {
    fn default() -> Self {
        Self::new()
    }
}

/// How many of the newest APS log lines the menu can show.
pub const LOG_LINES: usize = 32;

/// The last lines of the APS log, cut to the LCD width.
#[derive(Clone)]
pub struct LogTail {
    lines: [[u8; COLS]; LOG_LINES],
    lens: [usize; LOG_LINES],
    count: usize,
}

impl Default for LogTail {
    fn default() -> Self {
        LogTail { lines: [[0; COLS]; LOG_LINES], lens: [0; LOG_LINES], count: 0 }
    }
}

impl LogTail {
    /// Keeps the last [`LOG_LINES`] non-empty lines of `text` (lines end
    /// with `\n`; the text ends at the first `0xFF`, erased flash).
    pub fn from_text(text: impl Iterator<Item = u8>) -> LogTail {
        let mut t = LogTail::default();
        let mut cur = [0u8; COLS];
        let mut len = 0;
        let mut full = 0usize;
        for b in text.take_while(|&b| b != 0xFF).chain([b'\n']) {
            match b {
                b'\n' if full > 0 => {
                    t.push(&cur[..len]);
                    (len, full) = (0, 0);
                }
                b'\n' | b'\r' => {}
                _ => {
                    if len < COLS {
                        cur[len] = b;
                        len += 1;
                    }
                    full += 1;
                }
            }
        }
        t
    }

    fn push(&mut self, line: &[u8]) {
        let n = self.lines.len();
        if self.count == n {
            self.lines.rotate_left(1);
            self.lens.rotate_left(1);
            self.count -= 1;
        }
        self.lines[self.count][..line.len()].copy_from_slice(line);
        self.lens[self.count] = line.len();
        self.count += 1;
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn lines(&self) -> impl Iterator<Item = &[u8]> {
        self.lines[..self.count].iter().zip(&self.lens).map(|(l, &n)| &l[..n])
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Screen, Ui, View, tests::id};
    use super::*;
    use crate::config::Config;

    fn press(ui: &mut Ui, keys: &[Key]) -> Vec<Action> {
        keys.iter().filter_map(|&k| ui.key(10_000_000, k, 5)).collect()
    }

    fn rows(ui: &Ui) -> Vec<String> {
        let (id, config, log) = (id(), Config::new(), LogTail::from_text(b"Begin INF download...\nOK\n".iter().copied()));
        let mut f = Frame::blank();
        ui.render(&View { id: &id, config: &config, ip: [0; 4], aps_log: &log, time: None }, &mut f);
        (0..ROWS).map(|r| String::from_utf8_lossy(f.text(r)).into_owned()).collect()
    }

    fn idle_ui() -> Ui {
        let mut ui = Ui::new(0);
        ui.poll(super::super::BOOT_SCREEN_US);
        ui
    }

    #[test]
    fn documented_sequence_raises_and_saves_volume() {
        let mut ui = idle_ui();
        assert_eq!(press(&mut ui, &[Key::Menu, Key::Down, Key::Down, Key::Down, Key::Down, Key::Ok]), []);
        assert_eq!(rows(&ui)[0], "Ring volume");
        assert_eq!(rows(&ui)[2], "Volume: 5");
        assert_eq!(press(&mut ui, &[Key::Up, Key::Ok]), [Action::SaveRingVolume(6)]);
        ui.action_done(true);
        assert_eq!(rows(&ui)[0], "Menu: saved");
        assert_eq!(rows(&ui)[5], ">5 Ring volume");
    }

    #[test]
    fn list_scrolls_and_cancel_goes_back() {
        let mut ui = idle_ui();
        press(&mut ui, &[Key::Menu]);
        assert_eq!(rows(&ui), ["Menu", ">1 MAC address", " 2 IP address", " 3 Firmware", " 4 APS log", " 5 Ring volume"]);
        press(&mut ui, &[Key::Down; 7]);
        assert_eq!(rows(&ui)[1..], [" 2 IP address", " 3 Firmware", " 4 APS log", " 5 Ring volume", ">6 Decryption key"]);
        press(&mut ui, &[Key::Ok]);
        assert_eq!(rows(&ui)[2], "Th0mson2$8s8@9z!");
        press(&mut ui, &[Key::Cancel]);
        assert_eq!(rows(&ui)[0], "Menu");
        press(&mut ui, &[Key::Cancel]);
        assert_eq!(ui.screen(), Screen::Idle);
    }

    #[test]
    fn entries_show_identity_and_log() {
        let mut ui = idle_ui();
        press(&mut ui, &[Key::Menu, Key::D1]);
        assert_eq!(rows(&ui)[2], "00:90:96:A1:B1:C1");
        press(&mut ui, &[Key::Cancel, Key::D2]);
        assert_eq!(rows(&ui)[2], "0.0.0.0");
        press(&mut ui, &[Key::Ok, Key::D3]);
        assert_eq!(rows(&ui)[2..5], ["ST2030S v2.74", "2.74.0 built 261127", "Slot A"]);
        assert_eq!(press(&mut ui, &[Key::Ok, Key::D4]), [Action::LoadApsLog]);
        assert_eq!(rows(&ui)[1..3], ["Begin INF download...", "OK"]);
        press(&mut ui, &[Key::D5, Key::Ok, Key::D5, Key::Down, Key::Down, Key::Down, Key::Down, Key::Down]);
        assert_eq!(rows(&ui)[2], "Volume: 1");
        assert_eq!(press(&mut ui, &[Key::Cancel]), []);
        press(&mut ui, &[Key::Menu]);
        assert_eq!(ui.screen(), Screen::Idle);
    }

    #[test]
    fn log_tail_keeps_the_last_lines_cut_to_the_width() {
        let text = b"a\r\n\nb\nc\nd\ne\nf0123456789012345678901234567\n\xFFg\n";
        let t = LogTail::from_text(text.iter().copied());
        let lines: Vec<&[u8]> = t.lines().collect();
        assert_eq!(lines, [&b"a"[..], b"b", b"c", b"d", b"e", b"f01234567890123456789012"]);
        assert!(LogTail::from_text([0xFFu8; 4].into_iter()).is_empty());
        let many: Vec<u8> = (0..40).flat_map(|i| format!("line {i}\n").into_bytes()).collect();
        let t = LogTail::from_text(many.into_iter());
        assert_eq!((t.len(), t.lines().next()), (LOG_LINES, Some(&b"line 8"[..])));
    }

    #[test]
    fn aps_log_scrolls_with_up_and_down() {
        let many: Vec<u8> = (0..8).flat_map(|i| format!("line {i}\n").into_bytes()).collect();
        let log = LogTail::from_text(many.into_iter());
        let mut ui = Ui::new(0);
        ui.poll(10_000_000);
        let rows = |ui: &Ui| {
            let (id, config) = (id(), Config::new());
            let mut f = Frame::blank();
            ui.render(&View { id: &id, config: &config, ip: [0; 4], aps_log: &log, time: None }, &mut f);
            (1..ROWS).map(|r| String::from_utf8_lossy(f.text(r)).into_owned()).collect::<Vec<_>>()
        };
        press(&mut ui, &[Key::Menu, Key::D4]);
        ui.log_loaded(log.len());
        assert_eq!(rows(&ui), ["line 3", "line 4", "line 5", "line 6", "line 7"]);
        press(&mut ui, &[Key::Up, Key::Up]);
        assert_eq!(rows(&ui)[0], "line 1");
        press(&mut ui, &[Key::Up, Key::Up, Key::Up]);
        assert_eq!(rows(&ui)[0], "line 0", "stops at the oldest");
        press(&mut ui, &[Key::Down]);
        assert_eq!(rows(&ui)[0], "line 1", "one line newer");
    }
}
