//! The server API's keys across a cluster: a key made through one node is one entry of the
//! shared directory, so it calls through every node. A bot's post through node B reaches
//! sockets on both nodes marked as a bot's; a retry through node A with the same `client_id`
//! is the same record; and a key revoked through A stops working through B within the
//! credential cache's lifetime.

use crate::{
    moderation::{Person, grant_admin, until_role},
    node,
    redis::Redis,
    support::{Client, Reply},
};
use chinwag_backend::auth::SESSION_CACHE_TTL;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// `method path` on `node` with `key` as the bearer credential.
async fn as_key(
    node: &crate::Node,
    key: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let bearer = format!("Bearer {key}");
    node.call(method, path, &[("authorization", &bearer)], body)
        .await
}

#[tokio::test]
async fn a_key_made_through_one_node_works_through_another_until_revoked() {
    let redis = Redis::start().await;
    let a = node(&redis, "a", &[]).await;
    let b = node(&redis, "b", &[]).await;
    let ada = Person::sign_up(&a, "ada").await;
    grant_admin(&redis, "ada").await;
    until_role(&a, &ada, "plaza", "admin").await;
    let created = ada
        .call(
            &a,
            "POST",
            "/api/keys",
            Some(json!({"name": "ci", "scopes": ["publish", "read"]})),
        )
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    let key = created.body["key"].as_str().unwrap().to_owned();
    let id = created.body["id"].as_str().unwrap().to_owned();
    let listed = ada.call(&b, "GET", "/api/keys", None).await;
    assert_eq!(listed.body[0]["id"], id.as_str(), "{listed:?}");

    let (mut on_a, _) = Client::join(&a.ws_url("?room=plaza&username=anne")).await;
    let (mut on_b, _) = Client::join(&b.ws_url("?room=plaza&username=bea")).await;
    let body =
        json!({"username": "cibot", "message": "release 1.2 is out", "client_id": "rel-1.2"});
    let posted = as_key(
        &b,
        &key,
        "POST",
        "/api/rooms/plaza/messages",
        Some(body.clone()),
    )
    .await;
    assert_eq!(posted.status, 201, "{posted:?}");
    for socket in [&mut on_a, &mut on_b] {
        let frame = socket.recv_type("chat").await;
        assert_eq!(
            (&frame["username"], &frame["bot"], &frame["message"]),
            (&json!("cibot"), &json!(true), &json!("release 1.2 is out")),
            "{frame}"
        );
    }
    let retry = as_key(&a, &key, "POST", "/api/rooms/plaza/messages", Some(body)).await;
    assert_eq!(
        retry.status, 200,
        "the same record through the other node: {retry:?}"
    );
    assert_eq!(retry.body["id"], posted.body["id"]);
    let page = as_key(&a, &key, "GET", "/api/rooms/plaza/messages", None).await;
    assert_eq!(page.body.as_array().unwrap().len(), 1, "{page:?}");
    assert_eq!(
        page.body[0]["bot"], true,
        "stored with the flag in Redis: {page:?}"
    );

    let revoked = ada
        .call(&a, "DELETE", &format!("/api/keys/{id}"), None)
        .await;
    assert_eq!(revoked.status, 204, "{revoked:?}");
    // Node B trusts what it checked for the credential cache's lifetime, no longer.
    let deadline = Instant::now() + SESSION_CACHE_TTL + Duration::from_secs(3);
    loop {
        let reply = as_key(&b, &key, "GET", "/api/rooms/plaza/messages", None).await;
        if (reply.status, reply.code()) == (401, "unauthenticated") {
            break;
        }
        assert_eq!(reply.status, 200, "{reply:?}");
        assert!(
            Instant::now() < deadline,
            "node B never refused the revoked key"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let reply = as_key(&a, &key, "GET", "/api/rooms/plaza/messages", None).await;
    assert_eq!(
        reply.status, 401,
        "at once through the node that revoked it: {reply:?}"
    );
}
