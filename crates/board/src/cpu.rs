//! CPU conventions between the firmware, the boot ROM and the emulator
//! (target only). The board has no interrupts: code polls and sleeps.

/// Sleeps until the deadline written to `sysctl::SLEEP_*` or a wake event.
/// The emulator stops at `wfi` and resumes after it.
#[inline(always)]
pub fn wfi() {
    unsafe { core::arch::asm!("wfi", options(nomem, nostack, preserves_flags)) }
}

/// Volatile read of the 32-bit register at `addr`.
#[inline(always)]
pub fn read(addr: u32) -> u32 {
    unsafe { core::ptr::read_volatile(addr as *const u32) }
}

/// Volatile write of the 32-bit register at `addr`.
#[inline(always)]
pub fn write(addr: u32, value: u32) {
    unsafe { core::ptr::write_volatile(addr as *mut u32, value) }
}

/// Stops the CPU with a reportable crash (`udf`).
#[inline(always)]
pub fn halt() -> ! {
    unsafe { core::arch::asm!("udf #0", options(noreturn)) }
}
