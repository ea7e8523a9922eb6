//! An append call's records go to the other nodes as one `B` payload, but only while every
//! running node's registry entry says it reads them: a node of an earlier release would skip
//! a kind it does not know. Read straight from a real Redis's fan-out channel, with a planted
//! registry entry standing for a node of an earlier release.

use crate::{
    directory::now_ms,
    node,
    redis::Redis,
    support::{Client, WAIT},
    wire::tap_fanout,
};
use ::redis::{AsyncCommands, Msg};
use chinwag_backend::cluster::wire::{self, Payload};
use futures_util::{Stream, StreamExt};
use serde_json::json;
use std::time::Duration;

/// The kind of payload a message was published in, and the ids it carried.
#[derive(Debug, PartialEq, Eq)]
enum Published {
    OnePerRecord(u64),
    Batch(Vec<u64>),
}

/// The next chat payload on the channel (events are skipped), read as [`Published`].
async fn next_chat(tap: &mut (impl Stream<Item = Msg> + Unpin)) -> Published {
    loop {
        let message = tokio::time::timeout(WAIT, tap.next())
            .await
            .expect("a payload in time")
            .expect("the subscription stays open");
        let payload = message.get_payload::<String>().unwrap();
        match wire::parse(&payload).unwrap() {
            Payload::Chat { id, json, .. } => {
                assert_eq!(
                    serde_json::from_str::<serde_json::Value>(json).unwrap()["id"],
                    id
                );
                return Published::OnePerRecord(id);
            }
            Payload::Chats { first, lines, .. } => {
                let ids: Vec<u64> = lines
                    .split('\n')
                    .map(|json| {
                        let value: serde_json::Value = serde_json::from_str(json).unwrap();
                        value["id"].as_u64().unwrap()
                    })
                    .collect();
                let expected: Vec<u64> = (first..).take(ids.len()).collect();
                assert_eq!(ids, expected, "a batch's records are in order, one by one");
                return Published::Batch(ids);
            }
            Payload::Event { .. } | Payload::Removal { .. } => {}
        }
    }
}

/// Sends one message as `client` and returns how it was published, once confirmed, and its
/// id.
async fn post(
    client: &mut Client,
    tap: &mut (impl Stream<Item = Msg> + Unpin),
    text: &str,
) -> (Published, u64) {
    client
        .send_json(json!({"type":"send","room":"batches","message":text}))
        .await;
    let confirmed = client.recv_type("chat").await;
    let published = next_chat(tap).await;
    let id = confirmed["id"].as_u64().unwrap();
    match &published {
        Published::OnePerRecord(at) => assert_eq!(*at, id),
        Published::Batch(ids) => assert!(ids.contains(&id), "{ids:?} has {id}"),
    }
    (published, id)
}

/// Posts until a message goes out as `wanted` says (the registry is read once a second),
/// and returns that message's id; bounded in count, so a gate that never moves fails the
/// test.
async fn post_until(
    client: &mut Client,
    tap: &mut (impl Stream<Item = Msg> + Unpin),
    wanted: fn(&Published) -> bool,
) -> u64 {
    for attempt in 0..60 {
        let (published, id) = post(client, tap, &format!("waiting {attempt}")).await;
        if wanted(&published) {
            return id;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the publishing never changed as expected");
}

#[tokio::test]
async fn a_batch_is_one_payload_only_while_every_node_reads_batches() {
    let redis = Redis::start().await;
    let (mut tap, mut conn) = tap_fanout(&redis).await;
    let a = node(&redis, "a", &[]).await;
    let b = node(&redis, "b", &[]).await;
    let (mut ada, _) = Client::join(&a.ws_url("?room=batches&username=ada")).await;
    let (mut bob, _) = Client::join(&b.ws_url("?room=batches&username=bob")).await;

    // Both nodes read batches: once a node has listed the registry, its appends go as `B`.
    post_until(&mut ada, &mut tap, |published| {
        matches!(published, Published::Batch(_))
    })
    .await;

    // A node of an earlier release joins: its entry has no `fanout_payloads`.
    let old = json!({"id":"old","ready":true,"connections":0,"version":"0.0.9","uptime_secs":1});
    let _: () = ::redis::pipe()
        .cmd("SET")
        .arg("chinwag:node:old")
        .arg(old.to_string())
        .arg("PX")
        .arg(60_000)
        .zadd("chinwag:nodes", "old", now_ms() + 60_000)
        .query_async(&mut conn)
        .await
        .unwrap();
    post_until(&mut ada, &mut tap, |published| {
        matches!(published, Published::OnePerRecord(_))
    })
    .await;
    // From then on, every append goes as one `C` per record, whichever node makes it.
    for round in 0..5 {
        let (published, _) = post(&mut ada, &mut tap, &format!("old {round}")).await;
        assert!(
            matches!(published, Published::OnePerRecord(_)),
            "{published:?}"
        );
    }

    // The earlier node leaves: batches again.
    let _: () = conn.del("chinwag:node:old").await.unwrap();
    let _: () = conn.zrem("chinwag:nodes", "old").await.unwrap();
    let last = post_until(&mut ada, &mut tap, |published| {
        matches!(published, Published::Batch(_))
    })
    .await;

    // Through every switch, bob (on the other node) saw each of ada's messages once, in order.
    for id in 1..=last {
        assert_eq!(bob.recv_type("chat").await["id"], id);
    }
}
