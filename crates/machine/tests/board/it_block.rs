//! Thumb IT blocks across a TLB miss: unicorn's virtual-TLB fill restores
//! the faulting instruction's IT state and then resumes the block in place,
//! so without care the IT state leaks into the *next* block, which is then
//! translated as if it were conditional.

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
