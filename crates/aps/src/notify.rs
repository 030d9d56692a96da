//! Whether a `check-sync` NOTIFY may trigger provisioning (CONFORMANCE T4,
//! S2): the "Use SIP NOTIFY" switch (`[sip] sw_notify_autoprovision`,
//! default off) and the trusted source (`[sip] AuthNotifyCheckSync`,
//! default `0.0.0.0` = any).
//!
//! **Decision:** an accepted or switched-off NOTIFY is answered `200 OK`
//! (the NOTIFY itself is well-formed; only the run is not started); one
//! from an untrusted source is answered `403 Forbidden` and logged, so a
//! sender learns it is not trusted. An `AuthNotifyCheckSync` that is a
//! DNS name is not resolved: no source matches it, every NOTIFY is
//! refused (fail closed).
//!
//! Guarantees: pure, no allocation; an unparseable setting fails closed.

use crate::settings::{NotifySource, parse_bool, parse_notify_source};
use crate::url::Host;
use core::net::Ipv4Addr;

/// The SIP status of a refused NOTIFY.
pub const REFUSED_STATUS: u16 = 403;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// May start a run (the schedule decides when).
    Accept,
    /// The switch is off: answered 200, no run.
    Disabled,
    /// Not the trusted source: answered 403, no run.
    Untrusted,
}

/// Judges a NOTIFY from `from` with the raw values of the two keys
/// (`None`: the key is absent, i.e. its built-in default).
pub fn judge(switch: Option<&[u8]>, trusted: Option<&[u8]>, from: Ipv4Addr) -> Verdict {
    let on = switch.filter(|v| !v.is_empty()).is_some_and(|v| parse_bool(v).unwrap_or(false));
    if !on {
        return Verdict::Disabled;
    }
    let source = match trusted.filter(|v| !v.is_empty()) {
        None => NotifySource::Any,
        Some(v) => match parse_notify_source(v) {
            Ok(s) => s,
            Err(_) => return Verdict::Untrusted,
        },
    };
    match source {
        NotifySource::Any => Verdict::Accept,
        NotifySource::Only(Host::Ip(ip)) if ip == from => Verdict::Accept,
        NotifySource::Only(_) => Verdict::Untrusted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAB: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
    const OTHER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);

    #[test]
    fn switch_defaults_off() {
        assert_eq!(judge(None, None, LAB), Verdict::Disabled);
        assert_eq!(judge(Some(b"0"), None, LAB), Verdict::Disabled);
        assert_eq!(judge(Some(b"yes"), None, LAB), Verdict::Disabled, "a bad switch value is off");
        assert_eq!(judge(Some(b""), Some(b"10.0.0.1"), LAB), Verdict::Disabled);
    }

    #[test]
    fn any_source_by_default_and_for_0_0_0_0() {
        assert_eq!(judge(Some(b"1"), None, OTHER), Verdict::Accept);
        assert_eq!(judge(Some(b"1"), Some(b""), OTHER), Verdict::Accept);
        assert_eq!(judge(Some(b"1"), Some(b"0.0.0.0"), OTHER), Verdict::Accept);
    }

    #[test]
    fn only_the_trusted_address() {
        assert_eq!(judge(Some(b"1"), Some(b"10.0.0.1"), LAB), Verdict::Accept);
        assert_eq!(judge(Some(b"1"), Some(b"10.0.0.1"), OTHER), Verdict::Untrusted);
        assert_eq!(judge(Some(b"1"), Some(b"sip.example.com"), LAB), Verdict::Untrusted, "names fail closed");
        assert_eq!(judge(Some(b"1"), Some(b"10.0.0.1 x"), LAB), Verdict::Untrusted, "bad values fail closed");
        assert_eq!(judge(Some(b"0"), Some(b"10.0.0.2"), OTHER), Verdict::Disabled);
    }
}
