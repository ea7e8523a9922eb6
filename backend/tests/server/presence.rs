//! Presence: who is in a room, join and leave events, and prompt release of dropped sessions.

use crate::support::{Client, Server, WAIT};
use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

#[tokio::test]
async fn joins_and_leaves_are_announced_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let (mut alice, _) = Client::join(&server.ws_url("?room=den&username=alice")).await;
    assert_eq!(alice.recv_type("presence").await["users"], json!(["alice"]));

    let (mut bob, _) = Client::join(&server.ws_url("?room=den&username=bob")).await;
    assert_eq!(
        bob.recv_type("presence").await["users"],
        json!(["alice", "bob"])
    );
    let joined = alice.recv_user_event("user_joined", "bob").await;
    assert_eq!(
        (joined["room"].as_str(), joined["username"].as_str()),
        (Some("den"), Some("bob"))
    );

    bob.send_json(json!({"type": "leave", "room": "den"})).await;
    let left = alice.recv_user_event("user_left", "bob").await;
    assert_eq!(left["room"], "den");
}

#[tokio::test]
async fn a_second_tab_of_the_same_person_is_listed_once_and_leaves_last() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let (mut watcher, _) = Client::join(&server.ws_url("?room=den&username=watcher")).await;
    let (tab1, _) =
        Client::join(&server.ws_url("?room=den&username=carol&token=carols-browser")).await;
    watcher.recv_user_event("user_joined", "carol").await;
    let (mut tab2, _) =
        Client::join(&server.ws_url("?room=den&username=carol&token=carols-browser")).await;
    assert_eq!(
        tab2.recv_type("presence").await["users"],
        json!(["carol", "watcher"])
    );

    drop(tab1);
    // Carol is still here in tab 2, so the next event the watcher sees is tab 2's message.
    tab2.post("den", "carol", "still here").await;
    let next = watcher.recv().await;
    assert_eq!(
        next["type"], "chat",
        "no user_left while a tab remains: {next}"
    );
    drop(tab2);
    watcher.recv_user_event("user_left", "carol").await;
}

#[tokio::test]
async fn typing_notices_reach_the_room_and_are_not_stored() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let (mut alice, _) = Client::join(&server.ws_url("?room=den&username=alice")).await;
    let (mut bob, _) = Client::join(&server.ws_url("?room=den&username=bob")).await;
    alice
        .send_json(json!({"type": "typing", "room": "den"}))
        .await;
    let typing = bob.recv_type("typing").await;
    assert_eq!(
        (typing["room"].as_str(), typing["username"].as_str()),
        (Some("den"), Some("alice"))
    );
    let (_, history) = server.get_json("/api/rooms/den/messages").await;
    assert_eq!(history, json!([]));
}

#[tokio::test]
async fn an_abrupt_tcp_drop_releases_the_session_at_once_not_at_the_heartbeat() {
    let dir = tempfile::tempdir().unwrap();
    // Heartbeat and idle timeout far beyond the test's wait: only EOF detection can pass it.
    let server = Server::start_with(
        dir.path(),
        &["--heartbeat-secs", "300", "--idle-timeout-secs", "900"],
    )
    .await;
    let (mut watcher, _) = Client::join(&server.ws_url("?room=den&username=watcher")).await;

    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    let request = format!(
        "GET /socket?room=den&username=dave HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n",
        server.addr
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut buf = [0u8; 512];
    let n = tokio::time::timeout(WAIT, tcp.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 101"));
    watcher.recv_user_event("user_joined", "dave").await;

    drop(tcp); // no close frame, just a FIN
    watcher.recv_user_event("user_left", "dave").await;
}

/// Reads raw server frames (unmasked, RFC 6455 §5.2) until a close frame; returns its code.
async fn read_until_close(tcp: &mut TcpStream) -> u16 {
    loop {
        let mut head = [0u8; 2];
        tokio::time::timeout(WAIT, tcp.read_exact(&mut head))
            .await
            .unwrap()
            .unwrap();
        let opcode = head[0] & 0x0f;
        let len = match head[1] & 0x7f {
            126 => {
                let mut ext = [0u8; 2];
                tcp.read_exact(&mut ext).await.unwrap();
                usize::from(u16::from_be_bytes(ext))
            }
            127 => panic!("no server frame in this test is that large"),
            short => usize::from(short),
        };
        let mut payload = vec![0u8; len];
        tcp.read_exact(&mut payload).await.unwrap();
        if opcode == 0x8 {
            return u16::from_be_bytes([payload[0], payload[1]]);
        }
    }
}

#[tokio::test]
async fn a_peer_that_never_answers_pings_is_closed_after_the_idle_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        dir.path(),
        &["--heartbeat-secs", "1", "--idle-timeout-secs", "2"],
    )
    .await;
    let (mut watcher, _) = Client::join(&server.ws_url("?room=den&username=watcher")).await;

    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    let request = format!(
        "GET /socket?room=den&username=mute HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n",
        server.addr
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        tcp.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    // Pings arrive and go unanswered; the server gives up with 1001 "idle timeout". The
    // watcher is read meanwhile, which is what makes its client library answer the pings.
    let (code, _) = tokio::join!(
        read_until_close(&mut tcp),
        watcher.recv_user_event("user_left", "mute")
    );
    assert_eq!(code, 1001);
}

#[tokio::test]
async fn a_name_in_use_in_a_room_cannot_be_taken_by_another_browser() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let (_alice, _) = Client::join(&server.ws_url("?room=den&username=alice&token=t-alice")).await;

    // Another browser asking for the name in the URL is refused and not joined.
    let mut impostor =
        Client::connect(&server.ws_url("?room=den&username=alice&token=t-other")).await;
    let refused = impostor.recv().await;
    assert_eq!(
        (refused["type"].as_str(), refused["code"].as_str()),
        (Some("error"), Some("username_taken"))
    );
    assert_eq!(refused["room"], "den");

    // A tokenless client (the seed page) cannot post under the name either...
    let (mut seed, _) = Client::join(&server.ws_url("?room=den")).await;
    seed.send_json(
        json!({"type":"send","room":"den","username":"alice","message":"hi","client_id":"s1"}),
    )
    .await;
    let refused = seed.recv_type("error").await;
    assert_eq!(
        (refused["code"].as_str(), refused["client_id"].as_str()),
        (Some("username_taken"), Some("s1"))
    );
    // ...while any free name works for it.
    seed.post("den", "not-alice", "hello").await;

    // The same browser (same token) may use the name from a second tab.
    let (_tab2, frames) =
        Client::join(&server.ws_url("?room=den&username=alice&token=t-alice")).await;
    assert_eq!(frames.last().unwrap()["type"], "joined");
}

#[tokio::test]
async fn a_name_is_free_again_once_its_holder_has_left() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let (mut watcher, _) = Client::join(&server.ws_url("?room=den&username=watcher")).await;
    let (holder, _) = Client::join(&server.ws_url("?room=den&username=bo&token=first")).await;
    watcher.recv_user_event("user_joined", "bo").await;
    drop(holder);
    watcher.recv_user_event("user_left", "bo").await;
    let (_next, frames) = Client::join(&server.ws_url("?room=den&username=bo&token=second")).await;
    assert_eq!(frames.last().unwrap()["type"], "joined");
}
