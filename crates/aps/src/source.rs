//! Where the INF comes from (CONFORMANCE P1–P5; vendor document 2.2, 2.3):
//! the ordered list of candidates, and the retry rule as a sans-I/O state
//! machine.
//!
//! Order of methods: pre-configured HTTP server, pre-configured TFTP server
//! (P1: pre-configuration wins, HTTP over TFTP), then DHCP option 43 (HTTP),
//! then the TFTP server of D4 (150 > 66 > `siaddr`). **Decision:** when a
//! reply has both option 43 and a TFTP server, option 43 wins, as HTTP wins
//! over TFTP in pre-configuration (the document does not say).
//!
//! Names per method: pre-configured server: `<MODEL>_<MAC>.inf`, then
//! `AutoprovisionConfigname` (P2); option 43: the URL's path, then
//! `AutoprovisionConfigname` on the same server (P4); TFTP from DHCP: option
//! 67 or `file`, then `<MODEL>_<MAC>.inf`, then `AutoprovisionConfigname` (P3).
//!
//! Retry (P5): a round tries every candidate in order; the first found
//! ends the search. When a round finds nothing it is retried after the retry
//! period (30 s by default), three times; then the run fails with `Server
//! Unreachable` when the last round could not reach a server, else `Gen File
//! Not Found`. With instant failures the message appears at 90 s.
//!
//! Guarantees: no allocation, no clock (time is passed in), no panic on any
//! call order.

use crate::dhcp::{Reply, TftpFrom};
use crate::lcd::Message;
use crate::names::{self, Mac, NAME_LEN};
use crate::time::Instant;
use crate::url::{Authority, Host, Scheme};
use board::model::Model;
use core::time::Duration;
use heapless::{String, Vec};

/// How a file is fetched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Tftp,
    Http,
}

pub const TFTP_PORT: u16 = 69;
/// P5's default retry period (`AutoprovisionRetryPeriod`).
pub const DEFAULT_RETRY_PERIOD: Duration = Duration::from_secs(30);
/// P5: a failed round is retried this many times.
pub const RETRIES: u8 = 3;
/// At most three names per method.
pub const MAX_CANDIDATES: usize = 3;

/// The pre-configured `[autoprovision]` values that choose the INF.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PreConfig<'a> {
    /// `AutoprovisionHTTPServer`.
    pub http_server: Option<Authority<'a>>,
    /// `AutoprovisionTFTPServer`.
    pub tftp_server: Option<Authority<'a>>,
    /// `AutoprovisionConfigname`.
    pub config_name: Option<&'a [u8]>,
}

/// Which method produced a candidate (for the APS log).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    PreconfiguredHttp,
    PreconfiguredTftp,
    Option43,
    Tftp(TftpFrom),
}

/// An INF name: borrowed from configuration or DHCP, or built from model + MAC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InfName<'a> {
    Given(&'a [u8]),
    Default(String<NAME_LEN>),
}

impl InfName<'_> {
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            InfName::Given(b) => b,
            InfName::Default(s) => s.as_bytes(),
        }
    }
}

/// One place to look for the INF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate<'a> {
    pub method: Method,
    pub transport: Transport,
    /// `Some` for HTTP(S).
    pub scheme: Option<Scheme>,
    pub host: Host<'a>,
    pub port: u16,
    /// For TFTP the file name as given (absolute or relative, `\` or `/`);
    /// for HTTP a path relative to the server root, with or without a
    /// leading `/`.
    pub name: InfName<'a>,
}

/// P1–P4: the candidates in the order they are tried; empty when no method
/// names a server.
pub fn candidates<'a>(pre: &PreConfig<'a>, dhcp: Option<&Reply<'a>>, model: Model, mac: Mac) -> Vec<Candidate<'a>, MAX_CANDIDATES> {
    let mut out: Vec<Candidate<'a>, MAX_CANDIDATES> = Vec::new();
    let default = || InfName::Default(names::default_inf(model, mac));
    let (method, transport, scheme, host, port, first) = if let Some(a) = pre.http_server {
        (Method::PreconfiguredHttp, Transport::Http, Some(Scheme::Http), a.host, a.port.unwrap_or(80), default())
    } else if let Some(a) = pre.tftp_server {
        (Method::PreconfiguredTftp, Transport::Tftp, None, a.host, a.port.unwrap_or(TFTP_PORT), default())
    } else if let Some(u) = dhcp.and_then(|r| r.inf_url) {
        (Method::Option43, Transport::Http, Some(u.scheme), u.host, u.port, InfName::Given(u.path))
    } else if let Some((host, from)) = dhcp.and_then(|r| r.tftp_server()) {
        let method = Method::Tftp(from);
        let cand = |name| Candidate { method, transport: Transport::Tftp, scheme: None, host, port: TFTP_PORT, name };
        // Cannot overflow: at most three pushes into three slots.
        if let Some(f) = dhcp.and_then(|r| r.boot_file_name()) {
            let _ = out.push(cand(InfName::Given(f)));
        }
        let _ = out.push(cand(default()));
        if let Some(c) = pre.config_name {
            let _ = out.push(cand(InfName::Given(c)));
        }
        return out;
    } else {
        return out;
    };
    let cand = |name| Candidate { method, transport, scheme, host, port, name };
    let _ = out.push(cand(first));
    if let Some(c) = pre.config_name {
        let _ = out.push(cand(InfName::Given(c)));
    }
    out
}

/// How one fetch of a candidate ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Found,
    NotFound,
    Unreachable,
}

/// What the caller does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Fetch candidate `i`, then call [`InfSearch::report`].
    Fetch(usize),
    /// Nothing to do before [`InfSearch::poll_at`] (or before the pending
    /// fetch is reported).
    Wait,
    /// Candidate `i` holds the INF.
    Found(usize),
    /// Every round failed; show this on LCD line 3 (L2).
    Failed(Message),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Ready,
    Fetching,
    Waiting(Instant),
    Done(Step),
}

/// P5 as a state machine over `count` candidates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InfSearch {
    count: usize,
    next: usize,
    round: u8,
    unreachable: bool,
    period: Duration,
    state: State,
}

impl InfSearch {
    pub fn new(count: usize, retry_period: Duration) -> InfSearch {
        InfSearch { count, next: 0, round: 0, unreachable: false, period: retry_period, state: State::Ready }
    }

    /// What to do at `now`.
    pub fn poll(&mut self, now: Instant) -> Step {
        match self.state {
            State::Ready if self.count == 0 => {
                // No server at all: nothing a retry could change.
                self.state = State::Done(Step::Failed(Message::ServerUnreachable));
                self.poll(now)
            }
            State::Ready => {
                self.state = State::Fetching;
                Step::Fetch(self.next)
            }
            State::Fetching => Step::Wait,
            State::Waiting(at) if now >= at => {
                self.state = State::Ready;
                self.poll(now)
            }
            State::Waiting(_) => Step::Wait,
            State::Done(step) => step,
        }
    }

    /// The result of the fetch [`Step::Fetch`] asked for; ignored at any
    /// other time.
    pub fn report(&mut self, now: Instant, outcome: Outcome) {
        if self.state != State::Fetching {
            return;
        }
        match outcome {
            Outcome::Found => {
                self.state = State::Done(Step::Found(self.next));
                return;
            }
            Outcome::Unreachable => self.unreachable = true,
            Outcome::NotFound => {}
        }
        self.next += 1;
        if self.next < self.count {
            self.state = State::Ready;
        } else if self.round < RETRIES {
            self.round += 1;
            self.next = 0;
            self.unreachable = false;
            self.state = State::Waiting(now + self.period);
        } else {
            let msg = if self.unreachable { Message::ServerUnreachable } else { Message::GenFileNotFound };
            self.state = State::Done(Step::Failed(msg));
        }
    }

    /// When [`InfSearch::poll`] next has something to do: `now` or earlier
    /// when a fetch is due, the retry time while waiting, `None` while a
    /// fetch is out or when done.
    pub fn poll_at(&self) -> Option<Instant> {
        match self.state {
            State::Ready => Some(Instant::ZERO),
            State::Waiting(at) => Some(at),
            State::Fetching | State::Done(_) => None,
        }
    }

    /// Retries started so far (0..=3).
    pub fn retries(&self) -> u8 {
        self.round
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dhcp::Reply;
    use core::net::Ipv4Addr;

    const MAC: Mac = Mac([0x00, 0x90, 0x96, 0xA1, 0xB1, 0xC1]);

    fn model() -> Model {
        Model::parse("ST2030M").unwrap()
    }

    fn names<'a>(c: &'a [Candidate<'a>]) -> std::vec::Vec<(Method, Transport, u16, &'a [u8])> {
        c.iter().map(|c| (c.method, c.transport, c.port, c.name.as_bytes())).collect()
    }

    #[test]
    fn preconfigured_http_wins_over_everything() {
        let pre = PreConfig {
            http_server: Some(Authority::parse(b"aps.example.net:8080").unwrap()),
            tftp_server: Some(Authority::parse(b"10.0.0.1").unwrap()),
            config_name: Some(b"/st2030/all.inf"),
        };
        let reply = Reply::decode([(43u8, &b"http://other/x.inf"[..])], &[], Ipv4Addr::new(10, 0, 0, 2));
        let c = candidates(&pre, Some(&reply), model(), MAC);
        assert_eq!(
            names(&c),
            [
                (Method::PreconfiguredHttp, Transport::Http, 8080, &b"ST2030M_009096A1B1C1.inf"[..]),
                (Method::PreconfiguredHttp, Transport::Http, 8080, b"/st2030/all.inf"),
            ]
        );
        assert_eq!(c[0].host, Host::Name(b"aps.example.net"));
    }

    #[test]
    fn preconfigured_tftp_without_configname() {
        let pre = PreConfig { tftp_server: Some(Authority::parse(b"10.0.0.1").unwrap()), ..PreConfig::default() };
        let c = candidates(&pre, None, model(), MAC);
        assert_eq!(names(&c), [(Method::PreconfiguredTftp, Transport::Tftp, 69, &b"ST2030M_009096A1B1C1.inf"[..])]);
    }

    #[test]
    fn option_43_then_configname_on_the_same_server() {
        let pre = PreConfig { config_name: Some(b"common.inf"), ..PreConfig::default() };
        let reply = Reply::decode([(43u8, &b"https://aps.lan:8443/st/a.inf"[..]), (66, b"10.0.0.3")], &[], Ipv4Addr::UNSPECIFIED);
        let c = candidates(&pre, Some(&reply), model(), MAC);
        assert_eq!(names(&c), [(Method::Option43, Transport::Http, 8443, &b"/st/a.inf"[..]), (Method::Option43, Transport::Http, 8443, b"common.inf")]);
        assert_eq!(c[1].scheme, Some(Scheme::Https));
    }

    #[test]
    fn dhcp_tftp_order() {
        let pre = PreConfig { config_name: Some(b"common.inf"), ..PreConfig::default() };
        let reply = Reply::decode([(67u8, &b"site.inf"[..]), (66, b"10.0.0.3")], &[], Ipv4Addr::UNSPECIFIED);
        let c = candidates(&pre, Some(&reply), model(), MAC);
        let m = Method::Tftp(TftpFrom::Option66);
        assert_eq!(
            names(&c),
            [(m, Transport::Tftp, 69, &b"site.inf"[..]), (m, Transport::Tftp, 69, b"ST2030M_009096A1B1C1.inf"), (m, Transport::Tftp, 69, b"common.inf")]
        );
        // Next server only, no 67: default name only.
        let reply = Reply::decode([], &[], Ipv4Addr::new(10, 0, 0, 9));
        let c = candidates(&PreConfig::default(), Some(&reply), model(), MAC);
        assert_eq!(names(&c), [(Method::Tftp(TftpFrom::NextServer), Transport::Tftp, 69, &b"ST2030M_009096A1B1C1.inf"[..])]);
    }

    #[test]
    fn nothing_configured_means_no_candidate() {
        assert!(candidates(&PreConfig::default(), None, model(), MAC).is_empty());
        let mut s = InfSearch::new(0, DEFAULT_RETRY_PERIOD);
        assert_eq!(s.poll(Instant::ZERO), Step::Failed(Message::ServerUnreachable));
    }

    /// Drives a search where every fetch fails at once with `outcome`;
    /// returns the failure and when it was shown.
    fn fail_all(count: usize, outcome: impl Fn(usize) -> Outcome) -> (Step, Instant, std::vec::Vec<(Instant, usize)>) {
        let mut s = InfSearch::new(count, DEFAULT_RETRY_PERIOD);
        let mut now = Instant::ZERO;
        let mut fetches = vec![];
        loop {
            match s.poll(now) {
                Step::Fetch(i) => {
                    fetches.push((now, i));
                    s.report(now, outcome(i));
                }
                Step::Wait => now = s.poll_at().expect("waiting needs a deadline"),
                done => return (done, now, fetches),
            }
        }
    }

    #[test]
    fn gen_file_not_found_after_three_retries_at_90_s() {
        let (step, at, fetches) = fail_all(2, |_| Outcome::NotFound);
        assert_eq!(step, Step::Failed(Message::GenFileNotFound));
        assert_eq!(at, Instant::from_secs(90));
        let t = Instant::from_secs;
        assert_eq!(fetches, [(t(0), 0), (t(0), 1), (t(30), 0), (t(30), 1), (t(60), 0), (t(60), 1), (t(90), 0), (t(90), 1)]);
    }

    #[test]
    fn unreachable_in_the_last_round_wins() {
        let (step, at, _) = fail_all(3, |i| if i == 1 { Outcome::Unreachable } else { Outcome::NotFound });
        assert_eq!((step, at), (Step::Failed(Message::ServerUnreachable), Instant::from_secs(90)));
    }

    #[test]
    fn found_on_a_retry() {
        let mut s = InfSearch::new(2, Duration::from_secs(10));
        let t0 = Instant::from_secs(5);
        assert_eq!(s.poll(t0), Step::Fetch(0));
        assert_eq!(s.poll(t0), Step::Wait);
        assert_eq!(s.poll_at(), None);
        s.report(t0, Outcome::Unreachable);
        assert_eq!(s.poll(t0), Step::Fetch(1));
        s.report(Instant::from_secs(7), Outcome::NotFound);
        assert_eq!(s.poll_at(), Some(Instant::from_secs(17)));
        assert_eq!(s.poll(Instant::from_secs(16)), Step::Wait);
        assert_eq!(s.poll(Instant::from_secs(17)), Step::Fetch(0));
        s.report(Instant::from_secs(18), Outcome::Found);
        assert_eq!(s.poll(Instant::from_secs(18)), Step::Found(0));
        assert_eq!(s.retries(), 1);
        // Late or duplicate reports change nothing.
        s.report(Instant::from_secs(19), Outcome::NotFound);
        assert_eq!(s.poll(Instant::from_secs(19)), Step::Found(0));
    }

    proptest::proptest! {
        #[test]
        fn any_call_order_ends_within_four_rounds(count in 0usize..4, ops in proptest::collection::vec((0u8..5, 0u64..100), 0..200)) {
            let mut s = InfSearch::new(count, DEFAULT_RETRY_PERIOD);
            let mut now = Instant::ZERO;
            let mut fetches = 0;
            for (op, dt) in ops {
                now = now + Duration::from_secs(dt);
                match op {
                    0 => s.report(now, Outcome::Found),
                    1 => s.report(now, Outcome::NotFound),
                    2 => s.report(now, Outcome::Unreachable),
                    _ => if let Step::Fetch(i) = s.poll(now) { proptest::prop_assert!(i < count); fetches += 1; },
                }
            }
            proptest::prop_assert!(fetches <= 4 * count);
        }
    }
}
