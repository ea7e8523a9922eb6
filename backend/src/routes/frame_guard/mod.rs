//! Refuses an oversized WebSocket frame from its header, before its payload arrives.
//!
//! A frame header (RFC 6455 §5.2) is byte 0 (FIN, RSV1-3, opcode), byte 1 (MASK and a 7-bit
//! length: the length itself up to 125; 126 or 127 when a 16- or 64-bit big-endian length
//! follows), then a 4-byte masking key if MASK is set (§5.3): 2 to 14 bytes, the length known
//! by byte 10. actix-http reads that length but checks it only once the whole payload is
//! buffered, so a client declaring 16 MiB and trickling bytes kept its connection and buffer
//! until the idle timeout. [`FrameGuard`] sits between the request body and actix-ws, passes
//! every byte on untouched, reads only headers (payloads are skipped by counting) and ends the
//! stream with [`FrameTooLarge`] at the first header over the limit; the session closes with
//! 1009. It is not a second parser: opcodes, masking and UTF-8 stay actix's business.

use actix_web::{
    FromRequest, HttpRequest, dev,
    error::PayloadError,
    web::{self, Bytes},
};
use futures_util::Stream;
use std::{
    pin::Pin,
    task::{Context, Poll},
};

/// Bytes of a header that hold its length: the base 2 plus the longest extended length, 8.
/// The masking key that may follow is skipped by counting, like the payload.
const LENGTH_FIELD_END: usize = 2 + 8;
/// Byte 1's MASK bit (§5.2).
const MASK_BIT: u8 = 0x80;
/// Byte 1's 7-bit payload length (§5.2).
const LENGTH_BITS: u8 = 0x7f;
/// A 7-bit length of 126: a 16-bit length follows.
const EXTENDED_16: u8 = 126;
/// A 7-bit length of 127: a 64-bit length follows.
const EXTENDED_64: u8 = 127;
/// Bytes of masking key after the length when MASK is set (§5.3).
const MASKING_KEY_BYTES: u64 = 4;

/// A frame header declared a payload over the limit. The connection closes with 1009.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a frame header declares {declared} payload bytes; at most {limit} are accepted")]
pub struct FrameTooLarge {
    /// The payload length the header declared.
    pub declared: u64,
    /// The most a frame may carry (`MAX_FRAME_BYTES`).
    pub limit: u64,
}

/// A chunk held a header that declared too much: what [`HeaderReader::read`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Oversized {
    /// Where in the chunk the oversized frame's header starts (0 when it began in an earlier
    /// chunk): the bytes before it belong to earlier frames and may still be delivered.
    pub frame_start: usize,
    /// What the header declared, and the limit.
    pub error: FrameTooLarge,
}

/// Where the reader stands within the frame it is reading.
#[derive(Debug, Clone, Copy)]
enum Position {
    /// Inside a header; `have` of its length-bearing bytes are in `bytes`.
    Header {
        bytes: [u8; LENGTH_FIELD_END],
        have: usize,
    },
    /// Past the length field: `remaining` bytes of masking key and payload to skip. Never 0.
    Skipping { remaining: u64 },
}

impl Position {
    const NEXT_HEADER: Position = Position::Header {
        bytes: [0; LENGTH_FIELD_END],
        have: 0,
    };
}

/// Follows frame boundaries through a byte stream split anywhere, reading only headers.
///
/// Pure and synchronous: feed it each chunk in order with [`HeaderReader::read`].
#[derive(Debug, Clone)]
pub struct HeaderReader {
    limit: u64,
    position: Position,
}

/// What the length-bearing bytes read so far say.
enum Length {
    /// More header bytes are needed to know the length.
    Incomplete,
    /// The payload length, and the masking-key bytes that follow the length field.
    Known { payload: u64, key: u64 },
}

/// Reads the payload length from the first `bytes` of a header, if they hold all of it.
fn declared_length(bytes: &[u8]) -> Length {
    let [_, second, extended @ ..] = bytes else {
        return Length::Incomplete;
    };
    let key = if second & MASK_BIT == 0 {
        0
    } else {
        MASKING_KEY_BYTES
    };
    let payload = match second & LENGTH_BITS {
        EXTENDED_16 => match <[u8; 2]>::try_from(extended) {
            Ok(length) => u64::from(u16::from_be_bytes(length)),
            Err(_) => return Length::Incomplete,
        },
        // A length with its top bit set is illegal (§5.2) and also over any limit we set.
        EXTENDED_64 => match <[u8; 8]>::try_from(extended) {
            Ok(length) => u64::from_be_bytes(length),
            Err(_) => return Length::Incomplete,
        },
        short => u64::from(short),
    };
    Length::Known { payload, key }
}

/// How many header bytes hold the length, judged from byte 1: 2, or 4 or 10 with an
/// extended length.
fn length_field_bytes(second: u8) -> usize {
    match second & LENGTH_BITS {
        EXTENDED_16 => 4,
        EXTENDED_64 => LENGTH_FIELD_END,
        _ => 2,
    }
}

/// `n` as a `u64`; every `usize` we run on fits.
fn widen(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

impl HeaderReader {
    /// A reader at the start of a stream, refusing payloads over `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Self {
            limit: widen(limit),
            position: Position::NEXT_HEADER,
        }
    }

    /// Reads the next `chunk` of the stream. `Err` as soon as a header declares more than the
    /// limit; the reader is then spent (the stream is to be ended, not read further).
    pub fn read(&mut self, chunk: &[u8]) -> Result<(), Oversized> {
        let mut at = 0;
        // A header that began in an earlier chunk starts "before" this one.
        let mut frame_start = 0;
        while let Some(rest) = chunk.get(at..).filter(|rest| !rest.is_empty()) {
            match &mut self.position {
                Position::Skipping { remaining } => match usize::try_from(*remaining) {
                    Ok(skip) if skip < rest.len() => {
                        at += skip;
                        self.position = Position::NEXT_HEADER;
                    }
                    // The frame goes on past this chunk (`rest` ≤ `remaining`, so no underflow).
                    _ => {
                        *remaining -= widen(rest.len());
                        if *remaining == 0 {
                            self.position = Position::NEXT_HEADER;
                        }
                        return Ok(());
                    }
                },
                // Nearly always the whole length field is in one chunk: read it in place.
                Position::Header { have: 0, .. }
                    if let Some(field) = rest
                        .get(1)
                        .and_then(|&second| rest.get(..length_field_bytes(second)))
                        && let Length::Known { payload, key } = declared_length(field) =>
                {
                    frame_start = at;
                    at += field.len();
                    self.start_skipping(payload, key, frame_start)?;
                }
                Position::Header { bytes, have } => {
                    if *have == 0 {
                        frame_start = at;
                    }
                    let (Some(slot), Some(&byte)) = (bytes.get_mut(*have), rest.first()) else {
                        // Unreachable: `declared_length` is Known by the 10th byte.
                        self.position = Position::NEXT_HEADER;
                        continue;
                    };
                    *slot = byte;
                    *have += 1;
                    at += 1;
                    let read = bytes.get(..*have).unwrap_or_default();
                    if let Length::Known { payload, key } = declared_length(read) {
                        self.start_skipping(payload, key, frame_start)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The length field is read: refuse the frame, or skip its key and payload.
    fn start_skipping(
        &mut self,
        payload: u64,
        key: u64,
        frame_start: usize,
    ) -> Result<(), Oversized> {
        if payload > self.limit {
            let error = FrameTooLarge {
                declared: payload,
                limit: self.limit,
            };
            return Err(Oversized { frame_start, error });
        }
        // Saturating: with a limit near `u64::MAX` the key could push a legal length over.
        self.position = match payload.saturating_add(key) {
            0 => Position::NEXT_HEADER,
            remaining => Position::Skipping { remaining },
        };
        Ok(())
    }
}

/// How far [`FrameGuard`] is from ending its stream.
#[derive(Debug)]
enum Guard {
    /// Passing bytes through.
    Open,
    /// A header declared too much; the bytes before it went out. Yield once so actix-ws
    /// decodes them, then fail.
    Tripped { error: FrameTooLarge, yielded: bool },
    /// The error went out; the stream is over.
    Done,
}

/// A request-body stream that ends with [`FrameTooLarge`] (as a [`PayloadError`]) at the first
/// header declaring more than its limit. See the module doc.
pub struct FrameGuard<S> {
    inner: S,
    reader: HeaderReader,
    guard: Guard,
}

impl<S> FrameGuard<S> {
    /// Guards `inner`, refusing frames that declare more than `limit` payload bytes.
    pub fn new(inner: S, limit: usize) -> Self {
        Self {
            inner,
            reader: HeaderReader::new(limit),
            guard: Guard::Open,
        }
    }
}

impl<S> Stream for FrameGuard<S>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        match this.guard {
            Guard::Open => {}
            // actix-ws's MessageStream reads chunks until the body is pending and returns a
            // body error before decoding what it buffered, so the frames ahead of the
            // oversized one would be lost. Pending once (woken at once) lets it decode them.
            Guard::Tripped {
                ref mut yielded, ..
            } if !*yielded => {
                *yielded = true;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            Guard::Tripped { error, .. } => {
                this.guard = Guard::Done;
                // actix-ws wraps this as `ProtocolError::Io` of kind `Other`, which the
                // session closes with 1009 (`session::protocol_close`).
                let error = PayloadError::Io(std::io::Error::other(error));
                return Poll::Ready(Some(Err(error)));
            }
            Guard::Done => return Poll::Ready(None),
        }
        let chunk = match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => chunk,
            other => return other,
        };
        match this.reader.read(&chunk) {
            Ok(()) => Poll::Ready(Some(Ok(chunk))),
            Err(Oversized { frame_start, error }) => {
                tracing::debug!(
                    declared = error.declared,
                    limit = error.limit,
                    "a frame header declares an oversized payload; closing with 1009"
                );
                this.guard = Guard::Tripped {
                    error,
                    yielded: false,
                };
                let mut before = chunk;
                before.truncate(frame_start);
                if before.is_empty() {
                    Pin::new(this).poll_next(cx)
                } else {
                    Poll::Ready(Some(Ok(before)))
                }
            }
        }
    }
}

/// Puts a [`FrameGuard`] of `limit` bytes in front of `body`, for `actix_ws::handle`.
///
/// `Err` never happens in practice: extracting a `web::Payload` cannot fail, but actix types
/// it as fallible.
pub fn guard(
    request: &HttpRequest,
    body: web::Payload,
    limit: usize,
) -> Result<web::Payload, actix_web::Error> {
    let guarded: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> =
        Box::pin(FrameGuard::new(body.into_inner(), limit));
    // `web::Payload` has no public constructor; its extractor takes whatever payload it is
    // handed, so hand it the guarded one.
    web::Payload::from_request(request, &mut dev::Payload::from(guarded)).into_inner()
}

#[cfg(test)]
mod tests;
