//! The ST20xx boot ROM, linked at address 0.
//!
//! At every reset it looks at both firmware slots (layout in
//! `board::slot`): a slot is a candidate when its commit record and image
//! header decode, the header is an application image for this board's
//! hardware (SYSCTL MODEL), and the commit repeats the header's payload CRC.
//! Candidates are tried by descending commit `seq`; the first whose payload
//! CRC checks (one CRC engine operation over the payload in flash) is mapped into the boot window (SYSCTL BOOT_SLOT, then a sleep
//! with deadline 0 so the remap takes effect), and started with the SP and
//! reset vector found at `BOOT_WINDOW + HEADER_LEN`.
//!
//! Guarantees: a torn or corrupt image is never started; when no slot is
//! valid the LCD says "No valid firmware", the LED is steady red, and the CPU
//! sleeps until the next power cycle (no crash, no busy loop).
//! Console: `bootrom: slot A seq 1` or `bootrom: no valid firmware`.

#![no_std]
#![no_main]

mod rt;
mod uart;

use board::cpu;
use board::image::{HEADER_LEN, Header, Kind};
use board::map::{BOOT_WINDOW, SRAM, slot};
use board::periph::{crc, keypad, lcd, led, sysctl};
use board::slot::{COMMIT_LEN, COMMIT_OFFSET, Commit};

/// A slot whose commit and header are valid (payload not yet checked).
#[derive(Clone, Copy)]
struct Candidate {
    slot: u32,
    seq: u32,
    payload_len: u32,
    payload_crc: u32,
}

fn flash(addr: u32, len: usize) -> &'static [u8] {
    // SAFETY: the flash is memory-mapped, read-only to the CPU, and
    // `addr..addr + len` lies inside a firmware slot.
    unsafe { core::slice::from_raw_parts(addr as *const u8, len) }
}

fn candidate(n: u32, hardware: u8) -> Option<Candidate> {
    let base = slot(n).base;
    let commit = Commit::decode(flash(base + COMMIT_OFFSET, COMMIT_LEN))?;
    let h = Header::decode(flash(base, HEADER_LEN)).ok()?;
    let max = COMMIT_OFFSET - HEADER_LEN as u32;
    let fits = (8..=max).contains(&h.payload_len);
    (h.kind == Kind::App && h.hardware as u8 == hardware && commit.image_crc == h.payload_crc && fits)
        .then_some(Candidate { slot: n, seq: commit.seq, payload_len: h.payload_len, payload_crc: h.payload_crc })
}

/// The payload's CRC by the CRC engine; `candidate` checked that it lies in the slot.
fn payload_ok(c: &Candidate) -> bool {
    cpu::write(crc::BASE + crc::reg::STATE, crc::STATE_INIT);
    cpu::write(crc::BASE + crc::reg::SRC, slot(c.slot).base + HEADER_LEN as u32);
    cpu::write(crc::BASE + crc::reg::LEN, c.payload_len);
    cpu::write(crc::BASE + crc::reg::CTRL, crc::CTRL_START);
    cpu::read(crc::BASE + crc::reg::STATUS) & crc::STATUS_ERROR == 0 && cpu::read(crc::BASE + crc::reg::RESULT) == c.payload_crc
}

fn sleep_until(deadline: u64) {
    cpu::write(sysctl::BASE + sysctl::reg::SLEEP_LO, deadline as u32);
    cpu::write(sysctl::BASE + sysctl::reg::SLEEP_HI, (deadline >> 32) as u32);
    cpu::wfi();
    cpu::read(sysctl::BASE + sysctl::reg::EVENTS);
}

/// Maps slot `c` into the boot window and jumps to it; returns only when its
/// vector table is unusable.
fn start(c: &Candidate) {
    cpu::write(sysctl::BASE + sysctl::reg::BOOT_SLOT, c.slot);
    sleep_until(0);
    let vectors = BOOT_WINDOW.base + HEADER_LEN as u32;
    let sp = cpu::read(vectors);
    let pc = cpu::read(vectors + 4);
    let sp_ok = sp > SRAM.base && sp <= SRAM.end() && sp.is_multiple_of(8);
    let pc_ok = pc & 1 == 1 && BOOT_WINDOW.contains(pc & !1);
    if !(sp_ok && pc_ok) {
        return;
    }
    let mut line = uart::Line::new();
    line.push(if c.slot == 0 { b"bootrom: slot A seq " } else { b"bootrom: slot B seq " });
    line.push_u32(c.seq);
    line.send();
    // SAFETY: the slot's image passed its CRC checks; its reset handler
    // expects a fresh stack at `sp` and never returns.
    unsafe { core::arch::asm!("msr msp, {sp}", "bx {pc}", sp = in(reg) sp, pc = in(reg) pc, options(noreturn)) }
}

fn no_firmware() -> ! {
    let text: &[u8] = b"No valid firmware";
    let row = 2;
    for i in 0..lcd::ROWS * lcd::COLS {
        let ch = if i / lcd::COLS == row { *text.get(i % lcd::COLS).unwrap_or(&b' ') } else { b' ' };
        // SAFETY: the LCD character RAM accepts byte writes.
        unsafe { core::ptr::write_volatile((lcd::BASE + lcd::reg::CHARS + i as u32) as *mut u8, ch) };
    }
    cpu::write(lcd::BASE + lcd::reg::CTRL, lcd::CTRL_BACKLIGHT);
    cpu::write(lcd::BASE + lcd::reg::COMMIT, 1);
    cpu::write(led::BASE + led::reg::SYSTEM, led::value(led::MODE_ON, led::COLOR_RED));
    let mut line = uart::Line::new();
    line.push(b"bootrom: no valid firmware");
    line.send();
    loop {
        sleep_until(u64::MAX);
        while cpu::read(keypad::BASE + keypad::reg::POP) != keypad::EVENT_EMPTY {}
    }
}

#[unsafe(no_mangle)]
extern "C" fn rust_main() -> ! {
    let hardware = cpu::read(sysctl::BASE + sysctl::reg::MODEL) as u8;
    let mut c = [candidate(0, hardware), candidate(1, hardware)];
    if let [Some(a), Some(b)] = c
        && b.seq > a.seq
    {
        c = [Some(b), Some(a)];
    }
    for cand in c.iter().flatten() {
        if payload_ok(cand) {
            start(cand);
        }
    }
    no_firmware()
}
