//! The Ethernet MAC: TX and RX descriptor rings in SRAM (`board::nic`).
//!
//! Guarantees:
//! - TX doorbell: every descriptor the MAC owns, in ring order from where it
//!   stopped, is copied out to the host queue and handed back (OWN cleared);
//!   one with a bad buffer or length (0, > `MAX_FRAME`, outside SRAM) gets
//!   `FLAG_ERR` instead and is not sent.
//! - RX: a frame from the host goes into the next descriptor the MAC owns
//!   (length set, OWN cleared) and raises `EVENT_NIC_RX`. With no owned
//!   descriptor, the MAC disabled, or no valid ring, it is dropped and
//!   counted in RX_DROPPED; a buffer too small gets `FLAG_ERR` (dropped).
//! - Writing a ring's address or length restarts that ring at entry 0.
//!   Rings longer than `MAX_RINGS` entries are refused (treated as absent).

use crate::io::{Device, Io};
use board::nic::{Desc, DESC_LEN, FLAG_ERR, FLAG_OWN, MAX_FRAME};
use board::periph::eth::{reg, *};
use board::periph::sysctl::EVENT_NIC_RX;

pub(crate) struct Eth {
    ctrl: u32,
    tx_ring: u32,
    tx_len: u32,
    tx_next: u32,
    rx_ring: u32,
    rx_len: u32,
    rx_next: u32,
    rx_dropped: u32,
    pub link_up: bool,
    /// Frames sent and not yet taken by the host.
    pub sent: Vec<Vec<u8>>,
}

impl Default for Eth {
    fn default() -> Eth {
        Eth { ctrl: 0, tx_ring: 0, tx_len: 0, tx_next: 0, rx_ring: 0, rx_len: 0, rx_next: 0, rx_dropped: 0, link_up: true, sent: Vec::new() }
    }
}

fn desc_at(io: &Io, addr: u32) -> Option<Desc> {
    let b: &[u8; 8] = io.sram(addr, DESC_LEN as usize)?.try_into().ok()?;
    Some(Desc::decode(b))
}

fn put_desc(io: &mut Io, addr: u32, d: Desc) {
    if let Some(b) = io.sram_mut(addr, DESC_LEN as usize) {
        b.copy_from_slice(&d.encode());
    }
}

impl Eth {
    fn enabled(&self) -> bool {
        self.ctrl & CTRL_ENABLE != 0
    }

    fn ring_ok(len: u32) -> bool {
        (1..=MAX_RINGS).contains(&len)
    }

    fn transmit(&mut self, io: &mut Io) {
        if !self.enabled() || !Self::ring_ok(self.tx_len) {
            return;
        }
        for _ in 0..self.tx_len {
            let at = self.tx_ring.wrapping_add(self.tx_next * DESC_LEN);
            let Some(mut d) = desc_at(io, at) else { return };
            if d.flags & FLAG_OWN == 0 {
                return;
            }
            let frame = (d.len as usize <= MAX_FRAME).then(|| io.sram(d.buf, d.len as usize)).flatten().filter(|f| !f.is_empty());
            match frame {
                Some(f) => {
                    let f = f.to_vec();
                    if self.link_up {
                        self.sent.push(f);
                    }
                    d.flags &= !FLAG_OWN;
                }
                None => d.flags = (d.flags & !FLAG_OWN) | FLAG_ERR,
            }
            put_desc(io, at, d);
            self.tx_next = (self.tx_next + 1) % self.tx_len;
        }
    }

    /// A frame arrives from the wire. Returns whether the firmware got it.
    pub(crate) fn receive(&mut self, frame: &[u8], io: &mut Io) -> bool {
        if !self.enabled() || !self.link_up || !Self::ring_ok(self.rx_len) || frame.is_empty() || frame.len() > MAX_FRAME {
            self.rx_dropped = self.rx_dropped.wrapping_add(1);
            return false;
        }
        let at = self.rx_ring.wrapping_add(self.rx_next * DESC_LEN);
        let Some(mut d) = desc_at(io, at).filter(|d| d.flags & FLAG_OWN != 0) else {
            self.rx_dropped = self.rx_dropped.wrapping_add(1);
            return false;
        };
        let stored = match io.sram_mut(d.buf, frame.len()).filter(|_| frame.len() <= d.len as usize) {
            Some(buf) => {
                buf.copy_from_slice(frame);
                d.len = frame.len() as u16;
                d.flags = 0;
                true
            }
            None => {
                d.flags = FLAG_ERR;
                false
            }
        };
        put_desc(io, at, d);
        self.rx_next = (self.rx_next + 1) % self.rx_len;
        io.raise(EVENT_NIC_RX);
        stored
    }
}

impl Device for Eth {
    fn read(&mut self, off: u32, _io: &mut Io) -> u32 {
        match off {
            reg::CTRL => self.ctrl,
            reg::TX_RING => self.tx_ring,
            reg::TX_LEN => self.tx_len,
            reg::RX_RING => self.rx_ring,
            reg::RX_LEN => self.rx_len,
            reg::STATUS => self.link_up as u32 * STATUS_LINK_UP,
            reg::RX_DROPPED => self.rx_dropped,
            _ => 0,
        }
    }

    fn write(&mut self, off: u32, _size: usize, value: u32, io: &mut Io) {
        match off {
            reg::CTRL => self.ctrl = value,
            reg::TX_RING => (self.tx_ring, self.tx_next) = (value, 0),
            reg::TX_LEN => (self.tx_len, self.tx_next) = (value, 0),
            reg::RX_RING => (self.rx_ring, self.rx_next) = (value, 0),
            reg::RX_LEN => (self.rx_len, self.rx_next) = (value, 0),
            reg::TX_DOORBELL => self.transmit(io),
            _ => {}
        }
    }

    /// Registers and counters go back to zero; frames already sent stay
    /// queued for the host (they are on the wire).
    fn reset(&mut self, _io: &mut Io) {
        let sent = std::mem::take(&mut self.sent);
        *self = Eth { link_up: self.link_up, sent, ..Eth::default() };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hostmem::HostMem;
    use board::map::SRAM;

    const RING: u32 = SRAM.base + 0x100;
    const BUF: u32 = SRAM.base + 0x1000;

    fn setup() -> (Eth, Io) {
        let mut e = Eth::default();
        let mut io = Io::new("P".into(), HostMem::zeroed(SRAM.len as usize).unwrap());
        e.write(reg::CTRL, 4, CTRL_ENABLE, &mut io);
        (e, io)
    }

    #[test]
    fn tx_sends_owned_descriptors_in_order_and_hands_them_back() {
        let (mut e, mut io) = setup();
        e.write(reg::TX_RING, 4, RING, &mut io);
        e.write(reg::TX_LEN, 4, 2, &mut io);
        io.sram_mut(BUF, 4).unwrap().copy_from_slice(&[1, 2, 3, 4]);
        put_desc(&mut io, RING, Desc { buf: BUF, len: 4, flags: FLAG_OWN });
        put_desc(&mut io, RING + 8, Desc { buf: BUF + 1, len: 2, flags: FLAG_OWN });
        e.write(reg::TX_DOORBELL, 4, 1, &mut io);
        assert_eq!(e.sent, [vec![1, 2, 3, 4], vec![2, 3]]);
        assert_eq!(io.sram(RING, 16).unwrap(), [Desc { buf: BUF, len: 4, flags: 0 }.encode(), Desc { buf: BUF + 1, len: 2, flags: 0 }.encode()].concat());
        // The ring wraps: the next frame goes from entry 0 again.
        put_desc(&mut io, RING, Desc { buf: BUF, len: 1, flags: FLAG_OWN });
        put_desc(&mut io, RING + 8, Desc { buf: 0x1000, len: 1, flags: FLAG_OWN });
        e.write(reg::TX_DOORBELL, 4, 1, &mut io);
        assert_eq!(e.sent.len(), 3);
        assert_eq!(desc_at(&io, RING + 8).unwrap().flags, FLAG_ERR, "a buffer outside SRAM is refused");
    }

    #[test]
    fn rx_fills_owned_descriptors_and_counts_drops() {
        let (mut e, mut io) = setup();
        e.write(reg::RX_RING, 4, RING, &mut io);
        e.write(reg::RX_LEN, 4, 2, &mut io);
        put_desc(&mut io, RING, Desc { buf: BUF, len: 1536, flags: FLAG_OWN });
        put_desc(&mut io, RING + 8, Desc { buf: BUF + 2048, len: 3, flags: FLAG_OWN });
        assert!(e.receive(&[0xAA; 60], &mut io));
        assert_eq!(desc_at(&io, RING).unwrap(), Desc { buf: BUF, len: 60, flags: 0 });
        assert_eq!(io.sram(BUF, 61).unwrap()[59..], [0xAA, 0]);
        assert_eq!(io.events, EVENT_NIC_RX);
        assert!(!e.receive(&[1, 2, 3, 4], &mut io), "too big for a 3-byte buffer");
        assert_eq!(desc_at(&io, RING + 8).unwrap().flags, FLAG_ERR);
        assert!(!e.receive(&[1], &mut io), "no owned descriptor left");
        assert!(!e.receive(&[0; MAX_FRAME + 1], &mut io));
        assert_eq!(e.read(reg::RX_DROPPED, &mut io), 2);
    }

    #[test]
    fn disabled_mac_sends_and_receives_nothing() {
        let (mut e, mut io) = setup();
        e.write(reg::CTRL, 4, 0, &mut io);
        e.write(reg::TX_RING, 4, RING, &mut io);
        e.write(reg::TX_LEN, 4, 1, &mut io);
        put_desc(&mut io, RING, Desc { buf: BUF, len: 4, flags: FLAG_OWN });
        e.write(reg::TX_DOORBELL, 4, 1, &mut io);
        assert!(e.sent.is_empty());
        e.write(reg::TX_LEN, 4, MAX_RINGS + 1, &mut io);
        e.write(reg::CTRL, 4, CTRL_ENABLE, &mut io);
        e.write(reg::TX_DOORBELL, 4, 1, &mut io);
        assert!(e.sent.is_empty(), "an over-long ring is refused");
        assert!(!e.receive(&[1], &mut io));
    }
}
