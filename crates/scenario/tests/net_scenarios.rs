//! The network scenario files of this crate's brief run end to end on the
//! emulator with the built-in lab (the repository's `roms/` must be built).

use rom::Roms;
use std::path::Path;

fn run(file: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let roms = Roms::open(&root.join("roms")).unwrap_or_else(|e| panic!("{e} (build the images with `cargo xtask roms`)"));
    let s = scenario::load(&root.join("scenarios").join(file)).unwrap_or_else(|e| panic!("{e}"));
    let r = scenario::run(&s, &roms);
    if std::env::var_os("SCENARIO_TRACE").is_some() {
        for rec in &r.trace {
            eprintln!("{}", rec.to_json());
        }
    }
    assert!(r.passed(), "{}", r.summary());
}

#[test]
fn dhcp_vendor_options() {
    run("net_dhcp_vendor_options.toml");
}

#[test]
fn demo_http_first_install() {
    run("net_demo_http_first_install.toml");
}

fn roms() -> Roms {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../roms");
    Roms::open(&dir).unwrap_or_else(|e| panic!("{e} (build the images with `cargo xtask roms`)"))
}

/// Runs scenario text that lives (as far as relative paths go) in `scenarios/`.
fn run_text(text: &str) -> scenario::Report {
    let at = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/inline.toml");
    let s = scenario::parse::parse(text, &at).unwrap_or_else(|e| panic!("{e}"));
    scenario::run(&s, &roms())
}

#[test]
fn phone_config_is_in_the_store_at_power_on() {
    let r = run_text(
        r#"
end = "5s"
[phone.config]
"sip.DisplayName1" = "Jürgen"
"sip.TEL1Number" = 42
[[step]]
power = "on"
[[expect.lcd]]
line = 2
text = "Jürgen"
at = "4s"
[[expect.lcd]]
line = 3
text = "42"
at = "4s"
[[expect.log]]
text = "config: factory defaults written"
never = true
"#,
    );
    assert!(r.passed(), "{}", r.summary());
}

#[test]
fn a_forced_http_status_and_a_removed_file_reach_the_phone() {
    let r = run_text(
        r#"
end = "3s"
[net]
base = "demo"
[net.http_status]
"/ST2030S.inf" = 503
[[step]]
power = "on"
[[expect.serve]]
path = "/ST2030S.inf"
status = 503
[[expect.serve]]
contains = ".zz"
never = true
"#,
    );
    assert!(r.passed(), "{}", r.summary());
    let r = run_text(
        r#"
end = "3s"
[net]
base = "demo"
remove = ["/v2030SG.261127.2.75.zz"]
[[step]]
power = "on"
[[expect.serve]]
path = "/v2030SG.261127.2.75.zz"
status = 404
count = 1
[[expect.boots]]
count = 1
"#,
    );
    assert!(r.passed(), "{}", r.summary());
}

#[test]
fn a_failing_network_expectation_shows_what_was_served() {
    let r = run_text(
        r#"
end = "2s"
[net]
base = "demo"
[[step]]
power = "on"
[expect.requests]
paths = ["/ST2030S.inf", "/nothing.zz"]
to = "0.5s"
"#,
    );
    assert!(!r.passed());
    let detail = &r.outcomes[1].detail;
    assert!(detail.contains(r#"entry 2 is "/v2030SG.261127.2.75.zz" at 0.102s, expected "/nothing.zz""#), "{detail}");
}
