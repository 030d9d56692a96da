//! Fuzzes a whole provisioning run: the first half of the input is the INF,
//! the rest chooses every answer and is served as every file's bytes. The
//! run must never panic and must end within a bounded number of polls.
#![no_main]

use aps::run::{Action, FetchResult, Installed, Origin, Phone, Run};
use aps::url::Url;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (inf, rest) = data.split_at(data.len() / 2);
    let model = aps::Model::ALL[usize::from(rest.first().copied().unwrap_or(0) & 3)];
    let phone = Phone {
        model,
        mac: aps::names::Mac([0, 0x14, 0x7F, 1, 2, 3]),
        running: board::image::Version { major: 2, minor: 67, patch: 0 },
        key: aps::ser::DEFAULT_KEY,
    };
    let origin = Origin::Http { inf_url: Url::parse(b"http://aps.lan/p/x.inf").unwrap() };
    let mut run = Run::new(phone, origin, inf, Installed::default(), rest.get(1).is_some_and(|b| b & 1 == 1));
    let now = aps::time::Instant::ZERO;
    let mut choice = rest.iter().copied().cycle();
    for _ in 0..10_000 {
        let c = choice.next().unwrap_or(0);
        match run.poll(now) {
            Action::Fetch(_) => {
                let mut body = rest.to_vec();
                let r = match c % 6 {
                    0 => FetchResult::NotFound,
                    1 => FetchResult::Unreachable,
                    2 => FetchResult::ServerError,
                    3 => FetchResult::Streamed { len: u32::from(c) * 97 },
                    4 => {
                        run.image_header(rest);
                        FetchResult::Streamed { len: body.len() as u32 }
                    }
                    _ => FetchResult::Data(&mut body),
                };
                run.report(now, r);
            }
            Action::CheckImage { .. } => run.image_complete(c & 1 == 0),
            Action::Install { .. } | Action::ApplyConfig(_) => run.committed(c & 2 == 0),
            Action::Reboot(_) | Action::Done { .. } | Action::Failed { .. } => return,
            Action::Wait => panic!("nothing pending"),
            _ => {}
        }
    }
    panic!("run did not end");
});
