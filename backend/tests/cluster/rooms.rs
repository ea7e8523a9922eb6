//! Rooms on Redis: the list is paged busiest first whichever node wrote or is asked, and a
//! room another node created is an existing room (free to post to), not a new one.

use crate::{Node, node, redis::Redis, support::Server, until_ready};
use serde_json::{Value, json};

/// A node whose address may create `burst` new rooms; [`node`] lifts every budget.
async fn node_with_room_budget(redis: &Redis, name: &str, burst: &str) -> Node {
    let dir = tempfile::tempdir().unwrap();
    let url = redis.url();
    let flags = [
        "--redis",
        &url,
        "--node-id",
        name,
        "--rate-per-sec",
        "1000000",
        "--rate-burst",
        "1000000",
        "--new-rooms-burst",
        burst,
    ];
    let server = Server::start_with(dir.path(), &flags).await;
    let node = Node { server, _dir: dir };
    until_ready(&node, 200).await;
    node
}

async fn post(node: &Node, room: &str) -> (u16, Value) {
    let body = json!({"username": "poster", "message": "hello"});
    node.post_json(&format!("/api/rooms/{room}/messages"), body, &[])
        .await
}

/// `GET path` on `node`: the JSON body and the `rel="next"` target of its `Link`, if any.
async fn get_page(node: &Node, path: &str) -> (Value, Option<String>) {
    let url = node.http_url(path);
    tokio::task::spawn_blocking(move || {
        let mut response = crate::support::http_agent()
            .get(&url)
            .call()
            .expect("http request");
        assert_eq!(response.status().as_u16(), 200);
        let next = response
            .headers()
            .get("link")
            .and_then(|link| link.to_str().ok())
            .and_then(|link| link.split_once(';'))
            .filter(|(_, params)| params.contains(r#"rel="next""#))
            .map(|(target, _)| target.trim().trim_matches(['<', '>']).to_owned());
        (response.body_mut().read_json().expect("json body"), next)
    })
    .await
    .expect("http task")
}

#[tokio::test]
async fn the_room_list_is_paged_busiest_first_across_nodes() {
    let redis = Redis::start().await;
    let a = node(&redis, "a", &[]).await;
    let b = node(&redis, "b", &[]).await;
    for (writer, room, messages) in [(&a, "x", 3), (&b, "y", 5), (&a, "z", 1), (&b, "w", 3)] {
        for _ in 0..messages {
            assert_eq!(post(writer, room).await.0, 201);
        }
    }
    let (first, next) = get_page(&b, "/api/rooms?limit=2").await;
    assert_eq!(
        first,
        json!([{"room": "y", "last_id": 5}, {"room": "x", "last_id": 3}]),
        "most messages first; ties by name, descending"
    );
    let next = next.expect("more rooms follow");
    assert_eq!(next, "/api/rooms?limit=2&cursor=3.x");
    // The cursor is the store's, so any node can take it up.
    let (second, last) = get_page(&a, &next).await;
    assert_eq!(
        second,
        json!([{"room": "w", "last_id": 3}, {"room": "z", "last_id": 1}])
    );
    assert_eq!(last, None, "the last page links nowhere");
    let (joined_only, _) = get_page(&a, "/api/rooms").await;
    assert_eq!(joined_only.as_array().map(Vec::len), Some(4));
}

#[tokio::test]
async fn a_room_made_through_another_node_costs_nothing_to_post_to() {
    let redis = Redis::start().await;
    let a = node(&redis, "a", &[]).await;
    let b = node_with_room_budget(&redis, "b", "1").await;
    assert_eq!(post(&a, "made-on-a").await.0, 201);
    for _ in 0..5 {
        assert_eq!(post(&b, "made-on-a").await.0, 201, "it exists: free");
    }
    assert_eq!(post(&b, "made-on-b").await.0, 201, "b's one new room");
    let (status, body) = post(&b, "one-too-many").await;
    assert_eq!((status, &body["code"]), (429, &json!("too_many_new_rooms")));
    let (rooms, _) = get_page(&a, "/api/rooms").await;
    assert_eq!(
        rooms,
        json!([{"room": "made-on-a", "last_id": 6}, {"room": "made-on-b", "last_id": 1}])
    );
}
