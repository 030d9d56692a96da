//! The process's resident memory, for the report's bytes-per-phone figure.
//!
//! Guarantee: never fails; `None` where `/proc/self/statm` cannot be read.

/// Resident set size in bytes (Linux `/proc/self/statm`, field 2 × page size).
pub fn rss_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = text.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page).ok().filter(|&p| p > 0)?)
}

#[cfg(test)]
mod tests {
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
