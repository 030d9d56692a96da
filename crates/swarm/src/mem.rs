//! The process's resident memory, for the report's bytes-per-phone figures:
//! RSS (cheap, `/proc/self/statm`) and PSS (`/proc/self/smaps_rollup`: pages
//! shared with other mappings count in proportion, so one flash template
//! mapped by 1000 phones counts once; costs a walk of every mapping).
//!
//! And whether the kernel's limit on memory mappings per process
//! (`vm.max_map_count`) leaves room for a swarm: each phone maps its flash
//! view and its SRAM (neighbouring SRAM mappings often merge), so the default
//! 65,530 stops one process near 30,000 phones with an `mmap` failure
//! half-way through.
//!
//! Guarantee: never fails; `None` where the file cannot be read.

/// Memory mappings one phone adds (measured: 1.64 with 3,000 phones; each
/// also had its own translation buffer and unicorn tables, 5.2, until phones
/// shared unicorn instances), rounded up.
pub const MAPS_PER_PHONE: u64 = 2;

/// Mappings the process has now (`/proc/self/maps` lines) and the kernel's
/// limit (`/proc/sys/vm/max_map_count`).
pub fn map_count_and_limit() -> Option<(u64, u64)> {
    let now = std::fs::read_to_string("/proc/self/maps").ok()?.lines().count() as u64;
    let limit = std::fs::read_to_string("/proc/sys/vm/max_map_count").ok()?.trim().parse().ok()?;
    Some((now, limit))
}

/// The `vm.max_map_count` that `phones` more phones need on top of `now`
/// mappings, when `limit` is too small for them (with 1,000 to spare).
pub fn map_limit_needed(phones: u64, now: u64, limit: u64) -> Option<u64> {
    let need = now + phones * MAPS_PER_PHONE + 1000;
    (need > limit).then_some(need)
}

/// Resident set size in bytes (Linux `/proc/self/statm`, field 2 × page size).
pub fn rss_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = text.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page).ok().filter(|&p| p > 0)?)
}

/// Proportional set size in bytes (the `Pss:` line of `/proc/self/smaps_rollup`).
pub fn pss_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/smaps_rollup").ok()?;
    pss_of(&text)
}

/// Samples PSS on its own thread every `every` (and once at start) and
/// keeps the peak: a walk of every mapping takes tens of milliseconds with
/// thousands of phones, which must not stall the swarm's real-clock loop.
/// The interval stretches to 50 times the last walk, a walk waits until the
/// swarm says it is quiet ([`PssPeak::set_quiet`]; at most `FORCE_AFTER`
/// since the last one), and the thread runs in the idle scheduling class,
/// so sampling takes no CPU the phones (or a server on the same host) want.
/// The thread stops when the sampler is dropped.
/// A walk waits at most this long for the swarm to be quiet.
const FORCE_AFTER: std::time::Duration = std::time::Duration::from_secs(30);
/// How often a waiting walk looks again.
const QUIET_POLL: std::time::Duration = std::time::Duration::from_millis(10);

pub struct PssPeak {
    peak: std::sync::Arc<std::sync::atomic::AtomicU64>,
    quiet: std::sync::Arc<std::sync::atomic::AtomicBool>,
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl PssPeak {
    pub fn start(every: std::time::Duration) -> PssPeak {
        let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let quiet = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let (p, q) = (peak.clone(), quiet.clone());
        let thread = std::thread::Builder::new()
            .name("pss".into())
            .spawn(move || {
                idle_priority();
                let ended = |wait| !matches!(stopped.recv_timeout(wait), Err(std::sync::mpsc::RecvTimeoutError::Timeout));
                loop {
                    let walk = std::time::Instant::now();
                    if let Some(b) = pss_bytes() {
                        p.fetch_max(b, std::sync::atomic::Ordering::Relaxed);
                    }
                    if ended(every.max(walk.elapsed() * 50)) {
                        return;
                    }
                    while !q.load(std::sync::atomic::Ordering::Relaxed) && walk.elapsed() < FORCE_AFTER {
                        if ended(QUIET_POLL) {
                            return;
                        }
                    }
                }
            })
            .ok();
        PssPeak { peak, quiet, stop: Some(stop), thread }
    }

    /// Whether a walk may start now (the swarm expects no work for a while).
    pub fn set_quiet(&self, quiet: bool) {
        self.quiet.store(quiet, std::sync::atomic::Ordering::Relaxed);
    }

    /// The highest PSS seen so far (`None`: never read).
    pub fn peak(&self) -> Option<u64> {
        Some(self.peak.load(std::sync::atomic::Ordering::Relaxed)).filter(|&b| b > 0)
    }
}

/// Puts the calling thread in the `SCHED_IDLE` class (nice 19 where that is
/// refused): the walk then runs only on time no phone and no server wants.
fn idle_priority() {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: plain syscalls on the calling thread (pid 0), with a valid param.
    unsafe {
        if libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) != 0 {
            libc::setpriority(libc::PRIO_PROCESS, 0, 19);
        }
    }
}

impl Drop for PssPeak {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn pss_of(rollup: &str) -> Option<u64> {
    let line = rollup.lines().find(|l| l.starts_with("Pss:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_map_limit_is_checked_against_the_phones_to_build() {
        assert_eq!(super::map_limit_needed(30_000, 500, 65_530), None);
        assert_eq!(super::map_limit_needed(33_000, 500, 65_530), Some(500 + 66_000 + 1000));
        let (now, limit) = super::map_count_and_limit().expect("linux");
        assert!(now > 0 && limit > now, "{now} {limit}");
    }

    #[test]
    fn pss_is_read_from_the_rollup() {
        let text = "55d0-7ffd ---p 00000000 00:00 0  [rollup]\nRss:               12340 kB\nPss:                9876 kB\nPss_Anon:           1000 kB\n";
        assert_eq!(super::pss_of(text), Some(9876 * 1024));
        assert_eq!(super::pss_of("Rss: 1 kB\n"), None);
        let live = super::pss_bytes().expect("linux");
        assert!(live > 0 && live <= super::rss_bytes().unwrap() * 2, "{live}");
    }

    #[test]
    fn rss_grows_when_memory_is_touched() {
        let before = super::rss_bytes().expect("linux");
        // black_box: in release builds an unused vector is optimised away.
        let v = std::hint::black_box(vec![1u8; 64 << 20]);
        let after = super::rss_bytes().unwrap();
        assert!(after >= before + (32 << 20), "{before} -> {after}");
        drop(std::hint::black_box(v));
    }
}
