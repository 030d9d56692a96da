//! Step-playing tests on a scripted phone: power on boots it at +100 ms and
//! it then writes its config (erase at +1 s, programs at +1.1 s and +1.2 s).

use super::*;
use crate::parse::parse;
use std::path::Path;
use trace::{BootCause, FlashOp, PowerState};

#[derive(Default)]
struct Scripted {
    now: u64,
    inputs: Vec<(u64, Input)>,
    pending: Vec<Record>,
}

fn rec(t_us: u64, event: Event) -> Record {
    Record { t_us, phone: "P".into(), event }
}

impl Scripted {
    fn apply(&mut self, at: u64, input: Input, sink: &mut dyn FnMut(&Record) -> Flow) -> Flow {
        match input {
            Input::PowerOn => {
                self.pending = vec![
                    rec(at + 100_000, Event::Boot { cause: BootCause::PowerOn, image: "2.74".into() }),
                    rec(at + 1_000_000, Event::Flash { op: FlashOp::Erase, addr: 0x0820_0000, len: 65536 }),
                    rec(at + 1_100_000, Event::Flash { op: FlashOp::Program, addr: 0x0820_0000, len: 256 }),
                    rec(at + 1_200_000, Event::Flash { op: FlashOp::Program, addr: 0x0820_0100, len: 256 }),
                ];
                sink(&rec(at, Event::Power { state: PowerState::On }))
            }
            Input::PowerCut => {
                self.pending.clear();
                sink(&rec(at, Event::Power { state: PowerState::Off }))
            }
            Input::Key { key, down } => sink(&rec(at, Event::Key { key: key.name().into(), down })),
            Input::Hook { off_hook } => sink(&rec(at, Event::Key { key: "hook".into(), down: off_hook })),
        }
    }
}

impl Driver for Scripted {
    fn schedule(&mut self, at_us: u64, input: Input) {
        assert!(at_us >= self.now, "scheduled in the past");
        self.inputs.push((at_us, input));
        self.inputs.sort_by_key(|(t, _)| *t);
    }

    fn run_until(&mut self, until_us: u64, sink: &mut dyn FnMut(&Record) -> Flow) -> Result<u64, String> {
        loop {
            let next_input = self.inputs.first().map(|(t, _)| *t);
            let next_rec = self.pending.first().map(|r| r.t_us);
            let flow = match (next_input, next_rec) {
                (Some(i), r) if i <= until_us && r.is_none_or(|r| i <= r) => {
                    let (at, input) = self.inputs.remove(0);
                    self.now = at;
                    self.apply(at, input, sink)
                }
                (_, Some(r)) if r <= until_us => {
                    let rec = self.pending.remove(0);
                    self.now = rec.t_us;
                    sink(&rec)
                }
                _ => {
                    self.now = until_us;
                    return Ok(until_us);
                }
            };
            if flow == Flow::Pause {
                return Ok(self.now);
            }
        }
    }
}

fn played(toml: &str) -> Played {
    let s = parse(toml, Path::new("t.toml")).unwrap();
    play(&s, &mut Scripted::default())
}

fn kinds(p: &Played) -> Vec<String> {
    p.records.iter().map(|r| r.human().split_once("P ").unwrap().1.to_string()).collect()
}

#[test]
fn steps_in_order_and_default_end() {
    let p = played("[[step]]\npower = \"on\"\n[[step]]\nat = \"3s\"\npress = \"ok\"\n[[step]]\nafter = \"1s\"\nhook = \"off\"\nmark = \"h\"\n");
    assert_eq!(p.error, None);
    assert_eq!(p.marks["h"], 4_000_000);
    assert_eq!(p.end_us, 5_000_000, "1 s after the last step");
    assert_eq!(
        kinds(&p),
        vec!["power on", "boot (PowerOn) firmware 2.74", "flash Erase 0x08200000 +65536", "flash Program 0x08200000 +256", "flash Program 0x08200100 +256", "key ok down", "key ok up", "key hook down"]
    );
    assert_eq!(p.records[6].t_us, 3_100_000);
}

#[test]
fn cut_during_the_nth_flash_operation() {
    let p = played(
        "end = \"cut+2s\"\n[[step]]\npower = \"on\"\n[[step]]\npower = \"cut\"\nduring_flash = 2\nmark = \"cut\"\n[[step]]\nafter = \"500ms\"\npower = \"on\"\nmark = \"again\"\n",
    );
    assert_eq!(p.error, None);
    assert_eq!(p.marks["cut"], 1_100_000);
    assert_eq!(p.marks["again"], 1_600_000);
    assert_eq!(p.end_us, 3_100_000);
    let k = kinds(&p);
    assert_eq!(&k[..5], ["power on", "boot (PowerOn) firmware 2.74", "flash Erase 0x08200000 +65536", "flash Program 0x08200000 +256", "power off"]);
    assert_eq!(p.records[4].t_us, 1_100_000, "cut at the operation's start");
    assert_eq!(k[5], "power on");
    assert_eq!(k.len(), 10);
}

#[test]
fn flash_filters_and_a_start_time() {
    let p = played("[[step]]\npower = \"on\"\n[[step]]\nat = \"1.05s\"\npower = \"cut\"\nduring_flash = 1\nflash_op = \"program\"\nflash_partition = \"config\"\nmark = \"c\"\n");
    assert_eq!(p.error, None);
    assert_eq!(p.marks["c"], 1_100_000);
}

#[test]
fn a_flash_operation_that_never_comes_is_an_error() {
    let p = played("end = \"10s\"\n[[step]]\npower = \"on\"\n[[step]]\npower = \"cut\"\nduring_flash = 4\n");
    assert_eq!(p.error.as_deref(), Some("step 2 (line 4): wanted to cut power during flash operation 4 after 0.000s, but only 3 happened by 10.000s"));
    let p = played("[[step]]\npower = \"on\"\n[[step]]\npower = \"cut\"\nduring_flash = 1\nflash_partition = \"files\"\n");
    assert!(p.error.unwrap().contains("only 0 happened by 3600.000s"));
}

#[test]
fn time_cannot_go_back() {
    let p = played("[[step]]\npower = \"on\"\n[[step]]\npower = \"cut\"\nduring_flash = 1\n[[step]]\nat = \"0.5s\"\npower = \"on\"\n");
    assert_eq!(p.error.as_deref(), Some("step 3 (line 6): at 0.500s is before the previous step's 1.000s"));
}

#[test]
fn expectation_times_extend_the_default_end() {
    let p = played("[[step]]\npower = \"on\"\n[[expect.lcd]]\ntext = \"x\"\nfrom = \"2s\"\nto = \"7s\"\n");
    assert_eq!(p.end_us, 8_000_000);
    let p = played("[[step]]\npower = \"on\"\n[[step]]\nwait = \"1d\"\n");
    assert_eq!(p.end_us, 86_401_000_000);
}

#[test]
fn a_crash_stops_the_run() {
    struct Crashing;
    impl Driver for Crashing {
        fn schedule(&mut self, _: u64, _: Input) {}
        fn run_until(&mut self, until_us: u64, sink: &mut dyn FnMut(&Record) -> Flow) -> Result<u64, String> {
            let at = until_us.min(500);
            if sink(&rec(at, Event::Crash { pc: 4, reason: "udf".into() })) == Flow::Pause { Ok(at) } else { Ok(until_us) }
        }
    }
    let s = parse("[[step]]\npower = \"on\"\n[[step]]\nwait = \"1s\"\n[[step]]\npower = \"cut\"\nduring_flash = 1\n", Path::new("t.toml")).unwrap();
    let p = play(&s, &mut Crashing);
    assert_eq!(p.error, None);
    assert_eq!(p.end_us, 500);
    assert_eq!(p.records.len(), 1);
}
