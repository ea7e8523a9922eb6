//! Moderation and the message lifecycle across a cluster: real nodes on one real Redis, driven
//! only through their HTTP routes and sockets.
//!
//! An act taken through one node holds on every node: a kick or a ban reaches the account's
//! live socket on another node at once (fan-out), and the refusals everywhere within the
//! rules' cache lifetime ([`sanctions`]); an edit or a deletion through one node reaches
//! another node's sockets, long-polls, polls and pages as a record of the log, and a deleted
//! text leaves every Redis key ([`lifecycle`]); a read marker moved through one node reaches
//! the account's sockets on another ([`read_state`]). This file holds the people and the
//! waits the three share.

mod lifecycle;
mod read_state;
mod sanctions;

use crate::{Node, redis::Redis, support::Client, support::WAIT};
use chinwag_backend::hub::rules::RULES_TTL;
use chinwag_shared::account::ACCESS_TOKEN_PARAM;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse battery staple";

/// A signed-up account: its name and the session secret its cookie carries.
pub struct Person {
    pub name: &'static str,
    pub cookie: String,
}

impl Person {
    /// Signs `name` up on `node` (one Argon2 hash: tests make few).
    pub async fn sign_up(node: &Node, name: &'static str) -> Person {
        let cookie = node.sign_up(name, PASSWORD).await;
        Person { name, cookie }
    }

    /// Opens a socket on `node` signed in as this person, joined to `room`.
    pub async fn join(&self, node: &Node, room: &str) -> (Client, Vec<Value>) {
        let query = format!("?room={room}&{ACCESS_TOKEN_PARAM}={}", self.cookie);
        Client::join(&node.ws_url(&query)).await
    }

    /// `method path` on `node` as this person, with an optional JSON body.
    pub async fn call(
        &self,
        node: &Node,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> crate::support::Reply {
        node.call_as(&self.cookie, method, path, body).await
    }
}

/// Makes `name` a site admin with the binary's own command, run against `redis` while the
/// nodes run, as an operator would.
pub async fn grant_admin(redis: &Redis, name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let command = tokio::process::Command::new(env!("CARGO_BIN_EXE_chinwag"))
        .args(["--redis", &redis.url(), "accounts", "grant-admin", name])
        .current_dir(dir.path())
        .env("RUST_LOG", "warn")
        .output();
    let output = tokio::time::timeout(WAIT, command)
        .await
        .expect("grant-admin finished in time")
        .expect("grant-admin ran");
    assert!(
        output.status.success(),
        "grant-admin {name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Waits until `node` gives `person` the role `role` in `room`: a node reads the site's
/// admins again once its cached rules are [`RULES_TTL`] old, so this is bounded by that and a
/// margin.
pub async fn until_role(node: &Node, person: &Person, room: &str, role: &str) {
    let deadline = Instant::now() + RULES_TTL + Duration::from_secs(3);
    let path = format!("/api/rooms/{room}/settings");
    loop {
        let reply = person.call(node, "GET", &path, None).await;
        assert_eq!(reply.status, 200, "{reply:?}");
        if reply.body["role"] == role {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{} never became {role} in #{room}: {reply:?}",
            person.name
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Repeats `request` until it answers `status` with error `code`, bounded by the rules'
/// cache lifetime and a margin: an act through another node holds here once this node's
/// cached rules expire. Answers how many tries it took.
pub async fn until_refused<F, Fut>(status: u16, code: &str, mut request: F) -> usize
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = crate::support::Reply>,
{
    let deadline = Instant::now() + RULES_TTL + Duration::from_secs(3);
    for tries in 1.. {
        let reply = request().await;
        if (reply.status, reply.code()) == (status, code) {
            return tries;
        }
        assert!(
            Instant::now() < deadline,
            "never refused {status} {code}: {reply:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    unreachable!("the loop returns or panics")
}

/// Polls `node`'s `/metrics` until `count` long-polls are waiting (bounded): only then is a
/// change made after it one that must wake them.
pub async fn until_long_polls_waiting(node: &Node, count: f64) {
    for _ in 0..400 {
        let (_, text) = node.get_text("/metrics").await;
        if crate::support::sample(&text, "chinwag_long_polls_waiting") == count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("long-polls waiting never reached {count}");
}

/// The record with id `id` on `client` (its `chat` frame without the frame's `type`, so it
/// compares with what HTTP answers), skipping other frames; bounded by [`WAIT`].
pub async fn recv_record(client: &mut Client, id: &Value) -> Value {
    tokio::time::timeout(WAIT, async {
        loop {
            let mut frame = client.recv_type("chat").await;
            if frame["id"] == *id {
                frame.as_object_mut().map(|fields| fields.remove("type"));
                return frame;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("record {id} arrived in time"))
}

/// The `chat` frames among `frames`.
pub fn chats(frames: &[Value]) -> Vec<&Value> {
    frames
        .iter()
        .filter(|frame| frame["type"] == "chat")
        .collect()
}

/// A body for a sanction route.
pub fn sanction(seconds: Option<u64>, reason: &str) -> Option<Value> {
    let mut body = json!({"reason": reason});
    if let Some(seconds) = seconds {
        body["seconds"] = seconds.into();
    }
    Some(body)
}
