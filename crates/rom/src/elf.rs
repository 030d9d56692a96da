//! Cutting the flat ROM payload out of a linked ELF file, as `objcopy -O
//! binary` would, so building the ROMs needs no tool beyond cargo.

use crate::RomError;
use board::map::FLASH;
use object::elf::PT_LOAD;
use object::read::elf::{ElfFile32, ProgramHeader};
use object::Endianness;

/// The largest payload accepted (the size of the whole flash).
const MAX_SPAN: u64 = FLASH.len as u64;

/// The flat binary of the loadable bytes of `elf`, placed by their load
/// (physical) address relative to `load_base`; gaps between segments are
/// `0xFF` (erased flash). Segments with no file bytes (`.bss`) are skipped.
pub fn elf_to_payload(elf: &[u8], load_base: u32) -> Result<Vec<u8>, RomError> {
    let file = ElfFile32::<Endianness>::parse(elf).map_err(|e| RomError::Elf(e.to_string()))?;
    let endian = file.endian();
    let mut segs = Vec::new();
    for ph in file.elf_program_headers() {
        if ph.p_type(endian) != PT_LOAD || ph.p_filesz(endian) == 0 {
            continue;
        }
        let addr = ph.p_paddr(endian);
        let data = ph.data(endian, elf).map_err(|_| RomError::Elf(format!("segment at {addr:#010x} runs past the file")))?;
        let end = addr as u64 + data.len() as u64;
        if addr < load_base || end - load_base as u64 > MAX_SPAN {
            return Err(RomError::SegmentOutOfRange { addr, len: data.len() as u32, base: load_base, end: load_base as u64 + MAX_SPAN });
        }
        segs.push((addr, data));
    }
    if segs.is_empty() {
        return Err(RomError::Elf("no loadable segment".into()));
    }
    segs.sort_by_key(|(addr, _)| *addr);
    let mut out: Vec<u8> = Vec::new();
    for (addr, data) in segs {
        let at = (addr - load_base) as usize;
        if at < out.len() {
            return Err(RomError::SegmentsOverlap(addr));
        }
        out.resize(at, 0xFF);
        out.extend_from_slice(data);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal little-endian ELF32 for ARM with the given program headers
    /// `(type, offset, paddr, filesz)`, file bytes `0..len` counting up.
    fn elf(phs: &[(u32, u32, u32, u32)], len: usize) -> Vec<u8> {
        let mut f: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let mut h = vec![0x7F, b'E', b'L', b'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        h.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
        h.extend_from_slice(&40u16.to_le_bytes()); // EM_ARM
        h.extend_from_slice(&1u32.to_le_bytes()); // version
        h.extend_from_slice(&0u32.to_le_bytes()); // entry
        h.extend_from_slice(&52u32.to_le_bytes()); // phoff
        h.extend_from_slice(&0u32.to_le_bytes()); // shoff
        h.extend_from_slice(&0x0500_0200u32.to_le_bytes()); // flags
        h.extend_from_slice(&52u16.to_le_bytes()); // ehsize
        h.extend_from_slice(&32u16.to_le_bytes()); // phentsize
        h.extend_from_slice(&(phs.len() as u16).to_le_bytes());
        h.extend_from_slice(&[0; 6]); // shentsize, shnum, shstrndx
        for &(ty, off, paddr, filesz) in phs {
            for w in [ty, off, paddr | 0x1000_0000, paddr, filesz, filesz + 8, 5, 4] {
                h.extend_from_slice(&w.to_le_bytes());
            }
        }
        f[..h.len()].copy_from_slice(&h);
        f
    }

    #[test]
    fn segments_placed_by_load_address_with_erased_gaps() {
        // .text 4 bytes at base, .data 2 bytes at base+8 (its LMA), .bss (no file bytes).
        let e = elf(&[(PT_LOAD, 0x100, 0x0C00_0100, 4), (PT_LOAD, 0x104, 0x0C00_0108, 2), (PT_LOAD, 0x106, 0x0C00_0200, 0)], 0x200);
        let p = elf_to_payload(&e, 0x0C00_0100).unwrap();
        assert_eq!(p, [0x00, 0x01, 0x02, 0x03, 0xFF, 0xFF, 0xFF, 0xFF, 0x04, 0x05]);
    }

    #[test]
    fn refuses_bad_input() {
        assert!(matches!(elf_to_payload(b"not an elf", 0), Err(RomError::Elf(_))));
        let below = elf(&[(PT_LOAD, 0x100, 0x10, 4)], 0x200);
        assert!(matches!(elf_to_payload(&below, 0x100), Err(RomError::SegmentOutOfRange { .. })));
        let overlap = elf(&[(PT_LOAD, 0x100, 0x100, 8), (PT_LOAD, 0x100, 0x104, 8)], 0x200);
        assert!(matches!(elf_to_payload(&overlap, 0x100), Err(RomError::SegmentsOverlap(0x104))));
        let past = elf(&[(PT_LOAD, 0x1F0, 0x100, 0x40)], 0x200);
        assert!(matches!(elf_to_payload(&past, 0x100), Err(RomError::Elf(_))));
        let none = elf(&[(PT_LOAD, 0x100, 0x100, 0)], 0x200);
        assert!(matches!(elf_to_payload(&none, 0x100), Err(RomError::Elf(_))));
    }
}
