//! A file from before change records and moderation (schema version 4) as the current
//! version opens it: migrated once, its rows read back as messages, and it takes edits,
//! deletions and the moderation directory; opening it again runs nothing twice.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::{
    SqliteStore, SyncMode,
    changes_tests::{Published, delete, edit, everything, message, room, stored, texts},
    schema::{MIGRATIONS, SCHEMA},
};
use crate::store::{Appended, Store, moderation::Moderation};
use rusqlite::Connection;
use std::{path::Path, sync::Arc};

/// A database as version 4 wrote it (before change records and moderation), with one
/// message under a client_id.
fn write_version_4_database(path: &Path) {
    let mut conn = Connection::open(path).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.execute_batch(SCHEMA).unwrap();
    let tx = conn.transaction().unwrap();
    for migration in &MIGRATIONS[..4] {
        tx.execute_batch(migration).unwrap();
    }
    tx.pragma_update(None, "user_version", 4).unwrap();
    tx.execute_batch(
        "INSERT INTO rooms (name, last_id) VALUES ('general', 2);
         INSERT INTO messages (room, id, username, message, ts, client_id, author, guest)
         VALUES ('general', 1, 'ada', 'from before', 1700000000000, 'c-1', 'name:ada', 0),
                ('general', 2, 'bob', 'also old', 1700000000001, NULL, NULL, 1);",
    )
    .unwrap();
    tx.commit().unwrap();
}

fn user_version(path: &Path) -> i64 {
    Connection::open(path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap()
}

#[tokio::test]
async fn a_version_4_file_migrates_once_and_takes_changes_and_moderation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chinwag.db");
    write_version_4_database(&path);
    assert_eq!(user_version(&path), 4);

    let store = SqliteStore::open(&path, SyncMode::Normal, Arc::new(Published::default())).unwrap();
    assert_eq!(user_version(&path), MIGRATIONS.len() as i64);
    assert!(MIGRATIONS.len() >= 5, "every migration since version 4 ran");
    let old = everything(&store).await;
    assert_eq!(texts(&old), [(1, "from before"), (2, "also old")]);
    assert!(old.iter().all(|record| record.change.is_none()
        && record.edited.is_none()
        && record.deleted.is_none()));
    assert!(!old[0].guest && old[1].guest);

    assert_eq!(stored(&store, edit(1, "edited now")).await.id, 3);
    assert_eq!(stored(&store, delete(2, "mod", true)).await.id, 4);
    let moderation = store.moderation(&path).unwrap();
    moderation.set_slow_mode(&room(), 30).await.unwrap();
    store.close().await;

    // Opening it again runs no migration twice and keeps everything.
    let store = SqliteStore::open(&path, SyncMode::Normal, Arc::new(Published::default())).unwrap();
    assert_eq!(user_version(&path), MIGRATIONS.len() as i64);
    let now = everything(&store).await;
    assert_eq!(
        texts(&now),
        [(1, "edited now"), (2, ""), (3, "edited now"), (4, "")]
    );
    assert_eq!(now[0].edited, Some(3));
    let Appended::Duplicate(retry) = store
        .append(message("ada", "from before", Some("c-1")))
        .await
        .unwrap()
    else {
        panic!("the old row still answers its author's retry");
    };
    assert_eq!((retry.id, retry.message.as_str()), (1, "edited now"));
    let moderation = store.moderation(&path).unwrap();
    assert_eq!(
        moderation.room_rules(&room()).await.unwrap().slow_mode_secs,
        30
    );
    store.close().await;
}

#[test]
fn connections_migrating_one_new_file_at_once_each_run_every_migration_once() {
    // A server starting while `chinwag accounts …` opens the same file: both migrate.
    for _round in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chinwag.db");
        let racers: Vec<_> = (0..4)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let mut conn = Connection::open(&path).unwrap();
                    conn.busy_timeout(std::time::Duration::from_secs(10))
                        .unwrap();
                    super::enable_wal(&conn).unwrap();
                    conn.execute_batch(SCHEMA).unwrap();
                    super::schema::migrate(&mut conn)
                })
            })
            .collect();
        for racer in racers {
            racer.join().unwrap().unwrap();
        }
        assert_eq!(user_version(&path), MIGRATIONS.len() as i64);
    }
}
