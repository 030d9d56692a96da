//! Integration tests: the real firmware and boot ROM of `roms/` booted on the
//! emulator, through the scenario runner and the `st20xx` binary.

mod common;
// Every scenarios/*.toml file runs and passes.
mod scenarios;
// `st20xx run --headless … --for 10s --trace` boots to idle and writes the trace.
mod cli;
// Same scenario, same seed: byte-identical traces.
mod determinism;
// A power cut at every flash operation of a config write keeps the old or new value.
mod power_cut;
