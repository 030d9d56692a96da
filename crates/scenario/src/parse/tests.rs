//! Parser tests: a full file, then one bad input per rule, checking the line.

use super::*;

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
