//! Restoring records raw and walking rooms by name on a real Redis without a node: a
//! restored log (edited, deleted, stripped edit records) reads back exactly, goes on after
//! its head, refuses a restore at or below it, and every room, private ones and ones made
//! before the name index existed, is walked by name.

use crate::{
    directory::{directory, log, room},
    redis::Redis,
};
use ::redis::AsyncCommands;
use chinwag_backend::store::{
    Appended, Author, NewMessage, Occupied, Page, Store,
    accounts::{Accounts, PrivateRoom},
};
use chinwag_shared::{Change, ChatRecord, Deletion, MessageText, RoomName, Username};
use std::collections::BTreeSet;

fn record(id: u64, message: &str) -> ChatRecord {
    ChatRecord {
        id,
        room: room("b"),
        username: Username::parse("ada").unwrap(),
        message: message.to_owned(),
        ts: 1_700_000_000_000 + id,
        guest: false,
        bot: false,
        client_id: None,
        change: None,
        deleted: None,
        edited: None,
    }
}

/// Message 1 edited by 3; message 2 edited by 4 then deleted by 5 (4 stripped); 6 plain.
fn log_records() -> Vec<ChatRecord> {
    vec![
        ChatRecord {
            edited: Some(3),
            ..record(1, "edited text")
        },
        ChatRecord {
            deleted: Some(Deletion {
                id: 5,
                by: Some(Username::parse("mod").unwrap()),
            }),
            guest: true,
            bot: false,
            ..record(2, "")
        },
        ChatRecord {
            change: Some(Change::Edit { target: 1 }),
            ..record(3, "edited text")
        },
        ChatRecord {
            change: Some(Change::Edit { target: 2 }),
            ..record(4, "")
        },
        ChatRecord {
            change: Some(Change::Delete {
                target: 2,
                moderator: true,
            }),
            username: Username::parse("mod").unwrap(),
            ..record(5, "")
        },
        record(6, "plain"),
    ]
}

#[tokio::test]
async fn a_restored_log_reads_back_exactly_and_goes_on_after_its_head() {
    let redis = Redis::start().await;
    let store = log(&redis);
    assert_eq!(
        store.restore(&room("b"), &log_records()).await.unwrap(),
        Ok(())
    );
    let all = Page::After {
        after: 0,
        limit: 100,
    };
    assert_eq!(store.page(&room("b"), all).await.unwrap(), log_records());
    let before = Page::Before {
        before: u64::MAX,
        limit: 3,
    };
    assert_eq!(
        store.page(&room("b"), before).await.unwrap(),
        log_records()[3..].to_vec(),
        "scrollback finds the revised records too"
    );
    assert_eq!(store.head(&room("b")).await.unwrap().last_id, 6);
    let listed = store.rooms(None, 10).await.unwrap();
    assert_eq!((listed[0].room.as_str(), listed[0].last_id), ("b", 6));

    let username = Username::parse("bob").unwrap();
    let next = NewMessage {
        room: room("b"),
        author: Author::name(&username),
        username,
        text: MessageText::parse("after").unwrap(),
        client_id: None,
        guest: true,
        bot: false,
    };
    let Appended::Stored(stored) = store.append(next).await.unwrap() else {
        panic!("stored");
    };
    assert_eq!(stored.id, 7);
    assert_eq!(
        store
            .restore(&room("b"), &[record(7, "late")])
            .await
            .unwrap(),
        Err(Occupied { last_id: 7 })
    );
    assert_eq!(store.head(&room("b")).await.unwrap().last_id, 7);
}

#[tokio::test]
async fn every_room_is_walked_by_name_even_ones_made_before_the_index() {
    let redis = Redis::start().await;
    let store = log(&redis);
    for name in ["c", "a"] {
        let username = Username::parse("ada").unwrap();
        let message = NewMessage {
            room: room(name),
            author: Author::name(&username),
            username,
            text: MessageText::parse("hi").unwrap(),
            client_id: None,
            guest: true,
            bot: false,
        };
        store.append(message).await.unwrap();
    }
    let private = PrivateRoom {
        owner: None,
        members: BTreeSet::new(),
        dm: false,
    };
    directory(&redis)
        .create_private_room(&room("b"), &private)
        .await
        .unwrap()
        .unwrap();
    let names = |rooms: Vec<RoomName>| -> Vec<String> {
        rooms.into_iter().map(|room| room.to_string()).collect()
    };
    assert_eq!(
        names(store.room_names(None, 10).await.unwrap()),
        ["a", "b", "c"]
    );
    assert_eq!(
        names(store.room_names(Some(&room("a")), 1).await.unwrap()),
        ["b"]
    );

    // As a store from before the index: the rooms are there, the index is not. A head read
    // of a room that has none mints an epoch but is no room.
    let mut conn = ::redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let _: () = conn.del("chinwag:rooms:by-name").await.unwrap();
    store.head(&room("ghost")).await.unwrap();
    let fresh = log(&redis);
    assert_eq!(
        names(fresh.room_names(None, 10).await.unwrap()),
        ["a", "b", "c"]
    );
}
