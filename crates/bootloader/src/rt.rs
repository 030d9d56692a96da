//! Start-up without interrupts or exceptions: the two-word vector table
//! (initial SP from `link.x`, reset vector), a reset handler that zeroes
//! `.bss` and copies `.data` before any Rust code runs, and a panic handler
//! that prints one UART line and stops with `udf` (a reportable crash).
//! The firmware's `rt.rs` is the same code; a shared crate is not worth it
//! for thirty lines.

use crate::uart;

#[unsafe(link_section = ".vector_table.reset")]
#[used]
static RESET: unsafe extern "C" fn() -> ! = reset;

unsafe extern "C" {
    fn reset() -> !;
}

// In assembly so no Rust code runs before `.bss` and `.data` are set up.
core::arch::global_asm!(
    ".section .text.reset, \"ax\"",
    ".global reset",
    ".type reset, %function",
    ".thumb_func",
    "reset:",
    "  ldr r0, =__sbss",
    "  ldr r1, =__ebss",
    "  movs r2, #0",
    "1: cmp r0, r1",
    "  bhs 2f",
    "  str r2, [r0], #4",
    "  b 1b",
    "2: ldr r0, =__sdata",
    "  ldr r1, =__edata",
    "  ldr r2, =__sidata",
    "3: cmp r0, r1",
    "  bhs 4f",
    "  ldr r3, [r2], #4",
    "  str r3, [r0], #4",
    "  b 3b",
    "4: bl rust_main",
    "  udf #0",
    ".ltorg",
);

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let mut line = uart::Line::new();
    line.push(b"bootrom: panic at line ");
    line.push_u32(info.location().map_or(0, |l| l.line()));
    line.send();
    board::cpu::halt()
}
