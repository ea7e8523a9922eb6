//! What each scope of a server API key opens beyond publishing: `moderate` edits bots'
//! messages, deletes any message and imposes sanctions, each audited under the key's name;
//! `rooms` creates private rooms and sets their members; `read` pages, long-polls and sees
//! presence in any room but a direct message. Every call goes through the hub paths the
//! sockets use, so its events reach them.

use crate::{
    api_keys::{as_key, make_key},
    cast::{Person, staffed},
    support::Client,
};
use serde_json::json;

#[tokio::test]
async fn a_moderating_key_edits_bot_messages_deletes_any_and_sanctions_audited_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let bob = Person::sign_up(&server, "bob").await;
    let (moderate, _) = make_key(&server, &ada, &["moderate", "publish"]).await;
    let (publish, _) = make_key(&server, &ada, &["publish"]).await;
    let posted = as_key(
        &server,
        &moderate,
        "POST",
        "/api/rooms/plaza/messages",
        Some(json!({"username": "statusbot", "message": "deploying"})),
    )
    .await;
    let bot_id = posted.body["id"].as_u64().unwrap();
    let bobs = bob.post(&server, "plaza", "spam spam").await["id"]
        .as_u64()
        .unwrap();

    let edit = Some(json!({"message": "deployed"}));
    let path = format!("/api/rooms/plaza/messages/{bot_id}");
    let reply = as_key(&server, &publish, "PATCH", &path, edit.clone()).await;
    assert_eq!(
        (reply.status, reply.code()),
        (403, "forbidden"),
        "{reply:?}"
    );
    let reply = as_key(&server, &moderate, "PATCH", &path, edit.clone()).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.body["username"], "statusbot", "edited as the bot");
    let person = format!("/api/rooms/plaza/messages/{bobs}");
    let reply = as_key(&server, &moderate, "PATCH", &person, edit).await;
    assert_eq!(
        (reply.status, reply.code()),
        (403, "forbidden"),
        "a key never puts words in a person's mouth: {reply:?}"
    );
    let reply = as_key(&server, &publish, "DELETE", &person, None).await;
    assert_eq!(
        (reply.status, reply.code()),
        (403, "forbidden"),
        "{reply:?}"
    );
    let reply = as_key(&server, &moderate, "DELETE", &person, None).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.body["username"], "system", "{reply:?}");

    for (method, path) in [
        ("PUT", "/api/rooms/plaza/mutes/bob"),
        ("POST", "/api/rooms/plaza/kicks/bob"),
        ("PUT", "/api/rooms/plaza/bans/bob"),
        ("PUT", "/api/site/mutes/carol"),
        ("PUT", "/api/site/bans/carol"),
    ] {
        let body = Some(json!({"reason": "spam"}));
        let reply = as_key(&server, &publish, method, path, body.clone()).await;
        assert_eq!(
            (reply.status, reply.code()),
            (403, "forbidden"),
            "{path}: {reply:?}"
        );
        let reply = as_key(&server, &moderate, method, path, body).await;
        assert!(matches!(reply.status, 200 | 204), "{path}: {reply:?}");
    }
    // Bob is banned from the room now; a site admin is beyond any key.
    let reply = bob
        .call(&server, "GET", "/api/rooms/plaza/messages", None)
        .await;
    assert_eq!((reply.status, reply.code()), (403, "banned"), "{reply:?}");
    let reply = as_key(&server, &moderate, "PUT", "/api/rooms/plaza/bans/ada", None).await;
    assert_eq!(
        (reply.status, reply.code()),
        (403, "forbidden"),
        "{reply:?}"
    );
    let reply = as_key(
        &server,
        &moderate,
        "PUT",
        "/api/rooms/plaza/moderators/bob",
        None,
    )
    .await;
    assert_eq!(
        (reply.status, reply.code()),
        (403, "forbidden"),
        "{reply:?}"
    );

    let audit = ada
        .call(&server, "GET", "/api/rooms/plaza/audit", None)
        .await;
    assert_eq!(audit.status, 200, "{audit:?}");
    let entries = audit.body.as_array().unwrap();
    assert!(!entries.is_empty(), "{audit:?}");
    for entry in entries {
        assert_eq!(
            (&entry["actor"], &entry["key"]),
            (&json!("system"), &json!("billing backend")),
            "each act names the key: {entry}"
        );
    }
    let actions: Vec<&str> = entries
        .iter()
        .map(|entry| entry["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["ban", "kick", "mute", "delete"], "{audit:?}");
}

#[tokio::test]
async fn a_rooms_key_creates_private_rooms_and_sets_members_a_read_key_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let bob = Person::sign_up(&server, "bob").await;
    let (rooms, _) = make_key(&server, &ada, &["rooms"]).await;
    let (read, _) = make_key(&server, &ada, &["read", "publish"]).await;
    let body = Some(json!({"name": "vault", "private": true}));
    let reply = as_key(&server, &read, "POST", "/api/rooms", body.clone()).await;
    assert_eq!(
        (reply.status, reply.code()),
        (403, "forbidden"),
        "{reply:?}"
    );
    let reply = as_key(&server, &rooms, "POST", "/api/rooms", body).await;
    assert_eq!(reply.status, 201, "{reply:?}");
    assert!(reply.body.get("owner").is_none(), "no owner: {reply:?}");
    let owned = Some(json!({"name": "bobs-room", "private": true, "owner": "bob"}));
    let reply = as_key(&server, &rooms, "POST", "/api/rooms", owned).await;
    assert_eq!(
        (reply.status, &reply.body["owner"]),
        (201, &json!("bob")),
        "{reply:?}"
    );
    let reply = ada
        .call(
            &server,
            "POST",
            "/api/rooms",
            Some(json!({"name": "adas", "private": true, "owner": "bob"})),
        )
        .await;
    assert_eq!(
        reply.status, 400,
        "a person owns what they create: {reply:?}"
    );

    let reply = bob
        .call(&server, "GET", "/api/rooms/vault/messages", None)
        .await;
    assert_eq!(reply.status, 403, "not a member yet: {reply:?}");
    let reply = as_key(&server, &read, "PUT", "/api/rooms/vault/members/bob", None).await;
    assert_eq!(
        (reply.status, reply.code()),
        (403, "forbidden"),
        "{reply:?}"
    );
    let reply = as_key(&server, &rooms, "PUT", "/api/rooms/vault/members/bob", None).await;
    assert_eq!(reply.status, 204, "{reply:?}");
    bob.post(&server, "vault", "inside").await;

    // The private room's history and presence are open to a read key, closed to others.
    let reply = as_key(&server, &read, "GET", "/api/rooms/vault/messages", None).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.body[0]["message"], "inside", "{reply:?}");
    let reply = as_key(&server, &read, "GET", "/api/rooms/vault/presence", None).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let reply = as_key(&server, &rooms, "GET", "/api/rooms/vault/messages", None).await;
    assert_eq!(
        (reply.status, reply.code()),
        (403, "forbidden"),
        "{reply:?}"
    );

    let reply = as_key(
        &server,
        &rooms,
        "DELETE",
        "/api/rooms/vault/members/bob",
        None,
    )
    .await;
    assert_eq!(reply.status, 204, "{reply:?}");
    let reply = bob
        .call(&server, "GET", "/api/rooms/vault/messages", None)
        .await;
    assert_eq!(reply.status, 403, "removed: {reply:?}");
    let reply = as_key(
        &server,
        &rooms,
        "DELETE",
        "/api/rooms/bobs-room/members/bob",
        None,
    )
    .await;
    assert_eq!(reply.status, 403, "the owner stays: {reply:?}");
}

#[tokio::test]
async fn a_read_key_long_polls_and_a_publish_key_types_as_its_bot() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let (read, _) = make_key(&server, &ada, &["read"]).await;
    let (publish, _) = make_key(&server, &ada, &["publish"]).await;
    let (mut watcher, _) = Client::join(&server.ws_url("?room=plaza&username=watcher")).await;

    let typing = as_key(
        &server,
        &publish,
        "POST",
        "/api/rooms/plaza/typing",
        Some(json!({"username": "helpbot"})),
    )
    .await;
    assert_eq!(typing.status, 204, "{typing:?}");
    let frame = watcher.recv_type("typing").await;
    assert_eq!(frame["username"], "helpbot", "{frame}");
    let reply = as_key(
        &server,
        &read,
        "POST",
        "/api/rooms/plaza/typing",
        Some(json!({"username": "helpbot"})),
    )
    .await;
    assert_eq!(
        (reply.status, reply.code()),
        (403, "forbidden"),
        "{reply:?}"
    );

    // A long-poll held by the read key wakes for the bot's post.
    let server = std::sync::Arc::new(server);
    let polling = {
        let (server, read) = (std::sync::Arc::clone(&server), read.clone());
        tokio::spawn(async move {
            as_key(
                &server,
                &read,
                "GET",
                "/api/rooms/plaza/messages?after=0&wait=10",
                None,
            )
            .await
        })
    };
    crate::cast::until_long_polls_waiting(&server, 1.0).await;
    let posted = as_key(
        &server,
        &publish,
        "POST",
        "/api/rooms/plaza/messages",
        Some(json!({"username": "helpbot", "message": "how can I help?"})),
    )
    .await;
    assert_eq!(posted.status, 201, "{posted:?}");
    let woken = polling.await.unwrap();
    assert_eq!(woken.status, 200, "{woken:?}");
    assert_eq!(woken.body[0]["message"], "how can I help?", "{woken:?}");
    assert_eq!(woken.body[0]["bot"], true, "{woken:?}");
}
