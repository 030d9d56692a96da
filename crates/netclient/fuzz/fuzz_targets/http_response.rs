//! Any byte stream, in arbitrary pieces, as the server's side of a GET.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netclient::http::{Config, HttpGet, Status};
use netclient::url::Url;
use netclient::{Sink, SinkError};

struct Counter(u64);

impl Sink for Counter {
    fn write(&mut self, data: &[u8]) -> Result<(), SinkError> {
        self.0 += data.len() as u64;
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&split, stream)) = data.split_first() else {
        return;
    };
    let url = Url::parse("http://192.0.2.5:8080/aps/file.inf").unwrap();
    let mut get = HttpGet::new(
        0,
        &url,
        "THOMSON ST2030 hw5 fw2.74 00-90-96-A1-B1-C1",
        Config {
            max_body: 1000,
            ..Config::default()
        },
    )
    .unwrap();
    let _ = get.dispatch(0, |b: &[u8]| Ok::<usize, ()>(b.len()));
    let mut sink = Counter(0);
    for piece in stream.chunks(usize::from(split).max(1)) {
        get.process(1, piece, &mut sink);
    }
    get.close(2);
    assert!(sink.0 <= 1000);
    assert!(get.status() != Status::InProgress);
});
