//! Hostile clients: one test per policy, each built from hand-made frames and each followed
//! by a liveness check — after the abuse, two fresh clients still chat.

use crate::{
    raw::{BINARY, CONTINUATION, FIN, PING, PONG, RawClient, TEXT, handshake_status},
    support::{Client, NO_RATE_LIMIT, Server, WAIT},
};
use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// Two new clients exchange a message: the server survived whatever came before.
async fn two_fresh_clients_still_chat(server: &Server) {
    let (mut a, _) = Client::join(&server.ws_url("?room=liveness")).await;
    let (mut b, _) = Client::join(&server.ws_url("?room=liveness")).await;
    let sent = a.post("liveness", "a", "still alive?").await;
    assert_eq!(b.recv_type("chat").await, sent);
}

async fn server() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    (dir, server)
}

#[tokio::test]
async fn a_frame_over_the_size_limit_closes_with_1009() {
    let (_dir, server) = server().await;
    let mut raw = RawClient::open(&server, "").await;
    raw.send_frame(FIN | TEXT, &vec![b'x'; 64 * 1024 + 1], true)
        .await;
    assert_eq!(raw.close_code().await, 1009);
    two_fresh_clients_still_chat(&server).await;
}

#[tokio::test]
async fn a_fragmented_message_over_the_size_limit_closes_with_1009() {
    let (_dir, server) = server().await;
    let mut raw = RawClient::open(&server, "").await;
    raw.send_frame(TEXT, &vec![b'x'; 40 * 1024], true).await;
    raw.send_frame(FIN | CONTINUATION, &vec![b'x'; 40 * 1024], true)
        .await;
    assert_eq!(raw.close_code().await, 1009);
    two_fresh_clients_still_chat(&server).await;
}

#[tokio::test]
async fn invalid_utf8_in_a_text_message_closes_with_1007() {
    let (_dir, server) = server().await;
    let mut raw = RawClient::open(&server, "").await;
    raw.send_frame(FIN | TEXT, &[b'{', 0xff, 0xfe, b'}'], true)
        .await;
    assert_eq!(raw.close_code().await, 1007);

    let mut fragmented = RawClient::open(&server, "").await;
    fragmented
        .send_frame(TEXT, b"{\"username\":\"a\",", true)
        .await;
    fragmented
        .send_frame(FIN | CONTINUATION, &[0xc3, 0x28], true)
        .await;
    assert_eq!(fragmented.close_code().await, 1007);
    two_fresh_clients_still_chat(&server).await;
}

#[tokio::test]
async fn an_unmasked_client_frame_closes_with_1002() {
    let (_dir, server) = server().await;
    let mut raw = RawClient::open(&server, "").await;
    raw.send_frame(FIN | TEXT, b"{}", false).await;
    assert_eq!(raw.close_code().await, 1002);
    two_fresh_clients_still_chat(&server).await;
}

#[tokio::test]
async fn reserved_bits_without_an_extension_close_with_1002() {
    let (_dir, server) = server().await;
    let mut raw = RawClient::open(&server, "").await;
    raw.send_frame(FIN | 0x40 | TEXT, b"{}", true).await;
    assert_eq!(raw.close_code().await, 1002);
    two_fresh_clients_still_chat(&server).await;
}

#[tokio::test]
async fn an_unknown_opcode_closes_with_1002() {
    let (_dir, server) = server().await;
    let mut raw = RawClient::open(&server, "").await;
    raw.send_frame(FIN | 0x3, b"?", true).await;
    assert_eq!(raw.close_code().await, 1002);
    two_fresh_clients_still_chat(&server).await;
}

#[tokio::test]
async fn fragmented_or_oversized_control_frames_close_with_1002() {
    let (_dir, server) = server().await;
    let mut fragmented = RawClient::open(&server, "").await;
    fragmented.send_frame(PING, b"part", true).await; // control frames may not be fragmented
    assert_eq!(fragmented.close_code().await, 1002);

    let mut oversized = RawClient::open(&server, "").await;
    oversized.send_frame(FIN | PING, &[0u8; 126], true).await; // control payloads are ≤ 125
    assert_eq!(oversized.close_code().await, 1002);
    two_fresh_clients_still_chat(&server).await;
}

#[tokio::test]
async fn a_binary_message_gets_an_error_frame_and_the_socket_stays() {
    let (_dir, server) = server().await;
    let mut raw = RawClient::open(&server, "?room=bin").await;
    raw.send_frame(FIN | BINARY, &[1, 2, 3], true).await;
    assert_eq!(raw.recv_type("error").await["code"], "binary_unsupported");
    raw.send_text(r#"{"username":"raw","message":"after binary"}"#)
        .await;
    assert_eq!(raw.recv_type("chat").await["message"], "after binary");
    two_fresh_clients_still_chat(&server).await;
}

#[tokio::test]
async fn a_fragmented_text_message_is_reassembled_and_relayed() {
    let (_dir, server) = server().await;
    let (mut listener, _) = Client::join(&server.ws_url("")).await;
    let mut raw = RawClient::open(&server, "").await;
    raw.send_frame(TEXT, br#"{"username":"frag","mes"#, true)
        .await;
    raw.send_frame(CONTINUATION, br#"sage":"in three "#, true)
        .await;
    raw.send_frame(FIN | CONTINUATION, br#"pieces"}"#, true)
        .await;
    let chat = listener.recv_type("chat").await;
    assert_eq!(
        (chat["username"].as_str(), chat["message"].as_str()),
        (Some("frag"), Some("in three pieces"))
    );
    two_fresh_clients_still_chat(&server).await;
}

/// A low message rate: 5 a second, bursts of 10, 20 over the rate before a 1008.
const LOW_RATE: [&str; 6] = [
    "--rate-per-sec",
    "5",
    "--rate-burst",
    "10",
    "--rate-abuse-allowance",
    "20",
];

#[tokio::test]
async fn frames_over_the_rate_get_rate_limited_and_a_flood_is_closed_with_1008() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &LOW_RATE).await;
    let (mut listener, _) = Client::join(&server.ws_url("?room=flood")).await;
    let mut flooder = RawClient::open(&server, "?room=flood&username=flooder").await;
    for n in 0..12 {
        flooder
            .send_text(&json!({"type":"send","room":"flood","message":format!("m{n}"),"client_id":format!("c{n}")}).to_string())
            .await;
    }
    // The burst of 10 is stored; the rest is refused by name, not dropped silently.
    let refused = flooder.recv_type("error").await;
    assert_eq!(refused["code"], "rate_limited");
    assert!(
        refused["client_id"]
            .as_str()
            .is_some_and(|id| id.starts_with('c'))
    );
    for n in 0..10 {
        assert_eq!(listener.recv_type("chat").await["message"], format!("m{n}"));
    }
    // Keep flooding: the allowance runs out and the server closes the connection.
    for _ in 12..200 {
        flooder
            .send_text(&json!({"type":"typing","room":"flood"}).to_string())
            .await;
    }
    assert_eq!(flooder.close_code().await, 1008);
    two_fresh_clients_still_chat(&server).await;
}

#[tokio::test]
async fn one_address_cannot_hold_more_than_its_connection_cap() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &["--max-connections-per-ip", "2"]).await;
    let (mut first, _) = Client::join(&server.ws_url("")).await;
    let (_second, _) = Client::join(&server.ws_url("")).await;
    assert_eq!(handshake_status(&server, "", "").await, 429);
    let (status, body) = server.get_json("/socket").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("too_many_connections"))
    );

    // Closing one frees its slot.
    first
        .send_raw(tokio_tungstenite::tungstenite::Message::Close(None))
        .await;
    first.recv_close().await;
    assert_eq!(handshake_status(&server, "", "").await, 101);
}

#[tokio::test]
async fn cross_site_upgrades_are_refused_and_own_or_allowed_origins_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        dir.path(),
        &["--allowed-origin", "https://chat.example.com"],
    )
    .await;
    let evil = "Origin: https://evil.example\r\n";
    assert_eq!(handshake_status(&server, "", evil).await, 403);
    let own = format!("Origin: http://{}\r\n", server.addr);
    assert_eq!(handshake_status(&server, "", &own).await, 101);
    let allowed = "Origin: https://chat.example.com\r\n";
    assert_eq!(handshake_status(&server, "", allowed).await, 101);
    // Non-browser clients send no Origin at all.
    assert_eq!(handshake_status(&server, "", "").await, 101);
    two_fresh_clients_still_chat(&server).await;
}

#[tokio::test]
async fn a_half_sent_handshake_is_dropped_and_does_not_block_others() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &["--handshake-timeout-secs", "1"]).await;
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"GET /socket HTTP/1.1\r\nHost: slow\r\nUpgrade: web")
        .await
        .unwrap();
    // Others are served while the slow one dawdles...
    two_fresh_clients_still_chat(&server).await;
    // ...and the server gives up on it: a 408 or a plain close, then EOF.
    let mut rest = Vec::new();
    tokio::time::timeout(WAIT, slow.read_to_end(&mut rest))
        .await
        .expect("the server dropped the half-sent request in time")
        .unwrap();
    let answer = String::from_utf8_lossy(&rest);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
}

#[tokio::test]
async fn a_client_that_never_reads_is_closed_as_a_slow_consumer_and_others_get_everything() {
    let dir = tempfile::tempdir().unwrap();
    let mut flags = NO_RATE_LIMIT.to_vec();
    // Heartbeats every second, so some may come while the stalled client's socket is full: a ping
    // must wait for room like any frame, and give up like one when the outbox overflows.
    flags.extend([
        "--outbox-frames",
        "64",
        "--outbox-bytes",
        "65536",
        "--heartbeat-secs",
        "1",
    ]);
    let server = Server::start_with(dir.path(), &flags).await;
    let (mut reader, _) = Client::join(&server.ws_url("?room=firehose&after=0")).await;
    let mut stalled =
        RawClient::open_with_small_buffer(&server, "?room=firehose&username=stalled").await;
    let (mut poster, _) = Client::join(&server.ws_url("?room=firehose")).await;

    // ~8 MiB through the room: far more than the stalled client's socket buffers and outbox.
    let text = "x".repeat(4_000);
    const MESSAGES: u64 = 2_000;
    let posting = tokio::spawn(async move {
        for _ in 0..MESSAGES {
            poster.post("firehose", "poster", &text).await;
        }
    });
    let mut next = 1;
    let mut saw_the_stall_noticed = false;
    while next <= MESSAGES {
        let frame = reader.recv().await;
        match frame["type"].as_str() {
            Some("chat") => {
                assert_eq!(frame["id"], next, "the attentive reader misses nothing");
                next += 1;
            }
            Some("user_left") if frame["username"] == "stalled" => saw_the_stall_noticed = true,
            _ => {}
        }
    }
    posting.await.unwrap();
    if !saw_the_stall_noticed {
        reader.recv_user_event("user_left", "stalled").await;
    }
    // Under everything it was sent before, the stalled client finds why it was closed.
    assert_eq!(stalled.close_code().await, 1013);
    let (_, metrics) = server.get_text("/metrics").await;
    assert!(
        metrics.contains("chinwag_server_closes_total{reason=\"slow_consumer\"} 1"),
        "{metrics}"
    );
}

/// Whether the kernel still has the server's end of the connection from `client_port`.
fn server_end_exists(server_port: u16, client_port: u16) -> bool {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let port_of = |address: &str| {
        address
            .rsplit(':')
            .next()
            .and_then(|hex| u16::from_str_radix(hex, 16).ok())
    };
    table.lines().skip(1).any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        fields.len() > 2
            && port_of(fields[1]) == Some(server_port)
            && port_of(fields[2]) == Some(client_port)
    })
}

#[tokio::test]
async fn the_kernel_drops_a_peer_that_never_reads_once_its_session_is_over() {
    let dir = tempfile::tempdir().unwrap();
    let mut flags = NO_RATE_LIMIT.to_vec();
    flags.extend(["--outbox-frames", "64", "--outbox-bytes", "65536"]);
    flags.extend(["--idle-timeout-secs", "2", "--heartbeat-secs", "1"]);
    let server = Server::start_with(dir.path(), &flags).await;
    let stalled = RawClient::open_with_small_buffer(&server, "?room=sink&username=stalled").await;
    let (mut watcher, _) = Client::join(&server.ws_url("?room=sink")).await;
    let (mut poster, _) = Client::join(&server.ws_url("?room=other")).await;
    let text = "x".repeat(4_000);
    // Far more than the stalled client's buffers hold, until its session is closed for it.
    let mut sent = 0;
    let stalled_gone = async { watcher.recv_user_event("user_left", "stalled").await };
    tokio::pin!(stalled_gone);
    loop {
        tokio::select! {
            _ = &mut stalled_gone => break,
            _ = poster.post("sink", "poster", &text) => sent += 1,
        }
        assert!(sent < 5_000, "the stalled client was never closed");
    }
    // Its session is over, but bytes are still queued on a socket nobody reads. The kernel
    // gives up on it after the idle timeout (TCP_USER_TIMEOUT); without that the server's
    // end would stay for as long as the peer keeps its window shut.
    let client_port = stalled.local_port();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while server_end_exists(server.addr.port(), client_port) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the server still holds the never-reader's socket"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Sends 200 `opcode` control frames carrying `payload` on one socket of a server with a low
/// rate, and checks the socket is closed 1008 while fresh clients still chat.
async fn control_flood_is_closed_with_1008(opcode: u8, payload: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &LOW_RATE).await;
    let mut flooder = RawClient::open(&server, "").await;
    for _ in 0..200 {
        flooder.send_frame(FIN | opcode, payload, true).await;
    }
    assert_eq!(flooder.close_code().await, 1008);
    two_fresh_clients_still_chat(&server).await;
}

#[tokio::test]
async fn a_ping_flood_counts_against_the_rate_and_is_closed_with_1008() {
    control_flood_is_closed_with_1008(PING, b"are you there").await;
}

#[tokio::test]
async fn an_unrequested_pong_flood_counts_against_the_rate_and_is_closed_with_1008() {
    // RFC 6455 §5.5.3 allows unsolicited pongs, but each still costs the server a wake-up:
    // a flood of them used a whole core and was never closed.
    control_flood_is_closed_with_1008(PONG, b"unasked").await;
}
