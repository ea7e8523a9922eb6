//! The attacker's side of the server API: who may not manage keys (a guest, a person who is
//! not an admin, a key itself), where a key is not accepted (a URL, a cookie, the socket, the
//! account routes), a revoked or forged key, bad key requests, a key reaching into people's
//! direct messages, and a key's secret in the server's log.

use crate::{
    api_keys::{as_key, make_key},
    cast::{Person, staffed},
    support::{Client, Server},
};
use chinwag_shared::account::ACCESS_TOKEN_PARAM;
use serde_json::json;

#[tokio::test]
async fn only_a_signed_in_site_admin_manages_keys() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let bob = Person::sign_up(&server, "bob").await;
    let (key, created) = make_key(&server, &ada, &["publish", "read", "moderate", "rooms"]).await;
    let body = Some(json!({"name": "mine", "scopes": ["publish"]}));
    let id = created["id"].as_str().unwrap();
    let delete = format!("/api/keys/{id}");
    for (method, path) in [
        ("POST", "/api/keys"),
        ("GET", "/api/keys"),
        ("DELETE", delete.as_str()),
    ] {
        let reply = server.call(method, path, &[], body.clone()).await;
        assert_eq!(
            (reply.status, reply.code()),
            (401, "unauthenticated"),
            "guest {path}: {reply:?}"
        );
        let reply = bob.call(&server, method, path, body.clone()).await;
        assert_eq!(
            (reply.status, reply.code()),
            (403, "forbidden"),
            "bob {path}: {reply:?}"
        );
        let reply = as_key(&server, &key, method, path, body.clone()).await;
        assert_eq!(
            (reply.status, reply.code()),
            (403, "forbidden"),
            "key {path}: {reply:?}"
        );
    }
    // A personal access token of the admin works like the session.
    let token = ada
        .call(&server, "POST", "/api/tokens", Some(json!({"name": "cli"})))
        .await;
    let bearer = format!("Bearer {}", token.body["token"].as_str().unwrap());
    let reply = server
        .call("POST", "/api/keys", &[("authorization", &bearer)], body)
        .await;
    assert_eq!(reply.status, 201, "{reply:?}");
}

#[tokio::test]
async fn bad_key_requests_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    for (body, says) in [
        (json!({"name": "x", "scopes": []}), "scope"),
        (json!({"name": "x", "scopes": ["admin"]}), "admin"),
        (json!({"name": "", "scopes": ["read"]}), "name"),
        (json!({"name": "a\u{7}b", "scopes": ["read"]}), "name"),
        (json!({"name": "x".repeat(500), "scopes": ["read"]}), "name"),
        (json!({"scopes": ["read"]}), "name"),
    ] {
        let reply = ada
            .call(&server, "POST", "/api/keys", Some(body.clone()))
            .await;
        assert_eq!(reply.status, 400, "{body}: {reply:?}");
        assert!(
            reply.body["detail"]
                .as_str()
                .unwrap_or_default()
                .contains(says),
            "{body}: {reply:?}"
        );
    }
    let reply = ada.call(&server, "DELETE", "/api/keys/0000", None).await;
    assert_eq!(reply.status, 404, "{reply:?}");
    let listed = ada.call(&server, "GET", "/api/keys", None).await;
    assert_eq!(listed.body, json!([]), "nothing was made: {listed:?}");
}

#[tokio::test]
async fn a_key_is_no_person_and_is_taken_only_from_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let (key, _) = make_key(&server, &ada, &["publish", "read", "moderate", "rooms"]).await;
    for (method, path) in [
        ("GET", "/api/me"),
        ("GET", "/api/tokens"),
        ("POST", "/api/tokens"),
        ("DELETE", "/api/session"),
        ("DELETE", "/api/sessions"),
        ("PUT", "/api/password"),
        ("GET", "/api/me/rooms"),
    ] {
        let body = json!({"name": "x", "current": "a password", "new": "another password"});
        let reply = as_key(&server, &key, method, path, Some(body)).await;
        assert_eq!(
            (reply.status, reply.code()),
            (403, "forbidden"),
            "{method} {path}: {reply:?}"
        );
        assert!(
            reply.body["detail"]
                .as_str()
                .unwrap()
                .contains("not a person"),
            "{reply:?}"
        );
    }
    // In a URL (access logs keep those) it is refused; in a cookie it is nobody.
    let path = format!("/api/rooms/plaza/messages?{ACCESS_TOKEN_PARAM}={key}");
    let (status, _) = server.get_json(&path).await;
    assert_eq!(status, 401);
    let cookie = format!("chinwag_session={key}");
    let reply = server
        .call(
            "POST",
            "/api/rooms/plaza/messages",
            &[("cookie", &cookie)],
            Some(json!({"message": "as who?"})),
        )
        .await;
    assert_eq!(reply.code(), "username_required", "a guest: {reply:?}");
    // The socket is for people.
    let bearer = format!("Bearer {key}");
    let refused = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
        server.ws_url("?room=plaza"),
    )
    .map(|mut request| {
        request
            .headers_mut()
            .insert("authorization", bearer.parse().unwrap());
        request
    })
    .unwrap();
    let err = tokio_tungstenite::connect_async(refused).await.unwrap_err();
    assert!(err.to_string().contains("403"), "{err}");
    // A forged key is unknown.
    let forged = format!("cwk_{}", "A".repeat(43));
    let reply = as_key(&server, &forged, "GET", "/api/rooms/plaza/messages", None).await;
    assert_eq!(
        (reply.status, reply.code()),
        (401, "unauthenticated"),
        "{reply:?}"
    );
}

#[tokio::test]
async fn a_key_never_enters_a_direct_message() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let bob = Person::sign_up(&server, "bob").await;
    let dm = ada
        .call(
            &server,
            "POST",
            "/api/dms",
            Some(json!({"username": "bob"})),
        )
        .await;
    assert_eq!(dm.status, 200, "{dm:?}");
    let room = dm.body["room"].as_str().unwrap().to_owned();
    bob.post(&server, &room, "just between us").await;
    let (key, _) = make_key(&server, &ada, &["publish", "read", "moderate", "rooms"]).await;
    for (method, path, body) in [
        ("GET", format!("/api/rooms/{room}/messages"), None),
        ("GET", format!("/api/rooms/{room}/presence"), None),
        (
            "POST",
            format!("/api/rooms/{room}/messages"),
            Some(json!({"message": "hi"})),
        ),
        ("PUT", format!("/api/rooms/{room}/members/ada"), None),
    ] {
        let reply = as_key(&server, &key, method, &path, body).await;
        assert_eq!(reply.status, 403, "{method} {path}: {reply:?}");
        assert!(!reply.body.to_string().contains("between us"), "{reply:?}");
    }
}

#[tokio::test]
async fn a_keys_secret_never_reaches_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let (server, stderr) = Server::start_logging(
        dir.path(),
        "127.0.0.1:0",
        &crate::support::NO_RATE_LIMIT,
        Some("debug"),
    )
    .await;
    let ada = Person::sign_up(&server, "ada").await;
    crate::cast::grant_admin(dir.path(), "ada").await;
    crate::cast::until_role(&server, &ada, "lobby", "admin").await;
    let (key, created) = make_key(&server, &ada, &["publish", "moderate"]).await;
    let (mut watcher, _) = Client::join(&server.ws_url("?room=plaza&username=w")).await;
    let posted = as_key(
        &server,
        &key,
        "POST",
        "/api/rooms/plaza/messages",
        Some(json!({"username": "bot", "message": "hi"})),
    )
    .await;
    assert_eq!(posted.status, 201, "{posted:?}");
    watcher.recv_type("chat").await;
    as_key(&server, &key, "PUT", "/api/rooms/plaza/mutes/w", None).await;
    let id = created["id"].as_str().unwrap();
    ada.call(&server, "DELETE", &format!("/api/keys/{id}"), None)
        .await;
    as_key(&server, &key, "GET", "/api/rooms/plaza/messages", None).await;
    assert!(server.terminate().await.success());
    let log = stderr.finish().await;
    let digest = chinwag_backend::auth::secret::digest(&key);
    assert!(log.text.contains("api key created"), "the act is logged");
    assert!(
        !log.text.contains(&key[4..]),
        "the secret is not in the log"
    );
    assert!(!log.text.contains(&digest), "nor its digest");
}
