//! A [`Port`] bridged to a real Linux TAP device (`tun-tap`, non-blocking),
//! for running a phone against real servers. Real time only: `now` is
//! ignored, frames leave and arrive when the kernel moves them.
//!
//! Guarantees: never blocks; a device error is kept ([`TapPort::error`]) and
//! the port then goes quiet instead of panicking; `poll_at` is "soon"
//! (1 ms after the last call) since a TAP has no deadlines of its own, or
//! "now" once a driver that waited on the device ([`wait_readable`]) marked
//! it readable ([`TapPort::set_readable`]), until a read finds it empty.

use crate::port::Port;
use std::io;
use tun_tap::{Iface, Mode};

/// How often a real-time driver should look at the device when idle, µs.
pub const POLL_US: u64 = 1000;

pub struct TapPort {
    iface: Iface,
    buf: Vec<u8>,
    last_now: u64,
    error: Option<io::Error>,
    /// Marked readable by a driver: poll at once.
    readable: bool,
    pub sent: u64,
    pub received: u64,
}

impl TapPort {
    /// Attaches to the TAP device `name` (which must exist: in the wrong
    /// namespace TUNSETIFF would silently create a new, unconnected one).
    pub fn open(name: &str) -> io::Result<TapPort> {
        // Asked of the kernel (not /sys, which shows the namespace it was
        // mounted in) so it holds for the calling thread's namespace.
        let cname = std::ffi::CString::new(name).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in interface name"))?;
        // SAFETY: `cname` is a valid NUL-terminated string for the call's duration.
        if unsafe { libc::if_nametoindex(cname.as_ptr()) } == 0 {
            return Err(io::Error::new(io::ErrorKind::NotFound, format!("no network interface `{name}` in this namespace")));
        }
        let iface = Iface::without_packet_info(name, Mode::Tap)?;
        iface.set_non_blocking()?;
        Ok(TapPort { iface, buf: vec![0; 65536], last_now: 0, error: None, readable: false, sent: 0, received: 0 })
    }

    pub fn name(&self) -> &str {
        self.iface.name()
    }

    pub fn error(&self) -> Option<&io::Error> {
        self.error.as_ref()
    }

    /// The device's file descriptor, to wait on ([`wait_readable`]).
    pub fn fd(&self) -> std::os::fd::RawFd {
        use std::os::fd::AsRawFd;
        self.iface.as_raw_fd()
    }

    /// A frame is waiting: the next `poll_at` is now.
    pub fn set_readable(&mut self) {
        self.readable = true;
    }
}

/// Waits until `fd` is readable or `timeout` has passed; true when
/// readable. An interrupted or failed wait counts as the timeout.
pub fn wait_readable(fd: std::os::fd::RawFd, timeout: std::time::Duration) -> bool {
    let mut pfd = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    let ts = libc::timespec { tv_sec: timeout.as_secs() as libc::time_t, tv_nsec: timeout.subsec_nanos() as libc::c_long };
    // SAFETY: one valid pollfd and a valid timespec, both alive for the call.
    let n = unsafe { libc::ppoll(&mut pfd, 1, &ts, std::ptr::null()) };
    n > 0 && pfd.revents & libc::POLLIN != 0
}

impl Port for TapPort {
    fn receive(&mut self, now: u64, frame: &[u8]) {
        self.last_now = now;
        if self.error.is_some() {
            return;
        }
        match self.iface.send(frame) {
            Ok(_) => self.sent += 1,
            // A full device queue drops the frame, as a wire would.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => self.error = Some(e),
        }
    }

    fn transmit(&mut self, now: u64) -> Option<Vec<u8>> {
        self.last_now = now;
        if self.error.is_some() {
            return None;
        }
        match self.iface.recv(&mut self.buf) {
            Ok(n) => {
                self.received += 1;
                Some(self.buf[..n].to_vec())
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.readable = false;
                None
            }
            Err(e) => {
                self.error = Some(e);
                None
            }
        }
    }

    fn poll_at(&self) -> Option<u64> {
        self.error.is_none().then_some(if self.readable { self.last_now } else { self.last_now + POLL_US })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::{Lab, LabConfig, LabEvent};
    use crate::switch::{PortMode, Switch};
    use std::os::fd::AsRawFd;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    const NS: &str = "st20xx-e-test";

    fn ip(args: &[&str]) -> bool {
        Command::new("ip").args(args).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
    }

    /// Deletes the namespace (and anything still running in it) on drop.
    struct Netns(&'static str);
    impl Drop for Netns {
        fn drop(&mut self) {
            if let Ok(out) = Command::new("ip").args(["netns", "pids", self.0]).output() {
                for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                    let _ = Command::new("kill").arg(pid).status();
                }
            }
            ip(&["netns", "del", self.0]);
        }
    }

    /// A fresh namespace `ns` with `tap0` at 10.0.0.50/24, attached; None
    /// (after saying why) where the machine cannot make one.
    fn tap_in_namespace(ns: &'static str, test: &str) -> Option<(Netns, TapPort)> {
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        if !root || !std::path::Path::new("/dev/net/tun").exists() || !ip(&["-V"]) || Command::new("curl").arg("-V").output().is_err() {
            eprintln!("\n*** SKIPPED {test}: needs root, /dev/net/tun, `ip` and `curl` ***\n");
            return None;
        }
        ip(&["netns", "del", ns]);
        assert!(ip(&["netns", "add", ns]), "ip netns add");
        let guard = Netns(ns);
        for args in [
            vec!["-n", ns, "tuntap", "add", "dev", "tap0", "mode", "tap"],
            vec!["-n", ns, "addr", "add", "10.0.0.50/24", "dev", "tap0"],
            vec!["-n", ns, "link", "set", "tap0", "up"],
            vec!["-n", ns, "link", "set", "lo", "up"],
        ] {
            assert!(ip(&args), "ip {args:?}");
        }
        let _ = Command::new("ip").args(["netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"]).status();
        // Attach from a thread that has entered the namespace; the fd keeps
        // the device after the thread ends.
        let tap = std::thread::spawn(move || {
            let f = std::fs::File::open(format!("/run/netns/{ns}")).expect("netns file");
            // SAFETY: a valid netns fd; setns affects only this thread.
            assert_eq!(unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) }, 0, "setns");
            TapPort::open("tap0")
        })
        .join()
        .unwrap()
        .expect("attach to tap0 in the namespace");
        Some((guard, tap))
    }

    #[test]
    fn opening_a_missing_device_is_an_error() {
        assert!(TapPort::open("st20xx-nope0").is_err());
    }

    /// A driver waiting on the device wakes when a frame arrives, and a
    /// port marked readable wants a poll at once until it has read all.
    #[test]
    fn a_frame_on_the_device_wakes_a_waiting_driver() {
        let Some((_guard, mut tap)) = tap_in_namespace("st20xx-e-wait", "a_frame_on_the_device_wakes_a_waiting_driver") else { return };
        tap.receive(100, &[0; 14]);
        assert_eq!(tap.poll_at(), Some(100 + POLL_US), "nothing waits: the usual interval");
        // Drain what the kernel sent on its own (router solicitations and the like).
        while tap.transmit(100).is_some() {}
        assert!(!wait_readable(tap.fd(), Duration::from_millis(20)), "an empty device times out");
        // curl's ARP request for 10.0.0.1 leaves the namespace through tap0.
        let mut curl = Command::new("ip")
            .args(["netns", "exec", "st20xx-e-wait", "curl", "-s", "--max-time", "2", "http://10.0.0.1/"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let start = Instant::now();
        assert!(wait_readable(tap.fd(), Duration::from_secs(3)), "a frame wakes the wait");
        assert!(start.elapsed() < Duration::from_secs(2));
        tap.set_readable();
        assert_eq!(tap.poll_at(), Some(100), "readable: poll now");
        let mut frames = 0;
        while tap.transmit(200).is_some() {
            frames += 1;
        }
        assert!(frames >= 1);
        assert_eq!(tap.poll_at(), Some(200 + POLL_US), "read empty: back to the interval");
        let _ = curl.kill();
        let _ = curl.wait();
    }

    /// curl in a fresh network namespace fetches a file from the lab through
    /// a real TAP device, in real time.
    #[test]
    fn real_tap_in_a_namespace_reaches_the_lab() {
        let Some((_guard, tap)) = tap_in_namespace(NS, "real_tap_in_a_namespace_reaches_the_lab") else { return };

        let dir = std::env::temp_dir().join(format!("lan-tap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("ST2030S.inf"), b"[firmware]\nfw_filename=x.zz\n").unwrap();
        let mut sw = Switch::new();
        let lab = sw.attach(PortMode::Access { pvid: 1 }, Lab::new(LabConfig::default(), &dir).unwrap());
        sw.attach(PortMode::Access { pvid: 1 }, tap);

        let child = Command::new("ip")
            .args(["netns", "exec", NS, "curl", "-s", "--max-time", "8", "-A", "THOMSON ST2030 hw5 fw2.74 00-14-7F-E1-47-B3", "http://10.0.0.1/ST2030S.inf"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let start = Instant::now();
        let mut child = Some(child);
        let mut body = None;
        while start.elapsed() < Duration::from_secs(10) {
            sw.poll(start.elapsed().as_micros() as u64);
            if let Some(c) = child.as_mut()
                && c.try_wait().unwrap().is_some()
            {
                body = Some(child.take().unwrap().wait_with_output().unwrap().stdout);
                break;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(body.as_deref(), Some(&b"[firmware]\nfw_filename=x.zz\n"[..]), "curl got the file through the TAP");
        let ev = sw.device_mut::<Lab>(lab).unwrap().take_events();
        assert!(
            ev.iter().any(|r| matches!(&r.event, LabEvent::Serve { status: 200, user_agent: Some(ua), .. } if ua.starts_with("THOMSON ST2030"))),
            "{ev:?}"
        );
    }
}
