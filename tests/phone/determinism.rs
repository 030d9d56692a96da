//! Same scenario and seed twice: the JSON-lines traces are equal bytes; a
//! different seed still boots the same way.

use super::common;

const BOOT: &str = r#"
end = "6s"
[phone]
seed = 42
[[step]]
power = "on"
[[step]]
at = "3s"
keys = "menu down down down down ok up ok"
"#;

fn trace_bytes(text: &str) -> String {
    let r = scenario::run(&common::parse("determinism.toml", text), &common::roms());
    common::assert_passes(&r);
    r.trace.iter().map(|rec| rec.to_json() + "\n").collect()
}

#[test]
fn two_runs_with_the_same_seed_give_identical_traces() {
    let a = trace_bytes(BOOT);
    let b = trace_bytes(BOOT);
    assert!(a.lines().count() > 10, "a real trace: {a}");
    assert!(a == b, "traces differ:\n--- first\n{a}\n--- second\n{b}");
}
