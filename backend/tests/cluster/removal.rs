//! A removal from a private room crosses nodes: published through one node's fan-out, it
//! reaches another node's sessions still saying whose connections must leave (`removes`),
//! while a plain event beside it says no one's. Two in-process "nodes" on one real Redis: A's
//! `RedisFanout` publishes, B's `Subscriber` delivers into B's registry, where a session's
//! outbox receives what its connection would.

use crate::{redis::Redis, support::WAIT};
use chinwag_backend::{
    cluster::{Link, RedisFanout, RedisStore, Subscriber},
    delivery::{
        frame::{EventFrame, Frame, Removes},
        outbox::Outbox,
        rooms::Rooms,
    },
    fanout::Fanout,
    store::Store,
};
use chinwag_shared::{ErrorCode, ErrorFrame, RoomName, ServerMsg, Username};
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

/// The next frame `outbox` receives, as an event.
async fn next_event(outbox: &mut Outbox) -> Arc<Frame> {
    let frame = tokio::time::timeout(WAIT, outbox.next())
        .await
        .expect("a frame in time")
        .expect("the outbox stays open");
    assert!(frame.as_chat().is_none(), "an event expected: {frame:?}");
    frame
}

fn removes(frame: &Frame) -> Option<&str> {
    match frame {
        Frame::Event(event) => match &event.removes {
            Some(Removes::Account(account)) => Some(account),
            Some(Removes::Outsiders | Removes::Guest { .. } | Removes::SignedOut(_)) | None => None,
        },
        Frame::Chat(_) => None,
    }
}

#[tokio::test]
async fn a_removal_published_on_one_node_reaches_another_nodes_sessions_with_its_account() {
    let redis = Redis::start().await;
    let stop = CancellationToken::new();
    let _stop_on_exit = stop.clone().drop_guard();
    let room = RoomName::parse("secret").unwrap();

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
        .join(&room, 1, outbox.sender(), None, None, true)
        .expect("a nameless member takes no name");
    let subscriber = Subscriber::new(
        b_link,
        Arc::clone(&b_rooms),
        b_store,
        Arc::clone(&subscribed),
    );
    let subscriber = tokio::spawn(subscriber.run(stop.clone()));
    until_set(&subscribed).await;

    let a_link = Link::new(&redis.url(), Duration::from_secs(5)).unwrap();
    let a = RedisFanout::start(a_link, stop.clone());
    let forbidden = ServerMsg::Error(ErrorFrame {
        code: ErrorCode::Forbidden,
        detail: "you were removed from this room".to_owned(),
        room: Some(room.as_str().to_owned()),
        client_id: None,
        retry_after_ms: None,
    });
    let removal = EventFrame::removal(&room, "jwt:line\nbreak", &forbidden);
    let sent_text = removal.text.clone();
    a.publish_event(removal);
    let typing = ServerMsg::Typing {
        room: room.clone(),
        username: Username::parse("ada").unwrap(),
    };
    a.publish_event(EventFrame::new(&room, &typing));

    let frame = next_event(&mut outbox).await;
    assert_eq!(removes(&frame), Some("jwt:line\nbreak"));
    assert_eq!(
        frame.text(),
        &sent_text,
        "the frame's text crosses verbatim"
    );
    assert_eq!(frame.room(), &room);
    let frame = next_event(&mut outbox).await;
    assert_eq!(removes(&frame), None, "a typing event removes no one");
    assert_eq!(
        serde_json::from_str::<ServerMsg>(frame.text()).unwrap(),
        typing
    );

    stop.cancel();
    tokio::time::timeout(WAIT, subscriber)
        .await
        .expect("the subscriber stops when asked")
        .unwrap();
}
