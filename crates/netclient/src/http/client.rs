//! One HTTP/1.1 GET over one TCP connection, sans-I/O.
//!
//! The glue connects the TCP socket, calls [`HttpGet::dispatch`] while the
//! socket can send (it hands over the request bytes and fires timeouts),
//! feeds every received byte to [`HttpGet::process`], and calls
//! [`HttpGet::close`] when the peer closes. The outcome is in
//! [`HttpGet::status`].
//!
//! Guarantees: the response head is held in a fixed [`HEAD_MAX`]-byte
//! buffer (larger heads fail); at most `max_body` bytes reach the sink; the
//! exchange fails with `Timeout` once no byte moved for `idle_timeout_us`
//! or the whole exchange took `total_timeout_us`.

use heapless::String;

use super::body::{BodyDecoder, BodyError, Framing};
use super::request::{self, TooLong};
use crate::sink::Sink;
use crate::url::{self, MAX_URL, Url, UrlBuf};

/// Largest response head (status line and headers).
pub const HEAD_MAX: usize = 2048;
/// Largest request head.
pub const REQ_MAX: usize = 1536;
const MAX_HEADERS: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Ask to keep the connection open (`Connection: keep-alive`).
    pub keep_alive: bool,
    pub idle_timeout_us: u64,
    pub total_timeout_us: u64,
    pub max_body: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            keep_alive: false,
            idle_timeout_us: 30_000_000,
            total_timeout_us: 600_000_000,
            max_body: 8 * 1024 * 1024,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    #[error("not found (HTTP {status})")]
    NotFound { status: u16 },
    #[error("server error (HTTP {status})")]
    ServerError { status: u16 },
    #[error("timed out")]
    Timeout,
    #[error("connection closed before the response ended")]
    Closed,
    #[error("malformed response")]
    Malformed,
    #[error("response head larger than {HEAD_MAX} bytes")]
    HeadTooLarge,
    #[error("body larger than the size limit")]
    TooLarge,
    #[error("the sink refused the data")]
    Sink,
    #[error("request does not fit its buffer")]
    RequestTooLong,
    #[error("unsupported transfer coding")]
    UnsupportedEncoding,
    #[error("redirect with a missing or invalid Location")]
    BadRedirect,
    #[error("too many redirects")]
    TooManyRedirects,
}

impl From<BodyError> for HttpError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::Truncated => HttpError::Closed,
            _ => HttpError::Malformed,
        }
    }
}

impl From<TooLong> for HttpError {
    fn from(_: TooLong) -> Self {
        HttpError::RequestTooLong
    }
}

/// Where the exchange stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    InProgress,
    /// A 2xx response whose whole body reached the sink.
    Done {
        status: u16,
        size: u64,
    },
    /// A 3xx with a `Location`; see [`HttpGet::location`] and [`Redirects`].
    Redirect {
        status: u16,
    },
    Failed(HttpError),
}

#[derive(Debug)]
enum Phase {
    Head,
    Body(BodyDecoder),
    Over(Status),
}

/// What the response head says.
struct Head {
    status: u16,
    framing: Framing,
    close: bool,
    http10: bool,
    has_location: bool,
}

/// A GET of one URL.
#[derive(Debug)]
pub struct HttpGet {
    cfg: Config,
    req: [u8; REQ_MAX],
    req_len: usize,
    req_sent: usize,
    head: [u8; HEAD_MAX],
    head_len: usize,
    phase: Phase,
    received: u64,
    started: u64,
    last_activity: u64,
    location: String<MAX_URL>,
    reusable: bool,
    code: u16,
}

impl HttpGet {
    /// Prepares `GET url` with the phone's `User-Agent`, started at `now`.
    pub fn new(now: u64, url: &Url<'_>, user_agent: &str, cfg: Config) -> Result<Self, HttpError> {
        let mut req = [0u8; REQ_MAX];
        let req_len = request::write_request(&mut req, url, user_agent, cfg.keep_alive)?;
        Ok(HttpGet {
            cfg,
            req,
            req_len,
            req_sent: 0,
            head: [0; HEAD_MAX],
            head_len: 0,
            phase: Phase::Head,
            received: 0,
            started: now,
            last_activity: now,
            location: String::new(),
            reusable: false,
            code: 0,
        })
    }

    pub fn status(&self) -> Status {
        match &self.phase {
            Phase::Over(s) => *s,
            _ => Status::InProgress,
        }
    }

    /// The `Location` of a redirect (empty otherwise).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Body bytes delivered to the sink so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// After `Done`: whether the connection may carry another request.
    pub fn reusable(&self) -> bool {
        self.reusable
    }

    /// Request bytes not yet handed to the socket.
    pub fn wants_send(&self) -> bool {
        self.req_sent < self.req_len && matches!(self.phase, Phase::Head)
    }

    /// The next timeout while the exchange runs. Request bytes are sent by
    /// `dispatch` whenever the socket can send, independently of this.
    pub fn poll_at(&self) -> Option<u64> {
        match self.phase {
            Phase::Over(_) => None,
            _ => Some(
                self.last_activity
                    .saturating_add(self.cfg.idle_timeout_us)
                    .min(self.started.saturating_add(self.cfg.total_timeout_us)),
            ),
        }
    }

    /// Fires the timeout and offers unsent request bytes to `emit`, which
    /// returns how many it took.
    pub fn dispatch<E>(
        &mut self,
        now: u64,
        emit: impl FnOnce(&[u8]) -> Result<usize, E>,
    ) -> Result<(), E> {
        if self.poll_at().is_some_and(|t| now >= t) {
            self.phase = Phase::Over(Status::Failed(HttpError::Timeout));
            return Ok(());
        }
        if self.wants_send() {
            let n = emit(&self.req[self.req_sent..self.req_len])?;
            if n > 0 {
                self.req_sent = (self.req_sent + n).min(self.req_len);
                self.last_activity = now;
            }
        }
        Ok(())
    }

    /// Handles bytes received on the connection.
    pub fn process(&mut self, now: u64, mut bytes: &[u8], sink: &mut impl Sink) {
        if !bytes.is_empty() {
            self.last_activity = now;
        }
        while !bytes.is_empty() {
            match &mut self.phase {
                Phase::Over(_) => return,
                Phase::Body(decoder) => {
                    let result =
                        feed_body(decoder, bytes, sink, &mut self.received, self.cfg.max_body);
                    self.after_body(result);
                    return;
                }
                Phase::Head => {
                    let room = HEAD_MAX - self.head_len;
                    if room == 0 {
                        return self.fail(HttpError::HeadTooLarge);
                    }
                    let take = room.min(bytes.len());
                    self.head[self.head_len..self.head_len + take].copy_from_slice(&bytes[..take]);
                    self.head_len += take;
                    bytes = &bytes[take..];
                    self.on_head_bytes(sink);
                }
            }
        }
    }

    /// Parses the buffered head (repeatedly, past 1xx interim responses) and
    /// moves what follows it into the body.
    fn on_head_bytes(&mut self, sink: &mut impl Sink) {
        loop {
            let (head, used) = match parse_head(&self.head[..self.head_len], &mut self.location) {
                Ok(Some(parsed)) => parsed,
                Ok(None) if self.head_len == HEAD_MAX => return self.fail(HttpError::HeadTooLarge),
                Ok(None) => return,
                Err(e) => return self.fail(e),
            };
            self.head.copy_within(used..self.head_len, 0);
            self.head_len -= used;
            if (100..200).contains(&head.status) {
                continue;
            }
            return self.on_head(head, sink);
        }
    }

    fn on_head(&mut self, head: Head, sink: &mut impl Sink) {
        let status = head.status;
        self.code = status;
        match status {
            200..=299 => {}
            300..=399 if head.has_location => return self.finish(Status::Redirect { status }),
            404 | 410 => return self.fail(HttpError::NotFound { status }),
            _ => return self.fail(HttpError::ServerError { status }),
        }
        let framing = if status == 204 {
            Framing::Length(0)
        } else {
            head.framing
        };
        if let Framing::Length(n) = framing {
            if n > self.cfg.max_body {
                return self.fail(HttpError::TooLarge);
            }
            if sink.expect_size(n).is_err() {
                return self.fail(HttpError::Sink);
            }
        }
        self.reusable =
            self.cfg.keep_alive && !head.close && !head.http10 && framing != Framing::UntilClose;
        let mut decoder = BodyDecoder::new(framing);
        let leftover = &self.head[..self.head_len];
        let result = feed_body(
            &mut decoder,
            leftover,
            sink,
            &mut self.received,
            self.cfg.max_body,
        );
        self.head_len = 0;
        self.phase = Phase::Body(decoder);
        self.after_body(result);
    }

    fn after_body(&mut self, result: Result<(), HttpError>) {
        match (result, &self.phase) {
            (Err(e), _) => self.fail(e),
            (Ok(()), Phase::Body(d)) if d.is_done() => {
                self.finish(Status::Done {
                    status: self.code,
                    size: self.received,
                });
            }
            _ => {}
        }
    }

    /// The peer closed the connection (TCP FIN or reset).
    pub fn close(&mut self, _now: u64) {
        match &mut self.phase {
            Phase::Over(_) => {}
            Phase::Head => self.fail(HttpError::Closed),
            Phase::Body(d) => match d.close() {
                Ok(()) => {
                    self.reusable = false;
                    self.finish(Status::Done {
                        status: self.code,
                        size: self.received,
                    });
                }
                Err(e) => self.fail(e.into()),
            },
        }
    }

    fn finish(&mut self, status: Status) {
        self.phase = Phase::Over(status);
    }

    fn fail(&mut self, e: HttpError) {
        self.reusable = false;
        self.phase = Phase::Over(Status::Failed(e));
    }
}

fn feed_body(
    decoder: &mut BodyDecoder,
    bytes: &[u8],
    sink: &mut impl Sink,
    received: &mut u64,
    max: u64,
) -> Result<(), HttpError> {
    decoder.feed(bytes, &mut |piece: &[u8]| {
        let total = *received + piece.len() as u64;
        if total > max {
            return Err(HttpError::TooLarge);
        }
        sink.write(piece).map_err(|_| HttpError::Sink)?;
        *received = total;
        Ok(())
    })
}

fn tokens(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(|t| t.trim_ascii())
        .filter(|t| !t.is_empty())
}

fn parse_length(value: &[u8], current: Option<u64>) -> Result<Option<u64>, HttpError> {
    let mut length = current;
    for t in tokens(value) {
        if t.len() > 19 || !t.iter().all(u8::is_ascii_digit) {
            return Err(HttpError::Malformed);
        }
        let n = t.iter().fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'));
        if length.is_some_and(|l| l != n) {
            return Err(HttpError::Malformed);
        }
        length = Some(n);
    }
    Ok(length)
}

/// Parses a complete head at the start of `buf`: `Ok(None)` when more bytes
/// are needed, else the head and its length. A `Location` is copied out.
fn parse_head(
    buf: &[u8],
    location: &mut String<MAX_URL>,
) -> Result<Option<(Head, usize)>, HttpError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut headers);
    let used = match resp.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(HttpError::HeadTooLarge),
        Err(_) => return Err(HttpError::Malformed),
    };
    let status = resp.code.ok_or(HttpError::Malformed)?;
    let mut length = None;
    let mut chunked = false;
    let mut coded = false;
    let mut close = false;
    let mut has_location = false;
    for h in resp.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            length = parse_length(h.value, length)?;
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            for t in tokens(h.value) {
                coded = true;
                chunked = t.eq_ignore_ascii_case(b"chunked");
                if !chunked {
                    return Err(HttpError::UnsupportedEncoding);
                }
            }
        } else if h.name.eq_ignore_ascii_case("connection") {
            close |= tokens(h.value).any(|t| t.eq_ignore_ascii_case(b"close"));
        } else if h.name.eq_ignore_ascii_case("location") && (300..400).contains(&status) {
            let value = core::str::from_utf8(h.value)
                .map_err(|_| HttpError::BadRedirect)?
                .trim();
            location.clear();
            location
                .push_str(value)
                .map_err(|_| HttpError::BadRedirect)?;
            has_location = !value.is_empty();
        }
    }
    let framing = match (coded && chunked, length) {
        (true, _) => Framing::Chunked,
        (false, Some(n)) => Framing::Length(n),
        (false, None) => Framing::UntilClose,
    };
    let http10 = resp.version == Some(0);
    Ok(Some((
        Head {
            status,
            framing,
            close,
            http10,
            has_location,
        },
        used,
    )))
}

/// Follows at most `max` redirects, resolving each `Location` against the
/// URL that answered with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redirects {
    left: u8,
}

impl Redirects {
    pub fn new(max: u8) -> Self {
        Redirects { left: max }
    }

    pub fn follow(&mut self, current: &Url<'_>, location: &str) -> Result<UrlBuf, HttpError> {
        if self.left == 0 {
            return Err(HttpError::TooManyRedirects);
        }
        self.left -= 1;
        url::resolve(current, location).map_err(|_| HttpError::BadRedirect)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::SinkError;
    use std::vec::Vec;

    const UA: &str = "THOMSON ST2030 hw5 fw2.74 00-90-96-A1-B1-C1";
    const REQUEST: &[u8] = b"GET /aps/ST2030S_009096A1B1C1.inf HTTP/1.1\r\nHost: 192.0.2.5\r\n\
User-Agent: THOMSON ST2030 hw5 fw2.74 00-90-96-A1-B1-C1\r\nAccept: */*\r\nConnection: close\r\n\r\n";
    // nginx 1.22 answering a small static file.
    const NGINX_200: &[u8] = b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\n\
Content-Type: application/octet-stream\r\nContent-Length: 28\r\nLast-Modified: Mon, 01 Jan 2024 00:00:00 GMT\r\n\
Connection: close\r\nETag: \"65920080-1c\"\r\nAccept-Ranges: bytes\r\n\r\n[provision]\r\nfw_filename=x\r\n";
    const NGINX_404: &[u8] =
        b"HTTP/1.1 404 Not Found\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\n\
Content-Length: 153\r\nConnection: close\r\n\r\n<html>";

    #[derive(Default)]
    struct VecSink {
        data: Vec<u8>,
        expected: Option<u64>,
        refuse: bool,
    }

    impl Sink for VecSink {
        fn expect_size(&mut self, size: u64) -> Result<(), SinkError> {
            self.expected = Some(size);
            Ok(())
        }
        fn write(&mut self, data: &[u8]) -> Result<(), SinkError> {
            if self.refuse {
                return Err(SinkError);
            }
            self.data.extend_from_slice(data);
            Ok(())
        }
    }

    fn get(cfg: Config) -> HttpGet {
        let url = Url::parse("http://192.0.2.5/aps/ST2030S_009096A1B1C1.inf").unwrap();
        HttpGet::new(0, &url, UA, cfg).unwrap()
    }

    fn run(response: &[u8], split: usize, cfg: Config) -> (HttpGet, VecSink) {
        let mut g = get(cfg);
        let mut sent = Vec::new();
        // A socket that takes 40 bytes at a time.
        while g.wants_send() {
            g.dispatch(1, |b: &[u8]| {
                let n = b.len().min(40);
                sent.extend_from_slice(&b[..n]);
                Ok::<usize, ()>(n)
            })
            .unwrap();
        }
        if !cfg.keep_alive {
            assert_eq!(sent, REQUEST);
        }
        let mut sink = VecSink::default();
        for piece in response.chunks(split) {
            g.process(2, piece, &mut sink);
        }
        (g, sink)
    }

    #[test]
    fn content_length_response_any_split() {
        for split in [1, 7, 1000] {
            let (g, sink) = run(NGINX_200, split, Config::default());
            assert_eq!(
                g.status(),
                Status::Done {
                    status: 200,
                    size: 28
                }
            );
            assert_eq!(sink.data, b"[provision]\r\nfw_filename=x\r\n");
            assert_eq!(sink.expected, Some(28));
            assert!(!g.reusable());
            assert_eq!(g.poll_at(), None);
        }
    }

    #[test]
    fn not_found_and_server_errors() {
        let (g, sink) = run(NGINX_404, 5, Config::default());
        assert_eq!(
            g.status(),
            Status::Failed(HttpError::NotFound { status: 404 })
        );
        assert!(sink.data.is_empty());
        let (g, _) = run(b"HTTP/1.1 410 Gone\r\n\r\n", 100, Config::default());
        assert_eq!(
            g.status(),
            Status::Failed(HttpError::NotFound { status: 410 })
        );
        let (g, _) = run(b"HTTP/1.1 403 Forbidden\r\n\r\n", 100, Config::default());
        assert_eq!(
            g.status(),
            Status::Failed(HttpError::ServerError { status: 403 })
        );
        let (g, _) = run(
            b"HTTP/1.0 503 Service Unavailable\r\n\r\n",
            100,
            Config::default(),
        );
        assert_eq!(
            g.status(),
            Status::Failed(HttpError::ServerError { status: 503 })
        );
    }

    #[test]
    fn redirect_exposes_location_and_redirects_are_bounded() {
        let resp = b"HTTP/1.1 302 Found\r\nLocation: ../fw/v2030SG.zz\r\nContent-Length: 0\r\n\r\n";
        let (g, _) = run(resp, 3, Config::default());
        assert_eq!(g.status(), Status::Redirect { status: 302 });
        assert_eq!(g.location(), "../fw/v2030SG.zz");
        let current = Url::parse("http://192.0.2.5/aps/ST2030S_009096A1B1C1.inf").unwrap();
        let mut redirects = Redirects::new(1);
        let next = redirects.follow(&current, g.location()).unwrap();
        assert_eq!(next.as_str(), "http://192.0.2.5/fw/v2030SG.zz");
        assert_eq!(
            redirects.follow(&next.url(), "/x"),
            Err(HttpError::TooManyRedirects)
        );
        let (g, _) = run(b"HTTP/1.1 301 Moved\r\n\r\n", 3, Config::default());
        assert_eq!(
            g.status(),
            Status::Failed(HttpError::ServerError { status: 301 })
        );
    }

    #[test]
    fn chunked_and_interim_100() {
        let resp =
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
        for split in [1, 4, 500] {
            let (g, sink) = run(resp, split, Config::default());
            assert_eq!(
                g.status(),
                Status::Done {
                    status: 200,
                    size: 11
                }
            );
            assert_eq!(sink.data, b"hello world");
            assert_eq!(sink.expected, None);
        }
    }

    #[test]
    fn read_until_close_and_truncation() {
        let (mut g, sink) = run(b"HTTP/1.0 200 OK\r\n\r\nbody bytes", 3, Config::default());
        assert_eq!(g.status(), Status::InProgress);
        g.close(3);
        assert_eq!(
            g.status(),
            Status::Done {
                status: 200,
                size: 10
            }
        );
        assert_eq!(sink.data, b"body bytes");

        let (mut g, _) = run(
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",
            3,
            Config::default(),
        );
        g.close(3);
        assert_eq!(g.status(), Status::Failed(HttpError::Closed));
        let (mut g, _) = run(b"HTTP/1.1 200 OK\r\nContent-Le", 3, Config::default());
        g.close(3);
        assert_eq!(g.status(), Status::Failed(HttpError::Closed));
    }

    #[test]
    fn keep_alive_reusable_only_when_framed() {
        let cfg = Config {
            keep_alive: true,
            ..Config::default()
        };
        let (g, _) = run(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 100, cfg);
        assert!(g.reusable());
        let (g, _) = run(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
            100,
            cfg,
        );
        assert!(!g.reusable());
        let (g, _) = run(b"HTTP/1.1 204 No Content\r\n\r\n", 100, cfg);
        assert_eq!(
            g.status(),
            Status::Done {
                status: 204,
                size: 0
            }
        );
    }

    #[test]
    fn limits_and_malformed() {
        let small = Config {
            max_body: 10,
            ..Config::default()
        };
        let (g, _) = run(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", 100, small);
        assert_eq!(g.status(), Status::Failed(HttpError::TooLarge));
        let (g, sink) = run(b"HTTP/1.1 200 OK\r\n\r\n0123456789ABC", 4, small);
        assert_eq!(g.status(), Status::Failed(HttpError::TooLarge));
        assert!(sink.data.len() <= 10);
        let (g, _) = run(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            100,
            small,
        );
        assert_eq!(g.status(), Status::Failed(HttpError::UnsupportedEncoding));
        let (g, _) = run(
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
            100,
            small,
        );
        assert_eq!(g.status(), Status::Failed(HttpError::Malformed));
        let (g, _) = run(b"SSH-2.0-OpenSSH\r\n\r\n", 100, small);
        assert_eq!(g.status(), Status::Failed(HttpError::Malformed));
        let mut huge = b"HTTP/1.1 200 OK\r\n".to_vec();
        while huge.len() < HEAD_MAX + 10 {
            huge.extend_from_slice(
                b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
            );
        }
        let (g, _) = run(&huge, 100, Config::default());
        assert_eq!(g.status(), Status::Failed(HttpError::HeadTooLarge));
        let mut sink = VecSink {
            refuse: true,
            ..VecSink::default()
        };
        let mut g = get(Config::default());
        g.process(0, NGINX_200, &mut sink);
        assert_eq!(g.status(), Status::Failed(HttpError::Sink));
    }

    #[test]
    fn idle_and_total_timeouts() {
        let cfg = Config {
            idle_timeout_us: 100,
            total_timeout_us: 1000,
            ..Config::default()
        };
        let mut g = get(cfg);
        let mut sink = VecSink::default();
        assert_eq!(g.poll_at(), Some(100));
        g.dispatch(50, |b: &[u8]| Ok::<usize, ()>(b.len())).unwrap();
        assert_eq!(g.poll_at(), Some(150));
        g.process(140, b"HTTP/1.1 200 OK\r\n\r\n", &mut sink);
        assert_eq!(g.poll_at(), Some(240));
        // A server dripping a byte every 90 us is cut off by the total timeout.
        let mut now = 140;
        while g.status() == Status::InProgress {
            now += 90;
            g.process(now, b"x", &mut sink);
            g.dispatch(now, |_: &[u8]| Ok::<usize, ()>(0)).unwrap();
        }
        assert_eq!(g.status(), Status::Failed(HttpError::Timeout));
        assert!((1000..1100).contains(&now));

        let mut g = get(cfg);
        g.dispatch(100, |_: &[u8]| Ok::<usize, ()>(0)).unwrap();
        assert_eq!(g.status(), Status::Failed(HttpError::Timeout));
    }

    proptest::proptest! {
        #[test]
        fn random_responses_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400), split in 1usize..50) {
            let mut prefixed = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n".to_vec();
            prefixed.extend_from_slice(&bytes);
            for input in [&bytes, &prefixed] {
                let (mut g, sink) = run(input, split, Config { max_body: 64, ..Config::default() });
                g.close(5);
                proptest::prop_assert!(sink.data.len() <= 64);
                proptest::prop_assert!(g.status() != Status::InProgress);
            }
        }
    }
}
