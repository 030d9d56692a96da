//! The requirement IDs of `CONFORMANCE.md`, copied here as a table so the
//! binary never reads the design folder at run time. A scenario's `covers`
//! list is checked against it, and `st20xx scenario --coverage` prints it.
//!
//! Keep in step with `CONFORMANCE.md`: the test below pins the ID set.

/// One requirement: its ID and a short title.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requirement {
    pub id: &'static str,
    pub title: &'static str,
}

const fn r(id: &'static str, title: &'static str) -> Requirement {
    Requirement { id, title }
}

/// Every requirement, in document order.
pub const REQUIREMENTS: &[Requirement] = &[
    r("D1", "DHCP option 60 in the string-TLV form"),
    r("D2", "DHCP option 77 user class `Thomson <model>`"),
    r("D3", "parameter request list, 190-192 when VLAN=1"),
    r("D4", "TFTP server: 150 over 66 over siaddr"),
    r("D5", "INF name: 67, `file`, <MODEL>_<MAC>.inf, configname"),
    r("D6", "option 43 is the INF URL (HTTP)"),
    r("D7", "options 190/191/192 VLAN set validity"),
    r("P1", "pre-configured HTTP/TFTP server wins over DHCP"),
    r("P2", "pre-configured server: MAC INF, then configname"),
    r("P3", "150/66/next-server: 67, MAC INF, configname"),
    r("P4", "option 43: URL file, then configname"),
    r("P5", "all candidates fail: error on LCD after 3 retries"),
    r("I1", "INF INI syntax"),
    r("I2", "provision_mode auto_provisioning/customization"),
    r("I3", "INF keys for firmware, companions, files, configs"),
    r("I4", "absolute/relative names, 255-character limit"),
    r("I5", "unknown sections and keys ignored and logged"),
    r("I6", "empty or malformed value stops the run"),
    r("F1", "download order per protocol"),
    r("F2", "firmware fetched when changed, checked before install"),
    r("F3", "reboot after firmware images, resume the run"),
    r("F4", "melodies, tables, certificates fetched when changed"),
    r("F5", "telcfg fetched when changed or firmware changed"),
    r("F6", "common config fetched when changed"),
    r("F7", "MAC config always tried, .ser then .txt, config_sn"),
    r("F8", "MAC config overrides common config"),
    r("F9", "reboot when anything was installed, not otherwise"),
    r("F10", "MGCP deck files fetched every run"),
    r("F11", "unparsable config: Corrupted Config, nothing changed"),
    r("F12", "APS log kept, readable from phone and emulator"),
    r("L1", "during a run: Provisioning.../Please Wait..., red fast blink"),
    r("L2", "failure screen lines 3-5 and fast blink"),
    r("L3", "error screen cleared by key, off-hook or call"),
    r("T1", "run at power-up within AutoprovisionTimeSpan"),
    r("T2", "periodic runs every AutoprovisionTimeDays, need NTP"),
    r("T3", "run due while off-hook or ringing waits for idle"),
    r("T4", "SIP NOTIFY check-sync starts a run"),
    r("V1", "VLAN=1 asks for options 190-192"),
    r("V2", "PersistentVLANfromDHCP=0: DHCP VLAN until reboot"),
    r("V3", "DHCP VLAN wins over config-file VLAN"),
    r("V4", "PersistentVLANfromDHCP=1: DHCP VLAN stored in flash"),
    r("V5", "802.1Q tagging as in 4.5.2"),
    r("E1", "AES-128-CBC encrypted .ser configs"),
    r("E2", "wrong key: Corrupted Config, logged"),
    r("R1", "power cut at any moment never bricks or loses config"),
    r("S1", "HTTPS checked against the provisioned CA"),
    r("S2", "NOTIFY floods cannot force extra runs"),
];

/// The requirement with this ID (exact, case-sensitive: IDs are upper case).
pub fn find(id: &str) -> Option<&'static Requirement> {
    REQUIREMENTS.iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_set_is_the_documents() {
        let mut want: Vec<String> = Vec::new();
        for (prefix, n) in [("D", 7), ("P", 5), ("I", 6), ("F", 12), ("L", 3), ("T", 4), ("V", 5), ("E", 2), ("R", 1), ("S", 2)] {
            want.extend((1..=n).map(|i| format!("{prefix}{i}")));
        }
        let got: Vec<&str> = REQUIREMENTS.iter().map(|r| r.id).collect();
        assert_eq!(got, want);
        assert!(REQUIREMENTS.iter().all(|r| !r.title.is_empty()));
    }

    #[test]
    fn find_is_exact() {
        assert_eq!(find("F12").map(|r| r.id), Some("F12"));
        assert!(find("f12").is_none());
        assert!(find("F13").is_none());
        assert!(find("").is_none());
    }
}
