//! Secure deletion against the raw bytes of the database files: a deleted text (and every
//! earlier version of it, short or spilling onto overflow pages) is present in the files
//! before the deletion and absent from the database, its WAL and its shared-memory index
//! after the scrub; a reader in the way delays the scrub but not the appends; and a WAL
//! left holding deleted text by a crash is truncated when the file opens again.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::{SqliteStore, SyncMode, schema::MIGRATIONS};
use crate::{
    delivery::frame::ChatFrame,
    fanout::ChatPublisher,
    store::{Appended, Author, ChangeAction, Changed, NewChange, NewMessage, Store},
};
use chinwag_shared::{MessageText, RoomName, Username};
use rusqlite::Connection;
use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

/// Longest a test waits for the writer's scrub; it usually takes milliseconds.
const SCRUB_DEADLINE: Duration = Duration::from_secs(10);

struct NoFanout;

impl ChatPublisher for NoFanout {
    fn publish_chat(&self, _chat: ChatFrame) {}
}

const FILE: &str = "chinwag.db";

fn room() -> RoomName {
    RoomName::parse("general").unwrap()
}

/// A text no SQLite structure holds by chance, distinct per test and purpose.
fn marker(purpose: &str) -> String {
    format!("zq-{purpose}-7c1e9b04-qz")
}

/// The database file and its companions, as far as they exist.
fn database_files(dir: &Path) -> Vec<PathBuf> {
    ["", "-wal", "-shm", "-journal"]
        .iter()
        .map(|suffix| dir.join(format!("{FILE}{suffix}")))
        .filter(|path| path.exists())
        .collect()
}

/// The database files whose raw bytes contain `text`.
fn files_holding(dir: &Path, text: &str) -> Vec<String> {
    let needle = text.as_bytes();
    database_files(dir)
        .into_iter()
        .filter(|path| {
            let bytes = std::fs::read(path).unwrap();
            bytes.windows(needle.len()).any(|window| window == needle)
        })
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

async fn post(store: &SqliteStore, text: &str) -> u64 {
    let username = Username::parse("ada").unwrap();
    let message = NewMessage {
        room: room(),
        author: Author::name(&username),
        username,
        text: MessageText::parse(text).unwrap(),
        client_id: None,
        guest: true,
        bot: false,
    };
    match store.append(message).await.unwrap() {
        Appended::Stored(record) => record.id,
        other => panic!("stored: {other:?}"),
    }
}

async fn change(store: &SqliteStore, target: u64, action: ChangeAction) -> u64 {
    let change = NewChange {
        room: room(),
        target,
        actor: Username::parse("ada").unwrap(),
        guest: true,
        action,
    };
    match store.change(change).await.unwrap() {
        Changed::Stored(record) => record.id,
        other => panic!("stored: {other:?}"),
    }
}

async fn scrubbed(store: &SqliteStore) {
    tokio::time::timeout(SCRUB_DEADLINE, store.scrubbed())
        .await
        .expect("the scrub finishes in time")
        .unwrap();
}

#[tokio::test]
async fn a_deleted_text_and_its_earlier_versions_leave_the_database_files() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        SqliteStore::open(&dir.path().join(FILE), SyncMode::Full, Arc::new(NoFanout)).unwrap();
    let (short, edited, long, kept) = (
        marker("short"),
        marker("edited"),
        marker("long"),
        marker("kept"),
    );
    // Past a page's local payload, so the text spills onto overflow pages; its marker is
    // at the end, on the last of them.
    let long_text = format!("{}{long}", "overflow ".repeat(400));

    let first = post(&store, &short).await;
    change(
        &store,
        first,
        ChangeAction::Edit(MessageText::parse(&edited).unwrap()),
    )
    .await;
    let second = post(&store, &long_text).await;
    post(&store, &kept).await;
    for text in [&short, &edited, &long, &kept] {
        assert!(
            !files_holding(dir.path(), text).is_empty(),
            "before the deletion the files hold {text}"
        );
    }

    for target in [first, second] {
        change(&store, target, ChangeAction::Delete { moderator: false }).await;
    }
    scrubbed(&store).await;
    for text in [&short, &edited, &long] {
        assert_eq!(
            files_holding(dir.path(), text),
            Vec::<String>::new(),
            "no file holds {text} after its deletion"
        );
    }
    assert!(
        !files_holding(dir.path(), &kept).is_empty(),
        "what was not deleted is still found by the same search"
    );
    assert!(post(&store, "still writing").await > 0);
    store.close().await;
}

#[tokio::test]
async fn a_reader_in_the_way_delays_the_scrub_but_not_the_appends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE);
    let store = SqliteStore::open(&path, SyncMode::Normal, Arc::new(NoFanout)).unwrap();
    let secret = marker("held");
    let id = post(&store, &secret).await;

    // A read transaction that has read holds its snapshot of the WAL until it ends.
    let reader = Connection::open(&path).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let seen: i64 = reader
        .query_row("SELECT count(*) FROM messages", [], |row| row.get(0))
        .unwrap();
    assert_eq!(seen, 1);

    change(&store, id, ChangeAction::Delete { moderator: false }).await;
    // The writer does not wait on the reader (its busy timeout is 5 s): appends go on.
    let next = tokio::time::timeout(Duration::from_secs(3), post(&store, "meanwhile")).await;
    assert!(next.is_ok(), "an append waited on the blocked checkpoint");
    assert!(
        tokio::time::timeout(Duration::from_millis(200), store.scrubbed())
            .await
            .is_err(),
        "the scrub cannot finish while the reader holds the WAL"
    );
    assert!(
        !files_holding(dir.path(), &secret).is_empty(),
        "the reader's snapshot keeps the old frames"
    );

    reader.execute_batch("COMMIT").unwrap();
    drop(reader);
    // No further write: the writer's timer tries again by itself.
    scrubbed(&store).await;
    assert_eq!(files_holding(dir.path(), &secret), Vec::<String>::new());
    store.close().await;
}

#[tokio::test]
async fn a_wal_left_holding_deleted_text_is_truncated_when_the_file_opens() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live");
    std::fs::create_dir(&live).unwrap();
    let secret = marker("crash");
    // A file whose database holds a text and whose WAL holds that text's deletion: the state
    // a crash between a deletion's commit and its checkpoint leaves.
    let store = SqliteStore::open(&live.join(FILE), SyncMode::Normal, Arc::new(NoFanout)).unwrap();
    let id = post(&store, &secret).await;
    let writer = Connection::open(live.join(FILE)).unwrap();
    writer
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
            row.get::<_, i64>(0)
        })
        .unwrap();
    assert_eq!(
        files_holding(&live, &secret),
        [FILE],
        "checkpointed into the file"
    );
    writer.pragma_update(None, "secure_delete", "ON").unwrap();
    writer
        .execute(
            "UPDATE messages SET message = '', deleted_id = 2 WHERE room = 'general' AND id = ?1",
            [id],
        )
        .unwrap();
    let crashed = dir.path().join("crashed");
    std::fs::create_dir(&crashed).unwrap();
    for suffix in ["", "-wal"] {
        let name = format!("{FILE}{suffix}");
        std::fs::copy(live.join(&name), crashed.join(&name)).unwrap();
    }
    drop(writer);
    store.close().await;
    assert_eq!(
        files_holding(&crashed, &secret),
        [FILE],
        "the crash left it there"
    );

    let reopened =
        SqliteStore::open(&crashed.join(FILE), SyncMode::Normal, Arc::new(NoFanout)).unwrap();
    scrubbed(&reopened).await;
    assert_eq!(files_holding(&crashed, &secret), Vec::<String>::new());
    let version: i64 = Connection::open(crashed.join(FILE))
        .unwrap()
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, MIGRATIONS.len() as i64);
    reopened.close().await;
}

#[tokio::test]
async fn a_deletion_is_scrubbed_while_pages_are_read_without_pause() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        SqliteStore::open(&dir.path().join(FILE), SyncMode::Normal, Arc::new(NoFanout)).unwrap(),
    );
    let secret = marker("busy");
    let id = post(&store, &secret).await;
    for n in 0..50 {
        post(&store, &format!("filler {n}")).await;
    }
    let reading = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let mut readers = tokio::task::JoinSet::new();
    for _ in 0..super::READERS {
        let (store, reading) = (Arc::clone(&store), Arc::clone(&reading));
        readers.spawn(async move {
            let mut pages = 0_u32;
            // Bounded: stops when told, or after this many pages whatever happens.
            while reading.load(std::sync::atomic::Ordering::Relaxed) && pages < 200_000 {
                let page = crate::store::Page::After {
                    after: 0,
                    limit: 100,
                };
                store.page(&room(), page).await.unwrap();
                pages += 1;
            }
            pages
        });
    }

    change(&store, id, ChangeAction::Delete { moderator: false }).await;
    let scrub = tokio::time::timeout(SCRUB_DEADLINE, store.scrubbed()).await;
    reading.store(false, std::sync::atomic::Ordering::Relaxed);
    let mut pages = 0;
    while let Some(read) = readers.join_next().await {
        pages += read.unwrap();
    }
    assert!(
        scrub.is_ok(),
        "the scrub got past readers that never paused"
    );
    assert!(pages > 0);
    assert_eq!(files_holding(dir.path(), &secret), Vec::<String>::new());
    store.close().await;
}
