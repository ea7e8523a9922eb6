//! `chinwag export` and `chinwag import`, SQLite → Redis → SQLite, through the real binary:
//! a site built through a real server's API (accounts, an admin, public and private rooms, a
//! DM, moderators, slow mode, messages, edits, deletions) comes back with the same rooms,
//! ids, texts and tombstones on each engine, a deleted text in no export, the same
//! passwords signing in, and ids going on where they stopped. An import into a store that
//! holds anything is refused and writes nothing.

use crate::{
    node,
    redis::Redis,
    support::{NO_RATE_LIMIT, Server, run_chinwag},
};
use serde_json::{Value, json};
use std::path::Path;

const PASSWORD: &str = "correct horse battery";

/// The text deleted before the export: it must be in no export.
const SECRET: &str = "my card number is 4111";

/// Runs `chinwag ARGS…` with `stdin`; its stdout if it succeeded, else a panic with stderr.
async fn chinwag_ok(args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let output = run_chinwag(args, stdin).await;
    assert!(
        output.status.success(),
        "chinwag {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn db(dir: &Path) -> String {
    dir.join("chinwag.db").to_str().unwrap().to_owned()
}

/// Posts `text` to `room` as the holder of `cookie`; the stored record.
async fn post(server: &Server, cookie: &str, room: &str, text: &str) -> Value {
    let reply = server
        .call_as(
            cookie,
            "POST",
            &format!("/api/rooms/{room}/messages"),
            Some(json!({ "message": text })),
        )
        .await;
    assert_eq!(reply.status, 201, "{reply:?}");
    reply.body
}

/// `method path` as the holder of `cookie`, expecting success.
async fn act(server: &Server, cookie: &str, method: &str, path: &str, body: Value) {
    let body = (!body.is_null()).then_some(body);
    let reply = server.call_as(cookie, method, path, body).await;
    assert!(
        (200..300).contains(&reply.status),
        "{method} {path}: {reply:?}"
    );
}

/// A SQLite site with everything an export carries; the SQLite server keeps running.
async fn build_site(dir: &Path) -> Server {
    let server = Server::start_with(dir, &NO_RATE_LIMIT).await;
    let ada = server.sign_up("Ada", PASSWORD).await;
    let bob = server.sign_up("bob", PASSWORD).await;
    server.sign_up("carol", PASSWORD).await;
    chinwag_ok(&["accounts", "grant-admin", "ada", "--db", &db(dir)], b"").await;
    chinwag_ok(&["accounts", "disable", "carol", "--db", &db(dir)], b"").await;

    // A public room: messages, an edit, a deletion of an edited message, a moderator, slow
    // mode.
    let first = post(&server, &ada, "general", "hello everyone").await;
    let secret = post(&server, &bob, "general", "a first draft").await;
    post(&server, &ada, "general", "welcome bob").await;
    let at = |record: &Value| format!("/api/rooms/general/messages/{}", record["id"]);
    act(
        &server,
        &bob,
        "PATCH",
        &at(&secret),
        json!({"message": SECRET}),
    )
    .await;
    act(
        &server,
        &ada,
        "PATCH",
        &at(&first),
        json!({"message": "hello all"}),
    )
    .await;
    act(&server, &bob, "DELETE", &at(&secret), Value::Null).await;
    let moderator = "/api/rooms/general/moderators/bob";
    act(&server, &ada, "PUT", moderator, Value::Null).await;
    let slow = json!({"slow_mode_secs": 5});
    act(&server, &ada, "PATCH", "/api/rooms/general", slow).await;

    // A private room with a member, and a DM.
    let private = json!({"name": "secret-club", "private": true});
    act(&server, &ada, "POST", "/api/rooms", private).await;
    let member = "/api/rooms/secret-club/members/bob";
    act(&server, &ada, "PUT", member, Value::Null).await;
    post(&server, &bob, "secret-club", "psst").await;
    let dm = server
        .call_as(&ada, "POST", "/api/dms", Some(json!({"username": "bob"})))
        .await;
    assert_eq!(dm.status, 200, "{dm:?}");
    let dm_room = dm.body["room"].as_str().unwrap().to_owned();
    post(&server, &bob, &dm_room, "just between us").await;
    server
}

/// The direct-message room `name` opens with `with` on `server` (the same room whoever
/// opens it, named from the two accounts' ids).
async fn open_dm(server: &Server, cookie: &str, with: &str) -> String {
    let dm = server
        .call_as(
            cookie,
            "POST",
            "/api/dms",
            Some(json!({ "username": with })),
        )
        .await;
    assert_eq!(dm.status, 200, "{dm:?}");
    dm.body["room"].as_str().unwrap().to_owned()
}

/// Every record of `room` as a server's API pages it.
async fn every_record(server: &Server, room: &str, cookie: &str) -> Vec<Value> {
    let mut records: Vec<Value> = Vec::new();
    for _ in 0..100 {
        let after = records
            .last()
            .map_or(0, |record| record["id"].as_u64().unwrap());
        let path = format!("/api/rooms/{room}/messages?after={after}&limit=500");
        let reply = server.call_as(cookie, "GET", &path, None).await;
        assert_eq!(reply.status, 200, "{reply:?}");
        let page = reply.body.as_array().unwrap().clone();
        if page.is_empty() {
            return records;
        }
        records.extend(page);
    }
    panic!("more pages than a test site has");
}

async fn sign_in(server: &Server, name: &str) -> String {
    let reply = server
        .call(
            "POST",
            "/api/session",
            &[],
            Some(json!({"username": name, "password": PASSWORD})),
        )
        .await;
    assert_eq!(reply.status, 200, "{name} signs in: {reply:?}");
    reply.session_cookie()
}

fn lines(export: &[u8]) -> Vec<Value> {
    String::from_utf8(export.to_vec())
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[tokio::test]
async fn a_site_moves_sqlite_to_redis_to_sqlite_with_the_same_rooms_ids_texts_and_tombstones() {
    let source_dir = tempfile::tempdir().unwrap();
    let source = build_site(source_dir.path()).await;
    let ada_at_source = sign_in(&source, "ada").await;
    let original = every_record(&source, "general", &ada_at_source).await;
    let original_club = every_record(&source, "secret-club", &ada_at_source).await;
    let dm_room = open_dm(&source, &ada_at_source, "bob").await;
    let original_dm = every_record(&source, &dm_room, &ada_at_source).await;
    assert_eq!(original_dm.len(), 1);

    // Exported while the server runs.
    let from_sqlite = chinwag_ok(&["export", "--db", &db(source_dir.path())], b"").await;
    let text = String::from_utf8_lossy(&from_sqlite);
    assert!(!text.contains(SECRET), "a deleted text is in no export");
    let exported = lines(&from_sqlite);
    assert_eq!(exported[0]["kind"], "header");
    assert_eq!(exported[0]["version"], 1);
    let kinds: Vec<&str> = exported
        .iter()
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "account").count(), 3);
    assert_eq!(kinds.iter().filter(|k| **k == "room").count(), 3, "{text}");

    let redis = Redis::start().await;
    let url = redis.url();
    chinwag_ok(&["import", "--redis", &url], &from_sqlite).await;
    let from_redis = chinwag_ok(&["export", "--redis", &url], b"").await;
    assert_eq!(
        String::from_utf8_lossy(&from_redis),
        text,
        "Redis holds exactly what SQLite held"
    );

    let dest_dir = tempfile::tempdir().unwrap();
    chinwag_ok(&["import", "--db", &db(dest_dir.path())], &from_redis).await;
    let back = chinwag_ok(&["export", "--db", &db(dest_dir.path())], b"").await;
    assert_eq!(String::from_utf8_lossy(&back), text, "and back to SQLite");

    // Servers on the imported stores serve the same log, and the passwords moved too.
    let cluster = node(&redis, "n1", &[]).await;
    let dest = Server::start_with(dest_dir.path(), &NO_RATE_LIMIT).await;
    for server in [&cluster.server, &dest] {
        let ada = sign_in(server, "ada").await;
        assert_eq!(every_record(server, "general", &ada).await, original);
        assert_eq!(
            every_record(server, "secret-club", &ada).await,
            original_club
        );
        let me = server.call_as(&ada, "GET", "/api/me/rooms", None).await;
        assert!(me.body.to_string().contains("secret-club"), "{me:?}");
        let outsider = server
            .call("GET", "/api/rooms/secret-club/messages", &[], None)
            .await;
        assert_ne!(outsider.status, 200, "still private: {outsider:?}");
        let settings = server
            .call_as(&ada, "GET", "/api/rooms/general/settings", None)
            .await;
        assert_eq!(settings.body["slow_mode_secs"], 5, "{settings:?}");
    }
    let tombstone = original
        .iter()
        .find(|record| !record["deleted"].is_null())
        .expect("a tombstone");
    assert_eq!(tombstone["message"], "");

    // Ids go on where they stopped, on both engines; a change of an imported message
    // works, and deleting an edited one strips its edit record's text on Redis too.
    let last = original.last().unwrap()["id"].as_u64().unwrap();
    for server in [&cluster.server, &dest] {
        let bob = sign_in(server, "bob").await;
        let next = post(server, &bob, "general", "after the move").await;
        assert_eq!(next["id"].as_u64(), Some(last + 1));
    }
    let ada = sign_in(&cluster, "ada").await;
    let edited = original
        .iter()
        .find(|record| record["edited"].is_number())
        .expect("an edited message");
    let path = format!("/api/rooms/general/messages/{}", edited["id"]);
    act(&cluster, &ada, "DELETE", &path, Value::Null).await;
    let after = chinwag_ok(&["export", "--redis", &url], b"").await;
    assert!(
        !String::from_utf8_lossy(&after).contains("hello all"),
        "the edit record's text went with the message"
    );
}

#[tokio::test]
async fn an_import_into_a_store_that_holds_anything_is_refused_and_writes_nothing() {
    let source_dir = tempfile::tempdir().unwrap();
    let source = build_site(source_dir.path()).await;
    let export = chinwag_ok(&["export", "--db", &db(source_dir.path())], b"").await;

    // Into the very store it came from: it has rooms.
    let again = run_chinwag(&["import", "--db", &db(source_dir.path())], &export).await;
    assert!(!again.status.success());
    let said = String::from_utf8_lossy(&again.stderr);
    assert!(
        said.contains("not empty") && said.contains("rooms"),
        "{said}"
    );

    // Into a Redis with one message: refused too, and the message is all there is.
    let redis = Redis::start().await;
    let cluster = node(&redis, "n1", &[]).await;
    let guest_post = json!({"username": "early", "message": "early bird"});
    let (status, body) = cluster
        .post_json("/api/rooms/lobby/messages", guest_post, &[])
        .await;
    assert_eq!(status, 201, "{body}");
    let refused = run_chinwag(&["import", "--redis", &redis.url()], &export).await;
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("not empty"), "{said}");
    let left = chinwag_ok(&["export", "--redis", &redis.url()], b"").await;
    let left = lines(&left);
    assert_eq!(left.len(), 3, "header, lobby, its message: {left:?}");

    // An empty store with an account (the first admin made ahead) is not empty either.
    let other = tempfile::tempdir().unwrap();
    let made = format!("{PASSWORD}\n");
    chinwag_ok(
        &["accounts", "create", "zed", "--db", &db(other.path())],
        made.as_bytes(),
    )
    .await;
    let refused = run_chinwag(&["import", "--db", &db(other.path())], &export).await;
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success() && said.contains("accounts"),
        "{said}"
    );

    // Not an export at all: refused before anything is written.
    let empty = tempfile::tempdir().unwrap();
    let junk = run_chinwag(
        &["import", "--db", &db(empty.path())],
        b"{\"kind\":\"room\"}\n",
    )
    .await;
    let said = String::from_utf8_lossy(&junk.stderr);
    assert!(
        !junk.status.success() && said.contains("not a chinwag export"),
        "{said}"
    );
    drop(source);
}
