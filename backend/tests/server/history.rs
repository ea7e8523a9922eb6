//! The history API: paging forward and back, room listing, and clear errors for bad queries.

use crate::support::{Client, Server};
use serde_json::{Value, json};

fn ids(page: &Value) -> Vec<u64> {
    page.as_array()
        .expect("a JSON array")
        .iter()
        .map(|record| record["id"].as_u64().unwrap())
        .collect()
}

async fn server_with_messages(dir: &tempfile::TempDir, room: &str, count: u64) -> Server {
    let server = Server::start(dir).await;
    let (mut client, _) = Client::join(&server.ws_url(&format!("?room={room}"))).await;
    for n in 1..=count {
        client.post(room, "writer", &format!("m{n}")).await;
    }
    server
}

#[tokio::test]
async fn pages_forward_with_after_and_back_with_before_always_ascending() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_with_messages(&dir, "log", 25).await;

    let (status, page) = server
        .get_json("/api/rooms/log/messages?after=0&limit=10")
        .await;
    assert_eq!(status, 200);
    assert_eq!(ids(&page), (1..=10).collect::<Vec<_>>());
    let (_, page) = server
        .get_json("/api/rooms/log/messages?after=10&limit=10")
        .await;
    assert_eq!(ids(&page), (11..=20).collect::<Vec<_>>());
    let (_, page) = server
        .get_json("/api/rooms/log/messages?after=20&limit=10")
        .await;
    assert_eq!(ids(&page), (21..=25).collect::<Vec<_>>());

    let (_, page) = server
        .get_json("/api/rooms/log/messages?before=26&limit=5")
        .await;
    assert_eq!(ids(&page), (21..=25).collect::<Vec<_>>());
    let (_, page) = server
        .get_json("/api/rooms/log/messages?before=21&limit=5")
        .await;
    assert_eq!(ids(&page), (16..=20).collect::<Vec<_>>());
    let (_, page) = server
        .get_json("/api/rooms/log/messages?before=3&limit=5")
        .await;
    assert_eq!(ids(&page), [1, 2]);

    let (_, newest) = server.get_json("/api/rooms/log/messages?limit=3").await;
    assert_eq!(ids(&newest), [23, 24, 25]);
    assert_eq!(newest[0]["message"], "m23");
    assert_eq!(newest[0]["room"], "log");
}

#[tokio::test]
async fn rooms_are_listed_with_their_last_id_busiest_first() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_with_messages(&dir, "beta", 3).await;
    let (mut client, _) = Client::join(&server.ws_url("?room=alpha")).await;
    client.post("alpha", "writer", "one").await;

    let (status, rooms) = server.get_json("/api/rooms").await;
    assert_eq!(status, 200);
    assert_eq!(
        rooms,
        json!([{"room": "beta", "last_id": 3}, {"room": "alpha", "last_id": 1}])
    );
    let (status, empty) = server.get_json("/api/rooms/nobody-here/messages").await;
    assert_eq!((status, empty), (200, json!([])));
}

#[tokio::test]
async fn bad_history_queries_get_a_json_error_with_a_code() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let cases = [
        ("/api/rooms/log/messages?after=1&before=5", "bad_query"),
        ("/api/rooms/log/messages?limit=0", "bad_query"),
        ("/api/rooms/log/messages?after=abc", "bad_query"),
        ("/api/rooms/log/messages?after=-1", "bad_query"),
        ("/api/rooms/Not%20A%20Room/messages", "invalid_room"),
    ];
    for (path, code) in cases {
        let (status, body) = server.get_json(path).await;
        assert_eq!(status, 400, "{path}");
        assert_eq!(body["code"], code, "{path}: {body}");
        assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{path}"
        );
    }
}

#[tokio::test]
async fn limit_is_clamped_to_the_maximum_page() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_with_messages(&dir, "small", 2).await;
    let (status, page) = server
        .get_json("/api/rooms/small/messages?after=0&limit=100000")
        .await;
    assert_eq!((status, ids(&page)), (200, vec![1, 2]));
}

/// GETs `path` with `accept-encoding` (none if `None`); the status, the content encoding and
/// the body's bytes as they came.
async fn get_raw(
    server: &Server,
    path: &str,
    accept: Option<&str>,
) -> (u16, Option<String>, Vec<u8>) {
    let url = server.http_url(path);
    let accept = accept.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let mut request = crate::support::http_agent().get(&url);
        if let Some(accept) = &accept {
            request = request.header("accept-encoding", accept);
        }
        let mut response = request.call().unwrap();
        let encoding = (response.headers().get("content-encoding"))
            .map(|value| value.to_str().unwrap().to_owned());
        let body = response.body_mut().read_to_vec().unwrap();
        (response.status().as_u16(), encoding, body)
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_history_page_is_gzipped_for_clients_that_accept_it() {
    let dir = tempfile::tempdir().unwrap();
    // Fewer than the rate limit's burst (40), so the posts need no pacing.
    let server = server_with_messages(&dir, "log", 30).await;
    let path = "/api/rooms/log/messages?after=0&limit=30";
    let (status, encoding, plain) = get_raw(&server, path, None).await;
    assert_eq!(
        (status, encoding),
        (200, None),
        "no accept-encoding: as it is"
    );
    let (status, encoding, gzipped) = get_raw(&server, path, Some("gzip, deflate, br")).await;
    assert_eq!((status, encoding.as_deref()), (200, Some("gzip")));
    assert!(
        gzipped.len() * 3 < plain.len(),
        "{} of {} bytes",
        gzipped.len(),
        plain.len()
    );
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&gzipped[..]),
        &mut unzipped,
    )
    .unwrap();
    assert_eq!(unzipped, plain, "the same page, byte for byte");
    let page: Value = serde_json::from_slice(&unzipped).unwrap();
    assert_eq!(ids(&page), (1..=30).collect::<Vec<_>>());
}
