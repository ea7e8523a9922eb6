//! Edits and deletions through real nodes: an author edits and deletes through node A's HTTP
//! API, a guest watching on node B receives each change record live, in id order with the
//! messages, and B's history serves the message as it now is; a second deletion is refused.

use crate::{node, redis::Redis, support::Client};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";

/// A live chat frame as the record the HTTP API answers with: the same, without its `type`.
fn record_of(mut frame: Value) -> Value {
    let removed = frame.as_object_mut().unwrap().remove("type");
    assert_eq!(removed, Some(json!("chat")));
    frame
}

#[tokio::test]
async fn a_change_made_through_one_node_is_seen_live_and_in_history_through_another() {
    let redis = Redis::start().await;
    let a = node(&redis, "a", &[]).await;
    let b = node(&redis, "b", &[]).await;
    let ada = a.sign_up("ada", PASSWORD).await;
    let (mut bob, _) = Client::join(&b.ws_url("?room=general&username=bob")).await;

    let posted = a
        .call_as(
            &ada,
            "POST",
            "/api/rooms/general/messages",
            Some(json!({"message": "helo"})),
        )
        .await;
    assert_eq!(posted.status, 201, "{posted:?}");
    let id = posted.body["id"].as_u64().unwrap();
    assert_eq!(bob.recv_type("chat").await["message"], "helo");

    let path = format!("/api/rooms/general/messages/{id}");
    let edited = a
        .call_as(&ada, "PATCH", &path, Some(json!({"message": "hello"})))
        .await;
    assert_eq!(edited.status, 200, "{edited:?}");
    let live = record_of(bob.recv_type("chat").await);
    assert_eq!(live, edited.body, "the very record the author was answered");
    assert_eq!(live["change"], json!({"kind": "edit", "target": id}));
    assert_eq!(live["id"], id + 1);

    let deleted = a.call_as(&ada, "DELETE", &path, None).await;
    assert_eq!(deleted.status, 200, "{deleted:?}");
    let live = record_of(bob.recv_type("chat").await);
    assert_eq!(live, deleted.body);
    assert_eq!(live["change"], json!({"kind": "delete", "target": id}));
    assert_eq!(live["id"], id + 2);

    let (status, history) = b.get_json("/api/rooms/general/messages").await;
    assert_eq!(status, 200, "{history}");
    let records: &Vec<Value> = history.as_array().unwrap();
    let texts: Vec<(u64, &str)> = records
        .iter()
        .map(|record| {
            let id = record["id"].as_u64().unwrap();
            (id, record["message"].as_str().unwrap())
        })
        .collect();
    assert_eq!(texts, [(id, ""), (id + 1, ""), (id + 2, "")], "{history}");
    assert_eq!(records[0]["deleted"], json!({"id": id + 2}));
    assert_eq!(records[0]["edited"], id + 1);

    let again = b.call_as(&ada, "DELETE", &path, None).await;
    assert_eq!((again.status, again.code()), (409, "message_deleted"));
    bob.close().await;
}
