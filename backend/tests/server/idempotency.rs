//! Exactly-once from the sender's side: a retried `client_id` stores nothing new.

use crate::support::{Client, Server};
use serde_json::json;

#[tokio::test]
async fn retried_client_id_gets_the_same_record_and_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let (mut alice, _) = Client::join(&server.ws_url("?room=general")).await;
    let (mut bob, _) = Client::join(&server.ws_url("?room=general")).await;
    let send = json!({"type":"send","username":"alice","message":"once","client_id":"m-1"});

    alice.send_json(send.clone()).await;
    let first = alice.recv_type("chat").await;
    assert_eq!(first["client_id"], "m-1");
    alice.send_json(send).await;
    let retry = alice.recv_type("chat").await;
    assert_eq!(retry, first, "the retry is answered with the stored record");

    // Bob saw it once: the next thing he receives after it is the next message.
    assert_eq!(bob.recv_type("chat").await, first);
    alice.post("general", "alice", "after").await;
    assert_eq!(bob.recv_type("chat").await["message"], "after");

    let (_, history) = server.get_json("/api/rooms/general/messages?after=0").await;
    let messages: Vec<_> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["message"])
        .collect();
    assert_eq!(messages, [&json!("once"), &json!("after")]);
}

#[tokio::test]
async fn the_same_client_id_in_another_room_is_another_message() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let (mut client, _) = Client::join(&server.ws_url("?room=a")).await;
    client.send_json(json!({"type":"join","room":"b"})).await;
    client.recv_type("joined").await;
    for room in ["a", "b"] {
        client
            .send_json(
                json!({"type":"send","room":room,"username":"c","message":"x","client_id":"same"}),
            )
            .await;
        let record = client.recv_type("chat").await;
        assert_eq!(
            (record["room"].as_str(), record["id"].as_u64()),
            (Some(room), Some(1))
        );
    }
}
