//! Exactly-once from the sender's side: a retried `client_id` stores nothing new, and a
//! `client_id` belongs to its author. Someone else's use of the same id is another message
//! (never the author's confirmation), a reuse for different text is refused, and nobody but
//! the author ever sees an id: not other members, not history pages, not replays.

use crate::support::{Client, Identity, Server, the_client_id_attack_every_way};
use serde_json::{Value, json};

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
    assert_eq!(bob.recv_type("chat").await, without_client_id(&first));
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

#[tokio::test]
async fn a_client_id_someone_else_used_first_still_stores_and_confirms_the_authors_message() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    the_client_id_attack_every_way(&server, &server).await;
}

#[tokio::test]
async fn a_retry_after_a_reconnect_by_the_same_author_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    for (room, identity) in [("tok", Identity::Token), ("name", Identity::NameOnly)] {
        let url = server.ws_url(&format!("?room={room}&{}", identity.query("ada")));
        let send = json!({"type":"send","room":room,"message":"hi","client_id":"ada-1"});
        let (mut ada, _) = Client::join(&url).await;
        ada.send_json(send.clone()).await;
        let first = ada.recv_type("chat").await;
        ada.close().await;

        let (mut ada, _) = Client::join(&url).await;
        ada.send_json(send).await;
        let retry = ada.recv_type("chat").await;
        assert_eq!(
            retry, first,
            "{room}: the retry gets the record stored first"
        );
        assert_eq!(retry["client_id"], "ada-1", "{room}");
        assert_eq!(stored_texts(&server, room).await, ["hi"], "{room}");
    }
}

#[tokio::test]
async fn a_retry_after_a_restart_by_the_same_token_is_stored_once_and_still_only_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let url = |server: &Server| server.ws_url(&format!("?room=r&{}", Identity::Token.query("ada")));
    let send = json!({"type":"send","room":"r","message":"hi","client_id":"ada-1"});
    let (mut ada, _) = Client::join(&url(&server)).await;
    ada.send_json(send.clone()).await;
    let first = ada.recv_type("chat").await;
    server.kill().await;

    let server = Server::start(&dir).await;
    let (mut ada, _) = Client::join(&url(&server)).await;
    ada.send_json(send).await;
    assert_eq!(ada.recv_type("chat").await, first);
    let body = json!({"username":"ada","message":"hi","client_id":"ada-1","token":"ada-token"});
    let (status, record) = server.post_json("/api/rooms/r/messages", body, &[]).await;
    let mut stored = first.clone();
    stored.as_object_mut().unwrap().remove("type");
    assert_eq!((status, &record), (200, &stored), "over HTTP too");
    // The id is still Ada's alone after the restart: Bob's use of it is his own message.
    let body = json!({"username":"bob","message":"mine","client_id":"ada-1"});
    let (status, record) = server.post_json("/api/rooms/r/messages", body, &[]).await;
    assert_eq!((status, &record["id"]), (201, &json!(2)), "{record}");
    assert_eq!(stored_texts(&server, "r").await, ["hi", "mine"]);
}

#[tokio::test]
async fn the_same_author_reusing_a_client_id_for_other_text_is_refused_with_client_id_reused() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let url = server.ws_url(&format!("?room=r&{}", Identity::Token.query("ada")));
    let (mut ada, _) = Client::join(&url).await;
    ada.send_json(json!({"type":"send","room":"r","message":"first","client_id":"c"}))
        .await;
    ada.recv_type("chat").await;

    ada.send_json(json!({"type":"send","room":"r","message":"second","client_id":"c"}))
        .await;
    let refused = ada.recv().await;
    assert_eq!(
        (
            refused["type"].as_str(),
            refused["code"].as_str(),
            refused["room"].as_str(),
            refused["client_id"].as_str()
        ),
        (
            Some("error"),
            Some("client_id_reused"),
            Some("r"),
            Some("c")
        ),
        "{refused}"
    );
    let body = json!({"username":"ada","message":"third","client_id":"c","token":"ada-token"});
    let (status, answer) = server.post_json("/api/rooms/r/messages", body, &[]).await;
    assert_eq!((status, &answer["code"]), (409, &json!("client_id_reused")));
    assert_eq!(stored_texts(&server, "r").await, ["first"]);
}

#[tokio::test]
async fn only_the_authors_own_confirmation_carries_its_client_id() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let (mut ada, _) = Client::join(&server.ws_url("?room=general&username=ada&token=t")).await;
    let (mut bob, _) = Client::join(&server.ws_url("?username=bob")).await;
    let (mut seed, _) = Client::join(&server.ws_url("")).await;
    let (mut away, _) = Client::join(&server.ws_url("?room=elsewhere&username=cy")).await;

    ada.send_json(json!({"type":"send","room":"general","message":"member","client_id":"m"}))
        .await;
    let confirmation = ada.recv_type("chat").await;
    assert_eq!(confirmation["client_id"], "m", "the author's own copy");
    for other in [&mut bob, &mut seed] {
        let seen = other.recv_type("chat").await;
        assert_eq!(seen, without_client_id(&confirmation), "{seen}");
    }
    // A sender outside the room is answered directly, with its id; members see it without.
    away.send_json(json!({"type":"send","room":"general","message":"outside","client_id":"o"}))
        .await;
    assert_eq!(away.recv_type("chat").await["client_id"], "o");
    for other in [&mut ada, &mut bob, &mut seed] {
        let seen = other.recv_type("chat").await;
        assert_eq!(
            (&seen["username"], &seen["message"], seen.get("client_id")),
            (&json!("cy"), &json!("outside"), None)
        );
    }
    // The seed page's snippet works as it always did.
    seed.send_text(r#"{"username":"sid","message":"seed"}"#)
        .await;
    assert_eq!(seed.recv_type("chat").await["message"], "seed");
    assert_eq!(bob.recv_type("chat").await["username"], "sid");

    // History, long-polls and replays carry no client_id, not even the asker's own.
    let (_, page) = server.get_json("/api/rooms/general/messages").await;
    let (_, polled) = server
        .get_json("/api/rooms/general/messages?after=0&wait=1")
        .await;
    let (_, replayed) = Client::join(&server.ws_url("?after=0&username=ada&token=t")).await;
    let records: Vec<&Value> = page
        .as_array()
        .unwrap()
        .iter()
        .chain(polled.as_array().unwrap())
        .chain(replayed.iter().filter(|frame| frame["type"] == "chat"))
        .collect();
    assert_eq!(records.len(), 9, "three records, three ways: {records:?}");
    for record in records {
        assert!(record.get("client_id").is_none(), "{record}");
    }
}

/// A chat frame as everyone but its author sees it.
fn without_client_id(frame: &Value) -> Value {
    let mut frame = frame.clone();
    frame.as_object_mut().unwrap().remove("client_id");
    frame
}

/// The texts stored in `room`, in id order.
async fn stored_texts(server: &Server, room: &str) -> Vec<String> {
    let (_, history) = server
        .get_json(&format!("/api/rooms/{room}/messages?after=0"))
        .await;
    history
        .as_array()
        .unwrap()
        .iter()
        .map(|record| record["message"].as_str().unwrap().to_owned())
        .collect()
}
