//! SNTP v4 client (RFC 4330) and the civil-time helper for the idle screen.
//!
//! [`request`]/[`parse_reply`] are the wire format; [`SntpClient`] is the
//! sans-I/O exchange with retries; [`civil`] turns unix seconds plus a zone
//! offset into a date, time and weekday. Replies are checked: server mode,
//! stratum not 0 (kiss-o'-death), not "alarm" leap indicator, non-zero
//! transmit time, and the originate timestamp echoing our request.

use core::net::SocketAddrV4;

/// Size of an SNTP packet without authenticator.
pub const PACKET_LEN: usize = 48;
/// Seconds from 1900-01-01 (NTP era 0) to 1970-01-01.
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

mod field {
    use core::ops::Range;
    pub const FLAGS: usize = 0;
    pub const STRATUM: usize = 1;
    pub const REF_ID: Range<usize> = 12..16;
    pub const ORIGINATE: Range<usize> = 24..32;
    pub const TRANSMIT: Range<usize> = 40..48;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SntpError {
    #[error("SNTP packet shorter than 48 bytes")]
    Truncated,
    #[error("not a server reply (mode {0})")]
    NotServer(u8),
    #[error("unsupported NTP version {0}")]
    BadVersion(u8),
    #[error("kiss-o'-death from the server")]
    KissOfDeath([u8; 4]),
    #[error("server clock not synchronised")]
    Unsynchronised,
    #[error("reply carries a zero transmit time")]
    ZeroTime,
    #[error("reply does not answer our request")]
    OriginMismatch,
    #[error("no reply after retries")]
    Timeout,
}

/// A client request (LI 0, version 4, mode 3) whose transmit timestamp is
/// `cookie`, an unpredictable value the reply must echo as its originate.
pub fn request(cookie: u64) -> [u8; PACKET_LEN] {
    let mut p = [0u8; PACKET_LEN];
    p[field::FLAGS] = 0x23;
    p[field::TRANSMIT].copy_from_slice(&cookie.to_be_bytes());
    p
}

/// What a valid reply says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply {
    pub stratum: u8,
    /// The server's transmit time, microseconds since 1970-01-01 UTC.
    pub unix_us: u64,
}

impl Reply {
    pub fn unix_secs(&self) -> u64 {
        self.unix_us / 1_000_000
    }
}

/// NTP timestamp to unix microseconds; seconds with the top bit clear are in
/// era 1 (from 2036-02-07), as RFC 4330 section 3 recommends.
fn ntp_to_unix_us(ts: u64) -> u64 {
    let secs = ts >> 32;
    let frac = ts & 0xffff_ffff;
    let secs = if secs & 0x8000_0000 == 0 {
        secs + (1 << 32)
    } else {
        secs
    };
    (secs - NTP_UNIX_OFFSET) * 1_000_000 + ((frac * 1_000_000) >> 32)
}

fn be64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_be_bytes(a)
}

/// Checks a reply to the request made with `cookie`.
pub fn parse_reply(bytes: &[u8], cookie: u64) -> Result<Reply, SntpError> {
    if bytes.len() < PACKET_LEN {
        return Err(SntpError::Truncated);
    }
    let flags = bytes[field::FLAGS];
    let (leap, version, mode) = (flags >> 6, (flags >> 3) & 7, flags & 7);
    if !(3..=4).contains(&version) {
        return Err(SntpError::BadVersion(version));
    }
    if mode != 4 {
        return Err(SntpError::NotServer(mode));
    }
    let stratum = bytes[field::STRATUM];
    if stratum == 0 {
        let mut code = [0u8; 4];
        code.copy_from_slice(&bytes[field::REF_ID]);
        return Err(SntpError::KissOfDeath(code));
    }
    if leap == 3 {
        return Err(SntpError::Unsynchronised);
    }
    if be64(&bytes[field::ORIGINATE]) != cookie {
        return Err(SntpError::OriginMismatch);
    }
    let transmit = be64(&bytes[field::TRANSMIT]);
    if transmit == 0 {
        return Err(SntpError::ZeroTime);
    }
    Ok(Reply {
        stratum,
        unix_us: ntp_to_unix_us(transmit),
    })
}

/// Where an [`SntpClient`] stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    InProgress,
    /// `reply` was received at local time `at` (the `now` given to `process`).
    Done {
        reply: Reply,
        at: u64,
    },
    Failed(SntpError),
}

/// One SNTP query with retransmissions every `timeout_us`, `max_tries` sends in all.
#[derive(Debug)]
pub struct SntpClient {
    server: SocketAddrV4,
    cookie: u64,
    timeout_us: u64,
    tries_left: u8,
    deadline: Option<u64>,
    status: Status,
}

impl SntpClient {
    pub fn new(server: SocketAddrV4, cookie: u64, timeout_us: u64, max_tries: u8) -> Self {
        SntpClient {
            server,
            cookie,
            timeout_us,
            tries_left: max_tries,
            deadline: None,
            status: Status::InProgress,
        }
    }

    pub fn status(&self) -> Status {
        self.status
    }

    /// `Some(0)` before the first send, then the retransmission deadline.
    pub fn poll_at(&self) -> Option<u64> {
        match self.status {
            Status::InProgress => Some(self.deadline.unwrap_or(0)),
            _ => None,
        }
    }

    pub fn dispatch<E>(
        &mut self,
        now: u64,
        emit: impl FnOnce(SocketAddrV4, &[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        if self.status != Status::InProgress || self.deadline.is_some_and(|d| now < d) {
            return Ok(());
        }
        if self.tries_left == 0 {
            self.status = Status::Failed(SntpError::Timeout);
            return Ok(());
        }
        emit(self.server, &request(self.cookie))?;
        self.tries_left -= 1;
        self.deadline = Some(now.saturating_add(self.timeout_us));
        Ok(())
    }

    /// Handles a datagram; anything but a valid reply from the server is ignored,
    /// except a kiss-o'-death, which ends the exchange.
    pub fn process(&mut self, now: u64, from: SocketAddrV4, bytes: &[u8]) {
        if from != self.server || self.status != Status::InProgress {
            return;
        }
        match parse_reply(bytes, self.cookie) {
            Ok(reply) => self.status = Status::Done { reply, at: now },
            Err(e @ SntpError::KissOfDeath(_)) => self.status = Status::Failed(e),
            Err(_) => {}
        }
    }
}

/// Day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    pub fn short_name(self) -> &'static str {
        ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][self as usize]
    }
}

/// A local date and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub weekday: Weekday,
}

/// Local time at `unix_secs` in a zone `offset_minutes` east of UTC
/// (proleptic Gregorian calendar; H. Hinnant's `civil_from_days`).
pub fn civil(unix_secs: i64, offset_minutes: i32) -> Civil {
    let t = unix_secs.saturating_add(i64::from(offset_minutes) * 60);
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    const WEEK: [Weekday; 7] = [
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
    ];
    Civil {
        year,
        month,
        day,
        hour: (secs / 3600) as u8,
        minute: (secs / 60 % 60) as u8,
        second: (secs % 60) as u8,
        weekday: WEEK[days.rem_euclid(7) as usize],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::Ipv4Addr;

    const SERVER: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 123), 123);
    const COOKIE: u64 = 0x1234_5678_9abc_def0;

    // A reply from ntpd (stratum 2, version 4, mode 4): transmit time
    // 0xE93C7F00_80000000 = 2024-01-01 00:00:00.5 UTC.
    fn reply_bytes() -> [u8; 48] {
        let mut p = [0u8; 48];
        p[0] = 0x24;
        p[1] = 2;
        p[2] = 3;
        p[3] = 0xe9;
        p[12..16].copy_from_slice(&[192, 0, 2, 1]);
        p[24..32].copy_from_slice(&COOKIE.to_be_bytes());
        p[32..40].copy_from_slice(&[0xe9, 0x3c, 0x7f, 0x00, 0x7f, 0, 0, 0]);
        p[40..48].copy_from_slice(&[0xe9, 0x3c, 0x7f, 0x00, 0x80, 0, 0, 0]);
        p
    }

    #[test]
    fn request_bytes() {
        let r = request(COOKIE);
        assert_eq!(r[0], 0x23);
        assert_eq!(&r[1..40], &[0u8; 39]);
        assert_eq!(&r[40..], &COOKIE.to_be_bytes());
    }

    #[test]
    fn parses_reply_time() {
        let reply = parse_reply(&reply_bytes(), COOKIE).unwrap();
        assert_eq!(
            reply,
            Reply {
                stratum: 2,
                unix_us: 1_704_067_200_500_000
            }
        );
        assert_eq!(reply.unix_secs(), 1_704_067_200);
        // Era 1: NTP seconds 0x00000001 are 2036-02-07 06:28:17 UTC.
        assert_eq!(ntp_to_unix_us(1 << 32), 2_085_978_497_000_000);
    }

    #[test]
    fn sanity_checks() {
        let ok = reply_bytes();
        assert_eq!(parse_reply(&ok[..47], COOKIE), Err(SntpError::Truncated));
        let mut p = ok;
        p[0] = 0x23;
        assert_eq!(parse_reply(&p, COOKIE), Err(SntpError::NotServer(3)));
        let mut p = ok;
        p[0] = 0x14;
        assert_eq!(parse_reply(&p, COOKIE), Err(SntpError::BadVersion(2)));
        let mut p = ok;
        p[1] = 0;
        p[12..16].copy_from_slice(b"RATE");
        assert_eq!(
            parse_reply(&p, COOKIE),
            Err(SntpError::KissOfDeath(*b"RATE"))
        );
        let mut p = ok;
        p[0] = 0xe4;
        assert_eq!(parse_reply(&p, COOKIE), Err(SntpError::Unsynchronised));
        let mut p = ok;
        p[40..48].fill(0);
        assert_eq!(parse_reply(&p, COOKIE), Err(SntpError::ZeroTime));
        assert_eq!(parse_reply(&ok, COOKIE + 1), Err(SntpError::OriginMismatch));
        let mut p = ok;
        p[0] = 0x1c; // version 3 servers are accepted
        assert!(parse_reply(&p, COOKIE).is_ok());
    }

    #[test]
    fn client_retries_then_times_out_or_succeeds() {
        let mut c = SntpClient::new(SERVER, COOKIE, 1000, 2);
        let mut sent = 0;
        let mut emit = |to: SocketAddrV4, b: &[u8]| {
            assert_eq!((to, b), (SERVER, &request(COOKIE)[..]));
            sent += 1;
            Ok::<(), ()>(())
        };
        assert_eq!(c.poll_at(), Some(0));
        c.dispatch(0, &mut emit).unwrap();
        c.dispatch(500, &mut emit).unwrap();
        assert_eq!(c.poll_at(), Some(1000));
        c.dispatch(1000, &mut emit).unwrap();
        c.dispatch(2000, &mut emit).unwrap();
        assert_eq!(sent, 2);
        assert_eq!(c.status(), Status::Failed(SntpError::Timeout));

        let mut c = SntpClient::new(SERVER, COOKIE, 1000, 2);
        c.dispatch(0, |_, _| Ok::<(), ()>(())).unwrap();
        let other = SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 9), 123);
        c.process(10, other, &reply_bytes());
        assert_eq!(c.status(), Status::InProgress);
        c.process(20, SERVER, &reply_bytes());
        assert_eq!(
            c.status(),
            Status::Done {
                reply: parse_reply(&reply_bytes(), COOKIE).unwrap(),
                at: 20
            }
        );
        assert_eq!(c.poll_at(), None);
    }

    #[test]
    fn civil_time() {
        let c = civil(0, 0);
        assert_eq!(
            (c.year, c.month, c.day, c.hour, c.minute, c.weekday),
            (1970, 1, 1, 0, 0, Weekday::Thu)
        );
        // 2024-02-29 23:30:15 UTC is Thursday; +60 min is Friday 2024-03-01 00:30.
        let t = 1_709_249_415;
        let c = civil(t, 0);
        assert_eq!(
            (
                c.year, c.month, c.day, c.hour, c.minute, c.second, c.weekday
            ),
            (2024, 2, 29, 23, 30, 15, Weekday::Thu)
        );
        let c = civil(t, 60);
        assert_eq!(
            (
                c.year,
                c.month,
                c.day,
                c.hour,
                c.minute,
                c.weekday.short_name()
            ),
            (2024, 3, 1, 0, 30, "Fri")
        );
        let c = civil(t, -330);
        assert_eq!((c.day, c.hour, c.minute), (29, 18, 0));
        let c = civil(-1, 0);
        assert_eq!(
            (c.year, c.month, c.day, c.hour, c.second, c.weekday),
            (1969, 12, 31, 23, 59, Weekday::Wed)
        );
        let c = civil(4_102_444_800, 0); // 2100-01-01, not a leap year before it
        assert_eq!(
            (c.year, c.month, c.day, c.weekday),
            (2100, 1, 1, Weekday::Fri)
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64), t in proptest::num::i64::ANY, off in -1440i32..1440) {
            let _ = parse_reply(&bytes, COOKIE);
            let c = civil(t, off);
            proptest::prop_assert!((1..=12).contains(&c.month) && (1..=31).contains(&c.day) && c.hour < 24);
        }
    }
}
