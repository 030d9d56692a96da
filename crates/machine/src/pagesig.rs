//! Content signatures of a phone's flash pages: what lets phones share one
//! unicorn instance's translated code (`pool`). Two phones may run the same
//! translations for a guest page exactly when their bytes there have the
//! same signature.
//!
//! Guarantees: `sig(page)` is a 64-bit hash (XXH3) of the page's current
//! bytes, whatever way they got there: equal bytes give equal signatures, so
//! a page a phone wrote back to what its template holds matches again.
//! Pages a phone never wrote take the signature cached once in its
//! template, shared by every phone made from it; a written page's signature
//! is computed on first use and dropped by [`PageSigs::changed`].

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

pub(crate) const PAGE: usize = 4096;

/// Signatures of a template's pages, computed on first use.
pub(crate) struct TemplateSigs(Vec<OnceLock<u64>>);

impl TemplateSigs {
    pub(crate) fn new(len: usize) -> TemplateSigs {
        TemplateSigs((0..len.div_ceil(PAGE)).map(|_| OnceLock::new()).collect())
    }
}

fn hash(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(bytes)
}

/// One phone's page signatures.
pub(crate) struct PageSigs {
    template: Option<Arc<TemplateSigs>>,
    /// Pages written since the phone was built (bit per page).
    written: Vec<u64>,
    cache: HashMap<u32, u64>,
}

impl PageSigs {
    /// Signatures of a flash of `len` bytes; `template` when it starts as a
    /// view of a shared template.
    pub(crate) fn new(len: usize, template: Option<Arc<TemplateSigs>>) -> PageSigs {
        PageSigs { template, written: vec![0; len.div_ceil(PAGE).div_ceil(64)], cache: HashMap::new() }
    }

    fn is_written(&self, page: usize) -> bool {
        self.written.get(page / 64).is_some_and(|w| w & (1 << (page % 64)) != 0)
    }

    /// The signature of page `page` of `flash` (the phone's current bytes);
    /// `None` past its end.
    pub(crate) fn sig(&mut self, flash: &[u8], page: u32) -> Option<u64> {
        let p = page as usize;
        let bytes = flash.get(p * PAGE..(p + 1) * PAGE)?;
        if !self.is_written(p)
            && let Some(t) = &self.template
            && let Some(cell) = t.0.get(p)
        {
            return Some(*cell.get_or_init(|| hash(bytes)));
        }
        Some(*self.cache.entry(page).or_insert_with(|| hash(bytes)))
    }

    /// Bytes `[start, end)` of flash changed.
    pub(crate) fn changed(&mut self, start: usize, end: usize) {
        if start >= end {
            return;
        }
        for p in start / PAGE..=(end - 1) / PAGE {
            if let Some(w) = self.written.get_mut(p / 64) {
                *w |= 1 << (p % 64);
            }
            self.cache.remove(&(p as u32));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_bytes_give_equal_signatures_however_they_got_there() {
        let t = Arc::new(TemplateSigs::new(4 * PAGE));
        let mut flash_a = vec![0xFFu8; 4 * PAGE];
        flash_a[PAGE..2 * PAGE].fill(7);
        let mut flash_b = flash_a.clone();
        let mut a = PageSigs::new(4 * PAGE, Some(t.clone()));
        let mut b = PageSigs::new(4 * PAGE, Some(t));
        assert_eq!(a.sig(&flash_a, 1), b.sig(&flash_b, 1));
        assert_ne!(a.sig(&flash_a, 0), a.sig(&flash_a, 1));
        flash_b[PAGE + 5] = 0;
        b.changed(PAGE + 5, PAGE + 6);
        assert_ne!(a.sig(&flash_a, 1), b.sig(&flash_b, 1), "a written page is hashed again");
        assert_eq!(a.sig(&flash_a, 2), b.sig(&flash_b, 2), "other pages keep the template's");
        flash_b[PAGE + 5] = 7;
        b.changed(PAGE + 5, PAGE + 6);
        assert_eq!(a.sig(&flash_a, 1), b.sig(&flash_b, 1), "written back to the template's bytes: equal again");
        assert_eq!(a.sig(&flash_a, 4), None);
    }

    #[test]
    fn without_a_template_every_page_is_hashed_from_its_bytes() {
        let mut flash = vec![1u8; 2 * PAGE];
        let mut s = PageSigs::new(2 * PAGE, None);
        let before = s.sig(&flash, 0);
        flash[10] = 2;
        assert_eq!(s.sig(&flash, 0), before, "cached until told");
        s.changed(0, 2 * PAGE);
        assert_ne!(s.sig(&flash, 0), before);
        s.changed(5, 5);
        assert_eq!(s.sig(&flash, 1), Some(hash(&flash[PAGE..])));
    }
}
