//! The process's resident memory, for the report's bytes-per-phone figures:
//! RSS (cheap, `/proc/self/statm`) and PSS (`/proc/self/smaps_rollup`: pages
//! shared with other mappings count in proportion, so one flash template
//! mapped by 1000 phones counts once; costs a walk of every mapping).
//!
//! Guarantee: never fails; `None` where the file cannot be read.

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

fn pss_of(rollup: &str) -> Option<u64> {
    let line = rollup.lines().find(|l| l.starts_with("Pss:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
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
