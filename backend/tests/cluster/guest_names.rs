//! A guest's name in a room is held for the whole cluster: a second guest on another node is
//! refused it, by its look-alikes too, over the socket and over HTTP; the same browser (its
//! token) keeps it on any node; and a dead node's guests let their names go.

use crate::{cluster_node, node, redis::Redis, redis_cluster::RedisCluster, support::Client};
use serde_json::json;

/// Joins `room` on `url`'s node and returns the first error code, or "joined".
async fn join_outcome(url: &str) -> String {
    let mut client = Client::connect(url).await;
    loop {
        let frame = client.recv().await;
        match frame["type"].as_str() {
            Some("joined") => return "joined".to_owned(),
            Some("error") => return frame["code"].as_str().unwrap().to_owned(),
            _ => {}
        }
    }
}

#[tokio::test]
async fn a_guest_name_held_on_one_node_is_refused_on_another() {
    let redis = Redis::start().await;
    let a = node(&redis, "a", &[]).await;
    let b = node(&redis, "b", &[]).await;
    let (_ada, _) = Client::join(&a.ws_url("?room=den&username=ada&token=t-ada")).await;

    // Another browser on the other node: refused, look-alike included.
    let other = join_outcome(&b.ws_url("?room=den&username=ada&token=t-other")).await;
    assert_eq!(other, "username_taken");
    let look_alike = join_outcome(&b.ws_url("?room=den&username=Ada&token=t-other")).await;
    assert_eq!(look_alike, "username_taken");
    // Not in another room: a name is held per room.
    let elsewhere = join_outcome(&b.ws_url("?room=hall&username=ada&token=t-other")).await;
    assert_eq!(elsewhere, "joined");

    // A tokenless client (the seed page) on the other node cannot speak as ada...
    let (mut seed, _) = Client::join(&b.ws_url("?room=den")).await;
    seed.send_json(
        json!({"type":"send","room":"den","username":"ada","message":"hi","client_id":"s1"}),
    )
    .await;
    let refused = seed.recv_type("error").await;
    assert_eq!(refused["code"], "username_taken", "{refused}");
    // ...nor post as ada over HTTP there.
    let body = json!({"username": "ada", "message": "hi"});
    let (status, reply) = b.post_json("/api/rooms/den/messages", body, &[]).await;
    assert_eq!(status, 409, "{reply}");

    // The same browser keeps its name through the other node.
    let same = join_outcome(&b.ws_url("?room=den&username=ada&token=t-ada")).await;
    assert_eq!(same, "joined");
}

#[tokio::test]
async fn a_dead_nodes_guests_let_their_names_go() {
    let redis = Redis::start().await;
    let a = node(&redis, "a", &[]).await;
    let b = node(&redis, "b", &[]).await;
    let (_ada, _) = Client::join(&a.ws_url("?room=den&username=ada&token=t-ada")).await;
    assert_eq!(
        join_outcome(&b.ws_url("?room=den&username=ada&token=t-other")).await,
        "username_taken"
    );
    a.server.kill().await;
    // The lease (10 s) lapses with nobody renewing it; bounded polling, not a sleep.
    let mut outcome = String::new();
    for _ in 0..30 {
        outcome = join_outcome(&b.ws_url("?room=den&username=ada&token=t-other")).await;
        if outcome == "joined" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert_eq!(
        outcome, "joined",
        "a dead node's guest name was never freed"
    );
}

#[tokio::test]
async fn on_a_redis_cluster_a_guest_name_is_held_across_nodes() {
    let cluster = RedisCluster::start().await;
    let a = cluster_node(&cluster, "a", &[]).await;
    let b = cluster_node(&cluster, "b", &[]).await;
    let (_ada, _) = Client::join(&a.ws_url("?room=den&username=ada&token=t-ada")).await;
    let other = join_outcome(&b.ws_url("?room=den&username=ada&token=t-other")).await;
    assert_eq!(other, "username_taken");
    let same = join_outcome(&b.ws_url("?room=den&username=ada&token=t-ada")).await;
    assert_eq!(same, "joined");
}

#[tokio::test]
async fn a_guest_name_is_free_on_every_node_once_its_holder_leaves() {
    let redis = Redis::start().await;
    let a = node(&redis, "a", &[]).await;
    let b = node(&redis, "b", &[]).await;
    let (mut watcher, _) = Client::join(&b.ws_url("?room=den&username=watcher")).await;
    let (holder, _) = Client::join(&a.ws_url("?room=den&username=bo&token=first")).await;
    watcher.recv_user_event("user_joined", "bo").await;
    drop(holder);
    watcher.recv_user_event("user_left", "bo").await;
    // Released as it left, not when its lease would lapse: bounded polling for the release,
    // well within the 10 s lease.
    let mut outcome = String::new();
    for _ in 0..20 {
        outcome = join_outcome(&b.ws_url("?room=den&username=bo&token=second")).await;
        if outcome == "joined" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        outcome, "joined",
        "the name was not released when its holder left"
    );
}
