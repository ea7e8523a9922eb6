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

/// Polls `node`'s presence list of `room` until it counts `count` (bounded): each node's
/// arrivals reach Redis through its presence task, a moment after the join.
async fn until_counted(node: &crate::Node, room: &str, count: u64) {
    let path = format!("/api/rooms/{room}/presence?limit=1");
    for _ in 0..100 {
        let reply = node.call("GET", &path, &[], None).await;
        if reply.header("chinwag-presence-count") == Some(count.to_string().as_str()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{room} never counted {count}");
}

#[tokio::test]
async fn a_big_rooms_count_and_diffs_span_nodes_though_each_node_holds_few() {
    let redis = Redis::start().await;
    // Big above three; a window long enough for a few joins in a row.
    let flags = ["--presence-list-max", "3", "--presence-diff-ms", "4000"];
    let a = node(&redis, "a", &flags).await;
    let b = node(&redis, "b", &flags).await;
    let mut held = Vec::new();
    for (node, name) in [(&a, "m1"), (&a, "m2"), (&b, "n1"), (&b, "n2")] {
        held.push(Client::join(&node.ws_url(&format!("?room=big&username={name}"))).await);
    }
    until_counted(&b, "big", 4).await;

    // Node b holds three names, but the room holds five.
    let (mut watcher, _) = Client::join(&b.ws_url("?room=big&username=watcher")).await;
    let presence = watcher.recv_type("presence").await;
    assert_eq!(presence["count"], 5, "{presence}");
    assert_eq!(presence["users"], serde_json::json!(["m1", "m2", "n1"]));

    for name in ["x1", "x2"] {
        held.push(Client::join(&a.ws_url(&format!("?room=big&username={name}"))).await);
    }
    // Everyone's arrival, the watcher's own included, reaches it in diffs, never one by one.
    let mut arrived = Vec::new();
    let mut count = 0;
    for _ in 0..5 {
        if arrived.iter().any(|name| name == "x1") && arrived.iter().any(|name| name == "x2") {
            break;
        }
        let frame = watcher
            .recv_within(Duration::from_secs(15))
            .await
            .expect("the watcher's socket stays open");
        match frame["type"].as_str() {
            Some("presence_diff") => {
                count = frame["count"].as_u64().unwrap();
                arrived.extend(
                    frame["arrived"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|name| name.as_str().unwrap().to_owned()),
                );
            }
            Some("user_joined" | "user_left") => panic!("a big room sends diffs: {frame}"),
            _ => {}
        }
    }
    assert!(arrived.iter().any(|name| name == "x1"), "{arrived:?}");
    assert!(arrived.iter().any(|name| name == "x2"), "{arrived:?}");
    assert_eq!(count, 7, "the count spans both nodes");
}
