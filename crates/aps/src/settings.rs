//! Typed values of the config keys the firmware acts on, with their validity
//! rules (CONFORMANCE T1, T2, T4, V1–V4, E1, the provisioning-key field facts).
//!
//! Each key is described once in [`Known`] (section, key, rule). The value
//! parsers take bytes, so the firmware applies the same rules to values read
//! back from its config store; the [`Config`] accessors apply them to a file.
//!
//! Every accessor returns `Ok(None)` when the key is absent **or empty**
//! (`key=` in vendor files means "not set": the built-in default applies),
//! `Ok(Some(v))` when valid, and `Err` with the line and reason otherwise.
//! Guarantees: no allocation, no panic on any input.

use crate::config::Config;
use crate::dhcp::VendorClassFormat;
use crate::ser::KEY_LEN;
use crate::url::{Authority, Host, UrlError};
use core::net::Ipv4Addr;

/// Why a value is not valid for its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BadValue {
    #[error("expected 0 or 1")]
    NotBool,
    #[error("expected a number in {min}..={max}")]
    OutOfRange { min: u32, max: u32 },
    #[error("expected HH:MM from 00:00 to 23:59")]
    NotTime,
    #[error("expected `string` or `binary`")]
    NotFormat,
    #[error("expected exactly {KEY_LEN} characters, got {0}")]
    KeyLength(usize),
    #[error("bad server: {0}")]
    Server(UrlError),
}

/// A value refused, with where it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: [{section}] {key}: {reason}")]
pub struct SettingError {
    pub line: u32,
    pub section: &'static str,
    pub key: &'static str,
    pub reason: BadValue,
}

/// Absent/empty, valid, or refused.
pub type Setting<T> = Result<Option<T>, SettingError>;

/// A time of day, `HH:MM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimeOfDay {
    pub hour: u8,
    pub minute: u8,
}

impl TimeOfDay {
    pub fn minutes(self) -> u16 {
        u16::from(self.hour) * 60 + u16::from(self.minute)
    }
}

/// `AuthNotifyCheckSync` (T4): `0.0.0.0` (the default) accepts any source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotifySource<'a> {
    Any,
    Only(Host<'a>),
}

/// `0` or `1`.
pub fn parse_bool(v: &[u8]) -> Result<bool, BadValue> {
    match v {
        b"0" => Ok(false),
        b"1" => Ok(true),
        _ => Err(BadValue::NotBool),
    }
}

/// A decimal number in `min..=max` (at most 10 digits, leading zeros allowed).
pub fn parse_number(v: &[u8], min: u32, max: u32) -> Result<u32, BadValue> {
    let range = BadValue::OutOfRange { min, max };
    if v.is_empty() || v.len() > 10 || !v.iter().all(u8::is_ascii_digit) {
        return Err(range);
    }
    let n = v.iter().fold(0u64, |a, &d| a * 10 + u64::from(d - b'0'));
    match u32::try_from(n) {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(range),
    }
}

/// `HH:MM` (or `H:MM`), 00:00..=23:59 (T2, 3.2).
pub fn parse_time(v: &[u8]) -> Result<TimeOfDay, BadValue> {
    let colon = v.iter().position(|&b| b == b':').ok_or(BadValue::NotTime)?;
    let (h, m) = (&v[..colon], &v[colon + 1..]);
    if !(1..=2).contains(&h.len()) || m.len() != 2 {
        return Err(BadValue::NotTime);
    }
    let hour = parse_number(h, 0, 23).map_err(|_| BadValue::NotTime)?;
    let minute = parse_number(m, 0, 59).map_err(|_| BadValue::NotTime)?;
    // In range by the checks above.
    Ok(TimeOfDay { hour: hour as u8, minute: minute as u8 })
}

/// `Decryption_Key` (E1): exactly 16 bytes, used as they are.
pub fn parse_key(v: &[u8]) -> Result<[u8; KEY_LEN], BadValue> {
    v.try_into().map_err(|_| BadValue::KeyLength(v.len()))
}

/// `DHCPVendorClassFormat`: `string` (D1, default) or `binary`.
pub fn parse_format(v: &[u8]) -> Result<VendorClassFormat, BadValue> {
    if v.eq_ignore_ascii_case(b"string") {
        Ok(VendorClassFormat::String)
    } else if v.eq_ignore_ascii_case(b"binary") {
        Ok(VendorClassFormat::Binary)
    } else {
        Err(BadValue::NotFormat)
    }
}

/// `AuthNotifyCheckSync`: `0.0.0.0` is [`NotifySource::Any`].
pub fn parse_notify_source(v: &[u8]) -> Result<NotifySource<'_>, BadValue> {
    match Host::parse(v).map_err(BadValue::Server)? {
        Host::Ip(ip) if ip == Ipv4Addr::UNSPECIFIED => Ok(NotifySource::Any),
        h => Ok(NotifySource::Only(h)),
    }
}

macro_rules! known {
    ($($variant:ident = $section:literal $key:literal,)*) => {
        /// The config keys the firmware acts on.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Known { $($variant,)* }
        impl Known {
            pub const ALL: &'static [Known] = &[$(Known::$variant,)*];
            pub fn section(self) -> &'static str {
                match self { $(Known::$variant => $section,)* }
            }
            pub fn key(self) -> &'static str {
                match self { $(Known::$variant => $key,)* }
            }
        }
    };
}

known! {
    AutoprovisionFlag = "autoprovision" "AutoprovisionFlag",
    AutoprovisionHttpServer = "autoprovision" "AutoprovisionHTTPServer",
    AutoprovisionTftpServer = "autoprovision" "AutoprovisionTFTPServer",
    AutoprovisionConfigname = "autoprovision" "AutoprovisionConfigname",
    AutoprovisionTimeDays = "autoprovision" "AutoprovisionTimeDays",
    AutoprovisionStartTime = "autoprovision" "Autoprovisionstarttime",
    AutoprovisionTimeSpan = "autoprovision" "AutoprovisionTimeSpan",
    AutoprovisionRetryPeriod = "autoprovision" "AutoprovisionRetryPeriod",
    DecryptionKey = "autoprovision" "Decryption_Key",
    ConfigSn = "sys" "config_sn",
    DisplayName1 = "sip" "DisplayName1",
    Tel1Number = "sip" "TEL1Number",
    SwNotifyAutoprovision = "sip" "sw_notify_autoprovision",
    AuthNotifyCheckSync = "sip" "AuthNotifyCheckSync",
    Vlan = "net" "VLAN",
    PersistentVlanFromDhcp = "net" "PersistentVLANfromDHCP",
    DhcpVendorClassFormat = "net" "DHCPVendorClassFormat",
    VlanId1 = "qos" "VLANid1",
    VlanId2 = "qos" "VLANid2",
    VlanTag1 = "qos" "VLANTag1",
    NtpFlag = "ntp" "NTPFlag",
    NtpIp = "ntp" "NtpIP",
    NtpZoneNum = "ntp" "NtpZoneNum",
}

impl Known {
    /// Checks a value against this key's rule (for the linter and the
    /// firmware's config store). Free text keys accept anything.
    pub fn check(self, v: &[u8]) -> Result<(), BadValue> {
        use Known::*;
        match self {
            AutoprovisionFlag | SwNotifyAutoprovision | Vlan | PersistentVlanFromDhcp | NtpFlag => parse_bool(v).map(drop),
            AutoprovisionHttpServer | AutoprovisionTftpServer => Authority::parse(v).map(drop).map_err(BadValue::Server),
            NtpIp => Host::parse(v).map(drop).map_err(BadValue::Server),
            AuthNotifyCheckSync => parse_notify_source(v).map(drop),
            AutoprovisionTimeDays | AutoprovisionTimeSpan | NtpZoneNum => parse_number(v, 0, 255).map(drop),
            AutoprovisionStartTime => parse_time(v).map(drop),
            AutoprovisionRetryPeriod => parse_number(v, 1, 3600).map(drop),
            DecryptionKey => parse_key(v).map(drop),
            DhcpVendorClassFormat => parse_format(v).map(drop),
            VlanId1 | VlanId2 => parse_number(v, 0, 4094).map(drop),
            VlanTag1 => parse_number(v, 0, 7).map(drop),
            AutoprovisionConfigname | ConfigSn | DisplayName1 | Tel1Number => Ok(()),
        }
    }

    /// Case-insensitive lookup by section and key.
    pub fn find(section: &[u8], key: &[u8]) -> Option<Known> {
        Known::ALL.iter().copied().find(|k| section.eq_ignore_ascii_case(k.section().as_bytes()) && key.eq_ignore_ascii_case(k.key().as_bytes()))
    }
}

impl<'a> Config<'a> {
    fn setting<T>(&self, k: Known, parse: impl FnOnce(&'a [u8]) -> Result<T, BadValue>) -> Setting<T> {
        match self.get(k.section(), k.key()) {
            None => Ok(None),
            Some(e) if e.value.is_empty() => Ok(None),
            Some(e) => parse(e.value)
                .map(Some)
                .map_err(|reason| SettingError { line: e.line, section: k.section(), key: k.key(), reason }),
        }
    }

    fn text(&self, k: Known) -> Option<&'a [u8]> {
        self.get(k.section(), k.key()).map(|e| e.value).filter(|v| !v.is_empty())
    }

    fn number(&self, k: Known, min: u32, max: u32) -> Setting<u32> {
        self.setting(k, |v| parse_number(v, min, max))
    }

    pub fn autoprovision_flag(&self) -> Setting<bool> {
        self.setting(Known::AutoprovisionFlag, parse_bool)
    }
    /// `host[:port]`, no scheme (a scheme is tolerated).
    pub fn autoprovision_http_server(&self) -> Setting<Authority<'a>> {
        self.setting(Known::AutoprovisionHttpServer, |v| Authority::parse(v).map_err(BadValue::Server))
    }
    pub fn autoprovision_tftp_server(&self) -> Setting<Authority<'a>> {
        self.setting(Known::AutoprovisionTftpServer, |v| Authority::parse(v).map_err(BadValue::Server))
    }
    /// A path, with or without a leading `/`.
    pub fn autoprovision_configname(&self) -> Option<&'a [u8]> {
        self.text(Known::AutoprovisionConfigname)
    }
    /// T2: days between periodic runs, 0 = never.
    pub fn autoprovision_time_days(&self) -> Setting<u8> {
        self.number(Known::AutoprovisionTimeDays, 0, 255).map(|o| o.map(|n| n as u8))
    }
    pub fn autoprovision_start_time(&self) -> Setting<TimeOfDay> {
        self.setting(Known::AutoprovisionStartTime, parse_time)
    }
    /// T1/T2: minutes, 0..=255.
    pub fn autoprovision_time_span(&self) -> Setting<u8> {
        self.number(Known::AutoprovisionTimeSpan, 0, 255).map(|o| o.map(|n| n as u8))
    }
    /// P5: seconds between INF retries, 1..=3600 (vendors ship 30).
    pub fn autoprovision_retry_period(&self) -> Setting<u16> {
        self.number(Known::AutoprovisionRetryPeriod, 1, 3600).map(|o| o.map(|n| n as u16))
    }
    pub fn decryption_key(&self) -> Setting<[u8; KEY_LEN]> {
        self.setting(Known::DecryptionKey, parse_key)
    }
    pub fn display_name1(&self) -> Option<&'a [u8]> {
        self.text(Known::DisplayName1)
    }
    pub fn tel1_number(&self) -> Option<&'a [u8]> {
        self.text(Known::Tel1Number)
    }
    /// T4: "Use SIP NOTIFY" (built-in default 0).
    pub fn sw_notify_autoprovision(&self) -> Setting<bool> {
        self.setting(Known::SwNotifyAutoprovision, parse_bool)
    }
    pub fn auth_notify_check_sync(&self) -> Setting<NotifySource<'a>> {
        self.setting(Known::AuthNotifyCheckSync, parse_notify_source)
    }
    /// V1: ask DHCP for options 190–192.
    pub fn vlan(&self) -> Setting<bool> {
        self.setting(Known::Vlan, parse_bool)
    }
    pub fn persistent_vlan_from_dhcp(&self) -> Setting<bool> {
        self.setting(Known::PersistentVlanFromDhcp, parse_bool)
    }
    pub fn dhcp_vendor_class_format(&self) -> Setting<VendorClassFormat> {
        self.setting(Known::DhcpVendorClassFormat, parse_format)
    }
    /// Voice VLAN id, 0 (untagged) or 1..=4094.
    pub fn vlan_id1(&self) -> Setting<u16> {
        self.number(Known::VlanId1, 0, 4094).map(|o| o.map(|n| n as u16))
    }
    /// PC-port VLAN id, 0 (untagged) or 1..=4094.
    pub fn vlan_id2(&self) -> Setting<u16> {
        self.number(Known::VlanId2, 0, 4094).map(|o| o.map(|n| n as u16))
    }
    /// 802.1p priority, 0..=7.
    pub fn vlan_tag1(&self) -> Setting<u8> {
        self.number(Known::VlanTag1, 0, 7).map(|o| o.map(|n| n as u8))
    }
    pub fn ntp_flag(&self) -> Setting<bool> {
        self.setting(Known::NtpFlag, parse_bool)
    }
    pub fn ntp_ip(&self) -> Setting<Host<'a>> {
        self.setting(Known::NtpIp, |v| Host::parse(v).map_err(BadValue::Server))
    }
    pub fn ntp_zone_num(&self) -> Setting<u8> {
        self.number(Known::NtpZoneNum, 0, 255).map(|o| o.map(|n| n as u8))
    }

    /// Every known key present with an invalid value (for the linter).
    pub fn invalid_settings(&self) -> impl Iterator<Item = SettingError> + '_ {
        self.entries().filter(|e| !e.value.is_empty()).filter_map(|e| {
            let k = Known::find(e.section, e.key)?;
            k.check(e.value).err().map(|reason| SettingError { line: e.line, section: k.section(), key: k.key(), reason })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &[u8] = b"[autoprovision]\r
AutoprovisionFlag=1\r
AutoprovisionHTTPServer=aps.example.net:8080\r
AutoprovisionTFTPServer=\r
AutoprovisionConfigname=/st2030/common.inf\r
AutoprovisionTimeDays=1\r
Autoprovisionstarttime=15:00\r
AutoprovisionTimeSpan=20\r
AutoprovisionRetryPeriod=30\r
Decryption_Key=Th0mson2$8s8@9z!\r
[sys]\r
config_sn=200901010000\r
[sip]\r
DisplayName1=Alice\r
TEL1Number=2001\r
sw_notify_autoprovision=1\r
AuthNotifyCheckSync=0.0.0.0\r
[net]\r
VLAN=1\r
PersistentVLANfromDHCP=0\r
DHCPVendorClassFormat=binary\r
[qos]\r
VLANid1=100\r
VLANid2=0\r
VLANTag1=5\r
[ntp]\r
NTPFlag=1\r
NtpIP=pool.ntp.org\r
NtpZoneNum=33\r
";

    #[test]
    fn every_accessor_on_a_full_file() {
        let c = Config::parse(FILE).unwrap();
        assert_eq!(c.autoprovision_flag(), Ok(Some(true)));
        let a = c.autoprovision_http_server().unwrap().unwrap();
        assert_eq!((a.host, a.port), (Host::Name(b"aps.example.net"), Some(8080)));
        assert_eq!(c.autoprovision_tftp_server(), Ok(None));
        assert_eq!(c.autoprovision_configname(), Some(&b"/st2030/common.inf"[..]));
        assert_eq!(c.autoprovision_time_days(), Ok(Some(1)));
        assert_eq!(c.autoprovision_start_time(), Ok(Some(TimeOfDay { hour: 15, minute: 0 })));
        assert_eq!(c.autoprovision_time_span(), Ok(Some(20)));
        assert_eq!(c.autoprovision_retry_period(), Ok(Some(30)));
        assert_eq!(c.decryption_key(), Ok(Some(*b"Th0mson2$8s8@9z!")));
        assert_eq!(c.config_sn(), Some(&b"200901010000"[..]));
        assert_eq!(c.display_name1(), Some(&b"Alice"[..]));
        assert_eq!(c.tel1_number(), Some(&b"2001"[..]));
        assert_eq!(c.sw_notify_autoprovision(), Ok(Some(true)));
        assert_eq!(c.auth_notify_check_sync(), Ok(Some(NotifySource::Any)));
        assert_eq!(c.vlan(), Ok(Some(true)));
        assert_eq!(c.persistent_vlan_from_dhcp(), Ok(Some(false)));
        assert_eq!(c.dhcp_vendor_class_format(), Ok(Some(VendorClassFormat::Binary)));
        assert_eq!(c.vlan_id1(), Ok(Some(100)));
        assert_eq!(c.vlan_id2(), Ok(Some(0)));
        assert_eq!(c.vlan_tag1(), Ok(Some(5)));
        assert_eq!(c.ntp_flag(), Ok(Some(true)));
        assert_eq!(c.ntp_ip(), Ok(Some(Host::Name(b"pool.ntp.org"))));
        assert_eq!(c.ntp_zone_num(), Ok(Some(33)));
        assert_eq!(c.invalid_settings().count(), 0);
    }

    #[test]
    fn absent_keys_are_none() {
        let c = Config::parse(b"[sip]\n").unwrap();
        assert_eq!(c.vlan(), Ok(None));
        assert_eq!(c.decryption_key(), Ok(None));
        assert_eq!(c.display_name1(), None);
    }

    #[test]
    fn invalid_values_name_line_and_reason() {
        let c = Config::parse(b"[autoprovision]\nAutoprovisionTimeSpan=256\nAutoprovisionstarttime=24:00\nDecryption_Key=short\n[net]\nvlan=yes\n[qos]\nVLANid1=4095\nVLANTag1=8\n[sip]\nAuthNotifyCheckSync=bad host!\n").unwrap();
        let e = c.autoprovision_time_span().unwrap_err();
        assert_eq!(e.to_string(), "line 2: [autoprovision] AutoprovisionTimeSpan: expected a number in 0..=255");
        assert_eq!(c.autoprovision_start_time().unwrap_err().reason, BadValue::NotTime);
        assert_eq!(c.decryption_key().unwrap_err().reason, BadValue::KeyLength(5));
        assert_eq!(c.vlan().unwrap_err(), SettingError { line: 6, section: "net", key: "VLAN", reason: BadValue::NotBool });
        assert_eq!(c.vlan_id1().unwrap_err().reason, BadValue::OutOfRange { min: 0, max: 4094 });
        assert_eq!(c.vlan_tag1().unwrap_err().reason, BadValue::OutOfRange { min: 0, max: 7 });
        assert_eq!(c.auth_notify_check_sync().unwrap_err().reason, BadValue::Server(UrlError::BadHost));
        let lines: Vec<u32> = c.invalid_settings().map(|e| e.line).collect();
        assert_eq!(lines, [2, 3, 4, 6, 8, 9, 11]);
    }

    #[test]
    fn time_rules() {
        assert_eq!(parse_time(b"00:00"), Ok(TimeOfDay { hour: 0, minute: 0 }));
        assert_eq!(parse_time(b"9:05"), Ok(TimeOfDay { hour: 9, minute: 5 }));
        assert_eq!(parse_time(b"23:59").map(TimeOfDay::minutes), Ok(1439));
        for bad in [&b"24:00"[..], b"12:60", b"12:5", b"1200", b":30", b"123:00", b"ab:cd", b"12:00pm"] {
            assert_eq!(parse_time(bad), Err(BadValue::NotTime), "{bad:?}");
        }
    }

    #[test]
    fn number_rules() {
        assert_eq!(parse_number(b"0255", 0, 255), Ok(255));
        assert!(parse_number(b"99999999999", 0, u32::MAX).is_err());
        assert!(parse_number(b"-1", 0, 255).is_err());
        assert!(parse_number(b" 1", 0, 255).is_err());
    }

    #[test]
    fn notify_source_specific_host() {
        assert_eq!(parse_notify_source(b"10.0.0.5"), Ok(NotifySource::Only(Host::Ip(Ipv4Addr::new(10, 0, 0, 5)))));
    }

    #[test]
    fn find_is_case_insensitive() {
        assert_eq!(Known::find(b"AUTOPROVISION", b"decryption_key"), Some(Known::DecryptionKey));
        assert_eq!(Known::find(b"sip", b"VLAN"), None);
    }
}
