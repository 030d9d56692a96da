//! Fuzzes the DHCP options walk and decoding, and the decisions built on it.
#![no_main]

use aps::dhcp::{OptionIter, Reply};
use aps::names::Mac;
use aps::source::{PreConfig, candidates};
use aps::Model;
use core::net::Ipv4Addr;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first 4 bytes are siaddr, the next 128 the BOOTP file field.
    if data.len() < 4 {
        return;
    }
    let siaddr = Ipv4Addr::new(data[0], data[1], data[2], data[3]);
    let rest = &data[4..];
    let (file, options) = rest.split_at(rest.len().min(128));
    let reply = Reply::decode(OptionIter::new(options), file, siaddr);
    if let Some(v) = reply.vlan {
        assert!((1..=4094).contains(&v.voice) && (1..=4094).contains(&v.data));
    }
    let model = Model::parse("ST2030S").unwrap();
    let c = candidates(&PreConfig { config_name: Some(b"x.inf"), ..PreConfig::default() }, Some(&reply), model, Mac([0; 6]));
    assert!(c.len() <= 3);
});
