//! The DHCP options of provisioning (CONFORMANCE D1–D7, V1; vendor document
//! 2.4, 2.5, 4.2–4.4), apart from any DHCP library: the options the phone
//! sends are built as bytes, and a reply is read from a list of
//! `(code, bytes)` plus the BOOTP `file` and `siaddr` header fields.
//!
//! Decisions made here:
//! - D4: TFTP server = option 150, else 66, else `siaddr` (0.0.0.0 = none).
//!   Option 150 is read as dotted text when it is text, else as raw 4-byte
//!   addresses (the first one when the server sends a list).
//! - D5: the BOOTP `file` field is held to the rule of option 67.
//! - A value that breaks its option's rule is dropped and kept in
//!   [`Reply::rejected`] with the reason, for the APS log.
//!
//! Guarantees: no allocation, no panic on any input; every accessor of a
//! decoded [`Reply`] returns only values that passed their option's rule.

use crate::names::{self, Mac};
use crate::source::InfName;
use crate::url::{self, Host, Url, UrlError};
use board::model::Model;
use core::net::Ipv4Addr;
use heapless::Vec;

pub mod code {
    pub const PAD: u8 = 0;
    pub const SUBNET_MASK: u8 = 1;
    pub const ROUTER: u8 = 3;
    pub const DNS: u8 = 6;
    pub const NTP: u8 = 42;
    pub const VENDOR_SPECIFIC: u8 = 43;
    pub const PARAMETER_REQUEST_LIST: u8 = 55;
    pub const VENDOR_CLASS: u8 = 60;
    pub const TFTP_SERVER_NAME: u8 = 66;
    pub const BOOTFILE_NAME: u8 = 67;
    pub const USER_CLASS: u8 = 77;
    pub const TFTP_SERVER_150: u8 = 150;
    pub const VLAN_ENABLE: u8 = 190;
    pub const VLAN_VOICE: u8 = 191;
    pub const VLAN_DATA: u8 = 192;
    pub const END: u8 = 255;
}

/// How option 60 is written (`[net] DHCPVendorClassFormat`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum VendorClassFormat {
    /// D1: codes and lengths as two ASCII digits (this firmware's default).
    #[default]
    String,
    /// Older firmware: codes and lengths as single bytes.
    Binary,
}

/// The longest option 60 built here (`Thomson` + `ST2030` + `MGCP`, string form).
pub const VENDOR_CLASS_MAX: usize = 29;

/// Option 60 (D1): manufacturer (1), model (2), protocol (3) as
/// code/length/value triples.
pub fn vendor_class(model: Model, format: VendorClassFormat) -> Vec<u8, VENDOR_CLASS_MAX> {
    let mut out = Vec::new();
    let fields: [(u8, &str); 3] = [(1, "Thomson"), (2, model.hardware.name()), (3, model.protocol.name())];
    for (c, v) in fields {
        // Cannot overflow: the longest triple set is VENDOR_CLASS_MAX bytes,
        // and every length is below 100.
        let len = v.len() as u8;
        let _ = match format {
            VendorClassFormat::String => out.extend_from_slice(&[b'0' + c / 10, b'0' + c % 10, b'0' + len / 10, b'0' + len % 10]),
            VendorClassFormat::Binary => out.extend_from_slice(&[c, len]),
        };
        let _ = out.extend_from_slice(v.as_bytes());
    }
    out
}

/// Option 77 (D2): the raw string `Thomson ST2030S` (no RFC 3004 length byte).
pub fn user_class(model: Model) -> Vec<u8, 15> {
    let mut out = Vec::new();
    // Cannot overflow: 8 + 6 + 1 = 15.
    let _ = out.extend_from_slice(b"Thomson ");
    let _ = out.extend_from_slice(model.hardware.name().as_bytes());
    let _ = out.push(model.protocol.letter());
    out
}

const PRL: [u8; 11] = [1, 3, 6, 42, 43, 66, 67, 150, 190, 191, 192];

/// Option 55 (D3, V1): 1, 3, 6, 42, 43, 66, 67, 150, and 190–192 when `VLAN=1`.
pub fn parameter_request_list(vlan: bool) -> &'static [u8] {
    if vlan { &PRL } else { &PRL[..8] }
}

/// Why an option's value was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OptionError {
    #[error("length {0} is wrong for this option")]
    BadLength(usize),
    #[error("not an IPv4 address")]
    BadAddress,
    #[error("not a server name or address")]
    BadServer,
    #[error("character {0:?} not allowed in a boot file name")]
    BadFileChar(char),
    #[error("bad URL: {0}")]
    BadUrl(UrlError),
    #[error("VLAN flag is {0}, not 1")]
    VlanDisabled(u8),
    #[error("VLAN id {0} not in 1..=4094")]
    BadVlanId(u16),
    #[error("VLAN options incomplete: 190, 191 and 192 are all needed")]
    VlanIncomplete,
}

/// A dropped option, for the APS log. `code` 0 stands for the BOOTP `file`
/// field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rejected {
    pub code: u8,
    pub reason: OptionError,
}

/// VLAN ids from options 190–192 (D7), valid by construction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DhcpVlan {
    pub voice: u16,
    pub data: u16,
}

/// The longest option 67 / `file` value (D5).
pub const MAX_BOOTFILE: usize = 255;
/// How many addresses of a list option (3, 6, 42) are kept.
pub const MAX_ADDRS: usize = 3;
/// How many rejections are kept.
pub const MAX_REJECTED: usize = 8;

/// What a DHCP reply says for provisioning.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reply<'a> {
    pub subnet_mask: Option<Ipv4Addr>,
    pub routers: Vec<Ipv4Addr, MAX_ADDRS>,
    pub dns: Vec<Ipv4Addr, MAX_ADDRS>,
    pub ntp: Vec<Ipv4Addr, MAX_ADDRS>,
    /// Option 43: the INF URL (D6).
    pub inf_url: Option<Url<'a>>,
    /// Option 66.
    pub tftp_server_name: Option<Host<'a>>,
    /// Option 150.
    pub tftp_server_150: Option<Ipv4Addr>,
    /// Option 67.
    pub bootfile: Option<&'a [u8]>,
    /// The BOOTP `file` field.
    pub file: Option<&'a [u8]>,
    /// The BOOTP `siaddr` ("Next Server"), when not 0.0.0.0.
    pub siaddr: Option<Ipv4Addr>,
    /// Options 190–192 (D7).
    pub vlan: Option<DhcpVlan>,
    pub rejected: Vec<Rejected, MAX_REJECTED>,
}

/// Where the TFTP server came from (D4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TftpFrom {
    Option150,
    Option66,
    NextServer,
}

impl<'a> Reply<'a> {
    /// Reads the options that matter. For a repeated code the last one
    /// counts. `file` is the 128-byte BOOTP field (NUL-terminated or full);
    /// `siaddr` the header's next-server address.
    pub fn decode<I>(options: I, file: &'a [u8], siaddr: Ipv4Addr) -> Reply<'a>
    where
        I: IntoIterator<Item = (u8, &'a [u8])>,
    {
        let mut r = Reply { siaddr: (!siaddr.is_unspecified()).then_some(siaddr), ..Reply::default() };
        let (mut v190, mut v191, mut v192) = (None, None, None);
        for (c, v) in options {
            match c {
                code::SUBNET_MASK => r.subnet_mask = r.keep(c, one_addr(v)),
                code::ROUTER => r.routers = r.keep(c, addr_list(v)).unwrap_or_default(),
                code::DNS => r.dns = r.keep(c, addr_list(v)).unwrap_or_default(),
                code::NTP => r.ntp = r.keep(c, addr_list(v)).unwrap_or_default(),
                code::VENDOR_SPECIFIC => r.inf_url = r.keep(c, Url::parse(strip_nul(v)).map_err(OptionError::BadUrl)),
                code::TFTP_SERVER_NAME => r.tftp_server_name = r.keep(c, Host::parse(strip_nul(v)).map_err(|_| OptionError::BadServer)),
                code::BOOTFILE_NAME => r.bootfile = r.keep(c, check_bootfile(strip_nul(v))),
                code::TFTP_SERVER_150 => r.tftp_server_150 = r.keep(c, option_150(v)),
                code::VLAN_ENABLE => v190 = Some(v),
                code::VLAN_VOICE => v191 = Some(v),
                code::VLAN_DATA => v192 = Some(v),
                _ => {}
            }
        }
        let file = until_nul(file);
        if !file.is_empty() {
            r.file = r.keep(0, check_bootfile(file));
        }
        if v190.is_some() || v191.is_some() || v192.is_some() {
            r.vlan = r.keep(code::VLAN_ENABLE, vlan(v190, v191, v192));
        }
        r
    }

    fn keep<T>(&mut self, code: u8, v: Result<T, OptionError>) -> Option<T> {
        match v {
            Ok(v) => Some(v),
            Err(reason) => {
                // The log keeps the first few; later ones are dropped silently.
                let _ = self.rejected.push(Rejected { code, reason });
                None
            }
        }
    }

    /// D4: option 150, else 66, else `siaddr`.
    pub fn tftp_server(&self) -> Option<(Host<'a>, TftpFrom)> {
        if let Some(ip) = self.tftp_server_150 {
            return Some((Host::Ip(ip), TftpFrom::Option150));
        }
        if let Some(h) = self.tftp_server_name {
            return Some((h, TftpFrom::Option66));
        }
        self.siaddr.map(|ip| (Host::Ip(ip), TftpFrom::NextServer))
    }

    /// D5: option 67, else the BOOTP `file` field.
    pub fn boot_file_name(&self) -> Option<&'a [u8]> {
        self.bootfile.or(self.file)
    }

    /// D5: option 67, else `file`, else `<MODEL>_<MAC>.inf` (the
    /// pre-configured `AutoprovisionConfigname` comes after, see
    /// [`crate::source::candidates`]).
    pub fn inf_name(&self, model: Model, mac: Mac) -> InfName<'a> {
        match self.boot_file_name() {
            Some(f) => InfName::Given(f),
            None => InfName::Default(names::default_inf(model, mac)),
        }
    }
}

fn strip_nul(v: &[u8]) -> &[u8] {
    let mut v = v;
    while let [rest @ .., 0] = v {
        v = rest;
    }
    v
}

fn until_nul(v: &[u8]) -> &[u8] {
    &v[..v.iter().position(|&b| b == 0).unwrap_or(v.len())]
}

fn one_addr(v: &[u8]) -> Result<Ipv4Addr, OptionError> {
    let b: [u8; 4] = v.try_into().map_err(|_| OptionError::BadLength(v.len()))?;
    Ok(Ipv4Addr::from(b))
}

fn addr_list(v: &[u8]) -> Result<Vec<Ipv4Addr, MAX_ADDRS>, OptionError> {
    if v.is_empty() || !v.len().is_multiple_of(4) {
        return Err(OptionError::BadLength(v.len()));
    }
    Ok(v.chunks_exact(4).take(MAX_ADDRS).filter_map(|c| one_addr(c).ok()).collect())
}

/// D4: dotted text (optionally NUL-terminated), else raw 4-byte addresses.
fn option_150(v: &[u8]) -> Result<Ipv4Addr, OptionError> {
    if let Some(ip) = url::parse_ipv4(strip_nul(v)) {
        return Ok(ip);
    }
    if !v.is_empty() && v.len().is_multiple_of(4) {
        return one_addr(&v[..4]);
    }
    Err(OptionError::BadAddress)
}

/// D5: letters, digits, `_`, and `.`, `/`, `\` for paths; 1..=255 bytes.
fn check_bootfile(v: &[u8]) -> Result<&[u8], OptionError> {
    if v.is_empty() || v.len() > MAX_BOOTFILE {
        return Err(OptionError::BadLength(v.len()));
    }
    match v.iter().find(|&&b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b'\\'))) {
        Some(&b) => Err(OptionError::BadFileChar(char::from(b))),
        None => Ok(v),
    }
}

/// D7: all three present, flag 1, both ids in 1..=4094.
fn vlan(v190: Option<&[u8]>, v191: Option<&[u8]>, v192: Option<&[u8]>) -> Result<DhcpVlan, OptionError> {
    let (Some(f), Some(voice), Some(data)) = (v190, v191, v192) else {
        return Err(OptionError::VlanIncomplete);
    };
    let [flag] = f else {
        return Err(OptionError::BadLength(f.len()));
    };
    if *flag != 1 {
        return Err(OptionError::VlanDisabled(*flag));
    }
    let id = |v: &[u8]| -> Result<u16, OptionError> {
        let b: [u8; 2] = v.try_into().map_err(|_| OptionError::BadLength(v.len()))?;
        let id = u16::from_be_bytes(b);
        if (1..=4094).contains(&id) { Ok(id) } else { Err(OptionError::BadVlanId(id)) }
    };
    Ok(DhcpVlan { voice: id(voice)?, data: id(data)? })
}

/// Walks the raw options area of a DHCP message (after the magic cookie):
/// skips PAD, stops at END or at a truncated option. Overloaded `file` /
/// `sname` (option 52) are not followed.
#[derive(Clone, Debug)]
pub struct OptionIter<'a> {
    rest: &'a [u8],
}

impl<'a> OptionIter<'a> {
    pub fn new(options: &'a [u8]) -> Self {
        OptionIter { rest: options }
    }
}

impl<'a> Iterator for OptionIter<'a> {
    type Item = (u8, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match *self.rest {
                [] | [code::END, ..] => return None,
                [code::PAD, ref rest @ ..] => self.rest = rest,
                [c, len, ref rest @ ..] if rest.len() >= usize::from(len) => {
                    let (v, rest) = rest.split_at(usize::from(len));
                    self.rest = rest;
                    return Some((c, v));
                }
                _ => {
                    self.rest = &[];
                    return None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(s: &str) -> Model {
        Model::parse(s).unwrap()
    }

    #[test]
    fn option_60_string_form_is_the_documents_example() {
        // 2.4: '01' '07' Thomson '02' '06' ST2030 '03' '03' SIP
        assert_eq!(&vendor_class(model("ST2030S"), VendorClassFormat::String)[..], b"0107Thomson0206ST20300303SIP");
        assert_eq!(&vendor_class(model("ST2022M"), VendorClassFormat::String)[..], b"0107Thomson0206ST20220304MGCP");
        assert_eq!(vendor_class(model("ST2030M"), VendorClassFormat::String).len(), VENDOR_CLASS_MAX);
    }

    #[test]
    fn option_60_binary_form() {
        assert_eq!(&vendor_class(model("ST2030S"), VendorClassFormat::Binary)[..], b"\x01\x07Thomson\x02\x06ST2030\x03\x03SIP");
    }

    #[test]
    fn option_77_and_55() {
        assert_eq!(&user_class(model("ST2022S"))[..], b"Thomson ST2022S");
        assert_eq!(&user_class(model("ST2030M"))[..], b"Thomson ST2030M");
        assert_eq!(parameter_request_list(false), &[1, 3, 6, 42, 43, 66, 67, 150]);
        assert_eq!(parameter_request_list(true), &[1, 3, 6, 42, 43, 66, 67, 150, 190, 191, 192]);
    }

    /// The options area of a dnsmasq-style ACK: PAD, mask, router, DNS×2,
    /// option 66 as text, 67, 150 raw, 43 URL, VLAN set, END, trailing junk.
    const ACK_OPTIONS: &[u8] = b"\x00\x01\x04\xff\xff\xff\x00\x03\x04\xc0\xa8\x01\x01\x06\x08\xc0\xa8\x01\x01\x08\x08\x08\x08\
\x42\x0btftp.lan.io\x43\x12ST2030S_common.inf\x96\x04\xc0\xa8\x01\x0a\
\x2b\x1ehttp://aps.lan.io/st2030/a.inf\xbe\x01\x01\xbf\x02\x00\x64\xc0\x02\x00\xc8\xffjunk";

    #[test]
    fn decodes_a_real_options_area() {
        let opts: std::vec::Vec<_> = OptionIter::new(ACK_OPTIONS).collect();
        assert_eq!(opts.len(), 10);
        let r = Reply::decode(opts, &[0u8; 128], Ipv4Addr::new(192, 168, 1, 1));
        assert_eq!(r.subnet_mask, Some(Ipv4Addr::new(255, 255, 255, 0)));
        assert_eq!(&r.routers[..], &[Ipv4Addr::new(192, 168, 1, 1)]);
        assert_eq!(&r.dns[..], &[Ipv4Addr::new(192, 168, 1, 1), Ipv4Addr::new(8, 8, 8, 8)]);
        assert_eq!(r.tftp_server_name, Some(Host::Name(b"tftp.lan.io")));
        assert_eq!(r.tftp_server_150, Some(Ipv4Addr::new(192, 168, 1, 10)));
        assert_eq!(r.tftp_server(), Some((Host::Ip(Ipv4Addr::new(192, 168, 1, 10)), TftpFrom::Option150)));
        assert_eq!(r.boot_file_name(), Some(&b"ST2030S_common.inf"[..]));
        let u = r.inf_url.unwrap();
        assert_eq!((u.host_text, u.path), (&b"aps.lan.io"[..], &b"/st2030/a.inf"[..]));
        assert_eq!(r.vlan, Some(DhcpVlan { voice: 100, data: 200 }));
        assert!(r.rejected.is_empty());
    }

    #[test]
    fn tftp_server_priority() {
        let siaddr = Ipv4Addr::new(10, 0, 0, 9);
        let r = Reply::decode([(66u8, &b"10.0.0.2\0"[..])], &[], siaddr);
        assert_eq!(r.tftp_server(), Some((Host::Ip(Ipv4Addr::new(10, 0, 0, 2)), TftpFrom::Option66)));
        let r = Reply::decode([(66u8, &b"10.0.0.2"[..]), (150, b"10.0.0.3")], &[], siaddr);
        assert_eq!(r.tftp_server(), Some((Host::Ip(Ipv4Addr::new(10, 0, 0, 3)), TftpFrom::Option150)));
        let r = Reply::decode([], &[], siaddr);
        assert_eq!(r.tftp_server(), Some((Host::Ip(siaddr), TftpFrom::NextServer)));
        assert_eq!(Reply::decode([], &[], Ipv4Addr::UNSPECIFIED).tftp_server(), None);
    }

    #[test]
    fn option_150_forms() {
        assert_eq!(option_150(b"\x0a\x00\x00\x05"), Ok(Ipv4Addr::new(10, 0, 0, 5)));
        assert_eq!(option_150(b"10.0.0.5"), Ok(Ipv4Addr::new(10, 0, 0, 5)));
        assert_eq!(option_150(b"10.0.0.5\0"), Ok(Ipv4Addr::new(10, 0, 0, 5)));
        // Two raw addresses (Cisco list): the first.
        assert_eq!(option_150(b"\x0a\x00\x00\x05\x0a\x00\x00\x06"), Ok(Ipv4Addr::new(10, 0, 0, 5)));
        // Raw bytes that happen to be digits and dots but not an address.
        assert_eq!(option_150(b"1.1."), Ok(Ipv4Addr::new(0x31, 0x2e, 0x31, 0x2e)));
        assert_eq!(option_150(b"\x0a\x00\x00"), Err(OptionError::BadAddress));
    }

    #[test]
    fn bootfile_rules_and_file_field() {
        let mut file = [0u8; 128];
        file[..13].copy_from_slice(b"boot\\dir/a.in");
        let r = Reply::decode([], &file, Ipv4Addr::UNSPECIFIED);
        assert_eq!(r.boot_file_name(), Some(&b"boot\\dir/a.in"[..]));
        // 67 wins over file.
        let r = Reply::decode([(67u8, &b"x.inf\0"[..])], &file, Ipv4Addr::UNSPECIFIED);
        assert_eq!(r.boot_file_name(), Some(&b"x.inf"[..]));
        let (m, mac) = (model("ST2022S"), Mac([0, 0x90, 0x96, 0xA1, 0xB1, 0xC1]));
        assert_eq!(r.inf_name(m, mac).as_bytes(), b"x.inf");
        assert_eq!(Reply::decode([], &[], Ipv4Addr::UNSPECIFIED).inf_name(m, mac).as_bytes(), b"ST2022S_009096A1B1C1.inf");
        // A bad 67 is rejected and logged; file is then used.
        let r = Reply::decode([(67u8, &b"a-b.inf"[..])], &file, Ipv4Addr::UNSPECIFIED);
        assert_eq!(r.boot_file_name(), Some(&b"boot\\dir/a.in"[..]));
        assert_eq!(&r.rejected[..], &[Rejected { code: 67, reason: OptionError::BadFileChar('-') }]);
        let long = [b'a'; 256];
        let r = Reply::decode([(67u8, &long[..])], &[], Ipv4Addr::UNSPECIFIED);
        assert_eq!(&r.rejected[..], &[Rejected { code: 67, reason: OptionError::BadLength(256) }]);
        assert_eq!(check_bootfile(&long[..255]), Ok(&long[..255]));
    }

    #[test]
    fn vlan_validity_rule() {
        let d = |opts: &[(u8, &'static [u8])]| {
            let r = Reply::decode(opts.iter().copied(), &[], Ipv4Addr::UNSPECIFIED);
            (r.vlan, r.rejected.first().map(|x| x.reason))
        };
        assert_eq!(d(&[(190, b"\x01"), (191, b"\x0f\xfe"), (192, b"\x00\x01")]), (Some(DhcpVlan { voice: 4094, data: 1 }), None));
        assert_eq!(d(&[(190, b"\x01"), (191, b"\x00\x64")]), (None, Some(OptionError::VlanIncomplete)));
        assert_eq!(d(&[(190, b"\x00"), (191, b"\x00\x64"), (192, b"\x00\x65")]), (None, Some(OptionError::VlanDisabled(0))));
        assert_eq!(d(&[(190, b"\x01"), (191, b"\x00\x00"), (192, b"\x00\x65")]), (None, Some(OptionError::BadVlanId(0))));
        assert_eq!(d(&[(190, b"\x01"), (191, b"\x0f\xff"), (192, b"\x00\x65")]), (None, Some(OptionError::BadVlanId(4095))));
        assert_eq!(d(&[(190, b"\x01\x01"), (191, b"\x00\x64"), (192, b"\x00\x65")]), (None, Some(OptionError::BadLength(2))));
        assert_eq!(d(&[]), (None, None));
    }

    #[test]
    fn bad_values_are_rejected_not_fatal() {
        let r = Reply::decode([(1u8, &b"\xff\xff"[..]), (43, b"tftp://x/y"), (66, b"bad name!"), (6, b"\x01\x02\x03")], &[], Ipv4Addr::UNSPECIFIED);
        let codes: std::vec::Vec<_> = r.rejected.iter().map(|x| x.code).collect();
        assert_eq!(codes, [1, 43, 66, 6]);
        assert_eq!(r.inf_url, None);
        assert_eq!(r.tftp_server(), None);
    }

    #[test]
    fn option_iter_stops_on_truncation() {
        let opts: std::vec::Vec<_> = OptionIter::new(b"\x03\x04\x01\x02\x03\x04\x06\x08\x01").collect();
        assert_eq!(opts, [(3u8, &b"\x01\x02\x03\x04"[..])]);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600), file in proptest::collection::vec(proptest::num::u8::ANY, 0..128)) {
            let r = Reply::decode(OptionIter::new(&bytes), &file, Ipv4Addr::new(1, 2, 3, 4));
            if let Some(name) = r.boot_file_name() {
                proptest::prop_assert!(!name.is_empty() && name.len() <= MAX_BOOTFILE);
            }
            if let Some(v) = r.vlan {
                proptest::prop_assert!((1..=4094).contains(&v.voice) && (1..=4094).contains(&v.data));
            }
        }
    }
}
