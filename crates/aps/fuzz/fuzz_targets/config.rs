//! Fuzzes the config parser, the typed accessors and the common + MAC merge.
#![no_main]

use aps::config::{Config, merge};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // First byte splits the input into a "common" and a "MAC" file.
    let Some((&split, rest)) = data.split_first() else { return };
    let at = usize::from(split).min(rest.len());
    let (a, b) = rest.split_at(at);
    let (Ok(common), mac) = (Config::parse(a), Config::parse_mac(b)) else { return };
    let _ = common.config_sn();
    let _ = common.invalid_settings().count();
    let _ = (common.autoprovision_http_server(), common.autoprovision_start_time(), common.decryption_key());
    let _ = (common.vlan_id1(), common.auth_notify_check_sync(), common.ntp_ip());
    let n = merge(Some(common), mac.ok()).count();
    assert!(n <= common.len() + mac.map_or(0, |m| m.len()));
});
