//! Restarts: graceful shutdown closes clients with 1001 and exits 0; everything confirmed
//! survives even SIGKILL, and `client_id` dedupe survives restarts.

use crate::support::{Client, Server};
use serde_json::json;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

#[tokio::test]
async fn sigterm_closes_every_client_with_1001_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let (mut a, _) = Client::join(&server.ws_url("?room=general")).await;
    let (mut b, _) = Client::join(&server.ws_url("?room=other")).await;

    let status = server.terminate().await;
    for client in [&mut a, &mut b] {
        let close = client
            .recv_close()
            .await
            .expect("a close frame with a code");
        assert_eq!(close.code, CloseCode::Away);
    }
    assert!(status.success(), "exit status {status:?}");
}

#[tokio::test]
async fn confirmed_messages_survive_sigkill_and_ids_continue_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let (mut client, _) = Client::join(&server.ws_url("?room=durable")).await;
    for n in 1..=20 {
        client
            .send_json(json!({"type":"send","room":"durable","username":"w","message":format!("m{n}"),"client_id":format!("c{n}")}))
            .await;
        client.recv_type("chat").await;
    }
    server.kill().await; // a crash: no shutdown path runs

    let server = Server::start(&dir).await;
    let (status, page) = server.get_json("/api/rooms/durable/messages?after=0").await;
    assert_eq!(status, 200);
    let messages: Vec<_> = page
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["message"].clone())
        .collect();
    let expected: Vec<_> = (1..=20).map(|n| json!(format!("m{n}"))).collect();
    assert_eq!(messages, expected);

    let (mut client, _) = Client::join(&server.ws_url("?room=durable")).await;
    // A retry of an old message after the restart is recognised...
    client
        .send_json(
            json!({"type":"send","room":"durable","username":"w","message":"m7","client_id":"c7"}),
        )
        .await;
    assert_eq!(client.recv_type("chat").await["id"], 7);
    // ...and a new one continues the sequence.
    assert_eq!(client.post("durable", "w", "after restart").await["id"], 21);
}
