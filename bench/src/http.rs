//! Hand-written HTTP/1.1 for the lab modes, so every byte on the wire is known and counted.
//!
//! [`HttpConn`] is one keep-alive connection over a [`CountingStream`] (requests made, bytes
//! read and written, for the transport lab's bytes per message); [`one_request`] is a request
//! on a fresh connection that closes after it (the long-poll waiters). Responses are framed by
//! `Content-Length`, which Chinwag sets on everything these modes ask for; a head past
//! [`MAX_HEAD_BYTES`] or a connection closed early is an error, never a guess.
//! [`long_polls_waiting`] reads the gauge both labs wait on.

use anyhow::{Context as _, Result, bail};
use std::{
    io,
    net::SocketAddr,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf},
    net::TcpStream,
    time::timeout,
};

/// Longest response head accepted.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Bound on connecting, and on one `/metrics` read.
const STEP_TIMEOUT: Duration = Duration::from_secs(5);

/// A TCP stream that counts the bytes read from and written to it.
pub struct CountingStream {
    inner: TcpStream,
    /// Bytes read so far.
    pub read: u64,
    /// Bytes written so far.
    pub written: u64,
}

impl CountingStream {
    /// Wraps `inner`, counting from zero.
    pub fn new(inner: TcpStream) -> Self {
        Self {
            inner,
            read: 0,
            written: 0,
        }
    }

    /// Bytes read and written.
    pub fn total(&self) -> u64 {
        self.read + self.written
    }
}

impl AsyncRead for CountingStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = poll {
            this.read += (buf.filled().len() - before) as u64;
        }
        poll
    }
}

impl AsyncWrite for CountingStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write(cx, data);
        if let Poll::Ready(Ok(written)) = poll {
            this.written += written as u64;
        }
        poll
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// An HTTP/1.1 response: status, header lines and body.
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The header lines as sent, names in the sender's case.
    pub headers: Vec<(String, String)>,
    /// The body, `Content-Length` bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// Reads one response from a stream that carries nothing after it.
    pub async fn read(stream: &mut (impl AsyncRead + Unpin)) -> Result<Self> {
        read_response(stream, &mut Vec::with_capacity(1024)).await
    }

    /// The value of the first header named `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body, failing unless the status is 200.
    pub fn ok_body(self) -> Result<Vec<u8>> {
        if self.status != 200 {
            bail!("answered {}: {}", self.status, self.text());
        }
        Ok(self.body)
    }
}

/// A keep-alive HTTP/1.1 connection with hand-written requests.
pub struct HttpConn {
    /// The connection, with its byte counts.
    pub stream: CountingStream,
    host: String,
    /// Bytes read past the end of the last response.
    buf: Vec<u8>,
    /// Requests written so far.
    pub requests: u64,
    /// An `Authorization` header line sent with every request, if any.
    authorization: Option<String>,
}

impl HttpConn {
    /// Connects to `addr` (bounded).
    pub async fn connect(addr: SocketAddr) -> Result<Self> {
        let stream = timeout(STEP_TIMEOUT, TcpStream::connect(addr))
            .await
            .context("connect timed out")??;
        Ok(Self {
            stream: CountingStream::new(stream),
            host: addr.to_string(),
            buf: Vec::with_capacity(4096),
            requests: 0,
            authorization: None,
        })
    }

    /// Sends `Authorization: Bearer <session>` with every request from now on.
    pub fn with_bearer(mut self, session: &str) -> Self {
        self.authorization = Some(format!("Authorization: Bearer {session}\r\n"));
        self
    }

    /// Writes one request; a non-empty `body` is sent as JSON.
    pub async fn send(&mut self, method: &str, path: &str, body: &str) -> Result<()> {
        let host = &self.host;
        let auth = self.authorization.as_deref().unwrap_or("");
        let request = if body.is_empty() {
            format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\n{auth}\r\n")
        } else {
            format!(
                "{method} {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Content-Type: application/json\r\n\
                 Content-Length: {}\r\n\r\n{body}",
                body.len()
            )
        };
        self.stream.write_all(request.as_bytes()).await?;
        self.requests += 1;
        Ok(())
    }

    /// Reads one response.
    pub async fn receive(&mut self) -> Result<Response> {
        read_response(&mut self.stream, &mut self.buf).await
    }
}

/// One request on a fresh connection (`Connection: close`); a JSON `body` may be empty.
pub async fn one_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> Result<Response> {
    let mut stream = TcpStream::connect(addr).await?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    Response::read(&mut stream).await
}

/// `chinwag_long_polls_waiting` from `/metrics`, on a fresh connection (bounded).
pub async fn long_polls_waiting(addr: SocketAddr) -> Result<u64> {
    let response = timeout(STEP_TIMEOUT, one_request(addr, "GET", "/metrics", ""))
        .await
        .context("/metrics timed out")??;
    let text = String::from_utf8(response.ok_body()?)?;
    let value = text
        .lines()
        .find_map(|line| line.strip_prefix("chinwag_long_polls_waiting "))
        .context("/metrics has no chinwag_long_polls_waiting")?;
    Ok(value.trim().parse::<f64>()?.round() as u64)
}

/// Reads one response from `stream`, starting with what `buf` already holds; leaves in `buf`
/// whatever was read past its end.
async fn read_response(
    stream: &mut (impl AsyncRead + Unpin),
    buf: &mut Vec<u8>,
) -> Result<Response> {
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if buf.len() > MAX_HEAD_BYTES {
            bail!("response head too long");
        }
        if stream.read_buf(buf).await? == 0 {
            bail!("the connection closed before a response");
        }
    };
    let head = std::str::from_utf8(&buf[..head_end])?;
    let status = head
        .split(' ')
        .nth(1)
        .context("no status line")?
        .parse::<u16>()?;
    let headers: Vec<(String, String)> = head
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.to_owned(), value.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse::<usize>().ok())
        .context("response without Content-Length")?;
    while buf.len() < head_end + length {
        if stream.read_buf(buf).await? == 0 {
            bail!("the connection closed inside a body");
        }
    }
    let rest = buf.split_off(head_end + length);
    let body = buf.split_off(head_end);
    *buf = rest;
    Ok(Response {
        status,
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn responses_are_framed_by_content_length_and_the_rest_is_kept() {
        let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]HTTP/1.1 201 Created\r\ncontent-length: 3\r\nSet-Cookie: a=b; Path=/\r\n\r\n{ }";
        let mut stream = &wire[..];
        let mut buf = Vec::new();
        let first = read_response(&mut stream, &mut buf).await.unwrap();
        assert_eq!((first.status, first.text().as_str()), (200, "[]"));
        let second = read_response(&mut stream, &mut buf).await.unwrap();
        assert_eq!((second.status, second.text().as_str()), (201, "{ }"));
        assert_eq!(second.header("set-cookie"), Some("a=b; Path=/"));
        assert_eq!(first.header("set-cookie"), None);
        assert!(buf.is_empty());
    }

    #[tokio::test]
    async fn a_body_cut_short_is_an_error() {
        let mut stream = &b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"[..];
        assert!(Response::read(&mut stream).await.is_err());
    }
}
