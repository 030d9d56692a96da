//! The board tests: small hand-assembled Thumb programs in a boot ROM drive
//! every device model through the real CPU.

mod asm;
// sleep, wake events, timer and the hang guard
mod sleep;
// LCD, LED, keypad and UART as the trace shows them
mod devices;
// flash controller: erase/program semantics and torn operations
mod flash;
// crashes, watchdog, software reset in place, boot window
mod reset;
// NIC descriptor rings
mod nic;
// runner, clock and determinism
mod runner;
// IT-block state across a TLB miss
mod it_block;
// the real boot ROM and firmware from roms/
mod roms;

use board::model::Hardware;
use machine::{Machine, MachineConfig};
use trace::{Event, Record};

pub const MAC: [u8; 6] = [0x00, 0x90, 0x96, 0xA1, 0xB1, 0xC1];

pub fn machine(rom: Vec<u8>, flash: Vec<u8>) -> Machine {
    Machine::new(MachineConfig { hardware: Hardware::St2030, mac: MAC, seed: 42, boot_rom: rom, flash }).unwrap()
}

/// A machine with `rom`, powered on at `t`.
pub fn powered(rom: Vec<u8>, t: u64) -> Machine {
    let mut m = machine(rom, Vec::new());
    m.power_on(t);
    m
}

pub fn events(trace: &[Record]) -> Vec<Event> {
    trace.iter().map(|r| r.event.clone()).collect()
}

pub fn logs(trace: &[Record]) -> Vec<String> {
    trace
        .iter()
        .filter_map(|r| match &r.event {
            Event::Log { text } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

pub fn word(m: &Machine, addr: u32) -> u32 {
    u32::from_le_bytes(m.peek(addr, 4).unwrap().try_into().unwrap())
}
