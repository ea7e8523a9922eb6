//! Three nodes, one room: everyone sees every message once, in one order, under one set of
//! ids; history and resume work the same from any node.

use crate::{node, redis::Redis, support::Client};
use serde_json::{Value, json};

const PER_CLIENT: usize = 15;

/// Reads chat frames until `count` have arrived; returns (id, text) in arrival order. Each
/// text is the `client_id` it was sent with, and only the sender's own confirmations (texts
/// starting with `own`) may carry that id.
async fn chats(client: &mut Client, count: usize, own: &str) -> Vec<(u64, String)> {
    let mut seen = Vec::with_capacity(count);
    while seen.len() < count {
        let frame = client.recv().await;
        assert_ne!(frame["type"], "error", "{frame}");
        if frame["type"] == "chat" {
            let text = frame["message"].as_str().unwrap().to_owned();
            if let Some(client_id) = frame.get("client_id") {
                assert!(
                    client_id == text.as_str() && text.starts_with(own),
                    "{frame}"
                );
            }
            seen.push((frame["id"].as_u64().unwrap(), text));
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
                .send_json(json!({"type":"send","room":"order","message":format!("c{c}-{m}"),"client_id":format!("c{c}-{m}")}))
                .await;
        }
    }
    let total = clients.len() * PER_CLIENT;
    let mut sequences = Vec::new();
    for (c, client) in clients.iter_mut().enumerate() {
        sequences.push(chats(client, total, &format!("c{c}-")).await);
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
            .map(|(_, text)| text)
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
