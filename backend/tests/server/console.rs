//! The operators' console's routes, as a site admin uses them: the live stream opens with a
//! snapshot and ticks once a second with numbers that move when people chat; disabling an
//! account ends its open socket and long-poll at once and refuses its sign-in, session and
//! token until it is enabled; signing out everywhere ends its connections; admin is granted
//! and revoked; the rooms, accounts, connections and site sanctions lists say what holds; and
//! every act lands in the site's audit log.

use crate::{
    cast::{PASSWORD, Person, sanction, staffed},
    support::{Client, Server, Sse, WAIT},
};
use chinwag_shared::account::CLOSE_CREDENTIAL_EXPIRED;
use serde_json::{Value, json};

/// Ticks read at most while waiting for a number to move.
const TICKS: usize = 20;

/// Opens the live stream as `person`.
async fn watch(server: &Server, person: &Person) -> Sse {
    let cookie = format!("chinwag_session={}", person.cookie);
    Sse::open(server, "/api/admin/live", &[("cookie", &cookie)]).await
}

/// The site audit log's actions and subjects, newest first.
async fn site_acts(server: &Server, admin: &Person) -> Vec<(String, String)> {
    let log = admin.call(server, "GET", "/api/admin/audit", None).await;
    assert_eq!(log.status, 200, "{log:?}");
    log.body
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry["action"].as_str().unwrap_or_default().to_owned(),
                entry["subject"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// Waits for `socket` to close, and says with what code.
async fn close_code(socket: &mut Client) -> u16 {
    let close = tokio::time::timeout(WAIT, socket.recv_close())
        .await
        .expect("the socket closed in time")
        .expect("a close frame");
    u16::from(close.code)
}

#[tokio::test]
async fn the_live_stream_opens_with_a_snapshot_then_ticks_that_count_what_happens() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let mut live = watch(&server, &ada).await;
    assert_eq!(live.status, 200);
    let (name, snapshot) = live.next_event().await.expect("a snapshot");
    assert_eq!(name, "snapshot", "{snapshot}");
    let node = snapshot["node"].as_str().unwrap().to_owned();
    assert!(!node.is_empty());
    let nodes = snapshot["nodes"].as_array().unwrap();
    assert!(
        nodes.len() <= 1,
        "one node at most (none before its first second)"
    );

    // A listener, so the messages are delivered (and their latency measured), then five
    // messages and one frame the server refuses.
    let (mut listener, _) = ada.join(&server, "plaza").await;
    for n in 0..5 {
        ada.post(&server, "plaza", &format!("hello {n}")).await;
    }
    listener.send_text("this is not json").await;
    assert_eq!(listener.recv_type("error").await["code"], "bad_json");

    let (mut messages, mut refused, mut saw) = (0, 0, None);
    for _ in 0..TICKS {
        let (name, tick) = live.next_event().await.expect("a tick");
        assert_eq!(name, "tick", "{tick}");
        let sample = &tick["sample"];
        messages += sample["messages"].as_u64().unwrap();
        refused += sample["refusals"]["bad_json"].as_u64().unwrap_or(0);
        if sample["delivery_p95_ms"].is_number() {
            saw = Some(tick.clone());
        }
        if messages >= 5 && refused >= 1 && saw.is_some() {
            break;
        }
    }
    assert_eq!((messages, refused), (5, 1), "counted once each");
    let tick = saw.expect("a second with deliveries had a p95");
    let sample = &tick["sample"];
    assert!(sample["deliveries"].as_u64().unwrap() >= 1, "{tick}");
    assert!(sample["delivery_p95_ms"].as_f64().unwrap() >= 0.0, "{tick}");
    assert_eq!(sample["websockets"], 1, "{tick}");
    assert!(sample["rooms"].as_u64().unwrap() >= 1, "{tick}");
    assert_eq!(sample["store_ready"], true, "{tick}");
    let nodes = tick["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 1, "{tick}");
    assert_eq!(nodes[0]["id"], node.as_str());
    assert_eq!(nodes[0]["this"], true);
    assert_eq!(nodes[0]["ready"], true);
    assert_eq!(nodes[0]["version"], env!("CARGO_PKG_VERSION"));

    // A second watcher starts from a snapshot that holds the seconds already sampled.
    let mut second = watch(&server, &ada).await;
    let (name, snapshot) = second.next_event().await.expect("a snapshot");
    assert_eq!(name, "snapshot");
    let counted: u64 = snapshot["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|sample| sample["messages"].as_u64().unwrap())
        .sum();
    assert_eq!(counted, 5, "{snapshot}");

    // The new metrics are on /metrics too.
    let (_, metrics) = server.get_text("/metrics").await;
    assert!(
        metrics.contains("chinwag_delivery_seconds_count"),
        "{metrics}"
    );
}

#[tokio::test]
async fn the_live_stream_ends_when_the_server_shuts_down_without_holding_it_up() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let mut live = watch(&server, &ada).await;
    assert_eq!(live.next_event().await.expect("a snapshot").0, "snapshot");
    let started = std::time::Instant::now();
    let status = server.terminate().await;
    assert!(status.success(), "{status:?}");
    assert!(started.elapsed() < WAIT, "shut down promptly");
    let mut ended = false;
    for _ in 0..TICKS {
        if live.next_event().await.is_none() {
            ended = true;
            break;
        }
    }
    assert!(ended, "the stream ended");
}

#[tokio::test]
async fn disabling_an_account_ends_its_connections_and_refuses_it_until_enabled() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let bob = Person::sign_up(&server, "bob").await;
    let token = bob
        .call(&server, "POST", "/api/tokens", Some(json!({"name": "bot"})))
        .await;
    assert_eq!(token.status, 201, "{token:?}");
    let token = token.body["token"].as_str().unwrap().to_owned();
    let (mut socket, _) = bob.join(&server, "plaza").await;
    let head = bob
        .call(&server, "GET", "/api/rooms/plaza/messages?after=0", None)
        .await;
    assert_eq!(head.status, 200);

    let connections = ada
        .call(&server, "GET", "/api/admin/accounts/bob/connections", None)
        .await;
    assert_eq!(connections.status, 200, "{connections:?}");
    let listed = connections.body.as_array().unwrap();
    assert_eq!(listed.len(), 1, "{connections:?}");
    assert_eq!(listed[0]["transport"], "web_socket");
    assert_eq!(listed[0]["rooms"], json!(["plaza"]));
    assert_eq!(listed[0]["address"], "127.0.0.1");

    // A long-poll waits as bob meanwhile.
    let polling = {
        let url = server.http_url("/api/rooms/plaza/messages?after=1000&wait=30");
        let cookie = format!("chinwag_session={}", bob.cookie);
        tokio::task::spawn_blocking(move || {
            let answer = crate::support::http_agent()
                .get(&url)
                .header("cookie", &cookie)
                .call();
            answer.map(|response| response.status().as_u16())
        })
    };
    crate::cast::until_long_polls_waiting(&server, 1.0).await;

    let disabled = ada
        .call(&server, "PUT", "/api/admin/accounts/bob/disabled", None)
        .await;
    assert_eq!(disabled.status, 204, "{disabled:?}");
    assert_eq!(close_code(&mut socket).await, CLOSE_CREDENTIAL_EXPIRED);
    let polled = tokio::time::timeout(WAIT, polling)
        .await
        .expect("the long-poll ended at once")
        .unwrap();
    assert_eq!(
        polled.unwrap(),
        401,
        "the long-poll is told it was signed out"
    );

    for credential in [&bob.cookie, &token] {
        let bearer = format!("Bearer {credential}");
        let me = server
            .call("GET", "/api/me", &[("authorization", &bearer)], None)
            .await;
        assert_eq!((me.status, me.code()), (401, "unauthenticated"), "{me:?}");
    }
    let signing_in = json!({"username": "bob", "password": PASSWORD});
    let refused = server
        .call("POST", "/api/session", &[], Some(signing_in.clone()))
        .await;
    assert_eq!(
        (refused.status, refused.code()),
        (403, "account_disabled"),
        "{refused:?}"
    );
    let wrong = json!({"username": "bob", "password": "not bob's password"});
    let wrong = server.call("POST", "/api/session", &[], Some(wrong)).await;
    assert_eq!(
        (wrong.status, wrong.code()),
        (401, "bad_credentials"),
        "a wrong password learns nothing of the account's state"
    );
    let found = ada
        .call(&server, "GET", "/api/admin/accounts?q=BO", None)
        .await;
    assert_eq!(found.status, 200);
    assert_eq!(found.body.as_array().unwrap().len(), 1, "{found:?}");
    assert_eq!(
        (
            &found.body[0]["name"],
            &found.body[0]["disabled"],
            &found.body[0]["connections"]
        ),
        (&json!("bob"), &json!(true), &json!(0))
    );

    let enabled = ada
        .call(&server, "DELETE", "/api/admin/accounts/bob/disabled", None)
        .await;
    assert_eq!(enabled.status, 204, "{enabled:?}");
    let back = server
        .call("POST", "/api/session", &[], Some(signing_in))
        .await;
    assert_eq!(back.status, 200, "{back:?}");
    assert_eq!(
        site_acts(&server, &ada).await[..2],
        [
            ("enable".to_owned(), "bob".to_owned()),
            ("disable".to_owned(), "bob".to_owned())
        ]
    );
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_connection_and_credential_but_not_the_account() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let bob = Person::sign_up(&server, "bob").await;
    let (mut first, _) = bob.join(&server, "plaza").await;
    let (mut second, _) = bob.join(&server, "lobby").await;
    let out = ada
        .call(&server, "DELETE", "/api/admin/accounts/bob/sessions", None)
        .await;
    assert_eq!(out.status, 204, "{out:?}");
    assert_eq!(close_code(&mut first).await, CLOSE_CREDENTIAL_EXPIRED);
    assert_eq!(close_code(&mut second).await, CLOSE_CREDENTIAL_EXPIRED);
    let me = bob.call(&server, "GET", "/api/me", None).await;
    assert_eq!(me.status, 401, "{me:?}");
    let again = server
        .call(
            "POST",
            "/api/session",
            &[],
            Some(json!({"username": "bob", "password": PASSWORD})),
        )
        .await;
    assert_eq!(again.status, 200, "not disabled: {again:?}");
    assert_eq!(
        site_acts(&server, &ada).await[0],
        ("sign_out".to_owned(), "bob".to_owned())
    );
}

#[tokio::test]
async fn admin_is_granted_and_revoked_and_me_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let bob = Person::sign_up(&server, "bob").await;
    let me = bob.call(&server, "GET", "/api/me", None).await;
    assert_eq!(me.body.get("admin"), None, "left out when false: {me:?}");
    let me = ada.call(&server, "GET", "/api/me", None).await;
    assert_eq!(me.body["admin"], true, "{me:?}");

    let granted = ada
        .call(&server, "PUT", "/api/admin/accounts/bob/admin", None)
        .await;
    assert_eq!(granted.status, 204, "{granted:?}");
    let me = bob.call(&server, "GET", "/api/me", None).await;
    assert_eq!(me.body["admin"], true, "{me:?}");
    assert_eq!(
        bob.call(&server, "GET", "/api/admin/audit", None)
            .await
            .status,
        200
    );
    let listed = ada.call(&server, "GET", "/api/admin/accounts", None).await;
    let admins: Vec<(&Value, &Value)> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|account| (&account["name"], &account["admin"]))
        .collect();
    assert_eq!(
        admins,
        [(&json!("ada"), &json!(true)), (&json!("bob"), &json!(true))]
    );

    let own = ada
        .call(&server, "DELETE", "/api/admin/accounts/ada/admin", None)
        .await;
    assert_eq!((own.status, own.code()), (403, "forbidden"), "{own:?}");
    let revoked = ada
        .call(&server, "DELETE", "/api/admin/accounts/bob/admin", None)
        .await;
    assert_eq!(revoked.status, 204, "{revoked:?}");
    let refused = bob.call(&server, "GET", "/api/admin/audit", None).await;
    assert_eq!((refused.status, refused.code()), (403, "forbidden"));
    assert_eq!(
        site_acts(&server, &ada).await,
        [
            ("revoke_admin".to_owned(), "bob".to_owned()),
            ("grant_admin".to_owned(), "bob".to_owned())
        ]
    );
}

#[tokio::test]
async fn the_rooms_and_site_sanctions_say_what_holds() {
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let bob = Person::sign_up(&server, "bob").await;
    let (_listening, _) = bob.join(&server, "plaza").await;
    for n in 0..3 {
        ada.post(&server, "plaza", &format!("m{n}")).await;
    }
    let made = bob
        .call(
            &server,
            "POST",
            "/api/rooms",
            Some(json!({"name": "den", "private": true})),
        )
        .await;
    assert!(made.status < 300, "{made:?}");
    bob.post(&server, "den", "ours").await;
    let moderator = ada
        .call(&server, "PUT", "/api/rooms/plaza/moderators/bob", None)
        .await;
    assert_eq!(moderator.status, 200, "{moderator:?}");

    let rooms = ada.call(&server, "GET", "/api/admin/rooms", None).await;
    assert_eq!(rooms.status, 200, "{rooms:?}");
    let rooms = rooms.body.as_array().unwrap();
    let room = |name: &str| {
        rooms
            .iter()
            .find(|room| room["room"] == name)
            .unwrap_or_else(|| panic!("{name} listed: {rooms:?}"))
    };
    let plaza = room("plaza");
    assert_eq!(plaza["messages"], 3, "{plaza}");
    assert_eq!(plaza["online"], 1, "{plaza}");
    assert_eq!(plaza["private"], false, "{plaza}");
    assert_eq!(plaza["moderators"], json!(["bob"]), "{plaza}");
    assert!(plaza["last_activity"].as_u64().unwrap() > 0, "{plaza}");
    let den = room("den");
    assert_eq!(
        (&den["private"], &den["owner"], &den["messages"]),
        (&json!(true), &json!("bob"), &json!(1)),
        "{den}"
    );
    assert_eq!(rooms[0]["room"], "plaza", "busiest first");
    let paged = ada
        .call(&server, "GET", "/api/admin/rooms?limit=1", None)
        .await;
    assert_eq!(paged.body.as_array().unwrap().len(), 1);
    let next = paged.header("link").expect("a next page");
    assert!(
        next.starts_with("</api/admin/rooms?limit=1&cursor="),
        "{next}"
    );

    let banned = ada
        .call(
            &server,
            "PUT",
            "/api/site/bans/bob",
            sanction(Some(600), "spam"),
        )
        .await;
    assert_eq!(banned.status, 200, "{banned:?}");
    let sanctions = ada.call(&server, "GET", "/api/admin/sanctions", None).await;
    assert_eq!(sanctions.status, 200);
    let listed = sanctions.body.as_array().unwrap();
    assert_eq!(listed.len(), 1, "{sanctions:?}");
    assert_eq!(
        (
            &listed[0]["kind"],
            &listed[0]["username"],
            &listed[0]["reason"],
            &listed[0]["site"]
        ),
        (&json!("ban"), &json!("bob"), &json!("spam"), &json!(true))
    );
    assert!(listed[0]["until"].as_u64().is_some());
    let log = ada.call(&server, "GET", "/api/admin/audit", None).await;
    assert_eq!(log.body[0]["action"], "ban", "{log:?}");
    assert!(
        log.body[0]["detail"]
            .as_str()
            .unwrap()
            .contains("site-wide"),
        "{log:?}"
    );
    let plaza_log = ada
        .call(&server, "GET", "/api/rooms/plaza/audit", None)
        .await;
    assert!(
        plaza_log
            .body
            .as_array()
            .unwrap()
            .iter()
            .all(|entry| entry["action"] != "ban"),
        "a site ban is the site's: {plaza_log:?}"
    );
}

#[tokio::test]
async fn a_moderating_key_disconnects_a_user_but_no_admin_and_keys_land_in_the_site_log() {
    use crate::api_keys::{as_key, make_key};
    let dir = tempfile::tempdir().unwrap();
    let (server, ada) = staffed(&dir, &[]).await;
    let bob = Person::sign_up(&server, "bob").await;
    let (mut socket, _) = bob.join(&server, "plaza").await;
    let (publish, _) = make_key(&server, &ada, &["publish"]).await;
    let (moderate, listing) = make_key(&server, &ada, &["moderate"]).await;
    assert_eq!(
        site_acts(&server, &ada).await[0],
        ("create_key".to_owned(), String::new()),
        "making a key is a site act"
    );

    let path = "/api/admin/accounts/bob/sessions";
    let refused = as_key(&server, &publish, "DELETE", path, None).await;
    assert_eq!((refused.status, refused.code()), (403, "forbidden"));
    let refused = as_key(&server, &moderate, "GET", "/api/admin/accounts", None).await;
    assert_eq!(
        (refused.status, refused.code()),
        (403, "forbidden"),
        "the rest of the console is for people: {refused:?}"
    );
    let admin_path = "/api/admin/accounts/ada/sessions";
    let refused = as_key(&server, &moderate, "DELETE", admin_path, None).await;
    assert_eq!(
        (refused.status, refused.code()),
        (403, "forbidden"),
        "a key never signs out a site admin: {refused:?}"
    );

    let out = as_key(&server, &moderate, "DELETE", path, None).await;
    assert_eq!(out.status, 204, "{out:?}");
    assert_eq!(close_code(&mut socket).await, CLOSE_CREDENTIAL_EXPIRED);
    let log = ada.call(&server, "GET", "/api/admin/audit", None).await;
    let newest = &log.body[0];
    assert_eq!(
        (&newest["action"], &newest["subject"], &newest["key"]),
        (&json!("sign_out"), &json!("bob"), &json!("billing backend")),
        "{log:?}"
    );

    let id = listing["id"].as_str().unwrap();
    let revoked = ada
        .call(&server, "DELETE", &format!("/api/keys/{id}"), None)
        .await;
    assert_eq!(revoked.status, 204, "{revoked:?}");
    assert_eq!(site_acts(&server, &ada).await[0].0, "revoke_key");
}
