//! History epochs on the embedded store: a database that was replaced is noticed, and a
//! client resuming with ids from the old one is told to start over instead of seeing a gap.

use crate::support::{Client, Server, chat_ids, http_agent};
use serde_json::json;

/// Posts `count` messages to `room` over one socket and returns the epoch it joined under.
async fn fill(server: &Server, room: &str, count: usize) -> String {
    let (mut client, frames) = Client::join(&server.ws_url(&format!("?room={room}"))).await;
    let joined = frames.last().unwrap();
    for n in 0..count {
        client.post(room, "old", &format!("old {n}")).await;
    }
    joined["epoch"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn resuming_into_a_replaced_database_resets_instead_of_skipping() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let old_epoch = fill(&server, "general", 3).await;
    assert!(!old_epoch.is_empty(), "joined names the epoch");
    server.kill().await;
    for file in ["chinwag.db", "chinwag.db-wal", "chinwag.db-shm"] {
        let _maybe_absent = std::fs::remove_file(dir.path().join(file));
    }

    let server = Server::start(&dir).await;
    let (mut poster, _) = Client::join(&server.ws_url("?room=general")).await;
    poster
        .post("general", "new", "first of the new history")
        .await;

    // Resuming "after 3" under the old epoch: ids 1..=3 of the new history are not what the
    // client saw, so it must be told, and then get the new history from the start.
    let query = format!("?room=general&after=3&epoch={old_epoch}");
    let (_client, frames) = Client::join(&server.ws_url(&query)).await;
    assert_eq!(frames[0]["type"], "history_reset", "{frames:?}");
    let new_epoch = frames[0]["epoch"].as_str().unwrap();
    assert_ne!(new_epoch, old_epoch);
    assert_eq!(chat_ids(&frames), vec![1]);
    assert_eq!(frames[1]["message"], "first of the new history");
    let joined = frames.last().unwrap();
    assert_eq!(joined["epoch"], new_epoch);
    assert_eq!(joined["last_id"], 1);

    // The same epoch resumes normally.
    let query = format!("?room=general&after=1&epoch={new_epoch}");
    let (_client, frames) = Client::join(&server.ws_url(&query)).await;
    assert!(frames.iter().all(|frame| frame["type"] != "history_reset"));
    assert_eq!(chat_ids(&frames), Vec::<u64>::new());

    // So does a join frame on an open connection.
    let (mut client, _) = Client::join(&server.ws_url("?room=lobby")).await;
    client
        .send_json(json!({"type":"join","room":"general","after":0,"epoch":old_epoch}))
        .await;
    // (The lobby's presence list comes first: it follows the lobby's `joined`.)
    let frames = client.recv_through("joined").await;
    let kinds: Vec<&str> = frames.iter().map(|f| f["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["presence", "history_reset", "chat", "joined"]);
    assert_eq!(chat_ids(&frames), vec![1]);
}

#[tokio::test]
async fn the_epoch_survives_a_restart_on_the_same_file() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let epoch = fill(&server, "general", 2).await;
    server.kill().await;
    let server = Server::start(&dir).await;
    let query = format!("?room=general&after=2&epoch={epoch}");
    let (_client, frames) = Client::join(&server.ws_url(&query)).await;
    assert_eq!(
        frames.len(),
        1,
        "only joined: nothing to reset or replay: {frames:?}"
    );
    assert_eq!(frames[0]["epoch"], epoch.as_str());
}

#[tokio::test]
async fn history_requests_carry_the_epoch_and_refuse_a_stale_one() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let epoch = fill(&server, "general", 1).await;
    let agent = http_agent();

    let url = server.http_url("/api/rooms/general/messages?after=0");
    let fresh = tokio::task::spawn_blocking({
        let agent = agent.clone();
        move || agent.get(&url).call().unwrap()
    })
    .await
    .unwrap();
    assert_eq!(fresh.status(), 200);
    assert_eq!(fresh.headers()["chinwag-epoch"], epoch.as_str());

    let url = server.http_url("/api/rooms/general/messages?after=0&wait=5&epoch=gone");
    let mut stale = tokio::task::spawn_blocking(move || agent.get(&url).call().unwrap())
        .await
        .unwrap();
    assert_eq!(stale.status(), 409, "a stale epoch is refused at once");
    assert_eq!(stale.headers()["chinwag-epoch"], epoch.as_str());
    let body: serde_json::Value = stale.body_mut().read_json().unwrap();
    assert_eq!(body["code"], "history_reset");
}
