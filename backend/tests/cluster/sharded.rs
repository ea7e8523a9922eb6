//! Nodes on a real Redis Cluster (`--redis-cluster`: three masters, each with a replica):
//! rooms spread over the shards, every message reaches everyone once and in order under the
//! same ids, and with `--redis-wait-replicas 1` a master's death loses no confirmed message.

use crate::{
    cluster_node,
    redis_cluster::RedisCluster,
    support::{Client, WAIT},
};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const PER_CLIENT: usize = 5;

/// One room per master: room names tried in turn until each master owns one's slot.
async fn room_per_master(cluster: &RedisCluster) -> BTreeMap<u16, String> {
    let masters = cluster.masters().await;
    let mut rooms = BTreeMap::new();
    for n in 0..500 {
        let room = format!("shard-{n}");
        let master = cluster.master_of_slot(cluster.slot_of(&room).await).await;
        rooms.entry(master).or_insert(room);
        if rooms.len() == masters.len() {
            return rooms;
        }
    }
    panic!("no room for every master among 500 names");
}

/// Reads until `count` chat frames arrived; (id, text) in arrival order.
async fn chats(client: &mut Client, count: usize) -> Vec<(u64, String)> {
    let mut seen = Vec::with_capacity(count);
    while seen.len() < count {
        let frame = client.recv().await;
        assert_ne!(frame["type"], "error", "{frame}");
        if frame["type"] == "chat" {
            let text = frame["message"].as_str().unwrap().to_owned();
            seen.push((frame["id"].as_u64().unwrap(), text));
        }
    }
    seen
}

#[tokio::test]
async fn rooms_spread_over_the_shards_and_reach_everyone_once_in_order() {
    let cluster = RedisCluster::start().await;
    let nodes = [
        cluster_node(&cluster, "a", &[]).await,
        cluster_node(&cluster, "b", &[]).await,
        cluster_node(&cluster, "c", &[]).await,
    ];
    let rooms = room_per_master(&cluster).await;
    // In each room, one client on every node, all sending at once.
    let mut clients = Vec::new();
    for room in rooms.values() {
        for (n, node) in nodes.iter().enumerate() {
            let url = node.ws_url(&format!("?room={room}&username=u{n}"));
            clients.push((room.clone(), Client::join(&url).await.0));
        }
    }
    for (c, (room, client)) in clients.iter_mut().enumerate() {
        for m in 0..PER_CLIENT {
            let text = format!("c{c}-{m}");
            client
                .send_json(json!({"type":"send","room":room,"message":text,"client_id":text}))
                .await;
        }
    }
    let per_room = nodes.len() * PER_CLIENT;
    let mut seen: BTreeMap<String, Vec<Vec<(u64, String)>>> = BTreeMap::new();
    for (room, client) in &mut clients {
        let sequence = chats(client, per_room).await;
        seen.entry(room.clone()).or_default().push(sequence);
    }
    for (room, sequences) in &seen {
        let ids: Vec<u64> = sequences[0].iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, (1..=per_room as u64).collect::<Vec<_>>(), "{room}");
        for sequence in &sequences[1..] {
            assert_eq!(sequence, &sequences[0], "{room}: same ids, texts, order");
        }
    }
    // Each room's log is on its own master (three different ones), and the others send the
    // asker there: the rooms are sharded.
    for (master, room) in &rooms {
        let key = format!("chinwag:log:{{{room}}}");
        for other in rooms.keys() {
            let exists = cluster.cli(*other, &["EXISTS", &key]).await;
            if other == master {
                assert_eq!(exists.trim(), "1", "{key} on its master {master}");
            } else {
                let moved = format!("127.0.0.1:{master}");
                assert!(
                    exists.contains("MOVED") && exists.contains(&moved),
                    "{exists}"
                );
            }
        }
    }
    // A node reads a room's history from the room's shard.
    let room = rooms.values().next().unwrap();
    let (status, history) = nodes[0]
        .get_json(&format!("/api/rooms/{room}/messages?after=0&limit=100"))
        .await;
    assert_eq!(status, 200, "{history}");
    assert_eq!(
        history_ids(&history),
        (1..=per_room as u64).collect::<Vec<_>>()
    );
}

/// The ids of a history page, oldest first.
fn history_ids(page: &Value) -> Vec<u64> {
    let records = page.as_array().unwrap();
    records.iter().map(|r| r["id"].as_u64().unwrap()).collect()
}

/// Sends `text` (also its `client_id`) until it is confirmed, or `unavailable` for `tries`
/// times in a row; returns the confirmed id, if any.
async fn send_until_confirmed(
    client: &mut Client,
    room: &str,
    text: &str,
    tries: usize,
) -> Option<u64> {
    for _ in 0..tries {
        client
            .send_json(json!({"type":"send","room":room,"message":text,"client_id":text}))
            .await;
        loop {
            let frame = client.recv().await;
            if frame["type"] == "chat" && frame["client_id"] == text {
                return frame["id"].as_u64();
            }
            if frame["type"] == "error" {
                assert_eq!(frame["code"], "unavailable", "{frame}");
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    None
}

#[tokio::test]
async fn with_wait_replicas_a_dead_master_loses_no_confirmed_message() {
    let mut cluster = RedisCluster::start().await;
    let wait = ["--redis-wait-replicas", "1", "--redis-timeout-ms", "1000"];
    let a = cluster_node(&cluster, "a", &wait).await;
    let b = cluster_node(&cluster, "b", &wait).await;
    let room = "failover";
    let slot = cluster.slot_of(room).await;
    let master = cluster.master_of_slot(slot).await;
    let (mut sender, _) = Client::join(&a.ws_url(&format!("?room={room}&username=ada"))).await;
    let mut confirmed = Vec::new();
    for m in 0..10 {
        let id = send_until_confirmed(&mut sender, room, &format!("before-{m}"), 1).await;
        confirmed.push(id.expect("confirmed while every replica is up"));
    }
    // SIGKILL: whatever the master had not passed on is gone, but each confirmation waited
    // for the replica that now takes over.
    cluster.kill(master);
    let promoted = cluster.wait_promoted(slot).await;
    assert_ne!(promoted, master);
    // The new master has no replica, so nothing more is confirmed: sends are refused as
    // unavailable rather than confirmed unsafely.
    let refused = send_until_confirmed(&mut sender, room, "after-kill", 3).await;
    assert_eq!(refused, None, "confirmed with no replica to wait for");
    // Every confirmed message is on the promoted master, read through the other node, and
    // ids stayed strictly increasing with no duplicate.
    let mut history = Vec::new();
    for _ in 0..(WAIT.as_millis() / 100) {
        let (status, page) = b
            .get_json(&format!("/api/rooms/{room}/messages?after=0&limit=100"))
            .await;
        if status == 200 {
            history = history_ids(&page);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    for id in &confirmed {
        assert!(history.contains(id), "confirmed {id} lost: {history:?}");
    }
    assert!(history.windows(2).all(|w| w[0] < w[1]), "{history:?}");
}
