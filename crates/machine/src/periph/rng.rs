//! The random number generator: a ChaCha8 stream seeded from the machine
//! seed and the MAC, so one phone's numbers are reproducible under a seed
//! and two phones with different MACs differ.

use crate::io::{Device, Io};
use board::periph::rng::reg;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

pub(crate) struct Rng {
    stream: ChaCha8Rng,
}

/// The 32-byte ChaCha key for a phone: seed and MAC, little-endian.
pub(crate) fn key(seed: u64, mac: [u8; 6], purpose: u8) -> [u8; 32] {
    let mut k = [0u8; 32];
    k[0..8].copy_from_slice(&seed.to_le_bytes());
    k[8..14].copy_from_slice(&mac);
    k[14] = purpose;
    k
}

impl Rng {
    pub(crate) fn new(seed: u64, mac: [u8; 6]) -> Rng {
        Rng { stream: ChaCha8Rng::from_seed(key(seed, mac, 0)) }
    }
}

impl Device for Rng {
    fn read(&mut self, off: u32, _io: &mut Io) -> u32 {
        match off {
            reg::VALUE => self.stream.next_u32(),
            _ => 0,
        }
    }
    fn write(&mut self, _off: u32, _size: usize, _value: u32, _io: &mut Io) {}
    /// The stream goes on across resets: a reboot does not replay numbers.
    fn reset(&mut self, _io: &mut Io) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hostmem::HostMem;

    #[test]
    fn same_seed_and_mac_same_numbers_other_mac_other_numbers() {
        let mut io = Io::new("X".into(), HostMem::zeroed(4096).unwrap());
        let mut take = |seed, mac| {
            let mut r = Rng::new(seed, mac);
            (0..4).map(|_| r.read(reg::VALUE, &mut io)).collect::<Vec<_>>()
        };
        let a = take(1, [0, 1, 2, 3, 4, 5]);
        assert_eq!(a, take(1, [0, 1, 2, 3, 4, 5]));
        assert_ne!(a, take(1, [0, 1, 2, 3, 4, 6]));
        assert_ne!(a, take(2, [0, 1, 2, 3, 4, 5]));
        assert_ne!(a[0], a[1]);
    }
}
