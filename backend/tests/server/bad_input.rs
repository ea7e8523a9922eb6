//! Bad input gets an error frame with a stable code; the connection stays usable and nobody
//! else is affected.

use crate::support::{Client, Server};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn each_kind_of_bad_frame_gets_its_error_code_and_the_socket_survives() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let (mut client, _) = Client::join(&server.ws_url("?room=general")).await;
    let (mut bystander, _) = Client::join(&server.ws_url("?room=general")).await;
    let too_long = "x".repeat(chinwag_shared::MAX_MESSAGE_CHARS + 1);
    let cases = [
        ("{oops".to_owned(), "bad_json"),
        ("42".to_owned(), "bad_message"),
        (r#"{"type":"dance"}"#.to_owned(), "unknown_type"),
        (r#"{"type":"send"}"#.to_owned(), "bad_message"),
        (r#"{"username":"alice"}"#.to_owned(), "bad_message"),
        (
            json!({"username":"alice","message":too_long}).to_string(),
            "message_too_long",
        ),
        (
            r#"{"username":"alice","message":"   "}"#.to_owned(),
            "empty_message",
        ),
        (
            r#"{"username":"<script>","message":"hi"}"#.to_owned(),
            "invalid_username",
        ),
        (
            r#"{"type":"join","room":"No Spaces"}"#.to_owned(),
            "invalid_room",
        ),
        (
            r#"{"type":"send","message":"who am I"}"#.to_owned(),
            "username_required",
        ),
        (
            json!({"type":"send","username":"a","message":"m","client_id":"x".repeat(65)})
                .to_string(),
            "invalid_client_id",
        ),
    ];
    for (frame, code) in cases {
        client.send_text(&frame).await;
        let error = client.recv_type("error").await;
        assert_eq!(error["code"], code, "for frame {frame:.60}");
        assert!(error["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
    client.send_raw(Message::binary(vec![1, 2, 3])).await;
    assert_eq!(
        client.recv_type("error").await["code"],
        "binary_unsupported"
    );

    // Still usable, and the bystander saw only the one good message.
    let good = client.post("general", "alice", "still here").await;
    assert_eq!(bystander.recv_type("chat").await, good);
    assert_eq!(good["id"], 1, "nothing from the bad frames was stored");
}

#[tokio::test]
async fn refused_sends_name_their_client_id_and_room() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let (mut client, _) = Client::join(&server.ws_url("")).await;
    client
        .send_json(json!({"type":"send","room":"general","username":"a","message":"","client_id":"pending-3"}))
        .await;
    let error = client.recv_type("error").await;
    assert_eq!(error["code"], "empty_message");
    assert_eq!(error["client_id"], "pending-3");
    assert_eq!(error["room"], "general");
}

#[tokio::test]
async fn a_bad_socket_query_is_refused_before_the_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    for (query, code) in [
        ("?room=BAD", "invalid_room"),
        ("?username=%3Cb%3E", "invalid_username"),
        ("?after=x", "bad_query"),
    ] {
        let (status, body) = server.get_json(&format!("/socket{query}")).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some(code)),
            "{query}"
        );
    }
}

#[tokio::test]
async fn too_many_rooms_is_refused_with_a_code() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &["--max-rooms-per-connection", "2"]).await;
    let (mut client, _) = Client::join(&server.ws_url("?room=one")).await;
    client.send_json(json!({"type":"join","room":"two"})).await;
    client.recv_type("joined").await;
    client
        .send_json(json!({"type":"join","room":"three"}))
        .await;
    let error = client.recv_type("error").await;
    assert_eq!(
        (error["code"].as_str(), error["room"].as_str()),
        (Some("too_many_rooms"), Some("three"))
    );
}
