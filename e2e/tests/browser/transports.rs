//! The AJAX transports in the browser: a client forced to long-polling chats both ways with a
//! WebSocket client, and a client whose WebSocket upgrades are refused falls back to
//! long-polling by itself and still sends and receives.

use crate::support::{Browser, Driver, Server};
use serde_json::Value;

/// The transport the status badge reports (`data-transport`).
async fn transport_of(browser: &Browser) -> String {
    let value = browser
        .eval("return document.querySelector('[data-testid=status]').dataset.transport;")
        .await;
    value.as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_long_polling_client_and_a_websocket_client_chat_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let driver = Driver::start().await;
    let polling = Browser::open(&driver, server.addr).await;
    let socket = Browser::open(&driver, server.addr).await;
    polling.login_at("/?transport=longpoll", "polly").await;
    socket.login("sock").await;
    assert_eq!(transport_of(&polling).await, "longpoll");
    assert_eq!(transport_of(&socket).await, "websocket");

    let id = polling
        .send_confirmed("polly", "sent by long-polling")
        .await;
    let seen = socket
        .wait_until("the long-poller's message", |p| {
            p.confirmed_id("polly", "sent by long-polling")
        })
        .await;
    assert_eq!(seen, id);

    let id = socket.send_confirmed("sock", "sent over the socket").await;
    let seen = polling
        .wait_until("the socket's message, by long-poll", |p| {
            p.confirmed_id("sock", "sent over the socket")
        })
        .await;
    assert_eq!(seen, id);
    let page = polling.page().await;
    assert_eq!(page.with_text("sent by long-polling").len(), 1, "{page:#?}");
    assert_eq!(page.with_text("sent over the socket").len(), 1, "{page:#?}");
}

#[tokio::test]
async fn a_client_falls_back_to_long_polling_when_websockets_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    // With room for no connections at all, every upgrade is refused (503).
    let server = Server::start_with(dir.path(), &["--max-connections", "0"]).await;
    let driver = Driver::start().await;
    let browser = Browser::open(&driver, server.addr).await;
    browser.login("fallback").await; // waits for status open
    assert_eq!(transport_of(&browser).await, "longpoll");

    browser
        .send_confirmed("fallback", "made it over HTTP")
        .await;
    let stored: Vec<Value> = server.history("general").await;
    let matching = stored
        .iter()
        .filter(|record| record["message"] == "made it over HTTP")
        .count();
    assert_eq!(matching, 1, "stored exactly once: {stored:?}");
}
