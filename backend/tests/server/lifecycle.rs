//! The message lifecycle over every transport: an edit or a deletion is a record of the
//! room's log, so live sockets, waiting long-polls, polls and resumes receive it like a
//! message, while resumes and pages serve each message in its current state (the new text
//! and `edited`, or a tombstone whose `deleted.by` names a moderator); and a deleted text
//! leaves the SQLite files themselves, not only its row.

use crate::{
    cast::{Person, chats, expect_kinds, kinds, recv_record, staffed, until_long_polls_waiting},
    support::{Client, Server},
};
use serde_json::{Value, json};

/// Joins `room` as the guest `name` with `after`, and reads until `count` records arrived:
/// the records, without their frames' `type` (so they compare with pages).
async fn resume(server: &Server, room: &str, name: &str, after: u64, count: usize) -> Vec<Value> {
    let url = server.ws_url(&format!("?room={room}&username={name}&after={after}"));
    let (mut client, mut frames) = Client::join(&url).await;
    while chats(&frames).len() < count {
        frames.push(client.recv().await);
    }
    client.close().await;
    chats(&frames)
        .into_iter()
        .cloned()
        .map(|mut record| {
            record.as_object_mut().map(|fields| fields.remove("type"));
            record
        })
        .collect()
}

/// A long-poll of `room` after `after` held while `act` runs once it waits: what it woke with,
/// and what `act` answered.
async fn long_poll_during<F, Fut>(
    server: &Server,
    room: &str,
    after: u64,
    act: F,
) -> (Value, Fut::Output)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future,
{
    let path = format!("/api/rooms/{room}/messages?after={after}&wait=20");
    let poll = server.get_json(&path);
    let acting = async {
        until_long_polls_waiting(server, 1.0).await;
        act().await
    };
    let ((status, woken), answer) = tokio::join!(poll, acting);
    assert_eq!(status, 200, "{woken}");
    (woken, answer)
}

#[tokio::test]
async fn edits_and_deletions_reach_sockets_long_polls_polls_resumes_and_pages() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let bea = Person::sign_up(&server, "bea").await;
    let (mut watcher, _) = Client::join(&server.ws_url("?room=news&username=watcher")).await;
    let (mut own, _) = bea.join(&server, "news").await;
    own.post("news", "bea", "draft one").await;
    watcher.post("news", "watcher", "a reply").await;
    own.post("news", "bea", "second post").await;

    let (woken, edited) = long_poll_during(&server, "news", 3, || {
        bea.call(
            &server,
            "PATCH",
            "/api/rooms/news/messages/1",
            Some(json!({"message": "draft, final"})),
        )
    })
    .await;
    assert_eq!(edited.status, 200, "{edited:?}");
    let edit = edited.body;
    assert_eq!(
        (
            &edit["id"],
            &edit["change"],
            &edit["message"],
            &edit["username"]
        ),
        (
            &json!(4),
            &json!({"kind": "edit", "target": 1}),
            &json!("draft, final"),
            &json!("bea")
        ),
        "{edit}"
    );
    assert_eq!(
        woken,
        json!([edit.clone()]),
        "the long-poll woke with the edit"
    );
    assert_eq!(recv_record(&mut watcher, &json!(4)).await, edit);
    assert_eq!(
        recv_record(&mut own, &json!(4)).await["change"],
        edit["change"]
    );
    let (_, poll) = server.get_json("/api/rooms/news/messages?after=3").await;
    assert_eq!(poll, json!([edit.clone()]));
    let (_, page) = server.get_json("/api/rooms/news/messages").await;
    assert_eq!(
        (&page[0]["message"], &page[0]["edited"]),
        (&json!("draft, final"), &json!(4)),
        "a page gives the message as edited: {page}"
    );
    // Resumes from before the target get it edited already, and the edit after it; from after
    // it, the edit alone among the newer records.
    let from_start = resume(&server, "news", "early", 0, 4).await;
    assert_eq!(
        kinds(&from_start),
        expect_kinds(&[(1, "message"), (2, "message"), (3, "message"), (4, "edit")])
    );
    assert_eq!(
        (&from_start[0]["message"], &from_start[0]["edited"]),
        (&json!("draft, final"), &json!(4))
    );
    let from_after = resume(&server, "news", "late", 1, 3).await;
    assert_eq!(
        kinds(&from_after),
        expect_kinds(&[(2, "message"), (3, "message"), (4, "edit")])
    );

    // A moderator deletes bea's second post; bea deletes her first herself.
    let (woken, deleted) = long_poll_during(&server, "news", 4, || {
        ada.call(&server, "DELETE", "/api/rooms/news/messages/3", None)
    })
    .await;
    assert_eq!(deleted.status, 200, "{deleted:?}");
    let by_moderator = deleted.body;
    assert_eq!(
        (
            &by_moderator["id"],
            &by_moderator["change"],
            &by_moderator["message"],
            &by_moderator["username"]
        ),
        (
            &json!(5),
            &json!({"kind": "delete", "target": 3, "moderator": true}),
            &json!(""),
            &json!("ada")
        )
    );
    assert_eq!(woken, json!([by_moderator.clone()]));
    assert_eq!(recv_record(&mut watcher, &json!(5)).await, by_moderator);
    let by_author = bea
        .call(&server, "DELETE", "/api/rooms/news/messages/1", None)
        .await;
    assert_eq!(by_author.status, 200, "{by_author:?}");
    assert_eq!(
        by_author.body["change"],
        json!({"kind": "delete", "target": 1}),
        "an author's deletion names no moderator"
    );
    assert_eq!(recv_record(&mut watcher, &json!(6)).await, by_author.body);
    assert_eq!(
        recv_record(&mut own, &json!(6)).await["change"],
        by_author.body["change"]
    );

    // Pages and resumes now hold tombstones; the edit of a deleted message lost its text.
    let (_, page) = server.get_json("/api/rooms/news/messages?after=0").await;
    let page = page.as_array().unwrap().clone();
    assert_eq!(
        kinds(&page),
        expect_kinds(&[
            (1, "message"),
            (2, "message"),
            (3, "message"),
            (4, "edit"),
            (5, "delete"),
            (6, "delete")
        ])
    );
    let state = |record: &Value| (record["message"].clone(), record["deleted"].clone());
    assert_eq!(state(&page[0]), (json!(""), json!({"id": 6})), "{page:?}");
    assert_eq!(state(&page[1]), (json!("a reply"), Value::Null), "{page:?}");
    assert_eq!(
        state(&page[2]),
        (json!(""), json!({"id": 5, "by": "ada"})),
        "{page:?}"
    );
    assert_eq!(page[3]["message"], "", "{page:?}");
    let from_start = resume(&server, "news", "early", 0, 6).await;
    assert_eq!(from_start, page, "a resume from 0 is the page");
    let (_, back) = server
        .get_json("/api/rooms/news/messages?before=4&limit=3")
        .await;
    assert_eq!(back, json!(page[..3]), "paging back gives the same state");
    let from_after = resume(&server, "news", "late", 3, 3).await;
    assert_eq!(from_after, page[3..], "after the targets: only the changes");
}

const SECRET: &str = "my card number is 4929-SECRET-1188";
const EDITED_SECRET: &str = "oops, the card is 4929-EDITED-2299";

/// Whether any of the database's files (`.db`, `-wal`, `-shm`) holds `text`'s bytes.
fn files_hold(dir: &std::path::Path, text: &str) -> Vec<String> {
    ["chinwag.db", "chinwag.db-wal", "chinwag.db-shm"]
        .into_iter()
        .filter(|name| {
            std::fs::read(dir.join(name)).is_ok_and(|bytes| {
                bytes
                    .windows(text.len())
                    .any(|window| window == text.as_bytes())
            })
        })
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn a_deleted_text_leaves_the_database_files() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let bea = Person::sign_up(&server, "bea").await;
    let guest_post = |text: &str| {
        let body = json!({"username": "bob", "message": text});
        server.post_json("/api/rooms/vault/messages", body, &[])
    };
    assert_eq!(guest_post("before it").await.0, 201);
    let secret = bea
        .call(
            &server,
            "POST",
            "/api/rooms/vault/messages",
            Some(json!({"message": SECRET, "client_id": "c-1"})),
        )
        .await;
    assert_eq!(secret.status, 201, "{secret:?}");
    assert_eq!(guest_post("after it").await.0, 201);
    // Control: a confirmed message is in the files.
    assert!(
        !files_hold(dir.path(), SECRET).is_empty(),
        "the text is found"
    );

    let edited = bea
        .call(
            &server,
            "PATCH",
            "/api/rooms/vault/messages/2",
            Some(json!({"message": EDITED_SECRET})),
        )
        .await;
    assert_eq!(edited.status, 200, "{edited:?}");
    assert!(!files_hold(dir.path(), EDITED_SECRET).is_empty());
    let deleted = bea
        .call(&server, "DELETE", "/api/rooms/vault/messages/2", None)
        .await;
    assert_eq!(deleted.status, 200, "{deleted:?}");

    // The writer checkpoints the WAL away after the deletion, on its own, retrying while a
    // reader holds it: bounded, the files drop both texts.
    let deadline = std::time::Instant::now() + crate::support::WAIT;
    loop {
        let holding = [SECRET, EDITED_SECRET].map(|text| files_hold(dir.path(), text));
        if holding.iter().all(Vec::is_empty) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still in the files: {holding:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    for neighbour in ["before it", "after it"] {
        assert!(
            !files_hold(dir.path(), neighbour).is_empty(),
            "{neighbour} is still stored"
        );
    }
    let (_, page) = server.get_json("/api/rooms/vault/messages?after=0").await;
    assert_eq!(
        (
            &page[1]["message"],
            &page[3]["message"],
            &page[4]["change"]["kind"]
        ),
        (&json!(""), &json!(""), &json!("delete")),
        "{page}"
    );
}
