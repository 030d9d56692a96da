//! Thumb IT blocks across a TLB miss: unicorn's virtual-TLB fill restores
//! the faulting instruction's IT state and then resumes the block in place,
//! so without care the IT state leaks into the *next* block, which is then
//! translated as if it were conditional. The opposite must hold too: an IT
//! block that a page boundary splits keeps its IT state across the fetch
//! miss of the next page, so that page's instructions stay conditional.

use crate::asm::Asm;
use crate::{powered, word};
use board::map::SRAM;

#[test]
fn a_tlb_miss_inside_an_it_block_does_not_make_the_next_block_conditional() {
    let fresh_page = SRAM.base + 0x3_0000;
    let out = SRAM.base + 0x100;
    let mut a = Asm::rom();
    a.li(2, fresh_page).li(3, 0).li(4, 0);
    a.movs(0, 0).cmp(0, 0); // Z = 1
    a.raw(0xBF0C); // ite eq
    a.ldr(1, 2, 0); // ldreq r1, [r2]: executes, and misses the TLB
    a.raw(0x2107); // movne r1, #7: skipped
    a.b("next").label("next"); // ends the block
    a.movs(3, 5).movs(4, 9); // unconditional: both must run
    a.li(0, out).str(3, 0, 0).str(4, 0, 4);
    a.sleep_forever();
    let mut m = powered(a.finish(), 0);
    m.run(0);
    assert_eq!((word(&m, out), word(&m, out + 4)), (5, 9), "the block after the IT block ran conditionally");
}

/// The firmware's lost `Action::Save` (a deque's `full` flag set by an
/// `ittt eq` whose body began the next 1 KiB page): the block ends after the
/// `it` at the page's last halfword, the IT state is architectural there,
/// and the instruction-fetch miss of the next page must not clear it.
#[test]
fn an_it_block_split_by_a_page_boundary_stays_conditional_after_the_fetch_miss() {
    let page = 0x400; // TARGET_PAGE_SIZE of unicorn's ARM
    let out = SRAM.base + 0x100;
    let mut a = Asm::rom();
    a.movs(3, 0).movs(4, 0).movs(0, 0);
    a.pad_to(page - 4);
    a.cmp(0, 1); // Z = 0: "eq" is false
    a.raw(0xBF0C); // ite eq, the last halfword of the page
    a.movs(3, 5); // moveq r3, #5 (the next page, not yet in the TLB): skipped
    a.movs(4, 9); // movne r4, #9: executes
    a.li(0, out).str(3, 0, 0).str(4, 0, 4);
    a.sleep_forever();
    let mut m = powered(a.finish(), 0);
    m.run(0);
    assert_eq!((word(&m, out), word(&m, out + 4)), (0, 9), "the IT block lost its state at the page boundary");
}
