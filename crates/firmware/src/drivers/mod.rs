//! Drivers: one small module per peripheral block of `board::periph`. Each
//! touches only its own registers; none busy-waits (waiting is sleeping).

pub mod crc;
pub mod eth;
pub mod flash;
pub mod keypad;
pub mod lcd;
pub mod led;
pub mod rng;
pub mod sysctl;
pub mod timer;
pub mod uart;
