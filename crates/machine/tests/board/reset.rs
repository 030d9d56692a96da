use crate::asm::*;
use crate::*;
use board::image::{Header, Kind, Version};
use board::map::{BOOT_WINDOW, FLASH, SLOT_LEN, SRAM};
use board::model::{Hardware, Protocol};
use board::periph::{flashctl, sysctl};
use machine::Stop;
use trace::{BootCause, Event};

fn crash_of(build: impl FnOnce(&mut Asm)) -> (u32, String) {
    let mut a = Asm::rom();
    build(&mut a);
    let mut m = powered(a.finish(), 0);
    match m.run(0) {
        Stop::Crashed { pc, reason } => {
            assert_eq!(m.drain_trace().last().unwrap().event, Event::Crash { pc, reason: reason.clone() });
            assert_eq!(m.run(10), Stop::Crashed { pc, reason: reason.clone() }, "stays halted");
            (pc, reason)
        }
        s => panic!("{s:?}"),
    }
}

#[test]
fn crashes_report_pc_and_reason() {
    assert_eq!(crash_of(|a| { a.log("x\n").udf(7); }), (8 + 8 + 8, "udf #7".into()));
    assert_eq!(crash_of(|a| { a.bkpt(1); }).1, "bkpt");
    assert_eq!(crash_of(|a| { a.svc(3); }).1, "svc");
    assert_eq!(crash_of(|a| { a.poke(FLASH.base + 0x1234, 1); }).1, "write to flash at 0x08001000");
    assert_eq!(crash_of(|a| { a.poke(0x100, 1); }).1, "write to boot ROM at 0x00000000");
    assert_eq!(crash_of(|a| { a.peek(0x3000_0000); }).1, "read from unmapped memory at 0x30000000");
    assert_eq!(crash_of(|a| { a.li(0, SRAM.base | 1).bx(0); }), (SRAM.base, "execute from SRAM at 0x20000000".into()));
    assert_eq!(crash_of(|a| { a.raw(0xFFFF).raw(0xFFFF); }).1, "undefined instruction 0xffff");
}

#[test]
fn a_power_cycle_clears_a_crash() {
    let mut a = Asm::rom();
    a.log("up\n").udf(0);
    let mut m = powered(a.finish(), 0);
    assert!(matches!(m.run(0), Stop::Crashed { .. }));
    assert_eq!(m.poll_at(), None);
    m.power_cut(10);
    m.power_on(20);
    assert!(matches!(m.run(20), Stop::Crashed { .. }));
    assert_eq!(logs(&m.drain_trace()), ["up", "up"]);
}

/// Logs the reset cause and an SRAM marker, sets the marker, then does `then`.
fn cause_program(then: impl FnOnce(&mut Asm)) -> Vec<u8> {
    let mut a = Asm::rom();
    a.li(0, sysctl::BASE).ldr(4, 0, sysctl::reg::RESET_CAUSE as u16).movs(2, 0).add3(2, 2, 4).log_digit_r2();
    a.li(0, SRAM.base).ldr(2, 0, 0).log_digit_r2().li(0, SRAM.base).movs(1, 5).str(1, 0, 0);
    a.cmp(4, 0).bne("__forever");
    then(&mut a);
    a.sleep_forever();
    a.finish()
}

#[test]
fn the_watchdog_resets_with_its_cause() {
    let rom = cause_program(|a| {
        a.poke(sysctl::BASE + sysctl::reg::WDT_TIMEOUT, 1000).sleep(5000).log("late\n");
    });
    let mut m = powered(rom, 0);
    assert_eq!(m.run(0), Stop::Sleeping { until: Some(1000) }, "the watchdog comes before the deadline");
    assert_eq!(m.run(1000), Stop::Sleeping { until: None }, "the reset disabled the watchdog");
    assert_eq!(logs(&m.drain_trace()), ["0", "0", "2", "0"]);
}

#[test]
fn a_software_reset_restarts_in_place_with_sram_zeroed() {
    let rom = cause_program(|a| {
        a.poke(sysctl::BASE + sysctl::reg::RESET, sysctl::RESET_KEY).wfi().log("not reset\n");
    });
    let mut m = powered(rom, 0);
    assert_eq!(m.run(0), Stop::Sleeping { until: None });
    assert_eq!(logs(&m.drain_trace()), ["0", "0", "1", "0"]);
}

/// An app image for a slot: header with `version`, payload = code linked at the window.
fn slot_image(version: Version, code: Vec<u8>) -> Vec<u8> {
    let h = Header {
        kind: Kind::App,
        hardware: Hardware::St2030,
        protocol: Protocol::Sip,
        version,
        date: *b"250101",
        payload_len: code.len() as u32,
        payload_crc: board::image::crc32(&code),
    };
    let mut img = h.encode().to_vec();
    img.extend(code);
    img
}

/// A boot ROM that selects `slot`, waits for the remap, then jumps into the window.
fn boot_rom(slot: u32) -> Vec<u8> {
    let mut a = Asm::rom();
    a.poke(sysctl::BASE + sysctl::reg::BOOT_SLOT, slot).sleep(0).li(0, (BOOT_WINDOW.base + 256) | 1).bx(0);
    a.finish()
}

#[test]
fn boot_slot_maps_the_chosen_slot_into_the_window() {
    let app = |text: &str| {
        let mut a = Asm::code();
        a.log(text).sleep_forever();
        a.finish()
    };
    let mut flash = slot_image(Version { major: 1, minor: 0, patch: 0 }, app("A\n"));
    flash.resize(SLOT_LEN as usize, 0xFF);
    flash.extend(slot_image(Version { major: 2, minor: 74, patch: 3 }, app("B\n")));
    let mut m = machine(boot_rom(1), flash);
    m.power_on(0);
    m.run(0);
    let t = m.drain_trace();
    assert_eq!(events(&t)[1..], [Event::Boot { cause: BootCause::PowerOn, image: "2.74.3".into() }, Event::Log { text: "B".into() }]);
}

#[test]
fn code_rewritten_in_flash_runs_after_a_reset_through_the_window() {
    // The app logs the digit in its first instruction (`movs r2, #17` = 'A'),
    // programs that byte to 16 ('@'), waits for the flash, and resets.
    let mut a = Asm::code();
    a.movs(2, 17).log_digit_r2();
    a.poke(SRAM.base, 16);
    let f = flashctl::BASE;
    a.poke(f + flashctl::reg::ADDR, FLASH.base + 256).poke(f + flashctl::reg::SRC, SRAM.base).poke(f + flashctl::reg::LEN, 1);
    a.poke(f + flashctl::reg::CMD, flashctl::CMD_PROGRAM).sleep(u64::MAX);
    a.poke(sysctl::BASE + sysctl::reg::RESET, sysctl::RESET_KEY).wfi();
    let mut m = machine(boot_rom(0), slot_image(Version { major: 2, minor: 74, patch: 0 }, a.finish()));
    m.power_on(0);
    m.run(0);
    m.run(flashctl::PROGRAM_US);
    let t = m.drain_trace();
    assert_eq!(logs(&t), ["A", "@"]);
    let boots: Vec<_> = events(&t).into_iter().filter(|e| matches!(e, Event::Boot { .. })).collect();
    assert_eq!(boots, [Event::Boot { cause: BootCause::PowerOn, image: "2.74".into() }, Event::Boot { cause: BootCause::Software, image: "2.74".into() }]);
}
