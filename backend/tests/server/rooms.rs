//! Rooms: creating them is budgeted per address and per connection, posting to existing ones
//! is free, and `GET /api/rooms` lists them a bounded page at a time, busiest first.
//!
//! A room is created by its first stored message. Before the budget, one address made 99,800
//! rooms in 27 s and every browser listed them all; these tests pin the budget over every
//! transport (socket `send`, the seed's untagged shape, HTTP POST) and the paging of the list.

use crate::support::{Client, NO_RATE_LIMIT, Server, http_agent};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Flags: the message rate lifted, and new rooms limited to `burst` per address (refilled at
/// one a minute, so not within a test) and `per_connection` per socket.
fn budget(burst: &str, per_connection: &str) -> Vec<String> {
    let mut flags: Vec<String> = NO_RATE_LIMIT[..4].iter().map(|&f| f.to_owned()).collect();
    flags.extend(
        [
            "--new-rooms-per-minute",
            "1",
            "--new-rooms-burst",
            burst,
            "--new-rooms-per-connection",
            per_connection,
        ]
        .map(str::to_owned),
    );
    flags
}

async fn start(dir: &std::path::Path, flags: &[String]) -> Server {
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    Server::start_with(dir, &flags).await
}

/// Sends `frame` and returns the server's answer to it: its chat record or its error frame.
/// The socket is in none of the rooms it posts to, so nothing else arrives meanwhile.
async fn answer(client: &mut Client, frame: Value) -> Value {
    client.send_json(frame).await;
    loop {
        let reply = client.recv().await;
        if reply["type"] == "chat" || reply["type"] == "error" {
            return reply;
        }
    }
}

async fn send(client: &mut Client, room: &str, client_id: &str) -> Value {
    let frame = json!({"type": "send", "room": room, "message": "hello", "client_id": client_id});
    answer(client, frame).await
}

async fn post(server: &Server, room: &str) -> (u16, Value) {
    let body = json!({"username": "poster", "message": "hello"});
    server
        .post_json(&format!("/api/rooms/{room}/messages"), body, &[])
        .await
}

/// `GET path`: status, JSON body, and the `rel="next"` target of its `Link` header, if any.
async fn get_page(server: &Server, path: &str) -> (u16, Value, Option<String>) {
    let url = server.http_url(path);
    tokio::task::spawn_blocking(move || {
        let mut response = http_agent().get(&url).call().expect("http request");
        let status = response.status().as_u16();
        let next = response
            .headers()
            .get("link")
            .and_then(|link| link.to_str().ok())
            .and_then(|link| {
                let (target, params) = link.split_once(';')?;
                params.contains(r#"rel="next""#).then(|| {
                    target
                        .trim()
                        .trim_start_matches('<')
                        .trim_end_matches('>')
                        .to_owned()
                })
            });
        let body: Value = response.body_mut().read_json().expect("json body");
        (status, body, next)
    })
    .await
    .expect("http task")
}

/// Every page of `/api/rooms?limit=N`, following `Link`, as (room, last_id) in listed order.
async fn all_rooms(server: &Server, limit: usize) -> Vec<(String, u64)> {
    let mut rooms = Vec::new();
    let mut next = Some(format!("/api/rooms?limit={limit}"));
    let mut pages = 0;
    while let Some(path) = next {
        pages += 1;
        assert!(pages < 1_000, "the room list never ended");
        let (status, page, link) = get_page(server, &path).await;
        assert_eq!(status, 200, "{page}");
        let page = page.as_array().expect("a JSON array").clone();
        assert!(page.len() <= limit, "a page holds at most {limit}");
        for room in page {
            let name = room["room"].as_str().expect("a room name").to_owned();
            rooms.push((name, room["last_id"].as_u64().expect("an id")));
        }
        next = link;
    }
    rooms
}

fn names(rooms: &[(String, u64)]) -> BTreeSet<String> {
    rooms.iter().map(|(name, _)| name.clone()).collect()
}

#[tokio::test]
async fn one_address_creating_rooms_past_its_budget_is_refused_on_every_transport() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &budget("4", "100")).await;
    let (mut mallory, _) = Client::join(&server.ws_url("?username=mallory")).await;

    let mut answers = Vec::new();
    for n in 0..10 {
        answers.push(send(&mut mallory, &format!("spam-{n}"), &format!("c{n}")).await);
    }
    for (n, reply) in answers.iter().enumerate() {
        if n < 4 {
            assert_eq!(
                reply["type"], "chat",
                "room {n} is within the burst: {reply}"
            );
        } else {
            assert_eq!(reply["code"], "too_many_new_rooms", "room {n}: {reply}");
            assert_eq!(reply["room"], format!("spam-{n}"), "names the room");
            assert_eq!(reply["client_id"], format!("c{n}"), "names the send");
        }
    }

    // The seed's untagged shape is a send too.
    let seed = json!({"username": "mallory", "message": "hi", "room": "spam-seed"});
    let reply = answer(&mut mallory, seed).await;
    assert_eq!(reply["code"], "too_many_new_rooms", "{reply}");

    // So is an HTTP post from the same address.
    let (status, body) = post(&server, "spam-http").await;
    assert_eq!((status, &body["code"]), (429, &json!("too_many_new_rooms")));

    // The rooms that were allowed stay free to post to, on both transports.
    let reply = send(&mut mallory, "spam-0", "again").await;
    assert_eq!(reply["type"], "chat", "{reply}");
    let (status, _) = post(&server, "spam-1").await;
    assert_eq!(status, 201);

    let listed = all_rooms(&server, 3).await;
    let allowed: BTreeSet<String> = (0..4).map(|n| format!("spam-{n}")).collect();
    assert_eq!(names(&listed), allowed, "joining general created nothing");
}

#[tokio::test]
async fn a_connection_creates_only_its_share_and_a_refusal_costs_its_address_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &budget("3", "2")).await;
    let (mut first, _) = Client::join(&server.ws_url("?username=first")).await;
    for room in ["a-1", "a-2"] {
        assert_eq!(send(&mut first, room, room).await["type"], "chat");
    }
    let refused = send(&mut first, "a-3", "a-3").await;
    assert_eq!(refused["code"], "too_many_new_rooms", "{refused}");

    // The address had 3; the first connection spent 2 and was refused its third.
    let (mut second, _) = Client::join(&server.ws_url("?username=second")).await;
    assert_eq!(send(&mut second, "b-1", "b-1").await["type"], "chat");
    let (status, body) = post(&server, "c-1").await;
    assert_eq!(status, 429, "the address's three are spent: {body}");
}

#[tokio::test]
async fn posting_to_existing_rooms_never_spends_the_budget_even_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let flags = budget("1", "1");
    let server = start(dir.path(), &flags).await;
    let (status, _) = post(&server, "lobby").await;
    assert_eq!(status, 201, "the one new room this address may make");
    let (mut alice, _) = Client::join(&server.ws_url("?room=lobby&username=alice")).await;
    for n in 0..20 {
        alice.post("lobby", "alice", &format!("m{n}")).await;
        let (status, _) = post(&server, "lobby").await;
        assert_eq!(status, 201);
    }
    let (status, body) = post(&server, "second").await;
    assert_eq!(status, 429, "the budget was one room: {body}");
    drop(alice);

    // A restarted server knows no rooms in memory: it must ask the store, not charge.
    server.terminate().await;
    let server = start(dir.path(), &flags).await;
    let (status, _) = post(&server, "lobby").await;
    assert_eq!(status, 201);
    let (mut bob, _) = Client::join(&server.ws_url("?username=bob")).await;
    assert_eq!(send(&mut bob, "lobby", "b1").await["type"], "chat");
    let (status, body) = post(&server, "fresh").await;
    assert_eq!(
        status, 201,
        "lobby cost nothing, so one new room is left: {body}"
    );
}

#[tokio::test]
async fn the_room_list_is_paged_busiest_first_with_a_link_to_the_next_page() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &NO_RATE_LIMIT).await;
    for (room, messages) in [("r-a", 3), ("r-b", 1), ("r-c", 5), ("r-d", 3), ("r-e", 2)] {
        for _ in 0..messages {
            assert_eq!(post(&server, room).await.0, 201);
        }
    }
    let busiest_first = [("r-c", 5), ("r-d", 3), ("r-a", 3), ("r-e", 2), ("r-b", 1)]
        .map(|(room, last_id)| (room.to_owned(), last_id))
        .to_vec();

    let (status, first, next) = get_page(&server, "/api/rooms?limit=2").await;
    assert_eq!(status, 200);
    assert_eq!(
        first,
        json!([{"room": "r-c", "last_id": 5}, {"room": "r-d", "last_id": 3}]),
        "most messages first; ties by name, descending"
    );
    assert_eq!(next.as_deref(), Some("/api/rooms?limit=2&cursor=3.r-d"));
    assert_eq!(all_rooms(&server, 2).await, busiest_first);
    assert_eq!(all_rooms(&server, 1).await, busiest_first);

    let (_, whole, next) = get_page(&server, "/api/rooms").await;
    assert_eq!(
        whole.as_array().map(Vec::len),
        Some(5),
        "the default page holds 50"
    );
    assert_eq!(next, None, "the last page links nowhere");

    for bad in [
        "/api/rooms?limit=0",
        "/api/rooms?cursor=nonsense",
        "/api/rooms?cursor=3.Bad",
    ] {
        let (status, body, _) = get_page(&server, bad).await;
        assert_eq!((status, &body["code"]), (400, &json!("bad_query")), "{bad}");
    }
}

#[tokio::test]
async fn a_page_of_rooms_is_clamped_to_two_hundred() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &NO_RATE_LIMIT).await;
    let (mut writer, _) = Client::join(&server.ws_url("?username=w")).await;
    for n in 0..201 {
        let reply = send(&mut writer, &format!("room-{n}"), &format!("c{n}")).await;
        assert_eq!(reply["type"], "chat", "{reply}");
    }
    let (status, page, next) = get_page(&server, "/api/rooms?limit=1000").await;
    assert_eq!(status, 200);
    assert_eq!(page.as_array().map(Vec::len), Some(200));
    let next = next.expect("one room is left for the next page");
    assert!(next.starts_with("/api/rooms?limit=200&cursor="), "{next}");
    let (_, rest, after) = get_page(&server, &next).await;
    assert_eq!(rest.as_array().map(Vec::len), Some(1));
    assert_eq!(after, None);
}
