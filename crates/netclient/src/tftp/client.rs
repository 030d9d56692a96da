//! The TFTP read client: one file, one server, sans-I/O.
//!
//! Guarantees: the transfer ends (done or failed) after at most
//! `max_retries` unanswered retransmissions with exponential back-off; no
//! more than `max_size` bytes ever reach the sink; data is handed to the
//! sink exactly once per block, in order; a packet from a foreign transfer
//! ID gets an ERROR 5 and never disturbs the transfer (RFC 1350 section 4).

use core::net::SocketAddrV4;

use heapless::Vec;

use super::wire::{self, Packet, error_code};
use crate::sink::Sink;

/// Longest request name (CONFORMANCE I4: values over 255 characters are rejected).
pub const MAX_NAME: usize = 255;
const RRQ_MAX: usize = 2 + MAX_NAME + 1 + 6 + 8 + 6 + 6 + 21;
const DEFAULT_BLKSIZE: u16 = 512;

/// Transfer settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// `blksize` to ask for (RFC 2348, 8..=65464); `None` sends no option.
    pub blksize: Option<u16>,
    /// Ask the server for the file size (`tsize`, RFC 2349).
    pub request_tsize: bool,
    /// First retransmission timeout.
    pub timeout_us: u64,
    /// Ceiling of the doubled timeout.
    pub max_timeout_us: u64,
    /// Retransmissions of one packet before giving up with `Unreachable`.
    pub max_retries: u8,
    /// Largest file accepted.
    pub max_size: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            blksize: Some(1428),
            request_tsize: true,
            timeout_us: 1_000_000,
            max_timeout_us: 8_000_000,
            max_retries: 5,
            max_size: 8 * 1024 * 1024,
        }
    }
}

/// Why a transfer failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TftpError {
    #[error("file not found (TFTP error 1)")]
    NotFound,
    #[error("server error {code}")]
    Server { code: u16 },
    #[error("server unreachable (no answer after retries)")]
    Unreachable,
    #[error("file larger than the size limit")]
    TooLarge,
    #[error("the sink refused the data")]
    Sink,
    #[error("server broke the protocol")]
    Protocol,
    #[error("invalid file name or block size")]
    BadRequest,
}

/// Where the transfer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    InProgress,
    Done { size: u64 },
    Failed(TftpError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Out {
    Rrq,
    Ack(u16),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// RRQ sent, no answer yet.
    Requesting,
    /// Peer TID known, expecting DATA `expected`.
    Transferring,
    Finished,
    Failed(TftpError),
}

/// A TFTP read of one file. Feed it with [`process`](Self::process), drain it
/// with [`dispatch`](Self::dispatch) whenever `now >= poll_at()`.
#[derive(Debug)]
pub struct TftpClient {
    cfg: Config,
    server: SocketAddrV4,
    peer: Option<SocketAddrV4>,
    rrq: [u8; RRQ_MAX],
    rrq_len: usize,
    rrq_plain_len: usize,
    phase: Phase,
    blksize: u16,
    expected: u16,
    received: u64,
    tsize: Option<u64>,
    pending: Option<Out>,
    last_sent: Out,
    deadline: Option<u64>,
    rto: u64,
    retries: u8,
    /// The next send starts a new retransmission timer (not a duplicate re-ACK).
    rearm: bool,
    stray: Option<SocketAddrV4>,
    abort: Option<(SocketAddrV4, u16)>,
    server_message: Vec<u8, 64>,
}

fn parse_decimal(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 19 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(v.iter().fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0')))
}

fn decimal(n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

impl TftpClient {
    /// Starts a read of `filename` (passed through as given: absolute or
    /// relative, `/` or `\`) from `server` (normally port 69).
    pub fn new(server: SocketAddrV4, filename: &[u8], cfg: Config) -> Result<Self, TftpError> {
        if filename.len() > MAX_NAME || cfg.blksize.is_some_and(|b| !(8..=65464).contains(&b)) {
            return Err(TftpError::BadRequest);
        }
        let mut rrq = [0u8; RRQ_MAX];
        let rrq_plain_len =
            wire::emit_rrq(&mut rrq, filename, &[]).map_err(|_| TftpError::BadRequest)?;
        let mut digits = [0u8; 20];
        let blk = cfg.blksize.map(|b| decimal(u64::from(b), &mut digits));
        let mut opts: Vec<(&[u8], &[u8]), 2> = Vec::new();
        if let Some(b) = blk {
            let _ = opts.push((b"blksize", b));
        }
        if cfg.request_tsize {
            let _ = opts.push((b"tsize", b"0"));
        }
        let rrq_len =
            wire::emit_rrq(&mut rrq, filename, &opts).map_err(|_| TftpError::BadRequest)?;
        Ok(TftpClient {
            cfg,
            server,
            peer: None,
            rrq,
            rrq_len,
            rrq_plain_len,
            phase: Phase::Requesting,
            blksize: DEFAULT_BLKSIZE,
            expected: 1,
            received: 0,
            tsize: None,
            pending: Some(Out::Rrq),
            last_sent: Out::Rrq,
            deadline: None,
            rto: cfg.timeout_us,
            retries: 0,
            rearm: true,
            stray: None,
            abort: None,
            server_message: Vec::new(),
        })
    }

    pub fn status(&self) -> Status {
        match self.phase {
            Phase::Requesting | Phase::Transferring => Status::InProgress,
            Phase::Finished => Status::Done {
                size: self.received,
            },
            Phase::Failed(e) => Status::Failed(e),
        }
    }

    /// Bytes delivered to the sink so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// The size the server announced in its OACK, if any.
    pub fn tsize(&self) -> Option<u64> {
        self.tsize
    }

    /// The negotiated block size (512 when the server ignored options).
    pub fn blksize(&self) -> u16 {
        self.blksize
    }

    /// The text of the server's ERROR packet (first 64 bytes), for logs.
    pub fn server_message(&self) -> &[u8] {
        &self.server_message
    }

    /// When `dispatch` must next be called: `Some(0)` if a packet is waiting,
    /// the retransmission deadline while the transfer runs, `None` when idle.
    pub fn poll_at(&self) -> Option<u64> {
        if self.pending.is_some() || self.stray.is_some() || self.abort.is_some() {
            return Some(0);
        }
        match self.phase {
            Phase::Requesting | Phase::Transferring => self.deadline,
            _ => None,
        }
    }

    /// Handles a datagram received from `from`.
    pub fn process(&mut self, _now: u64, from: SocketAddrV4, bytes: &[u8], sink: &mut impl Sink) {
        if *from.ip() != *self.server.ip() {
            return;
        }
        if let Some(peer) = self.peer
            && peer != from
        {
            self.stray = Some(from);
            return;
        }
        let Ok(packet) = Packet::parse(bytes) else {
            return;
        };
        match self.phase {
            Phase::Requesting => self.on_first_reply(from, packet, sink),
            Phase::Transferring => self.on_transfer(packet, sink),
            Phase::Finished => {
                // Our final ACK was lost: the server repeats the last block.
                if let Packet::Data { block, .. } = packet
                    && block == self.expected.wrapping_sub(1)
                {
                    self.pending = Some(Out::Ack(block));
                }
            }
            Phase::Failed(_) => {}
        }
    }

    fn on_first_reply(&mut self, from: SocketAddrV4, packet: Packet<'_>, sink: &mut impl Sink) {
        let options_sent = self.rrq_len != self.rrq_plain_len;
        match packet {
            Packet::Error { code, message } => {
                if code == error_code::OPTION_REFUSED && options_sent {
                    // RFC 2347: the server refused our options; ask again without.
                    self.rrq_len = self.rrq_plain_len;
                    self.progress(Out::Rrq);
                } else {
                    self.fail_by_server(code, message);
                }
            }
            Packet::Oack { options } if options_sent => {
                self.peer = Some(from);
                for (name, value) in options.iter() {
                    if name.eq_ignore_ascii_case(b"blksize") && self.cfg.blksize.is_some() {
                        match parse_decimal(value) {
                            Some(b) if b >= 8 && b <= u64::from(self.cfg.blksize.unwrap_or(0)) => {
                                self.blksize = b as u16
                            }
                            _ => return self.fail(TftpError::Protocol, error_code::OPTION_REFUSED),
                        }
                    } else if name.eq_ignore_ascii_case(b"tsize") && self.cfg.request_tsize {
                        let Some(size) = parse_decimal(value) else {
                            return self.fail(TftpError::Protocol, error_code::OPTION_REFUSED);
                        };
                        if size > self.cfg.max_size {
                            return self.fail(TftpError::TooLarge, error_code::OPTION_REFUSED);
                        }
                        if sink.expect_size(size).is_err() {
                            return self.fail(TftpError::Sink, error_code::OPTION_REFUSED);
                        }
                        self.tsize = Some(size);
                    } else {
                        return self.fail(TftpError::Protocol, error_code::OPTION_REFUSED);
                    }
                }
                self.phase = Phase::Transferring;
                self.progress(Out::Ack(0));
            }
            Packet::Data { block: 1, .. } => {
                // The server ignored our options (RFC 2347 allows it).
                self.peer = Some(from);
                self.blksize = DEFAULT_BLKSIZE;
                self.phase = Phase::Transferring;
                self.on_transfer(packet, sink);
            }
            _ => {}
        }
    }

    fn on_transfer(&mut self, packet: Packet<'_>, sink: &mut impl Sink) {
        match packet {
            Packet::Data { block, data } if block == self.expected => {
                if data.len() > usize::from(self.blksize) {
                    return self.fail(TftpError::Protocol, error_code::ILLEGAL_OPERATION);
                }
                let total = self.received + data.len() as u64;
                if total > self.cfg.max_size {
                    return self.fail(TftpError::TooLarge, error_code::DISK_FULL);
                }
                if sink.write(data).is_err() {
                    return self.fail(TftpError::Sink, error_code::DISK_FULL);
                }
                self.received = total;
                self.expected = block.wrapping_add(1);
                self.progress(Out::Ack(block));
                if data.len() < usize::from(self.blksize) {
                    self.phase = Phase::Finished;
                    self.deadline = None;
                }
            }
            Packet::Data { block, .. } if block == self.expected.wrapping_sub(1) => {
                // Duplicate: re-ACK, but do not count it as progress.
                self.pending = Some(Out::Ack(block));
            }
            Packet::Oack { .. } if self.expected == 1 => {
                // Our ACK 0 was lost and the server repeats its OACK.
                self.pending = Some(Out::Ack(0));
            }
            Packet::Error { code, message } => self.fail_by_server(code, message),
            _ => {}
        }
    }

    fn progress(&mut self, out: Out) {
        self.pending = Some(out);
        self.rearm = true;
        self.retries = 0;
        self.rto = self.cfg.timeout_us;
    }

    fn fail(&mut self, err: TftpError, code: u16) {
        self.phase = Phase::Failed(err);
        self.pending = None;
        self.abort = Some((self.peer.unwrap_or(self.server), code));
    }

    fn fail_by_server(&mut self, code: u16, message: &[u8]) {
        self.server_message.clear();
        let _ = self
            .server_message
            .extend_from_slice(&message[..message.len().min(64)]);
        self.phase = Phase::Failed(if code == error_code::FILE_NOT_FOUND {
            TftpError::NotFound
        } else {
            TftpError::Server { code }
        });
        self.pending = None;
    }

    /// Fires timers and hands every waiting packet to `emit(destination,
    /// payload)`. If `emit` fails the packet stays queued and the error is
    /// returned; call again later.
    pub fn dispatch<E>(
        &mut self,
        now: u64,
        mut emit: impl FnMut(SocketAddrV4, &[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut buf = [0u8; 64];
        if let Some(to) = self.stray {
            let n = wire::emit_error(&mut buf, error_code::UNKNOWN_TID, b"Unknown transfer ID")
                .unwrap_or(0);
            emit(to, &buf[..n])?;
            self.stray = None;
        }
        if let Some((to, code)) = self.abort {
            let n = wire::emit_error(&mut buf, code, b"transfer aborted").unwrap_or(0);
            emit(to, &buf[..n])?;
            self.abort = None;
        }
        let active = matches!(self.phase, Phase::Requesting | Phase::Transferring);
        if active && !self.rearm && self.deadline.is_some_and(|d| now >= d) {
            if self.retries >= self.cfg.max_retries {
                self.phase = Phase::Failed(TftpError::Unreachable);
                self.deadline = None;
                return Ok(());
            }
            self.retries += 1;
            self.rto = self.rto.saturating_mul(2).min(self.cfg.max_timeout_us);
            self.pending = Some(self.last_sent);
            self.rearm = true;
        }
        if let Some(out) = self.pending {
            match out {
                Out::Rrq => emit(self.server, &self.rrq[..self.rrq_len])?,
                Out::Ack(block) => {
                    let n = wire::emit_ack(&mut buf, block).unwrap_or(0);
                    emit(self.peer.unwrap_or(self.server), &buf[..n])?;
                }
            }
            self.pending = None;
            self.last_sent = out;
            // A duplicate re-ACK keeps the running timer, so a server that
            // only ever repeats itself still times out.
            if self.rearm && matches!(self.phase, Phase::Requesting | Phase::Transferring) {
                self.deadline = Some(now.saturating_add(self.rto));
            }
            self.rearm = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::SinkError;
    use core::net::Ipv4Addr;
    use std::vec::Vec as StdVec;

    const SERVER: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 1), 69);
    const TID: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 1), 40001);
    const OTHER_TID: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 1), 40002);
    const RRQ_OPTS: &[u8] = b"\x00\x01fw/v2030SG.zz\x00octet\x00blksize\x001428\x00tsize\x000\x00";
    const RRQ_PLAIN: &[u8] = b"\x00\x01fw/v2030SG.zz\x00octet\x00";

    #[derive(Default)]
    struct VecSink {
        data: StdVec<u8>,
        expected: Option<u64>,
        limit: Option<usize>,
    }

    impl Sink for VecSink {
        fn expect_size(&mut self, size: u64) -> Result<(), SinkError> {
            self.expected = Some(size);
            Ok(())
        }
        fn write(&mut self, data: &[u8]) -> Result<(), SinkError> {
            if self.limit.is_some_and(|l| self.data.len() + data.len() > l) {
                return Err(SinkError);
            }
            self.data.extend_from_slice(data);
            Ok(())
        }
    }

    fn drain(c: &mut TftpClient, now: u64) -> StdVec<(SocketAddrV4, StdVec<u8>)> {
        let mut out = StdVec::new();
        c.dispatch(now, |to, b| {
            out.push((to, b.to_vec()));
            Ok::<(), ()>(())
        })
        .unwrap();
        out
    }

    fn data(block: u16, payload: &[u8]) -> StdVec<u8> {
        let mut v = StdVec::from([0u8, 3]);
        v.extend_from_slice(&block.to_be_bytes());
        v.extend_from_slice(payload);
        v
    }

    fn ack(block: u16) -> StdVec<u8> {
        let mut v = StdVec::from([0u8, 4]);
        v.extend_from_slice(&block.to_be_bytes());
        v
    }

    fn client(cfg: Config) -> TftpClient {
        TftpClient::new(SERVER, b"fw/v2030SG.zz", cfg).unwrap()
    }

    #[test]
    fn negotiated_transfer_with_new_tid() {
        let mut c = client(Config::default());
        let mut sink = VecSink::default();
        assert_eq!(c.poll_at(), Some(0));
        assert_eq!(drain(&mut c, 0), [(SERVER, RRQ_OPTS.to_vec())]);
        assert_eq!(c.poll_at(), Some(1_000_000));
        c.process(
            10,
            TID,
            b"\x00\x06blksize\x001428\x00tsize\x002000\x00",
            &mut sink,
        );
        assert_eq!(sink.expected, Some(2000));
        assert_eq!(c.tsize(), Some(2000));
        assert_eq!(drain(&mut c, 10), [(TID, ack(0))]);
        let block1 = [0xa5u8; 1428];
        c.process(20, TID, &data(1, &block1), &mut sink);
        assert_eq!(drain(&mut c, 20), [(TID, ack(1))]);
        c.process(30, TID, &data(2, &[0x5a; 572]), &mut sink);
        assert_eq!(drain(&mut c, 30), [(TID, ack(2))]);
        assert_eq!(c.status(), Status::Done { size: 2000 });
        assert_eq!(c.blksize(), 1428);
        assert_eq!(sink.data.len(), 2000);
        assert_eq!(c.poll_at(), None);
        // The final ACK got lost: the server repeats block 2, we ACK it again.
        c.process(2_000_000, TID, &data(2, &[0x5a; 572]), &mut sink);
        assert_eq!(drain(&mut c, 2_000_000), [(TID, ack(2))]);
        assert_eq!(sink.data.len(), 2000);
    }

    #[test]
    fn server_ignoring_options_uses_512() {
        let mut c = client(Config::default());
        let mut sink = VecSink::default();
        drain(&mut c, 0);
        c.process(5, TID, &data(1, &[1; 512]), &mut sink);
        assert_eq!(drain(&mut c, 5), [(TID, ack(1))]);
        c.process(6, TID, &data(2, b""), &mut sink);
        assert_eq!(drain(&mut c, 6), [(TID, ack(2))]);
        assert_eq!(c.status(), Status::Done { size: 512 });
        assert_eq!(c.blksize(), 512);
    }

    #[test]
    fn option_refused_error_retries_without_options() {
        let mut c = client(Config::default());
        let mut sink = VecSink::default();
        drain(&mut c, 0);
        c.process(5, TID, b"\x00\x05\x00\x08no options\x00", &mut sink);
        assert_eq!(drain(&mut c, 5), [(SERVER, RRQ_PLAIN.to_vec())]);
        c.process(9, OTHER_TID, &data(1, b"short"), &mut sink);
        assert_eq!(drain(&mut c, 9), [(OTHER_TID, ack(1))]);
        assert_eq!(c.status(), Status::Done { size: 5 });
    }

    #[test]
    fn duplicate_block_is_reacked_not_rewritten() {
        let mut c = client(Config {
            blksize: None,
            request_tsize: false,
            ..Config::default()
        });
        assert_eq!(drain(&mut c, 0), [(SERVER, RRQ_PLAIN.to_vec())]);
        let mut sink = VecSink::default();
        c.process(1, TID, &data(1, &[7; 512]), &mut sink);
        drain(&mut c, 1);
        c.process(2, TID, &data(1, &[7; 512]), &mut sink);
        assert_eq!(drain(&mut c, 2), [(TID, ack(1))]);
        c.process(3, TID, &data(3, &[7; 10]), &mut sink); // from the future: ignored
        assert!(drain(&mut c, 3).is_empty());
        assert_eq!(sink.data.len(), 512);
        assert_eq!(c.status(), Status::InProgress);
    }

    #[test]
    fn foreign_tid_gets_error_5_and_transfer_goes_on() {
        let mut c = client(Config::default());
        let mut sink = VecSink::default();
        drain(&mut c, 0);
        c.process(1, TID, &data(1, &[1; 512]), &mut sink);
        drain(&mut c, 1);
        c.process(2, OTHER_TID, &data(2, b"evil"), &mut sink);
        assert_eq!(
            drain(&mut c, 2),
            [(
                OTHER_TID,
                b"\x00\x05\x00\x05Unknown transfer ID\x00".to_vec()
            )]
        );
        // Another host entirely is ignored.
        let stranger = SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 99), 40001);
        c.process(3, stranger, &data(2, b"evil"), &mut sink);
        assert!(drain(&mut c, 3).is_empty());
        c.process(4, TID, &data(2, b"end"), &mut sink);
        assert_eq!(drain(&mut c, 4), [(TID, ack(2))]);
        assert_eq!(&sink.data[512..], b"end");
    }

    #[test]
    fn retransmits_with_backoff_then_unreachable() {
        let cfg = Config {
            max_retries: 3,
            timeout_us: 1000,
            max_timeout_us: 3000,
            ..Config::default()
        };
        let mut c = client(cfg);
        let mut sends = StdVec::new();
        let mut now = 0;
        loop {
            let out = drain(&mut c, now);
            if !out.is_empty() {
                assert_eq!(out, [(SERVER, RRQ_OPTS.to_vec())]);
                sends.push(now);
            }
            match c.poll_at() {
                Some(t) => now = t.max(now),
                None => break,
            }
        }
        assert_eq!(sends, [0, 1000, 3000, 6000]);
        assert_eq!(c.status(), Status::Failed(TftpError::Unreachable));
    }

    #[test]
    fn lost_ack_is_retransmitted_and_progress_resets_backoff() {
        let cfg = Config {
            blksize: None,
            request_tsize: false,
            timeout_us: 100,
            ..Config::default()
        };
        let mut c = client(cfg);
        let mut sink = VecSink::default();
        drain(&mut c, 0);
        c.process(50, TID, &data(1, &[0; 512]), &mut sink);
        drain(&mut c, 50);
        assert_eq!(c.poll_at(), Some(150));
        assert_eq!(drain(&mut c, 150), [(TID, ack(1))]);
        assert_eq!(c.poll_at(), Some(350));
        c.process(200, TID, &data(2, &[0; 512]), &mut sink);
        drain(&mut c, 200);
        assert_eq!(c.poll_at(), Some(300));
    }

    #[test]
    fn duplicates_do_not_keep_a_dead_transfer_alive() {
        let cfg = Config {
            blksize: None,
            request_tsize: false,
            timeout_us: 100,
            max_retries: 1,
            ..Config::default()
        };
        let mut c = client(cfg);
        let mut sink = VecSink::default();
        drain(&mut c, 0);
        c.process(0, TID, &data(1, &[0; 512]), &mut sink);
        drain(&mut c, 0);
        for now in (10..1000).step_by(10) {
            c.process(now, TID, &data(1, &[0; 512]), &mut sink);
            drain(&mut c, now);
        }
        assert_eq!(c.status(), Status::Failed(TftpError::Unreachable));
    }

    #[test]
    fn late_dispatch_sends_progress_not_a_stale_retransmission() {
        let cfg = Config {
            blksize: None,
            request_tsize: false,
            timeout_us: 100,
            ..Config::default()
        };
        let mut c = client(cfg);
        let mut sink = VecSink::default();
        drain(&mut c, 0);
        c.process(500, TID, &data(1, &[0; 512]), &mut sink);
        assert_eq!(drain(&mut c, 500), [(TID, ack(1))]);
        assert_eq!(c.poll_at(), Some(600));
    }

    #[test]
    fn error_codes_map() {
        let mut sink = VecSink::default();
        let mut c = client(Config::default());
        drain(&mut c, 0);
        c.process(1, TID, b"\x00\x05\x00\x01File not found\x00", &mut sink);
        assert_eq!(c.status(), Status::Failed(TftpError::NotFound));
        assert_eq!(c.server_message(), b"File not found");
        assert!(drain(&mut c, 1).is_empty(), "no reply to an ERROR");
        assert_eq!(c.poll_at(), None);

        let mut c = client(Config::default());
        drain(&mut c, 0);
        c.process(1, TID, b"\x00\x05\x00\x02Access violation\x00", &mut sink);
        assert_eq!(c.status(), Status::Failed(TftpError::Server { code: 2 }));
    }

    #[test]
    fn size_limit_from_tsize_and_from_data() {
        let mut sink = VecSink::default();
        let cfg = Config {
            max_size: 1000,
            ..Config::default()
        };
        let mut c = client(cfg);
        drain(&mut c, 0);
        c.process(
            1,
            TID,
            b"\x00\x06blksize\x001428\x00tsize\x001001\x00",
            &mut sink,
        );
        assert_eq!(c.status(), Status::Failed(TftpError::TooLarge));
        assert_eq!(
            drain(&mut c, 1),
            [(TID, b"\x00\x05\x00\x08transfer aborted\x00".to_vec())]
        );

        // A server that lies about (or omits) tsize is still stopped.
        let cfg = Config {
            max_size: 600,
            blksize: None,
            request_tsize: false,
            ..Config::default()
        };
        let mut c = client(cfg);
        drain(&mut c, 0);
        c.process(1, TID, &data(1, &[0; 512]), &mut sink);
        drain(&mut c, 1);
        c.process(2, TID, &data(2, &[0; 512]), &mut sink);
        assert_eq!(c.status(), Status::Failed(TftpError::TooLarge));
        assert_eq!(
            drain(&mut c, 2),
            [(TID, b"\x00\x05\x00\x03transfer aborted\x00".to_vec())]
        );
        assert_eq!(c.received(), 512);
    }

    #[test]
    fn bad_oack_and_oversized_block_are_protocol_errors() {
        let mut sink = VecSink::default();
        let mut c = client(Config::default());
        drain(&mut c, 0);
        c.process(1, TID, b"\x00\x06blksize\x0065000\x00", &mut sink);
        assert_eq!(c.status(), Status::Failed(TftpError::Protocol));

        let mut c = client(Config::default());
        drain(&mut c, 0);
        c.process(1, TID, b"\x00\x06timeout\x005\x00", &mut sink);
        assert_eq!(c.status(), Status::Failed(TftpError::Protocol));

        let mut c = client(Config::default());
        drain(&mut c, 0);
        c.process(1, TID, b"\x00\x06blksize\x00512\x00", &mut sink);
        drain(&mut c, 1);
        c.process(2, TID, &data(1, &[0; 513]), &mut sink);
        assert_eq!(c.status(), Status::Failed(TftpError::Protocol));
    }

    #[test]
    fn sink_refusal_stops_the_transfer() {
        let mut sink = VecSink {
            limit: Some(100),
            ..VecSink::default()
        };
        let mut c = client(Config {
            blksize: None,
            request_tsize: false,
            ..Config::default()
        });
        drain(&mut c, 0);
        c.process(1, TID, &data(1, &[0; 512]), &mut sink);
        assert_eq!(c.status(), Status::Failed(TftpError::Sink));
    }

    #[test]
    fn names_pass_through_and_are_bounded() {
        let mut c = TftpClient::new(
            SERVER,
            b"\\aps\\ST2030S.inf",
            Config {
                blksize: None,
                request_tsize: false,
                ..Config::default()
            },
        )
        .unwrap();
        assert_eq!(
            drain(&mut c, 0),
            [(SERVER, b"\x00\x01\\aps\\ST2030S.inf\x00octet\x00".to_vec())]
        );
        assert_eq!(
            TftpClient::new(SERVER, &[b'a'; 256], Config::default()).unwrap_err(),
            TftpError::BadRequest
        );
        assert!(
            TftpClient::new(
                SERVER,
                &[b'a'; 255],
                Config {
                    blksize: Some(65464),
                    ..Config::default()
                }
            )
            .is_ok()
        );
        assert_eq!(
            TftpClient::new(SERVER, b"", Config::default()).unwrap_err(),
            TftpError::BadRequest
        );
        assert_eq!(
            TftpClient::new(
                SERVER,
                b"x",
                Config {
                    blksize: Some(7),
                    ..Config::default()
                }
            )
            .unwrap_err(),
            TftpError::BadRequest
        );
    }

    #[test]
    fn block_numbers_wrap() {
        let mut c = client(Config {
            blksize: Some(8),
            request_tsize: false,
            max_size: u64::MAX,
            ..Config::default()
        });
        let mut sink = VecSink::default();
        drain(&mut c, 0);
        c.process(0, TID, b"\x00\x06blksize\x008\x00", &mut sink);
        drain(&mut c, 0);
        for i in 1..=65537u32 {
            c.process(0, TID, &data(i as u16, &[0; 8]), &mut sink);
            assert_eq!(drain(&mut c, 0), [(TID, ack(i as u16))]);
        }
        c.process(0, TID, &data(2, b""), &mut sink);
        assert_eq!(c.status(), Status::Done { size: 65537 * 8 });
    }

    proptest::proptest! {
        #[test]
        fn random_replies_never_panic_and_stay_bounded(
            packets in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..40), 0..30),
            ports in proptest::collection::vec(40000u16..40003, 30),
        ) {
            let mut c = client(Config { max_size: 100, blksize: Some(16), ..Config::default() });
            let mut sink = VecSink::default();
            let mut now = 0;
            for (i, p) in packets.iter().enumerate() {
                let mut bytes = p.clone();
                if bytes.len() >= 2 { bytes[0] = 0; bytes[1] %= 8; }
                c.process(now, SocketAddrV4::new(*SERVER.ip(), ports[i]), &bytes, &mut sink);
                drain(&mut c, now);
                now += 300_000;
            }
            proptest::prop_assert!(sink.data.len() <= 100);
        }
    }
}
