//! Host memory that the emulated CPU sees directly (`mem_map_ptr`): SRAM and
//! the NOR flash array.
//!
//! Guarantees: the mapping is page-aligned, lives as long as the value, and is
//! unmapped on drop. SRAM is anonymous memory, so `discard` makes it read as
//! zero again and gives its pages back. Flash is a `MAP_PRIVATE` view of one
//! process-wide erased (`0xFF`) memfd template: pages a phone never writes are
//! shared by every phone and cost nothing per phone (hand-rolled on `libc`
//! because no well-kept crate offers copy-on-write views of a shared memfd).
//!
//! Aliasing: unicorn reads and writes these bytes through the raw pointer
//! while a CPU slice runs. Rust references to the bytes are only created
//! while no slice runs (or inside a callback of that slice, when the CPU is
//! paused), and never outlive the borrow of `self`.

use std::ptr::NonNull;
use std::sync::OnceLock;

/// A page-aligned host mapping.
pub(crate) struct HostMem {
    ptr: NonNull<u8>,
    len: usize,
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
                Self::from_mmap(p, len)?
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

    fn from_mmap(p: *mut libc::c_void, len: usize) -> Result<HostMem, HostMemError> {
        if p == libc::MAP_FAILED {
            return Err(HostMemError { len, source: std::io::Error::last_os_error() });
        }
        let ptr = NonNull::new(p.cast::<u8>()).ok_or_else(|| HostMemError { len, source: std::io::Error::other("null mapping") })?;
        Ok(HostMem { ptr, len })
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
    fn discard_zeroes_sram() {
        let mut m = HostMem::zeroed(8192).unwrap();
        m.as_mut_slice()[100] = 7;
        m.discard();
        assert!(m.as_slice().iter().all(|&x| x == 0));
        assert!(m.get(8190, 3).is_none());
        assert_eq!(m.get(8190, 2), Some(&[0u8, 0][..]));
    }
}
