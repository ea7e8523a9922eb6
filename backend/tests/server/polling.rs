//! The seed's AJAX transports on the same ordered log: plain polling with `after=N`,
//! long-polling with `wait=S`, and posting over HTTP — interoperating with WebSocket clients.

use crate::support::{Client, NO_RATE_LIMIT, Server};
use serde_json::{Value, json};

fn ids(page: &Value) -> Vec<u64> {
    page.as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect()
}

/// Waits until the server reports `count` long-polls waiting (an event, read from /metrics).
async fn until_waiting(server: &Server, count: u64) {
    for _ in 0..500 {
        let (_, text) = server.get_text("/metrics").await;
        let waiting = text
            .lines()
            .find_map(|line| line.strip_prefix("chinwag_long_polls_waiting "))
            .and_then(|value| value.trim().parse::<u64>().ok());
        if waiting == Some(count) {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("{count} long-polls never showed as waiting");
}

#[tokio::test]
async fn a_long_poll_returns_as_soon_as_a_message_arrives() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let (mut poster, _) = Client::join(&server.ws_url("?room=lp")).await;
    let poll = {
        let url = "/api/rooms/lp/messages?after=0&wait=30";
        let server = &server;
        async move { server.get_json(url).await }
    };
    let (result, ()) = tokio::join!(poll, async {
        until_waiting(&server, 1).await;
        poster.post("lp", "poster", "wake up").await;
    });
    let (status, page) = result;
    assert_eq!(status, 200);
    assert_eq!(page[0]["message"], "wake up");
    assert_eq!(ids(&page), [1]);
    until_waiting(&server, 0).await;
}

#[tokio::test]
async fn a_long_poll_that_times_out_answers_an_empty_array() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let (status, page) = server
        .get_json("/api/rooms/quiet/messages?after=0&wait=1")
        .await;
    assert_eq!((status, page), (200, json!([])));
}

#[tokio::test]
async fn http_posts_reach_socket_clients_and_socket_messages_reach_pollers() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let (mut socket, _) = Client::join(&server.ws_url("?room=mixed")).await;

    let (status, record) = server
        .post_json(
            "/api/rooms/mixed/messages",
            json!({"username":"ajax","message":"from http"}),
            &[],
        )
        .await;
    assert_eq!(status, 201);
    let mut frame = socket.recv_type("chat").await;
    frame.as_object_mut().unwrap().remove("type");
    assert_eq!(frame, record, "the same record, over either transport");

    let mut sent = socket.post("mixed", "ws", "from the socket").await;
    sent.as_object_mut().unwrap().remove("type");
    let (_, page) = server.get_json("/api/rooms/mixed/messages?after=1").await;
    assert_eq!(page, json!([sent]));
}

#[tokio::test]
async fn a_repeated_client_id_over_http_returns_the_stored_record() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let body = json!({"username":"ajax","message":"once","client_id":"h-1"});
    let (first_status, first) = server
        .post_json("/api/rooms/r/messages", body.clone(), &[])
        .await;
    let (again_status, again) = server.post_json("/api/rooms/r/messages", body, &[]).await;
    assert_eq!((first_status, again_status), (201, 200));
    assert_eq!(first, again);
    let (_, page) = server.get_json("/api/rooms/r/messages?after=0").await;
    assert_eq!(ids(&page), [1]);
}

#[tokio::test]
async fn bad_http_posts_and_polls_get_json_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let posts = [
        (json!({"username":"a"}), 400, "bad_message"),
        (
            json!({"username":"<a>","message":"x"}),
            400,
            "invalid_username",
        ),
        (json!({"username":"a","message":"  "}), 400, "empty_message"),
    ];
    for (body, status, code) in posts {
        let (got, error) = server
            .post_json("/api/rooms/r/messages", body.clone(), &[])
            .await;
        assert_eq!(
            (got, error["code"].as_str()),
            (status, Some(code)),
            "{body}"
        );
    }
    let cross_site = [("Origin", "https://evil.example")];
    let body = json!({"username":"a","message":"x"});
    let (status, error) = server
        .post_json("/api/rooms/r/messages", body, &cross_site)
        .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (403, Some("forbidden_origin"))
    );
    for path in [
        "/api/rooms/r/messages?after=0&wait=31",
        "/api/rooms/r/messages?before=9&wait=1",
    ] {
        let (status, error) = server.get_json(path).await;
        assert_eq!(
            (status, error["code"].as_str()),
            (400, Some("bad_query")),
            "{path}"
        );
    }
    let (_, page) = server.get_json("/api/rooms/r/messages").await;
    assert_eq!(page, json!([]), "nothing was stored");
}

#[tokio::test]
async fn typing_and_presence_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let (mut alice, _) = Client::join(&server.ws_url("?room=den&username=alice&token=a")).await;
    let (status, _) = server
        .post_json("/api/rooms/den/typing", json!({"username":"ajax"}), &[])
        .await;
    assert_eq!(status, 204);
    assert_eq!(alice.recv_type("typing").await["username"], "ajax");
    let (_, users) = server.get_json("/api/rooms/den/presence").await;
    assert_eq!(users, json!(["alice"]));
    // A name held over the socket cannot be used over HTTP by another client.
    let (status, error) = server
        .post_json(
            "/api/rooms/den/messages",
            json!({"username":"alice","message":"me?"}),
            &[],
        )
        .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (409, Some("username_taken"))
    );
}

/// Long-polls `busy` from the start until it has `total` records; returns their ids.
async fn poll_everything(server: &Server, total: usize) -> Vec<u64> {
    let mut seen = Vec::new();
    while seen.len() < total {
        let after = seen.last().copied().unwrap_or(0);
        let path = format!("/api/rooms/busy/messages?after={after}&wait=10");
        let (status, page) = server.get_json(&path).await;
        assert_eq!(status, 200);
        seen.extend(ids(&page));
    }
    seen
}

async fn post_over_socket(server: &Server, name: &str, count: u64) {
    let (mut client, _) = Client::join(&server.ws_url("?room=busy")).await;
    for n in 0..count {
        client.post("busy", name, &format!("{name} {n}")).await;
    }
}

async fn post_over_http(server: &Server, name: &str, count: u64) {
    for n in 0..count {
        let body = json!({"username": name, "message": format!("{name} {n}")});
        let (status, _) = server
            .post_json("/api/rooms/busy/messages", body, &[])
            .await;
        assert_eq!(status, 201);
    }
}

#[tokio::test]
async fn pollers_never_miss_or_repeat_across_concurrent_posters() {
    const PER_POSTER: u64 = 40;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &NO_RATE_LIMIT).await;
    let total = usize::try_from(PER_POSTER * 4).unwrap();
    let (a, b, c, ..) = tokio::join!(
        poll_everything(&server, total),
        poll_everything(&server, total),
        poll_everything(&server, total),
        post_over_socket(&server, "ws-one", PER_POSTER),
        post_over_socket(&server, "ws-two", PER_POSTER),
        post_over_http(&server, "http-one", PER_POSTER),
        post_over_http(&server, "http-two", PER_POSTER),
    );
    let expected: Vec<u64> = (1..=PER_POSTER * 4).collect();
    for seen in [a, b, c] {
        assert_eq!(seen, expected, "each poller sees every id once, in order");
    }
}

#[tokio::test]
async fn http_posts_over_the_rate_are_refused_with_429() {
    let dir = tempfile::tempdir().unwrap();
    let server =
        Server::start_with(dir.path(), &["--rate-per-sec", "1", "--rate-burst", "2"]).await;
    let mut statuses = Vec::new();
    for n in 0..3 {
        let body = json!({"username":"ajax","message":format!("m{n}")});
        let (status, answer) = server.post_json("/api/rooms/r/messages", body, &[]).await;
        statuses.push((status, answer["code"].as_str().map(str::to_owned)));
    }
    assert_eq!(statuses[..2], [(201, None), (201, None)]);
    assert_eq!(statuses[2], (429, Some("rate_limited".to_owned())));
    let (_, page) = server.get_json("/api/rooms/r/messages").await;
    assert_eq!(ids(&page), [1, 2], "the refused post was not stored");
}
