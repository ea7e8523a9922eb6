//! Which browser pages may use the server (issue 12, item 12): the configured public origin,
//! exactly (scheme, host and port); `--allowed-origin`; and, in loopback development only, the
//! server's own loopback address. A DNS-rebinding page, whose `Host` and `Origin` agree on
//! the attacker's name, is refused.

use crate::{
    raw,
    support::{Client, Server},
};
use serde_json::json;

/// A socket upgrade carrying `Host: host` and `Origin: origin`; returns the status and body.
async fn upgrade(server: &Server, host: &str, origin: &str) -> (u16, String) {
    let head = format!(
        "GET /socket HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         Origin: {origin}\r\n\r\n"
    );
    raw::exchange(server, &head, "").await
}

/// A message post carrying `Host: host` and `Origin: origin`; returns the status and body.
async fn post(server: &Server, host: &str, origin: &str) -> (u16, String) {
    let body = json!({"username": "visitor", "message": "hello"}).to_string();
    let head = format!(
        "POST /api/rooms/general/messages HTTP/1.1\r\nHost: {host}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nOrigin: {origin}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    raw::exchange(server, &head, &body).await
}

/// Asserts that both a socket upgrade and a post from `origin` at `host` get `expected`.
async fn assert_both(server: &Server, host: &str, origin: &str, expected: (u16, u16)) {
    let (socket, body) = upgrade(server, host, origin).await;
    assert_eq!(
        socket, expected.0,
        "upgrade from {origin} at {host}: {body}"
    );
    let (posted, body) = post(server, host, origin).await;
    assert_eq!(posted, expected.1, "post from {origin} at {host}: {body}");
    if expected.1 == 403 {
        assert!(body.contains("forbidden_origin"), "{body}");
    }
}

const REFUSED: (u16, u16) = (403, 403);
const ACCEPTED: (u16, u16) = (101, 201);

#[tokio::test]
async fn a_dns_rebinding_page_is_refused_for_the_socket_and_for_posts() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    // evil.example re-pointed at this server: Host and Origin agree, but neither is ours.
    assert_both(&server, "evil.example", "http://evil.example", REFUSED).await;
    let port = server.addr.port();
    let host = format!("evil.example:{port}");
    assert_both(&server, &host, &format!("http://{host}"), REFUSED).await;
    // The same server still takes its own loopback pages, so the refusal is the rule's.
    let own = server.addr.to_string();
    assert_both(&server, &own, &format!("http://{own}"), ACCEPTED).await;
}

#[tokio::test]
async fn the_public_origin_passes_only_with_its_own_scheme_host_and_port() {
    let dir = tempfile::tempdir().unwrap();
    let flags = ["--public-origin", "http://chat.example.com"];
    let server = Server::start_with(dir.path(), &flags).await;
    let host = "chat.example.com";
    assert_both(&server, host, "http://chat.example.com", ACCEPTED).await;
    assert_both(&server, host, "https://chat.example.com", REFUSED).await;
    assert_both(&server, host, "http://chat.example.com:8080", REFUSED).await;
    assert_both(&server, "evil.example", "http://evil.example", REFUSED).await;
    // With a public origin set, the loopback same-host rule is off too.
    let own = server.addr.to_string();
    assert_both(&server, &own, &format!("http://{own}"), REFUSED).await;
}

#[tokio::test]
async fn loopback_development_accepts_pages_at_the_servers_own_loopback_address() {
    let dir = tempfile::tempdir().unwrap();
    let flags = ["--allowed-origin", "http://127.0.0.1:8081"];
    let server = Server::start_with(dir.path(), &flags).await;
    let port = server.addr.port();
    for host in [format!("127.0.0.1:{port}"), format!("localhost:{port}")] {
        assert_both(&server, &host, &format!("http://{host}"), ACCEPTED).await;
        assert_both(&server, &host, &format!("https://{host}"), REFUSED).await;
    }
    // `trunk serve` on :8081 proxying to this server.
    let own = server.addr.to_string();
    assert_both(&server, &own, "http://127.0.0.1:8081", ACCEPTED).await;
}

#[tokio::test]
async fn the_seed_page_served_by_the_server_can_chat_through_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir).await;
    let (status, page) = server.get_text("/examples/seed.html").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("'ws://' + window.location.host + '/socket'"),
        "the page opens its socket on the host it came from"
    );
    // What a browser sends from that page: the page's own origin.
    let origin = format!("http://{}", server.addr);
    let url = server.ws_url("?room=general");
    let mut seed = Client::connect_from(&url, &origin).await;
    seed.recv_type("joined").await;
    let mut other = Client::connect_from(&url, &origin).await;
    other.recv_type("joined").await;
    let sent = seed
        .post("general", "seed", "hello from the seed page")
        .await;
    assert_eq!(other.recv_type("chat").await, sent);
}

#[tokio::test]
async fn an_exposed_server_without_a_public_origin_refuses_pages_and_says_so_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let (server, stderr) = Server::start_capturing_stderr(dir.path(), "0.0.0.0:0", &[]).await;
    let own = server.addr.to_string();
    assert_both(&server, &own, &format!("http://{own}"), REFUSED).await;
    let port = server.addr.port();
    let loopback = format!("127.0.0.1:{port}");
    assert_both(&server, &loopback, &format!("http://{loopback}"), REFUSED).await;
    // Non-browser clients (no Origin) are unaffected.
    let (status, _) = raw::exchange(
        &server,
        &format!(
            "GET /socket HTTP/1.1\r\nHost: {own}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ),
        "",
    )
    .await;
    assert_eq!(status, 101);
    assert!(server.terminate().await.success());
    let log = stderr.finish().await;
    assert!(
        log.text
            .contains("no --public-origin: browsers' pages are refused"),
        "the operator is told at start:\n{}",
        log.text
    );
}
