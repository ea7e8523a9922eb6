//! A deleted text is gone from Redis, not only hidden: no key's `DUMP` and no RDB snapshot
//! written after the deletion holds it, nor the text of its edits (and an edit removes the
//! text it replaces). Controls first show that both searches find each text while it stands (the test Redis writes strings
//! uncompressed, `rdbcompression no`, so a search of the bytes is meaningful). A Redis that
//! refuses `CONFIG` is reported as such, and changes still work on it.

use super::{changed, delete, edit, post, room, store};
use crate::redis::Redis;
use ::redis::{AsyncCommands, aio::MultiplexedConnection};
use chinwag_backend::{
    cluster::log::StreamNodes,
    store::{Appended, Store},
};
use std::path::Path;

const SECRET: &str = "my card number is 4929-SECRET-1188";
const EDITED_SECRET: &str = "oops, the card is 4929-EDITED-2299";

/// Every key in Redis, with its `DUMP`, found by `SCAN`.
async fn dumps(conn: &mut MultiplexedConnection) -> Vec<(String, Vec<u8>)> {
    let mut cursor = 0_u64;
    let mut found = Vec::new();
    for _ in 0..1_000 {
        let (next, keys): (u64, Vec<String>) = ::redis::cmd("SCAN")
            .arg(cursor)
            .arg("COUNT")
            .arg(100)
            .query_async(conn)
            .await
            .unwrap();
        for key in keys {
            let dump: Option<Vec<u8>> = ::redis::cmd("DUMP")
                .arg(&key)
                .query_async(conn)
                .await
                .unwrap();
            if let Some(dump) = dump {
                found.push((key, dump));
            }
        }
        if next == 0 {
            return found;
        }
        cursor = next;
    }
    panic!("SCAN never finished");
}

fn holds(bytes: &[u8], text: &str) -> bool {
    bytes
        .windows(text.len())
        .any(|window| window == text.as_bytes())
}

/// The keys whose `DUMP` holds `text`.
async fn keys_holding(conn: &mut MultiplexedConnection, text: &str) -> Vec<String> {
    dumps(conn)
        .await
        .into_iter()
        .filter(|(_, dump)| holds(dump, text))
        .map(|(key, _)| key)
        .collect()
}

/// Saves a snapshot and reads it back.
async fn snapshot(conn: &mut MultiplexedConnection, dir: &Path) -> Vec<u8> {
    let () = ::redis::cmd("SAVE").query_async(conn).await.unwrap();
    std::fs::read(dir.join("dump.rdb")).unwrap()
}

#[tokio::test]
async fn a_deleted_text_is_in_no_key_and_no_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let dir_arg = dir.path().to_str().unwrap();
    let redis = Redis::start_with(&["--dir", dir_arg, "--rdbcompression", "no"]).await;
    let store = store(&redis, 1_000);
    assert!(matches!(
        store.keep_one_entry_per_node().await,
        StreamNodes::OneEntryEach | StreamNodes::Set { .. }
    ));
    let client = ::redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();

    // Neighbours on both sides, which would share its stream node by default.
    post(&store, "bob", "before it", Some("b-1")).await;
    let target = post(&store, "ada", SECRET, Some("c-1")).await;
    post(&store, "bob", "after it", Some("b-2")).await;

    // Controls: both searches see the text while the message stands.
    let copy_key = "chinwag:cid:general:name:ada:c-1";
    let mut holding = keys_holding(&mut conn, SECRET).await;
    holding.sort();
    assert_eq!(holding, [copy_key, "chinwag:log:general"]);
    let before = snapshot(&mut conn, dir.path()).await;
    assert!(holds(&before, SECRET));

    // An edit replaces the text everywhere: the old one is gone too.
    changed(&store, edit(target, "ada", EDITED_SECRET)).await;
    post(&store, "bob", "after the edit", None).await;
    assert_eq!(keys_holding(&mut conn, SECRET).await, Vec::<String>::new());
    let mut holding = keys_holding(&mut conn, EDITED_SECRET).await;
    holding.sort();
    assert_eq!(
        holding,
        [copy_key, "chinwag:log:general", "chinwag:revised:general"],
        "the edit record, the message's current state and its author's copy"
    );
    let edited = snapshot(&mut conn, dir.path()).await;
    assert!(!holds(&edited, SECRET) && holds(&edited, EDITED_SECRET));

    changed(&store, delete(target, "mod", true)).await;
    assert_eq!(keys_holding(&mut conn, SECRET).await, Vec::<String>::new());
    assert_eq!(
        keys_holding(&mut conn, EDITED_SECRET).await,
        Vec::<String>::new()
    );
    let after = snapshot(&mut conn, dir.path()).await;
    assert!(
        !holds(&after, SECRET),
        "the original text left the snapshot"
    );
    assert!(
        !holds(&after, EDITED_SECRET),
        "the edited text left the snapshot"
    );
    assert!(holds(&after, "after the edit"), "the rest is still saved");

    // The author's copy now holds the tombstone, which is what a retry is answered with.
    let copy: String = conn.get(copy_key).await.unwrap();
    assert!(copy.contains(r#""deleted":{"id":6,"by":"mod"}"#), "{copy}");
    let retry = super::message("ada", SECRET, Some("c-1"));
    let Appended::Duplicate(answer) = store.append(retry).await.unwrap() else {
        panic!("a duplicate expected");
    };
    assert_eq!((answer.id, &*answer.message), (target, ""));
    let page = super::whole_log(&store).await;
    assert_eq!(page.len(), 6);
    assert_eq!(page.first().map(|record| record.room.clone()), Some(room()));
}

#[tokio::test]
async fn a_redis_that_refuses_config_is_reported_and_still_takes_changes() {
    let redis = Redis::start_with(&["--rename-command", "CONFIG", ""]).await;
    let store = store(&redis, 1_000);
    // A command that answers makes the link ready, so a refusal is told from an outage.
    store.head(&room()).await.unwrap();
    assert_eq!(store.keep_one_entry_per_node().await, StreamNodes::Refused);
    let target = post(&store, "ada", "hi", None).await;
    changed(&store, delete(target, "ada", false)).await;
    let page = super::whole_log(&store).await;
    assert_eq!(page[0].message, "");
}
