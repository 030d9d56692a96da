//! Finds the host memory of one unicorn instance's translation buffer and
//! gives its pages back to the OS after the translated code was dropped.
//!
//! Unicorn allocates the buffer itself (an anonymous read-write-execute
//! mapping of at least 1 MiB: smaller sizes are rounded up) and never says
//! where, and the pages it once wrote stay resident even after a flush. So
//! an idle phone keeps all the code its boot translated (≈600 KiB). This
//! module finds the buffer as the one new `rwxp` anonymous mapping that
//! appeared while the instance was set up (hand-rolled on the kernel's list
//! of mappings because unicorn has no API for it), under a process-wide lock
//! so that no other phone is set up at the same time. A full search costs
//! time in proportion to the number of phones alive (≈7 ms per set-up at
//! 1000, so quadratic in a swarm's size); instead the lock also keeps the set
//! of every `rwxp` mapping known so far, and a set-up first looks at the
//! lowest few `rwxp` mappings (the kernel's top-down allocator puts a new one
//! below all others when no freed hole fits), and only then lists them all
//! (2000 phones set up in 1.3 s instead of 13.5 s).
//!
//! Guarantees: a buffer is only reported when a mapping of the expected
//! shape appeared during set-up that was not there before (from the full
//! listing: exactly one such); otherwise `None` and nothing is ever
//! discarded.
//! `discard` keeps the first page (it holds TCG's prologue, which outlives a
//! flush) and must only be called right after the instance's translated
//! code was flushed, while its CPU is stopped.

use std::collections::BTreeSet;
use std::sync::{Mutex, MutexGuard};

/// Serialises instance set-up so a new mapping can be attributed to one
/// instance, and holds every `rwxp` mapping known: `None` until the first
/// set-up lists them.
static SETUP: Mutex<Option<BTreeSet<(usize, usize)>>> = Mutex::new(None);

/// How many mappings the quick look visits before listing them all.
const QUICK_STEPS: usize = 4;

const PAGE: usize = 4096;

/// The set-up lock, which holds the `rwxp` mappings that existed before set-up.
pub(crate) struct Watch {
    known: MutexGuard<'static, Option<BTreeSet<(usize, usize)>>>,
}

/// A located translation buffer (forgotten by the known set when dropped,
/// after its instance unmapped it).
pub(crate) struct CodeBuf {
    start: usize,
    len: usize,
}

impl Drop for CodeBuf {
    fn drop(&mut self) {
        let mut known = SETUP.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(k) = known.as_mut() {
            k.remove(&(self.start, self.start + self.len));
        }
    }
}

/// Private read-write-execute mappings as `(start, end)`: through the
/// `PROCMAP_QUERY` ioctl (Linux ≥ 6.11), which visits only such mappings
/// (one per phone), else by reading `/proc/self/maps` (slow with many phones).
fn rwx_mappings() -> Vec<(usize, usize)> {
    rwx_by_ioctl().unwrap_or_else(rwx_by_text)
}

/// `struct procmap_query` of `<linux/fs.h>` (the `libc` crate lacks it).
#[repr(C)]
#[derive(Default)]
struct ProcmapQuery {
    size: u64,
    query_flags: u64,
    query_addr: u64,
    vma_start: u64,
    vma_end: u64,
    vma_flags: u64,
    vma_page_size: u64,
    vma_offset: u64,
    inode: u64,
    dev_major: u32,
    dev_minor: u32,
    vma_name_size: u32,
    build_id_size: u32,
    vma_name_addr: u64,
    build_id_addr: u64,
}

/// `_IOWR('f', 17, struct procmap_query)`.
const PROCMAP_QUERY: libc::c_ulong = (3 << 30) | ((std::mem::size_of::<ProcmapQuery>() as libc::c_ulong) << 16) | ((b'f' as libc::c_ulong) << 8) | 17;
const Q_READ: u64 = 0x01;
const Q_WRITE: u64 = 0x02;
const Q_EXEC: u64 = 0x04;
const Q_SHARED: u64 = 0x08;
const Q_NEXT: u64 = 0x10;

fn rwx_by_ioctl() -> Option<Vec<(usize, usize)>> {
    rwx_from(0, usize::MAX)
}

/// Up to `max` private anonymous `rwx` mappings at or above `from`, in
/// address order (`None`: no `PROCMAP_QUERY`).
fn rwx_from(from: usize, max: usize) -> Option<Vec<(usize, usize)>> {
    let maps = std::fs::File::open("/proc/self/maps").ok()?;
    let fd = std::os::fd::AsRawFd::as_raw_fd(&maps);
    let mut found = Vec::new();
    let mut addr = from as u64;
    while found.len() < max {
        let mut q = ProcmapQuery { size: std::mem::size_of::<ProcmapQuery>() as u64, query_flags: Q_NEXT | Q_READ | Q_WRITE | Q_EXEC, query_addr: addr, ..Default::default() };
        // SAFETY: `q` is a properly sized `procmap_query` with no name or
        // build-id buffers; the kernel only writes inside it.
        if unsafe { libc::ioctl(fd, PROCMAP_QUERY, &mut q as *mut ProcmapQuery) } != 0 {
            let err = std::io::Error::last_os_error().raw_os_error();
            // ENOENT: no mapping past `addr`; anything else: no such ioctl.
            return (err == Some(libc::ENOENT)).then_some(found);
        }
        if q.vma_flags & Q_SHARED == 0 && q.inode == 0 {
            found.push((q.vma_start as usize, q.vma_end as usize));
        }
        addr = q.vma_end;
    }
    Some(found)
}

fn rwx_by_text() -> Vec<(usize, usize)> {
    let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else { return Vec::new() };
    maps.lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let range = f.next()?;
            if f.next()? != "rwxp" || f.nth(2)? != "0" || f.next().is_some() {
                return None;
            }
            let (a, b) = range.split_once('-')?;
            Some((usize::from_str_radix(a, 16).ok()?, usize::from_str_radix(b, 16).ok()?))
        })
        .collect()
}

impl Watch {
    pub(crate) fn start() -> Watch {
        let mut known = SETUP.lock().unwrap_or_else(|e| e.into_inner());
        if known.is_none() {
            *known = Some(rwx_mappings().into_iter().collect());
        }
        Watch { known }
    }

    /// The new mapping of `size` bytes (less its guard page, which TCG may
    /// already have made inaccessible): the first new one among the lowest
    /// few, else the only new one in the full listing.
    pub(crate) fn finish(mut self, size: usize) -> Option<CodeBuf> {
        let known = self.known.as_mut().expect("set by start");
        let fits = |m: &(usize, usize)| (size - PAGE..=size).contains(&(m.1 - m.0));
        let quick = rwx_from(0, QUICK_STEPS).unwrap_or_default();
        let found = match quick.into_iter().find(|m| !known.contains(m)).filter(fits) {
            Some(m) => Some(m),
            None => {
                let all = rwx_mappings();
                let mut new = all.iter().filter(|m| !known.contains(m) && fits(m));
                let one = new.next().copied();
                let found = one.filter(|_| new.next().is_none());
                known.extend(all.iter().filter(|m| Some(**m) != found));
                found
            }
        };
        let (start, end) = found?;
        known.insert((start, end));
        Some(CodeBuf { start, len: end - start })
    }
}

impl CodeBuf {
    /// Right after set-up: no transparent huge pages for the buffer (a 2 MiB
    /// buffer otherwise gets one on its first write: 2 MiB resident before
    /// anything is translated) and back to the OS with what was touched
    /// beyond the first page. Returns whether both were accepted.
    pub(crate) fn no_huge_pages(&self) -> bool {
        // SAFETY: the instance's own buffer (found by `Watch`); a hint only.
        let hinted = unsafe { libc::madvise(self.start as *mut libc::c_void, self.len, libc::MADV_NOHUGEPAGE) == 0 };
        hinted && self.discard()
    }

    /// Gives the buffer's pages (except the first) back to the OS; they read
    /// as zero afterwards. Returns whether the kernel accepted it.
    pub(crate) fn discard(&self) -> bool {
        // SAFETY: the range lies inside the instance's own translation
        // buffer (found by `Watch`), which lives as long as the instance;
        // the caller flushed every translation, so nothing there is used
        // but the prologue on the first page, which is kept.
        unsafe { libc::madvise((self.start + PAGE) as *mut libc::c_void, self.len - PAGE, libc::MADV_DONTNEED) == 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_rwx_mapping_is_found_and_both_listings_agree() {
        let w = Watch::start();
        let len = 1 << 20;
        // SAFETY: a fresh private anonymous mapping, unmapped below.
        let p = unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, 0) };
        assert_ne!(p, libc::MAP_FAILED);
        // SAFETY: inside the mapping just made.
        unsafe { p.cast::<u8>().add(2 * PAGE).write(7) };
        let mut by_text = rwx_by_text();
        by_text.sort();
        if let Some(mut by_ioctl) = rwx_by_ioctl() {
            by_ioctl.sort();
            assert_eq!(by_ioctl, by_text);
        }
        let buf = w.finish(len).expect("exactly one new mapping");
        assert_eq!((buf.start, buf.len), (p as usize, len));
        assert!(buf.discard());
        // SAFETY: still mapped; the discarded page reads as zero again.
        assert_eq!(unsafe { p.cast::<u8>().add(2 * PAGE).read() }, 0);
        // A second one, set up while the first lives, is found too (the quick look).
        let w = Watch::start();
        // SAFETY: as above.
        let q = unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, 0) };
        assert_ne!(q, libc::MAP_FAILED);
        // Like TCG's buffer, a guard page at the end (which also keeps the
        // kernel from merging it with the first mapping just above it).
        // SAFETY: the last page of the mapping just made.
        assert_eq!(unsafe { libc::mprotect(q.cast::<u8>().add(len - PAGE).cast(), PAGE, libc::PROT_NONE) }, 0);
        let second = w.finish(len).expect("the second new mapping");
        assert_eq!((second.start, second.len), (q as usize, len - PAGE));
        // SAFETY: unmaps what mmap returned.
        unsafe { libc::munmap(q, len) };
        drop(second);
        // SAFETY: unmaps what mmap returned.
        unsafe { libc::munmap(p, len) };
        drop(buf);
        let known = SETUP.lock().unwrap();
        assert!(!known.as_ref().unwrap().contains(&(p as usize, p as usize + len)), "a dropped buffer is forgotten");
    }
}
