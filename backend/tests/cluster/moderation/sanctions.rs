//! Kicks, bans and mutes taken through one node hold on another: the account's live socket
//! there leaves the room at once (fan-out carries the removal; the nodes' heartbeats are a
//! minute apart, so nothing else could within the wait), and every transport of the other
//! node refuses it once that node's cached rules renew. An act through a node holds there at
//! once.

use super::{Person, chats, grant_admin, recv_record, sanction, until_refused, until_role};
use crate::{node, redis::Redis, support::Client};
use chinwag_shared::moderation::CLOSE_BANNED;
use serde_json::json;

/// Heartbeats a minute apart: within a test's wait, only fan-out reaches a socket.
const SLOW_HEARTBEAT: [&str; 4] = ["--heartbeat-secs", "60", "--idle-timeout-secs", "180"];

/// The last two frames of `frames` are the notice `code` about `room`, then `left`.
fn assert_taken_out(frames: &[serde_json::Value], code: &str, room: &str) {
    let [.., notice, left] = frames else {
        panic!("a notice, then left: {frames:?}");
    };
    assert_eq!(
        (&notice["type"], &notice["code"], &notice["room"]),
        (&json!("error"), &json!(code), &json!(room)),
        "{frames:?}"
    );
    assert_eq!(
        (&left["type"], &left["room"]),
        (&json!("left"), &json!(room)),
        "{frames:?}"
    );
}

#[tokio::test]
async fn a_kick_and_a_ban_through_one_node_take_the_account_off_its_socket_on_another() {
    let redis = Redis::start().await;
    let a = node(&redis, "a", &SLOW_HEARTBEAT).await;
    let b = node(&redis, "b", &SLOW_HEARTBEAT).await;
    let ada = Person::sign_up(&a, "ada").await;
    let mallory = Person::sign_up(&b, "mallory").await;
    grant_admin(&redis, "ada").await;
    until_role(&a, &ada, "plaza", "admin").await;

    let (mut target, _) = mallory.join(&b, "plaza").await;
    let (mut bystander, _) = Client::join(&b.ws_url("?room=plaza&username=bob")).await;
    let spam = target.post("plaza", "mallory", "buy my pills").await;
    let spam_id = spam["id"].as_u64().unwrap();

    let kicked = ada
        .call(
            &a,
            "POST",
            "/api/rooms/plaza/kicks/mallory",
            Some(json!({"reason": "cool off"})),
        )
        .await;
    assert_eq!(kicked.status, 204, "{kicked:?}");
    assert_taken_out(&target.recv_through("left").await, "kicked", "plaza");
    // A kick is no ban: the same socket joins again, through the same node.
    target
        .send_json(json!({"type": "join", "room": "plaza"}))
        .await;
    let joined = target.recv_type("joined").await;
    assert_eq!(joined["room"], "plaza", "{joined}");

    // A moderator's deletion through A: a tombstone that names her, on B's sockets too.
    let path = format!("/api/rooms/plaza/messages/{spam_id}");
    let deleted = ada.call(&a, "DELETE", &path, None).await;
    assert_eq!(deleted.status, 200, "{deleted:?}");
    assert_eq!(
        (&deleted.body["change"], &deleted.body["username"]),
        (
            &json!({"kind": "delete", "target": spam_id, "moderator": true}),
            &json!("ada")
        ),
        "{deleted:?}"
    );
    let seen = recv_record(&mut bystander, &deleted.body["id"]).await;
    assert_eq!(seen["change"], deleted.body["change"], "{seen}");

    let banned = ada
        .call(
            &a,
            "PUT",
            "/api/rooms/plaza/bans/mallory",
            sanction(None, "spam"),
        )
        .await;
    assert_eq!(banned.status, 200, "{banned:?}");
    assert_eq!(
        (
            &banned.body["kind"],
            &banned.body["username"],
            &banned.body["by"],
            &banned.body["reason"]
        ),
        (
            &json!("ban"),
            &json!("mallory"),
            &json!("ada"),
            &json!("spam")
        )
    );
    assert!(
        banned.body.get("until").is_none(),
        "until lifted: {banned:?}"
    );
    assert_taken_out(&target.recv_through("left").await, "banned", "plaza");

    // Every transport of B refuses her once B's cached rules renew (and A's at once).
    let history = "/api/rooms/plaza/messages?after=0";
    until_refused(403, "banned", || mallory.call(&b, "GET", history, None)).await;
    for node in [&a, &b] {
        for (method, path, body) in [
            ("GET", "/api/rooms/plaza/messages?after=0&wait=5", None),
            ("GET", "/api/rooms/plaza/messages", None),
            (
                "POST",
                "/api/rooms/plaza/messages",
                Some(json!({"message": "let me back"})),
            ),
        ] {
            let reply = mallory.call(node, method, path, body).await;
            assert_eq!(
                (reply.status, reply.code()),
                (403, "banned"),
                "{method} {path}: {reply:?}"
            );
        }
    }
    let after_ban = ada
        .call(
            &a,
            "POST",
            "/api/rooms/plaza/messages",
            Some(json!({"message": "after the ban"})),
        )
        .await;
    assert_eq!(after_ban.status, 201, "{after_ban:?}");
    assert!(bystander.chat_arrives("after the ban").await, "others stay");
    target
        .send_json(json!({"type": "join", "room": "plaza", "after": 0}))
        .await;
    let frames = target.recv_through("error").await;
    assert_eq!(
        chats(&frames),
        Vec::<&serde_json::Value>::new(),
        "nothing delivered"
    );
    let refused = frames.last().unwrap();
    assert_eq!(
        (&refused["code"], &refused["room"]),
        (&json!("banned"), &json!("plaza"))
    );
    target
        .send_json(json!({"type": "send", "room": "plaza", "message": "let me back"}))
        .await;
    let refused = target.recv_type("error").await;
    assert_eq!(refused["code"], "banned", "{refused}");

    let audit = ada.call(&b, "GET", "/api/rooms/plaza/audit", None).await;
    assert_eq!(audit.status, 200, "{audit:?}");
    let acts: Vec<(&str, &str, &str)> = audit
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry["actor"].as_str().unwrap(),
                entry["action"].as_str().unwrap(),
                entry["subject"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        acts,
        [
            ("ada", "ban", "mallory"),
            ("ada", "delete", "mallory"),
            ("ada", "kick", "mallory")
        ],
        "newest first, as seen from B"
    );

    // Lifted through B, the ban is gone on B at once.
    let lifted = ada
        .call(&b, "DELETE", "/api/rooms/plaza/bans/mallory", None)
        .await;
    assert_eq!(lifted.status, 204, "{lifted:?}");
    target
        .send_json(json!({"type": "join", "room": "plaza"}))
        .await;
    let joined = target.recv_type("joined").await;
    assert_eq!(joined["room"], "plaza", "{joined}");
}

#[tokio::test]
async fn a_mute_through_one_node_silences_the_account_on_another_and_a_site_ban_ends_its_socket() {
    let redis = Redis::start().await;
    let a = node(&redis, "a", &SLOW_HEARTBEAT).await;
    let b = node(&redis, "b", &SLOW_HEARTBEAT).await;
    let ada = Person::sign_up(&a, "ada").await;
    let mallory = Person::sign_up(&b, "mallory").await;
    grant_admin(&redis, "ada").await;
    until_role(&a, &ada, "forum", "admin").await;
    let (mut target, _) = mallory.join(&b, "forum").await;
    target.post("forum", "mallory", "before the mute").await;

    let muted = ada
        .call(
            &a,
            "PUT",
            "/api/rooms/forum/mutes/mallory",
            sanction(Some(600), "calm"),
        )
        .await;
    assert_eq!(muted.status, 200, "{muted:?}");
    let until = muted.body["until"].as_u64().expect("a mute that ends");
    let created = muted.body["created"].as_u64().unwrap();
    assert!(
        (599_000..=601_000).contains(&(until - created)),
        "ten minutes: {muted:?}"
    );
    // Her own sockets hear of it at once, through her inbox, on whichever node they are.
    let notice = target.recv_type("room_settings_changed").await;
    assert_eq!(notice["room"], "forum", "{notice}");

    let post = || {
        mallory.call(
            &b,
            "POST",
            "/api/rooms/forum/messages",
            Some(json!({"message": "still here"})),
        )
    };
    until_refused(403, "muted", post).await;
    target
        .send_json(
            json!({"type": "send", "room": "forum", "message": "hello?", "client_id": "m-1"}),
        )
        .await;
    let refused = target.recv_type("error").await;
    assert_eq!(
        (&refused["code"], &refused["room"], &refused["client_id"]),
        (&json!("muted"), &json!("forum"), &json!("m-1"))
    );
    let settings = mallory
        .call(&b, "GET", "/api/rooms/forum/settings", None)
        .await;
    assert_eq!(settings.body["muted_until"], until, "{settings:?}");
    let read = mallory
        .call(&b, "GET", "/api/rooms/forum/messages?after=0", None)
        .await;
    assert_eq!(read.status, 200, "a mute is no ban: she still reads");

    // Lifted through B: she speaks on B at once.
    let lifted = ada
        .call(&b, "DELETE", "/api/rooms/forum/mutes/mallory", None)
        .await;
    assert_eq!(lifted.status, 204, "{lifted:?}");
    target.post("forum", "mallory", "thanks").await;

    // A site-wide ban through A ends her socket on B: the notice, then the banned close.
    let site = ada
        .call(&a, "PUT", "/api/site/bans/mallory", sanction(None, ""))
        .await;
    assert_eq!(
        (site.status, &site.body["site"]),
        (200, &json!(true)),
        "{site:?}"
    );
    let notice = target.recv_type("error").await;
    assert_eq!(notice["code"], "banned", "{notice}");
    let close = target.recv_close().await.expect("a close frame");
    assert_eq!(u16::from(close.code), CLOSE_BANNED, "{close:?}");
    let history = "/api/rooms/lobby/messages?after=0";
    until_refused(403, "banned", || mallory.call(&b, "GET", history, None)).await;
}
