//! Read markers across nodes: a marker moved through one node reaches the account's sockets on
//! another (its inbox travels by fan-out), and the unread and mention counts any node gives
//! follow the one marker kept in Redis.

use super::Person;
use crate::{node, redis::Redis};
use serde_json::{Value, json};

/// `room`'s entry in `GET /api/rooms` on `node` as `person`.
async fn summary(node: &crate::Node, person: &Person, room: &str) -> Value {
    let reply = person.call(node, "GET", "/api/rooms", None).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|summary| summary["room"] == room)
        .unwrap_or_else(|| panic!("#{room} listed: {reply:?}"))
        .clone()
}

#[tokio::test]
async fn a_marker_moved_through_one_node_reaches_the_accounts_socket_on_another() {
    let redis = Redis::start().await;
    let a = node(&redis, "a", &[]).await;
    let b = node(&redis, "b", &[]).await;
    let ada = Person::sign_up(&a, "ada").await;
    // Her "other tab": a socket on B, in another room (markers go to the person, not the room).
    let (mut other_tab, _) = ada.join(&b, "elsewhere").await;
    for text in [
        "hello all",
        "@ada look at this",
        "and this",
        "@adam is not her",
    ] {
        let body = json!({"username": "bob", "message": text});
        let reply = b
            .call("POST", "/api/rooms/lounge/messages", &[], Some(body))
            .await;
        assert_eq!(reply.status, 201, "{reply:?}");
    }
    let own = ada
        .call(
            &a,
            "POST",
            "/api/rooms/lounge/messages",
            Some(json!({"message": "mine is never unread"})),
        )
        .await;
    assert_eq!(own.body["id"], 5, "{own:?}");

    let marked = ada
        .call(&a, "PUT", "/api/rooms/lounge/read", Some(json!({"id": 1})))
        .await;
    assert_eq!((marked.status, &marked.body), (200, &json!({"id": 1})));
    let notice = other_tab.recv_type("read_marker").await;
    assert_eq!(
        notice,
        json!({"type": "read_marker", "room": "lounge", "id": 1})
    );
    let counts = summary(&b, &ada, "lounge").await;
    assert_eq!(
        (&counts["unread"], &counts["mentions"]),
        (&json!(3), &json!(1)),
        "2, 3 and 4 are unread, 3 mentions her, 5 is hers: {counts}"
    );

    // Only forward: an older id through B leaves it; a later one moves it, capped at the
    // newest id, and A's sockets and counts agree.
    let back = ada
        .call(&b, "PUT", "/api/rooms/lounge/read", Some(json!({"id": 0})))
        .await;
    assert_eq!((back.status, &back.body), (200, &json!({"id": 1})));
    let ahead = ada
        .call(
            &b,
            "PUT",
            "/api/rooms/lounge/read",
            Some(json!({"id": 999})),
        )
        .await;
    assert_eq!((ahead.status, &ahead.body), (200, &json!({"id": 5})));
    let notice = other_tab.recv_type("read_marker").await;
    let notice = if notice["id"] == 1 {
        other_tab.recv_type("read_marker").await
    } else {
        notice
    };
    assert_eq!(notice["id"], 5, "{notice}");
    let counts = summary(&a, &ada, "lounge").await;
    assert_eq!(
        (&counts["unread"], &counts["mentions"]),
        (&json!(0), &json!(0))
    );
    let settings = ada
        .call(&a, "GET", "/api/rooms/lounge/settings", None)
        .await;
    assert_eq!(settings.body["read"], 5, "{settings:?}");
}
