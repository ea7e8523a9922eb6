//! Identity across nodes: an account, its session, its name and its private rooms are one
//! directory in Redis, so whatever one node does, every other node knows at once. Signed up on
//! A, signed in on B; a name (or a look-alike) taken on A is taken on B; a private room made on
//! A admits only its members on B, by HTTP and WebSocket alike; a member removed on A leaves
//! the room on the live socket they hold on B.

use crate::{Node, node, redis::Redis, support::http_agent};
use chinwag_shared::account::{ACCESS_TOKEN_PARAM, SESSION_COOKIE};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";

/// All Cyrillic `аӏісе`: passes the one-script rule, folds to `alice`'s key.
const CYRILLIC_ALICE: &str = "\u{430}\u{4CF}\u{456}\u{441}\u{435}";

/// A signed-in account: the session secret its cookie carries.
struct Session(String);

impl Session {
    fn cookie(&self) -> String {
        format!("{SESSION_COOKIE}={}", self.0)
    }

    /// The query that signs a WebSocket in (a browser's socket sends the cookie; a test
    /// client passes the same secret as the access-token parameter).
    fn query(&self, room: &str) -> String {
        format!("?room={room}&{ACCESS_TOKEN_PARAM}={}", self.0)
    }
}

/// One HTTP request to `node`: `method path`, with `session`'s cookie and a JSON `body` if
/// given; the status, the JSON body (`null` if none) and the session a `Set-Cookie` started.
async fn request(
    node: &Node,
    method: &'static str,
    path: &str,
    session: Option<&Session>,
    body: Option<Value>,
) -> (u16, Value, Option<Session>) {
    let url = node.http_url(path);
    let cookie = session.map(Session::cookie);
    tokio::task::spawn_blocking(move || {
        let agent = http_agent();
        let mut request = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(cookie) = &cookie {
            request = request.header("cookie", cookie);
        }
        let sent = match body {
            Some(body) => agent.run(
                request
                    .header("content-type", "application/json")
                    .body(body.to_string())
                    .unwrap(),
            ),
            None => agent.run(request.body(()).unwrap()),
        };
        let mut response = sent.expect("http request");
        let started = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|header| header.to_str().ok())
            .filter_map(|header| header.strip_prefix(&format!("{SESSION_COOKIE}=")))
            .filter_map(|rest| rest.split(';').next())
            .find(|secret| !secret.is_empty())
            .map(|secret| Session(secret.to_owned()));
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().expect("body");
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("json")
        };
        (status, json, started)
    })
    .await
    .expect("http task")
}

/// `POST /api/accounts` for `name` on `node`: the status and the error code, if any.
async fn try_sign_up(node: &Node, name: &str) -> (u16, Value) {
    let body = json!({"username": name, "password": PASSWORD});
    let (status, answer, _) = request(node, "POST", "/api/accounts", None, Some(body)).await;
    (status, answer["code"].clone())
}

/// Signs `name` up on `node`, which must accept it.
async fn sign_up(node: &Node, name: &str) -> Session {
    let body = json!({"username": name, "password": PASSWORD});
    let (status, answer, session) = request(node, "POST", "/api/accounts", None, Some(body)).await;
    assert_eq!(status, 201, "{answer}");
    session.expect("sign-up starts a session")
}

/// `owner` makes private `room` on `node` and adds `members`.
async fn private_room(node: &Node, owner: &Session, room: &str, members: &[&str]) {
    let body = json!({"name": room, "private": true});
    let (status, answer, _) = request(node, "POST", "/api/rooms", Some(owner), Some(body)).await;
    assert_eq!(status, 201, "{answer}");
    for member in members {
        let path = format!("/api/rooms/{room}/members/{member}");
        let (status, answer, _) = request(node, "PUT", &path, Some(owner), None).await;
        assert_eq!(status, 204, "adding {member}: {answer}");
    }
}

/// `GET` the history of `room` on `node` as `session`: the status and the error code.
async fn history(node: &Node, room: &str, session: &Session) -> (u16, Value) {
    let path = format!("/api/rooms/{room}/messages");
    let (status, answer, _) = request(node, "GET", &path, Some(session), None).await;
    (status, answer["code"].clone())
}

#[tokio::test]
async fn an_account_signed_up_on_one_node_is_signed_in_on_another() {
    let redis = Redis::start().await;
    let a = node(&redis, "a", &[]).await;
    let b = node(&redis, "b", &[]).await;

    let (status, _, _) = request(&b, "GET", "/api/me", None, None).await;
    assert_eq!(status, 401, "a guest is nobody");
    let alice = sign_up(&a, "Alice").await;
    let (status, me, _) = request(&b, "GET", "/api/me", Some(&alice), None).await;
    assert_eq!((status, &me["username"]), (200, &json!("Alice")), "{me}");

    let body = json!({"username": "alice", "password": PASSWORD});
    let (status, me, again) = request(&b, "POST", "/api/session", None, Some(body)).await;
    assert_eq!((status, &me["username"]), (200, &json!("Alice")), "{me}");
    let again = again.expect("sign-in starts a session");
    let (status, me, _) = request(&a, "GET", "/api/me", Some(&again), None).await;
    assert_eq!((status, &me["username"]), (200, &json!("Alice")));

    let (status, _, _) = request(&b, "DELETE", "/api/session", Some(&alice), None).await;
    assert_eq!(status, 204);
    let (status, _, _) = request(&b, "GET", "/api/me", Some(&alice), None).await;
    assert_eq!(status, 401, "signed out on B is signed out there at once");
    // A trusts what it checked for at most the session cache's lifetime (it cached Alice's
    // session when she signed up there): within that, and a margin, it asks the store again.
    let deadline = std::time::Instant::now()
        + chinwag_backend::auth::SESSION_CACHE_TTL
        + std::time::Duration::from_secs(3);
    loop {
        let (status, _, _) = request(&a, "GET", "/api/me", Some(&alice), None).await;
        if status == 401 {
            break;
        }
        assert_eq!(status, 200, "still signed in from A's cache, or out");
        assert!(
            std::time::Instant::now() < deadline,
            "signed out on B is signed out on A within the cache's lifetime"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn a_name_taken_on_one_node_is_taken_on_another_look_alikes_included() {
    let redis = Redis::start().await;
    let a = node(&redis, "a", &[]).await;
    let b = node(&redis, "b", &[]).await;

    sign_up(&a, "alice").await;
    for taken in ["alice", "ALICE", CYRILLIC_ALICE] {
        assert_eq!(
            try_sign_up(&b, taken).await,
            (409, json!("username_taken")),
            "{taken}"
        );
    }
    assert_eq!(try_sign_up(&b, "bob").await.0, 201);
}

#[tokio::test]
async fn a_private_room_made_on_one_node_admits_only_its_members_on_another() {
    let redis = Redis::start().await;
    let a = node(&redis, "a", &[]).await;
    let b = node(&redis, "b", &[]).await;
    let alice = sign_up(&a, "alice").await;
    let bob = sign_up(&b, "bob").await;
    let carol = sign_up(&b, "carol").await;
    private_room(&a, &alice, "secret", &["bob"]).await;

    let body = json!({"name": "secret", "private": true});
    let (status, answer, _) = request(&b, "POST", "/api/rooms", Some(&bob), Some(body)).await;
    assert_eq!((status, &answer["code"]), (409, &json!("room_exists")));

    assert_eq!(
        history(&b, "secret", &carol).await,
        (403, json!("forbidden"))
    );
    assert_eq!(history(&b, "secret", &bob).await.0, 200);

    let (mut outsider, _) = crate::support::Client::join(&b.ws_url(&carol.query("lobby"))).await;
    outsider
        .send_json(json!({"type": "join", "room": "secret"}))
        .await;
    let refused = outsider.recv_type("error").await;
    assert_eq!(
        (&refused["code"], &refused["room"]),
        (&json!("forbidden"), &json!("secret"))
    );
    let (mut member, frames) = crate::support::Client::join(&b.ws_url(&bob.query("secret"))).await;
    assert_eq!(frames.last().unwrap()["room"], "secret", "{frames:?}");
    let posted = member.post("secret", "bob", "only for members").await;
    assert_eq!(posted["id"], 1, "{posted}");

    let (_, rooms, _) = request(&a, "GET", "/api/rooms", None, None).await;
    let listed: Vec<&Value> = rooms
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["room"])
        .collect();
    assert!(!listed.contains(&&json!("secret")), "{rooms}");
    let (_, mine, _) = request(&a, "GET", "/api/me/rooms", Some(&bob), None).await;
    assert_eq!(mine[0]["room"], "secret", "{mine}");
    assert_eq!(mine[0]["last_id"], 1, "{mine}");
}

#[tokio::test]
async fn a_member_removed_on_one_node_leaves_the_room_on_their_socket_on_another() {
    let redis = Redis::start().await;
    let a = node(&redis, "a", &[]).await;
    let b = node(&redis, "b", &[]).await;
    let alice = sign_up(&a, "alice").await;
    let bob = sign_up(&b, "bob").await;
    private_room(&a, &alice, "secret", &["bob"]).await;
    let (mut member, _) = crate::support::Client::join(&b.ws_url(&bob.query("secret"))).await;

    let (status, answer, _) = request(
        &a,
        "DELETE",
        "/api/rooms/secret/members/bob",
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(status, 204, "{answer}");

    let frames = member.recv_through("left").await;
    let [.., notice, left] = &frames[..] else {
        panic!("a notice, then left: {frames:?}");
    };
    assert_eq!(
        (&notice["type"], &notice["code"], &notice["room"]),
        (&json!("error"), &json!("forbidden"), &json!("secret")),
        "{frames:?}"
    );
    assert_eq!(left["room"], "secret");
    assert_eq!(history(&b, "secret", &bob).await, (403, json!("forbidden")));
}
