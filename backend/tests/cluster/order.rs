//! Three nodes, one room: everyone sees every message once, in one order, under one set of
//! ids; history and resume work the same from any node.

use crate::{node, redis::Redis, support::Client};
use serde_json::{Value, json};

const PER_CLIENT: usize = 15;

/// Reads chat frames until `count` have arrived; returns (id, client_id) in arrival order.
async fn chats(client: &mut Client, count: usize) -> Vec<(u64, String)> {
    let mut seen = Vec::with_capacity(count);
    while seen.len() < count {
        let frame = client.recv().await;
        assert_ne!(frame["type"], "error", "{frame}");
        if frame["type"] == "chat" {
            let client_id = frame["client_id"].as_str().unwrap_or_default().to_owned();
            seen.push((frame["id"].as_u64().unwrap(), client_id));
        }
    }
    seen
}

#[tokio::test]
async fn every_client_on_every_node_sees_the_same_ids_in_the_same_order() {
    let redis = Redis::start().await;
    let nodes = [
        node(&redis, "a", &[]).await,
        node(&redis, "b", &[]).await,
        node(&redis, "c", &[]).await,
    ];
    let mut clients = Vec::new();
    for (n, node) in nodes.iter().enumerate() {
        for k in 0..2 {
            let url = node.ws_url(&format!("?room=order&username=u{n}{k}"));
            clients.push(Client::join(&url).await.0);
        }
    }
    for (c, client) in clients.iter_mut().enumerate() {
        for m in 0..PER_CLIENT {
            client
                .send_json(json!({"type":"send","room":"order","message":format!("m{m}"),"client_id":format!("c{c}-{m}")}))
                .await;
        }
    }
    let total = clients.len() * PER_CLIENT;
    let mut sequences = Vec::new();
    for client in &mut clients {
        sequences.push(chats(client, total).await);
    }
    let ids: Vec<u64> = sequences[0].iter().map(|(id, _)| *id).collect();
    assert_eq!(
        ids,
        (1..=total as u64).collect::<Vec<_>>(),
        "gapless, ascending"
    );
    for sequence in &sequences[1..] {
        assert_eq!(
            sequence, &sequences[0],
            "same ids, same messages, same order"
        );
    }
    // Each sender's own messages in the order it sent them.
    for c in 0..clients.len() {
        let own: Vec<&String> = sequences[0]
            .iter()
            .map(|(_, client_id)| client_id)
            .filter(|id| id.starts_with(&format!("c{c}-")))
            .collect();
        let expected: Vec<String> = (0..PER_CLIENT).map(|m| format!("c{c}-{m}")).collect();
        assert_eq!(own, expected.iter().collect::<Vec<_>>());
    }
}

#[tokio::test]
async fn history_resume_and_long_polls_work_across_nodes() {
    let redis = Redis::start().await;
    let a = node(&redis, "a", &[]).await;
    let b = node(&redis, "b", &[]).await;
    let (mut writer, _) = Client::join(&a.ws_url("?room=x")).await;
    for n in 1..=5 {
        writer.post("x", "w", &format!("m{n}")).await;
    }

    // Resume on b for a room written through a.
    let (_reader, frames) = Client::join(&b.ws_url("?room=x&after=2")).await;
    let ids: Vec<u64> = frames.iter().filter_map(|f| f["id"].as_u64()).collect();
    assert_eq!(ids, [3, 4, 5]);
    let (status, page) = b.get_json("/api/rooms/x/messages?before=3").await;
    assert_eq!(status, 200);
    let ids: Vec<u64> = page
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2]);
    let (_, rooms) = b.get_json("/api/rooms").await;
    assert_eq!(rooms, json!([{"room":"x","last_id":5}]));

    // A long-poll held by b wakes for a post through a.
    let poll = b.get_json("/api/rooms/x/messages?after=5&wait=20");
    let (result, ()) = tokio::join!(poll, async {
        until_waiting(&b).await;
        writer.post("x", "w", "wake").await;
    });
    let (status, page): (u16, Value) = result;
    assert_eq!(status, 200);
    assert_eq!(page[0]["id"], 6);
    assert_eq!(page[0]["message"], "wake");
}

/// Waits until `node` reports one long-poll waiting.
async fn until_waiting(node: &crate::Node) {
    for _ in 0..2_000 {
        let (_, text) = node.get_text("/metrics").await;
        if text
            .lines()
            .any(|line| line == "chinwag_long_polls_waiting 1")
        {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("the long-poll never showed as waiting");
}
