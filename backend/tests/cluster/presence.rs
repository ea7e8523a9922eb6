//! Presence is cluster-wide, and a dead node's users disappear within seconds.

use crate::{node, redis::Redis, support::Client};
use std::time::Duration;

#[tokio::test]
async fn presence_spans_nodes_and_a_killed_nodes_users_leave() {
    let redis = Redis::start().await;
    let a = node(&redis, "a", &[]).await;
    let b = node(&redis, "b", &[]).await;
    let (mut alice, _) = Client::join(&a.ws_url("?room=p&username=alice")).await;
    // Her own arrival comes back through Redis: from here on it is recorded there.
    alice.recv_user_event("user_joined", "alice").await;

    let (mut bob, frames) = Client::join(&b.ws_url("?room=p&username=bob")).await;
    let presence = bob.recv_type("presence").await;
    assert_eq!(
        presence["users"],
        serde_json::json!(["alice", "bob"]),
        "{frames:?}"
    );
    bob.recv_user_event("user_joined", "bob").await;
    alice.recv_user_event("user_joined", "bob").await;
    let (_, users) = a.get_json("/api/rooms/p/presence").await;
    assert_eq!(users, serde_json::json!(["alice", "bob"]));

    // A second tab of bob's on the other node is not a new arrival, and its closing is not a
    // departure.
    let (tab, _) = Client::join(&a.ws_url("?room=p&username=bob")).await;
    drop(tab);

    a.server.kill().await;
    // The lease lapses (10 s) and the next sweep (every 3 s) announces it.
    let limit = Duration::from_secs(20);
    loop {
        let event = bob
            .recv_within(limit)
            .await
            .expect("bob's socket stays open");
        match event["type"].as_str() {
            Some("user_left") if event["username"] == "alice" => break,
            Some("user_left") => panic!("only alice left: {event}"),
            Some("user_joined") => panic!("nobody arrived: {event}"),
            _ => {}
        }
    }
    let (_, users) = b.get_json("/api/rooms/p/presence").await;
    assert_eq!(users, serde_json::json!(["bob"]));
}
