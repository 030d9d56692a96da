//! The phone moves to VLAN 100 by DHCP and provisions there (CONFORMANCE
//! V1, V2, V5, D3, D7; vendor doc 4.3-4.5.2). The lab runs with `--vlan`;
//! the phone's flash has `[net] VLAN=1`. The untagged DHCP answer carries
//! options 190-192 (voice 100) and, because the phone asked for 190, points
//! it at VLAN 100's servers (options 150/66 = tftpd-hpa on 10.77.100.2; the
//! binary option 60 form keeps option 43 away, so TFTP is used). The phone
//! must tag at once and fetch its INF and every file it names from that
//! tftpd with its untagged lease's address, install them, reboot untagged
//! (the served common config says `VLAN=0`, and the DHCP set was not to be
//! kept) and reach the idle screen.
//!
//! Evidence from three sides: dnsmasq's log (what was asked for and sent), a
//! capture on the servers' VLAN 100 interface (vlantag.py is the only way
//! into VLAN 100 and forwards only frames tagged 100, so every RRQ seen
//! there left the phone tagged 100), and the phone's console and LCD.

use crate::netlab::{Dhcp, Lab, Ns};
use crate::phone::{self, Console};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

const MAC: &str = "00:90:96:a1:b1:c1";
const VLAN_TFTP: &str = "10.77.100.2";
const VLAN_NTP: &str = "10.77.100.1";
const LIMIT: Duration = Duration::from_secs(20);

/// tcpdump on an interface of the servers' namespace, its lines in a file
/// of the lab dir; killed (by pid) and reaped on every way out.
struct Capture {
    child: Child,
    file: PathBuf,
}

impl Capture {
    /// Starts capturing `filter` on `iface` and returns once tcpdump listens.
    fn start(lab: &Lab, iface: &str, filter: &str, name: &str) -> Capture {
        let file = lab.dir.join(name);
        let out = std::fs::File::create(&file).unwrap();
        let child = lab
            .command_in(Ns::Servers, "tcpdump")
            .args(["-i", iface, "-n", "-l", "-e", "--immediate-mode", filter])
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tcpdump (tests/netlab/install.sh installs it)");
        let mut cap = Capture { child, file };
        let mut err = BufReader::new(cap.child.stderr.take().unwrap());
        let mut line = String::new();
        while err.read_line(&mut line).unwrap_or(0) > 0 && !line.contains("listening on") {
            line.clear();
        }
        assert!(line.contains("listening on"), "tcpdump on {iface} did not start: {line}");
        // Keep draining stderr so tcpdump never blocks on it.
        std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
        cap
    }

    /// Stops tcpdump and returns what it printed.
    fn finish(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::fs::read_to_string(&self.file).unwrap_or_default()
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `key=value` of a served file (ISO-8859-1 allowed).
fn served_value(tree: &Path, file: &str, key: &str) -> String {
    let text = String::from_utf8_lossy(&std::fs::read(tree.join(file)).unwrap()).into_owned();
    let prefix = format!("{key}=");
    let line = text.lines().find(|l| l.starts_with(&prefix)).unwrap_or_else(|| panic!("{file} has no {key}"));
    line[prefix.len()..].trim().to_string()
}

/// The RRQs the phone sent from `from` to `to`, from tcpdump `-e -n`
/// lines: (file name, 802.1Q tag as `vlan V, p P` when the frame had one).
fn rrqs(capture: &str, from: &str, to: &str) -> Vec<(String, Option<String>)> {
    let path = format!(" {from}.");
    let dest = format!(" > {to}.69: TFTP");
    let mut out = Vec::new();
    for l in capture.lines().filter(|l| l.contains(&path) && l.contains(&dest)) {
        // `SRC > DST, ethertype ...`: after the two MACs.
        let Some((_, link)) = l.split_once(&format!("{MAC} > ")).and_then(|(_, r)| r.split_once(", ")) else { continue };
        let Some(name) = l.split_once("RRQ \"").and_then(|(_, r)| r.split_once('"')).map(|(n, _)| n.to_string()) else { continue };
        let tag = link
            .strip_prefix("ethertype 802.1Q (0x8100), length ")
            .and_then(|r| r.split_once(": "))
            .and_then(|(_, r)| r.split_once(", ethertype"))
            .map(|(t, _)| t.to_string());
        out.push((name, tag));
    }
    out
}

/// Runs the phone in a `--vlan` dnsmasq lab serving `tree` and checks it.
pub fn tftp_over_vlan_100(lab: &Lab, dhcp: Dhcp, tree: &Path, scratch: &Path, fetch_line: impl Fn(&str, &str) -> String) -> Duration {
    let vlan_side = Capture::start(lab, "eth1", "udp port 69", "eth1-tftp.txt");
    // br0 floods the phone's tagged frames (to a MAC it never learns) to
    // eth0 too, where the kernel drops them: there the tag itself shows.
    let lan_side = Capture::start(lab, "eth0", "vlan and udp port 69", "eth0-tftp.txt");
    let flash = phone::flash_with(&[
        ("net.VLAN", "1"),
        ("net.DHCPVendorClassFormat", "binary"),
        ("ntp.NTPFlag", "1"),
        ("ntp.NtpIP", VLAN_NTP),
    ]);
    let number = served_value(tree, "ST2030S_009096A1B1C1.txt", "TEL1Number");
    let idle = format!("|{number}");
    let done = |c: &Console| {
        let Some(i) = c.raw.iter().position(|l| l.contains("aps: Auto provisioning done")) else { return false };
        c.raw[i..].iter().any(|l| l.contains(&idle))
    };
    let c = phone::run(lab, scratch, "vlan-tftp", &flash, LIMIT, done);
    let (vlan_cap, lan_cap) = (vlan_side.finish(), lan_side.finish());
    let all = c.raw.join("\n");
    assert!(done(&c), "the phone did not reach the idle screen ({number}) after provisioning in {:?}:\n{all}", c.took);

    // The first boot, up to the reboot the installed files ask for.
    let reboot = c.lines.iter().position(|l| l == "aps: rebooting").unwrap_or_else(|| panic!("no reboot:\n{all}"));
    let (first, second) = c.lines.split_at(reboot);
    let find = |lines: &[String], prefix: &str| lines.iter().position(|l| l.starts_with(prefix));
    let lease = first.iter().find(|l| l.starts_with("dhcp: lease ")).unwrap_or_else(|| panic!("no lease:\n{all}"));
    let addr = lease["dhcp: lease ".len()..].split('/').next().unwrap().to_string();
    assert!(crate::lan_lease(lease) && lease.contains("/20 router 10.77.0.1"), "an untagged-LAN lease: {lease}");
    assert_eq!(find(first, "dhcp: vendor class ").map(|i| first[i].as_str()), Some("dhcp: vendor class ST2030 SIP"));
    assert!(first.iter().any(|l| l == "vlan: untagged (config)"), "boots untagged:\n{all}");
    assert!(first.iter().any(|l| l == "dhcp: vlan voice 100 data 200"), "D7 set from dnsmasq:\n{all}");
    assert!(first.iter().any(|l| l == &format!("dhcp: tftp server {VLAN_TFTP} (option 150)")), "{all}");
    assert!(!first.iter().any(|l| l.starts_with("dhcp: inf url ")), "binary option 60 gets no option 43:\n{all}");
    let tagging = find(first, "vlan: tagging ").unwrap_or_else(|| panic!("never tagged:\n{all}"));
    let tag = &first[tagging];
    assert!(tag.starts_with("vlan: tagging 100 priority ") && tag.ends_with(" (DHCP)"), "{tag}");
    let first_fetch = find(first, "aps: candidate ").unwrap_or_else(|| panic!("no candidate:\n{all}"));
    assert!(tagging < first_fetch, "tagged before the first fetch:\n{all}");
    assert_eq!(first[first_fetch], format!("aps: candidate tftp {VLAN_TFTP} ST2030S.inf via option 150"));
    let ntp = first.iter().find(|l| l.starts_with("ntp: ")).unwrap_or_else(|| panic!("no clock:\n{all}"));
    assert!(ntp.ends_with(&format!(" UTC from {VLAN_NTP}")), "chrony over VLAN 100: {ntp}");

    // Every file came over VLAN 100 from tftpd-hpa, whole.
    let fetched: Vec<&String> = first.iter().filter(|l| l.starts_with("fetch: ")).collect();
    let inf = fetch_line(VLAN_TFTP, "ST2030S.inf");
    let fw_name = served_value(tree, "ST2030S.inf", "fw_filename");
    let fw = fetch_line(VLAN_TFTP, &fw_name);
    assert_eq!(fetched.first().map(|l| l.as_str()), Some(inf.as_str()), "{all}");
    assert!(fetched.iter().any(|l| **l == fw), "lacks `{fw}`:\n{all}");
    let prefix = format!("fetch: tftp {VLAN_TFTP} ");
    let mut names = BTreeSet::new();
    for l in &fetched {
        let rest = l.strip_prefix(&prefix).unwrap_or_else(|| panic!("fetched elsewhere: {l}"));
        let name = rest.split(' ').next().unwrap();
        if !rest.ends_with(" not found") {
            assert_eq!(**l, fetch_line(VLAN_TFTP, name), "length and CRC of the served {name}");
        }
        names.insert(name.to_string());
    }
    assert!(names.len() >= 9, "INF, firmware, 3 melodies, 2 tables, telcfg, common and MAC config: {names:?}");
    for step in ["aps: Upgrading Firmware successfully!", "aps: Upgrading config file successfully!"] {
        assert!(first.iter().any(|l| l == step), "lacks `{step}`:\n{all}");
    }

    // On VLAN 100's side: an untagged RRQ (vlantag.py took the tag off)
    // from the phone's untagged-LAN address for each; on the wire the phone
    // sent them tagged 100 with the priority it logged.
    let seen = rrqs(&vlan_cap, &addr, VLAN_TFTP);
    assert!(seen.iter().all(|(_, t)| t.is_none()), "tagged frames on VLAN 100's access side:\n{vlan_cap}");
    let seen: BTreeSet<String> = seen.into_iter().map(|(n, _)| n).collect();
    assert!(names.is_subset(&seen), "RRQs on VLAN 100 {seen:?} lack some of {names:?}:\n{vlan_cap}");
    let priority = tag["vlan: tagging 100 priority ".len()..].split(' ').next().unwrap();
    let wire = rrqs(&lan_cap, &addr, VLAN_TFTP);
    let want_tag = format!("vlan 100, p {priority}");
    assert!(wire.iter().all(|(_, t)| t.as_deref() == Some(want_tag.as_str())), "frames not tagged `{want_tag}`:\n{lan_cap}");
    let wire: BTreeSet<String> = wire.into_iter().map(|(n, _)| n).collect();
    assert!(names.is_subset(&wire), "tagged RRQs {wire:?} lack some of {names:?}:\n{lan_cap}");

    // Rebooted on the installed config: VLAN=0 and the DHCP set not kept (V2).
    assert!(second.iter().any(|l| l == "vlan: untagged (VLAN=0)"), "{all}");
    assert!(!second.iter().any(|l| l.starts_with("vlan: tagging")), "{all}");
    assert!(second.iter().any(|l| l == "aps: Auto provisioning done, nothing to upgrade"), "{all}");

    match dhcp {
        Dhcp::Dnsmasq => dnsmasq_sent_the_vlan_set(lab, &addr),
        Dhcp::Kea => kea_sent_the_vlan_set(lab, &addr),
    }
    c.took
}

/// dnsmasq's log: the phone asked for 190-192 and got them, with VLAN 100's
/// server, in the transaction that leased `addr`.
fn dnsmasq_sent_the_vlan_set(lab: &Lab, addr: &str) {
    let log = lab.log("dnsmasq.log").unwrap();
    let ack = log.lines().find(|l| l.contains(&format!("DHCPACK(eth0) {addr} {MAC}"))).unwrap_or_else(|| panic!("no ACK for {addr}:\n{log}"));
    let xid = ack.split("]: ").nth(1).and_then(|r| r.split(' ').next()).unwrap();
    let tx: Vec<&str> = log.lines().filter(|l| l.contains(&format!("]: {xid} "))).collect();
    for want in [
        "tags: voicelan, lan, st2030s, voice, eth0",
        "requested options: 150:tftp-server-address, 190, 191, 192",
        "sent size:  1 option:190   01",
        "sent size:  2 option:191   00:64",
        "sent size:  2 option:192   00:c8",
        "sent size:  4 option:150 tftp-server-address  10.77.100.2",
        "sent size: 12 option: 66 tftp-server  10.77.100.2",
    ] {
        assert!(tx.iter().any(|l| l.ends_with(want)), "dnsmasq's log for xid {xid} lacks `{want}`:\n{}", tx.join("\n"));
    }
}

/// Kea logs no options it sends: its class evaluation shows the phone's
/// option 55 with 190-192, and that the lease of `addr` (the first one,
/// before the reboot) went to a phone in class `voicelan`, whose options
/// are VLAN 100's servers; the console showed what arrived.
fn kea_sent_the_vlan_set(lab: &Lab, addr: &str) {
    let log = lab.log("kea-dhcp4.log").unwrap();
    let eval = lab.log("kea-eval.log").unwrap().to_lowercase();
    let prl = "option 55 with value 0x0103062a2b424396bebfc0";
    assert!(eval.contains(prl), "Kea's evaluation log lacks `{prl}`:\n{eval}");
    let alloc = format!("{MAC}], cid=[01:{}], ", &MAC);
    let lines: Vec<&str> = log.lines().collect();
    let first = lines
        .iter()
        .position(|l| l.contains("DHCP4_LEASE_ALLOC") && l.contains(&alloc) && l.contains(&format!("lease {addr} has been allocated")))
        .unwrap_or_else(|| panic!("no DHCP4_LEASE_ALLOC of {addr}:\n{log}"));
    let evaluated: Vec<&str> = lines[..first].iter().rev().take_while(|l| !l.contains("DHCP4_LEASE_ADVERT")).copied().collect();
    assert!(evaluated.iter().any(|l| l.ends_with("Expression voicelan evaluated to 1")), "the first REQUEST was not in class voicelan:\n{log}");
}
