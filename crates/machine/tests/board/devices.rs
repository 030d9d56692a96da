use crate::asm::*;
use crate::*;
use board::map::SRAM;
use board::periph::{lcd, led, rng, sysctl, uart};
use trace::Event;

#[test]
fn lcd_commit_and_state_reach_the_trace() {
    let mut a = Asm::rom();
    a.li(0, lcd::BASE + lcd::reg::CHARS);
    for (i, b) in b"Hello".iter().enumerate() {
        a.movs(1, *b as u16).strb(1, 0, i as u16);
    }
    a.poke(lcd::BASE + lcd::reg::CHARS + 24, u32::from_le_bytes(*b"v2.7"));
    a.poke(lcd::BASE + lcd::reg::CHARS + 28, u32::from_le_bytes(*b"4\xB0  "));
    a.poke(lcd::BASE + lcd::reg::CTRL, lcd::CTRL_BACKLIGHT);
    a.poke(lcd::BASE + lcd::reg::ICONS, lcd::ICON_NETWORK);
    a.poke(lcd::BASE + lcd::reg::COMMIT, 1);
    a.sleep_forever();
    let mut m = powered(a.finish(), 0);
    m.run(0);
    let t = m.drain_trace();
    assert_eq!(
        events(&t)[1..],
        [
            Event::LcdState { backlight: true, icons: vec![] },
            Event::Lcd { line: 1, text: "Hello".into() },
            Event::Lcd { line: 2, text: "v2.74°".into() },
            Event::LcdState { backlight: true, icons: vec!["network".into()] },
        ]
    );
    assert_eq!(m.lcd_lines()[..3], ["Hello".to_string(), "v2.74°".into(), "".into()]);
    assert!(m.lcd_backlight());
    assert_eq!(m.lcd_icons(), ["network"]);
}

#[test]
fn led_changes_reach_the_trace() {
    let mut a = Asm::rom();
    a.poke(led::BASE + led::reg::SYSTEM, led::value(led::MODE_FAST_BLINK, led::COLOR_RED));
    a.poke(led::BASE + led::reg::LINE0 + 8, led::value(led::MODE_ON, led::COLOR_GREEN));
    a.sleep_forever();
    let mut m = powered(a.finish(), 0);
    m.run(0);
    let t = m.drain_trace();
    assert_eq!(
        events(&t)[1..],
        [
            Event::Led { led: "system".into(), color: "red".into(), mode: "fast_blink".into() },
            Event::Led { led: "line3".into(), color: "green".into(), mode: "on".into() },
        ]
    );
    assert_eq!(m.led(3).unwrap().mode(), "on");
    assert_eq!(m.led(7), None);
}

#[test]
fn uart_bulk_send_from_sram() {
    let mut a = Asm::rom();
    a.poke(SRAM.base + 0x40, u32::from_le_bytes(*b"ok 1")).poke(SRAM.base + 0x44, u32::from_le_bytes(*b"\r\nx\n"));
    a.poke(uart::BASE + uart::reg::BUF, SRAM.base + 0x40).poke(uart::BASE + uart::reg::SEND, 8);
    a.sleep_forever();
    let mut m = powered(a.finish(), 0);
    m.run(0);
    assert_eq!(logs(&m.drain_trace()), ["ok 1", "x"]);
}

#[test]
fn identity_and_rng_registers() {
    let mut a = Asm::rom();
    for (i, r) in [sysctl::reg::MODEL, sysctl::reg::MAC_LO, sysctl::reg::MAC_HI, sysctl::reg::RESET_CAUSE].into_iter().enumerate() {
        a.peek(sysctl::BASE + r).li(0, SRAM.base).str(2, 0, 4 * i as u16);
    }
    a.peek(rng::BASE).li(0, SRAM.base).str(2, 0, 16).peek(rng::BASE).li(0, SRAM.base).str(2, 0, 20);
    a.sleep_forever();
    let rom = a.finish();
    let mut m = powered(rom.clone(), 0);
    m.run(0);
    let w: Vec<u32> = (0..6).map(|i| word(&m, SRAM.base + 4 * i)).collect();
    assert_eq!(w[..4], [0x0500, 0xA196_9000, 0xC1B1, 0]);
    assert_ne!(w[4], w[5]);
    let mut again = powered(rom, 0);
    again.run(0);
    assert_eq!(word(&again, SRAM.base + 16), w[4], "seeded: the same numbers");
}
