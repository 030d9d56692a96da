//! The real firmware fetches a 1 MiB file of seeded random bytes from the
//! built-in lab over TFTP and over HTTP while the cable drops 20% of the
//! frames each way (seeded), in virtual time. Intact means the firmware's
//! `fetch:` line reports the file's length and the CRC-32 the host computes
//! (with `crc32fast`, not the firmware's own code).

mod common;

use common::phone::{Shared, boot, console, lab_net, log_text, mishaps, run};
use common::*;
use rand::{RngCore, SeedableRng};
use site::LabOptions;

const SIZE: usize = 1 << 20;
const LOSS: f64 = 0.2;
/// Virtual time allowed for lease + transfer.
const LIMIT_US: u64 = 1_800_000_000;

fn big_file(seed: u64) -> Vec<u8> {
    let mut data = vec![0; SIZE];
    rand_chacha::ChaCha8Rng::seed_from_u64(seed).fill_bytes(&mut data);
    data
}

/// Serves `big.bin` with `dhcp_options` over a lossy cable; checks the
/// phone's `fetch:` line is `expected_prefix` + the right length and CRC.
fn fetch_through_loss(tag: &str, dhcp_options: &[&str], expected_prefix: &str) {
    let tree = Tree::new(tag);
    let data = big_file(2030);
    std::fs::write(tree.path().join("big.bin"), &data).unwrap();
    let want = format!("{expected_prefix} {SIZE} bytes crc32={:08x}", crc32fast::hash(&data));

    let opts = LabOptions { dhcp_options: dhcp_options.iter().map(|s| s.to_string()).collect(), loss: Some(LOSS), seed: 20, ..Default::default() };
    let (net, handle) = Shared::new(lab_net(tree.path(), &opts));
    let mut r = boot(Box::new(net));
    let wall = std::time::Instant::now();
    let t = run(&mut r, LIMIT_US, |rec| log_text(rec).is_some_and(|l| l.starts_with("fetch: ")));
    let stats = handle.lock().unwrap().stats();
    eprintln!("{tag}: {:.1} s virtual, {:.2} s wall, {stats:?}", r.now() as f64 / 1e6, wall.elapsed().as_secs_f64());

    assert!(mishaps(&t).is_empty(), "{:?}\n{}", mishaps(&t), console(&t));
    let fetched = t.iter().filter_map(log_text).find(|l| l.starts_with("fetch: "));
    assert_eq!(fetched, Some(want.as_str()), "console:\n{}", console(&t));
    // The loss really happened, both ways, at about the rate asked.
    for (dir, s) in [("from the phone", stats.from_phone), ("to the phone", stats.to_phone)] {
        let rate = s.lost as f64 / (s.lost + s.passed) as f64;
        assert!((0.15..0.25).contains(&rate), "{dir}: {s:?}");
    }
}

#[test]
fn a_mebibyte_arrives_intact_over_tftp_through_20_percent_loss() {
    fetch_through_loss("lossy-tftp", &["66=10.0.0.1", "67=big.bin"], "fetch: tftp 10.0.0.1 big.bin");
}

#[test]
fn a_mebibyte_arrives_intact_over_http_through_20_percent_loss() {
    fetch_through_loss("lossy-http", &["43=http://10.0.0.1/big.bin"], "fetch: http 10.0.0.1 /big.bin");
}
