//! Host memory that the emulated CPU sees directly (`mem_map_ptr`): SRAM and
//! the NOR flash array.
//!
//! Guarantees: the mapping is page-aligned, lives as long as the value, and is
//! unmapped on drop. SRAM is anonymous memory, so `discard` makes it read as
//! zero again and gives its pages back. Flash is a `MAP_PRIVATE` view of one
//! process-wide erased (`0xFF`) memfd template: pages a phone never writes are
//! shared by every phone and cost nothing per phone (hand-rolled on `libc`
//! because no well-kept crate offers copy-on-write views of a shared memfd).
//! A [`Template`] does the same for a whole image (e.g. a swarm's factory
//! flash): one host copy, shared by every phone until it writes a page.
//!
//! Aliasing: unicorn reads and writes these bytes through the raw pointer
//! while a CPU slice runs. Rust references to the bytes are only created
//! while no slice runs (or inside a callback of that slice, when the CPU is
//! paused), and never outlive the borrow of `self`.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::ptr::NonNull;
use std::sync::OnceLock;

/// A page-aligned host mapping.
pub(crate) struct HostMem {
    ptr: NonNull<u8>,
    len: usize,
    /// Which pages read as erased (`0xFF`) once their private copy is dropped.
    erased: Erased,
}

/// Where dropping a page's private copy ([`HostMem::erase`]) reads `0xFF`.
#[derive(Clone)]
enum Erased {
    /// Nowhere (anonymous memory reads as zero).
    Nowhere,
    /// Everywhere: a view of the erased template.
    Everywhere,
    /// Page `i` when `pages[i]`: a view of an image template.
    Pages(std::sync::Arc<Vec<bool>>),
}

// SAFETY: the mapping is owned by this value alone; moving it to another
// thread moves the only handle to it.
unsafe impl Send for HostMem {}

#[derive(Debug, thiserror::Error)]
#[error("cannot map {len} bytes of host memory: {source}")]
pub struct HostMemError {
    len: usize,
    source: std::io::Error,
}

const PAGE: usize = 4096;

impl HostMem {
    /// Zero-filled anonymous memory of `len` bytes (a multiple of 4 KiB).
    pub(crate) fn zeroed(len: usize) -> Result<HostMem, HostMemError> {
        // SAFETY: a fresh anonymous private mapping; checked for failure.
        let p = unsafe {
            libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, 0)
        };
        Self::from_mmap(p, len)
    }

    /// Erased flash (`0xFF`) of `len` bytes with `image` copied over its start.
    /// Only pages of `image` that hold something other than `0xFF` are written,
    /// so erased pages stay shared with the template.
    pub(crate) fn flash(len: usize, image: &[u8]) -> Result<HostMem, HostMemError> {
        let mut mem = match erased_template(len) {
            Some(fd) => {
                // SAFETY: a private (copy-on-write) view of the template file,
                // which is at least `len` bytes long; checked for failure.
                let p = unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_PRIVATE, fd, 0) };
                let mut m = Self::from_mmap(p, len)?;
                m.erased = Erased::Everywhere;
                m
            }
            None => {
                let mut m = Self::zeroed(len)?;
                m.as_mut_slice().fill(0xFF);
                m
            }
        };
        let dst = mem.as_mut_slice();
        for (i, chunk) in image.chunks(PAGE).enumerate() {
            if chunk.iter().any(|&b| b != 0xFF) {
                dst[i * PAGE..i * PAGE + chunk.len()].copy_from_slice(chunk);
            }
        }
        Ok(mem)
    }

    /// A private (copy-on-write) view of `template`.
    pub(crate) fn from_template(template: &Template) -> Result<HostMem, HostMemError> {
        match &template.0 {
            Backing::Fd(fd, len, erased) => {
                // SAFETY: a private view of our own memfd of `len` bytes; checked for failure.
                let p = unsafe { libc::mmap(std::ptr::null_mut(), *len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_PRIVATE, fd.as_raw_fd(), 0) };
                let mut m = Self::from_mmap(p, *len)?;
                m.erased = Erased::Pages(erased.clone());
                Ok(m)
            }
            Backing::Copy(image) => Self::flash(image.len(), image),
        }
    }

    fn from_mmap(p: *mut libc::c_void, len: usize) -> Result<HostMem, HostMemError> {
        if p == libc::MAP_FAILED {
            return Err(HostMemError { len, source: std::io::Error::last_os_error() });
        }
        let ptr = NonNull::new(p.cast::<u8>()).ok_or_else(|| HostMemError { len, source: std::io::Error::other("null mapping") })?;
        Ok(HostMem { ptr, len, erased: Erased::Nowhere })
    }

    pub(crate) fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        // SAFETY: valid for `len` bytes while `self` lives (see module doc).
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as above, and `&mut self` excludes other host references.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }

    /// Bytes `[addr, addr + len)` if they lie inside the mapping.
    pub(crate) fn get(&self, off: usize, len: usize) -> Option<&[u8]> {
        self.as_slice().get(off..off.checked_add(len)?)
    }

    pub(crate) fn get_mut(&mut self, off: usize, len: usize) -> Option<&mut [u8]> {
        self.as_mut_slice().get_mut(off..off.checked_add(len)?)
    }

    /// Sets `[off, off + len)` to `0xFF` (clipped to the mapping). Whole
    /// pages that read as erased in the template get their private copy
    /// dropped instead of filled, so an erased page costs no memory again.
    pub(crate) fn erase(&mut self, off: usize, len: usize) {
        let end = off.saturating_add(len).min(self.len);
        let mut at = off.min(end);
        while at < end {
            let page = at / PAGE;
            let next = ((page + 1) * PAGE).min(end);
            let whole = at.is_multiple_of(PAGE) && next - at == PAGE;
            let revert = whole
                && match &self.erased {
                    Erased::Nowhere => false,
                    Erased::Everywhere => true,
                    Erased::Pages(p) => p.get(page).copied().unwrap_or(false),
                };
            // SAFETY: one whole page of our own private file mapping; dropping
            // its private copy makes it read the template's erased page again.
            let dropped = revert && unsafe { libc::madvise(self.ptr.as_ptr().add(at).cast(), PAGE, libc::MADV_DONTNEED) } == 0;
            if !dropped {
                self.as_mut_slice()[at..next].fill(0xFF);
            }
            at = next;
        }
    }

    /// Anonymous memory only: reads as zero again and frees its pages.
    pub(crate) fn discard(&mut self) {
        // SAFETY: our own private anonymous mapping; MADV_DONTNEED on it
        // zero-fills on the next touch.
        let rc = unsafe { libc::madvise(self.ptr.as_ptr().cast(), self.len, libc::MADV_DONTNEED) };
        if rc != 0 {
            self.as_mut_slice().fill(0);
        }
    }
}

impl Drop for HostMem {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly what `mmap` returned; nothing uses it after.
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

/// A flash image of `len` bytes held once in host memory (a memfd) and
/// mapped copy-on-write by every phone made from it; a plain copy per phone
/// where memfds are unavailable.
pub(crate) struct Template(Backing);

enum Backing {
    /// The memfd, its length, and which of its pages are all `0xFF`.
    Fd(OwnedFd, usize, std::sync::Arc<Vec<bool>>),
    Copy(Vec<u8>),
}

impl Template {
    /// Erased flash (`0xFF`) of `len` bytes with `image` over its start.
    pub(crate) fn new(len: usize, image: &[u8]) -> Result<Template, HostMemError> {
        let Some(fd) = make_memfd(c"st20xx-flash-image", len) else {
            let mut copy = vec![0xFF; len];
            copy[..image.len().min(len)].copy_from_slice(&image[..image.len().min(len)]);
            return Ok(Template(Backing::Copy(copy)));
        };
        // SAFETY: a shared view of the memfd just made (`len` bytes), unmapped
        // below; nothing else knows the descriptor yet.
        let p = unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, fd.as_raw_fd(), 0) };
        let mut view = HostMem::from_mmap(p, len)?;
        let dst = view.as_mut_slice();
        dst.fill(0xFF);
        let n = image.len().min(len);
        dst[..n].copy_from_slice(&image[..n]);
        let erased = dst.chunks(PAGE).map(|c| c.iter().all(|&b| b == 0xFF)).collect();
        drop(view);
        Ok(Template(Backing::Fd(fd, len, std::sync::Arc::new(erased))))
    }

    pub(crate) fn len(&self) -> usize {
        match &self.0 {
            Backing::Fd(_, len, _) => *len,
            Backing::Copy(v) => v.len(),
        }
    }
}

/// A memfd of `len` bytes (reads as zero), or `None` when unavailable.
fn make_memfd(name: &std::ffi::CStr, len: usize) -> Option<OwnedFd> {
    // SAFETY: plain syscalls; the descriptor is owned from here on.
    let fd = unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return None;
    }
    // SAFETY: `fd` was just returned by memfd_create and is owned by nobody else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: resizing our own memfd.
    (unsafe { libc::ftruncate(fd.as_raw_fd(), len as libc::off_t) } == 0).then_some(fd)
}

/// The process-wide erased template: a memfd of `len` bytes of `0xFF`.
/// `None` when memfds are unavailable (then each phone fills its own).
fn erased_template(len: usize) -> Option<libc::c_int> {
    static TEMPLATE: OnceLock<Option<(libc::c_int, usize)>> = OnceLock::new();
    let (fd, tlen) = (*TEMPLATE.get_or_init(|| make_template(len.max(board::map::FLASH.len as usize))))?;
    (tlen >= len).then_some(fd)
}

fn make_template(len: usize) -> Option<(libc::c_int, usize)> {
    // SAFETY: plain syscalls on a descriptor we own; every result is checked
    // and the temporary shared mapping is unmapped before returning.
    unsafe {
        let fd = libc::memfd_create(c"st20xx-flash-erased".as_ptr(), libc::MFD_CLOEXEC);
        if fd < 0 {
            return None;
        }
        if libc::ftruncate(fd, len as libc::off_t) != 0 {
            libc::close(fd);
            return None;
        }
        let p = libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, fd, 0);
        if p == libc::MAP_FAILED {
            libc::close(fd);
            return None;
        }
        std::ptr::write_bytes(p.cast::<u8>(), 0xFF, len);
        libc::munmap(p, len);
        Some((fd, len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flash_is_erased_except_the_image_and_private_per_phone() {
        let mut a = HostMem::flash(64 * 1024, &[1, 2, 3]).unwrap();
        let b = HostMem::flash(64 * 1024, &[]).unwrap();
        assert_eq!(&a.as_slice()[..4], &[1, 2, 3, 0xFF]);
        assert!(a.as_slice()[4..].iter().all(|&x| x == 0xFF));
        a.as_mut_slice()[5000] = 0;
        assert_eq!(b.as_slice()[5000], 0xFF, "writes stay private to one phone");
    }

    #[test]
    fn template_views_share_the_image_and_keep_writes_private() {
        let t = Template::new(64 * 1024, &[9; 5000]).unwrap();
        assert_eq!(t.len(), 64 * 1024);
        let mut a = HostMem::from_template(&t).unwrap();
        let b = HostMem::from_template(&t).unwrap();
        assert_eq!(&a.as_slice()[4998..5002], &[9, 9, 0xFF, 0xFF]);
        assert!(a.as_slice()[5000..].iter().all(|&x| x == 0xFF));
        a.as_mut_slice()[10] = 1;
        a.as_mut_slice()[6000] = 2;
        assert_eq!((b.as_slice()[10], b.as_slice()[6000]), (9, 0xFF), "writes stay private to one view");
        drop(t);
        assert_eq!(b.as_slice()[0], 9, "views outlive the template handle");
    }

    #[test]
    fn erase_reads_ff_and_drops_private_copies_where_the_template_is_erased() {
        let t = Template::new(4 * PAGE, &[7; PAGE + 10]).unwrap();
        let fresh = HostMem::from_template(&t).unwrap();
        for mut m in [HostMem::from_template(&t).unwrap(), HostMem::flash(4 * PAGE, &[7; PAGE + 10]).unwrap(), HostMem::zeroed(4 * PAGE).unwrap()] {
            m.as_mut_slice().fill(0);
            m.erase(PAGE - 1, 2 * PAGE + 2);
            let a = m.as_slice();
            assert_eq!(a[PAGE - 2], 0, "before the range");
            assert!(a[PAGE - 1..3 * PAGE + 1].iter().all(|&b| b == 0xFF), "inside, across pages (the image's page too)");
            assert_eq!(a[3 * PAGE + 1], 0, "after the range");
            m.erase(3 * PAGE, 10 * PAGE);
            assert!(m.as_slice()[3 * PAGE..].iter().all(|&b| b == 0xFF), "clipped to the mapping");
        }
        assert_eq!(fresh.as_slice()[0], 7, "other views keep the template");
    }

    #[test]
    fn discard_zeroes_sram() {
        let mut m = HostMem::zeroed(8192).unwrap();
        m.as_mut_slice()[100] = 7;
        m.discard();
        assert!(m.as_slice().iter().all(|&x| x == 0));
        assert!(m.get(8190, 3).is_none());
        assert_eq!(m.get(8190, 2), Some(&[0u8, 0][..]));
    }
}
