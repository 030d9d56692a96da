//! `st20xx notify --to PHONE_IP [--reboot] [--from IP] [--port 5060]`: sends
//! one SIP `NOTIFY` with `Event: check-sync` (`;reboot=true` with
//! `--reboot`) over UDP from this host, as a provisioning server would
//! (vendor document 3.4), retransmits it as RFC 3261 timer E does (500 ms
//! doubling to 4 s) until a final answer or `--timeout`, and prints the
//! answer's status line. Exit 0 on a 2xx answer, 1 on any other answer or
//! on a timeout.

use anyhow::{Context, Result, bail};
use clap::Args;
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Args)]
pub struct NotifyArgs {
    /// The phone's IPv4 address.
    #[arg(long)]
    to: Ipv4Addr,
    /// Ask the phone to reboot first (`Event: check-sync;reboot=true`).
    #[arg(long)]
    reboot: bool,
    /// The local address to send from (default: the route's choice).
    #[arg(long)]
    from: Option<Ipv4Addr>,
    /// The phone's SIP port.
    #[arg(long, default_value_t = 5060)]
    port: u16,
    /// Seconds to wait for a final answer.
    #[arg(long, default_value_t = 8.0)]
    timeout: f64,
}

/// The NOTIFY text (`via` is the address and port answers come back to).
pub fn notify_text(via: SocketAddrV4, to: SocketAddrV4, reboot: bool, id: &str) -> String {
    let event = if reboot { "check-sync;reboot=true" } else { "check-sync" };
    format!(
        "NOTIFY sip:{to} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {via};branch=z9hG4bK{id}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:st20xx@{ip}>;tag={id}\r\n\
         To: <sip:{to}>\r\n\
         Call-ID: {id}@{ip}\r\n\
         CSeq: 1 NOTIFY\r\n\
         Contact: <sip:st20xx@{via}>\r\n\
         Event: {event}\r\n\
         Subscription-State: terminated\r\n\
         Content-Length: 0\r\n\r\n",
        ip = via.ip()
    )
}

/// The status line and code of a SIP response to `call_id`, if it is one.
pub fn response_status(b: &[u8], call_id: &str) -> Option<(String, u16)> {
    let text = std::str::from_utf8(b).ok()?;
    let mut lines = text.split("\r\n").flat_map(|l| l.split('\n'));
    let status = lines.next()?;
    let code = status.strip_prefix("SIP/2.0 ")?.get(..3)?.parse().ok()?;
    let same = lines.any(|l| l.split_once(':').is_some_and(|(k, v)| (k.trim().eq_ignore_ascii_case("call-id") || k.trim() == "i") && v.trim() == call_id));
    same.then(|| (status.to_string(), code))
}

pub fn dispatch(a: NotifyArgs) -> Result<ExitCode> {
    if !(a.timeout > 0.0 && a.timeout <= 3600.0) {
        bail!("--timeout {}: give seconds in (0, 3600]", a.timeout);
    }
    let to = SocketAddrV4::new(a.to, a.port);
    let sock = UdpSocket::bind(SocketAddrV4::new(a.from.unwrap_or(Ipv4Addr::UNSPECIFIED), 0)).with_context(|| format!("cannot bind a UDP socket on {}", a.from.map_or("any address".into(), |f| f.to_string())))?;
    sock.connect(to).with_context(|| format!("no route to {to}"))?;
    let via = match sock.local_addr()? {
        std::net::SocketAddr::V4(v) => v,
        other => bail!("local address {other} is not IPv4"),
    };
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let id = format!("st20xx{}x{nanos:08x}", std::process::id());
    let msg = notify_text(via, to, a.reboot, &id);
    let call_id = format!("{id}@{}", via.ip());
    let deadline = Instant::now() + Duration::from_secs_f64(a.timeout);
    let mut interval = Duration::from_millis(500);
    let mut next = Instant::now();
    let mut provisional = false;
    let mut buf = [0u8; 4096];
    loop {
        let now = Instant::now();
        if now >= deadline {
            println!("timeout: no final answer from {to} in {} s", a.timeout);
            return Ok(ExitCode::FAILURE);
        }
        if !provisional && now >= next {
            sock.send(msg.as_bytes()).with_context(|| format!("cannot send to {to}"))?;
            next = now + interval;
            interval = (interval * 2).min(Duration::from_secs(4));
        }
        let wait = if provisional { deadline } else { next.min(deadline) };
        sock.set_read_timeout(Some(wait.saturating_duration_since(Instant::now()).max(Duration::from_millis(1))))?;
        match sock.recv(&mut buf) {
            Ok(n) => match response_status(&buf[..n], &call_id) {
                Some((_, code)) if code < 200 => provisional = true,
                Some((line, code)) => {
                    println!("{line}");
                    return Ok(if (200..300).contains(&code) { ExitCode::SUCCESS } else { ExitCode::FAILURE });
                }
                None => {}
            },
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            // ICMP port unreachable from an earlier send: keep trying until the deadline.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {}
            Err(e) => return Err(e).context("receiving the answer"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_status() {
        let via = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 9), 40000);
        let to = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 100), 5060);
        let t = notify_text(via, to, true, "abc");
        assert!(t.starts_with("NOTIFY sip:10.0.0.100:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.9:40000;branch=z9hG4bKabc\r\n"), "{t}");
        assert!(t.contains("\r\nEvent: check-sync;reboot=true\r\n") && t.contains("\r\nCall-ID: abc@10.0.0.9\r\n"));
        assert!(notify_text(via, to, false, "abc").contains("\r\nEvent: check-sync\r\n"));
        let r = b"SIP/2.0 403 Forbidden\r\nCall-ID: abc@10.0.0.9\r\n\r\n";
        assert_eq!(response_status(r, "abc@10.0.0.9"), Some(("SIP/2.0 403 Forbidden".into(), 403)));
        assert_eq!(response_status(r, "other"), None);
        assert_eq!(response_status(b"\xff\xfe", "x"), None);
        assert_eq!(response_status(b"NOTIFY sip:x SIP/2.0\r\ni: x\r\n", "x"), None);
    }
}
