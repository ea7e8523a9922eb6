//! Moderation from the moderators' side, on one server over every transport: a kick takes a
//! socket out of the room and lets it back; a ban takes it out and refuses the account on
//! every path until lifted; a mute refuses posts but not reading, and ends on its own; slow
//! mode refuses a second post within the interval (socket `retry_after_ms`, HTTP 429 with
//! `Retry-After`) except for moderators; the audit log lists every act, newest first, to
//! moderators alone.

use crate::{
    cast::{Person, acts, appoint, assert_taken_out, chats, expect_acts, sanction, staffed},
    raw::handshake_status,
    support::Client,
};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// `person`'s answer to a socket `send` of `text` to `room` with `client_id`: the stored
/// record, or the error frame.
async fn send(client: &mut Client, room: &str, text: &str, client_id: &str) -> Value {
    client
        .send_json(json!({"type": "send", "room": room, "message": text, "client_id": client_id}))
        .await;
    loop {
        let frame = client.recv().await;
        let answers = frame["client_id"] == client_id;
        if answers && (frame["type"] == "error" || frame["type"] == "chat") {
            return frame;
        }
    }
}

/// Every HTTP path on which `person` reads or writes `room`, with the body a POST needs.
fn room_paths(room: &str) -> Vec<(&'static str, String, Option<Value>)> {
    vec![
        ("GET", format!("/api/rooms/{room}/messages"), None),
        ("GET", format!("/api/rooms/{room}/messages?after=0"), None),
        (
            "GET",
            format!("/api/rooms/{room}/messages?after=0&wait=5"),
            None,
        ),
        ("GET", format!("/api/rooms/{room}/presence"), None),
        (
            "POST",
            format!("/api/rooms/{room}/messages"),
            Some(json!({"message": "let me back"})),
        ),
        ("POST", format!("/api/rooms/{room}/typing"), Some(json!({}))),
    ]
}

#[tokio::test]
async fn a_kick_lets_the_socket_back_and_a_ban_refuses_every_transport_until_lifted() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let mallory = Person::sign_up(&server, "mallory").await;
    let (mut target, _) = mallory.join(&server, "plaza").await;
    let (mut bystander, _) = Client::join(&server.ws_url("?room=plaza&username=bob")).await;
    target.post("plaza", "mallory", "hello").await;

    let kicked = ada
        .call(&server, "POST", "/api/rooms/plaza/kicks/mallory", None)
        .await;
    assert_eq!(kicked.status, 204, "{kicked:?}");
    assert_taken_out(&target.recv_through("left").await, "kicked", "plaza");
    target
        .send_json(json!({"type": "join", "room": "plaza"}))
        .await;
    assert_eq!(target.recv_type("joined").await["room"], "plaza");

    let banned = ada
        .call(
            &server,
            "PUT",
            "/api/rooms/plaza/bans/mallory",
            sanction(Some(3600), "spam"),
        )
        .await;
    assert_eq!(banned.status, 200, "{banned:?}");
    let view = &banned.body;
    assert_eq!(
        (
            &view["kind"],
            &view["username"],
            &view["by"],
            &view["reason"]
        ),
        (
            &json!("ban"),
            &json!("mallory"),
            &json!("ada"),
            &json!("spam")
        )
    );
    assert!(view.get("guest").is_none(), "an account's ban: {view}");
    assert_taken_out(&target.recv_through("left").await, "banned", "plaza");

    for (method, path, body) in room_paths("plaza") {
        let reply = mallory.call(&server, method, &path, body).await;
        assert_eq!(
            (reply.status, reply.code()),
            (403, "banned"),
            "{method} {path}: {reply:?}"
        );
        assert!(
            reply.body["detail"]
                .as_str()
                .unwrap()
                .contains("for another"),
            "the detail says for how long: {reply:?}"
        );
    }
    let upgrade = mallory.query("plaza", "&after=0");
    assert_eq!(handshake_status(&server, &upgrade, "").await, 403);
    for frame in [
        json!({"type": "join", "room": "plaza", "after": 0}),
        json!({"type": "send", "room": "plaza", "message": "let me back"}),
        json!({"type": "typing", "room": "plaza"}),
    ] {
        target.send_json(frame.clone()).await;
        let frames = target.recv_through("error").await;
        assert_eq!(chats(&frames), Vec::<&Value>::new(), "nothing delivered");
        let refused = frames.last().unwrap();
        assert_eq!(
            (&refused["code"], &refused["room"]),
            (&json!("banned"), &json!("plaza")),
            "{frame}"
        );
    }
    // Only her: the room goes on, and her other rooms are open to her.
    let (status, page) = server.get_json("/api/rooms/plaza/messages").await;
    assert_eq!((status, &page[0]["message"]), (200, &json!("hello")));
    bystander.post("plaza", "bob", "still here").await;
    target
        .send_json(json!({"type": "join", "room": "elsewhere"}))
        .await;
    assert_eq!(target.recv_type("joined").await["room"], "elsewhere");

    let listed = ada
        .call(&server, "GET", "/api/rooms/plaza/sanctions", None)
        .await;
    assert_eq!(listed.status, 200, "{listed:?}");
    assert_eq!(
        listed.body,
        json!([view.clone()]),
        "the ban is listed as made"
    );

    let lifted = ada
        .call(&server, "DELETE", "/api/rooms/plaza/bans/mallory", None)
        .await;
    assert_eq!(lifted.status, 204, "{lifted:?}");
    target
        .send_json(json!({"type": "join", "room": "plaza", "after": 1}))
        .await;
    let frames = target.recv_through("joined").await;
    assert!(
        chats(&frames)
            .iter()
            .any(|record| record["message"] == "still here"),
        "back in, she catches up: {frames:?}"
    );
    mallory.post(&server, "plaza", "I am back").await;
    let listed = ada
        .call(&server, "GET", "/api/rooms/plaza/sanctions", None)
        .await;
    assert_eq!(listed.body, json!([]), "{listed:?}");
}

#[tokio::test]
async fn a_mute_refuses_posts_and_edits_but_not_reading_and_ends_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let mallory = Person::sign_up(&server, "mallory").await;
    let (mut target, _) = mallory.join(&server, "forum").await;
    let mine = send(&mut target, "forum", "before the mute", "m-1").await;
    assert_eq!(mine["type"], "chat", "{mine}");

    let muted = ada
        .call(
            &server,
            "PUT",
            "/api/rooms/forum/mutes/mallory",
            sanction(Some(600), "calm down"),
        )
        .await;
    assert_eq!(muted.status, 200, "{muted:?}");
    assert_eq!(muted.body["kind"], "mute");
    let notice = target.recv_type("room_settings_changed").await;
    assert_eq!(notice["room"], "forum", "her sockets hear of it: {notice}");

    let refused = send(&mut target, "forum", "hello?", "m-2").await;
    assert_eq!(
        (&refused["type"], &refused["code"], &refused["room"]),
        (&json!("error"), &json!("muted"), &json!("forum")),
        "{refused}"
    );
    let posted = mallory
        .call(
            &server,
            "POST",
            "/api/rooms/forum/messages",
            Some(json!({"message": "over http"})),
        )
        .await;
    assert_eq!((posted.status, posted.code()), (403, "muted"), "{posted:?}");
    let edit = mallory
        .call(
            &server,
            "PATCH",
            &format!("/api/rooms/forum/messages/{}", mine["id"]),
            Some(json!({"message": "edited while muted"})),
        )
        .await;
    assert_eq!((edit.status, edit.code()), (403, "muted"), "{edit:?}");
    let read = mallory
        .call(&server, "GET", "/api/rooms/forum/messages?after=0", None)
        .await;
    assert_eq!(read.status, 200, "a mute is no ban");
    let settings = mallory
        .call(&server, "GET", "/api/rooms/forum/settings", None)
        .await;
    assert_eq!(
        settings.body["muted_until"], muted.body["until"],
        "{settings:?}"
    );
    let (_, page) = server.get_json("/api/rooms/forum/messages?after=0").await;
    assert_eq!(page.as_array().unwrap().len(), 1, "nothing stored: {page}");

    // Replaced by a one-second mute, it ends by itself: waiting it out is the point.
    let short = ada
        .call(
            &server,
            "PUT",
            "/api/rooms/forum/mutes/mallory",
            sanction(Some(1), ""),
        )
        .await;
    assert_eq!(short.status, 200, "{short:?}");
    let until = short.body["until"].as_u64().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let now = u64::try_from(now).unwrap();
    tokio::time::sleep(Duration::from_millis(until.saturating_sub(now) + 100)).await;
    let again = send(&mut target, "forum", "hello again", "m-3").await;
    assert_eq!(again["type"], "chat", "the mute ended: {again}");
}

#[tokio::test]
async fn slow_mode_refuses_a_second_post_within_the_interval_except_for_moderators() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let bob_url = server.ws_url("?room=slow&username=bob&token=bob-token");
    let (mut bob, _) = Client::join(&bob_url).await;
    let set = ada
        .call(
            &server,
            "PATCH",
            "/api/rooms/slow",
            Some(json!({"slow_mode_secs": 2})),
        )
        .await;
    assert_eq!(set.status, 200, "{set:?}");
    assert_eq!(
        (&set.body["slow_mode_secs"], &set.body["role"]),
        (&json!(2), &json!("admin"))
    );
    let notice = bob.recv_type("room_settings_changed").await;
    assert_eq!(notice["room"], "slow");

    let first = send(&mut bob, "slow", "one", "b-1").await;
    assert_eq!(first["type"], "chat", "{first}");
    let refused = send(&mut bob, "slow", "two", "b-2").await;
    assert_eq!(refused["code"], "slow_mode", "{refused}");
    let wait_ms = refused["retry_after_ms"].as_u64().expect("retry_after_ms");
    assert!((1..=2_000).contains(&wait_ms), "{refused}");

    // The same person over HTTP (a guest is its name and address): 429 and Retry-After.
    let body = json!({"username": "bob", "token": "bob-token", "message": "two, by http"});
    let reply = server
        .call("POST", "/api/rooms/slow/messages", &[], Some(body))
        .await;
    assert_eq!(
        (reply.status, reply.code()),
        (429, "slow_mode"),
        "{reply:?}"
    );
    let retry_after: u64 = reply.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry_after), "{reply:?}");
    let body_ms = reply.body["retry_after_ms"].as_u64().unwrap();
    assert!((1..=2_000).contains(&body_ms), "{reply:?}");

    // Moderators are exempt: two at once.
    ada.post(&server, "slow", "announcement").await;
    ada.post(&server, "slow", "and another").await;

    // Once the interval passed, the refused message goes through with its client_id.
    let started = Instant::now();
    tokio::time::sleep(Duration::from_millis(wait_ms + 50)).await;
    let later = send(&mut bob, "slow", "two", "b-2").await;
    assert_eq!(
        (&later["type"], &later["message"]),
        (&json!("chat"), &json!("two")),
        "allowed after {:?}: {later}",
        started.elapsed()
    );

    let off = ada
        .call(
            &server,
            "PATCH",
            "/api/rooms/slow",
            Some(json!({"slow_mode_secs": 0})),
        )
        .await;
    assert_eq!(off.body["slow_mode_secs"], 0, "{off:?}");
    let quick = send(&mut bob, "slow", "three", "b-3").await;
    assert_eq!(quick["type"], "chat", "off again: {quick}");
    let (_, page) = server.get_json("/api/rooms/slow/messages?after=0").await;
    let texts: Vec<&str> = page
        .as_array()
        .unwrap()
        .iter()
        .map(|record| record["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        ["one", "announcement", "and another", "two", "three"]
    );
}

#[tokio::test]
async fn the_audit_log_lists_every_act_newest_first_to_moderators_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let mia = Person::sign_up(&server, "mia").await;
    let mallory = Person::sign_up(&server, "mallory").await;
    let settings = appoint(&server, &ada, "hall", "mia").await;
    assert_eq!(settings["moderators"], json!(["mia"]), "{settings}");
    let spam = mallory.post(&server, "hall", "spam spam").await;

    let delete = format!("/api/rooms/hall/messages/{}", spam["id"]);
    for (method, path, body, status) in [
        (
            "PUT",
            "/api/rooms/hall/mutes/mallory",
            sanction(Some(60), "shh"),
            200,
        ),
        ("DELETE", "/api/rooms/hall/mutes/mallory", None, 204),
        ("POST", "/api/rooms/hall/kicks/mallory", None, 204),
        ("DELETE", delete.as_str(), None, 200),
        (
            "PUT",
            "/api/rooms/hall/bans/troll",
            sanction(None, "a guest"),
            200,
        ),
        (
            "PATCH",
            "/api/rooms/hall",
            Some(json!({"slow_mode_secs": 5})),
            200,
        ),
    ] {
        let reply = mia.call(&server, method, path, body).await;
        assert_eq!(reply.status, status, "{method} {path}: {reply:?}");
    }

    let page = mia
        .call(&server, "GET", "/api/rooms/hall/audit", None)
        .await;
    assert_eq!(page.status, 200, "{page:?}");
    assert_eq!(
        acts(&page.body),
        expect_acts(&[
            ("mia", "slow_mode", ""),
            ("mia", "ban", "troll"),
            ("mia", "delete", "mallory"),
            ("mia", "kick", "mallory"),
            ("mia", "unmute", "mallory"),
            ("mia", "mute", "mallory"),
            ("ada", "add_moderator", "mia"),
        ])
    );
    let entries = page.body.as_array().unwrap();
    assert_eq!(entries[2]["target"], spam["id"], "the deleted message's id");
    let ids: Vec<u64> = entries.iter().map(|e| e["id"].as_u64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    let before = format!("/api/rooms/hall/audit?before={}&limit=2", ids[1]);
    let older = ada.call(&server, "GET", &before, None).await;
    assert_eq!(
        acts(&older.body),
        expect_acts(&[("mia", "delete", "mallory"), ("mia", "kick", "mallory")]),
        "{older:?}"
    );

    let member = mallory
        .call(&server, "GET", "/api/rooms/hall/audit", None)
        .await;
    assert_eq!((member.status, member.code()), (403, "forbidden"));
    let guest = server.call("GET", "/api/rooms/hall/audit", &[], None).await;
    assert_eq!((guest.status, guest.code()), (401, "unauthenticated"));
    let elsewhere = mia
        .call(&server, "GET", "/api/rooms/other/audit", None)
        .await;
    assert_eq!(
        (elsewhere.status, elsewhere.code()),
        (403, "forbidden"),
        "a moderator of one room is a member of another"
    );
}
