//! The server API for backends: a site admin makes a scoped key (shown once, listed without
//! its secret, revocable), and a backend calls with `Authorization: Bearer cwk_…` through
//! the same hub paths as every socket: a bot's post reaches the room's sockets marked as a
//! bot's, retries with one `client_id` store one record, and the key's calls are open exactly
//! as far as its scopes.

use crate::{
    cast::{Person, staffed},
    support::{Client, Reply, Server},
};
use serde_json::{Value, json};

/// A key made by `admin` with `scopes`: its secret and its listing.
pub async fn make_key(server: &Server, admin: &Person, scopes: &[&str]) -> (String, Value) {
    let reply = admin
        .call(
            server,
            "POST",
            "/api/keys",
            Some(json!({"name": "billing backend", "scopes": scopes})),
        )
        .await;
    assert_eq!(reply.status, 201, "{reply:?}");
    let key = reply.body["key"].as_str().unwrap().to_owned();
    (key, reply.body)
}

/// `method path` with `key` as the bearer credential.
pub async fn as_key(
    server: &Server,
    key: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let bearer = format!("Bearer {key}");
    server
        .call(method, path, &[("authorization", &bearer)], body)
        .await
}

#[tokio::test]
async fn an_admin_makes_a_key_shown_once_listed_without_its_secret_and_revocable() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let (key, created) = make_key(&server, &ada, &["publish", "read", "publish"]).await;
    assert!(key.starts_with("cwk_"), "{created}");
    assert_eq!(created["name"], "billing backend");
    assert_eq!(
        created["scopes"],
        json!(["publish", "read"]),
        "sorted, once"
    );
    assert_eq!(created["created_by"], "ada");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 16, "{created}");

    let listed = ada.call(&server, "GET", "/api/keys", None).await;
    assert_eq!(listed.status, 200, "{listed:?}");
    assert_eq!(listed.body.as_array().unwrap().len(), 1, "{listed:?}");
    assert_eq!(listed.body[0]["id"], id.as_str());
    assert!(
        listed.body[0].get("key").is_none() && !listed.body.to_string().contains(&key[4..]),
        "a listing never holds the secret: {listed:?}"
    );

    let reply = as_key(&server, &key, "GET", "/api/rooms/plaza/messages", None).await;
    assert_eq!(reply.status, 200, "the key works: {reply:?}");

    let revoked = ada
        .call(&server, "DELETE", &format!("/api/keys/{id}"), None)
        .await;
    assert_eq!(revoked.status, 204, "{revoked:?}");
    let again = ada
        .call(&server, "DELETE", &format!("/api/keys/{id}"), None)
        .await;
    assert_eq!(again.status, 404, "{again:?}");
    let reply = as_key(&server, &key, "GET", "/api/rooms/plaza/messages", None).await;
    assert_eq!(
        (reply.status, reply.code()),
        (401, "unauthenticated"),
        "revoked at once on this node: {reply:?}"
    );
    let listed = ada.call(&server, "GET", "/api/keys", None).await;
    assert_eq!(listed.body, json!([]), "{listed:?}");
}

#[tokio::test]
async fn a_bot_post_reaches_another_clients_socket_marked_as_a_bots() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let (key, _) = make_key(&server, &ada, &["publish"]).await;
    let (mut watcher, _) = Client::join(&server.ws_url("?room=plaza&username=watcher")).await;

    let posted = as_key(
        &server,
        &key,
        "POST",
        "/api/rooms/plaza/messages",
        Some(json!({"username": "newsbot", "message": "build 42 is green"})),
    )
    .await;
    assert_eq!(posted.status, 201, "{posted:?}");
    assert_eq!(
        (
            &posted.body["username"],
            &posted.body["bot"],
            &posted.body["guest"]
        ),
        (&json!("newsbot"), &json!(true), &json!(false)),
        "{posted:?}"
    );
    let frame = watcher.recv_type("chat").await;
    assert_eq!(frame["message"], "build 42 is green", "{frame}");
    assert_eq!(frame["bot"], true, "{frame}");
    assert_eq!(frame["username"], "newsbot", "{frame}");

    // Without a username, the system speaks.
    let system = as_key(
        &server,
        &key,
        "POST",
        "/api/rooms/plaza/messages",
        Some(json!({"message": "maintenance at noon"})),
    )
    .await;
    assert_eq!(system.status, 201, "{system:?}");
    let frame = watcher.recv_type("chat").await;
    assert_eq!(
        (&frame["username"], &frame["bot"]),
        (&json!("system"), &json!(true)),
        "{frame}"
    );

    // A person's message is unmarked, on the socket and in history.
    ada.post(&server, "plaza", "thanks").await;
    let frame = watcher.recv_type("chat").await;
    assert!(frame.get("bot").is_none(), "{frame}");
    let (status, history) = server.get_json("/api/rooms/plaza/messages").await;
    assert_eq!(status, 200);
    let flags: Vec<bool> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|record| record["bot"] == true)
        .collect();
    assert_eq!(
        flags,
        [true, true, false],
        "stored with the flag: {history}"
    );
}

#[tokio::test]
async fn a_retry_with_the_same_client_id_gives_the_same_record_and_no_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let (key, _) = make_key(&server, &ada, &["publish"]).await;
    let body = json!({"username": "deploybot", "message": "deployed", "client_id": "deploy-7"});
    let path = "/api/rooms/ops/messages";
    let first = as_key(&server, &key, "POST", path, Some(body.clone())).await;
    assert_eq!(first.status, 201, "{first:?}");
    let retry = as_key(&server, &key, "POST", path, Some(body)).await;
    assert_eq!(
        retry.status, 200,
        "a retry is answered, not stored: {retry:?}"
    );
    assert_eq!(retry.body["id"], first.body["id"]);
    assert_eq!(retry.body["client_id"], "deploy-7");
    let other = as_key(
        &server,
        &key,
        "POST",
        path,
        Some(json!({"username": "deploybot", "message": "other", "client_id": "deploy-7"})),
    )
    .await;
    assert_eq!(
        (other.status, other.code()),
        (409, "client_id_reused"),
        "{other:?}"
    );
    let (_, history) = server.get_json("/api/rooms/ops/messages").await;
    assert_eq!(history.as_array().unwrap().len(), 1, "{history}");
}

#[tokio::test]
async fn a_bot_may_not_take_an_accounts_name_or_the_systems() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let (key, _) = make_key(&server, &ada, &["publish"]).await;
    for name in ["ada", "ADA", "system", "System"] {
        let reply = as_key(
            &server,
            &key,
            "POST",
            "/api/rooms/plaza/messages",
            Some(json!({"username": name, "message": "I am ada"})),
        )
        .await;
        assert_eq!(
            (reply.status, reply.code()),
            (409, "username_taken"),
            "{name}: {reply:?}"
        );
    }
    let (_, history) = server.get_json("/api/rooms/plaza/messages").await;
    assert_eq!(history, json!([]), "nothing stored");
}

#[tokio::test]
async fn each_scope_opens_its_calls_and_no_other() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    ada.post(&server, "plaza", "hello").await;
    let (publish, _) = make_key(&server, &ada, &["publish"]).await;
    let (read, _) = make_key(&server, &ada, &["read"]).await;
    let post = Some(json!({"username": "bot", "message": "hi"}));
    let reply = as_key(
        &server,
        &read,
        "POST",
        "/api/rooms/plaza/messages",
        post.clone(),
    )
    .await;
    assert_eq!(
        (reply.status, reply.code()),
        (403, "forbidden"),
        "{reply:?}"
    );
    assert!(
        reply.body["detail"].as_str().unwrap().contains("publish"),
        "names the scope: {reply:?}"
    );
    for path in ["/api/rooms/plaza/messages", "/api/rooms/plaza/presence"] {
        let reply = as_key(&server, &publish, "GET", path, None).await;
        assert_eq!(
            (reply.status, reply.code()),
            (403, "forbidden"),
            "{path}: {reply:?}"
        );
        let reply = as_key(&server, &read, "GET", path, None).await;
        assert_eq!(reply.status, 200, "{path}: {reply:?}");
    }
    let reply = as_key(&server, &publish, "POST", "/api/rooms/plaza/messages", post).await;
    assert_eq!(reply.status, 201, "{reply:?}");
}
