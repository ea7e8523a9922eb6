//! Restoring records raw and walking rooms by name, on a real file: a restored log reads
//! back exactly, takes its next append after it, refuses a restore below its head, and
//! every room (private ones too) is walked by name.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::{SqliteStore, SyncMode};
use crate::{
    delivery::frame::ChatFrame,
    fanout::ChatPublisher,
    store::{
        Appended, Author, NewMessage, Occupied, Page, Store,
        accounts::{Accounts, PrivateRoom},
    },
};
use chinwag_shared::{Change, ChatRecord, Deletion, MessageText, RoomName, Username};
use std::{collections::BTreeSet, sync::Arc};

struct NoFanout;

impl ChatPublisher for NoFanout {
    fn publish_chat(&self, _chat: ChatFrame) {}
}

fn room(name: &str) -> RoomName {
    RoomName::parse(name).unwrap()
}

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

/// A log with every kind of state: a message edited (1, by 3), one deleted after an edit (2,
/// its edit 4 stripped, deleted by 5), and a plain one (6).
fn log() -> Vec<ChatRecord> {
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
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chinwag.db");
    let store = SqliteStore::open(&path, SyncMode::Normal, Arc::new(NoFanout)).unwrap();
    assert_eq!(store.restore(&room("b"), &log()).await.unwrap(), Ok(()));
    let page = Page::After {
        after: 0,
        limit: 100,
    };
    assert_eq!(store.page(&room("b"), page).await.unwrap(), log());
    assert_eq!(store.head(&room("b")).await.unwrap().last_id, 6);

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
        Err(Occupied { last_id: 7 }),
        "nothing below or at the head is written over"
    );
    assert_eq!(store.head(&room("b")).await.unwrap().last_id, 7);
    store.close().await;
}

#[tokio::test]
async fn every_room_is_walked_by_name_private_ones_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chinwag.db");
    let store = SqliteStore::open(&path, SyncMode::Normal, Arc::new(NoFanout)).unwrap();
    let accounts = store.directory(&path).unwrap();
    for name in ["c", "a"] {
        let records: Vec<ChatRecord> = vec![ChatRecord {
            room: room(name),
            ..record(1, "hi")
        }];
        store.restore(&room(name), &records).await.unwrap().unwrap();
    }
    let private = PrivateRoom {
        owner: None,
        members: BTreeSet::new(),
        dm: false,
    };
    accounts
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
    assert!(
        store
            .room_names(Some(&room("c")), 10)
            .await
            .unwrap()
            .is_empty()
    );
    store.close().await;
}
