//! The Ethernet MAC as a `smoltcp::phy::Device`: descriptor rings and
//! buffers in `.bss` (8 RX + 4 TX × 1536 B), 802.1Q tagging and filtering in
//! the driver (`firmware::net::vlan`), so smoltcp sees untagged frames.
//!
//! Guarantees: a descriptor is touched only while the CPU owns it; every RX
//! descriptor handed to smoltcp goes back to the MAC when its token is
//! dropped (consumed or not); errored and filtered frames are handed back
//! at once. Never busy-waits: with no free TX descriptor, `transmit` says
//! so and smoltcp retries at its next poll.

use board::cpu;
use board::nic::{BUF_LEN, DESC_LEN, Desc, FLAG_ERR, FLAG_OWN, MAX_FRAME};
use board::periph::eth::{BASE, CTRL_ENABLE, STATUS_LINK_UP, reg};
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering, compiler_fence};
use firmware::net::vlan::{self, Vlan};
use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

const RX: usize = 8;
const TX: usize = 4;

#[repr(C, align(4))]
struct Rings {
    rx_desc: [[u8; DESC_LEN as usize]; RX],
    tx_desc: [[u8; DESC_LEN as usize]; TX],
    rx_buf: [[u8; BUF_LEN]; RX],
    tx_buf: [[u8; BUF_LEN]; TX],
}

static mut RINGS: Rings = Rings { rx_desc: [[0; 8]; RX], tx_desc: [[0; 8]; TX], rx_buf: [[0; BUF_LEN]; RX], tx_buf: [[0; BUF_LEN]; TX] };
static TX_NEXT: AtomicUsize = AtomicUsize::new(0);
/// The 802.1Q TCI in use; 0 = untagged.
static TCI: AtomicU32 = AtomicU32::new(0);

fn rings() -> *mut Rings {
    &raw mut RINGS
}

fn rx_desc(i: usize) -> *mut [u8; 8] {
    // SAFETY: in bounds of the static; no reference is formed.
    unsafe { &raw mut (*rings()).rx_desc[i] }
}

fn tx_desc(i: usize) -> *mut [u8; 8] {
    // SAFETY: as above.
    unsafe { &raw mut (*rings()).tx_desc[i] }
}

fn read_desc(p: *mut [u8; 8]) -> Desc {
    // SAFETY: a valid, aligned descriptor; volatile because the MAC writes it.
    Desc::decode(&unsafe { core::ptr::read_volatile(p) })
}

fn write_desc(p: *mut [u8; 8], d: Desc) {
    // SAFETY: as above.
    unsafe { core::ptr::write_volatile(p, d.encode()) }
}

fn give_rx(i: usize) {
    // SAFETY: in bounds; only the address is taken.
    let buf = unsafe { &raw mut (*rings()).rx_buf[i] } as u32;
    write_desc(rx_desc(i), Desc { buf, len: BUF_LEN as u16, flags: FLAG_OWN });
}

fn vlan() -> Option<Vlan> {
    Vlan::from_tci(TCI.load(Ordering::Relaxed) as u16)
}

pub struct Eth {
    rx_next: usize,
}

impl Eth {
    /// Hands every RX buffer to the MAC and enables it.
    pub fn new() -> Eth {
        for i in 0..RX {
            give_rx(i);
        }
        for i in 0..TX {
            write_desc(tx_desc(i), Desc { buf: 0, len: 0, flags: 0 });
        }
        compiler_fence(Ordering::SeqCst);
        cpu::write(BASE + reg::RX_RING, rx_desc(0) as u32);
        cpu::write(BASE + reg::RX_LEN, RX as u32);
        cpu::write(BASE + reg::TX_RING, tx_desc(0) as u32);
        cpu::write(BASE + reg::TX_LEN, TX as u32);
        cpu::write(BASE + reg::CTRL, CTRL_ENABLE);
        Eth { rx_next: 0 }
    }

    /// Whether the cable is plugged in (ETH STATUS).
    pub fn link_up(&self) -> bool {
        cpu::read(BASE + reg::STATUS) & STATUS_LINK_UP != 0
    }

    /// Frames the MAC dropped for lack of a free RX descriptor.
    #[allow(dead_code)]
    pub fn rx_dropped(&self) -> u32 {
        cpu::read(BASE + reg::RX_DROPPED)
    }
}

impl vlan::Tagging for Eth {
    /// From the next frame on; frames already queued keep their tag.
    fn set_vlan(&mut self, v: Option<Vlan>) {
        TCI.store(v.map_or(0, |v| u32::from(v.tci())), Ordering::Relaxed);
    }
}

pub struct RxToken {
    index: usize,
    start: usize,
    end: usize,
}

impl phy::RxToken for RxToken {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        // SAFETY: the CPU owns this descriptor's buffer until `drop` gives it back.
        let buf = unsafe { &(*rings()).rx_buf[self.index] };
        f(&buf[self.start..self.end])
    }
}

impl Drop for RxToken {
    fn drop(&mut self) {
        compiler_fence(Ordering::SeqCst);
        give_rx(self.index);
        cpu::write(BASE + reg::RX_DOORBELL, 1);
    }
}

pub struct TxToken;

impl phy::TxToken for TxToken {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let i = TX_NEXT.load(Ordering::Relaxed);
        let v = vlan();
        let off = vlan::tx_offset(v);
        // SAFETY: `transmit` checked the CPU owns descriptor `i`; one token at a time.
        let buf = unsafe { &mut (*rings()).tx_buf[i] };
        let len = len.min(BUF_LEN - off);
        let r = f(&mut buf[off..off + len]);
        if let Some(n) = vlan::tag(buf, len, v).filter(|&n| n <= MAX_FRAME) {
            compiler_fence(Ordering::SeqCst);
            write_desc(tx_desc(i), Desc { buf: buf.as_ptr() as u32, len: n as u16, flags: FLAG_OWN });
            compiler_fence(Ordering::SeqCst);
            cpu::write(BASE + reg::TX_DOORBELL, 1);
            TX_NEXT.store((i + 1) % TX, Ordering::Relaxed);
        }
        r
    }
}

fn tx_free() -> bool {
    read_desc(tx_desc(TX_NEXT.load(Ordering::Relaxed))).flags & FLAG_OWN == 0
}

impl phy::Device for Eth {
    type RxToken<'a> = RxToken;
    type TxToken<'a> = TxToken;

    fn receive(&mut self, _now: Instant) -> Option<(RxToken, TxToken)> {
        if !tx_free() {
            return None;
        }
        for _ in 0..RX {
            let i = self.rx_next;
            let d = read_desc(rx_desc(i));
            if d.flags & FLAG_OWN != 0 {
                return None;
            }
            self.rx_next = (i + 1) % RX;
            if d.flags & FLAG_ERR != 0 {
                give_rx(i);
                continue;
            }
            compiler_fence(Ordering::SeqCst);
            // SAFETY: the MAC gave this descriptor back (OWN clear).
            let buf = unsafe { &mut (*rings()).rx_buf[i] };
            match vlan::untag(buf, d.len as usize, vlan()) {
                Some(r) => return Some((RxToken { index: i, start: r.start, end: r.end }, TxToken)),
                None => give_rx(i),
            }
        }
        None
    }

    fn transmit(&mut self, _now: Instant) -> Option<TxToken> {
        tx_free().then_some(TxToken)
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = 1514;
        caps.max_burst_size = Some(RX - 2);
        caps
    }
}
