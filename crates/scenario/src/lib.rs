//! Scenario files: one phone, a timeline of steps (power, keys, hook, power
//! cuts during flash operations) and expectations on its trace (LCD, LED,
//! console log, flash operations, boots; never a crash), each naming the
//! CONFORMANCE.md requirements it covers.
//!
//! The format (`format`, `parse`) is apart from the runner (`runner`): a
//! `Scenario` value goes to `run(&Scenario, &Roms) -> Report`; `expect`
//! checks a finished trace; `report` writes JUnit XML and JSON; `coverage`
//! maps requirement IDs to scenarios.

pub mod conformance;
pub mod coverage;
pub mod expect;
pub mod format;
pub mod parse;
pub mod play;
pub mod report;
pub mod runner;
pub mod script;
pub mod time;

pub use format::Scenario;
pub use parse::{LoadError, load};
pub use report::Report;
pub use runner::{RunError, run};
