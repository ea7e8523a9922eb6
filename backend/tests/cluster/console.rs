//! The operators' console on a cluster: every node publishes its status to Redis under a
//! lease, so the live stream of any node lists every node (and a node that dies drops out
//! within the lease), and an account disabled through one node has its socket on another
//! node closed at once.

use crate::{
    moderation::{Person, grant_admin, until_role},
    node,
    redis::Redis,
    support::{Server, Sse, WAIT},
};
use chinwag_shared::account::CLOSE_CREDENTIAL_EXPIRED;
use serde_json::Value;
use std::collections::BTreeSet;

/// Ticks read at most while waiting for the node list to change (a lease is 5 s).
const TICKS: usize = 20;

/// The node ids `tick` (or a snapshot) lists.
fn node_ids(event: &Value) -> BTreeSet<String> {
    event["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| node["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Reads `live` until its node list is `wanted`; the event that listed it.
async fn until_nodes(live: &mut Sse, wanted: &[&str]) -> Value {
    let wanted: BTreeSet<String> = wanted.iter().map(|id| (*id).to_owned()).collect();
    let mut seen = BTreeSet::new();
    for _ in 0..TICKS {
        let (_, event) = live.next_event().await.expect("an event");
        seen = node_ids(&event);
        if seen == wanted {
            return event;
        }
    }
    panic!("the nodes listed were {seen:?}, never {wanted:?}");
}

async fn watch(server: &Server, person: &Person) -> Sse {
    let cookie = format!("chinwag_session={}", person.cookie);
    let live = Sse::open(server, "/api/admin/live", &[("cookie", &cookie)]).await;
    assert_eq!(live.status, 200);
    live
}

#[tokio::test]
async fn every_node_lists_every_node_and_a_dead_one_drops_out() {
    let redis = Redis::start().await;
    let a = node(&redis, "node-a", &[]).await;
    let b = node(&redis, "node-b", &[]).await;
    let c = node(&redis, "node-c", &[]).await;
    let ada = Person::sign_up(&a, "ada").await;
    grant_admin(&redis, "ada").await;
    for at in [&a, &b, &c] {
        until_role(at, &ada, "lobby", "admin").await;
    }
    let all = ["node-a", "node-b", "node-c"];
    let mut watching = Vec::new();
    for (at, id) in [(&a, "node-a"), (&b, "node-b"), (&c, "node-c")] {
        let mut live = watch(at, &ada).await;
        let event = until_nodes(&mut live, &all).await;
        let nodes = event["nodes"].as_array().unwrap();
        let this: Vec<&Value> = nodes.iter().filter(|node| node["this"] == true).collect();
        assert_eq!(this.len(), 1, "{event}");
        assert_eq!(this[0]["id"], id, "{event}");
        assert!(nodes.iter().all(|node| node["ready"] == true), "{event}");
        watching.push(live);
    }
    c.server.kill().await;
    let mut from_a = watching.remove(0);
    until_nodes(&mut from_a, &["node-a", "node-b"]).await;
}

#[tokio::test]
async fn disabling_through_one_node_closes_the_accounts_socket_on_another() {
    let redis = Redis::start().await;
    let a = node(&redis, "node-a", &[]).await;
    let b = node(&redis, "node-b", &[]).await;
    let ada = Person::sign_up(&a, "ada").await;
    grant_admin(&redis, "ada").await;
    until_role(&a, &ada, "lobby", "admin").await;
    let bob = Person::sign_up(&b, "bob").await;
    let (mut socket, _) = bob.join(&b, "plaza").await;
    let disabled = ada
        .call(&a, "PUT", "/api/admin/accounts/bob/disabled", None)
        .await;
    assert_eq!(disabled.status, 204, "{disabled:?}");
    let close = tokio::time::timeout(WAIT, socket.recv_close())
        .await
        .expect("closed in time")
        .expect("a close frame");
    assert_eq!(u16::from(close.code), CLOSE_CREDENTIAL_EXPIRED);
    let listed = ada.call(&b, "GET", "/api/admin/accounts?q=bob", None).await;
    assert_eq!(listed.body[0]["disabled"], true, "{listed:?}");
    let log = ada.call(&b, "GET", "/api/admin/audit", None).await;
    assert_eq!(
        log.body[0]["action"], "disable",
        "one site log for the cluster: {log:?}"
    );
}
