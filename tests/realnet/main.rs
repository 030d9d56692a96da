//! The emulated phone against real Debian servers (tests/netlab): as root,
//! with network namespaces and TUN, each DHCP variant of the lab is brought
//! up and `st20xx run --headless --clock real --net tap:tap0` is run inside
//! its switch namespace. The phone must get a lease with the vendor options
//! (and the server must have seen options 60 and 77 as the vendor document
//! spells them), fetch its INF over HTTP from nginx (User-Agent in nginx's
//! log), over TFTP from tftpd-hpa (10.77.0.2) and from dnsmasq (10.77.0.1),
//! each with the length and CRC-32 of the file served, and set its clock
//! from chrony. Without root, netns or TUN the tests print a loud SKIPPED
//! and pass. Every lab is torn down, also when a check fails.
//!
//! The TFTP runs preset `autoprovision.AutoprovisionTFTPServer` in the
//! phone's flash: the lab's DHCP servers hand every ST2030 option 43, which
//! takes precedence over the TFTP options (P1-P4), so only a pre-configured
//! server makes the phone use TFTP. Every run presets the NTP server.
//!
//! The VLAN cases (`vlan.rs`) run a `--vlan` lab with each DHCP server: the
//! phone is moved to VLAN 100 by options 190-192 and provisions there.

#[path = "../netlab/netlab.rs"]
mod netlab;
mod phone;
mod notify;
mod vlan;

use netlab::{Dhcp, Lab, LabError, Options};
use phone::Console;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const UA: &str = "THOMSON ST2030 hw5 fw2.74 00-90-96-A1-B1-C1";
const VENDOR_CLASS: &str = "0107Thomson0206ST20300303SIP";
const USER_CLASS: &str = "Thomson ST2030S";
/// The default INF name the phone asks a pre-configured TFTP server for.
const TFTP_INF: &str = "ST2030S_009096A1B1C1.inf";
const HTTP_INF: &str = "prov/ST2030S.inf";
const RUN_LIMIT: Duration = Duration::from_secs(20);

/// CRC-32 (IEEE, as zlib), bit by bit: independent of the table-driven code
/// the firmware uses, so a shared mistake cannot hide.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// `len` printable bytes from a seeded xorshift (any content will do; the
/// phone checks nothing but length and CRC of what it got).
fn content(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b' ' + (x % 95) as u8
        })
        .collect()
}

/// The served tree and the phone's scratch files; removed on drop.
struct Tree {
    dir: PathBuf,
}

impl Tree {
    fn new(tag: &str) -> Tree {
        let dir = std::env::temp_dir().join(format!("st20xx-realnet-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("tree/prov")).unwrap();
        std::fs::create_dir_all(dir.join("scratch")).unwrap();
        std::fs::write(dir.join("tree").join(HTTP_INF), content(43, 20_000)).unwrap();
        std::fs::write(dir.join("tree").join(TFTP_INF), content(69, 30_000)).unwrap();
        Tree { dir }
    }
    fn tree(&self) -> PathBuf {
        self.dir.join("tree")
    }
    fn scratch(&self) -> PathBuf {
        self.dir.join("scratch")
    }
    /// The `fetch:` line the phone prints for `file` served from `server`.
    fn fetch_line(&self, proto: &str, server: &str, name: &str, file: &str) -> String {
        let data = std::fs::read(self.tree().join(file)).unwrap();
        format!("fetch: {proto} {server} {name} {} bytes crc32={:08x}", data.len(), crc32(&data))
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Brings the lab up, or says loudly why this machine cannot.
fn lab_or_skip(tree: &Path, dhcp: Dhcp) -> Option<Lab> {
    lab_or_skip_with(tree, dhcp, false)
}

/// [`lab_or_skip`], with VLAN 100 served when `vlan`.
fn lab_or_skip_with(tree: &Path, dhcp: Dhcp, vlan: bool) -> Option<Lab> {
    match Lab::up(&Options { tree: tree.to_path_buf(), dhcp, vlan, quiet: false }) {
        Ok(lab) => Some(lab),
        Err(LabError::Skipped(why)) => {
            // Straight to stderr: the test harness captures `eprintln!` of passing tests.
            let stars = "*".repeat(72);
            let _ = writeln!(std::io::stderr().lock(), "\n{stars}\nSKIPPED realnet ({dhcp:?}): {why}\n{stars}\n");
            None
        }
        Err(e) => panic!("the {dhcp:?} lab did not come up: {e}"),
    }
}

fn ntp_flash(extra: &[(&'static str, &'static str)]) -> Vec<u8> {
    let mut config = vec![("ntp.NTPFlag", "1"), ("ntp.NtpIP", "10.77.0.1")];
    config.extend_from_slice(extra);
    phone::flash_with(&config)
}

/// Whether a `dhcp: lease A.B.C.D/20 ...` line holds an address of the
/// lab's untagged LAN, 10.77.0.0/20 (dnsmasq picks it by a hash of the MAC).
pub(crate) fn lan_lease(line: &str) -> bool {
    let addr = line.strip_prefix("dhcp: lease ").and_then(|r| r.split_once("/20 ")).and_then(|(a, _)| a.parse::<std::net::Ipv4Addr>().ok());
    addr.is_some_and(|a| u32::from(a) & 0xFFFF_F000 == u32::from(std::net::Ipv4Addr::new(10, 77, 0, 0)))
}

/// The phone's lease line and its clock line, both from the lab.
fn assert_lease_and_ntp(c: &Console) {
    let lease = c.find("dhcp: lease ").unwrap_or_else(|| panic!("no lease in {:?}:\n{}", c.took, c.text()));
    assert!(lan_lease(lease) && lease.contains("router 10.77.0.1") && lease.contains("dns 10.77.0.1"), "{lease}");
    assert_eq!(c.find("dhcp: inf url "), Some("dhcp: inf url http://10.77.0.1:80/prov/ST2030S.inf"), "option 43 from the lab:\n{}", c.text());
    let ntp = c.find("ntp: ").unwrap_or_else(|| panic!("no ntp line:\n{}", c.text()));
    assert!(ntp.starts_with("ntp: 20") && ntp.ends_with(" UTC from 10.77.0.1"), "{ntp}");
}

/// HTTP from nginx via option 43, with lease and NTP; returns the console.
fn http_run(lab: &Lab, t: &Tree, tag: &str) -> Console {
    let want = t.fetch_line("http", "10.77.0.1", "/prov/ST2030S.inf", HTTP_INF);
    let c = phone::run(lab, &t.scratch(), tag, &ntp_flash(&[]), RUN_LIMIT, |c| c.find("fetch: ").is_some() && c.find("ntp: ").is_some());
    eprintln!("{tag}: {:.2} s", c.took.as_secs_f64());
    assert_eq!(c.find("fetch: "), Some(want.as_str()), "{}", c.text());
    assert_lease_and_ntp(&c);
    let served = std::fs::metadata(t.tree().join(HTTP_INF)).unwrap().len();
    let access = lab.log("nginx-access.log").unwrap();
    let line = format!("\"GET /prov/ST2030S.inf HTTP/1.1\" 200 {served} \"{UA}\"");
    assert!(access.contains(&line), "nginx access log lacks {line}:\n{access}");
    c
}

/// TFTP from the pre-configured `server`.
fn tftp_run(lab: &Lab, t: &Tree, tag: &str, server: &'static str) {
    let want = t.fetch_line("tftp", server, TFTP_INF, TFTP_INF);
    let c = phone::run(lab, &t.scratch(), tag, &ntp_flash(&[("autoprovision.AutoprovisionTFTPServer", server)]), RUN_LIMIT, |c| c.find("fetch: ").is_some());
    eprintln!("{tag}: {:.2} s", c.took.as_secs_f64());
    assert!(c.find("dhcp: lease ").is_some_and(lan_lease), "{}", c.text());
    let candidate = format!("aps: candidate tftp {server} {TFTP_INF} via AutoprovisionTFTPServer");
    assert_eq!(c.find("aps: candidate "), Some(candidate.as_str()), "{}", c.text());
    assert_eq!(c.find("fetch: "), Some(want.as_str()), "{}", c.text());
}

#[test]
fn the_phone_provisions_from_dnsmasq_nginx_tftpd_hpa_and_chrony() {
    let t = Tree::new("dnsmasq");
    let Some(lab) = lab_or_skip(&t.tree(), Dhcp::Dnsmasq) else { return };
    let start = Instant::now();
    http_run(&lab, &t, "dnsmasq-http");
    let log = lab.log("dnsmasq.log").unwrap();
    assert!(log.contains(&format!("vendor class: {VENDOR_CLASS}")), "dnsmasq saw no option 60 {VENDOR_CLASS}:\n{log}");
    assert!(log.contains(&format!("user class: {USER_CLASS}")), "dnsmasq saw no option 77 {USER_CLASS}:\n{log}");
    tftp_run(&lab, &t, "dnsmasq-tftpd-hpa", "10.77.0.2");
    eprintln!("dnsmasq lab: {:.2} s of phone runs", start.elapsed().as_secs_f64());
    lab.down().expect("lab down");
}

#[test]
fn the_phone_provisions_from_kea_nginx_dnsmasq_tftp_and_chrony() {
    let t = Tree::new("kea");
    let Some(lab) = lab_or_skip(&t.tree(), Dhcp::Kea) else { return };
    let start = Instant::now();
    http_run(&lab, &t, "kea-http");
    let hex = |s: &str| s.bytes().map(|b| format!("{b:02x}")).collect::<String>();
    let eval = lab.log("kea-eval.log").unwrap().to_lowercase();
    for (code, value) in [(60, VENDOR_CLASS), (77, USER_CLASS)] {
        let seen = format!("option {code} with value 0x{}", hex(value));
        assert!(eval.contains(&seen), "Kea's class evaluation log lacks `{seen}`:\n{eval}");
    }
    tftp_run(&lab, &t, "kea-dnsmasq-tftp", "10.77.0.1");
    eprintln!("kea lab: {:.2} s of phone runs", start.elapsed().as_secs_f64());
    lab.down().expect("lab down");
}

/// The VLAN case in a `--vlan` lab with `dhcp`, serving the project's
/// provisioning tree (a full run: firmware, melodies, tables, configs),
/// which the lab only reads.
fn vlan_run(dhcp: Dhcp) {
    let t = Tree::new(&format!("vlan-{dhcp:?}"));
    let tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/provisioning");
    let Some(lab) = lab_or_skip_with(&tree, dhcp, true) else { return };
    let fetch_line = |server: &str, name: &str| {
        let data = std::fs::read(tree.join(name)).unwrap();
        format!("fetch: tftp {server} {name} {} bytes crc32={:08x}", data.len(), crc32(&data))
    };
    let took = vlan::tftp_over_vlan_100(&lab, dhcp, &tree, &t.scratch(), fetch_line);
    eprintln!("vlan 100 ({dhcp:?}): {:.2} s of phone run", took.as_secs_f64());
    lab.down().expect("lab down");
}

#[test]
fn the_phone_moves_to_vlan_100_by_dnsmasq_and_provisions_from_its_tftpd() {
    vlan_run(Dhcp::Dnsmasq);
}

#[test]
fn the_phone_moves_to_vlan_100_by_kea_and_provisions_from_its_tftpd() {
    vlan_run(Dhcp::Kea);
}

#[test]
fn lan_lease_lines() {
    assert!(lan_lease("dhcp: lease 10.77.10.252/20 router 10.77.0.1 dns 10.77.0.1"));
    assert!(lan_lease("dhcp: lease 10.77.0.100/20 router 10.77.0.1"));
    assert!(!lan_lease("dhcp: lease 10.77.16.1/20 router 10.77.0.1"));
    assert!(!lan_lease("dhcp: lease 10.77.100.100/24 router 10.77.100.1"));
    assert!(!lan_lease("dhcp: lease 10.77.0.100"));
}
