//! Seeded damage to bytes: bit flips, boundary values, truncation,
//! extension, deleted, duplicated and overwritten ranges; and to frames:
//! wrong IPv4/UDP/TCP length fields and header lengths, fragments,
//! truncation, with or without a repaired IPv4 header checksum.

use super::frames::{ETH_LEN, IP_LEN, checksum};
use rand::Rng;

/// Bytes that often sit on a parser's boundary.
const INTERESTING: [u8; 8] = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, b'\r', b':'];

/// Applies one to four random mutations to `data`; the result stays under
/// `max` bytes.
pub fn bytes(rng: &mut impl Rng, data: &mut Vec<u8>, max: usize) {
    for _ in 0..rng.random_range(1..=4) {
        let len = data.len();
        let at = if len == 0 { 0 } else { rng.random_range(0..len) };
        match rng.random_range(0..9) {
            0 if len > 0 => data[at] ^= 1 << rng.random_range(0..8),
            1 if len > 0 => data[at] = INTERESTING[rng.random_range(0..INTERESTING.len())],
            2 => data.truncate(at),
            3 => {
                let mut extra = vec![0; rng.random_range(1..64)];
                rng.fill_bytes(&mut extra);
                data.extend_from_slice(&extra);
            }
            4 if len > 0 => {
                let end = rng.random_range(at..=len.min(at + 32));
                data.drain(at..end);
            }
            5 if len > 0 => {
                let end = rng.random_range(at..=len.min(at + 64));
                let copy = data[at..end].to_vec();
                let to = rng.random_range(0..=len);
                data.splice(to..to, copy);
            }
            6 if len > 0 => {
                let end = rng.random_range(at..=len.min(at + 16));
                rng.fill_bytes(&mut data[at..end]);
            }
            7 if len >= 2 => {
                let at = rng.random_range(0..len - 1);
                let v: u16 = [0, 1, 0x7fff, 0x8000, 0xffff, len as u16, (len as u16).wrapping_add(1)][rng.random_range(0..7)];
                data[at..at + 2].copy_from_slice(&v.to_be_bytes());
            }
            _ => {
                let b = INTERESTING[rng.random_range(0..INTERESTING.len())];
                data.insert(at, b);
            }
        }
    }
    data.truncate(max);
}

fn odd_u16(rng: &mut impl Rng) -> u16 {
    [0, 1, 8, 20, 0xffff, rng.random()][rng.random_range(0..6)]
}

/// Damages the headers of an IPv4 frame: its length fields, header
/// lengths or fragment fields, or cuts it short. Half the time the IPv4
/// header checksum is repaired afterwards, so the damage gets past it.
pub fn headers(rng: &mut impl Rng, frame: &mut Vec<u8>) {
    if frame.len() < ETH_LEN + IP_LEN + 20 {
        return bytes(rng, frame, 1600);
    }
    let ip = ETH_LEN;
    let l4 = ip + usize::from(frame[ip] & 0x0f) * 4;
    match rng.random_range(0..6) {
        0 => frame[ip + 2..ip + 4].copy_from_slice(&odd_u16(rng).to_be_bytes()),
        1 if frame.len() >= l4 + 8 => frame[l4 + 4..l4 + 6].copy_from_slice(&odd_u16(rng).to_be_bytes()),
        2 => frame[ip] = 0x40 | rng.random_range(0..16),
        3 if frame.len() >= l4 + 13 => frame[l4 + 12] = rng.random::<u8>() & 0xf0,
        4 => {
            // More fragments and/or an offset: a piece of a datagram that never completes.
            let v: u16 = (rng.random_range(0..8u16) << 13) | rng.random_range(0..0x2000);
            frame[ip + 6..ip + 8].copy_from_slice(&v.to_be_bytes());
        }
        _ => {
            let keep = rng.random_range(ETH_LEN..frame.len());
            frame.truncate(keep);
        }
    }
    if rng.random_bool(0.5) && frame.len() >= ip + IP_LEN && frame[ip] == 0x45 {
        frame[ip + 10..ip + 12].fill(0);
        let c = checksum(&[&frame[ip..ip + IP_LEN]]);
        frame[ip + 10..ip + 12].copy_from_slice(&c.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn mutations_change_bytes_and_respect_the_cap() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let orig = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello".to_vec();
        let mut changed = 0;
        for _ in 0..1000 {
            let mut d = orig.clone();
            bytes(&mut rng, &mut d, 48);
            assert!(d.len() <= 48);
            changed += usize::from(d != orig);
        }
        assert!(changed > 900, "{changed}");
        let mut empty = Vec::new();
        for _ in 0..100 {
            bytes(&mut rng, &mut empty, 10);
            headers(&mut rng, &mut empty);
        }
    }

    #[test]
    fn header_damage_never_panics_and_changes_the_frame() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        let f = crate::frames::udp_frame([1; 6], [2; 6], ([10, 0, 0, 1].into(), 69), ([10, 0, 0, 100].into(), 50000), 1, &[0, 3, 0, 1, b'x']);
        let mut changed = 0;
        for _ in 0..10_000 {
            let mut g = f.clone();
            headers(&mut rng, &mut g);
            changed += usize::from(g != f);
            headers(&mut rng, &mut g);
        }
        assert!(changed > 9000, "{changed}");
    }
}
