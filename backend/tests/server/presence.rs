//! Presence: who is in a room, join and leave events, and prompt release of dropped sessions.

use crate::{
    raw::RawClient,
    support::{Client, Server},
};
use serde_json::json;

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

    let raw = RawClient::open(&server, "?room=den&username=dave").await;
    watcher.recv_user_event("user_joined", "dave").await;

    drop(raw); // no close frame, just a FIN
    watcher.recv_user_event("user_left", "dave").await;
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

    let mut mute = RawClient::open(&server, "?room=den&username=mute").await;
    // Pings arrive and go unanswered; the server gives up with 1001 "idle timeout". The
    // watcher is read meanwhile, which is what makes its client library answer the pings.
    let (code, _) = tokio::join!(
        mute.close_code(),
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
