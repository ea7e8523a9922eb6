//! Batched appends (issue 18): many appends at once, through one store on a real Redis, go in
//! shared round trips and keep every guarantee of one script per message: per room, ids
//! 1..=N with no gap, one record per `client_id` however many times it is sent (even twice
//! in the same batch), and every sender answered with its own record. `sharded` has the same
//! through nodes on a Redis Cluster.

use crate::{cluster_node, redis::Redis, redis_cluster::RedisCluster, support::Client};
use chinwag_backend::{
    cluster::{Link, RedisStore},
    store::{Appended, Author, NewMessage, Page, Store},
};
use chinwag_shared::{ClientId, MessageText, RoomName, Username};
use serde_json::json;
use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{Arc, atomic::AtomicBool},
    time::Duration,
};

const TASKS: usize = 20;
const PER_TASK: usize = 10;
const ROOMS: [&str; 2] = ["alpha", "beta"];

fn message(task: usize, n: usize) -> NewMessage {
    let username = Username::parse(&format!("u{task}")).unwrap();
    NewMessage {
        room: RoomName::parse(ROOMS[(task + n) % ROOMS.len()]).unwrap(),
        author: Author::name(&username),
        username,
        text: MessageText::parse(&format!("t{task}-{n}")).unwrap(),
        client_id: Some(ClientId::parse(&format!("c{task}-{n}")).unwrap()),
        guest: true,
        bot: false,
    }
}

/// How many script calls Redis ran (`EVALSHA`, from `INFO commandstats`).
async fn script_calls(redis: &Redis) -> u64 {
    let client = ::redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let stats: String = ::redis::cmd("INFO")
        .arg("commandstats")
        .query_async(&mut conn)
        .await
        .unwrap();
    stats
        .lines()
        .find_map(|line| line.strip_prefix("cmdstat_evalsha:calls="))
        .map_or(0, |rest| rest.split(',').next().unwrap().parse().unwrap())
}

#[tokio::test]
async fn concurrent_appends_share_round_trips_and_stay_gapless_and_stored_once() {
    let redis = Redis::start().await;
    let link = Link::new(&redis.url(), Duration::from_secs(5)).unwrap();
    let store = Arc::new(RedisStore::new(
        link,
        1_000,
        Arc::new(AtomicBool::new(true)),
    ));
    // 20 tasks send 10 messages each, over two rooms (one pipeline mixes them). Every third
    // message is sent twice at once, so a retry often lands in its original's batch.
    let senders: Vec<_> = (0..TASKS)
        .map(|task| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut answers = Vec::new();
                for n in 0..PER_TASK {
                    if n % 3 == 0 {
                        let (first, again) = tokio::join!(
                            store.append(message(task, n)),
                            store.append(message(task, n))
                        );
                        answers.push((n, first.unwrap()));
                        answers.push((n, again.unwrap()));
                    } else {
                        answers.push((n, store.append(message(task, n)).await.unwrap()));
                    }
                }
                (task, answers)
            })
        })
        .collect();
    let mut ids_of: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut appends = 0;
    for sender in senders {
        let (task, answers) = sender.await.unwrap();
        appends += answers.len();
        let mut stored_of: BTreeMap<usize, u64> = BTreeMap::new();
        for (n, answer) in answers {
            let record = match answer {
                Appended::Stored(record) | Appended::Duplicate(record) => record,
                Appended::Reused => panic!("t{task}-{n} refused as a reuse"),
            };
            assert_eq!(record.message, format!("t{task}-{n}"));
            assert_eq!(record.client_id.unwrap().as_str(), format!("c{task}-{n}"));
            // Both answers to a message sent twice name the one record.
            let id = *stored_of.entry(n).or_insert(record.id);
            assert_eq!(record.id, id, "t{task}-{n} answered with two ids");
        }
        for (n, id) in stored_of {
            let room = message(task, n).room.as_str().to_owned();
            ids_of.entry(room).or_default().push(id);
        }
    }
    let messages = TASKS * PER_TASK;
    for room in ROOMS {
        let mut ids = ids_of.remove(room).unwrap();
        ids.sort_unstable();
        let count = ids.len() as u64;
        assert_eq!(
            ids,
            (1..=count).collect::<Vec<_>>(),
            "{room}: gapless, once each"
        );
        let page = store
            .page(
                &RoomName::parse(room).unwrap(),
                Page::After {
                    after: 0,
                    limit: messages,
                },
            )
            .await
            .unwrap();
        let stored: Vec<u64> = page.iter().map(|record| record.id).collect();
        assert_eq!(stored, ids, "{room}: the log holds each message once");
    }
    let calls = script_calls(&redis).await;
    assert!(
        calls < appends as u64,
        "{appends} appends took {calls} script calls: none shared a round trip"
    );
}

#[tokio::test]
async fn on_a_redis_cluster_concurrent_sends_stay_gapless_and_stored_once() {
    const CLIENTS_PER_ROOM: usize = 10;
    let cluster = RedisCluster::start().await;
    let node = cluster_node(&cluster, "a", &[]).await;
    // A watcher per room, then every sender's messages sent without waiting for answers, so
    // many are in flight at once; every third goes twice, back to back.
    let mut watchers = Vec::new();
    for room in ROOMS {
        let url = node.ws_url(&format!("?room={room}&username=watcher"));
        watchers.push(Client::join(&url).await.0);
    }
    let mut senders = Vec::new();
    for room in ROOMS {
        for c in 0..CLIENTS_PER_ROOM {
            let url = node.ws_url(&format!("?room={room}&username={room}{c}"));
            senders.push((room, c, Client::join(&url).await.0));
        }
    }
    for (room, c, sender) in &mut senders {
        for n in 0..PER_TASK {
            let text = format!("{room}{c}-{n}");
            let send = json!({"type":"send","room":room,"message":text,"client_id":text});
            sender.send_json(send.clone()).await;
            if n % 3 == 0 {
                sender.send_json(send).await;
            }
        }
    }
    let per_room = CLIENTS_PER_ROOM * PER_TASK;
    for (room, watcher) in ROOMS.iter().zip(&mut watchers) {
        let mut ids = Vec::new();
        let mut texts = BTreeSet::new();
        while ids.len() < per_room {
            let frame = watcher.recv().await;
            assert_ne!(frame["type"], "error", "{frame}");
            if frame["type"] == "chat" {
                ids.push(frame["id"].as_u64().unwrap());
                texts.insert(frame["message"].as_str().unwrap().to_owned());
            }
        }
        assert_eq!(ids, (1..=per_room as u64).collect::<Vec<_>>(), "{room}");
        assert_eq!(texts.len(), per_room, "{room}: each message once");
        let path = format!("/api/rooms/{room}/messages?after=0&limit=500");
        let (status, history) = node.get_json(&path).await;
        assert_eq!(status, 200);
        assert_eq!(
            history.as_array().unwrap().len(),
            per_room,
            "{room}: no retry stored twice"
        );
    }
}
