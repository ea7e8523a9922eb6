//! Edits and deletions in the embedded store, on a real file: each is the room's next record,
//! published in id order with the appends; the message is served in its current state by
//! pages and by its author's retry; and what cannot be changed writes nothing. The helpers
//! here serve `migration_tests` too.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::{SqliteStore, SyncMode};
use crate::{
    delivery::frame::ChatFrame,
    fanout::ChatPublisher,
    store::{Appended, Author, ChangeAction, Changed, NewChange, NewMessage, Page, Store},
};
use chinwag_shared::{
    Change, ChatRecord, ClientId, Deletion, MessageText, RoomName, RoomSummary, Username,
};
use std::sync::{Arc, Mutex};

/// Every record published, in publication order.
#[derive(Default)]
pub(super) struct Published(Mutex<Vec<ChatRecord>>);

impl ChatPublisher for Published {
    fn publish_chat(&self, chat: ChatFrame) {
        let record = chat
            .record
            .expect("the embedded store publishes its records");
        self.0.lock().unwrap().push(ChatRecord::clone(&record));
    }
}

impl Published {
    fn ids(&self) -> Vec<u64> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|record| record.id)
            .collect()
    }
}

fn open(dir: &tempfile::TempDir) -> (SqliteStore, Arc<Published>) {
    let published = Arc::new(Published::default());
    let publisher: Arc<dyn ChatPublisher> = Arc::clone(&published) as _;
    let store =
        SqliteStore::open(&dir.path().join("chinwag.db"), SyncMode::Normal, publisher).unwrap();
    (store, published)
}

pub(super) fn room() -> RoomName {
    RoomName::parse("general").unwrap()
}

pub(super) fn name(raw: &str) -> Username {
    Username::parse(raw).unwrap()
}

pub(super) fn message(username: &str, text: &str, client_id: Option<&str>) -> NewMessage {
    let username = name(username);
    NewMessage {
        room: room(),
        author: Author::name(&username),
        username,
        text: MessageText::parse(text).unwrap(),
        client_id: client_id.map(|id| ClientId::parse(id).unwrap()),
        guest: true,
        bot: false,
    }
}

pub(super) fn edit(target: u64, text: &str) -> NewChange {
    NewChange {
        room: room(),
        target,
        actor: name("ada"),
        guest: true,
        action: ChangeAction::Edit(MessageText::parse(text).unwrap()),
    }
}

pub(super) fn delete(target: u64, actor: &str, moderator: bool) -> NewChange {
    NewChange {
        room: room(),
        target,
        actor: name(actor),
        guest: false,
        action: ChangeAction::Delete { moderator },
    }
}

async fn post(store: &SqliteStore, text: &str) -> u64 {
    match store.append(message("ada", text, None)).await.unwrap() {
        Appended::Stored(record) => record.id,
        other => panic!("a new message is stored: {other:?}"),
    }
}

pub(super) async fn stored(store: &SqliteStore, change: NewChange) -> ChatRecord {
    match store.change(change).await.unwrap() {
        Changed::Stored(record) => record,
        other => panic!("the change is stored: {other:?}"),
    }
}

pub(super) async fn everything(store: &SqliteStore) -> Vec<ChatRecord> {
    let page = Page::After {
        after: 0,
        limit: 100,
    };
    store.page(&room(), page).await.unwrap()
}

pub(super) fn texts(records: &[ChatRecord]) -> Vec<(u64, &str)> {
    records
        .iter()
        .map(|record| (record.id, record.message.as_str()))
        .collect()
}

#[tokio::test]
async fn an_edit_is_the_rooms_next_record_and_the_message_reads_back_edited() {
    let dir = tempfile::tempdir().unwrap();
    let (store, published) = open(&dir);
    assert_eq!(post(&store, "helo").await, 1);
    assert_eq!(post(&store, "second").await, 2);

    let first = stored(&store, edit(1, "hello")).await;
    assert_eq!(first.id, 3);
    assert_eq!(first.change, Some(Change::Edit { target: 1 }));
    assert_eq!(
        (first.username.as_str(), first.message.as_str()),
        ("ada", "hello")
    );
    assert_eq!(
        (first.edited, &first.deleted, &first.client_id),
        (None, &None, &None)
    );
    let again = stored(&store, edit(1, "hello!")).await;
    assert_eq!(again.id, 4);

    let page = everything(&store).await;
    assert_eq!(
        texts(&page),
        [(1, "hello!"), (2, "second"), (3, "hello"), (4, "hello!")]
    );
    assert_eq!(page[0].edited, Some(4), "the latest edit");
    assert_eq!(
        (page[0].change.clone(), page[0].deleted.clone()),
        (None, None)
    );
    assert_eq!(page[1].edited, None);
    assert_eq!(
        page[2], first,
        "the edit record reads back as it was stored"
    );
    assert_eq!(page[3].change, Some(Change::Edit { target: 1 }));

    // A scrollback page and a single record show the same current state.
    let before = store
        .page(
            &room(),
            Page::Before {
                before: 3,
                limit: 1,
            },
        )
        .await
        .unwrap();
    assert_eq!(texts(&before), [(2, "second")]);
    let one = store.record(&room(), 1).await.unwrap().unwrap();
    assert_eq!((one.message.as_str(), one.edited), ("hello!", Some(4)));

    assert_eq!(
        published.ids(),
        [1, 2, 3, 4],
        "change records are published too"
    );
    assert_eq!(store.head(&room()).await.unwrap().last_id, 4);
    let listed = store.rooms(None, 10).await.unwrap();
    assert_eq!(
        listed,
        [RoomSummary {
            room: room(),
            last_id: 4,
            unread: None,
            mentions: None
        }],
        "the room list counts change records"
    );
    store.close().await;
}

#[tokio::test]
async fn a_deletion_leaves_a_tombstone_and_empties_every_edit_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let (store, published) = open(&dir);
    post(&store, "first draft").await;
    stored(&store, edit(1, "second draft")).await;
    stored(&store, edit(1, "third draft")).await;
    post(&store, "bystander").await;

    let deletion = stored(&store, delete(1, "ada", false)).await;
    assert_eq!(deletion.id, 5);
    assert_eq!(
        deletion.change,
        Some(Change::Delete {
            target: 1,
            moderator: false
        })
    );
    assert_eq!((deletion.message.as_str(), deletion.guest), ("", false));

    let page = everything(&store).await;
    assert_eq!(
        texts(&page),
        [(1, ""), (2, ""), (3, ""), (4, "bystander"), (5, "")],
        "neither the message nor any edit of it keeps its text"
    );
    assert_eq!(page[0].deleted, Some(Deletion { id: 5, by: None }));
    assert_eq!(page[0].edited, Some(3), "it was edited before it went");
    assert_eq!(page[1].change, Some(Change::Edit { target: 1 }));
    assert_eq!(page[3].deleted, None);
    assert_eq!(page[4], deletion);
    assert_eq!(published.ids(), [1, 2, 3, 4, 5]);

    // A moderator's deletion names the moderator on the tombstone.
    let by_mod = stored(&store, delete(4, "mod", true)).await;
    assert_eq!(
        by_mod.change,
        Some(Change::Delete {
            target: 4,
            moderator: true
        })
    );
    let tombstone = store.record(&room(), 4).await.unwrap().unwrap();
    assert_eq!(
        tombstone.deleted,
        Some(Deletion {
            id: 6,
            by: Some(name("mod"))
        })
    );
    assert_eq!((tombstone.message.as_str(), tombstone.edited), ("", None));
    store.close().await;
}

#[tokio::test]
async fn what_cannot_be_changed_writes_and_publishes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (store, published) = open(&dir);
    post(&store, "hi").await;
    stored(&store, edit(1, "hi!")).await;
    post(&store, "doomed").await;
    stored(&store, delete(3, "ada", false)).await;
    let head = store.head(&room()).await.unwrap().last_id;
    assert_eq!(head, 4);

    let cases = [
        (edit(2, "edit an edit"), Changed::NoSuchMessage),
        (delete(2, "ada", false), Changed::NoSuchMessage),
        (delete(4, "ada", false), Changed::NoSuchMessage),
        (edit(0, "nothing"), Changed::NoSuchMessage),
        (edit(99, "not yet"), Changed::NoSuchMessage),
        (edit(u64::MAX, "never"), Changed::NoSuchMessage),
        (delete(3, "ada", false), Changed::AlreadyDeleted),
        (delete(3, "mod", true), Changed::AlreadyDeleted),
        (edit(3, "back from the dead"), Changed::AlreadyDeleted),
    ];
    for (change, expected) in cases {
        assert_eq!(store.change(change).await.unwrap(), expected);
    }
    let mut elsewhere = edit(1, "other room");
    elsewhere.room = RoomName::parse("elsewhere").unwrap();
    assert_eq!(
        store.change(elsewhere).await.unwrap(),
        Changed::NoSuchMessage
    );
    assert!(
        !store
            .has_room(&RoomName::parse("elsewhere").unwrap())
            .await
            .unwrap()
    );

    assert_eq!(store.head(&room()).await.unwrap().last_id, head);
    assert_eq!(published.ids(), [1, 2, 3, 4]);
    assert_eq!(
        texts(&everything(&store).await),
        [(1, "hi!"), (2, "hi!"), (3, ""), (4, "")]
    );
    store.close().await;
}

#[tokio::test]
async fn changes_and_appends_racing_share_one_sequence_published_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (store, published) = open(&dir);
    let store = Arc::new(store);
    for n in 1..=20 {
        post(&store, &format!("message {n}")).await;
    }
    let mut writes = tokio::task::JoinSet::new();
    for n in 1..=20_u64 {
        let appender = Arc::clone(&store);
        writes.spawn(async move { post(&appender, &format!("late {n}")).await });
        let changer = Arc::clone(&store);
        writes.spawn(async move {
            let change = if n.is_multiple_of(2) {
                edit(n, &format!("edited {n}"))
            } else {
                delete(n, "mod", true)
            };
            stored(&changer, change).await.id
        });
    }
    let mut ids = Vec::new();
    while let Some(id) = writes.join_next().await {
        ids.push(id.unwrap());
    }
    ids.sort_unstable();
    assert_eq!(ids, (21..=60).collect::<Vec<_>>(), "no id twice, no hole");
    assert_eq!(
        published.ids(),
        (1..=60).collect::<Vec<_>>(),
        "published in id order"
    );

    let page = everything(&store).await;
    assert_eq!(page.len(), 60);
    for (index, record) in page.iter().enumerate().take(20) {
        let n = index as u64 + 1;
        if n.is_multiple_of(2) {
            assert_eq!(record.message, format!("edited {n}"));
            let edit_id = record.edited.unwrap();
            assert_eq!(
                page[edit_id as usize - 1].change,
                Some(Change::Edit { target: n })
            );
        } else {
            assert_eq!(record.message, "");
            let deletion = record.deleted.clone().unwrap();
            assert_eq!(deletion.by, Some(name("mod")));
            assert_eq!(
                page[deletion.id as usize - 1].change,
                Some(Change::Delete {
                    target: n,
                    moderator: true
                })
            );
        }
    }
    store.close().await;
}

#[tokio::test]
async fn an_authors_retry_is_answered_with_the_message_as_it_is_now() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _published) = open(&dir);
    let original = store
        .append(message("ada", "typo", Some("c-1")))
        .await
        .unwrap();
    assert!(matches!(original, Appended::Stored(ref record) if record.id == 1));
    stored(&store, edit(1, "fixed")).await;
    let Appended::Duplicate(edited) = store
        .append(message("ada", "typo", Some("c-1")))
        .await
        .unwrap()
    else {
        panic!("a retry of an edited message is its duplicate");
    };
    assert_eq!((edited.id, edited.message.as_str()), (1, "fixed"));
    assert_eq!(edited.edited, Some(2));
    assert_eq!(edited.client_id.as_ref().map(ClientId::as_str), Some("c-1"));

    stored(&store, delete(1, "mod", true)).await;
    let Appended::Duplicate(gone) = store
        .append(message("ada", "typo", Some("c-1")))
        .await
        .unwrap()
    else {
        panic!("a retry of a deleted message is its duplicate, not a new message");
    };
    assert_eq!((gone.id, gone.message.as_str()), (1, ""));
    assert_eq!(
        gone.deleted,
        Some(Deletion {
            id: 3,
            by: Some(name("mod"))
        })
    );
    // Someone else's name under the same id still proves nothing.
    let other = store
        .append(message("bob", "typo", Some("c-1")))
        .await
        .unwrap();
    assert!(
        matches!(&other, Appended::Stored(record)
            if record.id == 4 && record.username == name("bob")),
        "another author's id is another message: {other:?}"
    );
    assert_eq!(store.head(&room()).await.unwrap().last_id, 4);
    store.close().await;
}
