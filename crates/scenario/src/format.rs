//! What a scenario is, once parsed: one phone, a timeline of steps, and
//! expectations on the phone's trace. `parse` turns TOML into this; `runner`
//! plays it; `expect` checks it. The TOML form:
//!
//! ```toml
//! name = "boot to idle screen"     # default: the file name
//! description = "…"
//! covers = ["R1"]                  # CONFORMANCE.md IDs (may be empty)
//! end = "30s"                      # when the run stops; default: 1 s after the
//!                                  # last step or expectation time
//! [phone]                          # every key optional
//! model = "ST2030S"                # ST2030S ST2030M ST2022S ST2022M
//! mac = "00:90:96:A1:B1:C1"        # also 009096A1B1C1 or 00-90-96-…
//! seed = 0
//! clock = "virtual"                # or "real"
//! flash = "phone.bin"              # 8 MiB image, relative to this file; default factory flash
//! [phone.config]                   # keys written into the flash's config store before power on
//! "sip.DisplayName1" = "Alice"     # `section.key` = ISO-8859-1 text (or an integer)
//!
//! [net]                            # without it the phone has no network
//! base = "demo"                    # the repo's assets/provisioning, or a dir relative to this file
//! overlay = "trees/x"              # files that replace or add to the base (relative to this file)
//! remove = ["melody/a.txt"]        # paths taken out of the served tree
//! lab_file = "trees/x/lab.toml"    # default: the served tree's own lab.toml
//! dhcp_options = ["43=http://prov.lab/ST2030S.inf"]   # as --dhcp-option (override the lab file)
//! dhcp_file = "ST2030S.inf"        # as --dhcp-file
//! dhcp_siaddr = "10.0.0.2"         # as --dhcp-siaddr
//! loss = 0.0                       # as --loss (seeded by phone.seed)
//! [net.http_status]                # force an HTTP status for a path
//! "/ST2030S.inf" = 500
//! [[net.mutate]]                   # damage a served file (after overlay and remove)
//! path = "v2030SG.261127.2.75.zz"
//! flip = 4096                      # invert the byte at this offset, and/or
//! truncate = 1000                  # keep only the first N bytes
//!
//! [[step]]                         # one action, at a time:
//! at = "0s"                        #   absolute, or "MARK+2s" after a marked step
//! power = "on"                     #   or after = "2s" (after the previous step, default 0)
//! [[step]]
//! after = "2s"
//! press = "menu"                   # down, then up after `hold` (default 100ms)
//! [[step]]
//! keys = "down down 1s ok"         # a key script (see `script`), from this step's time
//! [[step]]
//! hook = "off"                     # off-hook; "on" puts the handset back
//! [[step]]
//! power = "cut"                    # "off" is the same; with during_flash: cut power while
//! during_flash = 3                 # the 3rd flash operation that starts at or after the
//! flash_op = "program"             # step's time is busy (optional filters: op, partition)
//! flash_partition = "config"
//! mark = "cut"                     # names this step's actual time for later times
//! [[step]]
//! wait = "1d"                      # only time passes
//! [[step]]                         # the lab sends SIP NOTIFY check-sync to the phone
//! notify = { reboot = false, from = "10.0.0.2", count = 1, every = "10ms" }
//!                                  #   (all optional: from = a lab address, or a list used
//!                                  #   in turn, default the lab's SIP source; to = default
//!                                  #   the address the lab leased to the phone;
//!                                  #   count NOTIFYs, one every `every`, from the step's time)
//!
//! [[expect.lcd]]                   # LCD line shows text (exact `text`, `contains`, `regex`)
//! line = 3                         # 1..6; omitted: any line
//! contains = "Provisioning"
//! from = "0s"                      # at some instant in [from, to]; or at = "5s";
//! to = "10s"                       # no time: at some instant of the run
//! never = true                     # …or at no instant of the window
//! [[expect.led]]                   # LED state: led (default "system"), color, mode
//! [[expect.log]]                   # a console line matching text/contains/regex
//! [[expect.flash]]                 # flash operations: op, partition, count (default ≥ 1)
//! [[expect.boots]]                 # boots in the window: count, causes = ["power_on", …]
//! [[expect.run]]                   # provisioning runs that started in the window (trace `run`):
//! reason = "notify"                #   power_up, periodic, notify, notify_reboot (default any);
//! count = 1                        #   exactly N (default at least one); `never`; and
//! due_from = "0s"                  #   due_from / due_to: the run's due moment in that range
//! due_to = "10m"
//! [[expect.serve]]                 # a lab `serve` record: path (exact; or contains/regex),
//! path = "/ST2030S.inf"            #   proto ("http"/"tftp"), status, count (exactly N in
//! status = 200                     #   the window; default at least one), from/to, never
//! [[expect.dhcp]]                  # a lab `dhcp` record: msg, option (a code); its value
//! msg = "discover"                 #   equals `hex` / `text`, or contains `contains_hex` /
//! option = 60                      #   `contains_text`; no value key: the option is present
//! text = "0107Thomson0206ST20300303SIP"
//! vlan = 4                         # serve and dhcp: seen on VLAN 4 (0 = untagged)
//! [expect.requests]                # the served paths of the window, in order, equal `paths`
//! paths = ["/ST2030S.inf", "boot", "/ST2030S.inf"]    # with boots = true, a boot is "boot"
//! boots = true                     # (also [[expect.requests]] for several windows)
//! dhcp = true                      # each DHCP message is an entry too: "discover", "request"
//! vlans = true                     # entries end in "@4" / "@untagged": "discover@untagged"
//! ```
//!
//! A state `at` an instant is the state after everything at that instant: a
//! key pressed at a mark's time has already acted at `at = "MARK"`; look at
//! `MARK+200ms` to see its effect settle, or mark an earlier step.
//! A crash always fails a scenario; no expectation is needed for it.
//! Guarantees: a `Scenario` value is valid: its IDs are known, its marks are
//! defined before use, its regexes compile, and every step has one action.

pub use crate::netspec::{Base, Mutate, Net, OptionValue};
use crate::script::Timed;
use board::model::Model;
use regex::Regex;
use std::path::PathBuf;
use trace::{BootCause, FlashOp, RunReason};

/// One scenario file.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    /// The file it came from (for messages and relative paths).
    pub path: PathBuf,
    pub description: String,
    /// CONFORMANCE.md IDs, all known.
    pub covers: Vec<String>,
    pub phone: Phone,
    /// `[phone.config]`: keys (`section.key` → ISO-8859-1 value bytes)
    /// written into the flash's config store before power on, sorted by key.
    pub config: Vec<(String, Vec<u8>)>,
    pub steps: Vec<Step>,
    pub expects: Vec<Expect>,
    /// When the run stops; `None`: 1 s after the last time the file mentions.
    pub end: Option<TimeRef>,
    /// The network the phone is plugged into; `None`: no network at all.
    pub net: Option<Net>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phone {
    pub model: Model,
    pub mac: [u8; 6],
    pub seed: u64,
    pub clock: Clock,
    /// An 8 MiB flash image to start from (resolved against the file's folder).
    pub flash: Option<PathBuf>,
}

impl Default for Phone {
    fn default() -> Phone {
        Phone { model: Model::parse("ST2030S").expect("a valid model"), mac: DEFAULT_MAC, seed: 0, clock: Clock::Virtual, flash: None }
    }
}

/// The MAC used when none is given.
pub const DEFAULT_MAC: [u8; 6] = [0x00, 0x90, 0x96, 0xA1, 0xB1, 0xC1];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// Discrete-event: time jumps when the phone sleeps; deterministic.
    Virtual,
    /// Follows the host clock.
    Real,
}

/// A point in emulated time: absolute, or after a marked step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimeRef {
    Abs(u64),
    Mark { mark: String, plus_us: u64 },
}

/// When a step happens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepTime {
    At(TimeRef),
    /// After the previous step's actual time (0 for the first step).
    After(u64),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// Line in the file, for messages.
    pub line: usize,
    pub time: StepTime,
    pub mark: Option<String>,
    pub action: Action,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Only time passes.
    Wait,
    /// Inputs at offsets from the step's time (`at_us` is relative).
    Inputs(Vec<Timed>),
    /// Cut power while the `nth` (1-based) matching flash operation that starts
    /// at or after the step's time is busy.
    CutDuringFlash { nth: u32, op: Option<FlashOp>, partition: Option<&'static str> },
    /// The lab sends `count` check-sync NOTIFYs, one every `every_us` from
    /// the step's time, from the addresses of `from` in turn (empty: the
    /// lab's SIP source) to `to` (default: the address the lab leased to
    /// the phone).
    Notify(Notify),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notify {
    pub from: Vec<std::net::Ipv4Addr>,
    pub to: Option<std::net::Ipv4Addr>,
    pub reboot: bool,
    pub count: u32,
    pub every_us: u64,
}

/// How a text is matched.
#[derive(Clone, Debug)]
pub enum Matcher {
    Exact(String),
    Contains(String),
    Regex(Regex),
}

impl Matcher {
    pub fn matches(&self, s: &str) -> bool {
        match self {
            Matcher::Exact(t) => s == t,
            Matcher::Contains(t) => s.contains(t.as_str()),
            Matcher::Regex(r) => r.is_match(s),
        }
    }
}

impl std::fmt::Display for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Matcher::Exact(t) => write!(f, "{t:?}"),
            Matcher::Contains(t) => write!(f, "containing {t:?}"),
            Matcher::Regex(r) => write!(f, "matching /{}/", r.as_str()),
        }
    }
}

/// The time an expectation looks at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Window {
    /// The whole run.
    Run,
    /// One instant (states only: LCD and LED).
    At(TimeRef),
    /// `[from, to]`; a missing end is the run's start or end.
    Between(Option<TimeRef>, Option<TimeRef>),
}

#[derive(Clone, Debug)]
pub enum What {
    Lcd { line: Option<u8>, text: Matcher },
    Led { led: String, color: Option<String>, mode: Option<String> },
    Log { text: Matcher },
    Flash { op: Option<FlashOp>, partition: Option<&'static str>, count: Option<u32> },
    Boots { count: Option<u32>, causes: Option<Vec<BootCause>> },
    /// Provisioning runs started in the window (trace `run`): reason,
    /// exact count, and the range their due moment lies in.
    Run { reason: Option<RunReason>, count: Option<u32>, due: (Option<TimeRef>, Option<TimeRef>) },
    /// Lab `serve` records (file requests): path, and optionally protocol,
    /// status and an exact count.
    /// `vlan`: the VLAN the request was seen on (0 = untagged).
    Serve { path: Matcher, proto: Option<String>, status: Option<u16>, count: Option<u32>, vlan: Option<u16> },
    /// A lab `dhcp` record: message type, and optionally one option's value.
    Dhcp { msg: Option<String>, option: Option<(u8, Option<OptionValue>)>, vlan: Option<u16> },
    /// The served paths in the window, in order, equal `paths`; with
    /// `boots`, each boot in the window is the entry `boot`.
    /// With `dhcp`, each DHCP message is the entry of its name
    /// (`discover`, `request`); with `vlans`, every path and DHCP entry
    /// ends in `@N` or `@untagged`.
    Requests { paths: Vec<String>, boots: bool, dhcp: bool, vlans: bool },
}

#[derive(Clone, Debug)]
pub struct Expect {
    /// Line in the file, for messages.
    pub line: usize,
    /// `lcd`, `led`, … and its 1-based position among those, e.g. `lcd #2`.
    pub label: String,
    pub what: What,
    pub window: Window,
    /// True: the state or event must not occur in the window.
    pub never: bool,
}

/// Formats a MAC as `00:90:96:A1:B1:C1`.
pub fn format_mac(mac: [u8; 6]) -> String {
    mac.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

/// Parses `00:90:96:A1:B1:C1`, `00-90-96-a1-b1-c1` or `009096A1B1C1`.
pub fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let s = s.trim();
    if !s.is_ascii() {
        return None;
    }
    let groups: Vec<&str> = if s.len() == 12 { (0..6).map(|i| &s[2 * i..2 * i + 2]).collect() } else { s.split([':', '-']).collect() };
    if groups.len() != 6 {
        return None;
    }
    let mut mac = [0u8; 6];
    for (b, g) in mac.iter_mut().zip(groups) {
        if g.len() != 2 || !g.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        *b = u8::from_str_radix(g, 16).ok()?;
    }
    Some(mac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs() {
        let want = Some([0x00, 0x90, 0x96, 0xA1, 0xB1, 0xC1]);
        assert_eq!(parse_mac("00:90:96:A1:B1:C1"), want);
        assert_eq!(parse_mac("00-90-96-a1-b1-c1"), want);
        assert_eq!(parse_mac("009096A1B1C1"), want);
        assert_eq!(parse_mac("00:90:96:A1:B1"), None);
        assert_eq!(parse_mac("00:90:96:A1:B1:CG"), None);
        assert_eq!(parse_mac("0:090:96:A1:B1:C1"), None);
        assert_eq!(parse_mac("ÄÄ:90:96:A1:B1:C1"), None);
        assert_eq!(parse_mac("ÄÄ9096A1B1"), None);
        assert_eq!(parse_mac("00:9096A1B1C1"), None);
        assert_eq!(format_mac([0x00, 0x90, 0x96, 0xA1, 0xB1, 0xC1]), "00:90:96:A1:B1:C1");
    }

    #[test]
    fn matchers() {
        assert!(Matcher::Exact("Idle".into()).matches("Idle"));
        assert!(!Matcher::Exact("Idle".into()).matches("Idle "));
        assert!(Matcher::Contains("2.7".into()).matches("Firmware 2.74"));
        assert!(Matcher::Regex(Regex::new(r"^v\d\.\d\d$").unwrap()).matches("v2.74"));
        assert!(!Matcher::Regex(Regex::new(r"^v\d\.\d\d$").unwrap()).matches("v2.7"));
    }
}
