//! Big rooms (issue 18): above `--presence-list-max` people the `presence` frame carries the
//! count and a first page, arrivals and departures come as one `presence_diff` per window
//! (or, for more changes than a page, as a fresh `presence` snapshot), and the HTTP list
//! pages. Small rooms keep their full list and per-change events.

use crate::support::{Client, Server};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// A window long enough that a handful of joins in a row always falls inside it, even on a
/// loaded machine.
const WINDOW_MS: &str = "4000";

async fn big_room_server(dir: &tempfile::TempDir) -> Server {
    Server::start_with(
        dir.path(),
        &["--presence-list-max", "3", "--presence-diff-ms", WINDOW_MS],
    )
    .await
}

/// `name` joined to `den`, and what it was sent up to `joined`.
async fn join_den(server: &Server, name: &str) -> (Client, Vec<Value>) {
    Client::join(&server.ws_url(&format!("?room=den&username={name}"))).await
}

/// `den` with three people, the most a page lists: `m1`, `m2` and the returned watcher, whose
/// own `presence` (the room still small) has been read.
async fn den_of_three(server: &Server) -> (Vec<(Client, Vec<Value>)>, Client) {
    let members = vec![join_den(server, "m1").await, join_den(server, "m2").await];
    let (mut watcher, _) = join_den(server, "watcher").await;
    let presence = watcher.recv_type("presence").await;
    assert_eq!(presence.get("count"), None, "three is still small");
    (members, watcher)
}

fn names(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|name| name.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_small_room_lists_everyone_and_announces_each_change_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let server = big_room_server(&dir).await;
    let (mut ada, _) = Client::join(&server.ws_url("?room=den&username=ada")).await;
    let (mut bob, _) = Client::join(&server.ws_url("?room=den&username=bob")).await;
    let presence = bob.recv_type("presence").await;
    assert_eq!(
        presence,
        json!({"type": "presence", "room": "den", "users": ["ada", "bob"], "guests": ["ada", "bob"]}),
        "no count in a small room"
    );
    ada.recv_user_event("user_joined", "bob").await;
    bob.send_json(json!({"type": "leave", "room": "den"})).await;
    ada.recv_user_event("user_left", "bob").await;
}

#[tokio::test]
async fn a_big_room_sends_its_count_and_first_page_and_gathers_arrivals_into_one_diff() {
    let dir = tempfile::tempdir().unwrap();
    let server = big_room_server(&dir).await;
    let (_members, mut watcher) = den_of_three(&server).await;
    // Everything after this goes into a diff: the room is big from the fourth name on. Three
    // changes fit a diff: no more than a page of the list.
    let arrivals = ["a1", "a2", "a3"];
    let mut arrived = Vec::new();
    for name in arrivals {
        arrived.push(join_den(&server, name).await);
    }
    let (last, _) = arrived.last_mut().unwrap();
    let big = last.recv_type("presence").await;
    assert_eq!(big["count"], 6, "{big}");
    assert_eq!(names(&big["users"]), ["a1", "a2", "a3"], "the first page");

    let frames = watcher.recv_through("presence_diff").await;
    let diff = frames.last().unwrap();
    let singles: Vec<&Value> = frames
        .iter()
        .filter(|frame| frame["type"] == "user_joined" && frame["username"] != "watcher")
        .collect();
    assert!(singles.is_empty(), "no per-change events: {singles:?}");
    assert_eq!(names(&diff["arrived"]), arrivals, "all three in one diff");
    assert_eq!(diff["count"], 6);
    assert_eq!(diff.get("departed"), None);

    // Departures of a big room are gathered too.
    for (client, _) in arrived.iter_mut().take(2) {
        client
            .send_json(json!({"type": "leave", "room": "den"}))
            .await;
    }
    let diff = watcher.recv_type("presence_diff").await;
    assert_eq!(names(&diff["departed"]), ["a1", "a2"], "{diff}");
    assert_eq!(diff["count"], 4);
}

#[tokio::test]
async fn a_crowd_longer_than_a_page_comes_as_a_fresh_snapshot_not_a_diff_naming_everyone() {
    let dir = tempfile::tempdir().unwrap();
    let server = big_room_server(&dir).await;
    let (_members, mut watcher) = den_of_three(&server).await;
    // Six arrivals in one window: a diff would name six people, twice a page of three.
    let crowd = ["a1", "a2", "a3", "a4", "a5", "a6"];
    let mut arrived = Vec::new();
    for name in crowd {
        arrived.push(join_den(&server, name).await);
    }

    let frames = watcher.recv_through("presence").await;
    let diffs: Vec<&Value> = (frames.iter())
        .filter(|frame| frame["type"] == "presence_diff")
        .collect();
    assert!(diffs.is_empty(), "no diff naming the crowd: {diffs:?}");
    let snapshot = frames.last().unwrap();
    assert_eq!(snapshot["room"], "den");
    assert_eq!(snapshot["count"], 9, "{snapshot}");
    assert_eq!(
        names(&snapshot["users"]),
        ["a1", "a2", "a3"],
        "the first page only"
    );
    assert_eq!(
        names(&snapshot["guests"]),
        ["a1", "a2", "a3"],
        "guests on that page"
    );
    // Every member gets the same snapshot, a member of the crowd too.
    let (first, _) = arrived.first_mut().unwrap();
    let frames = first.recv_through("presence").await; // its own, as a joiner
    assert_eq!(frames.last().unwrap()["count"], 4);
    assert_eq!(first.recv_type("presence").await, *snapshot);
}

#[tokio::test]
async fn paging_the_http_presence_list_returns_every_name_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = big_room_server(&dir).await;
    let mut clients = Vec::new();
    let mut expected = BTreeSet::new();
    for i in 0..12 {
        let name = format!("p{i:02}");
        clients.push(Client::join(&server.ws_url(&format!("?room=den&username={name}"))).await);
        expected.insert(name);
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    // Bounded: 12 names at 5 a page is 3 pages; more means the paging does not advance.
    for _ in 0..10 {
        let path = match &after {
            Some(after) => format!("/api/rooms/den/presence?after={after}&limit=5"),
            None => "/api/rooms/den/presence?limit=5".to_owned(),
        };
        let reply = server.call("GET", &path, &[], None).await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        assert_eq!(reply.header("chinwag-presence-count"), Some("12"));
        let page = names(&reply.body);
        assert!(page.len() <= 5);
        seen.extend(page.iter().cloned());
        if page.len() < 5 {
            break;
        }
        after = page.last().cloned();
    }
    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(seen.len(), unique.len(), "no name twice: {seen:?}");
    assert_eq!(unique, expected);
    assert!(
        seen.windows(2).all(|pair| pair[0] < pair[1]),
        "sorted: {seen:?}"
    );
    // Without paging parameters the list is whole, as before.
    let (status, whole) = server.get_json("/api/rooms/den/presence").await;
    assert_eq!((status, names(&whole).len()), (200, 12));
}
