//! Every buffer the network stack uses, in two structs the binary places in
//! statics (the zeroed bytes in `.bss`, the small tables with pointers in
//! `.data`): no allocator, and the sizes show at link time.
//!
//! Sizes: TFTP receives up to four 1428-byte blocks ahead, the TCP window
//! is 8 KiB (a burst of six segments fits the 8 RX descriptors), SIP takes
//! four datagrams of up to 1500 bytes.

use super::lease::RAW_MAX;
use smoltcp::iface::SocketStorage;
use smoltcp::wire::DhcpOption;
use smoltcp::storage::PacketMetadata;

pub const SOCKETS: usize = 6;

/// Socket receive/transmit bytes: all zero, so they land in `.bss`.
pub struct UdpBytes<const N: usize, const TN: usize> {
    pub rx: [u8; N],
    pub tx: [u8; TN],
}

impl<const N: usize, const TN: usize> UdpBytes<N, TN> {
    pub const fn new() -> Self {
        UdpBytes { rx: [0; N], tx: [0; TN] }
    }
}

impl<const N: usize, const TN: usize> Default for UdpBytes<N, TN> {
    fn default() -> Self {
        Self::new()
    }
}

/// Per-datagram metadata slots.
pub struct UdpMeta<const M: usize, const TM: usize> {
    pub rx: [PacketMetadata<smoltcp::socket::udp::UdpMetadata>; M],
    pub tx: [PacketMetadata<smoltcp::socket::udp::UdpMetadata>; TM],
}

impl<const M: usize, const TM: usize> UdpMeta<M, TM> {
    pub const fn new() -> Self {
        UdpMeta { rx: [PacketMetadata::EMPTY; M], tx: [PacketMetadata::EMPTY; TM] }
    }
}

impl<const M: usize, const TM: usize> Default for UdpMeta<M, TM> {
    fn default() -> Self {
        Self::new()
    }
}

/// The large buffers (zero-initialised: `.bss`).
pub struct Buffers {
    pub tftp: UdpBytes<6144, 1024>,
    pub dns: UdpBytes<1024, 640>,
    pub sntp: UdpBytes<256, 256>,
    pub sip: UdpBytes<6144, 6144>,
    pub tcp_rx: [u8; 8192],
    pub tcp_tx: [u8; 2048],
    pub dhcp_rx: [u8; RAW_MAX],
    pub vendor_class: [u8; aps::dhcp::VENDOR_CLASS_MAX],
    pub user_class: [u8; 15],
}

impl Buffers {
    pub const fn new() -> Buffers {
        Buffers {
            tftp: UdpBytes::new(),
            dns: UdpBytes::new(),
            sntp: UdpBytes::new(),
            sip: UdpBytes::new(),
            tcp_rx: [0; 8192],
            tcp_tx: [0; 2048],
            dhcp_rx: [0; RAW_MAX],
            vendor_class: [0; aps::dhcp::VENDOR_CLASS_MAX],
            user_class: [0; 15],
        }
    }
}

impl Default for Buffers {
    fn default() -> Self {
        Self::new()
    }
}

/// The small tables (socket slots, metadata, DHCP options): `.data`.
pub struct Tables {
    pub sockets: [SocketStorage<'static>; SOCKETS],
    pub tftp: UdpMeta<4, 2>,
    pub dns: UdpMeta<2, 2>,
    pub sntp: UdpMeta<2, 2>,
    pub sip: UdpMeta<4, 4>,
    pub dhcp_options: [DhcpOption<'static>; 2],
}

impl Tables {
    pub const fn new() -> Tables {
        Tables {
            sockets: [SocketStorage::EMPTY; SOCKETS],
            tftp: UdpMeta::new(),
            dns: UdpMeta::new(),
            sntp: UdpMeta::new(),
            sip: UdpMeta::new(),
            dhcp_options: [DhcpOption { kind: 0, data: &[] }; 2],
        }
    }
}

impl Default for Tables {
    fn default() -> Self {
        Self::new()
    }
}

/// Both halves, as the binary's statics lend them.
pub struct Storage {
    pub buffers: &'static mut Buffers,
    pub tables: &'static mut Tables,
}
