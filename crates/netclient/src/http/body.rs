//! HTTP/1.1 message body framing (RFC 9112 section 6): a fixed
//! `Content-Length`, the chunked transfer coding, or everything until the
//! server closes the connection.
//!
//! The decoder is incremental (any split of the input gives the same
//! output), stores nothing but counters, and bounds what it skips: chunk
//! extensions and trailers longer than [`MAX_SKIP`] bytes are an error.

/// Most bytes of chunk extensions plus trailers tolerated in one body.
pub const MAX_SKIP: usize = 4096;

/// How the body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    Length(u64),
    Chunked,
    UntilClose,
}

/// The body does not follow its framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("malformed chunked body")]
    Malformed,
    #[error("chunk size overflows")]
    Overflow,
    #[error("chunk extensions or trailers too long")]
    TooMuchSkipped,
    #[error("connection closed before the body ended")]
    Truncated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    Size { value: u64, digits: u8 },
    Ext { value: u64 },
    SizeLf { value: u64 },
    Data(u64),
    DataCr,
    DataLf,
    TrailerStart,
    TrailerLine,
    TrailerLf { empty: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Length(u64),
    Chunked(Chunk),
    UntilClose,
    Done,
}

/// Incremental body decoder.
#[derive(Debug, Clone)]
pub struct BodyDecoder {
    state: State,
    skipped: usize,
}

impl BodyDecoder {
    pub fn new(framing: Framing) -> Self {
        let state = match framing {
            Framing::Length(0) => State::Done,
            Framing::Length(n) => State::Length(n),
            Framing::Chunked => State::Chunked(Chunk::Size {
                value: 0,
                digits: 0,
            }),
            Framing::UntilClose => State::UntilClose,
        };
        BodyDecoder { state, skipped: 0 }
    }

    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Decodes `input`, handing each piece of body data to `out`. Bytes after
    /// the end of the body are ignored. Errors from `out` are passed through.
    pub fn feed<E: From<BodyError>>(
        &mut self,
        mut input: &[u8],
        out: &mut impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        while !input.is_empty() {
            match self.state {
                State::Done => return Ok(()),
                State::UntilClose => {
                    out(input)?;
                    return Ok(());
                }
                State::Length(left) => {
                    let take = usize::try_from(left).unwrap_or(usize::MAX).min(input.len());
                    out(&input[..take])?;
                    input = &input[take..];
                    let left = left - take as u64;
                    self.state = if left == 0 {
                        State::Done
                    } else {
                        State::Length(left)
                    };
                }
                State::Chunked(Chunk::Data(left)) => {
                    let take = usize::try_from(left).unwrap_or(usize::MAX).min(input.len());
                    out(&input[..take])?;
                    input = &input[take..];
                    let left = left - take as u64;
                    self.state = State::Chunked(if left == 0 {
                        Chunk::DataCr
                    } else {
                        Chunk::Data(left)
                    });
                }
                State::Chunked(c) => {
                    self.state = self.chunk_byte(c, input[0])?;
                    input = &input[1..];
                }
            }
        }
        Ok(())
    }

    fn skip(&mut self) -> Result<(), BodyError> {
        self.skipped += 1;
        if self.skipped > MAX_SKIP {
            Err(BodyError::TooMuchSkipped)
        } else {
            Ok(())
        }
    }

    fn chunk_byte(&mut self, c: Chunk, b: u8) -> Result<State, BodyError> {
        let after_size = |value: u64| {
            if value == 0 {
                Chunk::TrailerStart
            } else {
                Chunk::Data(value)
            }
        };
        let next = match (c, b) {
            (Chunk::Size { value, digits }, _) if b.is_ascii_hexdigit() => {
                if digits >= 15 {
                    return Err(BodyError::Overflow);
                }
                let d = (b as char).to_digit(16).unwrap_or(0);
                Chunk::Size {
                    value: value * 16 + u64::from(d),
                    digits: digits + 1,
                }
            }
            (Chunk::Size { digits: 0, .. }, _) => return Err(BodyError::Malformed),
            (Chunk::Size { value, .. }, b';' | b' ' | b'\t') => Chunk::Ext { value },
            (Chunk::Size { value, .. } | Chunk::Ext { value }, b'\r') => Chunk::SizeLf { value },
            (Chunk::Size { value, .. } | Chunk::Ext { value } | Chunk::SizeLf { value }, b'\n') => {
                after_size(value)
            }
            (Chunk::Ext { value }, _) => {
                self.skip()?;
                Chunk::Ext { value }
            }
            (Chunk::DataCr, b'\r') => Chunk::DataLf,
            (Chunk::DataCr | Chunk::DataLf, b'\n') => Chunk::Size {
                value: 0,
                digits: 0,
            },
            (Chunk::TrailerStart, b'\r') => Chunk::TrailerLf { empty: true },
            (Chunk::TrailerStart, b'\n') | (Chunk::TrailerLf { empty: true }, b'\n') => {
                return Ok(State::Done);
            }
            (Chunk::TrailerLine, b'\r') => Chunk::TrailerLf { empty: false },
            (Chunk::TrailerLine, b'\n') | (Chunk::TrailerLf { empty: false }, b'\n') => {
                Chunk::TrailerStart
            }
            (Chunk::TrailerStart | Chunk::TrailerLine, _) => {
                self.skip()?;
                Chunk::TrailerLine
            }
            _ => return Err(BodyError::Malformed),
        };
        Ok(State::Chunked(next))
    }

    /// The connection closed: fine only for read-until-close or a finished body.
    pub fn close(&mut self) -> Result<(), BodyError> {
        match self.state {
            State::Done => Ok(()),
            State::UntilClose => {
                self.state = State::Done;
                Ok(())
            }
            _ => Err(BodyError::Truncated),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    // Wikipedia's chunked example plus an extension and a trailer.
    const CHUNKED: &[u8] = b"4\r\nWiki\r\n6;name=val\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\nGARBAGE";
    const DECODED: &[u8] = b"Wikipedia in \r\n\r\nchunks.";

    fn decode(framing: Framing, input: &[u8], split: usize) -> Result<(Vec<u8>, bool), BodyError> {
        let mut d = BodyDecoder::new(framing);
        let mut got = Vec::new();
        for piece in input.chunks(split.max(1)) {
            d.feed(piece, &mut |b: &[u8]| {
                got.extend_from_slice(b);
                Ok::<(), BodyError>(())
            })?;
        }
        Ok((got, d.is_done()))
    }

    #[test]
    fn chunked_any_split() {
        for split in 1..=CHUNKED.len() {
            assert_eq!(
                decode(Framing::Chunked, CHUNKED, split).unwrap(),
                (DECODED.to_vec(), true),
                "split {split}"
            );
        }
    }

    #[test]
    fn chunked_tolerates_bare_lf_and_incomplete_is_not_done() {
        assert_eq!(
            decode(Framing::Chunked, b"3\nabc\n0\n\n", 4).unwrap(),
            (b"abc".to_vec(), true)
        );
        let (got, done) = decode(Framing::Chunked, b"3\r\nabc\r\n", 2).unwrap();
        assert_eq!((got.as_slice(), done), (&b"abc"[..], false));
        let mut d = BodyDecoder::new(Framing::Chunked);
        assert_eq!(d.close(), Err(BodyError::Truncated));
    }

    #[test]
    fn chunked_rejects_garbage() {
        assert_eq!(
            decode(Framing::Chunked, b"x\r\n", 1),
            Err(BodyError::Malformed)
        );
        assert_eq!(
            decode(Framing::Chunked, b"\r\n", 1),
            Err(BodyError::Malformed)
        );
        assert_eq!(
            decode(Framing::Chunked, b"3\r\nabcX", 1),
            Err(BodyError::Malformed)
        );
        assert_eq!(
            decode(Framing::Chunked, b"3\rX", 1),
            Err(BodyError::Malformed)
        );
        assert_eq!(
            decode(Framing::Chunked, b"1000000000000000\r\n", 1),
            Err(BodyError::Overflow)
        );
        let mut long_ext = b"1;".to_vec();
        long_ext.extend(std::iter::repeat_n(b'x', MAX_SKIP + 1));
        assert_eq!(
            decode(Framing::Chunked, &long_ext, 100),
            Err(BodyError::TooMuchSkipped)
        );
    }

    #[test]
    fn content_length_stops_at_length() {
        assert_eq!(
            decode(Framing::Length(5), b"helloEXTRA", 3).unwrap(),
            (b"hello".to_vec(), true)
        );
        let (got, done) = decode(Framing::Length(10), b"hello", 3).unwrap();
        assert_eq!((got.len(), done), (5, false));
        assert!(BodyDecoder::new(Framing::Length(0)).is_done());
    }

    #[test]
    fn until_close() {
        let mut d = BodyDecoder::new(Framing::UntilClose);
        let mut n = 0;
        d.feed(b"abc", &mut |b: &[u8]| {
            n += b.len();
            Ok::<(), BodyError>(())
        })
        .unwrap();
        assert!(!d.is_done());
        d.close().unwrap();
        assert!(d.is_done());
        assert_eq!(n, 3);
    }

    proptest::proptest! {
        #[test]
        fn chunked_never_panics_and_output_is_bounded(
            input in proptest::collection::vec(proptest::num::u8::ANY, 0..300),
            split in 1usize..20,
        ) {
            if let Ok((got, _)) = decode(Framing::Chunked, &input, split) {
                proptest::prop_assert!(got.len() <= input.len());
            }
        }

        #[test]
        fn chunked_roundtrip(body in proptest::collection::vec(proptest::num::u8::ANY, 0..200), size in 1usize..50, split in 1usize..30) {
            let mut enc = Vec::new();
            for c in body.chunks(size) {
                enc.extend_from_slice(std::format!("{:x}\r\n", c.len()).as_bytes());
                enc.extend_from_slice(c);
                enc.extend_from_slice(b"\r\n");
            }
            enc.extend_from_slice(b"0\r\n\r\n");
            proptest::prop_assert_eq!(decode(Framing::Chunked, &enc, split).unwrap(), (body, true));
        }
    }
}
