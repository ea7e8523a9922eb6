//! One bench connection to any target kind, as a writer half and a reader half of text frames.
//!
//! Chinwag and the bare relay speak WebSocket (`/socket?room=..&after=..` for Chinwag, a
//! `{"type":"join"}` frame for the relay); the raw-TCP baseline speaks newline-delimited
//! frames. Modes see only [`FrameWriter::send`] and [`FrameReader::next`]. Buffers are small
//! (4 KiB read, writes go out at once): ten thousand clients share one core and a few GiB.
//! A connection is ready once its target confirms the join: Chinwag's `joined`, or the
//! `{"type":"joined"}` line both baselines send after subscribing.

use crate::{cli::TargetKind, signin::Credential};
use anyhow::{Context, Result, bail};
use futures_util::{
    SinkExt, StreamExt,
    stream::{SplitSink, SplitStream},
};
use std::{net::SocketAddr, time::Duration};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{
        TcpStream,
        tcp::{OwnedReadHalf, OwnedWriteHalf},
    },
};
use tokio_tungstenite::{
    WebSocketStream,
    tungstenite::{
        Message, Utf8Bytes, client::IntoClientRequest, handshake::client::Request,
        http::HeaderValue, protocol::WebSocketConfig,
    },
};

/// Bytes each connection reads at a time; bench frames are a few hundred bytes.
const READ_BUFFER_BYTES: usize = 4 * 1024;
/// Longest a TCP connect, or a WebSocket handshake, may take; each is reported on its own so
/// a stuck connection says where it stuck.
const STAGE_TIMEOUT: Duration = Duration::from_secs(20);
/// The frame both baselines send once a new connection is subscribed.
pub const BASELINE_READY: &str = r#"{"type":"joined"}"#;

type Ws = WebSocketStream<TcpStream>;

/// WebSocket settings for the bench clients (and the bare relay): small read buffer, writes
/// sent at once.
pub fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(0)
}

/// How a connection joins.
#[derive(Debug, Clone, Default)]
pub struct JoinSpec {
    /// The room (Chinwag only; the baselines have one).
    pub room: String,
    /// Resume after this id (Chinwag only).
    pub after: Option<u64>,
    /// The connection's name (Chinwag only); `None` keeps it out of presence.
    pub username: Option<String>,
    /// Reset instead of closing when dropped (`SO_LINGER` 0), as a crashed client would.
    pub abortive: bool,
    /// A signed-in client's credential, sent with the upgrade (Chinwag only).
    pub credential: Option<Credential>,
}

/// Opens connections to one target.
#[derive(Debug, Clone, Copy)]
pub struct Connector {
    /// The target's kind.
    pub kind: TargetKind,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Connector {
    /// Connects and joins; returns before the target confirms (see [`FrameReader::next`]).
    pub async fn connect(&self, join: &JoinSpec) -> Result<(FrameWriter, FrameReader)> {
        let stream = tokio::time::timeout(STAGE_TIMEOUT, TcpStream::connect(self.addr))
            .await
            .context("TCP connect timed out")?
            .with_context(|| format!("connect to {}", self.addr))?;
        stream.set_nodelay(true)?;
        if join.abortive {
            stream.set_zero_linger()?;
        }
        match self.kind {
            TargetKind::Chinwag => {
                let request = chinwag_request(self.addr, join)?;
                Ok(split_ws(handshake(request, stream).await?))
            }
            TargetKind::BareRelay | TargetKind::ActixRelay => {
                let request = format!("ws://{}/socket", self.addr).into_client_request()?;
                let (mut writer, reader) = split_ws(handshake(request, stream).await?);
                writer
                    .send(format!(r#"{{"type":"join","room":"{}"}}"#, join.room))
                    .await?;
                Ok((writer, reader))
            }
            TargetKind::RawTcp => {
                let (read, write) = stream.into_split();
                let reader = FrameReader::Tcp {
                    lines: BufReader::with_capacity(READ_BUFFER_BYTES, read),
                    line: Vec::with_capacity(512),
                };
                Ok((FrameWriter::Tcp(write), reader))
            }
        }
    }
}

/// The client side of the WebSocket handshake, bounded by [`STAGE_TIMEOUT`].
async fn handshake(request: Request, stream: TcpStream) -> Result<Ws> {
    let handshake = tokio_tungstenite::client_async_with_config(request, stream, Some(ws_config()));
    let (ws, _) = tokio::time::timeout(STAGE_TIMEOUT, handshake)
        .await
        .context("WebSocket handshake timed out (TCP connected)")?
        .context("WebSocket handshake")?;
    Ok(ws)
}

/// Chinwag's socket URL for `join`.
fn chinwag_url(addr: SocketAddr, join: &JoinSpec) -> String {
    let mut url = format!("ws://{addr}/socket?room={}", join.room);
    if let Some(after) = join.after {
        url.push_str(&format!("&after={after}"));
    }
    if let Some(name) = &join.username {
        url.push_str(&format!("&username={name}"));
    }
    if let Some(param) = join.credential.as_ref().and_then(Credential::query) {
        url.push('&');
        url.push_str(&param);
    }
    url
}

/// Chinwag's upgrade request for `join`: its URL, plus the credential's header if it has one.
fn chinwag_request(addr: SocketAddr, join: &JoinSpec) -> Result<Request> {
    let mut request = chinwag_url(addr, join).into_client_request()?;
    if let Some((name, value)) = join.credential.as_ref().and_then(Credential::header) {
        let value = HeaderValue::from_str(&value).context("a credential unfit for a header")?;
        request.headers_mut().insert(name, value);
    }
    Ok(request)
}

fn split_ws(ws: Ws) -> (FrameWriter, FrameReader) {
    let (sink, stream) = ws.split();
    (
        FrameWriter::Ws(sink),
        FrameReader::Ws {
            stream,
            last: Utf8Bytes::default(),
        },
    )
}

/// The sending half.
pub enum FrameWriter {
    /// A WebSocket.
    Ws(SplitSink<Ws, Message>),
    /// Newline-delimited TCP.
    Tcp(OwnedWriteHalf),
}

impl FrameWriter {
    /// Sends one text frame and flushes it.
    pub async fn send(&mut self, text: String) -> Result<()> {
        match self {
            Self::Ws(sink) => sink.send(Message::text(text)).await?,
            Self::Tcp(write) => {
                let mut line = text.into_bytes();
                line.push(b'\n');
                write.write_all(&line).await?;
            }
        }
        Ok(())
    }
}

/// The receiving half.
pub enum FrameReader {
    /// A WebSocket; `last` keeps the newest frame alive for the borrow handed out.
    Ws {
        /// The frames.
        stream: SplitStream<Ws>,
        /// The frame returned last.
        last: Utf8Bytes,
    },
    /// Newline-delimited TCP; `line` is reused for every frame.
    Tcp {
        /// The buffered socket.
        lines: BufReader<OwnedReadHalf>,
        /// The frame returned last, without its newline.
        line: Vec<u8>,
    },
}

impl FrameReader {
    /// The next text frame; `Ok(None)` at a clean end of stream. A close frame, a binary
    /// frame or a transport error is an `Err` naming it. Pings are answered by tungstenite.
    pub async fn next(&mut self) -> Result<Option<&str>> {
        match self {
            Self::Ws { stream, last } => loop {
                match stream.next().await {
                    Some(Ok(Message::Text(text))) => {
                        *last = text;
                        return Ok(Some(last.as_str()));
                    }
                    Some(Ok(Message::Close(frame))) => match frame {
                        Some(frame) => {
                            bail!("closed by the server: {} {}", frame.code, frame.reason)
                        }
                        None => bail!("closed by the server"),
                    },
                    Some(Ok(Message::Binary(_))) => bail!("unexpected binary frame"),
                    Some(Ok(_)) => {} // ping, pong
                    Some(Err(err)) => return Err(err.into()),
                    None => return Ok(None),
                }
            },
            Self::Tcp { lines, line } => {
                line.clear();
                if lines.read_until(b'\n', line).await? == 0 {
                    return Ok(None);
                }
                if line.last() == Some(&b'\n') {
                    line.pop();
                }
                Ok(Some(
                    std::str::from_utf8(line).context("a frame that is not UTF-8")?,
                ))
            }
        }
    }

    /// Reads until the target confirms the join; frames before it (Chinwag's replay) go to
    /// `on_frame`. Returns `joined.last_id` for Chinwag, 0 for a baseline.
    pub async fn wait_ready(&mut self, mut on_frame: impl FnMut(&str)) -> Result<u64> {
        loop {
            let Some(frame) = self.next().await? else {
                bail!("closed before the join was confirmed");
            };
            if frame == BASELINE_READY {
                return Ok(0);
            }
            if frame.starts_with(r#"{"type":"joined""#) {
                return joined_last_id(frame);
            }
            if frame.starts_with(r#"{"type":"error""#) {
                bail!("join refused: {frame}");
            }
            on_frame(frame);
        }
    }
}

/// `last_id` of a Chinwag `joined` frame.
fn joined_last_id(frame: &str) -> Result<u64> {
    match serde_json::from_str(frame).context("a joined frame that does not parse")? {
        chinwag_shared::ServerMsg::Joined { last_id, .. } => Ok(last_id),
        other => bail!("expected joined, got {other:?}"),
    }
}

/// The id of a Chinwag `chat` frame, read without a full parse on the fast path
/// (`{"type":"chat","id":N,...`, the order serde writes), with a full parse as fallback.
/// `None` for any other frame.
pub fn chat_id(frame: &str) -> Option<u64> {
    const PREFIX: &str = r#"{"type":"chat","id":"#;
    if let Some(rest) = frame.strip_prefix(PREFIX) {
        let end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if let Some(Ok(id)) = rest.get(..end).map(str::parse) {
            return Some(id);
        }
    }
    if !frame.starts_with(r#"{"type":"chat""#) {
        return None;
    }
    match serde_json::from_str(frame).ok()? {
        chinwag_shared::ServerMsg::Chat(record) => Some(record.id),
        _ => None,
    }
}

/// Whether a frame is a Chinwag error frame.
pub fn is_error_frame(frame: &str) -> bool {
    frame.starts_with(r#"{"type":"error""#)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_ids_are_read_fast_and_other_frames_are_not_chats() {
        assert_eq!(
            chat_id(r#"{"type":"chat","id":42,"room":"r","username":"u","message":"m","ts":1}"#),
            Some(42)
        );
        assert_eq!(
            chat_id(r#"{"type":"chat","room":"r","id":7,"username":"u","message":"m","ts":1}"#),
            Some(7)
        );
        assert_eq!(chat_id(r#"{"type":"joined","room":"r","last_id":3}"#), None);
    }

    #[test]
    fn joined_frames_give_their_last_id() {
        assert_eq!(
            joined_last_id(r#"{"type":"joined","room":"r","last_id":3}"#).unwrap(),
            3
        );
        assert!(joined_last_id(r#"{"type":"left","room":"r"}"#).is_err());
    }

    #[test]
    fn the_chinwag_url_carries_only_what_was_asked() {
        let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let plain = JoinSpec {
            room: "bench".into(),
            ..JoinSpec::default()
        };
        assert_eq!(
            chinwag_url(addr, &plain),
            "ws://127.0.0.1:9/socket?room=bench"
        );
        let resume = JoinSpec {
            room: "bench".into(),
            after: Some(5),
            username: Some("s1".into()),
            abortive: true,
            credential: None,
        };
        assert_eq!(
            chinwag_url(addr, &resume),
            "ws://127.0.0.1:9/socket?room=bench&after=5&username=s1"
        );
    }

    #[test]
    fn a_credential_rides_in_its_header_or_in_the_query() {
        use crate::signin::Presentation;
        let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let join = |via| JoinSpec {
            room: "bench".into(),
            credential: Some(Credential {
                secret: "cws_x".into(),
                via,
            }),
            ..JoinSpec::default()
        };
        let bearer = chinwag_request(addr, &join(Presentation::Bearer)).unwrap();
        assert_eq!(bearer.headers()["authorization"], "Bearer cws_x");
        assert_eq!(bearer.uri().query(), Some("room=bench"));
        let cookie = chinwag_request(addr, &join(Presentation::Cookie)).unwrap();
        assert_eq!(cookie.headers()["cookie"], "chinwag_session=cws_x");
        let query = chinwag_request(addr, &join(Presentation::Query)).unwrap();
        assert!(!query.headers().contains_key("authorization"));
        assert_eq!(query.uri().query(), Some("room=bench&access_token=cws_x"));
    }
}
