//! What the lab saw, as trace records: `dhcp` for each DHCP message the
//! phone sent, `serve` for each file request answered.
//!
//! The mapping, field by field:
//! - `dhcp`: `msg` as the lab named it (`discover`, `request`, …,
//!   `malformed`); `options` every option the phone sent, decimal code →
//!   lower-case hex. An option sent more than once is one option split per
//!   RFC 3396, so its parts are concatenated in wire order. The lab's reply
//!   and offered address are not part of the schema and are dropped.
//! - `serve`: `proto`, `server` (dotted IPv4), `path` as requested, `bytes`,
//!   `user_agent` unchanged. `status` is the HTTP status for HTTP; for TFTP
//!   the schema wants 0 when the file was sent, else the TFTP error code the
//!   lab sent: 1 not found, 2 access violation, 4 illegal operation. A TFTP
//!   transfer can also end with no error code at all, and then keeps the
//!   lab's number: 408 (the phone stopped answering) or 499 (the phone sent
//!   an error).
//! - `vlan` is the 802.1Q VLAN the phone's frames carried to the lab, `None`
//!   when they were untagged.
//! - DNS, SNTP and SIP NOTIFY observations have no trace event; they are not
//!   mapped.
//!
//! Every record carries the phone's id: the network holds one phone, so
//! whatever the lab saw came from it.

use lan::lab::{LabEvent, LabRecord, Proto};
use std::collections::BTreeMap;
use trace::{Event, Record};

/// The trace record for one lab observation, if the schema has one.
pub fn lab_record(phone: &str, vlan: Option<u16>, rec: &LabRecord) -> Option<Record> {
    let event = match &rec.event {
        LabEvent::Dhcp { msg, options, .. } => {
            let mut map: BTreeMap<String, String> = BTreeMap::new();
            for o in options {
                map.entry(o.code.to_string()).or_default().push_str(&o.hex);
            }
            Event::Dhcp { msg: msg.clone(), options: map, vlan }
        }
        LabEvent::Serve { proto, server, path, status, bytes, user_agent, .. } => {
            let (proto, status) = match proto {
                Proto::Http => ("http", *status),
                Proto::Tftp => ("tftp", tftp_status(*status)),
            };
            Event::Serve { proto: proto.into(), server: server.to_string(), path: path.clone(), status, bytes: *bytes, user_agent: user_agent.clone(), vlan }
        }
        LabEvent::Dns { .. } | LabEvent::Sntp { .. } | LabEvent::Notify { .. } => return None,
    };
    Some(Record { t_us: rec.t_us, phone: phone.to_string(), event })
}

/// The lab's HTTP-style TFTP outcome → the trace's TFTP status.
fn tftp_status(lab: u16) -> u16 {
    match lab {
        200 => 0,
        404 => 1,
        403 => 2,
        400 => 4,
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lan::lab::DhcpOptionHex;
    use std::net::Ipv4Addr;

    fn rec(event: LabEvent) -> LabRecord {
        LabRecord { t_us: 1_234, event }
    }

    #[test]
    fn dhcp_keeps_every_option_and_joins_split_ones() {
        let opts = vec![
            DhcpOptionHex { code: 53, hex: "01".into() },
            DhcpOptionHex { code: 60, hex: "30313037".into() },
            DhcpOptionHex { code: 77, hex: "54686f6d736f6e".into() },
            DhcpOptionHex { code: 60, hex: "54".into() },
        ];
        let r = lab_record("009096A1B1C1", Some(100), &rec(LabEvent::Dhcp { msg: "discover".into(), mac: "009096a1b1c1".into(), options: opts, reply: Some("offer".into()), yiaddr: None })).unwrap();
        assert_eq!(
            r.to_json(),
            r#"{"t_us":1234,"phone":"009096A1B1C1","ev":"dhcp","msg":"discover","options":{"53":"01","60":"3031303754","77":"54686f6d736f6e"},"vlan":100}"#
        );
    }

    #[test]
    fn serve_maps_tftp_outcomes_to_error_codes() {
        let serve = |proto, status| {
            let ev = LabEvent::Serve { proto, server: Ipv4Addr::new(10, 0, 0, 1), client: Ipv4Addr::new(10, 0, 0, 100), path: "hello.txt".into(), status, bytes: 6, user_agent: None };
            match lab_record("P", None, &rec(ev)).unwrap().event {
                Event::Serve { status, proto, server, .. } => (proto, server, status),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(serve(Proto::Tftp, 200), ("tftp".to_string(), "10.0.0.1".to_string(), 0));
        let codes: Vec<u16> = [404, 403, 400, 408, 499].into_iter().map(|s| serve(Proto::Tftp, s).2).collect();
        assert_eq!(codes, [1, 2, 4, 408, 499]);
        assert_eq!(serve(Proto::Http, 404).2, 404);
        assert_eq!(serve(Proto::Http, 200), ("http".to_string(), "10.0.0.1".to_string(), 200));
    }

    #[test]
    fn observations_without_a_trace_event_are_left_out() {
        let c = Ipv4Addr::new(10, 0, 0, 100);
        assert_eq!(lab_record("P", None, &rec(LabEvent::Sntp { client: c })), None);
        assert_eq!(lab_record("P", None, &rec(LabEvent::Dns { client: c, name: "prov.lab".into(), answer: None })), None);
        assert_eq!(lab_record("P", None, &rec(LabEvent::Notify { to: c, reboot: true, status: Some(200) })), None);
    }
}
