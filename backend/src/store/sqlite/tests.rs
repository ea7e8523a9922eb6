//! The store as callers use it, on a real file in a temporary directory: migrating an old
//! database, the bound on reader connections, and each sync mode taking effect.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::{
    READERS, SqliteStore, SyncMode,
    schema::{MIGRATIONS, SCHEMA},
};
use crate::{
    delivery::frame::ChatFrame,
    fanout::ChatPublisher,
    store::{Appended, Author, NewMessage, Page, Store},
};
use chinwag_shared::{ClientId, MessageText, RoomName, Username};
use rusqlite::Connection;
use std::{
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

struct NoFanout;

impl ChatPublisher for NoFanout {
    fn publish_chat(&self, _chat: ChatFrame) {}
}

fn message(username: &str, text: &str, client_id: &str) -> NewMessage {
    let username = Username::parse(username).unwrap();
    NewMessage {
        guest: true,
        bot: false,
        room: RoomName::parse("r").unwrap(),
        author: Author::name(&username),
        username,
        text: MessageText::parse(text).unwrap(),
        client_id: Some(ClientId::parse(client_id).unwrap()),
    }
}

/// A database as the version before authors wrote it (its schema, `user_version` 0), with
/// one row that has a client_id.
fn write_old_database(path: &Path) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(SCHEMA).unwrap();
    conn.execute_batch(MIGRATIONS[0]).unwrap();
    conn.execute_batch(
        "INSERT INTO rooms (name, last_id) VALUES ('r', 1);
         INSERT INTO messages (room, id, username, message, ts, client_id)
         VALUES ('r', 1, 'ada', 'old', 1700000000000, 'c-1');",
    )
    .unwrap();
}

#[tokio::test]
async fn an_old_database_migrates_and_its_rows_still_answer_their_authors_retries() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    write_old_database(&path);
    let store = SqliteStore::open(&path, SyncMode::Full, Arc::new(NoFanout)).unwrap();

    let retry = store.append(message("ada", "old", "c-1")).await.unwrap();
    let Appended::Duplicate(record) = retry else {
        panic!("the old row answers its author's retry: {retry:?}");
    };
    assert_eq!((record.id, record.client_id.unwrap().as_str()), (1, "c-1"));
    assert_eq!(
        store.append(message("ada", "new", "c-1")).await.unwrap(),
        Appended::Reused
    );
    let someone_else = store.append(message("bob", "mine", "c-1")).await.unwrap();
    assert!(
        matches!(&someone_else, Appended::Stored(record) if record.id == 2),
        "another author's id is another message: {someone_else:?}"
    );
    let room = RoomName::parse("r").unwrap();
    let page = store
        .page(
            &room,
            Page::After {
                after: 0,
                limit: 10,
            },
        )
        .await
        .unwrap();
    let seen: Vec<_> = page.iter().map(|r| (r.id, r.client_id.clone())).collect();
    assert_eq!(seen, [(1, None), (2, None)], "pages carry no client_id");
    store.close().await;

    // Opening it again runs nothing twice.
    let store = SqliteStore::open(&path, SyncMode::Full, Arc::new(NoFanout)).unwrap();
    let again = store.append(message("bob", "mine", "c-1")).await.unwrap();
    assert!(matches!(again, Appended::Duplicate(record) if record.id == 2));
    store.close().await;
}

#[tokio::test]
async fn many_concurrent_reads_use_at_most_the_pooled_connections() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        SqliteStore::open(
            &dir.path().join("t.db"),
            SyncMode::Normal,
            Arc::new(NoFanout),
        )
        .unwrap(),
    );
    let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut reads = tokio::task::JoinSet::new();
    for _ in 0..64 {
        let (store, running, most) = (Arc::clone(&store), Arc::clone(&running), Arc::clone(&most));
        reads.spawn(async move {
            store
                .readers
                .read(move |_conn| {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    // A slow read, so that many overlap.
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                    Ok(())
                })
                .await
        });
    }
    while let Some(read) = reads.join_next().await {
        read.unwrap().unwrap();
    }
    let most = most.load(Ordering::SeqCst);
    assert!(most > 1, "reads ran side by side ({most})");
    assert!(most <= READERS, "{most} reads ran at once");
    let open = store.readers.idle();
    assert!(open <= READERS, "{open} reader connections stay open");
}

fn plain(text: &str) -> NewMessage {
    let username = Username::parse("alice").unwrap();
    NewMessage {
        guest: true,
        bot: false,
        room: RoomName::parse("durable").unwrap(),
        author: Author::name(&username),
        username,
        text: MessageText::parse(text).unwrap(),
        client_id: None,
    }
}

#[tokio::test]
async fn each_sync_mode_is_what_sqlite_reports_on_the_write_connection() {
    for mode in [SyncMode::Full, SyncMode::Normal] {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db"), mode, Arc::new(NoFanout)).unwrap();
        assert_eq!(store.sync_mode(), mode);
        let appended = store.append(plain("kept")).await.unwrap();
        assert!(matches!(appended, Appended::Stored(record) if record.id == 1));
        store.close().await;
    }
}

#[tokio::test]
async fn reopening_with_the_other_mode_takes_the_new_one() {
    // `synchronous` belongs to the connection, not the file: nothing sticks from last time.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let first = SqliteStore::open(&path, SyncMode::Normal, Arc::new(NoFanout)).unwrap();
    first.close().await;
    let second = SqliteStore::open(&path, SyncMode::Full, Arc::new(NoFanout)).unwrap();
    assert_eq!(second.sync_mode(), SyncMode::Full);
    second.close().await;
}

/// How often a page read's statement was prepared again over three reads with different
/// bounds, on a connection opened as the store opens its own or a plain one.
fn reprepares_over_three_page_reads(hold_plans: bool) -> i32 {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(SCHEMA).unwrap();
    if hold_plans {
        super::hold_query_plans(&conn).unwrap();
    }
    let sql = "SELECT id FROM messages WHERE room = ?1 AND id > ?2 ORDER BY id ASC LIMIT ?3";
    for (after, limit) in [(0, 50), (10, 20), (30, 50)] {
        let mut stmt = conn.prepare_cached(sql).unwrap();
        let ids: Vec<i64> = stmt
            .query_map(rusqlite::params!["r", after, limit], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(ids.is_empty());
    }
    conn.prepare_cached(sql)
        .unwrap()
        .get_status(rusqlite::StatementStatus::RePrepare)
}

#[test]
fn a_page_read_keeps_its_prepared_plan_from_read_to_read() {
    assert_eq!(reprepares_over_three_page_reads(true), 0);
    // What the setting prevents: a plain connection plans the page read again each time its
    // `LIMIT ?` is bound.
    assert!(reprepares_over_three_page_reads(false) >= 2);
}
