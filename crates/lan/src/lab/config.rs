//! The lab's configuration: [`LabConfig`] from TOML (serde), and the value
//! forms the CLI and the TOML share (`CODE=VALUE`, e.g. `43=http://prov.lab/
//! ST2030S.inf`, `66=10.0.0.1`, `150=10.0.0.2`, `191=0x0064`).
//!
//! A DHCP option value is written as text and turned into bytes by the
//! option's type: `0x…` is always raw hex bytes; `text:…` and `ip:…` force
//! the form; address options (1, 3, 6, 42, 54, 150, …) take dotted IPv4
//! (comma-separated for lists); 1-, 2- and 4-byte integer options (190, 191,
//! 192, 51, …) take decimal; every other option is the text's bytes as they
//! are (so `66=10.0.0.1` is the text `10.0.0.1`, as a real server sends it).
//!
//! Guarantee: [`LabConfig::validate`] turns every text form into bytes once,
//! so a config that validates never fails later.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("lab config: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("DHCP option `{0}`: the code must be a number 1..=254")]
    BadCode(String),
    #[error("DHCP option {code}: {reason} in `{value}`")]
    BadValue { code: u8, value: String, reason: &'static str },
    #[error("`{0}` is not CODE=VALUE (e.g. 66=10.0.0.1)")]
    NotAnAssignment(String),
    #[error("bad MAC address `{0}` (want 12 hex digits, `:`/`-` allowed)")]
    BadMac(String),
    #[error("bad hex `{0}`")]
    BadHex(String),
    #[error("BOOTP `file` is {0} bytes, the field holds 128")]
    FileTooLong(usize),
    #[error("DHCP pool {0}..{1} is empty or outside the lab's /24")]
    BadPool(Ipv4Addr, Ipv4Addr),
    #[error("lab needs at least one address")]
    NoAddress,
    #[error("[[vlan_host]] #{0}: `vlan` must be 1..=4094 and differ from the main host's and every other host's")]
    BadVlanHost(usize),
    #[error("[[vlan_host]] #{index}: {source}")]
    VlanHost { index: usize, source: Box<ConfigError> },
}

fn default_mac() -> String {
    "02:00:00:00:00:01".into()
}
fn default_addresses() -> Vec<Ipv4Addr> {
    vec![Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2)]
}

/// Everything the built-in lab serves and how.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LabConfig {
    /// The lab host's MAC.
    pub mac: String,
    /// The host's addresses (all /24); the first is "the" server.
    pub addresses: Vec<Ipv4Addr>,
    /// The VLAN the lab's switch port belongs to (for whoever wires the switch).
    pub vlan: u16,
    pub dhcp: DhcpConfig,
    /// DNS A records (names are matched case-insensitively).
    pub dns: BTreeMap<String, Ipv4Addr>,
    pub sntp: SntpConfig,
    pub tftp: TftpConfig,
    pub http: HttpConfig,
    pub sip: SipConfig,
    /// More hosts, each on its own VLAN: every `[[vlan_host]]` table is laid
    /// over this configuration (see `LabConfig::vlan_hosts`).
    #[serde(rename = "vlan_host", skip_serializing_if = "Vec::is_empty")]
    pub vlan_hosts: Vec<toml::Table>,
}

impl Default for LabConfig {
    fn default() -> Self {
        LabConfig {
            mac: default_mac(),
            addresses: default_addresses(),
            vlan: 1,
            dhcp: DhcpConfig::default(),
            dns: BTreeMap::from([("prov.lab".to_string(), Ipv4Addr::new(10, 0, 0, 1))]),
            sntp: SntpConfig::default(),
            tftp: TftpConfig::default(),
            http: HttpConfig::default(),
            sip: SipConfig::default(),
            vlan_hosts: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DhcpConfig {
    pub enabled: bool,
    pub pool_start: Ipv4Addr,
    pub pool_end: Ipv4Addr,
    pub lease_secs: u32,
    pub router: Option<Ipv4Addr>,
    pub dns: Vec<Ipv4Addr>,
    /// Options sent to every client: code → value (see the module doc).
    pub options: BTreeMap<String, String>,
    /// BOOTP `file` header field.
    pub file: Option<String>,
    /// BOOTP `siaddr` ("Next Server").
    pub siaddr: Option<Ipv4Addr>,
    /// Per-class settings, applied in order after the defaults (later wins).
    #[serde(rename = "class")]
    pub classes: Vec<DhcpClass>,
}

impl Default for DhcpConfig {
    fn default() -> Self {
        DhcpConfig {
            enabled: true,
            pool_start: Ipv4Addr::new(10, 0, 0, 100),
            pool_end: Ipv4Addr::new(10, 0, 0, 199),
            lease_secs: 3600,
            router: Some(Ipv4Addr::new(10, 0, 0, 1)),
            dns: vec![Ipv4Addr::new(10, 0, 0, 1)],
            options: BTreeMap::new(),
            file: None,
            siaddr: None,
            classes: Vec::new(),
        }
    }
}

/// Settings for the phones a class matches. Every given matcher must match.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DhcpClass {
    pub name: Option<String>,
    /// The client's MAC.
    pub mac: Option<String>,
    /// Option 60 starts with these bytes (text, or `0x…` hex).
    pub vendor_class_prefix: Option<String>,
    /// Option 77 contains these bytes (text, or `0x…`); a substring match, so
    /// both the raw `Thomson ST2030S` and the RFC 3004 length-prefixed form match.
    pub user_class: Option<String>,
    pub options: BTreeMap<String, String>,
    pub file: Option<String>,
    pub siaddr: Option<Ipv4Addr>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SntpConfig {
    pub enabled: bool,
    /// Unix time (s) at emulated time 0.
    pub epoch_unix: u64,
}

impl Default for SntpConfig {
    fn default() -> Self {
        // 2024-01-01T00:00:00Z
        SntpConfig { enabled: true, epoch_unix: 1_704_067_200 }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TftpConfig {
    pub enabled: bool,
    /// Retransmission timeout when the client asks for none (RFC 2349), ms.
    pub timeout_ms: u64,
    /// Retransmissions of one packet before the transfer is abandoned.
    pub retries: u32,
}

impl Default for TftpConfig {
    fn default() -> Self {
        TftpConfig { enabled: true, timeout_ms: 1000, retries: 5 }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    pub enabled: bool,
    pub port: u16,
    /// Forced status per path (e.g. `"/ST2030S.inf" = 500`).
    pub status: BTreeMap<String, u16>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig { enabled: true, port: 80, status: BTreeMap::new() }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SipConfig {
    /// Source address of NOTIFYs (must be one of the lab's addresses).
    pub source: Ipv4Addr,
}

impl Default for SipConfig {
    fn default() -> Self {
        SipConfig { source: Ipv4Addr::new(10, 0, 0, 1) }
    }
}

/// Options and BOOTP fields as bytes, ready to send.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OptionSet {
    pub options: BTreeMap<u8, Vec<u8>>,
    pub file: Option<Vec<u8>>,
    pub siaddr: Option<Ipv4Addr>,
}

/// A class with its matchers and values as bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassPlan {
    pub mac: Option<[u8; 6]>,
    pub vendor_class_prefix: Option<Vec<u8>>,
    pub user_class: Option<Vec<u8>>,
    pub set: OptionSet,
}

/// The validated, byte-level form of the DHCP settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DhcpPlan {
    pub defaults: OptionSet,
    pub classes: Vec<ClassPlan>,
}

impl LabConfig {
    pub fn from_toml(text: &str) -> Result<LabConfig, ConfigError> {
        let cfg: LabConfig = toml::from_str(text)?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Adds (or replaces) a default DHCP option from its CLI form `CODE=VALUE`;
    /// `file=NAME` and `siaddr=A.B.C.D` set the BOOTP fields.
    pub fn set_dhcp_arg(&mut self, arg: &str) -> Result<(), ConfigError> {
        let (k, v) = arg.split_once('=').ok_or_else(|| ConfigError::NotAnAssignment(arg.into()))?;
        match k.trim() {
            "file" => self.dhcp.file = Some(v.to_string()),
            "siaddr" => {
                self.dhcp.siaddr = Some(v.trim().parse().map_err(|_| ConfigError::BadValue { code: 0, value: v.into(), reason: "not an IPv4 address" })?)
            }
            code => {
                let (c, _) = parse_option_arg(arg)?;
                let _ = code;
                self.dhcp.options.insert(c.to_string(), v.to_string());
            }
        }
        Ok(())
    }

    pub fn mac_bytes(&self) -> Result<[u8; 6], ConfigError> {
        parse_mac(&self.mac)
    }

    /// Checks everything and returns the DHCP settings as bytes.
    pub fn validate(&self) -> Result<DhcpPlan, ConfigError> {
        self.vlan_hosts()?;
        self.mac_bytes()?;
        let first = *self.addresses.first().ok_or(ConfigError::NoAddress)?;
        let (s, e) = (self.dhcp.pool_start, self.dhcp.pool_end);
        let net = |a: Ipv4Addr| u32::from(a) & 0xFFFF_FF00;
        if u32::from(s) > u32::from(e) || net(s) != net(first) || net(e) != net(first) {
            return Err(ConfigError::BadPool(s, e));
        }
        let set = |opts: &BTreeMap<String, String>, file: &Option<String>, siaddr: Option<Ipv4Addr>| -> Result<OptionSet, ConfigError> {
            let mut options = BTreeMap::new();
            for (k, v) in opts {
                let code = parse_code(k)?;
                options.insert(code, parse_option_value(code, v)?);
            }
            let file = match file {
                Some(f) if f.len() > 128 => return Err(ConfigError::FileTooLong(f.len())),
                Some(f) => Some(f.as_bytes().to_vec()),
                None => None,
            };
            Ok(OptionSet { options, file, siaddr })
        };
        let defaults = set(&self.dhcp.options, &self.dhcp.file, self.dhcp.siaddr)?;
        let mut classes = Vec::new();
        for c in &self.dhcp.classes {
            classes.push(ClassPlan {
                mac: c.mac.as_deref().map(parse_mac).transpose()?,
                vendor_class_prefix: c.vendor_class_prefix.as_deref().map(text_or_hex).transpose()?,
                user_class: c.user_class.as_deref().map(text_or_hex).transpose()?,
                set: set(&c.options, &c.file, c.siaddr)?,
            });
        }
        Ok(DhcpPlan { defaults, classes })
    }
}

/// `CODE=VALUE` → (code, bytes).
pub fn parse_option_arg(arg: &str) -> Result<(u8, Vec<u8>), ConfigError> {
    let (k, v) = arg.split_once('=').ok_or_else(|| ConfigError::NotAnAssignment(arg.into()))?;
    let code = parse_code(k)?;
    Ok((code, parse_option_value(code, v)?))
}

fn parse_code(k: &str) -> Result<u8, ConfigError> {
    match k.trim().parse::<u8>() {
        Ok(c) if (1..=254).contains(&c) => Ok(c),
        _ => Err(ConfigError::BadCode(k.into())),
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Ips,
    Int(usize),
    Text,
}

fn kind(code: u8) -> Kind {
    match code {
        1 | 3..=11 | 16 | 28 | 32 | 41 | 42 | 44 | 45 | 48 | 49 | 50 | 54 | 65 | 68..=76 | 150 => Kind::Ips,
        19 | 20 | 23 | 27 | 29..=31 | 34 | 36 | 37 | 39 | 46 | 52 | 190 => Kind::Int(1),
        13 | 22 | 26 | 57 | 191 | 192 => Kind::Int(2),
        2 | 24 | 35 | 38 | 51 | 58 | 59 => Kind::Int(4),
        _ => Kind::Text,
    }
}

/// One option's value text → bytes, by the option's type (see the module doc).
pub fn parse_option_value(code: u8, v: &str) -> Result<Vec<u8>, ConfigError> {
    let bad = |reason| ConfigError::BadValue { code, value: v.into(), reason };
    if let Some(h) = v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        return hex(h);
    }
    if let Some(t) = v.strip_prefix("text:") {
        return Ok(t.as_bytes().to_vec());
    }
    let (kind, v) = match v.strip_prefix("ip:") {
        Some(rest) => (Kind::Ips, rest),
        None => (kind(code), v),
    };
    match kind {
        Kind::Text => Ok(v.as_bytes().to_vec()),
        Kind::Ips => {
            let mut out = Vec::new();
            for part in v.split(',') {
                let ip: Ipv4Addr = part.trim().parse().map_err(|_| bad("not a dotted IPv4 address"))?;
                out.extend_from_slice(&ip.octets());
            }
            Ok(out)
        }
        Kind::Int(n) => {
            let x: u64 = v.trim().parse().map_err(|_| bad("not a decimal number"))?;
            if n < 8 && x >> (8 * n) != 0 {
                return Err(bad("number too large for the option"));
            }
            Ok(x.to_be_bytes()[8 - n..].to_vec())
        }
    }
}

fn text_or_hex(v: &str) -> Result<Vec<u8>, ConfigError> {
    match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(h) => hex(h),
        None => Ok(v.as_bytes().to_vec()),
    }
}

/// Hex digits, optionally separated by `:` or spaces.
pub fn hex(h: &str) -> Result<Vec<u8>, ConfigError> {
    let digits: Vec<u8> = h.bytes().filter(|b| *b != b':' && *b != b' ').collect();
    if !digits.len().is_multiple_of(2) {
        return Err(ConfigError::BadHex(h.into()));
    }
    digits
        .chunks(2)
        .map(|p| {
            let s = std::str::from_utf8(p).map_err(|_| ConfigError::BadHex(h.into()))?;
            u8::from_str_radix(s, 16).map_err(|_| ConfigError::BadHex(h.into()))
        })
        .collect()
}

pub fn parse_mac(s: &str) -> Result<[u8; 6], ConfigError> {
    let b = hex(&s.replace('-', "")).map_err(|_| ConfigError::BadMac(s.into()))?;
    b.try_into().map_err(|_| ConfigError::BadMac(s.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_forms_from_the_brief() {
        assert_eq!(parse_option_arg("43=http://prov.lab/ST2030S.inf").unwrap(), (43, b"http://prov.lab/ST2030S.inf".to_vec()));
        assert_eq!(parse_option_arg("66=10.0.0.1").unwrap(), (66, b"10.0.0.1".to_vec()));
        assert_eq!(parse_option_arg("150=10.0.0.2").unwrap(), (150, vec![10, 0, 0, 2]));
        assert_eq!(parse_option_arg("191=0x0064").unwrap(), (191, vec![0x00, 0x64]));
        assert_eq!(parse_option_arg("191=100").unwrap(), (191, vec![0x00, 0x64]));
        assert_eq!(parse_option_arg("190=1").unwrap(), (190, vec![1]));
        assert_eq!(parse_option_arg("150=text:10.0.0.2").unwrap(), (150, b"10.0.0.2".to_vec()));
        assert_eq!(parse_option_arg("6=10.0.0.1,10.0.0.2").unwrap(), (6, vec![10, 0, 0, 1, 10, 0, 0, 2]));
    }

    #[test]
    fn bad_forms_are_clear_errors() {
        assert!(matches!(parse_option_arg("66"), Err(ConfigError::NotAnAssignment(_))));
        assert!(matches!(parse_option_arg("300=x"), Err(ConfigError::BadCode(_))));
        assert!(matches!(parse_option_arg("150=prov.lab"), Err(ConfigError::BadValue { code: 150, .. })));
        assert!(matches!(parse_option_arg("190=256"), Err(ConfigError::BadValue { .. })));
        assert!(matches!(parse_option_arg("43=0x0g"), Err(ConfigError::BadHex(_))));
        assert!(parse_mac("00:90:96:a1:b1").is_err());
    }

    #[test]
    fn toml_with_classes_validates_to_bytes() {
        let cfg = LabConfig::from_toml(
            r#"
            vlan = 100
            [dhcp]
            file = "boot.inf"
            siaddr = "10.0.0.2"
            options = { 66 = "10.0.0.1", 191 = "0x0064" }
            [[dhcp.class]]
            name = "st2030"
            vendor_class_prefix = "0107Thomson"
            options = { 67 = "ST2030S.inf" }
            [[dhcp.class]]
            mac = "00-90-96-A1-B1-C1"
            user_class = "Thomson ST2030S"
            options = { 43 = "http://prov.lab/x.inf" }
            [http.status]
            "/ST2030S.inf" = 500
            [dns]
            "prov.lab" = "10.0.0.2"
            "#,
        )
        .unwrap();
        assert_eq!(cfg.vlan, 100);
        assert_eq!(cfg.http.status["/ST2030S.inf"], 500);
        let plan = cfg.validate().unwrap();
        assert_eq!(plan.defaults.options[&66], b"10.0.0.1");
        assert_eq!(plan.defaults.options[&191], [0, 0x64]);
        assert_eq!(plan.defaults.file.as_deref(), Some(&b"boot.inf"[..]));
        assert_eq!(plan.classes[0].vendor_class_prefix.as_deref(), Some(&b"0107Thomson"[..]));
        assert_eq!(plan.classes[1].mac, Some([0x00, 0x90, 0x96, 0xA1, 0xB1, 0xC1]));
        assert!(LabConfig::from_toml("[dhcp]\nbogus = 1").is_err());
        assert!(LabConfig::from_toml("[dhcp]\npool_start = \"10.0.1.5\"").is_err());
    }

    #[test]
    fn cli_args_update_the_config() {
        let mut cfg = LabConfig::default();
        cfg.set_dhcp_arg("150=10.0.0.2").unwrap();
        cfg.set_dhcp_arg("file=ST2030S.inf").unwrap();
        cfg.set_dhcp_arg("siaddr=10.0.0.1").unwrap();
        assert!(cfg.set_dhcp_arg("150=nope").is_err());
        let plan = cfg.validate().unwrap();
        assert_eq!(plan.defaults.options[&150], [10, 0, 0, 2]);
        assert_eq!(plan.defaults.siaddr, Some(Ipv4Addr::new(10, 0, 0, 1)));
    }
}
