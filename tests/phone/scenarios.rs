//! Every scenario file of the repository passes (so `cargo test` runs them all).

use super::common;

#[test]
fn every_scenario_file_parses_and_names_known_ids() {
    let files = common::scenario_files();
    assert!(!files.is_empty());
    for f in &files {
        let s = scenario::load(f).unwrap_or_else(|e| panic!("{e}"));
        assert!(!s.description.is_empty(), "{}: say what the scenario checks in `description`", f.display());
    }
}

#[test]
fn every_scenario_file_passes() {
    let roms = common::roms();
    let files = common::scenario_files();
    assert!(files.len() >= 4, "expected the scenario files in scenarios/, found {files:?}");
    let mut failed = Vec::new();
    for f in &files {
        let s = scenario::load(f).unwrap_or_else(|e| panic!("{e}"));
        let r = scenario::run(&s, &roms);
        eprint!("{}", r.summary());
        if !r.passed() {
            failed.push(r.summary());
        }
    }
    assert!(failed.is_empty(), "{} of {} scenarios failed:\n{}", failed.len(), files.len(), failed.join(""));
}
