//! The Redis engine's edits and deletions, checked on a real Redis without a node: a change is
//! the room's next record and the page shows its message in its current state
//! (this file); changes that must be refused are ([`races`]: atomically, even racing); the
//! revised records leave with the trimmed history; a retried `client_id` is answered with the
//! current state; [`erasure`]: a deleted text is gone from every key and from the snapshot;
//! [`fanout`]: a change reaches another node's sessions like a message; [`across_nodes`]:
//! the same through real nodes' HTTP API and sockets.

mod across_nodes;
mod erasure;
mod fanout;
mod races;

use crate::redis::Redis;
use ::redis::AsyncCommands;
use chinwag_backend::{
    cluster::{Link, RedisStore},
    store::{
        Appended, Author, ChangeAction, Changed, NewChange, NewMessage, Page, Store, StoreError,
    },
};
use chinwag_shared::{Change, ChatRecord, ClientId, Deletion, MessageText, RoomName, Username};
use std::{
    sync::{Arc, atomic::AtomicBool},
    time::Duration,
};

pub(super) fn store(redis: &Redis, max_len: u64) -> RedisStore {
    let link = Link::new(&redis.url(), Duration::from_secs(5)).unwrap();
    RedisStore::new(link, max_len, Arc::new(AtomicBool::new(true)))
}

/// A connection to `redis` for looking at (and planting) keys beside the store.
async fn keys(redis: &Redis) -> ::redis::aio::MultiplexedConnection {
    let client = ::redis::Client::open(redis.url()).unwrap();
    client.get_multiplexed_async_connection().await.unwrap()
}

pub(super) fn room() -> RoomName {
    RoomName::parse("general").unwrap()
}

pub(super) fn name(text: &str) -> Username {
    Username::parse(text).unwrap()
}

pub(super) fn message(by: &str, text: &str, client_id: Option<&str>) -> NewMessage {
    NewMessage {
        room: room(),
        username: name(by),
        author: Author::name(&name(by)),
        text: MessageText::parse(text).unwrap(),
        client_id: client_id.map(|id| ClientId::parse(id).unwrap()),
        guest: true,
        bot: false,
    }
}

pub(super) async fn post(store: &RedisStore, by: &str, text: &str, client_id: Option<&str>) -> u64 {
    match store.append(message(by, text, client_id)).await.unwrap() {
        Appended::Stored(record) => record.id,
        other => panic!("a new record expected: {other:?}"),
    }
}

pub(super) fn edit(target: u64, by: &str, text: &str) -> NewChange {
    NewChange {
        room: room(),
        target,
        actor: name(by),
        guest: false,
        action: ChangeAction::Edit(MessageText::parse(text).unwrap()),
    }
}

pub(super) fn delete(target: u64, by: &str, moderator: bool) -> NewChange {
    NewChange {
        room: room(),
        target,
        actor: name(by),
        guest: false,
        action: ChangeAction::Delete { moderator },
    }
}

pub(super) async fn changed(store: &RedisStore, change: NewChange) -> ChatRecord {
    match store.change(change).await.unwrap() {
        Changed::Stored(record) => record,
        other => panic!("a stored change expected: {other:?}"),
    }
}

pub(super) async fn whole_log(store: &RedisStore) -> Vec<ChatRecord> {
    let page = Page::After {
        after: 0,
        limit: 1_000,
    };
    store.page(&room(), page).await.unwrap()
}

pub(super) fn ids(records: &[ChatRecord]) -> Vec<u64> {
    records.iter().map(|record| record.id).collect()
}

/// Every way of paging through the whole log, one small page at a time in both directions,
/// reads the same records as one big page.
async fn every_paging_agrees(store: &RedisStore, whole: &[ChatRecord]) {
    for limit in [1, 2, 3] {
        let (mut forward, mut after) = (Vec::new(), 0);
        loop {
            let page = store
                .page(&room(), Page::After { after, limit })
                .await
                .unwrap();
            let Some(last) = page.last() else { break };
            after = last.id;
            forward.extend(page);
        }
        assert_eq!(forward, whole, "After pages of {limit}");
        let (mut backward, mut before) = (Vec::new(), u64::MAX);
        loop {
            let page = store
                .page(&room(), Page::Before { before, limit })
                .await
                .unwrap();
            let Some(first) = page.first() else { break };
            before = first.id;
            backward.splice(0..0, page);
        }
        assert_eq!(backward, whole, "Before pages of {limit}");
    }
}

#[tokio::test]
async fn edits_and_deletions_are_records_and_the_page_serves_messages_as_they_now_are() {
    let redis = Redis::start().await;
    let store = store(&redis, 1_000);
    let first = post(&store, "ada", "helo", None).await;
    let second = post(&store, "bob", "hi ada", None).await;
    let edit_record = changed(&store, edit(first, "ada", "hello")).await;
    assert_eq!(
        (edit_record.id, &*edit_record.message, &edit_record.change),
        (3, "hello", &Some(Change::Edit { target: first }))
    );
    let log = whole_log(&store).await;
    assert_eq!(ids(&log), [1, 2, 3]);
    assert_eq!((&*log[0].message, log[0].edited), ("hello", Some(3)));
    assert_eq!(
        log[2], edit_record,
        "the change record is served as published"
    );
    every_paging_agrees(&store, &log).await;

    let deletion = changed(&store, delete(first, "mod", true)).await;
    assert_eq!(deletion.id, 4);
    assert_eq!(
        deletion.change,
        Some(Change::Delete {
            target: first,
            moderator: true
        })
    );
    let log = whole_log(&store).await;
    assert_eq!(ids(&log), [1, 2, 3, 4]);
    let tombstone = &log[0];
    assert_eq!(tombstone.message, "");
    assert_eq!(
        tombstone.deleted,
        Some(Deletion {
            id: 4,
            by: Some(name("mod"))
        })
    );
    assert_eq!(log[1].message, "hi ada", "other messages untouched");
    assert_eq!(
        (&*log[2].message, &log[2].change),
        ("", &Some(Change::Edit { target: first })),
        "the edit record of a deleted message keeps only that it happened"
    );
    assert_eq!(log[3], deletion);
    every_paging_agrees(&store, &log).await;
    assert_eq!(
        store.record(&room(), first).await.unwrap().as_ref(),
        Some(tombstone)
    );

    // The author deletes the other one: no moderator named.
    changed(&store, delete(second, "bob", false)).await;
    let log = whole_log(&store).await;
    assert_eq!(log[1].deleted, Some(Deletion { id: 5, by: None }));
    every_paging_agrees(&store, &log).await;
}

#[tokio::test]
async fn changes_take_their_ids_from_the_same_sequence_as_messages() {
    let redis = Redis::start().await;
    let store = store(&redis, 1_000);
    let mut expected = 0;
    for round in 0..5_u64 {
        let target = post(&store, "ada", &format!("message {round}"), None).await;
        expected += 1;
        assert_eq!(target, expected);
        let change = if round % 2 == 0 {
            edit(target, "ada", "edited")
        } else {
            delete(target, "ada", false)
        };
        expected += 1;
        assert_eq!(changed(&store, change).await.id, expected);
    }
    assert_eq!(store.head(&room()).await.unwrap().last_id, expected);
    let log = whole_log(&store).await;
    assert_eq!(
        ids(&log),
        (1..=expected).collect::<Vec<_>>(),
        "gapless, in order"
    );
    let listed = store.rooms(None, 10).await.unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|summary| summary.last_id)
            .collect::<Vec<_>>(),
        [expected],
        "the room list names the newest record, a change"
    );
}

#[tokio::test]
async fn what_cannot_be_changed_is_refused_and_nothing_is_written() {
    let redis = Redis::start().await;
    let store = store(&redis, 1_000);
    let target = post(&store, "ada", "hi", None).await;
    let edit_id = changed(&store, edit(target, "ada", "hi!")).await.id;
    let refusals = [
        (edit(edit_id, "ada", "x"), Changed::NoSuchMessage),
        (delete(edit_id, "ada", false), Changed::NoSuchMessage),
        (edit(0, "ada", "x"), Changed::NoSuchMessage),
        (edit(99, "ada", "x"), Changed::NoSuchMessage),
    ];
    for (change, refusal) in refusals {
        assert_eq!(store.change(change).await.unwrap(), refusal);
    }
    let deletion = changed(&store, delete(target, "ada", false)).await.id;
    for change in [
        delete(target, "mod", true),
        edit(target, "ada", "back again"),
    ] {
        assert_eq!(store.change(change).await.unwrap(), Changed::AlreadyDeleted);
    }
    assert_eq!(store.head(&room()).await.unwrap().last_id, deletion);
    assert_eq!(ids(&whole_log(&store).await), [1, 2, 3]);
}

#[tokio::test]
async fn a_retry_after_a_change_is_answered_with_the_message_as_it_now_is() {
    let redis = Redis::start().await;
    let store = store(&redis, 1_000);
    let target = post(&store, "ada", "helo", Some("c-1")).await;
    changed(&store, edit(target, "ada", "hello")).await;
    let Appended::Duplicate(answer) = store
        .append(message("ada", "helo", Some("c-1")))
        .await
        .unwrap()
    else {
        panic!("a duplicate expected");
    };
    assert_eq!(
        (answer.id, &*answer.message, answer.edited),
        (target, "hello", Some(2))
    );
    assert_eq!(answer.client_id, Some(ClientId::parse("c-1").unwrap()));
    changed(&store, delete(target, "ada", false)).await;
    let Appended::Duplicate(answer) = store
        .append(message("ada", "helo", Some("c-1")))
        .await
        .unwrap()
    else {
        panic!("a duplicate expected");
    };
    assert_eq!((answer.id, &*answer.message), (target, ""));
    assert_eq!(answer.deleted, Some(Deletion { id: 3, by: None }));
    assert_eq!(
        store
            .append(message("bob", "helo", Some("c-1")))
            .await
            .unwrap(),
        Appended::Stored(ChatRecord {
            client_id: Some(ClientId::parse("c-1").unwrap()),
            ..whole_log(&store).await.pop().unwrap()
        }),
        "another author's id is another key"
    );
}

#[tokio::test]
async fn a_copy_whose_key_was_reused_since_is_left_alone() {
    let redis = Redis::start().await;
    let store = store(&redis, 1_000);
    let target = post(&store, "ada", "hi", Some("c-1")).await;
    // As if the copy expired and its author reused the id for another message since.
    let key = "chinwag:cid:general:name:ada:c-1";
    let mut conn = keys(&redis).await;
    let other = r#"{"type":"chat","room":"general","username":"ada","message":"later","guest":true,"id":9,"ts":9}"#;
    let () = conn.set(key, other).await.unwrap();
    changed(&store, edit(target, "ada", "hi!")).await;
    let copy: String = conn.get(key).await.unwrap();
    assert_eq!(copy, other);
}

#[tokio::test]
async fn a_copy_named_by_an_earlier_release_is_still_rewritten() {
    let redis = Redis::start().await;
    let store = store(&redis, 1_000);
    let target = post(&store, "ada", "hi", Some("c-1")).await;
    let key = "chinwag:cid:general:name:ada:c-1";
    let mut conn = keys(&redis).await;
    // As a release before the hourly buckets named it: in the sorted set, by timestamp, and
    // in no bucket.
    let buckets: Vec<String> = conn.keys("chinwag:copies:general:*").await.unwrap();
    assert_eq!(buckets.len(), 1, "{buckets:?}");
    let named: Option<String> = conn.hget(&buckets[0], target).await.unwrap();
    assert_eq!(named.as_deref(), Some(key));
    let () = conn.del(&buckets[0]).await.unwrap();
    let ts = whole_log(&store).await[0].ts;
    let () = conn
        .zadd("chinwag:copies:general", format!("{target} {key}"), ts)
        .await
        .unwrap();
    changed(&store, edit(target, "ada", "hi!")).await;
    let copy: String = conn.get(key).await.unwrap();
    assert!(copy.contains(r#""message":"hi!""#), "{copy}");
}

#[tokio::test]
async fn a_copy_named_in_the_hour_beside_its_timestamp_is_found() {
    let redis = Redis::start().await;
    let store = store(&redis, 1_000);
    let mut conn = keys(&redis).await;
    // The appending node's clock an hour off Redis's either way: its bucket is the next or
    // the previous one.
    for (round, skew) in [1_i64, -1].into_iter().enumerate() {
        let client_id = format!("c-{round}");
        let target = post(&store, "ada", "hi", Some(&client_id)).await;
        let buckets: Vec<String> = conn.keys("chinwag:copies:general:*").await.unwrap();
        let [bucket] = buckets.as_slice() else {
            panic!("one bucket: {buckets:?}");
        };
        let hour: i64 = bucket.rsplit(':').next().unwrap().parse().unwrap();
        let () = conn
            .rename(bucket, format!("chinwag:copies:general:{}", hour + skew))
            .await
            .unwrap();
        changed(&store, edit(target, "ada", "hi!")).await;
        let copy: String = conn
            .get(format!("chinwag:cid:general:name:ada:{client_id}"))
            .await
            .unwrap();
        assert!(copy.contains(r#""message":"hi!""#), "skew {skew}: {copy}");
        let () = conn
            .del(format!("chinwag:copies:general:{}", hour + skew))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn revised_records_leave_with_the_history_the_stream_trims() {
    let redis = Redis::start().await;
    let store = store(&redis, 4);
    assert!(matches!(
        store.keep_one_entry_per_node().await,
        chinwag_backend::cluster::log::StreamNodes::OneEntryEach
            | chinwag_backend::cluster::log::StreamNodes::Set { .. }
    ));
    let target = post(&store, "ada", "old", None).await;
    changed(&store, edit(target, "ada", "older")).await;
    changed(&store, delete(target, "ada", false)).await;
    let mut conn = keys(&redis).await;
    let revised: u64 = conn.zcard("chinwag:revised:general").await.unwrap();
    assert_eq!(
        revised, 2,
        "the tombstone and the edit record without its text"
    );
    for round in 0..8 {
        post(&store, "bob", &format!("later {round}"), None).await;
    }
    let revised: u64 = conn.zcard("chinwag:revised:general").await.unwrap();
    let edits: u64 = conn.zcard("chinwag:edits:general").await.unwrap();
    assert_eq!((revised, edits), (0, 0));
    let log = whole_log(&store).await;
    let head = store.head(&room()).await.unwrap().last_id;
    assert_eq!(
        ids(&log),
        (head - 3..=head).collect::<Vec<_>>(),
        "the newest, gapless"
    );
    let refused: Result<Changed, StoreError> = store.change(edit(target, "ada", "x")).await;
    assert_eq!(refused.unwrap(), Changed::NoSuchMessage, "trimmed away");
}
