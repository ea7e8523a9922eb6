//! Edits and deletions across nodes, through the real routes: a change made through one node
//! is a record of the room's log that another node's live sockets, waiting long-polls, polls,
//! resumes and pages all carry, with the message itself in its current state; and a deleted
//! text leaves every Redis key (the engine's own test is `changes::erasure`; this one goes
//! through a node's `DELETE` and `PATCH` routes).

use super::{Person, chats, recv_record, until_long_polls_waiting};
use crate::{node, redis::Redis, support::Client, support::WAIT};
use ::redis::aio::MultiplexedConnection;
use serde_json::{Value, json};

/// The ids of `records`, with what each is: its change kind, or "message".
fn kinds<'a>(records: impl IntoIterator<Item = &'a Value>) -> Vec<(u64, String)> {
    records
        .into_iter()
        .map(|record| {
            let kind = record["change"]["kind"].as_str().unwrap_or("message");
            (record["id"].as_u64().unwrap(), kind.to_owned())
        })
        .collect()
}

fn ids_and_kinds(records: &[(u64, &str)]) -> Vec<(u64, String)> {
    records
        .iter()
        .map(|(id, kind)| (*id, (*kind).to_owned()))
        .collect()
}

#[tokio::test]
async fn an_edit_and_a_delete_through_one_node_reach_sockets_long_polls_polls_and_pages_on_another()
{
    let redis = Redis::start().await;
    let a = node(&redis, "a", &[]).await;
    let b = node(&redis, "b", &[]).await;
    let ada = Person::sign_up(&a, "ada").await;
    let (mut author, _) = ada.join(&a, "news").await;
    let (mut reader, _) = Client::join(&b.ws_url("?room=news&username=bob")).await;
    let first = author.post("news", "ada", "first draft").await;
    assert_eq!(first["id"], 1, "{first}");
    reader.post("news", "bob", "a reply").await;

    // A long-poll waiting on B, then the edit through A: it wakes with the edit record.
    let long_poll = b.get_json("/api/rooms/news/messages?after=2&wait=20");
    let edit = async {
        until_long_polls_waiting(&b, 1.0).await;
        ada.call(
            &a,
            "PATCH",
            "/api/rooms/news/messages/1",
            Some(json!({"message": "final text"})),
        )
        .await
    };
    let ((status, woken), edited) = tokio::join!(long_poll, edit);
    assert_eq!(edited.status, 200, "{edited:?}");
    assert_eq!(
        (
            &edited.body["id"],
            &edited.body["change"],
            &edited.body["message"],
            &edited.body["username"]
        ),
        (
            &json!(3),
            &json!({"kind": "edit", "target": 1}),
            &json!("final text"),
            &json!("ada")
        ),
        "{edited:?}"
    );
    assert_eq!(status, 200);
    assert_eq!(
        woken,
        json!([edited.body.clone()]),
        "the long-poll woke with it"
    );
    assert_eq!(recv_record(&mut reader, &json!(3)).await, edited.body);

    // The deletion through B reaches A's socket and B's alike.
    let deleted = ada
        .call(&b, "DELETE", "/api/rooms/news/messages/1", None)
        .await;
    assert_eq!(deleted.status, 200, "{deleted:?}");
    assert_eq!(
        (
            &deleted.body["id"],
            &deleted.body["change"],
            &deleted.body["message"]
        ),
        (
            &json!(4),
            &json!({"kind": "delete", "target": 1}),
            &json!("")
        ),
        "the author's own deletion names no moderator: {deleted:?}"
    );
    assert_eq!(recv_record(&mut reader, &json!(4)).await, deleted.body);
    let on_a = recv_record(&mut author, &json!(4)).await;
    assert_eq!(on_a["change"], deleted.body["change"], "{on_a}");

    // Polls and pages on A give the current state: the tombstone, and an edit record whose
    // text left with its message.
    let (_, poll) = a.get_json("/api/rooms/news/messages?after=2").await;
    let poll = poll.as_array().unwrap();
    assert_eq!(
        kinds(poll),
        ids_and_kinds(&[(3, "edit"), (4, "delete")]),
        "{poll:?}"
    );
    assert_eq!(poll[0]["message"], "", "the edit's text left too: {poll:?}");
    let (_, page) = a.get_json("/api/rooms/news/messages").await;
    let tombstone = &page[0];
    assert_eq!(
        (
            &tombstone["id"],
            &tombstone["message"],
            &tombstone["deleted"]
        ),
        (&json!(1), &json!(""), &json!({"id": 4})),
        "{page}"
    );
    assert_eq!(page[1]["message"], "a reply", "{page}");

    // Resumes on B: from before the message, it comes as a tombstone with both changes after
    // it; from after it, only the changes.
    for (after, expected) in [
        (
            0,
            ids_and_kinds(&[(1, "message"), (2, "message"), (3, "edit"), (4, "delete")]),
        ),
        (2, ids_and_kinds(&[(3, "edit"), (4, "delete")])),
    ] {
        let url = b.ws_url(&format!("?room=news&after={after}&username=carol"));
        let (mut resumed, mut frames) = Client::join(&url).await;
        while chats(&frames).len() < expected.len() {
            frames.push(resumed.recv().await);
        }
        assert_eq!(kinds(chats(&frames)), expected, "after={after}: {frames:?}");
        if after == 0 {
            let message = chats(&frames)[0];
            assert_eq!(
                (&message["message"], &message["deleted"]),
                (&json!(""), &json!({"id": 4})),
                "{message}"
            );
        }
        resumed.close().await;
    }
}

const SECRET: &str = "my card number is 4929-SECRET-1188";
const EDITED_SECRET: &str = "oops, the card is 4929-EDITED-2299";

/// Every key in Redis with its `DUMP`, found by `SCAN` (bounded).
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
            found.extend(dump.map(|dump| (key, dump)));
        }
        if next == 0 {
            return found;
        }
        cursor = next;
    }
    panic!("SCAN never finished");
}

/// The keys whose `DUMP` holds `text`, sorted.
async fn keys_holding(conn: &mut MultiplexedConnection, text: &str) -> Vec<String> {
    let mut keys: Vec<String> = dumps(conn)
        .await
        .into_iter()
        .filter(|(_, dump)| dump.windows(text.len()).any(|w| w == text.as_bytes()))
        .map(|(key, _)| key)
        .collect();
    keys.sort();
    keys
}

/// Waits (bounded) until the node has set `stream-node-max-entries` to 1, which it does as
/// soon as Redis answers: only entries stored after it have stream nodes of their own.
async fn until_one_entry_per_node(conn: &mut MultiplexedConnection) {
    for _ in 0..200 {
        let setting: Vec<String> = ::redis::cmd("CONFIG")
            .arg("GET")
            .arg("stream-node-max-entries")
            .query_async(conn)
            .await
            .unwrap();
        if setting.get(1).map(String::as_str) == Some("1") {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the node never set stream-node-max-entries to 1");
}

#[tokio::test]
async fn a_text_deleted_through_the_route_is_in_no_redis_key() {
    // Strings uncompressed in DUMP, so a search of the bytes is meaningful.
    let redis = Redis::start_with(&["--rdbcompression", "no"]).await;
    let a = node(&redis, "a", &[]).await;
    let client = ::redis::Client::open(redis.url()).unwrap();
    let mut conn = tokio::time::timeout(WAIT, client.get_multiplexed_async_connection())
        .await
        .unwrap()
        .unwrap();
    until_one_entry_per_node(&mut conn).await;
    let ada = Person::sign_up(&a, "ada").await;
    for (who, text, client_id) in [
        (None, "before it", "b-1"),
        (Some(&ada), SECRET, "c-1"),
        (None, "after it", "b-2"),
    ] {
        let body = match who {
            Some(_) => json!({"message": text, "client_id": client_id}),
            None => json!({"username": "bob", "message": text, "client_id": client_id}),
        };
        let path = "/api/rooms/vault/messages";
        let reply = match who {
            Some(person) => person.call(&a, "POST", path, Some(body)).await,
            None => a.call("POST", path, &[], Some(body)).await,
        };
        assert_eq!(reply.status, 201, "{reply:?}");
    }

    // Control: the search finds the text while the message stands.
    assert!(
        !keys_holding(&mut conn, SECRET).await.is_empty(),
        "the stored text is found"
    );
    let edited = ada
        .call(
            &a,
            "PATCH",
            "/api/rooms/vault/messages/2",
            Some(json!({"message": EDITED_SECRET})),
        )
        .await;
    assert_eq!(edited.status, 200, "{edited:?}");
    assert_eq!(
        keys_holding(&mut conn, SECRET).await,
        Vec::<String>::new(),
        "an edit replaces the text everywhere"
    );
    assert!(!keys_holding(&mut conn, EDITED_SECRET).await.is_empty());

    let deleted = ada
        .call(&a, "DELETE", "/api/rooms/vault/messages/2", None)
        .await;
    assert_eq!(deleted.status, 200, "{deleted:?}");
    for text in [SECRET, EDITED_SECRET] {
        assert_eq!(
            keys_holding(&mut conn, text).await,
            Vec::<String>::new(),
            "{text} left every key"
        );
    }
    for neighbour in ["before it", "after it"] {
        assert!(
            !keys_holding(&mut conn, neighbour).await.is_empty(),
            "{neighbour} is still stored"
        );
    }
    // The author's retry of the deleted message is answered with its tombstone, not stored
    // again.
    let retry = ada
        .call(
            &a,
            "POST",
            "/api/rooms/vault/messages",
            Some(json!({"message": SECRET, "client_id": "c-1"})),
        )
        .await;
    assert_eq!(
        (retry.status, &retry.body["id"], &retry.body["message"]),
        (200, &json!(2), &json!("")),
        "{retry:?}"
    );
    assert_eq!(keys_holding(&mut conn, SECRET).await, Vec::<String>::new());
}
