//! Relaying: the seed's message shape, confirmations, exact field names, several rooms.

use crate::support::{Client, Server};
use serde_json::json;
use std::time::{SystemTime, UNIX_EPOCH};

fn now_ms() -> u64 {
    u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

#[tokio::test]
async fn seed_shaped_message_reaches_every_client_as_a_stored_record() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    // The seed's browser code opens `/socket` with no query string at all.
    let (mut alice, _) = Client::join(&server.ws_url("")).await;
    let (mut bob, _) = Client::join(&server.ws_url("")).await;

    let before = now_ms();
    alice
        .send_text(r#"{"username":"alice","message":"hi"}"#)
        .await;

    for client in [&mut alice, &mut bob] {
        let chat = client.recv_type("chat").await;
        let mut keys: Vec<_> = chat.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(
            keys,
            ["guest", "id", "message", "room", "ts", "type", "username"]
        );
        assert_eq!(chat["guest"], true, "the seed's sender is not signed in");
        assert_eq!(chat["id"], 1);
        assert_eq!(chat["room"], "general");
        assert_eq!(chat["username"], "alice");
        assert_eq!(chat["message"], "hi");
        let ts = chat["ts"].as_u64().unwrap();
        assert!(
            ts >= before.saturating_sub(1_000) && ts <= now_ms() + 1_000,
            "ts {ts}"
        );
    }
}

#[tokio::test]
async fn the_seed_shape_with_a_room_posts_to_that_room_and_not_to_general() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let (mut seed, _) = Client::join(&server.ws_url("")).await;
    let (mut in_random, _) = Client::join(&server.ws_url("?room=random")).await;
    seed.send_text(r#"{"username":"alice","message":"over here","room":"random"}"#)
        .await;
    let chat = in_random.recv_type("chat").await;
    assert_eq!(chat["room"], "random");
    assert_eq!(chat["message"], "over here");
    // The sender is not a member of `random`, so it gets the record as its confirmation;
    // `general`, where it is a member, got nothing.
    assert_eq!(seed.recv_type("chat").await, chat);
    let (status, general) = server.get_json("/api/rooms/general/messages").await;
    assert_eq!((status, general), (200, json!([])));
}

#[tokio::test]
async fn a_retried_seed_shape_with_a_client_id_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let (mut seed, _) = Client::join(&server.ws_url("")).await;
    let frame = r#"{"username":"alice","message":"once","client_id":"x"}"#;
    seed.send_text(frame).await;
    let first = seed.recv_type("chat").await;
    seed.send_text(frame).await;
    let again = seed.recv_type("chat").await;
    assert_eq!(
        again, first,
        "the retry answers with the record stored the first time"
    );
    assert_eq!(first["client_id"], "x");
    let (_, stored) = server.get_json("/api/rooms/general/messages").await;
    assert_eq!(stored.as_array().map(Vec::len), Some(1), "{stored}");
}

#[tokio::test]
async fn the_seed_shape_gets_the_same_error_frames_as_a_send() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let (mut seed, _) = Client::join(&server.ws_url("")).await;
    let cases = [
        (r#""room":"Not A Room""#, "invalid_room"),
        (r#""client_id":"""#, "invalid_client_id"),
        (r#""room":5"#, "bad_message"),
    ];
    for (field, code) in cases {
        let mut answers = Vec::new();
        for tag in ["", r#""type":"send","#] {
            seed.send_text(&format!(
                r#"{{{tag}"username":"alice","message":"hi",{field}}}"#
            ))
            .await;
            let error = seed.recv_type("error").await;
            assert_eq!(error["code"], code, "{field} with {tag:?}: {error}");
            answers.push(error);
        }
        for key in ["code", "room", "client_id"] {
            assert_eq!(answers[0][key], answers[1][key], "{key} for {field}");
        }
    }
}

#[tokio::test]
async fn both_clients_can_talk_and_ids_increase_strictly() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let (mut alice, _) = Client::join(&server.ws_url("?room=lobby")).await;
    let (mut bob, _) = Client::join(&server.ws_url("?room=lobby")).await;

    let first = alice.post("lobby", "alice", "ping").await;
    assert_eq!(bob.recv_type("chat").await, first);
    let second = bob.post("lobby", "bob", "pong").await;
    assert_eq!(alice.recv_type("chat").await, second);
    assert!(second["id"].as_u64() > first["id"].as_u64());
}

#[tokio::test]
async fn one_connection_can_be_in_several_rooms_with_independent_ids() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let (mut listener, _) = Client::join(&server.ws_url("?room=general")).await;
    listener
        .send_json(json!({"type": "join", "room": "rust"}))
        .await;
    listener.recv_type("joined").await;

    let (mut poster, _) = Client::join(&server.ws_url("?room=general")).await;
    poster.post("general", "poster", "in general").await;
    poster
        .send_json(json!({"type":"send","room":"rust","username":"poster","message":"in rust"}))
        .await;
    // The poster is not in `rust`, so its confirmation comes straight back to it.
    let confirmation = poster.recv_type("chat").await;
    assert_eq!(confirmation["room"], "rust");
    assert_eq!(confirmation["id"], 1);

    let a = listener.recv_type("chat").await;
    let b = listener.recv_type("chat").await;
    assert_eq!((&a["room"], &a["id"]), (&json!("general"), &json!(1)));
    assert_eq!((&b["room"], &b["id"]), (&json!("rust"), &json!(1)));
}

#[tokio::test]
async fn a_left_room_stops_delivering() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let (mut listener, _) = Client::join(&server.ws_url("?room=general")).await;
    listener
        .send_json(json!({"type": "join", "room": "side"}))
        .await;
    listener.recv_type("joined").await;
    listener
        .send_json(json!({"type": "leave", "room": "side"}))
        .await;
    assert_eq!(listener.recv_type("left").await["room"], "side");

    let (mut poster, _) = Client::join(&server.ws_url("?room=general")).await;
    poster
        .send_json(json!({"type":"send","room":"side","username":"p","message":"unheard"}))
        .await;
    poster.recv_type("chat").await;
    poster.post("general", "p", "heard").await;
    // Ordering per connection is preserved, so if `side` were still delivered it would come first.
    assert_eq!(listener.recv_type("chat").await["message"], "heard");
}
