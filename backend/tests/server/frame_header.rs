//! Oversized frames are refused from their header (RFC 6455 §5.2), not after their payload.
//!
//! Each test writes hand-built frame bytes on a raw socket: a header that declares more than
//! `MAX_FRAME_BYTES` and then only a trickle must be answered with close 1009 at once, while a
//! frame of exactly the limit, however finely split, is still read and answered. The guard
//! under test is `routes::frame_guard`; without it, actix waits for the whole payload.

use crate::{
    raw::{FIN, TEXT, upgrade},
    support::{Client, Server, WAIT},
};
use chinwag_shared::MAX_FRAME_BYTES;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// Failure bound for "at once": far above the few milliseconds a refusal takes, far below the
/// 30 s idle timeout that ended such a connection before.
const PROMPTLY: Duration = Duration::from_secs(3);
const KEY: [u8; 4] = [0x5a, 0x13, 0xc7, 0x81];
const CLOSE: u8 = 0x8;
const TEXT_OPCODE: u8 = 0x1;

async fn server() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    (dir, server)
}

/// Opens `/socket{query}` on raw TCP, past the 101's head; Nagle off, so each write is a segment.
async fn open(server: &Server, query: &str) -> TcpStream {
    let (status, mut tcp) = upgrade(server, query, "").await;
    assert_eq!(status, 101);
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        tokio::time::timeout(WAIT, tcp.read_exact(&mut byte))
            .await
            .expect("the handshake ended in time")
            .unwrap();
        head.push(byte[0]);
    }
    tcp.set_nodelay(true).unwrap();
    tcp
}

/// A masked client frame header declaring `declared` payload bytes; `wide` forces the 64-bit
/// length form.
fn header(first: u8, declared: u64, wide: bool) -> Vec<u8> {
    let mut out = vec![first];
    match declared {
        0..=125 if !wide => out.push(0x80 | u8::try_from(declared).unwrap()),
        126..=65_535 if !wide => {
            out.push(0x80 | 126);
            out.extend(u16::try_from(declared).unwrap().to_be_bytes());
        }
        _ => {
            out.push(0x80 | 127);
            out.extend(declared.to_be_bytes());
        }
    }
    out.extend(KEY);
    out
}

/// A whole masked text frame carrying `text`, its header in the 64-bit form if `wide`.
fn text_frame(text: &[u8], wide: bool) -> Vec<u8> {
    let mut out = header(FIN | TEXT, u64::try_from(text.len()).unwrap(), wide);
    out.extend(text.iter().zip(KEY.iter().cycle()).map(|(b, k)| b ^ k));
    out
}

/// A JSON `send` padded with trailing spaces (still valid JSON) to exactly `len` bytes.
fn send_of_length(room: &str, message: &str, len: usize) -> Vec<u8> {
    let mut json = json!({"type": "send", "room": room, "username": "edge", "message": message})
        .to_string()
        .into_bytes();
    assert!(json.len() <= len);
    json.resize(len, b' ');
    json
}

/// One server frame: opcode and payload, or `None` once the connection is over.
async fn next_frame(tcp: &mut TcpStream) -> Option<(u8, Vec<u8>)> {
    let mut head = [0u8; 2];
    tcp.read_exact(&mut head).await.ok()?;
    let len = match head[1] & 0x7f {
        126 => {
            let mut ext = [0u8; 2];
            tcp.read_exact(&mut ext).await.ok()?;
            usize::from(u16::from_be_bytes(ext))
        }
        127 => {
            let mut ext = [0u8; 8];
            tcp.read_exact(&mut ext).await.ok()?;
            usize::try_from(u64::from_be_bytes(ext)).unwrap()
        }
        short => usize::from(short),
    };
    let mut payload = vec![0u8; len];
    tcp.read_exact(&mut payload).await.ok()?;
    Some((head[0] & 0x0f, payload))
}

/// The server's close code, skipping what comes before it; fails unless it arrives within
/// `limit` or if the connection ends without one.
async fn close_code_within(tcp: &mut TcpStream, limit: Duration) -> u16 {
    let wait = async {
        loop {
            match next_frame(tcp).await {
                Some((CLOSE, payload)) => return u16::from_be_bytes([payload[0], payload[1]]),
                Some(_) => continue,
                None => panic!("the connection ended without a close frame"),
            }
        }
    };
    tokio::time::timeout(limit, wait)
        .await
        .expect("the close frame arrived promptly")
}

/// The next text frame of JSON type `kind`, skipping others; fails on a close or after WAIT.
async fn recv_type(tcp: &mut TcpStream, kind: &str) -> Value {
    let wait = async {
        loop {
            match next_frame(tcp).await {
                Some((TEXT_OPCODE, payload)) => {
                    let frame: Value = serde_json::from_slice(&payload).unwrap();
                    if frame["type"] == kind {
                        return frame;
                    }
                }
                Some((CLOSE, payload)) => panic!("closed while waiting for {kind}: {payload:?}"),
                Some(_) => continue,
                None => panic!("the connection ended while waiting for {kind}"),
            }
        }
    };
    tokio::time::timeout(WAIT, wait)
        .await
        .expect("the frame arrived in time")
}

/// A fresh client can still join and chat: the refusal touched only its own connection.
async fn others_still_chat(server: &Server) {
    let (mut client, _) = Client::join(&server.ws_url("?room=after")).await;
    client.post("after", "fresh", "still here").await;
}

/// The value of the `/metrics` sample line `name` (labels included), 0 if absent.
async fn sample(server: &Server, name: &str) -> f64 {
    let (status, text) = server.get_text("/metrics").await;
    assert_eq!(status, 200);
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn a_header_declaring_16_mib_is_answered_with_1009_before_its_payload_arrives() {
    let (_dir, server) = server().await;
    let mut tcp = open(&server, "?room=big").await;
    recv_type(&mut tcp, "joined").await;
    let mut bytes = header(FIN | TEXT, 16 << 20, false);
    bytes.extend(b"{\"type\":");
    tcp.write_all(&bytes).await.unwrap();
    // The client now stays silent with 16 MiB owed: only the header can have decided this.
    assert_eq!(close_code_within(&mut tcp, PROMPTLY).await, 1009);
    let protocol_closes = r#"chinwag_server_closes_total{reason="protocol"}"#;
    assert_eq!(sample(&server, protocol_closes).await, 1.0);
    others_still_chat(&server).await;
}

#[tokio::test]
async fn a_64_bit_length_one_byte_over_the_limit_is_answered_with_1009() {
    let (_dir, server) = server().await;
    let mut tcp = open(&server, "?room=big").await;
    let declared = u64::try_from(MAX_FRAME_BYTES).unwrap() + 1;
    let mut bytes = header(FIN | TEXT, declared, true);
    bytes.extend(b"{}");
    tcp.write_all(&bytes).await.unwrap();
    assert_eq!(close_code_within(&mut tcp, PROMPTLY).await, 1009);
    others_still_chat(&server).await;
}

#[tokio::test]
async fn the_largest_16_bit_length_is_within_the_limit_and_answered() {
    // 65,535, the most the 126 form can say, is one byte under the 64 KiB limit: this form can
    // never be over it, so the test is that the guard lets its largest frame through.
    assert!(usize::from(u16::MAX) < MAX_FRAME_BYTES);
    let (_dir, server) = server().await;
    let mut tcp = open(&server, "?room=edge").await;
    recv_type(&mut tcp, "joined").await;
    let frame = text_frame(&send_of_length("edge", "sixteen", 65_535), false);
    assert_eq!(frame[1] & 0x7f, 126);
    for piece in frame.chunks(61) {
        tcp.write_all(piece).await.unwrap();
    }
    assert_eq!(recv_type(&mut tcp, "chat").await["message"], "sixteen");
}

#[tokio::test]
async fn a_frame_of_exactly_the_limit_sent_byte_by_byte_is_answered() {
    let (_dir, server) = server().await;
    let mut tcp = open(&server, "?room=edge").await;
    recv_type(&mut tcp, "joined").await;
    let frame = text_frame(
        &send_of_length("edge", "at the limit", MAX_FRAME_BYTES),
        true,
    );
    for byte in &frame {
        tcp.write_all(std::slice::from_ref(byte)).await.unwrap();
    }
    assert_eq!(recv_type(&mut tcp, "chat").await["message"], "at the limit");
}

#[tokio::test]
async fn frames_ahead_of_an_oversized_header_in_the_same_write_are_still_handled() {
    let (_dir, server) = server().await;
    let (mut listener, _) = Client::join(&server.ws_url("?room=ahead")).await;
    let mut tcp = open(&server, "?room=ahead").await;
    recv_type(&mut tcp, "joined").await;
    let mut bytes = text_frame(&send_of_length("ahead", "before the flood", 100), false);
    bytes.extend(header(FIN | TEXT, 1 << 30, true));
    tcp.write_all(&bytes).await.unwrap();
    assert_eq!(close_code_within(&mut tcp, PROMPTLY).await, 1009);
    assert_eq!(
        listener.recv_type("chat").await["message"],
        "before the flood"
    );
}
