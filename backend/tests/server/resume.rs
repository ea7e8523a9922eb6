//! Resume: `after=N` replays exactly what was missed, then continues live, with no gap and no
//! duplicate even while others keep posting during the replay.

use crate::support::{Client, NO_RATE_LIMIT, Server, WAIT, chat_ids};
use serde_json::{Value, json};
use tokio::sync::oneshot;

const TOTAL: u64 = 400;
const FIRST_STAGE: u64 = 150;

/// Reads chat frames until one with id `last` arrives, returning every chat id seen.
async fn read_until(client: &mut Client, mut seen: Vec<u64>, last: u64) -> Vec<u64> {
    while seen.last() != Some(&last) {
        let frame: Value = client.recv().await;
        seen.extend(chat_ids(&[frame]));
    }
    seen
}

#[tokio::test]
async fn resume_after_disconnect_skips_nothing_and_repeats_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &NO_RATE_LIMIT).await;
    let (mut sender, _) = Client::join(&server.ws_url("?room=busy")).await;
    let (mut reader, _) = Client::join(&server.ws_url("?room=busy&after=0")).await;

    // Stage one: the reader sees the start live, then its connection drops mid-stream.
    let (stage_one_done, stage_one_stored) = oneshot::channel::<()>();
    let (go_on, stage_two) = oneshot::channel::<()>();
    let posting = tokio::spawn(async move {
        for n in 1..=FIRST_STAGE {
            sender.post("busy", "sender", &format!("message {n}")).await;
        }
        stage_one_done.send(()).unwrap();
        stage_two.await.unwrap();
        for n in FIRST_STAGE + 1..=TOTAL {
            sender.post("busy", "sender", &format!("message {n}")).await;
        }
    });
    let mut seen = Vec::new();
    while seen.last().is_none_or(|&id| id < 50) {
        let frame = reader.recv().await;
        seen.extend(chat_ids(&[frame]));
    }
    drop(reader); // abrupt: no close frame
    let last_seen = *seen.last().unwrap();

    // Once stage one is confirmed (so stored), the replay has a backlog of ~100 to send;
    // the sender carries on posting while it is sent.
    tokio::time::timeout(WAIT, stage_one_stored)
        .await
        .unwrap()
        .unwrap();
    let mut reader =
        Client::connect(&server.ws_url(&format!("?room=busy&after={last_seen}"))).await;
    go_on.send(()).unwrap();
    let seen = read_until(&mut reader, seen, TOTAL).await;
    posting.await.unwrap();

    let expected: Vec<u64> = (1..=TOTAL).collect();
    assert_eq!(seen, expected, "every id exactly once, in order");
}

#[tokio::test]
async fn join_on_an_open_socket_replays_then_reports_joined_then_goes_live() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let (mut poster, _) = Client::join(&server.ws_url("?room=notes")).await;
    for n in 1..=5 {
        poster.post("notes", "poster", &format!("note {n}")).await;
    }

    let (mut reader, _) = Client::join(&server.ws_url("?room=general")).await;
    reader
        .send_json(json!({"type": "join", "room": "notes", "after": 2}))
        .await;
    let frames = reader.recv_through("joined").await;
    assert_eq!(chat_ids(&frames), [3, 4, 5]);
    assert_eq!(frames.last().unwrap()["last_id"], 5);
    assert_eq!(reader.recv_type("presence").await["room"], "notes");

    poster.post("notes", "poster", "live one").await;
    let live = reader.recv_type("chat").await;
    assert_eq!(
        (live["id"].as_u64(), live["message"].as_str()),
        (Some(6), Some("live one"))
    );
}

#[tokio::test]
async fn joining_without_after_delivers_only_new_messages() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let (mut poster, _) = Client::join(&server.ws_url("?room=quiet")).await;
    poster.post("quiet", "poster", "old").await;

    let (mut reader, frames) = Client::join(&server.ws_url("?room=quiet")).await;
    assert!(chat_ids(&frames).is_empty());
    assert_eq!(frames.last().unwrap()["last_id"], 1);
    poster.post("quiet", "poster", "new").await;
    assert_eq!(reader.recv_type("chat").await["message"], "new");
}

#[tokio::test]
async fn resuming_from_beyond_the_log_restarts_from_its_end_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let (mut poster, _) = Client::join(&server.ws_url("?room=reset")).await;
    poster.post("reset", "poster", "only").await;

    // A client that saw id 99 on some earlier database learns the log here ends at 1...
    let (mut reader, frames) = Client::join(&server.ws_url("?room=reset&after=99")).await;
    assert_eq!(frames.last().unwrap()["last_id"], 1);
    // ...and still receives what comes next instead of having it filtered as already seen.
    poster.post("reset", "poster", "next").await;
    assert_eq!(reader.recv_type("chat").await["id"], 2);
}
