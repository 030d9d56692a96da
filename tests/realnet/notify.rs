//! `st20xx notify` against the emulated phone on a TAP: a real UDP NOTIFY
//! from the servers' namespace, answered by the firmware, starting a run
//! (T4), and refused with 403 from a source `AuthNotifyCheckSync` does not
//! trust.

use crate::netlab::{Dhcp, Ns};
use crate::{Tree, lab_or_skip, ntp_flash, phone};
use std::cell::RefCell;
use std::time::Duration;

/// The phone's leased address from its `dhcp: lease A.B.C.D/NN …` line.
fn leased(c: &phone::Console) -> Option<String> {
    let rest = c.find("dhcp: lease ")?.strip_prefix("dhcp: lease ")?;
    Some(rest.split('/').next()?.to_string())
}

#[test]
fn st20xx_notify_starts_a_run_on_a_phone_over_tap_and_an_untrusted_source_gets_403() {
    let t = Tree::new("notify");
    let Some(lab) = lab_or_skip(&t.tree(), Dhcp::Dnsmasq) else { return };
    let flash = ntp_flash(&[("sip.sw_notify_autoprovision", "1"), ("sip.AuthNotifyCheckSync", "10.77.0.1")]);
    // (from, exit code, stdout) of each `st20xx notify` sent.
    let sent: RefCell<Vec<(&str, Option<i32>, String)>> = RefCell::new(Vec::new());
    let notify = |to: &str, from: &'static str| {
        let out = lab
            .command_in(Ns::Servers, env!("CARGO_BIN_EXE_st20xx"))
            .args(["notify", "--to", to, "--from", from, "--timeout", "10"])
            .output()
            .expect("run st20xx notify");
        sent.borrow_mut().push((from, out.status.code(), String::from_utf8_lossy(&out.stdout).trim().to_string()));
    };
    let c = phone::run(&lab, &t.scratch(), "notify", &flash, Duration::from_secs(60), |c| {
        // Once the power-up run has fetched its INF, one NOTIFY from each source.
        if sent.borrow().is_empty()
            && c.find("fetch: ").is_some()
            && let Some(ip) = leased(c)
        {
            notify(&ip, "10.77.0.2");
            notify(&ip, "10.77.0.1");
        }
        c.find("aps: run notify").is_some()
    });
    let sent = sent.into_inner();
    assert_eq!(sent.len(), 2, "no NOTIFY was sent (the phone never fetched):\n{}", c.text());
    assert_eq!((sent[0].1, sent[0].2.as_str()), (Some(1), "SIP/2.0 403 Forbidden"), "from the untrusted 10.77.0.2:\n{}", c.text());
    assert_eq!((sent[1].1, sent[1].2.as_str()), (Some(0), "SIP/2.0 200 OK"), "from the trusted 10.77.0.1:\n{}", c.text());
    assert!(c.lines.iter().any(|l| l.starts_with("sip: NOTIFY from 10.77.0.2") && l.contains("refused")), "{}", c.text());
    assert!(c.find("aps: run notify").is_some(), "the accepted NOTIFY started no run:\n{}", c.text());
    assert_eq!(c.lines.iter().filter(|l| l.starts_with("aps: run ")).count(), 2, "power_up + notify:\n{}", c.text());
}
