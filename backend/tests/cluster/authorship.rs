//! A `client_id` belongs to its author on a cluster too: the Redis engine keys its dedupe
//! records per author, so someone else's use of an id on another node never becomes the
//! author's confirmation, while the author's own retry through any node is stored once. Only
//! the author's confirmation carries the id; other nodes' clients and history never see it.

use crate::{
    node,
    redis::Redis,
    support::{Client, Identity, the_client_id_attack_every_way},
};
use serde_json::json;

#[tokio::test]
async fn a_client_id_someone_else_used_first_on_another_node_still_confirms_the_authors_own() {
    let redis = Redis::start().await;
    let a = node(&redis, "a", &[]).await;
    let b = node(&redis, "b", &[]).await;
    the_client_id_attack_every_way(&a, &b).await;
}

#[tokio::test]
async fn a_retry_through_another_node_is_stored_once_and_only_its_author_sees_the_id() {
    let redis = Redis::start().await;
    let a = node(&redis, "a", &[]).await;
    let b = node(&redis, "b", &[]).await;
    let (mut watcher, _) = Client::join(&b.ws_url("?room=r&username=w")).await;
    let send = json!({"type":"send","room":"r","message":"hi","client_id":"ada-1"});
    let query = format!("?room=r&{}", Identity::Token.query("ada"));
    let (mut ada, _) = Client::join(&a.ws_url(&query)).await;
    ada.send_json(send.clone()).await;
    let first = ada.recv_type("chat").await;
    assert_eq!(first["client_id"], "ada-1");
    ada.close().await;

    // The reconnect lands on the other node, as behind a load balancer.
    let (mut ada, _) = Client::join(&b.ws_url(&query)).await;
    ada.send_json(send).await;
    assert_eq!(
        ada.recv_type("chat").await,
        first,
        "the retry gets the first record"
    );

    let seen = watcher.recv_type("chat").await;
    assert_eq!(
        (&seen["id"], &seen["message"], seen.get("client_id")),
        (&first["id"], &json!("hi"), None),
        "another node's member sees the record without the id"
    );
    let (_, history) = a.get_json("/api/rooms/r/messages?after=0").await;
    let history = history.as_array().unwrap();
    assert_eq!(history.len(), 1, "stored once: {history:?}");
    assert!(history[0].get("client_id").is_none(), "{history:?}");
}
