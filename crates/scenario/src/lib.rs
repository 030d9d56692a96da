//! Scenario files: one phone (optionally preconfigured, optionally plugged
//! into the built-in lab serving a provisioning tree), a timeline of steps
//! (power, keys, hook, power cuts during flash operations) and expectations
//! on its trace (LCD, LED, console log, flash operations, boots, the lab's
//! DHCP and file-request records; never a crash), each naming the
//! CONFORMANCE.md requirements it covers.
//!
//! The format (`format`, `netspec`, `parse`) is apart from the runner
//! (`runner`, with `preconfig` for the config store and `tree` for the served
//! tree): a `Scenario` value goes to `run(&Scenario, &Roms) -> Report`;
//! `expect` checks a finished trace; `report` writes JUnit XML and JSON;
//! `coverage` maps requirement IDs to scenarios.

pub mod conformance;
pub mod coverage;
pub mod expect;
pub mod format;
pub mod netspec;
pub mod parse;
pub mod play;
pub mod preconfig;
pub mod report;
pub mod runner;
pub mod script;
pub mod time;
pub mod tree;

pub use format::Scenario;
pub use parse::{LoadError, load};
pub use report::Report;
pub use runner::{RunError, run};
