//! Where downloaded bytes go. Clients stream each piece of a body to a
//! [`Sink`] as it arrives, so the firmware can write a large image straight
//! to flash without ever holding the whole file.

/// The sink refused data (flash write failed, partition full, ...). The sink
/// keeps its own details; the client only learns that the transfer must stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the sink refused the data")]
pub struct SinkError;

/// Receives a download in order, piece by piece.
pub trait Sink {
    /// Called once, before any data, when the server announced the total size
    /// (TFTP `tsize`, HTTP `Content-Length`). Refusing aborts the transfer.
    fn expect_size(&mut self, _size: u64) -> Result<(), SinkError> {
        Ok(())
    }

    /// Appends `data` (possibly empty) to the download.
    fn write(&mut self, data: &[u8]) -> Result<(), SinkError>;
}

impl<S: Sink + ?Sized> Sink for &mut S {
    fn expect_size(&mut self, size: u64) -> Result<(), SinkError> {
        (**self).expect_size(size)
    }
    fn write(&mut self, data: &[u8]) -> Result<(), SinkError> {
        (**self).write(data)
    }
}

/// A sink over a caller-owned buffer, for small files (INF, configs) that
/// are parsed after the download. Refuses data past the buffer's end.
#[derive(Debug)]
pub struct SliceSink<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> SliceSink<'a> {
    pub fn new(buf: &'a mut [u8]) -> Self {
        SliceSink { buf, len: 0 }
    }

    /// The bytes received so far.
    pub fn data(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Sink for SliceSink<'_> {
    fn expect_size(&mut self, size: u64) -> Result<(), SinkError> {
        if size > self.buf.len() as u64 {
            Err(SinkError)
        } else {
            Ok(())
        }
    }

    fn write(&mut self, data: &[u8]) -> Result<(), SinkError> {
        let end = self.len.checked_add(data.len()).ok_or(SinkError)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(SinkError)?;
        dst.copy_from_slice(data);
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_sink_appends_and_refuses_overflow() {
        let mut buf = [0u8; 5];
        let mut sink = SliceSink::new(&mut buf);
        assert_eq!(sink.expect_size(6), Err(SinkError));
        assert_eq!(sink.expect_size(5), Ok(()));
        sink.write(b"abc").unwrap();
        sink.write(b"").unwrap();
        assert_eq!(sink.write(b"def"), Err(SinkError));
        sink.write(b"de").unwrap();
        assert_eq!(sink.data(), b"abcde");
    }
}
