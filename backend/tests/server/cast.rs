//! The people of the moderation tests and how they act: a server with a site admin made by
//! the binary's own `chinwag accounts grant-admin`, accounts signed up through the real route,
//! their sockets and HTTP calls, and the bounded waits those tests share.
//!
//! Each account costs one Argon2 hash, so tests sign up only the few they need. A server
//! started before the grant reads its site rules at the first room access after it, so the
//! admin is one at once; [`until_role`] only bounds that.

use crate::support::{Client, NO_RATE_LIMIT, Reply, Server, WAIT, sample};
use chinwag_backend::hub::rules::RULES_TTL;
use chinwag_shared::account::ACCESS_TOKEN_PARAM;
use serde_json::{Value, json};
use std::{
    path::Path,
    time::{Duration, Instant},
};
use tempfile::TempDir;

/// Every account's password.
pub const PASSWORD: &str = "correct horse battery";

/// A signed-up account: its name and the session secret its cookie carries.
pub struct Person {
    pub name: &'static str,
    pub cookie: String,
}

impl Person {
    /// Signs `name` up on `server`.
    pub async fn sign_up(server: &Server, name: &'static str) -> Person {
        let cookie = server.sign_up(name, PASSWORD).await;
        Person { name, cookie }
    }

    /// The socket query that signs this person in, joining `room` (`rest` appended).
    pub fn query(&self, room: &str, rest: &str) -> String {
        format!("?room={room}&{ACCESS_TOKEN_PARAM}={}{rest}", self.cookie)
    }

    /// Opens a socket signed in as this person, joined to `room`.
    pub async fn join(&self, server: &Server, room: &str) -> (Client, Vec<Value>) {
        Client::join(&server.ws_url(&self.query(room, ""))).await
    }

    /// `method path` as this person, with an optional JSON body.
    pub async fn call(
        &self,
        server: &Server,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        server.call_as(&self.cookie, method, path, body).await
    }

    /// Posts `text` to `room` over HTTP; the stored record.
    pub async fn post(&self, server: &Server, room: &str, text: &str) -> Value {
        let path = format!("/api/rooms/{room}/messages");
        let reply = self
            .call(server, "POST", &path, Some(json!({"message": text})))
            .await;
        assert_eq!(
            reply.status, 201,
            "{} posted {text:?}: {reply:?}",
            self.name
        );
        reply.body
    }
}

/// A server on `dir` (rate limits lifted, `extra` flags added) with `ada` signed up and made a
/// site admin by the binary's command.
pub async fn staffed(dir: &TempDir, extra: &[&str]) -> (Server, Person) {
    let mut flags = NO_RATE_LIMIT.to_vec();
    flags.extend_from_slice(extra);
    let server = Server::start_with(dir.path(), &flags).await;
    let ada = Person::sign_up(&server, "ada").await;
    grant_admin(dir.path(), "ada").await;
    until_role(&server, &ada, "lobby", "admin").await;
    (server, ada)
}

/// Makes `name` a site admin of the SQLite store in `dir` with `chinwag accounts grant-admin`,
/// while the server runs, as an operator would.
pub async fn grant_admin(dir: &Path, name: &str) {
    let db = dir.join("chinwag.db");
    let command = tokio::process::Command::new(env!("CARGO_BIN_EXE_chinwag"))
        .args(["accounts", "grant-admin", name, "--db"])
        .arg(&db)
        .current_dir(dir)
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

/// Waits until `server` gives `person` the role `role` in `room`, bounded by the rules'
/// cache lifetime and a margin.
pub async fn until_role(server: &Server, person: &Person, room: &str, role: &str) {
    let deadline = Instant::now() + RULES_TTL + Duration::from_secs(3);
    let path = format!("/api/rooms/{room}/settings");
    loop {
        let reply = person.call(server, "GET", &path, None).await;
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

/// `actor` makes `name` a moderator of `room`; answers the settings.
pub async fn appoint(server: &Server, actor: &Person, room: &str, name: &str) -> Value {
    let path = format!("/api/rooms/{room}/moderators/{name}");
    let reply = actor.call(server, "PUT", &path, None).await;
    assert_eq!(
        reply.status, 200,
        "{} appointed {name}: {reply:?}",
        actor.name
    );
    reply.body
}

/// Polls `/metrics` until `count` long-polls are waiting (bounded): a change made after that
/// must wake them.
pub async fn until_long_polls_waiting(server: &Server, count: f64) {
    for _ in 0..400 {
        let (_, text) = server.get_text("/metrics").await;
        if sample(&text, "chinwag_long_polls_waiting") == count {
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

/// The ids of `records` with what each is: its change kind, or `message`.
pub fn kinds<'a>(records: impl IntoIterator<Item = &'a Value>) -> Vec<(u64, String)> {
    records
        .into_iter()
        .map(|record| {
            let kind = record["change"]["kind"].as_str().unwrap_or("message");
            (record["id"].as_u64().unwrap(), kind.to_owned())
        })
        .collect()
}

/// `pairs` as [`kinds`] gives them.
pub fn expect_kinds(pairs: &[(u64, &str)]) -> Vec<(u64, String)> {
    pairs
        .iter()
        .map(|(id, kind)| (*id, (*kind).to_owned()))
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

/// The last two of `frames` are the error `code` about `room`, then `left`.
pub fn assert_taken_out(frames: &[Value], code: &str, room: &str) {
    let [.., notice, left] = frames else {
        panic!("a notice, then left: {frames:?}");
    };
    assert_eq!(
        (&notice["type"], &notice["code"], &notice["room"]),
        (&json!("error"), &json!(code), &json!(room)),
        "{frames:?}"
    );
    assert_eq!(
        (&left["type"], &left["room"]),
        (&json!("left"), &json!(room)),
        "{frames:?}"
    );
}

/// The `(actor, action, subject)` of each entry of an audit page.
pub fn acts(page: &Value) -> Vec<(String, String, String)> {
    page.as_array()
        .unwrap_or_else(|| panic!("an audit page: {page}"))
        .iter()
        .map(|entry| {
            let field = |name: &str| entry[name].as_str().unwrap_or("").to_owned();
            (field("actor"), field("action"), field("subject"))
        })
        .collect()
}

/// `(actor, action, subject)` triples as [`acts`] gives them.
pub fn expect_acts(triples: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    triples
        .iter()
        .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
        .collect()
}
