//! A WebSocket client on raw TCP that can send frames no library would: unmasked, with
//! reserved bits, unknown opcodes, fragmented control frames, invalid UTF-8 (RFC 6455 §5).

use crate::support::{Server, WAIT};
use serde_json::Value;
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::TcpStream,
};

pub const TEXT: u8 = 0x1;
pub const BINARY: u8 = 0x2;
pub const CONTINUATION: u8 = 0x0;
pub const PING: u8 = 0x9;
pub const PONG: u8 = 0xA;
pub const FIN: u8 = 0x80;
const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// What the server sent.
#[derive(Debug)]
pub enum Received {
    Text(Value),
    Close(u16),
    /// The connection ended (EOF or reset) without a close frame.
    Eof,
}

/// Sends an upgrade request with `extra` header lines and returns the response's status.
pub async fn handshake_status(server: &Server, query: &str, extra: &str) -> u16 {
    upgrade(server, query, extra).await.0
}

/// Sends an upgrade request for `/socket{query}` with `extra` header lines; returns the status
/// and the connection, which holds its slot for as long as the caller keeps it.
pub async fn upgrade(server: &Server, query: &str, extra: &str) -> (u16, TcpStream) {
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    let request = format!(
        "GET /socket{query} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n{extra}\r\n",
        server.addr
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut status_line = [0u8; 12];
    tokio::time::timeout(WAIT, tcp.read_exact(&mut status_line))
        .await
        .expect("answered in time")
        .unwrap();
    let status = std::str::from_utf8(&status_line[9..12])
        .unwrap()
        .parse()
        .unwrap();
    (status, tcp)
}

/// Sends one HTTP request (`head` ends with the blank line) on a fresh connection; returns
/// the response's status and body (read by its `Content-Length`).
pub async fn exchange(server: &Server, head: &str, body: &str) -> (u16, String) {
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    tcp.write_all(head.as_bytes()).await.unwrap();
    tcp.write_all(body.as_bytes()).await.unwrap();
    let mut reader = BufReader::new(tcp);
    let mut status_line = String::new();
    tokio::time::timeout(WAIT, reader.read_line(&mut status_line))
        .await
        .expect("answered in time")
        .unwrap();
    let status = status_line[9..12].parse().unwrap();
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).await.unwrap();
        if line == "\r\n" {
            break;
        }
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = value.trim().parse().unwrap();
        }
    }
    let mut body = vec![0u8; length];
    tokio::time::timeout(WAIT, reader.read_exact(&mut body))
        .await
        .expect("body in time")
        .unwrap();
    (status, String::from_utf8(body).unwrap())
}

pub struct RawClient {
    tcp: TcpStream,
}

impl RawClient {
    /// Connects and completes the opening handshake on `/socket{query}`.
    pub async fn open(server: &Server, query: &str) -> RawClient {
        let tcp = TcpStream::connect(server.addr).await.unwrap();
        Self::handshake(tcp, server, query).await
    }

    /// Like [`RawClient::open`], with a tiny receive buffer: what the client does not read
    /// backs up into the server quickly instead of into this kernel's buffers.
    /// The client end's port, to find the server's end of this connection in `/proc/net/tcp`.
    pub fn local_port(&self) -> u16 {
        self.tcp.local_addr().unwrap().port()
    }

    pub async fn open_with_small_buffer(server: &Server, query: &str) -> RawClient {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let tcp = socket.connect(server.addr).await.unwrap();
        Self::handshake(tcp, server, query).await
    }

    async fn handshake(mut tcp: TcpStream, server: &Server, query: &str) -> RawClient {
        let request = format!(
            "GET /socket{query} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: 13\r\n\r\n",
            server.addr
        );
        tcp.write_all(request.as_bytes()).await.unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            tokio::time::timeout(WAIT, tcp.read_exact(&mut byte))
                .await
                .expect("handshake answered in time")
                .unwrap();
            head.push(byte[0]);
        }
        assert!(
            head.starts_with(b"HTTP/1.1 101"),
            "{}",
            String::from_utf8_lossy(&head)
        );
        RawClient { tcp }
    }

    /// Sends one frame: `first` is FIN|RSV|opcode; client frames are masked unless told not.
    pub async fn send_frame(&mut self, first: u8, payload: &[u8], masked: bool) {
        let mut frame = vec![first];
        let mask_bit = if masked { 0x80 } else { 0 };
        match payload.len() {
            len @ 0..=125 => frame.push(mask_bit | u8::try_from(len).unwrap()),
            len @ 126..=65_535 => {
                frame.push(mask_bit | 126);
                frame.extend_from_slice(&u16::try_from(len).unwrap().to_be_bytes());
            }
            len => {
                frame.push(mask_bit | 127);
                frame.extend_from_slice(&u64::try_from(len).unwrap().to_be_bytes());
            }
        }
        if masked {
            frame.extend_from_slice(&MASK);
            frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
        } else {
            frame.extend_from_slice(payload);
        }
        // The server may close as soon as it has seen the header; that is its answer.
        let _ = self.tcp.write_all(&frame).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.send_frame(FIN | TEXT, text.as_bytes(), true).await;
    }

    /// The next text or close frame (pings skipped), or EOF.
    pub async fn receive(&mut self) -> Received {
        loop {
            let mut head = [0u8; 2];
            let read = tokio::time::timeout(WAIT, self.tcp.read_exact(&mut head))
                .await
                .expect("the server answered in time");
            if read.is_err() {
                return Received::Eof;
            }
            let len = match head[1] & 0x7f {
                126 => {
                    let mut ext = [0u8; 2];
                    if self.tcp.read_exact(&mut ext).await.is_err() {
                        return Received::Eof;
                    }
                    usize::from(u16::from_be_bytes(ext))
                }
                127 => {
                    let mut ext = [0u8; 8];
                    if self.tcp.read_exact(&mut ext).await.is_err() {
                        return Received::Eof;
                    }
                    usize::try_from(u64::from_be_bytes(ext)).unwrap()
                }
                short => usize::from(short),
            };
            let mut payload = vec![0u8; len];
            // A reset can land mid-frame (a peer cut off by the server): that is the end too.
            if self.tcp.read_exact(&mut payload).await.is_err() {
                return Received::Eof;
            }
            match head[0] & 0x0f {
                0x1 => return Received::Text(serde_json::from_slice(&payload).unwrap()),
                0x8 => return Received::Close(u16::from_be_bytes([payload[0], payload[1]])),
                _ => continue,
            }
        }
    }

    /// Reads until the server closes; returns its close code.
    pub async fn close_code(&mut self) -> u16 {
        loop {
            match self.receive().await {
                Received::Close(code) => return code,
                Received::Eof => panic!("connection ended without a close frame"),
                Received::Text(_) => continue,
            }
        }
    }

    /// The next text frame of type `kind`.
    pub async fn recv_type(&mut self, kind: &str) -> Value {
        loop {
            match self.receive().await {
                Received::Text(frame) if frame["type"] == kind => return frame,
                Received::Text(_) => continue,
                other => panic!("expected a {kind} frame, got {other:?}"),
            }
        }
    }
}
