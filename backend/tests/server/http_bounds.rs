//! Plain HTTP held to per-address bounds: long-polls count as connections and have their own
//! cap, requests in flight are capped, TCP connections beyond an address's share are answered
//! and closed, and a trickled request body is cut off. The attacker's tests count the
//! server's sockets in `/proc`.

use crate::support::{Client, Server, http_agent, sample};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Sockets the server process holds now. Only sockets: the store opens up to eight reader
/// connections (two files each) as the long-polls read it, and those are bounded elsewhere.
fn open_sockets(server: &Server) -> usize {
    chinwag_testkit::procfs::socket_count(server.pid()).expect("the server's fd table")
}

/// Polls `/metrics` until `chinwag_long_polls_waiting` reads `count` (bounded).
async fn until_long_polls_waiting(server: &Server, count: f64) {
    for _ in 0..200 {
        let (_, text) = server.get_text("/metrics").await;
        if sample(&text, "chinwag_long_polls_waiting") == count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("long-polls waiting never reached {count}");
}

/// Starts a long-poll of `room` that waits up to 20 s on a thread of its own.
fn hold_long_poll(server: &Server, room: &str) -> tokio::task::JoinHandle<u16> {
    let url = server.http_url(&format!("/api/rooms/{room}/messages?after=0&wait=20"));
    tokio::task::spawn_blocking(move || http_agent().get(&url).call().unwrap().status().as_u16())
}

#[tokio::test]
async fn long_polls_count_as_connections_and_have_their_own_cap() {
    let dir = tempfile::tempdir().unwrap();
    let flags = [
        "--max-connections-per-ip",
        "3",
        "--max-long-polls-per-ip",
        "2",
    ];
    let server = Server::start_with(dir.path(), &flags).await;
    let held = [hold_long_poll(&server, "lp"), hold_long_poll(&server, "lp")];
    until_long_polls_waiting(&server, 2.0).await;

    let (status, body) = server
        .get_json("/api/rooms/lp/messages?after=0&wait=20")
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("too_many_connections"))
    );
    assert!(
        body["detail"].as_str().unwrap().contains("long-polls"),
        "{body}"
    );
    // Two long-polls and one socket are the address's three connections.
    let (mut socket, _) = Client::join(&server.ws_url("?room=lp&username=u")).await;
    let status = crate::raw::handshake_status(&server, "?room=lp", "").await;
    assert_eq!(status, 429, "a fourth connection of the address is refused");

    socket.post("lp", "u", "wake up").await;
    for poll in held {
        assert_eq!(poll.await.unwrap(), 200);
    }
}

#[tokio::test]
async fn requests_in_flight_are_capped_per_address() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &["--max-requests-per-ip", "2"]).await;
    let held = [hold_long_poll(&server, "q"), hold_long_poll(&server, "q")];
    until_long_polls_waiting(&server, 2.0).await;
    // /metrics itself was a request in flight while it was answered; now two are held.
    let (status, body) = server.get_json("/api/rooms").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("too_many_connections"))
    );
    let (_, sent) = Client::join(&server.ws_url("?room=q&username=u")).await;
    assert!(
        !sent.is_empty(),
        "sockets are counted apart, by their own cap"
    );
    let (status, _) = server
        .post_json(
            "/api/rooms/q/messages",
            serde_json::json!({"username": "u", "message": "go"}),
            &[],
        )
        .await;
    assert_eq!(status, 429, "still two in flight");
    drop(sent);
    let mut poster = Client::join(&server.ws_url("?room=q&username=p")).await.0;
    poster.post("q", "p", "wake up").await;
    for poll in held {
        assert_eq!(poll.await.unwrap(), 200);
    }
    let (status, _) = server.get_json("/api/rooms").await;
    assert_eq!(status, 200, "slots come back when the requests end");
}

#[tokio::test]
async fn a_long_poll_hoarder_holds_a_bounded_number_of_descriptors() {
    const HOARDERS: usize = 150;
    let dir = tempfile::tempdir().unwrap();
    let flags = [
        "--max-connections-per-ip",
        "3",
        "--max-requests-per-ip",
        "4",
    ];
    let server = Server::start_with(dir.path(), &flags).await;
    let before = open_sockets(&server);
    let mut sockets = Vec::new();
    for _ in 0..HOARDERS {
        let mut socket = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        let request = format!(
            "GET /api/rooms/hoard/messages?after=0&wait=30 HTTP/1.1\r\nHost: {}\r\n\r\n",
            server.addr
        );
        socket.write_all(request.as_bytes()).await.unwrap();
        sockets.push(socket);
    }
    // Every connection past the address's share (3 connections + 4 requests) is answered
    // and closed by the server, so its descriptor goes; the hoarder keeps its sockets open.
    let mut held = usize::MAX;
    for _ in 0..200 {
        held = open_sockets(&server).saturating_sub(before);
        if held <= 10 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        held <= 10,
        "{HOARDERS} long-polls from one address hold {held} server sockets"
    );
    drop(sockets);
}

#[tokio::test]
async fn a_trickled_request_body_is_cut_off_with_408() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &["--body-timeout-secs", "1"]).await;
    let mut socket = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST /api/rooms/slow/messages HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: 60000\r\n\r\n{{",
        server.addr
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), socket.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the server answered and closed within 5 s");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}
