//! Parser tests: a full file, then one bad input per rule, checking the line.

use super::*;
use crate::format::OptionValue;

fn p(text: &str) -> Result<Scenario, LoadError> {
    parse(text, Path::new("dir/test.toml"))
}

/// The error's line and message, or a panic naming what parsed.
fn err(text: &str) -> (usize, String) {
    match p(text) {
        Err(LoadError::Parse { line, msg, path }) => {
            assert_eq!(path, Path::new("dir/test.toml"));
            (line, msg)
        }
        Err(e) => panic!("unexpected error {e}"),
        Ok(s) => panic!("parsed: {s:?}"),
    }
}

const FULL: &str = r#"
name = "cut during a config write"
covers = ["R1", "F12"]
end = "cut+20s"

[phone]
model = "st2022m"
mac = "00-14-7f-e1-47-b3"
seed = 7
clock = "real"
flash = "phone.bin"

[[step]]
power = "on"

[[step]]
at = "5s"
press = "menu"
hold = "1s"

[[step]]
after = "500ms"
keys = "down ok"

[[step]]
power = "cut"
during_flash = 2
flash_op = "program"
flash_partition = "config"
mark = "cut"

[[step]]
at = "cut+1s"
power = "on"

[[step]]
hook = "off"

[[step]]
wait = "1d"

[[expect.lcd]]
line = 3
contains = "Provisioning"
from = "0s"
to = "10s"

[[expect.lcd]]
regex = '^v\d+\.\d+$'
at = "cut+5s"

[[expect.led]]
color = "red"
mode = "fast_blink"
never = true
from = "cut"

[[expect.log]]
text = "Begin Common Config download..."

[[expect.flash]]
op = "erase"
partition = "config"
count = 0

[[expect.boots]]
causes = ["power_on", "power_on"]
"#;

#[test]
fn a_full_file() {
    let s = p(FULL).unwrap();
    assert_eq!(s.name, "cut during a config write");
    assert_eq!(s.covers, vec!["R1", "F12"]);
    assert_eq!(s.end, Some(TimeRef::Mark { mark: "cut".into(), plus_us: 20_000_000 }));
    assert_eq!(
        s.phone,
        Phone { model: Model::parse("ST2022M").unwrap(), mac: [0x00, 0x14, 0x7F, 0xE1, 0x47, 0xB3], seed: 7, clock: Clock::Real, flash: Some(PathBuf::from("dir/phone.bin")) }
    );
    assert_eq!(s.steps.len(), 7);
    assert_eq!(s.steps[0].line, 13);
    assert_eq!(s.steps[0].time, StepTime::After(0));
    assert_eq!(s.steps[0].action, Action::Inputs(vec![Timed { at_us: 0, input: Input::PowerOn }]));
    assert_eq!(s.steps[1].time, StepTime::At(TimeRef::Abs(5_000_000)));
    assert_eq!(
        s.steps[1].action,
        Action::Inputs(vec![Timed { at_us: 0, input: Input::Key { key: Key::Menu, down: true } }, Timed { at_us: 1_000_000, input: Input::Key { key: Key::Menu, down: false } }])
    );
    assert_eq!(s.steps[2].time, StepTime::After(500_000));
    assert!(matches!(&s.steps[2].action, Action::Inputs(v) if v.len() == 4));
    assert_eq!(s.steps[3].action, Action::CutDuringFlash { nth: 2, op: Some(FlashOp::Program), partition: Some("config") });
    assert_eq!(s.steps[3].mark.as_deref(), Some("cut"));
    assert_eq!(s.steps[4].time, StepTime::At(TimeRef::Mark { mark: "cut".into(), plus_us: 1_000_000 }));
    assert_eq!(s.steps[5].action, Action::Inputs(vec![Timed { at_us: 0, input: Input::Hook { off_hook: true } }]));
    assert_eq!((s.steps[6].time.clone(), s.steps[6].action.clone()), (StepTime::After(86_400_000_000), Action::Wait));

    let labels: Vec<&str> = s.expects.iter().map(|e| e.label.as_str()).collect();
    assert_eq!(labels, ["lcd #1", "lcd #2", "led #1", "log #1", "flash #1", "boots #1"]);
    assert_eq!(s.expects[0].line, 42);
    assert!(matches!(&s.expects[0].what, What::Lcd { line: Some(3), text: Matcher::Contains(t) } if t == "Provisioning"));
    assert_eq!(s.expects[0].window, Window::Between(Some(TimeRef::Abs(0)), Some(TimeRef::Abs(10_000_000))));
    assert!(matches!(&s.expects[1].what, What::Lcd { line: None, text: Matcher::Regex(_) }));
    assert_eq!(s.expects[1].window, Window::At(TimeRef::Mark { mark: "cut".into(), plus_us: 5_000_000 }));
    assert!(s.expects[2].never);
    assert!(matches!(&s.expects[2].what, What::Led { led, .. } if led == "system"));
    assert_eq!(s.expects[2].window, Window::Between(Some(TimeRef::Mark { mark: "cut".into(), plus_us: 0 }), None));
    assert!(matches!(&s.expects[4].what, What::Flash { op: Some(FlashOp::Erase), partition: Some("config"), count: Some(0) }));
    assert!(matches!(&s.expects[5].what, What::Boots { count: None, causes: Some(c) } if c == &[BootCause::PowerOn, BootCause::PowerOn]));
}

#[test]
fn an_empty_file_is_a_default_phone_with_nothing_to_do() {
    let s = p("").unwrap();
    assert_eq!(s.name, "test");
    assert_eq!(s.phone, Phone::default());
    assert!(s.steps.is_empty() && s.expects.is_empty() && s.covers.is_empty());
}

#[test]
fn toml_errors_name_the_line() {
    let (line, msg) = err("covers = []\n\n[[step]]\npower = \"on\"\nbogus = 1\n");
    assert_eq!(line, 5);
    assert!(msg.contains("unknown field `bogus`"), "{msg}");

    let (line, msg) = err("name = \"x\"\n[[step]\n");
    assert_eq!(line, 2, "{msg}");

    let (line, msg) = err("\n[[step]]\npower = \"sideways\"\n");
    assert_eq!(line, 3);
    assert!(msg.contains("sideways"), "{msg}");
}

#[test]
fn unknown_and_repeated_ids_are_errors() {
    let (line, msg) = err("\n\ncovers = [\"R1\", \"Q9\"]\n");
    assert_eq!(line, 3);
    assert!(msg.contains("unknown requirement ID `Q9`"), "{msg}");
    let (_, msg) = err("covers = [\"R1\", \"R1\"]\n");
    assert!(msg.contains("twice"), "{msg}");
}

#[test]
fn bad_values_name_their_table_line() {
    let cases: &[(&str, usize, &str)] = &[
        ("[phone]\nmodel = \"ST9999X\"\n", 1, "phone.model `ST9999X`"),
        ("[phone]\nmac = \"00:11\"\n", 1, "phone.mac `00:11`"),
        ("\n[[step]]\nat = \"5q\"\npower = \"on\"\n", 2, "step 1: `at`: `5q`: unknown unit `q`"),
        ("[[step]]\npower = \"on\"\n[[step]]\nat = \"1s\"\nafter = \"1s\"\npower = \"on\"\n", 3, "step 2: give at most one of"),
        ("[[step]]\nafter = \"1s\"\n", 1, "step 1: no action"),
        ("[[step]]\npower = \"on\"\nhook = \"off\"\n", 1, "step 1: more than one action"),
        ("[[step]]\nwait = \"1s\"\npower = \"on\"\n", 1, "`wait` only lets time pass"),
        ("[[step]]\npress = \"banana\"\n", 1, "unknown key `banana`"),
        ("[[step]]\nhook = \"off\"\nhold = \"1s\"\n", 1, "`hold` goes with `press`"),
        ("[[step]]\nkeys = \"1s ok 0s ok\"\n", 1, "key script token 3 `0s`"),
        ("[[step]]\npower = \"on\"\nduring_flash = 1\n", 1, "not `on`"),
        ("[[step]]\npower = \"cut\"\nduring_flash = 0\n", 1, "counts from 1"),
        ("[[step]]\npower = \"cut\"\nduring_flash = 1\nflash_partition = \"nvram\"\n", 1, "unknown flash partition `nvram`"),
        ("[[step]]\npower = \"cut\"\nflash_op = \"erase\"\n", 1, "go with `during_flash`"),
        ("[[step]]\nat = \"boot+1s\"\npower = \"on\"\n", 1, "no earlier step has mark `boot`"),
        ("[[step]]\nat = \"x+1s\"\npower = \"on\"\nmark = \"x\"\n", 1, "no earlier step has mark `x`"),
        ("[[step]]\npower = \"on\"\nmark = \"a\"\n[[step]]\npower = \"off\"\nmark = \"a\"\n", 4, "mark `a` is defined twice"),
        ("[[step]]\npower = \"on\"\nmark = \"a b\"\n", 1, "mark `a b`"),
        ("end = \"later\"\n", 1, "`end`"),
        ("\n[[expect.lcd]]\nline = 7\ntext = \"x\"\n", 2, "expect.lcd #1: `line` 7"),
        ("[[expect.lcd]]\ntext = \"x\"\ncontains = \"y\"\n", 1, "only one of"),
        ("[[expect.lcd]]\nline = 1\n", 1, "give one of `text`"),
        ("[[expect.lcd]]\nregex = \"(\"\n", 1, "`regex`"),
        ("[[expect.lcd]]\ntext = \"x\"\nat = \"1s\"\nfrom = \"0s\"\n", 1, "not both"),
        ("[[expect.lcd]]\ntext = \"x\"\nat = \"1s\"\nnever = true\n", 1, "`never` needs a window"),
        ("[[expect.lcd]]\ntext = \"x\"\nfrom = \"2s\"\nto = \"1s\"\n", 1, "`from` (2s) is after `to` (1s)"),
        ("[[expect.led]]\nled = \"line9\"\ncolor = \"red\"\n", 1, "`led` `line9`"),
        ("[[expect.led]]\nled = \"line1\"\n", 1, "give `color`, `mode`"),
        ("[[expect.log]]\ncontains = \"x\"\n[[expect.log]]\ncontains = \"x\"\nat = \"1s\"\n", 5, "unknown field `at`"),
        ("[[expect.log]]\ncontains = \"x\"\n[[expect.log]]\nregex = \"[\"\n", 3, "expect.log #2: `regex`"),
        ("[[expect.flash]]\nnever = true\ncount = 2\n", 1, "exclude each other"),
        ("[[expect.boots]]\nfrom = \"1s\"\n", 1, "give `count`, `causes`"),
        ("[[expect.boots]]\ncount = 2\ncauses = [\"power_on\"]\n", 1, "`count` = 2 but `causes` lists 1"),
    ];
    for (text, want_line, want_msg) in cases {
        let (line, msg) = err(text);
        assert!(msg.contains(want_msg), "{text:?}: {msg:?} lacks {want_msg:?}");
        assert_eq!(line, *want_line, "{text:?}: {msg}");
    }
}

#[test]
fn errors_display_file_and_line() {
    let e = p("[[step]]\npress = \"banana\"\n").unwrap_err();
    assert!(e.to_string().starts_with("dir/test.toml:1: step 1: `press`: unknown key `banana`"), "{e}");
    let e = load(Path::new("/nonexistent/x.toml")).unwrap_err();
    assert!(e.to_string().starts_with("/nonexistent/x.toml: "), "{e}");
}

/// Parses `text` as if it were `dir/test.toml` for a real directory `dir`.
fn in_dir(dir: &Path, text: &str) -> Result<Scenario, LoadError> {
    parse(text, &dir.join("test.toml"))
}

#[test]
fn a_network_file() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("trees/x")).unwrap();
    std::fs::write(d.path().join("trees/x/lab.toml"), "").unwrap();
    let text = r#"
[phone.config]
"autoprovision.AutoprovisionHTTPServer" = "10.0.0.1"
"sip.DisplayName1" = "Hélène"
"sip.TEL1Number" = 2001

[net]
base = "demo"
overlay = "trees/x"
remove = ["melody/cwt_261127.txt"]
lab_file = "trees/x/lab.toml"
dhcp_options = ["43=http://prov.lab/ST2030S.inf"]
dhcp_file = "ST2030S.inf"
dhcp_siaddr = "10.0.0.2"
loss = 0.25
[net.http_status]
"/ST2030S.inf" = 500
[[net.mutate]]
path = "v2030SG.261127.2.75.zz"
flip = 4096
truncate = 1000

[[expect.serve]]
path = "/ST2030S.inf"
proto = "http"
status = 200
count = 1
from = "0s"
to = "30s"
[[expect.dhcp]]
msg = "discover"
option = 60
hex = "30 31 30 37"
[[expect.dhcp]]
option = 77
contains_text = "ST2030"
[[expect.dhcp]]
msg = "request"
[expect.requests]
paths = ["/ST2030S.inf", "boot"]
boots = true
to = "2s"
"#;
    let s = in_dir(d.path(), text).unwrap();
    assert_eq!(
        s.config,
        vec![
            ("autoprovision.AutoprovisionHTTPServer".to_string(), b"10.0.0.1".to_vec()),
            ("sip.DisplayName1".to_string(), b"H\xe9l\xe8ne".to_vec()),
            ("sip.TEL1Number".to_string(), b"2001".to_vec()),
        ]
    );
    let n = s.net.unwrap();
    assert_eq!(n.base, crate::format::Base::Demo);
    assert_eq!(n.overlay, Some(d.path().join("trees/x")));
    assert_eq!(n.lab_file, Some(d.path().join("trees/x/lab.toml")));
    assert_eq!((n.remove, n.dhcp_options), (vec!["melody/cwt_261127.txt".to_string()], vec!["43=http://prov.lab/ST2030S.inf".to_string()]));
    assert_eq!((n.dhcp_file.as_deref(), n.dhcp_siaddr, n.loss), (Some("ST2030S.inf"), Some([10, 0, 0, 2].into()), 0.25));
    assert_eq!(n.http_status["/ST2030S.inf"], 500);
    assert_eq!(n.mutate, vec![crate::format::Mutate { line: 18, path: "v2030SG.261127.2.75.zz".into(), flip: Some(4096), truncate: Some(1000) }]);
    let labels: Vec<&str> = s.expects.iter().map(|e| e.label.as_str()).collect();
    assert_eq!(labels, ["serve #1", "dhcp #1", "dhcp #2", "dhcp #3", "requests #1"]);
    assert!(matches!(&s.expects[0].what, What::Serve { path: Matcher::Exact(p), proto: Some(h), status: Some(200), count: Some(1), vlan: None } if p == "/ST2030S.inf" && h == "http"));
    assert!(matches!(&s.expects[1].what, What::Dhcp { msg: Some(m), option: Some((60, Some(OptionValue::Equals(v)))), vlan: None } if m == "discover" && v == b"0107"));
    assert!(matches!(&s.expects[2].what, What::Dhcp { msg: None, option: Some((77, Some(OptionValue::Contains(v)))), .. } if v == b"ST2030"));
    assert!(matches!(&s.expects[3].what, What::Dhcp { msg: Some(_), option: None, .. }));
    assert!(matches!(&s.expects[4].what, What::Requests { paths, boots: true, dhcp: false, vlans: false } if paths.len() == 2));
    assert_eq!(s.expects[4].window, Window::Between(None, Some(TimeRef::Abs(2_000_000))));
}

#[test]
fn several_request_windows_and_a_base_directory() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join("tree")).unwrap();
    let s = in_dir(d.path(), "[net]\nbase = \"tree\"\n[[expect.requests]]\npaths = []\nto = \"1s\"\n[[expect.requests]]\npaths = [\"a\"]\nfrom = \"1s\"\n").unwrap();
    assert_eq!(s.net.unwrap().base, crate::format::Base::Dir(d.path().join("tree")));
    let labels: Vec<&str> = s.expects.iter().map(|e| e.label.as_str()).collect();
    assert_eq!(labels, ["requests #1", "requests #2"]);
    assert!(p("").unwrap().net.is_none());
}

#[test]
fn bad_network_values_name_their_line() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("file"), "").unwrap();
    let cases: &[(&str, usize, &str)] = &[
        ("\n[net]\nbase = \"demo\"\nbogus = 1\n", 4, "unknown field `bogus`"),
        ("[net]\noverlay = \"x\"\n", 1, "missing field `base`"),
        ("\n[net]\nbase = \"nowhere\"\n", 2, "net.base `nowhere`: "),
        ("[net]\nbase = \"file\"\n", 1, "is not a directory"),
        ("[net]\nbase = \"demo\"\noverlay = \"gone\"\n", 1, "net.overlay `gone`"),
        ("[net]\nbase = \"demo\"\nlab_file = \"gone.toml\"\n", 1, "net.lab_file `gone.toml`: no such file"),
        ("[net]\nbase = \"demo\"\nremove = [\"../x\"]\n", 1, "net.remove `../x`: must stay inside"),
        ("[net]\nbase = \"demo\"\ndhcp_options = [\"150=prov.lab\"]\n", 1, "net.dhcp_options `150=prov.lab`"),
        ("[net]\nbase = \"demo\"\ndhcp_siaddr = \"prov.lab\"\n", 1, "net.dhcp_siaddr `prov.lab`"),
        ("[net]\nbase = \"demo\"\nloss = 1.5\n", 1, "net.loss 1.5"),
        ("[net]\nbase = \"demo\"\n[net.http_status]\n\"ST2030S.inf\" = 500\n", 1, "HTTP paths start with `/`"),
        ("[net]\nbase = \"demo\"\n[net.http_status]\n\"/a\" = 99\n", 1, "100..=599"),
        ("[net]\nbase = \"demo\"\n\n[[net.mutate]]\npath = \"a\"\n", 4, "net.mutate #1: give `flip`, `truncate`"),
        ("[net]\nbase = \"demo\"\n[[net.mutate]]\npath = \"a/../../b\"\nflip = 1\n", 3, "must stay inside"),
        ("[phone.config]\nnodot = \"1\"\n", 1, "a key is `section.key`"),
        ("[phone.config]\n\"a.b\" = \"€\"\n", 1, "not ISO-8859-1"),
        ("[phone.config]\n\"a.b\" = \"1\"\n\"A.B\" = \"2\"\n", 1, "given twice"),
        ("[phone.config]\n\"a.b\" = 1.5\n", 1, "phone.config `a.b`: a value is text, an integer or a boolean"),
        ("\n[[expect.serve]]\nstatus = 200\n", 2, "expect.serve #1: give one of `path`"),
        ("[[expect.serve]]\npath = \"/a\"\nnever = true\ncount = 1\n", 1, "exclude each other"),
        ("[[expect.serve]]\npath = \"/a\"\nproto = \"ftp\"\n", 1, "`proto` `ftp`"),
        ("[[expect.serve]]\npath = \"/a\"\nat = \"1s\"\n", 3, "unknown field `at`"),
        ("[[expect.dhcp]]\nmsg = \"offer\"\n", 1, "`msg` `offer`"),
        ("[[expect.dhcp]]\ntext = \"x\"\n", 1, "needs `option`"),
        ("[[expect.dhcp]]\noption = 60\nhex = \"3\"\n", 1, "`hex` `3`: not hex"),
        ("[[expect.dhcp]]\noption = 60\nhex = \"30\"\ntext = \"0\"\n", 1, "only one of"),
        ("[[expect.dhcp]]\noption = 0\n", 1, "1..=254"),
        ("[expect.requests]\npaths = [\"\"]\n", 1, "an empty path"),
        ("[expect.requests]\npaths = [\"/a\"]\nfrom = \"2s\"\nto = \"1s\"\n", 1, "is after `to`"),
    ];
    for (text, want_line, want_msg) in cases {
        let (line, msg) = match in_dir(d.path(), text) {
            Err(LoadError::Parse { line, msg, .. }) => (line, msg),
            other => panic!("{text:?}: {other:?}"),
        };
        assert!(msg.contains(want_msg), "{text:?}: {msg:?} lacks {want_msg:?}");
        assert_eq!(line, *want_line, "{text:?}: {msg}");
    }
}
