use crate::asm::*;
use crate::*;
use board::map::{CONFIG, FLASH, FLASH_SECTOR, SRAM};
use board::periph::{flashctl, sysctl};
use machine::Stop;
use trace::{Event, FlashOp};

/// Starts one flash command, then on each wake stores STATUS and EVENTS at SRAM+0x10/0x14.
fn flash_program(addr: u32, data: u32, len: u32, cmd: u32) -> Vec<u8> {
    let mut a = Asm::rom();
    let f = flashctl::BASE;
    a.poke(SRAM.base, data);
    a.poke(f + flashctl::reg::ADDR, addr).poke(f + flashctl::reg::SRC, SRAM.base).poke(f + flashctl::reg::LEN, len).poke(f + flashctl::reg::CMD, cmd);
    a.label("loop").peek(f + flashctl::reg::STATUS).li(0, SRAM.base).str(2, 0, 0x10);
    a.sleep(u64::MAX).peek(sysctl::BASE + sysctl::reg::EVENTS).li(0, SRAM.base).str(2, 0, 0x14).b("loop");
    a.finish()
}

fn flash_with(addr: u32, bytes: &[u8]) -> Vec<u8> {
    let mut f = vec![0xFF; (addr - FLASH.base) as usize];
    f.extend_from_slice(bytes);
    f
}

#[test]
fn program_lands_after_its_busy_time_and_only_clears_bits() {
    let at = CONFIG.base + 0x10;
    let mut m = machine(flash_program(at, 0x1234_5678, 4, flashctl::CMD_PROGRAM), flash_with(at, &[0xF0, 0xF0, 0xFF, 0xFF]));
    m.power_on(100);
    assert_eq!(m.run(100), Stop::Sleeping { until: Some(100 + flashctl::PROGRAM_US) });
    assert_eq!(word(&m, SRAM.base + 0x10), flashctl::STATUS_BUSY);
    assert_eq!(m.peek(at, 4).unwrap(), [0xF0, 0xF0, 0xFF, 0xFF], "nothing lands before completion");
    m.run(100 + flashctl::PROGRAM_US);
    assert_eq!(m.peek(at, 5).unwrap(), [0x70, 0x50, 0x34, 0x12, 0xFF]);
    assert_eq!(m.flash()[(at - FLASH.base) as usize], 0x70);
    assert_eq!((word(&m, SRAM.base + 0x10), word(&m, SRAM.base + 0x14)), (0, sysctl::EVENT_FLASH_DONE));
    let t = m.drain_trace();
    assert_eq!(t[1].event, Event::Flash { op: FlashOp::Program, addr: at, len: 4 });
    assert_eq!(t[1].t_us, 100);
}

#[test]
fn erase_sets_a_whole_sector_to_ff() {
    let at = CONFIG.base + FLASH_SECTOR;
    let mut m = machine(flash_program(at, 0, 0, flashctl::CMD_ERASE_SECTOR), flash_with(at - 4, &vec![0u8; FLASH_SECTOR as usize + 8]));
    m.power_on(0);
    m.run(0);
    m.run(flashctl::ERASE_US);
    let off = (at - FLASH.base) as usize;
    assert!(m.flash()[off..off + FLASH_SECTOR as usize].iter().all(|&b| b == 0xFF));
    assert_eq!((m.flash()[off - 1], m.flash()[off + FLASH_SECTOR as usize]), (0, 0), "neighbours untouched");
}

#[test]
fn a_bad_command_sets_the_error_bit() {
    let mut m = powered(flash_program(CONFIG.base + 2, 0, 0, flashctl::CMD_ERASE_SECTOR), 0);
    assert_eq!(m.run(0), Stop::Sleeping { until: None });
    assert_eq!(word(&m, SRAM.base + 0x10), flashctl::STATUS_ERROR);
    assert_eq!(m.drain_trace().len(), 1, "only the power record: no flash operation started");
}

#[test]
fn a_power_cut_mid_erase_tears_the_sector() {
    let at = CONFIG.base;
    let n = FLASH_SECTOR as usize;
    let mut m = machine(flash_program(at, 0, 0, flashctl::CMD_ERASE_SECTOR), flash_with(at, &vec![0u8; n]));
    m.power_on(0);
    m.run(0);
    m.power_cut(flashctl::ERASE_US / 2);
    assert_eq!(m.run(flashctl::ERASE_US), Stop::Off);
    let s = &m.flash()[0x20_0000..0x20_0000 + n];
    assert!(s[..n / 2].iter().all(|&b| b == 0xFF));
    assert!(s[n / 2 + 16..].iter().all(|&b| b == 0));
    assert!(s[n / 2..n / 2 + 16].iter().any(|&b| b != 0 && b != 0xFF), "half-erased bytes in between");
    assert_eq!(events(&m.drain_trace()).last(), Some(&Event::Power { state: trace::PowerState::Off }));
}

#[test]
fn a_power_cut_mid_program_tears_the_page() {
    let at = CONFIG.base;
    let mut m = machine(flash_program(at, 0, 4, flashctl::CMD_PROGRAM), Vec::new());
    m.power_on(0);
    m.run(0);
    m.power_cut(flashctl::PROGRAM_US / 2);
    let b = m.peek(at, 4).unwrap();
    assert_eq!(b[..2], [0, 0]);
    assert_ne!(b[2..], [0, 0], "the rest is half-programmed: {b:?}");
    m.power_on(flashctl::PROGRAM_US);
    m.run(flashctl::PROGRAM_US);
    m.run(flashctl::PROGRAM_US * 2);
    assert_eq!(m.peek(at, 4).unwrap(), [0; 4], "the next boot programs it again");
}

#[test]
fn the_cpu_reads_what_the_controller_programmed() {
    let at = CONFIG.base + 0x100;
    let mut a = Asm::rom();
    let f = flashctl::BASE;
    a.peek(at).li(0, SRAM.base).str(2, 0, 0x20);
    a.poke(SRAM.base, 0x1234_5678);
    a.poke(f + flashctl::reg::ADDR, at).poke(f + flashctl::reg::SRC, SRAM.base).poke(f + flashctl::reg::LEN, 4).poke(f + flashctl::reg::CMD, flashctl::CMD_PROGRAM);
    a.sleep(u64::MAX).peek(at).li(0, SRAM.base).str(2, 0, 0x24).sleep_forever();
    let mut m = powered(a.finish(), 0);
    m.run(0);
    m.run(flashctl::PROGRAM_US);
    assert_eq!((word(&m, SRAM.base + 0x20), word(&m, SRAM.base + 0x24)), (0xFFFF_FFFF, 0x1234_5678));
}
