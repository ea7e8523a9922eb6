//! Redis outages: while Redis is frozen, sends are refused with `unavailable` (never a false
//! confirmation) and the node says it is not ready; afterwards everything recovers by itself.
//! If Redis comes back empty, clients are told their history is gone instead of seeing a gap.

use crate::{node, redis::Redis, support::Client, until_ready};
use serde_json::json;

#[tokio::test]
async fn a_frozen_redis_gets_unavailable_and_the_cluster_recovers_by_itself() {
    let redis = Redis::start().await;
    let a = node(&redis, "a", &["--redis-timeout-ms", "300"]).await;
    let b = node(&redis, "b", &["--redis-timeout-ms", "300"]).await;
    until_ready(&a, 200).await;
    let (mut client, _) = Client::join(&a.ws_url("?room=o&username=u")).await;
    let (mut watcher, _) = Client::join(&b.ws_url("?room=o")).await;
    for n in 1..=5 {
        client.post("o", "u", &format!("before {n}")).await;
    }

    redis.pause();
    client
        .send_json(json!({"type":"send","room":"o","message":"during","client_id":"during-1"}))
        .await;
    let refusal = client.recv_type("error").await;
    assert_eq!(refusal["code"], "unavailable");
    assert_eq!(refusal["client_id"], "during-1");
    let (status, body) = a.get_text("/readyz").await;
    assert_eq!(status, 503, "{body}");
    let (_, metrics) = a.get_text("/metrics").await;
    assert!(
        metrics.lines().any(|line| line == "chinwag_store_ready 0"),
        "{metrics}"
    );
    let (status, _) = a
        .post_json(
            "/api/rooms/o/messages",
            json!({"username":"h","message":"x"}),
            &[],
        )
        .await;
    assert_eq!(status, 503, "HTTP posts are refused too");

    redis.resume();
    until_ready(&a, 200).await;
    let (_, metrics) = a.get_text("/metrics").await;
    assert!(metrics.lines().any(|line| line == "chinwag_store_ready 1"));
    // The client retries what was refused, with the same client_id.
    client
        .send_json(json!({"type":"send","room":"o","message":"during","client_id":"during-1"}))
        .await;
    client.post("o", "u", "after").await;

    let (_, history) = b.get_json("/api/rooms/o/messages?after=0").await;
    let texts: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|record| record["message"].as_str().unwrap())
        .collect();
    let during = texts.iter().filter(|text| **text == "during").count();
    assert_eq!(during, 1, "stored exactly once: {texts:?}");
    for n in 1..=5 {
        assert!(texts.contains(&format!("before {n}").as_str()), "{texts:?}");
    }
    assert_eq!(texts.last(), Some(&"after"));
    let ids: Vec<u64> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>());

    // The other node's client saw the same, once each.
    let mut seen = Vec::new();
    while seen.len() < ids.len() {
        let frame = watcher.recv().await;
        if let Some(id) = frame["id"].as_u64() {
            seen.push(id);
        }
    }
    assert_eq!(seen, ids);
}

#[tokio::test]
async fn a_redis_that_comes_back_empty_resets_clients_instead_of_showing_a_gap() {
    let redis = Redis::start().await;
    let a = node(&redis, "a", &["--redis-timeout-ms", "300"]).await;
    let (mut stays, frames) = Client::join(&a.ws_url("?room=e")).await;
    let old_epoch = frames.last().unwrap()["epoch"].as_str().unwrap().to_owned();
    for n in 1..=3 {
        stays.post("e", "u", &format!("old {n}")).await;
    }

    let _redis = redis.restart_empty().await;
    until_ready(&a, 200).await;

    // A client resuming with the old epoch is told, then gets the (empty) new history.
    let query = format!("?room=e&after=3&epoch={old_epoch}");
    let (mut resumer, frames) = Client::join(&a.ws_url(&query)).await;
    assert_eq!(frames[0]["type"], "history_reset", "{frames:?}");
    let new_epoch = frames[0]["epoch"].as_str().unwrap().to_owned();
    assert_ne!(new_epoch, old_epoch);
    assert_eq!(frames.last().unwrap()["last_id"], 0);

    // A client that stayed connected throughout learns it from the first new message.
    let first = resumer.post("e", "r", "new 1").await;
    assert_eq!(first["id"], 1);
    let reset = stays.recv_type("history_reset").await;
    assert_eq!(reset["epoch"], new_epoch.as_str());
    let next = stays.recv_type("chat").await;
    assert_eq!(
        (next["id"].as_u64(), next["message"].as_str()),
        (Some(1), Some("new 1"))
    );
}
