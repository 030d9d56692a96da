//! Lab hosts on more VLANs: each `[[vlan_host]]` table of a lab file is
//! laid over the main configuration to make one more host, which whoever
//! wires the switch puts on an access port of its own `vlan`.
//!
//! ```toml
//! vlan = 1                                  # the main host: DHCP only
//! [dhcp]
//! options = { 190 = "1", 191 = "4", 192 = "14", 150 = "10.0.0.2" }
//! [tftp]
//! enabled = false
//! [[vlan_host]]                             # the same host again, on VLAN 4,
//! vlan = 4                                  # with TFTP (inherited: enabled)
//! dhcp = { options = { 190 = "1", 191 = "4", 192 = "14", 150 = "10.0.0.2" } }
//! tftp = { enabled = true }
//! ```
//!
//! Merging: tables merge key by key, recursively; any other value (a
//! number, a list) replaces the inherited one. `dhcp.options` is the
//! exception: given, it replaces the inherited options as a whole, so a
//! host can leave an option out. A host inherits the MAC and addresses:
//! the same server answers on each VLAN (separate broadcast domains), so a
//! phone that moves to another VLAN keeps its ARP entries and its lease's
//! addresses, as in the vendor document's 4.5.2 sequences.
//!
//! Guarantees: every host validates as a whole `LabConfig`; the VLANs of
//! the main host and of every extra host differ.

use super::config::{ConfigError, LabConfig};
use toml::{Table, Value};

/// `over` laid on `base` (see the module doc); `path` is the key path so far.
fn merge(base: &mut Table, over: &Table, path: &str) {
    for (k, v) in over {
        let here = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
        match (base.get_mut(k), v) {
            (Some(Value::Table(b)), Value::Table(o)) if here != "dhcp.options" => merge(b, o, &here),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

impl LabConfig {
    /// The extra hosts, each a whole configuration (with no hosts of its own).
    pub fn vlan_hosts(&self) -> Result<Vec<LabConfig>, ConfigError> {
        if self.vlan_hosts.is_empty() {
            return Ok(Vec::new());
        }
        let mut main = self.clone();
        main.vlan_hosts.clear();
        let Ok(Value::Table(base)) = Value::try_from(&main) else {
            unreachable!("a LabConfig always serializes to a TOML table")
        };
        let mut seen = vec![self.vlan];
        let mut out = Vec::new();
        for (i, over) in self.vlan_hosts.iter().enumerate() {
            let index = i + 1;
            let wrap = |e: ConfigError| ConfigError::VlanHost { index, source: Box::new(e) };
            let mut t = base.clone();
            merge(&mut t, over, "");
            let host: LabConfig = Value::Table(t).try_into().map_err(|e| wrap(ConfigError::Toml(e)))?;
            if !over.contains_key("vlan") || !(1..=4094).contains(&host.vlan) || seen.contains(&host.vlan) || !host.vlan_hosts.is_empty() {
                return Err(ConfigError::BadVlanHost(index));
            }
            seen.push(host.vlan);
            host.validate().map_err(wrap)?;
            out.push(host);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const FILE: &str = r#"
        vlan = 1
        [dhcp]
        options = { 190 = "1", 191 = "4", 192 = "14", 66 = "10.0.0.1" }
        [tftp]
        enabled = false
        [[vlan_host]]
        vlan = 4
        dhcp = { options = { 191 = "4" }, lease_secs = 60 }
        tftp = { enabled = true }
        [[vlan_host]]
        vlan = 3
        http = { enabled = false }
    "#;

    #[test]
    fn hosts_inherit_and_override() {
        let cfg = LabConfig::from_toml(FILE).unwrap();
        let hosts = cfg.vlan_hosts().unwrap();
        assert_eq!(hosts.len(), 2);
        let (h4, h3) = (&hosts[0], &hosts[1]);
        assert_eq!((h4.vlan, h4.tftp.enabled, h4.http.enabled, h4.dhcp.lease_secs), (4, true, true, 60));
        assert_eq!(h4.dhcp.options.keys().collect::<Vec<_>>(), ["191"], "options replace as a whole");
        assert_eq!(h4.dhcp.pool_start, Ipv4Addr::new(10, 0, 0, 100), "other dhcp keys are inherited");
        assert_eq!((h3.vlan, h3.tftp.enabled, h3.http.enabled), (3, false, false));
        assert_eq!(h3.dhcp.options.len(), 4);
        assert_eq!((h3.mac.as_str(), &h3.addresses), (cfg.mac.as_str(), &cfg.addresses));
        assert!(h3.vlan_hosts.is_empty());
        assert!(LabConfig::default().vlan_hosts().unwrap().is_empty());
    }

    #[test]
    fn bad_hosts_are_named() {
        let e = |extra: &str| LabConfig::from_toml(&format!("vlan = 1\n{extra}")).unwrap_err().to_string();
        assert_eq!(e("[[vlan_host]]\nvlan = 1\n"), "[[vlan_host]] #1: `vlan` must be 1..=4094 and differ from the main host's and every other host's");
        assert_eq!(e("[[vlan_host]]\nvlan = 5\n[[vlan_host]]\nvlan = 5\n").split(':').next(), Some("[[vlan_host]] #2"));
        assert!(e("[[vlan_host]]\ntftp = { enabled = true }\n").contains("#1: `vlan`"), "vlan is required");
        assert!(e("[[vlan_host]]\nvlan = 4095\n").contains("#1: `vlan`"));
        assert!(e("[[vlan_host]]\nvlan = 4\ndhcp = { options = { 150 = \"nope\" } }\n").starts_with("[[vlan_host]] #1: DHCP option 150"));
        assert!(e("[[vlan_host]]\nvlan = 4\nbogus = 1\n").starts_with("[[vlan_host]] #1: lab config: "));
    }
}
