//! Store tests over the simulated NOR, including a power cut at every single
//! erase and program of each kind of write, with torn prefixes.

use crate::sim::SimNor;
use crate::{Error, Op, Store};
use board::image::crc32;
use board::map::{CONFIG, FLASH_SECTOR};

type S = Store<4096>;
type State = Vec<(Vec<u8>, Vec<u8>)>;

const BASE: u32 = CONFIG.base;
/// Bytes of the interrupted operation that land before the cut (clamped
/// to its length: "landed whole, but the CPU never learnt it").
const TEARS: [usize; 6] = [0, 1, 5, 9, 200, usize::MAX];

fn blank() -> SimNor {
    SimNor::new(BASE, 2)
}

fn state(s: &S) -> State {
    let mut v: State = s.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.to_vec())).collect();
    v.sort();
    v
}

fn loaded(nor: &SimNor) -> State {
    state(&S::open(nor, BASE))
}

const DEFAULTS: [(&[u8], &[u8]); 6] = [
    (b"autoprovision.AutoprovisionFlag", b"1"),
    (b"autoprovision.AutoprovisionTimeSpan", b"0"),
    (b"autoprovision.Decryption_Key", b"Th0mson2$8s8@9z!"),
    (b"sip.AuthNotifyCheckSync", b"0.0.0.0"),
    (b"net.VLAN", b"0"),
    (b"sys.config_sn", b""),
];

fn with_defaults() -> SimNor {
    let mut nor = blank();
    let mut s = S::open(&nor, BASE);
    s.reset_to(&mut nor, DEFAULTS).unwrap();
    s.set(&mut nor, b"ipp.RingVolume", b"5").unwrap();
    nor
}

/// Runs `action` once cleanly, then again from the same flash with the power
/// cut at each of its operations and each tear; checks that the flash then
/// loads exactly the old or the new state, that RAM agrees with flash after
/// the error, and that the store keeps working once power is back.
fn sweep(base: &SimNor, action: impl Fn(&mut S, &mut SimNor) -> Result<(), Error>) -> usize {
    let old = loaded(base);
    let mut clean = base.clone();
    clean.ops = 0;
    let mut s = S::open(&clean, BASE);
    action(&mut s, &mut clean).unwrap();
    let new = state(&s);
    assert_eq!(loaded(&clean), new);
    assert_ne!(old, new, "the action must change something");
    let ops = clean.ops;
    let (mut saw_old, mut saw_new) = (false, false);
    for at in 0..ops {
        for tear in TEARS {
            let mut nor = base.clone();
            nor.ops = 0;
            nor.cut = Some((at, tear));
            let mut s = S::open(&nor, BASE);
            assert!(action(&mut s, &mut nor).is_err(), "cut at op {at} must fail the write");
            let got = loaded(&nor);
            assert!(got == old || got == new, "cut at op {at}, tear {tear}: mixed state {got:?}");
            saw_old |= got == old;
            saw_new |= got == new;
            assert_eq!(state(&s), got, "RAM must be reloaded from flash after an error");
            nor.restore();
            let mut s = S::open(&nor, BASE);
            s.set(&mut nor, b"test.after", b"cut").unwrap();
            let after = S::open(&nor, BASE);
            assert_eq!(state(&after), state(&s));
            assert_eq!(after.get(b"TEST.after"), Some(&b"cut"[..]));
        }
    }
    assert!(saw_old && saw_new);
    ops
}

#[test]
fn blank_flash_loads_empty_and_first_write_creates_generation_1() {
    let mut nor = blank();
    let mut s = S::open(&nor, BASE);
    assert!(s.is_blank() && s.is_empty());
    s.set(&mut nor, b"sys.a", b"1").unwrap();
    assert_eq!(s.generation(), Some(1));
    let h = crate::format::encode_sector_header(1);
    let body = [1, 5, 1, b's', b'y', b's', b'.', b'a', b'1'];
    let mut rec = vec![0xA5, 0, 9, 0];
    let crc = crc32(&[&rec[..], &body[..]].concat());
    rec.extend_from_slice(&crc.to_le_bytes());
    rec.extend_from_slice(&body);
    assert_eq!(&nor.mem[0..16], &h);
    assert_eq!(&nor.mem[16..16 + 17], &rec[..]);
    assert!(nor.mem[33..].iter().all(|&b| b == 0xFF));
}

#[test]
fn appended_record_bytes() {
    let mut nor = blank();
    let mut s = S::open(&nor, BASE);
    s.set(&mut nor, b"sys.a", b"1").unwrap();
    s.remove(&mut nor, b"SYS.A").unwrap();
    let body = [2, 5, 0, b'S', b'Y', b'S', b'.', b'A'];
    let mut rec = vec![0xA5, 0, 8, 0];
    let crc = crc32(&[&rec[..], &body[..]].concat());
    rec.extend_from_slice(&crc.to_le_bytes());
    rec.extend_from_slice(&body);
    assert_eq!(&nor.mem[33..33 + 16], &rec[..]);
    assert!(S::open(&nor, BASE).is_empty());
}

#[test]
fn get_set_remove_persist_case_insensitively() {
    let mut nor = with_defaults();
    let mut s = S::open(&nor, BASE);
    assert_eq!(s.get(b"AUTOPROVISION.decryption_key"), Some(&b"Th0mson2$8s8@9z!"[..]));
    assert_eq!(s.get(b"sys.config_sn"), Some(&b""[..]));
    s.set(&mut nor, b"Sys.Config_SN", b"000000000042").unwrap();
    s.remove(&mut nor, b"net.vlan").unwrap();
    s.remove(&mut nor, b"net.vlan").unwrap();
    let value = [0xE9u8; 255];
    s.set(&mut nor, b"customer.\xC9t\xE9", &value).unwrap();
    let r = S::open(&nor, BASE);
    assert_eq!(r.get(b"sys.config_sn"), Some(&b"000000000042"[..]));
    assert_eq!(r.get(b"net.VLAN"), None);
    assert_eq!(r.get(b"CUSTOMER.\xE9T\xC9"), Some(&value[..]));
    assert_eq!(r.len(), DEFAULTS.len() + 1);
    assert_eq!(state(&r), state(&s));
}

#[test]
fn bad_keys_values_and_full_are_refused_without_change() {
    let mut nor = with_defaults();
    let mut s = S::open(&nor, BASE);
    let before = state(&s);
    assert_eq!(s.set(&mut nor, b"", b"x"), Err(Error::BadKey));
    assert_eq!(s.set(&mut nor, &[b'k'; 256], b"x"), Err(Error::BadKey));
    assert_eq!(s.set(&mut nor, b"a.b", &[0; 256]), Err(Error::BadValue));
    let big = [b'v'; 255];
    let keys: Vec<Vec<u8>> = (0..20).map(|i| format!("fill.k{i}").into_bytes()).collect();
    let ops: Vec<Op> = keys.iter().map(|k| Op::Set(k, &big)).collect();
    assert_eq!(s.set_many(&mut nor, ops.iter().copied()), Err(Error::Full));
    assert_eq!(state(&s), before);
    assert_eq!(loaded(&nor), before);
}

#[test]
fn batch_applies_in_order() {
    let mut nor = with_defaults();
    let mut s = S::open(&nor, BASE);
    let ops = [Op::Set(b"a.x", b"1"), Op::Remove(b"a.X"), Op::Set(b"a.y", b"2"), Op::Set(b"A.Y", b"3"), Op::Remove(b"net.vlan")];
    s.set_many(&mut nor, ops).unwrap();
    let r = S::open(&nor, BASE);
    assert_eq!((r.get(b"a.x"), r.get(b"a.y"), r.get(b"net.vlan")), (None, Some(&b"3"[..]), None));
}

#[test]
fn power_cut_during_single_set() {
    let ops = sweep(&with_defaults(), |s, nor| s.set(nor, b"ipp.RingVolume", b"7"));
    assert!((2..=3).contains(&ops), "body (maybe across a page boundary), then head: {ops}");
}

#[test]
fn power_cut_during_batch_spanning_pages() {
    let keys: Vec<Vec<u8>> = (0..40).map(|i| format!("sip.Key{i:02}").into_bytes()).collect();
    let ops = sweep(&with_defaults(), |s, nor| {
        let batch = keys.iter().map(|k| Op::Set(k, b"value-of-the-batch")).chain([Op::Remove(b"net.VLAN"), Op::Set(b"sys.config_sn", b"7")]);
        s.set_many(nor, batch)
    });
    assert!(ops > 4, "the batch must span several pages, took {ops} ops");
}

const PER_200: u32 = 8 + 3 + 8 + 200; // head + op head + "fill.key" + value

/// Appends until a set of `fill.key` with a 200-byte value no longer fits in
/// the active sector (so the next one compacts).
fn nearly_full(nor: &mut SimNor) {
    let mut s = S::open(nor, BASE);
    let v = [b'x'; 200];
    loop {
        let remaining = FLASH_SECTOR - s.write_off_test();
        if remaining < PER_200 {
            break;
        }
        let len = if remaining >= 2 * PER_200 { 200 } else { remaining.saturating_sub(PER_200 + 18) as usize };
        s.set(nor, b"fill.key", &v[..len]).unwrap();
    }
}

#[test]
fn power_cut_during_compaction() {
    let mut nor = with_defaults();
    nearly_full(&mut nor);
    let before = S::open(&nor, BASE).generation();
    let big = [b'y'; 200];
    let ops = sweep(&nor, |s, nor| s.set(nor, b"fill.key", &big));
    assert!(ops >= 3, "erase + snapshot + header, took {ops}");
    let mut done = nor.clone();
    let mut s = S::open(&done, BASE);
    s.set(&mut done, b"fill.key", &big).unwrap();
    assert_eq!(S::open(&done, BASE).generation(), before.map(|g| g + 1));
}

#[test]
fn power_cut_during_second_compaction_over_an_older_generation() {
    let mut nor = with_defaults();
    nearly_full(&mut nor);
    let mut s = S::open(&nor, BASE);
    s.set(&mut nor, b"fill.key", &[b'z'; 200]).unwrap();
    nearly_full(&mut nor);
    let s = S::open(&nor, BASE);
    assert_eq!(s.generation(), Some(2), "sector 0 still holds generation 1");
    assert!(s.write_off_test() + PER_200 > FLASH_SECTOR);
    sweep(&nor, |s, nor| s.set(nor, b"fill.key", b"short"));
}

#[test]
fn power_cut_during_reset_to_defaults() {
    let mut nor = with_defaults();
    let mut s = S::open(&nor, BASE);
    s.set(&mut nor, b"sip.DisplayName1", b"Reception").unwrap();
    sweep(&nor, |s, nor| s.reset_to(nor, DEFAULTS[..3].iter().copied()));
}

#[test]
fn power_cut_during_first_write_on_blank_flash() {
    let mut nor = blank();
    let mut s = S::open(&nor, BASE);
    s.set(&mut nor, b"seed.x", b"1").unwrap();
    sweep(&nor, |s, nor| s.set_many(nor, DEFAULTS.iter().map(|&(k, v)| Op::Set(k, v))));
}

#[test]
fn torn_tail_forces_compaction_and_keeps_earlier_records() {
    let mut nor = with_defaults();
    let mut s = S::open(&nor, BASE);
    let g = s.generation();
    nor.ops = 0;
    nor.cut = Some((0, 3)); // body page torn, head never written
    assert!(s.set(&mut nor, b"ipp.RingVolume", b"9").is_err());
    nor.restore();
    let mut s = S::open(&nor, BASE);
    assert_eq!(s.get(b"ipp.RingVolume"), Some(&b"5"[..]));
    s.set(&mut nor, b"ipp.RingVolume", b"8").unwrap();
    assert_eq!(s.generation(), g.map(|g| g + 1));
    let r = S::open(&nor, BASE);
    assert_eq!(r.get(b"ipp.ringvolume"), Some(&b"8"[..]));
    assert_eq!(r.len(), DEFAULTS.len() + 1);
}

#[test]
fn corrupt_record_ends_the_log_there() {
    let mut nor = with_defaults();
    let mut s = S::open(&nor, BASE);
    let off = s.write_off_test() as usize;
    s.set(&mut nor, b"a.one", b"1").unwrap();
    s.set(&mut nor, b"a.two", b"2").unwrap();
    nor.mem[off + 9] ^= 0x01; // inside a.one's body
    let r = S::open(&nor, BASE);
    assert_eq!((r.get(b"a.one"), r.get(b"a.two"), r.get(b"net.vlan")), (None, None, Some(&b"0"[..])));
}

#[test]
fn garbage_flash_never_panics() {
    let mut seed = 0x1234_5678u32;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    for round in 0..64 {
        let mut nor = with_defaults();
        for _ in 0..(round * 8 + 1) {
            let i = (next() as usize) % nor.mem.len().min(4096);
            nor.mem[i] = next() as u8;
        }
        if round % 4 == 0 {
            let h = crate::format::encode_sector_header(next());
            nor.mem[FLASH_SECTOR as usize..FLASH_SECTOR as usize + 16].copy_from_slice(&h);
            for b in &mut nor.mem[FLASH_SECTOR as usize + 16..FLASH_SECTOR as usize + 600] {
                *b = next() as u8;
            }
        }
        let mut s = S::open(&nor, BASE);
        s.set(&mut nor, b"after.garbage", b"ok").unwrap();
        let r = S::open(&nor, BASE);
        assert_eq!(r.get(b"after.garbage"), Some(&b"ok"[..]));
        assert_eq!(state(&r), state(&s));
    }
}
