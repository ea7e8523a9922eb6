//! The RFC 6455 opening handshake, checked on the raw bytes.

use crate::support::{Server, WAIT, http_agent};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

#[tokio::test]
async fn handshake_answers_the_rfc_sample_key_with_the_rfc_accept_value() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    let request = format!(
        "GET /socket HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        server.addr
    );
    tcp.write_all(request.as_bytes()).await.unwrap();

    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        tokio::time::timeout(WAIT, tcp.read_exact(&mut byte))
            .await
            .expect("response in time")
            .expect("read response");
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap().to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(head.contains("upgrade: websocket"), "{head}");
    assert!(
        head.contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="),
        "{head}"
    );
}

#[tokio::test]
async fn a_plain_get_on_the_socket_path_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let url = server.http_url("/socket");
    let status = tokio::task::spawn_blocking(move || {
        http_agent().get(&url).call().unwrap().status().as_u16()
    })
    .await
    .unwrap();
    assert_eq!(status, 400);
}
