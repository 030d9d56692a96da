use crate::asm::*;
use crate::*;
use board::map::SRAM;
use board::nic::{Desc, FLAG_OWN};
use board::periph::{eth, sysctl};

pub const TX_DESC: u32 = SRAM.base + 0x100;
pub const RX_DESC: u32 = SRAM.base + 0x200;
pub const TX_BUF: u32 = SRAM.base + 0x1000;
pub const RX_BUF: u32 = SRAM.base + 0x2000;

pub fn frame(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + 1) as u8).collect()
}

/// Sends `frame(16)` at boot through a one-entry TX ring, hands out one RX
/// buffer, then stores EVENTS at SRAM+0x10 on each wake.
pub fn nic_program() -> Vec<u8> {
    let mut a = Asm::rom();
    for (i, w) in frame(16).chunks(4).enumerate() {
        a.poke(TX_BUF + 4 * i as u32, u32::from_le_bytes(w.try_into().unwrap()));
    }
    let (tx, rx) = (Desc { buf: TX_BUF, len: 16, flags: FLAG_OWN }.encode(), Desc { buf: RX_BUF, len: 1536, flags: FLAG_OWN }.encode());
    let w = |d: [u8; 8], i: usize| u32::from_le_bytes(d[i..i + 4].try_into().unwrap());
    a.poke(TX_DESC, w(tx, 0)).poke(TX_DESC + 4, w(tx, 4)).poke(RX_DESC, w(rx, 0)).poke(RX_DESC + 4, w(rx, 4));
    let e = eth::BASE;
    a.poke(e + eth::reg::CTRL, eth::CTRL_ENABLE);
    a.poke(e + eth::reg::TX_RING, TX_DESC).poke(e + eth::reg::TX_LEN, 1).poke(e + eth::reg::RX_RING, RX_DESC).poke(e + eth::reg::RX_LEN, 1);
    a.poke(e + eth::reg::TX_DOORBELL, 1);
    a.label("loop").sleep(u64::MAX).peek(sysctl::BASE + sysctl::reg::EVENTS).li(0, SRAM.base).str(2, 0, 0x10).b("loop");
    a.finish()
}

#[test]
fn tx_ring_frames_come_out_and_descriptors_go_back() {
    let mut m = powered(nic_program(), 0);
    m.run(0);
    assert_eq!(m.nic_take_sent(), [frame(16)]);
    assert!(m.nic_take_sent().is_empty());
    assert_eq!(m.peek(TX_DESC, 8).unwrap(), Desc { buf: TX_BUF, len: 16, flags: 0 }.encode());
}

#[test]
fn rx_frames_land_in_owned_buffers_and_wake_the_cpu() {
    let mut m = powered(nic_program(), 0);
    m.run(0);
    assert!(m.nic_receive(10, &frame(64)));
    assert_eq!(m.poll_at(), Some(10));
    m.run(10);
    assert_eq!(m.peek(RX_BUF, 64).unwrap(), frame(64));
    assert_eq!(m.peek(RX_DESC, 8).unwrap(), Desc { buf: RX_BUF, len: 64, flags: 0 }.encode());
    assert_eq!(word(&m, SRAM.base + 0x10), sysctl::EVENT_NIC_RX);
    assert!(!m.nic_receive(20, &frame(64)), "no descriptor left: dropped");
}

#[test]
fn an_unpowered_phone_receives_nothing() {
    let mut m = machine(nic_program(), Vec::new());
    assert!(!m.nic_receive(0, &frame(64)));
}

/// Pulling or plugging the cable wakes the CPU with EVENT_LINK and shows in
/// ETH STATUS; setting the state it already has changes nothing.
#[test]
fn a_link_change_wakes_the_cpu_with_the_link_event() {
    use board::map::SRAM;
    use board::periph::{eth, sysctl};
    let mut a = Asm::rom();
    a.label("loop")
        .sleep(u64::MAX)
        .peek(sysctl::BASE + sysctl::reg::EVENTS)
        .li(0, SRAM.base)
        .str(2, 0, 0)
        .peek(eth::BASE + eth::reg::STATUS)
        .li(0, SRAM.base)
        .str(2, 0, 4)
        .b("loop");
    let mut m = powered(a.finish(), 0);
    assert_eq!(m.run(0), machine::Stop::Sleeping { until: None });
    m.set_link(10, true);
    assert_eq!(m.poll_at(), None, "already up: no wake");
    m.set_link(20, false);
    assert_eq!(m.poll_at(), Some(20));
    m.run(20);
    assert_eq!((word(&m, SRAM.base), word(&m, SRAM.base + 4)), (sysctl::EVENT_LINK, 0));
    m.set_link(30, true);
    m.run(30);
    assert_eq!((word(&m, SRAM.base), word(&m, SRAM.base + 4)), (sysctl::EVENT_LINK, eth::STATUS_LINK_UP));
}
