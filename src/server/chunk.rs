//! Bolt's message framing: a message is sent as chunks, each a 2-byte
//! big-endian length and that many bytes, and ends with an empty chunk
//! (`00 00`). An empty chunk between messages is a NOOP (a keep-alive).

use std::io::{self, Read, Write};

use super::packstream::Encoder;

/// The largest chunk: its length is 16 bits.
const MAX_CHUNK: usize = 0xFFFF;

/// Reads one message's bytes into `buf` (cleared first), skipping NOOPs.
/// Returns `Ok(false)` when the peer closed the connection cleanly
/// between messages.
///
/// # Errors
/// The reader's error; [`io::ErrorKind::InvalidData`] when the message
/// grows past `max` bytes (the rest is not read: the connection must
/// close), [`io::ErrorKind::UnexpectedEof`] when the peer closes inside a
/// message.
pub fn read_message(r: &mut impl Read, buf: &mut Vec<u8>, max: usize) -> io::Result<bool> {
    buf.clear();
    loop {
        let mut head = [0u8; 2];
        if buf.is_empty() {
            // Between messages a clean close is not an error.
            match r.read(&mut head[..1])? {
                0 => return Ok(false),
                _ => r.read_exact(&mut head[1..])?,
            }
        } else {
            r.read_exact(&mut head)?;
        }
        let n = usize::from(u16::from_be_bytes(head));
        if n == 0 {
            if buf.is_empty() {
                continue; // a NOOP
            }
            return Ok(true);
        }
        if buf.len() + n > max {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a message longer than the limit of {max} bytes"),
            ));
        }
        let start = buf.len();
        buf.resize(start + n, 0);
        r.read_exact(&mut buf[start..])?;
    }
}

/// Whether `buf` begins with a whole message (NOOPs before it
/// included), so [`read_message`] over it does not wait for more bytes.
#[must_use]
pub fn holds_message(buf: &[u8]) -> bool {
    let mut at = 0;
    let mut data = false;
    while let Some(head) = buf.get(at..at + 2) {
        let n = usize::from(u16::from_be_bytes([head[0], head[1]]));
        at += 2 + n;
        if n == 0 && data {
            return true;
        }
        data |= n > 0;
    }
    false
}

/// Appends `message` to `out` as chunks and the end marker.
#[allow(
    clippy::cast_possible_truncation,
    reason = "a chunk is at most MAX_CHUNK bytes"
)]
pub fn frame(message: &[u8], out: &mut Vec<u8>) {
    for part in message.chunks(MAX_CHUNK) {
        out.extend_from_slice(&(part.len() as u16).to_be_bytes());
        out.extend_from_slice(part);
    }
    out.extend_from_slice(&[0, 0]);
}

/// Messages on their way to the client: each is encoded, framed and
/// buffered, and the buffer goes out once it holds [`Outbox::FLUSH_AT`]
/// bytes and when [`flush`](Outbox::flush) is called, so a long result
/// holds about that much memory, whatever its size. The first write
/// error is kept; later messages are dropped ([`Outbox::broken`]).
pub struct Outbox<W: Write> {
    to: W,
    framed: Vec<u8>,
    message: Vec<u8>,
    error: Option<io::Error>,
}

impl<W: Write> Outbox<W> {
    /// Bytes buffered before they are written.
    pub const FLUSH_AT: usize = 64 * 1024;

    /// An outbox writing to `to` that reuses the buffers of an earlier
    /// one ([`Outbox::into_buffers`]).
    pub fn with_buffers(to: W, (mut framed, mut message): (Vec<u8>, Vec<u8>)) -> Outbox<W> {
        framed.clear();
        framed.reserve(Self::FLUSH_AT + MAX_CHUNK);
        message.clear();
        Outbox {
            to,
            framed,
            message,
            error: None,
        }
    }

    /// Its buffers, for the next outbox.
    pub fn into_buffers(self) -> (Vec<u8>, Vec<u8>) {
        (self.framed, self.message)
    }

    /// Sends the message `encode` writes.
    pub fn send(&mut self, encode: impl FnOnce(&mut Encoder<'_>)) {
        if self.error.is_some() {
            return;
        }
        self.message.clear();
        encode(&mut Encoder::new(&mut self.message));
        frame(&self.message, &mut self.framed);
        if self.framed.len() >= Self::FLUSH_AT {
            self.write_out();
        }
    }

    /// Writes what is buffered and flushes the writer.
    ///
    /// # Errors
    /// The first write error since the outbox was made.
    pub fn flush(&mut self) -> io::Result<()> {
        self.write_out();
        if self.error.is_none()
            && let Err(e) = self.to.flush()
        {
            self.error = Some(e);
        }
        match &self.error {
            None => Ok(()),
            Some(e) => Err(io::Error::new(e.kind(), e.to_string())),
        }
    }

    /// Whether a write failed (the client is gone).
    pub fn broken(&self) -> bool {
        self.error.is_some()
    }

    fn write_out(&mut self) {
        if self.error.is_none()
            && !self.framed.is_empty()
            && let Err(e) = self.to.write_all(&self.framed)
        {
            self.error = Some(e);
        }
        self.framed.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_split_into_chunks_and_join_again() {
        let long: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut wire = vec![0, 0]; // a NOOP first
        frame(b"abc", &mut wire);
        frame(&long, &mut wire);
        assert_eq!(&wire[2..9], [0, 3, b'a', b'b', b'c', 0, 0]);
        let mut r = wire.as_slice();
        let mut buf = Vec::new();
        assert!(read_message(&mut r, &mut buf, 1 << 20).unwrap());
        assert_eq!(buf, b"abc");
        assert!(read_message(&mut r, &mut buf, 1 << 20).unwrap());
        assert_eq!(buf, long);
        assert!(!read_message(&mut r, &mut buf, 1 << 20).unwrap());
    }

    #[test]
    fn a_whole_message_is_told_from_a_part() {
        let mut wire = vec![0, 0];
        frame(&[1; 300], &mut wire);
        assert!(holds_message(&wire));
        for cut in 0..wire.len() {
            assert!(!holds_message(&wire[..cut]), "{cut} bytes");
        }
        assert!(!holds_message(&[0, 0, 0, 0]));
    }

    #[test]
    fn an_oversized_or_cut_message_is_an_error() {
        let mut wire = Vec::new();
        frame(&[7; 1000], &mut wire);
        let mut buf = Vec::new();
        let e = read_message(&mut wire.as_slice(), &mut buf, 999).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        let e = read_message(&mut &wire[..500], &mut buf, 1 << 20).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    }
}
