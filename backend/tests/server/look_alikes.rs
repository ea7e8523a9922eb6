//! Look-alike names and text that shows as nothing or reads backwards (issue 12, items 6 and
//! 11), over both ways in: a `send` frame on the socket and `POST /api/rooms/{room}/messages`.
//!
//! With `alice` held in a room by one browser, another may not speak as any name a reader
//! would take for hers: case and confusable spellings are `username_taken`, invisible
//! padding, mixed scripts and stacked marks are `invalid_username`. Each test ends by reading
//! the room's history, so a refusal that still stored the message fails too.

use crate::support::{Client, NO_RATE_LIMIT, Server};
use serde_json::json;

/// Names another browser tries while `alice` is held, and the code each must get.
const LOOK_ALIKES: &[(&str, &str)] = &[
    ("alice\u{3164}", "invalid_username"),
    ("\u{430}lice", "invalid_username"),
    ("\u{3164}", "invalid_username"),
    ("\u{FFA0}", "invalid_username"),
    (
        "a\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}",
        "invalid_username",
    ),
    ("ali\u{200B}ce", "invalid_username"),
    ("\u{202E}ecila", "invalid_username"),
    ("Alice", "username_taken"),
    ("ALICE", "username_taken"),
    ("a1ice", "username_taken"),
    // All Cyrillic (а ӏ і с е), so one script: only the skeleton comparison catches it.
    ("\u{430}\u{4CF}\u{456}\u{441}\u{435}", "username_taken"),
];

/// The next frame that answers what this client sent: the presence list and arrivals that
/// follow a join come in an order of their own, so they are skipped.
async fn next_reply(client: &mut Client) -> serde_json::Value {
    loop {
        let frame = client.recv().await;
        if !matches!(frame["type"].as_str(), Some("presence" | "user_joined")) {
            return frame;
        }
    }
}

async fn server_with_alice_in_den() -> (tempfile::TempDir, Server, Client) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &NO_RATE_LIMIT).await;
    let (alice, _) = Client::join(&server.ws_url("?room=den&username=alice&token=t-alice")).await;
    (dir, server, alice)
}

#[tokio::test]
async fn look_alikes_of_a_held_name_are_refused_over_the_socket() {
    let (_dir, server, _alice) = server_with_alice_in_den().await;
    let (mut other, _) = Client::join(&server.ws_url("?room=den&token=t-other")).await;
    for (name, code) in LOOK_ALIKES {
        other
            .send_json(json!({"type": "send", "room": "den", "username": name, "message": "hi"}))
            .await;
        let reply = next_reply(&mut other).await;
        assert_eq!(
            (reply["type"].as_str(), reply["code"].as_str()),
            (Some("error"), Some(*code)),
            "{name:?}: {reply}"
        );
    }
    let (_, history) = server.get_json("/api/rooms/den/messages").await;
    assert_eq!(history, json!([]), "no look-alike got a message in");

    let sent = other.post("den", "alicia", "a name of my own").await;
    assert_eq!(
        sent["username"], "alicia",
        "the refusals left the socket usable"
    );
}

#[tokio::test]
async fn look_alikes_of_a_held_name_are_refused_over_http() {
    let (_dir, server, _alice) = server_with_alice_in_den().await;
    for (name, code) in LOOK_ALIKES {
        let body = json!({"username": name, "message": "hi", "token": "t-other"});
        let (status, reply) = server.post_json("/api/rooms/den/messages", body, &[]).await;
        let expected_status = if *code == "username_taken" { 409 } else { 400 };
        assert_eq!(
            (status, reply["code"].as_str()),
            (expected_status, Some(*code)),
            "{name:?}: {reply}"
        );
    }
    let (_, history) = server.get_json("/api/rooms/den/messages").await;
    assert_eq!(history, json!([]), "no look-alike got a message in");
}

#[tokio::test]
async fn the_held_name_is_listed_as_typed_and_its_own_browser_may_respell_it() {
    let (_dir, server, mut alice) = server_with_alice_in_den().await;
    let (mut tab2, _) =
        Client::join(&server.ws_url("?room=den&username=ALICE&token=t-alice")).await;
    assert_eq!(
        tab2.recv_type("presence").await["users"],
        json!(["alice"]),
        "one person, shown as first typed"
    );
    let sent = tab2.post("den", "ALICE", "same me").await;
    assert_eq!(alice.recv_type("chat").await, sent);
}

#[tokio::test]
async fn blank_and_reversing_messages_are_refused_over_both_transports() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &NO_RATE_LIMIT).await;
    let (mut client, _) = Client::join(&server.ws_url("?room=den&username=bob")).await;
    for (text, code) in [
        ("\u{200B}", "empty_message"),
        ("\u{3164}", "empty_message"),
        ("\u{2800}", "empty_message"),
        (" \u{FEFF}\n\u{3000}", "empty_message"),
        ("\u{202E}evil.com/", "invalid_message"),
    ] {
        client
            .send_json(json!({"type": "send", "room": "den", "message": text}))
            .await;
        let reply = next_reply(&mut client).await;
        assert_eq!(
            (reply["type"].as_str(), reply["code"].as_str()),
            (Some("error"), Some(code)),
            "{text:?} over the socket: {reply}"
        );
        let body = json!({"username": "carol", "message": text});
        let (status, reply) = server.post_json("/api/rooms/den/messages", body, &[]).await;
        assert_eq!(
            (status, reply["code"].as_str()),
            (400, Some(code)),
            "{text:?} over HTTP: {reply}"
        );
    }
    let (_, history) = server.get_json("/api/rooms/den/messages").await;
    assert_eq!(history, json!([]));

    let paired = "say \u{2067}שלום\u{2069} to everyone";
    let sent = client.post("den", "bob", paired).await;
    assert_eq!(
        sent["message"], paired,
        "balanced isolates are how RTL text is written"
    );
}
