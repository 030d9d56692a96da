//! The built-in lab: one host (default 02:00:00:00:00:01 at 10.0.0.1 and
//! 10.0.0.2 /24) with DHCP, DNS, SNTP, TFTP and HTTP servers and a SIP NOTIFY
//! sender, as a [`Port`] on the emulator's clock.
//!
//! The host is a smoltcp `Interface` over an in-memory device; each server
//! is a set of smoltcp sockets served after every interface poll. Files come
//! from one directory, read-only. Everything a phone asked for is kept as a
//! [`LabRecord`] log ([`Lab::take_events`]) for the trace.
//!
//! Guarantees: deterministic (no clock, no randomness: same frames at the
//! same times ⇒ same replies and events); never panics on a frame; a frame
//! handed in with `receive` is processed on the next `transmit`, as the
//! [`Port`] contract says.

mod config;
mod device;
mod dhcp;
mod dns;
mod files;
mod http;
mod sip;
mod sntp;
mod tftp;
mod vlans;
#[cfg(test)]
mod tests;

pub use config::{ConfigError, DhcpClass, DhcpConfig, HttpConfig, LabConfig, SipConfig, SntpConfig, TftpConfig, hex, parse_option_arg, parse_option_value};
pub use dhcp::DhcpOptionHex;

use crate::port::Port;
use device::Wire;
use serde::Serialize;
use smoltcp::iface::{Config, Interface, SocketSet};
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpCidr};
use std::net::Ipv4Addr;
use std::path::PathBuf;

/// Which file server answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Proto {
    Tftp,
    Http,
}

/// One observation of the lab, for the trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "ev", rename_all = "snake_case")]
pub enum LabEvent {
    /// A DHCP message the phone sent (`discover`, `request`, …) with every
    /// option in wire order as hex, and what the lab answered (`offer`,
    /// `ack`, `nak`, or none).
    Dhcp { msg: String, mac: String, options: Vec<DhcpOptionHex>, reply: Option<String>, yiaddr: Option<Ipv4Addr> },
    /// A file request finished. `status` is the HTTP status; TFTP maps onto
    /// the same numbers: 200 sent, 404 not found (TFTP error 1), 403 access
    /// violation (error 2), 400 bad request, 408 client stopped answering,
    /// 499 client sent an error. `bytes` counts file bytes sent (the body).
    Serve { proto: Proto, server: Ipv4Addr, client: Ipv4Addr, path: String, status: u16, bytes: u64, user_agent: Option<String> },
    /// A DNS query and the A record given (`None` = NXDOMAIN or no A record).
    Dns { client: Ipv4Addr, name: String, answer: Option<Ipv4Addr> },
    /// An SNTP request was answered.
    Sntp { client: Ipv4Addr },
    /// A SIP NOTIFY was sent (`status: None`) or answered / timed out
    /// (`status` = final SIP status, 408 when no final answer came in 32 s).
    Notify { to: Ipv4Addr, reboot: bool, status: Option<u16> },
}

/// An event with its emulated time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LabRecord {
    pub t_us: u64,
    #[serde(flatten)]
    pub event: LabEvent,
}

/// What every server gets on each service round.
pub(crate) struct Ctx<'a> {
    pub now: u64,
    pub events: &'a mut Vec<LabRecord>,
}

impl Ctx<'_> {
    pub fn log(&mut self, event: LabEvent) {
        self.events.push(LabRecord { t_us: self.now, event });
    }
}

pub(crate) fn ts(now: u64) -> Instant {
    Instant::from_micros(now.min(i64::MAX as u64) as i64)
}

/// The lab host.
pub struct Lab {
    config: LabConfig,
    iface: Interface,
    wire: Wire,
    sockets: SocketSet<'static>,
    dhcp: Option<dhcp::DhcpServer>,
    dns: dns::DnsServer,
    sntp: Option<sntp::SntpServer>,
    tftp: Option<tftp::TftpServer>,
    http: Option<http::HttpServer>,
    sip: sip::SipSender,
    events: Vec<LabRecord>,
    last_now: u64,
    deadline: Option<u64>,
    dirty: bool,
}

impl Lab {
    /// A lab serving `dir` with `config` (checked first).
    pub fn new(config: LabConfig, dir: impl Into<PathBuf>) -> Result<Lab, ConfigError> {
        let plan = config.validate()?;
        let dir = dir.into();
        let mac = config.mac_bytes()?;
        let mut wire = Wire::default();
        let mut icfg = Config::new(HardwareAddress::Ethernet(EthernetAddress(mac)));
        icfg.random_seed = u64::from_le_bytes([mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], 0x1a, 0xb0]);
        let mut iface = Interface::new(icfg, &mut wire, ts(0));
        let addrs: Vec<Ipv4Addr> = config.addresses.iter().copied().take(2).collect();
        iface.update_ip_addrs(|a| {
            for ip in &addrs {
                let _ = a.push(IpCidr::new((*ip).into(), 24));
            }
        });
        let mut sockets = SocketSet::new(Vec::new());
        let first = addrs[0];
        let dhcp = config.dhcp.enabled.then(|| dhcp::DhcpServer::new(&mut sockets, first, &config.dhcp, plan));
        let dns = dns::DnsServer::new(&mut sockets, &config.dns);
        let sntp = config.sntp.enabled.then(|| sntp::SntpServer::new(&mut sockets, config.sntp.epoch_unix));
        let tftp = config.tftp.enabled.then(|| tftp::TftpServer::new(&mut sockets, &addrs, &config.tftp, dir.clone()));
        let http = config.http.enabled.then(|| http::HttpServer::new(&mut sockets, &addrs, &config.http, dir.clone()));
        let source = if addrs.contains(&config.sip.source) { config.sip.source } else { first };
        let sip = sip::SipSender::new(&mut sockets, source);
        Ok(Lab { config, iface, wire, sockets, dhcp, dns, sntp, tftp, http, sip, events: Vec::new(), last_now: 0, deadline: None, dirty: true })
    }

    pub fn config(&self) -> &LabConfig {
        &self.config
    }

    /// Everything observed since the last call, oldest first.
    pub fn take_events(&mut self) -> Vec<LabRecord> {
        std::mem::take(&mut self.events)
    }

    /// Everything observed and not yet taken.
    pub fn events(&self) -> &[LabRecord] {
        &self.events
    }

    /// Sends a SIP NOTIFY `Event: check-sync` (with `;reboot=true` when asked)
    /// to `to`:5060 at `now`; the answer is logged as [`LabEvent::Notify`].
    pub fn send_notify(&mut self, now: u64, to: Ipv4Addr, reboot: bool) {
        let from = self.sip.source();
        self.send_notify_from(now, from, to, reboot).expect("the default source is a lab address");
    }

    /// As [`Lab::send_notify`], from `from`, which must be one of the lab's
    /// addresses (else an error naming them).
    pub fn send_notify_from(&mut self, now: u64, from: Ipv4Addr, to: Ipv4Addr, reboot: bool) -> Result<(), String> {
        if !self.config.addresses.iter().take(2).any(|a| *a == from) {
            let ours: Vec<String> = self.config.addresses.iter().take(2).map(|a| a.to_string()).collect();
            return Err(format!("{from} is not a lab address (the lab has {})", ours.join(" and ")));
        }
        let now = now.max(self.last_now);
        let mut ctx = Ctx { now, events: &mut self.events };
        self.sip.send(&mut ctx, from, to, reboot);
        self.dirty = true;
        Ok(())
    }

    /// The address the lab's DHCP server bound to `mac`, if any.
    pub fn leased_ip(&self, mac: [u8; 6]) -> Option<Ipv4Addr> {
        self.dhcp.as_ref().and_then(|d| d.bound(mac))
    }

    /// Polls the interface and serves sockets until quiet.
    fn run(&mut self, now: u64) {
        for _ in 0..8 {
            let changed = self.iface.poll(ts(now), &mut self.wire, &mut self.sockets) != smoltcp::iface::PollResult::None;
            let mut ctx = Ctx { now, events: &mut self.events };
            let mut did = false;
            if let Some(d) = &mut self.dhcp {
                did |= d.service(&mut ctx, &mut self.sockets);
            }
            did |= self.dns.service(&mut ctx, &mut self.sockets);
            if let Some(s) = &mut self.sntp {
                did |= s.service(&mut ctx, &mut self.sockets);
            }
            if let Some(t) = &mut self.tftp {
                did |= t.service(&mut ctx, &mut self.sockets);
            }
            if let Some(h) = &mut self.http {
                did |= h.service(&mut ctx, &mut self.sockets);
            }
            did |= self.sip.service(&mut ctx, &mut self.sockets);
            if !did && !changed {
                break;
            }
        }
        let iface_at = self.iface.poll_at(ts(now), &self.sockets).map(|i| i.total_micros().max(0) as u64);
        let servers_at = [self.tftp.as_ref().and_then(|t| t.poll_at()), self.http.as_ref().and_then(|h| h.poll_at()), self.sip.poll_at()];
        // A deadline that is already due would make a virtual-time driver spin
        // without progress; "1 µs later" keeps time moving.
        self.deadline = iface_at.into_iter().chain(servers_at.into_iter().flatten()).min().map(|d| d.max(now + 1));
        self.dirty = false;
    }
}

impl Port for Lab {
    fn receive(&mut self, now: u64, frame: &[u8]) {
        self.last_now = self.last_now.max(now);
        if frame.len() >= 14 && frame.len() <= 1518 {
            self.wire.rx.push_back(frame.to_vec());
            self.dirty = true;
        }
    }

    fn transmit(&mut self, now: u64) -> Option<Vec<u8>> {
        let now = now.max(self.last_now);
        self.last_now = now;
        if self.wire.tx.is_empty() && (self.dirty || self.deadline.is_some_and(|d| d <= now)) {
            self.run(now);
        }
        self.wire.tx.pop_front()
    }

    fn poll_at(&self) -> Option<u64> {
        if self.dirty || !self.wire.tx.is_empty() {
            return Some(self.last_now);
        }
        self.deadline
    }
}
