//! Asserts every address of the contract, so a change to it is deliberate.

use crate::image::{crc32, crc32_update, Header, ImageError, Kind, Version, HEADER_LEN};
use crate::map::*;
use crate::model::{Hardware, Model, Protocol};
use crate::periph::*;
use crate::slot::Commit;

#[test]
fn memory_map_addresses() {
    assert_eq!((BOOT_ROM.base, BOOT_ROM.len), (0x0000_0000, 0x1_0000));
    assert_eq!((FLASH.base, FLASH.len), (0x0800_0000, 0x80_0000));
    assert_eq!((BOOT_WINDOW.base, BOOT_WINDOW.len), (0x0C00_0000, 0x10_0000));
    assert_eq!((SRAM.base, SRAM.len), (0x2000_0000, 0x4_0000));
    assert_eq!(PERIPH.base, 0x4000_0000);
    assert_eq!((FLASH_SECTOR, FLASH_PAGE), (0x1_0000, 0x100));
}

#[test]
fn flash_partitions_are_sector_aligned_disjoint_and_inside_flash() {
    let mut prev_end = FLASH.base;
    for (name, r) in PARTITIONS {
        assert_eq!(r.base % FLASH_SECTOR, 0, "{name}");
        assert_eq!(r.len % FLASH_SECTOR, 0, "{name}");
        assert!(r.base >= prev_end, "{name} overlaps");
        assert!(FLASH.contains_range(r.base, r.len), "{name}");
        prev_end = r.end();
    }
    assert_eq!((SLOT_A.base, SLOT_B.base), (0x0800_0000, 0x0810_0000));
    assert_eq!((CONFIG.base, STATE.base, APS_LOG.base, FACTORY.base), (0x0820_0000, 0x0822_0000, 0x0824_0000, 0x0826_0000));
    assert_eq!((FILES.base, FILES.end()), (0x0830_0000, 0x0880_0000));
}

#[test]
fn peripheral_register_addresses() {
    assert_eq!(sysctl::BASE, 0x4000_0000);
    assert_eq!(timer::BASE, 0x4000_1000);
    assert_eq!(rng::BASE, 0x4000_2000);
    assert_eq!(flashctl::BASE, 0x4000_3000);
    assert_eq!(lcd::BASE, 0x4000_4000);
    assert_eq!(led::BASE, 0x4000_5000);
    assert_eq!(keypad::BASE, 0x4000_6000);
    assert_eq!(eth::BASE, 0x4000_7000);
    assert_eq!(uart::BASE, 0x4000_8000);
    assert_eq!(sysctl::BASE + sysctl::reg::SLEEP_HI, 0x4000_0018);
    assert_eq!(sysctl::BASE + sysctl::reg::BOOT_SLOT, 0x4000_0024);
    assert_eq!(sysctl::BASE + sysctl::reg::EVENTS, 0x4000_0028);
    assert_eq!(flashctl::BASE + flashctl::reg::STATUS, 0x4000_3010);
    assert_eq!(lcd::BASE + lcd::reg::CHARS, 0x4000_4100);
    assert!(lcd::reg::CHARS as usize + lcd::ROWS * lcd::COLS <= 0x1000);
    assert_eq!(led::BASE + led::reg::LINE0, 0x4000_5010);
    assert_eq!(keypad::BASE + keypad::reg::POP, 0x4000_6004);
    assert_eq!(eth::BASE + eth::reg::RX_DROPPED, 0x4000_7020);
    assert_eq!(uart::BASE + uart::reg::SEND, 0x4000_8008);
    assert_eq!(crc::BASE, 0x4000_9000);
    assert_eq!(crc::BASE + crc::reg::STATE, 0x4000_9008);
    assert_eq!(crc::BASE + crc::reg::CTRL, 0x4000_900C);
    assert_eq!(crc::BASE + crc::reg::STATUS, 0x4000_9014);
    assert_eq!((crc::CTRL_START, crc::STATUS_ERROR, crc::STATE_INIT), (1, 1, 0xFFFF_FFFF));
    for (i, (_, base)) in BLOCKS.iter().enumerate() {
        assert!(PERIPH.contains(*base));
        assert_eq!(*base, PERIPH.base + i as u32 * PERIPH_BLOCK);
    }
}

#[test]
fn crc32_matches_zlib() {
    assert_eq!(crc32(b""), 0);
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
}

/// The CRC engine's contract: chunks chained through `STATE`, started from
/// `STATE_INIT`, give `RESULT = !STATE = crc32` of the whole.
#[test]
fn crc_engine_state_chains_like_crc32_update() {
    let state = crc32_update(crc::STATE_INIT, b"1234");
    let state = crc32_update(state, b"56789");
    assert_eq!(!state, 0xCBF4_3926);
    assert_eq!(!crc32_update(crc::STATE_INIT, b""), 0, "an empty operation leaves STATE_INIT");
}

fn header() -> Header {
    Header {
        kind: Kind::App,
        hardware: Hardware::St2030,
        protocol: Protocol::Sip,
        version: Version { major: 2, minor: 74, patch: 0 },
        date: *b"101223",
        payload_len: 3,
        payload_crc: crc32(b"abc"),
    }
}

#[test]
fn header_layout_bytes() {
    let b = header().encode();
    assert_eq!(b.len(), HEADER_LEN);
    assert_eq!(&b[0..12], &[b'S', b'T', b'Z', b'Z', 1, 0, 0, b'S', 2, 74, 0, 0]);
    assert_eq!(&b[12..18], b"101223");
    assert_eq!(&b[20..24], &3u32.to_le_bytes());
    assert_eq!(&b[24..28], &0x352441C2u32.to_le_bytes()); // crc32("abc")
    assert_eq!(&b[60..64], &crc32(&b[0..60]).to_le_bytes());
    assert!(b[64..].iter().all(|&x| x == 0));
}

#[test]
fn header_roundtrip_and_image_check() {
    let mut img = header().encode().to_vec();
    img.extend_from_slice(b"abc");
    let (h, payload) = Header::check_image(&img).unwrap();
    assert_eq!(h, header());
    assert_eq!(payload, b"abc");
    img[HEADER_LEN] ^= 1;
    assert_eq!(Header::check_image(&img), Err(ImageError::BadPayloadCrc));
    assert_eq!(Header::check_image(&img[..HEADER_LEN + 2]), Err(ImageError::Truncated));
}

#[test]
fn header_rejects_every_single_byte_corruption() {
    let good = header().encode();
    for i in 0..64 {
        let mut b = good;
        b[i] ^= 0x40;
        assert!(Header::decode(&b).is_err(), "byte {i}");
    }
    assert_eq!(Header::decode(&[0xFF; HEADER_LEN]), Err(ImageError::BadMagic));
    assert_eq!(Header::decode(&good[..10]), Err(ImageError::Truncated));
}

#[test]
fn commit_record_roundtrip_and_torn() {
    let c = Commit { seq: 7, image_crc: 0xDEAD_BEEF };
    let b = c.encode();
    assert_eq!(&b[0..4], b"SLOT");
    assert_eq!(Commit::decode(&b), Some(c));
    assert_eq!(Commit::decode(&[0xFF; 16]), None);
    for i in 0..16 {
        let mut t = b;
        t[i] = 0xFF;
        if t != b {
            assert_eq!(Commit::decode(&t), None, "byte {i}");
        }
    }
}

#[test]
fn model_names() {
    let names: Vec<String> = Model::ALL.iter().map(|m| m.to_string()).collect();
    assert_eq!(names, ["ST2030S", "ST2030M", "ST2022S", "ST2022M"]);
    assert_eq!(Model::parse("st2022m"), Some(Model::ALL[3]));
    assert_eq!(Model::parse("ST2030X"), None);
    assert_eq!(Hardware::St2022.digits(), "2022");
}

#[test]
fn nic_descriptor_layout() {
    use crate::nic::*;
    let d = Desc { buf: 0x2000_1000, len: 60, flags: FLAG_OWN };
    assert_eq!(d.encode(), [0x00, 0x10, 0x00, 0x20, 60, 0, 0x00, 0x80]);
    assert_eq!(Desc::decode(&d.encode()), d);
}

#[test]
fn key_codes_are_unique_and_named() {
    use crate::keys::Key;
    for k in Key::ALL {
        assert_eq!(Key::from_code(k.code()), Some(*k));
        assert_eq!(Key::from_name(k.name()), Some(*k));
    }
}
