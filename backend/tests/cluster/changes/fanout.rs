//! A change reaches another node's sessions as any record does: the change script publishes
//! it on the fan-out channel with its id, in order with the messages around it, and B's
//! `Subscriber` delivers the very JSON the store answered into a member's outbox. Two
//! in-process "nodes" on one real Redis, as in `removal`.

use super::{changed, delete, edit, post, room, store};
use crate::{redis::Redis, support::WAIT};
use chinwag_backend::{
    cluster::{Link, RedisStore, Subscriber},
    delivery::{frame::Frame, outbox::Outbox, rooms::Rooms},
    store::Store,
};
use chinwag_shared::{ChatRecord, ServerMsg};
use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};
use tokio_util::sync::CancellationToken;

/// Waits (bounded) until `flag` is up: B misses what is published before it subscribes.
async fn until_set(flag: &AtomicBool) {
    for _ in 0..200 {
        if flag.load(Ordering::Relaxed) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the subscriber never subscribed");
}

/// The next chat frame `outbox` receives: its id and its record.
async fn next_chat(outbox: &mut Outbox) -> (u64, ChatRecord) {
    let frame: Arc<Frame> = tokio::time::timeout(WAIT, outbox.next())
        .await
        .expect("a frame in time")
        .expect("the outbox stays open");
    let chat = frame.as_chat().expect("a chat frame");
    match serde_json::from_str::<ServerMsg>(&chat.text).unwrap() {
        ServerMsg::Chat(record) => (chat.id, record),
        other => panic!("a chat record expected: {other:?}"),
    }
}

#[tokio::test]
async fn a_change_published_by_one_node_reaches_another_nodes_members_in_id_order() {
    let redis = Redis::start().await;
    let stop = CancellationToken::new();
    let _stop_on_exit = stop.clone().drop_guard();

    let b_link = Link::new(&redis.url(), Duration::from_secs(5)).unwrap();
    let b_rooms = Arc::new(Rooms::new(1 << 20));
    let subscribed = Arc::new(AtomicBool::new(false));
    let b_store: Arc<dyn Store> = Arc::new(RedisStore::new(
        b_link.clone(),
        1_000,
        Arc::clone(&subscribed),
    ));
    let mut outbox = Outbox::new(16, 1 << 20);
    b_rooms
        .join(&room(), 1, outbox.sender(), None, None, true)
        .expect("a nameless member takes no name");
    let subscriber = Subscriber::new(
        b_link,
        Arc::clone(&b_rooms),
        b_store,
        Arc::clone(&subscribed),
    );
    let subscriber = tokio::spawn(subscriber.run(stop.clone()));
    until_set(&subscribed).await;

    let a = store(&redis, 1_000);
    let target = post(&a, "ada", "helo", None).await;
    let edited = changed(&a, edit(target, "ada", "hello")).await;
    post(&a, "bob", "between", None).await;
    let deleted = changed(&a, delete(target, "mod", true)).await;

    assert_eq!(next_chat(&mut outbox).await.0, target);
    assert_eq!(next_chat(&mut outbox).await, (edited.id, edited.clone()));
    assert_eq!(next_chat(&mut outbox).await.0, 3);
    assert_eq!(next_chat(&mut outbox).await, (deleted.id, deleted.clone()));
    assert_eq!((edited.id, deleted.id), (2, 4));

    stop.cancel();
    tokio::time::timeout(WAIT, subscriber)
        .await
        .expect("the subscriber stops when asked")
        .unwrap();
}
