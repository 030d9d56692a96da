//! [`Net`]: the smoltcp interface and the phone's network tasks, polled
//! from the main loop with time passed in.
//!
//! After the first DHCP lease since boot SNTP starts (server: `[ntp]
//! NtpIP` when `NTPFlag=1`, else option 42). The INF search runs when the
//! firmware's schedule starts a run ([`Net::start_search`]): the
//! candidates of `aps::source` (pre-configuration, then the DHCP reply)
//! with the `InfSearch` retry rule (P5). A check-sync NOTIFY is judged by
//! `aps::notify` (refused: `403`, `sip: … refused` line); an accepted one
//! waits in [`Net::take_notify`] for the schedule. Each fetch logs
//! `fetch: <proto> <server> <name> <len> bytes crc32=<hex>` or why it
//! failed; a search that fails leaves its L2 message for the UI
//! ([`Net::take_failure`]). SNTP re-syncs every hour (every minute after a
//! failure).
//!
//! VLAN (`aps::vlan`): [`Net::boot_vlan`] tags the driver before the first
//! DHCP; the first lease's valid 190–192 set retags it inside the same
//! poll, before any fetch of the run is sent, and logs `vlan: tagging 4
//! priority 0 (DHCP)`; a set to persist waits in [`Net::take_vlan_store`].
//!
//! Guarantees: every buffer is fixed (see `storage`); every task has a
//! deadline; `poll_at` is the next instant any of them needs the CPU.

use super::Console;
use super::clock::WallClock;
use super::fetch::{self, Fetch, Outcome, Proto};
use super::lease::{Lease, Outgoing};
use super::resolve::{Resolved, Resolver};
use super::sink::{Crc, CrcUpdate, KeepCrc};
use super::sip::{self, Seen};
use super::storage::Storage;
use super::vlan::{self, Tagging, Vlan};
use crate::config::Config;
use aps::Model;
use aps::dhcp::{DhcpVlan, Reply, TftpFrom};
use aps::lcd::Message;
use aps::names::Mac;
use aps::notify::{self, Verdict};
use aps::settings;
use aps::source::{self, InfSearch, Method, PreConfig, Step, Transport};
use aps::time::Instant as ApsInstant;
use aps::url::{Authority, Host};
use core::fmt::Write;
use core::net::{Ipv4Addr, SocketAddrV4};
use core::time::Duration;
use heapless::String;
use netclient::Sink;
use netclient::sntp::{self, SntpClient};
use smoltcp::iface::{Config as IfaceConfig, Interface, SocketHandle, SocketSet};
use smoltcp::phy::Device;
use smoltcp::socket::{dhcpv4, tcp, udp};
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpCidr, IpEndpoint, Ipv4Cidr};

/// Bytes of a fetched file kept in RAM (an INF fits).
pub const KEEP: usize = 8192;
pub const SIP_PORT: u16 = 5060;
const NTP_RESYNC_US: u64 = 3_600_000_000;
const NTP_RETRY_US: u64 = 60_000_000;

pub const KEY_HTTP_SERVER: &[u8] = b"autoprovision.AutoprovisionHTTPServer";
pub const KEY_TFTP_SERVER: &[u8] = b"autoprovision.AutoprovisionTFTPServer";
pub const KEY_CONFIG_NAME: &[u8] = b"autoprovision.AutoprovisionConfigname";
pub const KEY_RETRY_PERIOD: &[u8] = b"autoprovision.AutoprovisionRetryPeriod";
pub const KEY_NTP_FLAG: &[u8] = b"ntp.NTPFlag";
pub const KEY_NTP_IP: &[u8] = b"ntp.NtpIP";
pub const KEY_VENDOR_CLASS_FORMAT: &[u8] = b"net.DHCPVendorClassFormat";
pub const KEY_SIP_NOTIFY: &[u8] = b"sip.sw_notify_autoprovision";
pub const KEY_AUTH_NOTIFY: &[u8] = b"sip.AuthNotifyCheckSync";

/// Where the INF was found (the winning candidate of the search).
pub struct FoundInf {
    pub http: bool,
    pub host: String<253>,
    pub port: u16,
    pub name: heapless::Vec<u8, 255>,
}

/// Who the phone is on the network.
#[derive(Clone, Copy)]
pub struct Ident<'a> {
    pub model: Model,
    pub mac: [u8; 6],
    /// `THOMSON ST2030 hw5 fw2.74 00-90-96-A1-B1-C1`.
    pub user_agent: &'a str,
}

#[derive(Clone, Copy)]
struct Handles {
    dhcp: SocketHandle,
    tftp: SocketHandle,
    dns: SocketHandle,
    sntp: SocketHandle,
    sip: SocketHandle,
    tcp: SocketHandle,
}

// No allocator to box the large variants.
#[allow(clippy::large_enum_variant)]
enum Ntp {
    Off,
    Idle { at: u64 },
    Resolving(Resolver),
    Query(SntpClient),
}

pub struct Net {
    iface: Interface,
    set: SocketSet<'static>,
    h: Handles,
    model: Model,
    mac: [u8; 6],
    lease: Lease,
    ip: Option<Ipv4Cidr>,
    dns: heapless::Vec<Ipv4Addr, 3>,
    fetch: Fetch,
    sink: KeepCrc<KEEP>,
    search: Option<InfSearch>,
    searched: bool,
    /// An accepted check-sync NOTIFY (its `reboot`), until the firmware takes it.
    notify: Option<bool>,
    /// Where the INF came from, until the firmware takes it.
    found: Option<FoundInf>,
    /// The fetch in progress is the provisioning run's.
    run_fetch: bool,
    run_crc: u32,
    crc_update: CrcUpdate,
    run_done: Option<(Outcome, bool)>,
    failure: Option<Message>,
    ntp: Ntp,
    ntp_server: Option<String<253>>,
    clock: Option<WallClock>,
    next_port: u16,
    rng: u32,
    sip_out: [u8; 1500],
    vlan: aps::vlan::Policy,
    stored_vlan: Option<DhcpVlan>,
    vlan_to_store: Option<DhcpVlan>,
    /// The cable is in (as last told by [`Net::link_changed`]).
    link_up: bool,
}

fn ts(now: u64) -> Instant {
    Instant::from_micros(now.min(i64::MAX as u64) as i64)
}

fn nonempty(v: Option<&[u8]>) -> Option<&[u8]> {
    v.filter(|v| !v.is_empty())
}

/// The pre-configured INF source (P1, P2) from the config store.
pub fn preconfig(config: &Config) -> PreConfig<'_> {
    PreConfig {
        http_server: nonempty(config.get(KEY_HTTP_SERVER)).and_then(|v| Authority::parse(v).ok()),
        tftp_server: nonempty(config.get(KEY_TFTP_SERVER)).and_then(|v| Authority::parse(v).ok()),
        config_name: nonempty(config.get(KEY_CONFIG_NAME)),
    }
}

fn host_text(h: Host) -> String<253> {
    let mut s = String::new();
    match h {
        Host::Ip(ip) => {
            let _ = write!(s, "{ip}");
        }
        Host::Name(n) => {
            let _ = s.push_str(core::str::from_utf8(n).unwrap_or("?"));
        }
    }
    s
}

fn method_name(m: Method) -> &'static str {
    match m {
        Method::PreconfiguredHttp => "AutoprovisionHTTPServer",
        Method::PreconfiguredTftp => "AutoprovisionTFTPServer",
        Method::Option43 => "option 43",
        Method::Tftp(TftpFrom::Option150) => "option 150",
        Method::Tftp(TftpFrom::Option66) => "option 66",
        Method::Tftp(TftpFrom::NextServer) => "next server",
    }
}

/// Latin-1 bytes shown as text (non-ASCII as `?`).
struct Text<'a>(&'a [u8]);

impl core::fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for &b in self.0 {
            f.write_char(if b.is_ascii_graphic() || b == b' ' { b as char } else { '?' })?;
        }
        Ok(())
    }
}

impl Net {
    /// Sets up the interface and the sockets; DHCP starts at the first poll.
    /// `crc_update` hashes every fetched byte (see [`CrcUpdate`]).
    pub fn new(st: Storage, device: &mut impl Device, id: Ident, config: &Config, now: u64, seed: u32, crc_update: CrcUpdate) -> Net {
        let Storage { buffers, tables } = st;
        let super::storage::Buffers { tftp, dns, sntp, sip, tcp_rx, tcp_tx, dhcp_rx, vendor_class, user_class } = buffers;
        let super::storage::Tables { sockets, tftp: tftp_m, dns: dns_m, sntp: sntp_m, sip: sip_m, dhcp_options } = tables;
        let mut icfg = IfaceConfig::new(HardwareAddress::Ethernet(EthernetAddress(id.mac)));
        icfg.random_seed = u64::from(seed) << 32 | u64::from(seed.rotate_left(13) ^ 0x9E37_79B9);
        let iface = Interface::new(icfg, device, ts(now));
        let mut set = SocketSet::new(&mut sockets[..]);

        let format = nonempty(config.get(KEY_VENDOR_CLASS_FORMAT)).and_then(|v| settings::parse_format(v).ok()).unwrap_or_default();
        let asks_vlan = vlan::settings(config).enabled;
        let out = Outgoing::new(id.model, format, asks_vlan);
        let vc = &mut vendor_class[..out.vendor_class.len()];
        vc.copy_from_slice(&out.vendor_class);
        user_class.copy_from_slice(&out.user_class);
        dhcp_options[0] = smoltcp::wire::DhcpOption { kind: aps::dhcp::code::VENDOR_CLASS, data: vc };
        dhcp_options[1] = smoltcp::wire::DhcpOption { kind: aps::dhcp::code::USER_CLASS, data: &user_class[..] };
        let mut d = dhcpv4::Socket::new();
        d.set_outgoing_options(&dhcp_options[..]);
        d.set_parameter_request_list(out.request_list);
        d.set_receive_packet_buffer(&mut dhcp_rx[..]);
        let dhcp = set.add(d);

        let udp_socket = |m: &'static mut [_], b: &'static mut [u8], tm: &'static mut [_], tb: &'static mut [u8]| {
            udp::Socket::new(udp::PacketBuffer::new(m, b), udp::PacketBuffer::new(tm, tb))
        };
        let tftp = set.add(udp_socket(&mut tftp_m.rx, &mut tftp.rx, &mut tftp_m.tx, &mut tftp.tx));
        let dns = set.add(udp_socket(&mut dns_m.rx, &mut dns.rx, &mut dns_m.tx, &mut dns.tx));
        let sntp = set.add(udp_socket(&mut sntp_m.rx, &mut sntp.rx, &mut sntp_m.tx, &mut sntp.tx));
        let sip = set.add(udp_socket(&mut sip_m.rx, &mut sip.rx, &mut sip_m.tx, &mut sip.tx));
        let tcp = set.add(tcp::Socket::new(tcp::SocketBuffer::new(&mut tcp_rx[..]), tcp::SocketBuffer::new(&mut tcp_tx[..])));
        let h = Handles { dhcp, tftp, dns, sntp, sip, tcp };
        let _ = set.get_mut::<udp::Socket>(h.sip).bind(SIP_PORT);

        let mut net = Net {
            iface,
            set,
            h,
            model: id.model,
            mac: id.mac,
            lease: Lease::new(),
            ip: None,
            dns: heapless::Vec::new(),
            fetch: Fetch::new(id.user_agent),
            sink: KeepCrc::new(crc_update),
            search: None,
            searched: false,
            notify: None,
            found: None,
            run_fetch: false,
            run_crc: !0,
            crc_update,
            run_done: None,
            failure: None,
            ntp: Ntp::Off,
            ntp_server: None,
            clock: None,
            next_port: 0,
            rng: seed | 1,
            sip_out: [0; 1500],
            vlan: aps::vlan::Policy::boot(vlan::settings(config), None),
            stored_vlan: None,
            vlan_to_store: None,
            link_up: true,
        };
        net.next_port = 49152 + (net.random() % 8192) as u16;
        let p = net.port();
        let _ = net.set.get_mut::<udp::Socket>(h.dns).bind(p);
        let p = net.port();
        let _ = net.set.get_mut::<udp::Socket>(h.sntp).bind(p);
        net
    }

    fn random(&mut self) -> u32 {
        // xorshift32: ports, DNS ids and SNTP cookies only need to differ.
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rng = x;
        x
    }

    fn port(&mut self) -> u16 {
        let p = self.next_port;
        self.next_port = if p >= 65000 { 49152 } else { p + 1 };
        p
    }

    /// Sets the boot tag from the config and the set flash holds (V4);
    /// call once, before the first `poll`.
    pub fn boot_vlan(&mut self, device: &mut impl Tagging, config: &Config, stored: Option<DhcpVlan>, con: &mut impl Console) {
        self.vlan = aps::vlan::Policy::boot(vlan::settings(config), stored);
        self.stored_vlan = stored;
        let a = self.vlan.applied();
        device.set_vlan(a.tag.map(Vlan::from));
        log_vlan(a, con);
    }

    /// The VLAN tag in use and why.
    pub fn vlan(&self) -> aps::vlan::Applied {
        self.vlan.applied()
    }

    /// A DHCP VLAN set to write to flash (V4), once.
    pub fn take_vlan_store(&mut self) -> Option<DhcpVlan> {
        self.vlan_to_store.take()
    }

    pub fn ip(&self) -> Option<Ipv4Cidr> {
        self.ip
    }

    pub fn clock(&self) -> Option<WallClock> {
        self.clock
    }

    /// The L2 message of a failed INF search, once.
    pub fn take_failure(&mut self) -> Option<Message> {
        self.failure.take()
    }

    /// What the last fetched file's first bytes were (an INF).
    pub fn fetched(&self) -> &[u8] {
        self.sink.kept()
    }

    /// The INF, once the search found it (once): where from, and its bytes
    /// (`None` when it was larger than [`KEEP`]).
    pub fn take_inf(&mut self) -> Option<(FoundInf, Option<&[u8]>)> {
        let f = self.found.take()?;
        Some((f, self.sink.complete().then(|| self.sink.kept())))
    }

    /// Starts a fetch for the provisioning run; the bytes go to the sink
    /// passed to `poll`, the end comes from [`Net::take_run_fetch`].
    pub fn start_run_fetch(&mut self, now: u64, proto: Proto, host: &str, port: u16, name: &[u8]) {
        let dns_id = self.random() as u16;
        self.run_fetch = true;
        self.run_crc = !0;
        self.run_done = None;
        self.fetch.start(now, proto, host, port, name, dns_id, &self.dns);
    }

    /// How the run's fetch ended: the outcome, and whether it was a server
    /// error other than "not found".
    pub fn take_run_fetch(&mut self) -> Option<(Outcome, bool)> {
        self.run_done.take()
    }

    /// `run_sink`: where the bytes of a run fetch go (while one is running).
    pub fn poll(&mut self, now: u64, device: &mut (impl Device + Tagging), config: &Config, con: &mut impl Console, run_sink: Option<&mut impl Sink>) {
        self.iface.poll(ts(now), device, &mut self.set);
        self.poll_dhcp(now, config, con, device);
        self.poll_sip(config, con);
        self.poll_dns_replies();
        self.poll_fetch(now, con, run_sink);
        self.poll_search(now, config, con);
        self.poll_ntp(now, con);
        self.iface.poll(ts(now), device, &mut self.set);
    }

    /// The next instant `poll` has work (`u64::MAX`: only on a frame).
    pub fn poll_at(&mut self, now: u64) -> u64 {
        // Unplugged and without a lease, only DHCP has timers, and what it
        // would send is lost: it sleeps until the link comes up (which
        // restarts it), so phones waiting for their cable cost no wake-ups.
        let dhcp_only = !self.link_up && self.ip.is_none();
        let iface = self.iface.poll_at(ts(now), &self.set).filter(|_| !dhcp_only).map(|t| t.total_micros().max(0) as u64);
        let ntp = match &self.ntp {
            Ntp::Off => None,
            Ntp::Idle { at } => Some(*at),
            Ntp::Resolving(r) => r.poll_at(),
            Ntp::Query(c) => c.poll_at(),
        };
        let search = self.search.as_ref().and_then(|s| s.poll_at()).map(|i| i.micros());
        [iface, self.fetch.poll_at(), search, ntp].into_iter().flatten().min().map_or(u64::MAX, |t| t.max(now))
    }

    /// The cable was plugged in (`up`) or pulled out. A phone without a
    /// lease starts DHCP over at once when the link comes up, instead of
    /// waiting for its next retransmission (what it sent while unplugged was
    /// lost; unplugged, its DHCP timers do not wake it); a lease it holds is
    /// kept.
    pub fn link_changed(&mut self, up: bool, con: &mut impl Console) {
        con.line(format_args!("eth: link {}", if up { "up" } else { "down" }));
        self.link_up = up;
        if up && self.ip.is_none() {
            self.set.get_mut::<dhcpv4::Socket>(self.h.dhcp).reset();
        }
    }

    fn poll_dhcp(&mut self, now: u64, config: &Config, con: &mut impl Console, device: &mut impl Tagging) {
        let sock = self.set.get_mut::<dhcpv4::Socket>(self.h.dhcp);
        let Some(ev) = sock.poll() else { return };
        let (cidr, router, dns) = match ev {
            dhcpv4::Event::Deconfigured => {
                if self.ip.is_some() {
                    con.line(format_args!("dhcp: lease lost"));
                }
                self.iface.update_ip_addrs(|a| a.clear());
                self.iface.routes_mut().remove_default_ipv4_route();
                self.ip = None;
                return;
            }
            dhcpv4::Event::Configured(c) => {
                match c.packet {
                    Some(p) => self.lease.set(p.into_inner()),
                    None => self.lease.clear(),
                }
                (c.address, c.router, c.dns_servers.clone())
            }
        };
        self.iface.update_ip_addrs(|a| {
            a.clear();
            let _ = a.push(IpCidr::Ipv4(cidr));
        });
        match router {
            Some(r) => {
                let _ = self.iface.routes_mut().add_default_ipv4_route(r);
            }
            None => {
                self.iface.routes_mut().remove_default_ipv4_route();
            }
        }
        self.dns = dns.iter().copied().take(3).collect();
        self.ip = Some(cidr);
        let mut line: String<160> = String::new();
        let _ = write!(line, "dhcp: lease {cidr}");
        if let Some(r) = router {
            let _ = write!(line, " router {r}");
        }
        for d in &self.dns {
            let _ = write!(line, " dns {d}");
        }
        con.line(format_args!("{line}"));
        if let Some(reply) = self.lease.reply() {
            log_reply(&reply, self.model, self.mac, con);
        }
        let offered = self.lease.reply().and_then(|r| r.vlan);
        let act = self.vlan.lease(offered, self.stored_vlan);
        if let Some(tag) = act.retag {
            device.set_vlan(tag.map(Vlan::from));
            log_vlan(self.vlan.applied(), con);
        }
        if let Some(v) = act.store {
            self.stored_vlan = Some(v);
            self.vlan_to_store = Some(v);
        }
        if !self.searched {
            self.searched = true;
            self.start_ntp(now, config, con);
        }
    }

    /// Whether the phone has an address (a run can search).
    pub fn leased(&self) -> bool {
        self.ip.is_some()
    }

    /// An accepted check-sync NOTIFY since the last call: its `reboot`.
    pub fn take_notify(&mut self) -> Option<bool> {
        self.notify.take()
    }

    /// Starts an INF search (a provisioning run's first step); false when
    /// provisioning is off (`AutoprovisionFlag=0`) or a search is running.
    pub fn start_search(&mut self, now: u64, config: &Config, con: &mut impl Console) -> bool {
        if !config.aps_enabled() {
            con.line(format_args!("aps: disabled (AutoprovisionFlag=0)"));
            return false;
        }
        if self.search.is_some() {
            return false;
        }
        self.found = None;
        self.failure = None;
        let reply = self.lease.reply();
        let pre = preconfig(config);
        let cands = source::candidates(&pre, reply.as_ref(), self.model, Mac(self.mac));
        for c in &cands {
            con.line(format_args!("aps: candidate {} {} {} via {}", proto_of(c.transport).name(), host_text(c.host), Text(c.name.as_bytes()), method_name(c.method)));
        }
        let period = nonempty(config.get(KEY_RETRY_PERIOD)).and_then(|v| settings::parse_number(v, 1, 86_400).ok()).map_or(source::DEFAULT_RETRY_PERIOD, |s| Duration::from_secs(s.into()));
        self.search = Some(InfSearch::new(cands.len(), period));
        let _ = now;
        true
    }

    fn poll_search(&mut self, now: u64, config: &Config, con: &mut impl Console) {
        let Some(search) = &mut self.search else { return };
        match search.poll(ApsInstant::from_micros(now)) {
            Step::Wait => {}
            Step::Fetch(i) => {
                let dns_id = self.random() as u16;
                let reply = self.lease.reply();
                let pre = preconfig(config);
                let cands = source::candidates(&pre, reply.as_ref(), self.model, Mac(self.mac));
                let Some(c) = cands.get(i) else { return };
                let host = host_text(c.host);
                self.sink.reset();
                self.fetch.start(now, proto_of(c.transport), &host, c.port, c.name.as_bytes(), dns_id, &self.dns);
            }
            Step::Found(i) => {
                con.line(format_args!("aps: INF found ({} bytes)", self.sink.len()));
                self.search = None;
                let reply = self.lease.reply();
                let pre = preconfig(config);
                let cands = source::candidates(&pre, reply.as_ref(), self.model, Mac(self.mac));
                if let Some(c) = cands.get(i) {
                    let mut name = heapless::Vec::new();
                    let _ = name.extend_from_slice(c.name.as_bytes());
                    self.found = Some(FoundInf { http: c.transport == Transport::Http, host: host_text(c.host), port: c.port, name });
                }
            }
            Step::Failed(msg) => {
                con.line(format_args!("aps: {}", msg.text()));
                self.failure = Some(msg);
                self.search = None;
            }
        }
    }

    fn poll_fetch(&mut self, now: u64, con: &mut impl Console, run_sink: Option<&mut impl Sink>) {
        let socks = fetch::Sockets { tftp: self.h.tftp, tcp: self.h.tcp };
        let next_port = &mut self.next_port;
        let mut port = || {
            let p = *next_port;
            *next_port = if p >= 65000 { 49152 } else { p + 1 };
            p
        };
        match run_sink {
            Some(s) if self.run_fetch => {
                let mut tee = Crc { inner: s, crc: &mut self.run_crc, update: self.crc_update };
                self.fetch.poll(now, &mut self.iface, &mut self.set, socks, self.h.dns, &mut tee, &mut port);
            }
            _ => self.fetch.poll(now, &mut self.iface, &mut self.set, socks, self.h.dns, &mut self.sink, &mut port),
        }
        let Some(outcome) = self.fetch.take_outcome() else { return };
        let (proto, host, name) = (self.fetch.proto().name(), self.fetch.host(), Text(self.fetch.name()));
        let crc = if self.run_fetch { !self.run_crc } else { self.sink.crc32() };
        let reported = match outcome {
            Outcome::Found { len } => {
                con.line(format_args!("fetch: {proto} {host} {name} {len} bytes crc32={crc:08x}"));
                source::Outcome::Found
            }
            Outcome::NotFound => {
                con.line(format_args!("fetch: {proto} {host} {name} not found{}", Detail(self.fetch.detail, "not found")));
                source::Outcome::NotFound
            }
            Outcome::Unreachable => {
                con.line(format_args!("fetch: {proto} {host} {name} unreachable{}", Detail(self.fetch.detail, "")));
                source::Outcome::Unreachable
            }
        };
        if self.run_fetch {
            self.run_fetch = false;
            self.run_done = Some((outcome, self.fetch.detail == Some("server error")));
            return;
        }
        if let Some(s) = &mut self.search {
            s.report(ApsInstant::from_micros(now), reported);
        }
    }

    fn poll_dns_replies(&mut self) {
        let sock = self.set.get_mut::<udp::Socket>(self.h.dns);
        while let Ok((data, meta)) = sock.recv() {
            if meta.endpoint.port != 53 {
                continue;
            }
            self.fetch.dns_reply(data);
            if let Ntp::Resolving(r) = &mut self.ntp {
                r.process(data);
            }
        }
    }

    fn start_ntp(&mut self, now: u64, config: &Config, con: &mut impl Console) {
        let flag = nonempty(config.get(KEY_NTP_FLAG)).and_then(|v| settings::parse_bool(v).ok()).unwrap_or(false);
        let configured = nonempty(config.get(KEY_NTP_IP)).filter(|_| flag).and_then(|v| Host::parse(v).ok());
        let from_dhcp = self.lease.reply().and_then(|r| r.ntp.first().copied()).map(Host::Ip);
        match configured.or(from_dhcp) {
            Some(h) => {
                self.ntp_server = Some(host_text(h));
                self.ntp = Ntp::Idle { at: now };
            }
            None => con.line(format_args!("ntp: no server")),
        }
    }

    fn poll_ntp(&mut self, now: u64, con: &mut impl Console) {
        let Some(server) = self.ntp_server.clone() else { return };
        if let Ntp::Idle { at } = self.ntp
            && now >= at
        {
            self.ntp = match aps::url::parse_ipv4(server.as_bytes()) {
                Some(ip) => Ntp::Query(SntpClient::new(SocketAddrV4::new(ip, 123), u64::from(self.random()) << 16 | 1, 2_000_000, 3)),
                None => Ntp::Resolving(Resolver::new(&server, self.random() as u16, &self.dns)),
            };
        }
        match &mut self.ntp {
            Ntp::Off | Ntp::Idle { .. } => {}
            Ntp::Resolving(r) => {
                let sock = self.set.get_mut::<udp::Socket>(self.h.dns);
                r.dispatch(now, |to, q| sock.send_slice(q, IpEndpoint::from(to)));
                match r.result() {
                    Resolved::Pending => {}
                    Resolved::Failed => {
                        con.line(format_args!("ntp: cannot resolve {server}"));
                        self.ntp = Ntp::Idle { at: now + NTP_RETRY_US };
                    }
                    Resolved::Addr(ip) => {
                        let cookie = u64::from(self.random()) << 16 | 1;
                        self.ntp = Ntp::Query(SntpClient::new(SocketAddrV4::new(ip, 123), cookie, 2_000_000, 3));
                    }
                }
            }
            Ntp::Query(c) => {
                let sock = self.set.get_mut::<udp::Socket>(self.h.sntp);
                while let Ok((data, meta)) = sock.recv() {
                    let smoltcp::wire::IpAddress::Ipv4(ip) = meta.endpoint.addr;
                    c.process(now, SocketAddrV4::new(ip, meta.endpoint.port), data);
                }
                let _ = c.dispatch(now, |to, b| sock.send_slice(b, IpEndpoint::from(to)));
                match c.status() {
                    sntp::Status::InProgress => {}
                    sntp::Status::Done { reply, at } => {
                        let clock = WallClock::new(reply.unix_secs(), at);
                        let t = clock.local(now, 0);
                        con.line(format_args!(
                            "ntp: {:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC from {server}",
                            t.year, t.month, t.day, t.hour, t.minute, t.second
                        ));
                        self.clock = Some(clock);
                        self.ntp = Ntp::Idle { at: now + NTP_RESYNC_US };
                    }
                    sntp::Status::Failed(e) => {
                        con.line(format_args!("ntp: {server}: {e}"));
                        self.ntp = Ntp::Idle { at: now + NTP_RETRY_US };
                    }
                }
            }
        }
    }

    fn poll_sip(&mut self, config: &Config, con: &mut impl Console) {
        let sock = self.set.get_mut::<udp::Socket>(self.h.sip);
        // Bounded by the socket's four receive slots.
        while let Ok((data, meta)) = sock.recv() {
            let smoltcp::wire::IpAddress::Ipv4(from) = meta.endpoint.addr;
            let verdict = notify::judge(config.get(KEY_SIP_NOTIFY), config.get(KEY_AUTH_NOTIFY), from);
            let (seen, n) = sip::answer(data, "st20xx", verdict, &mut self.sip_out);
            match seen {
                Seen::CheckSync { reboot, verdict } => {
                    con.line(format_args!("sip: NOTIFY check-sync from {from} reboot={reboot}"));
                    if verdict == Verdict::Accept {
                        self.notify.get_or_insert(reboot);
                    } else {
                        con.line(format_args!("sip: NOTIFY from {from} {}", verdict_text(verdict)));
                    }
                }
                Seen::Answered(code) => con.line(format_args!("sip: {code} to {}", meta.endpoint.addr)),
                Seen::Dropped => {}
            }
            if n > 0 {
                let _ = sock.send_slice(&self.sip_out[..n], meta.endpoint);
            }
        }
    }
}

/// Why a check-sync NOTIFY starts nothing.
fn verdict_text(v: Verdict) -> &'static str {
    match v {
        Verdict::Accept => "accepted",
        Verdict::Disabled => "ignored (sw_notify_autoprovision=0)",
        Verdict::Untrusted => "refused (AuthNotifyCheckSync): 403",
    }
}

fn log_vlan(a: aps::vlan::Applied, con: &mut impl Console) {
    match a.tag {
        Some(t) => con.line(format_args!("vlan: tagging {} priority {} ({})", t.id, t.priority, a.source.name())),
        None => con.line(format_args!("vlan: untagged ({})", a.source.name())),
    }
}

/// ` (why)` after a failure, unless it only repeats the failure.
struct Detail(Option<&'static str>, &'static str);

impl core::fmt::Display for Detail {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            Some(d) if d != self.1 && !d.is_empty() => write!(f, " ({d})"),
            _ => Ok(()),
        }
    }
}

fn proto_of(t: Transport) -> Proto {
    match t {
        Transport::Tftp => Proto::Tftp,
        Transport::Http => Proto::Http,
    }
}

/// The provisioning part of a DHCP reply, one console line each.
fn log_reply(r: &Reply, model: Model, mac: [u8; 6], con: &mut impl Console) {
    if let Some((h, from)) = r.tftp_server() {
        con.line(format_args!("dhcp: tftp server {} ({})", host_text(h), method_name(Method::Tftp(from))));
        con.line(format_args!("dhcp: inf name {}", Text(r.inf_name(model, Mac(mac)).as_bytes())));
    }
    if let Some(u) = r.inf_url {
        con.line(format_args!("dhcp: inf url {}://{}:{}{}", u.scheme.as_str(), Text(u.host_text), u.port, Text(u.path)));
    }
    for n in &r.ntp {
        con.line(format_args!("dhcp: ntp {n}"));
    }
    if let Some(v) = r.vlan {
        con.line(format_args!("dhcp: vlan voice {} data {}", v.voice, v.data));
    }
    for x in &r.rejected {
        con.line(format_args!("dhcp: rejected option {}: {}", x.code, x.reason));
    }
}
