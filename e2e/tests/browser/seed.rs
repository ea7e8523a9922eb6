//! The seed lecture's plain-JS page and the Yew client share `general`: each sees the other's
//! messages, and every frame the seed page receives is a line of JSON.

use crate::support::{Browser, Driver, Server};
use serde_json::Value;

/// The seed page's `#log`, one parsed JSON value per line (a line that is not JSON panics).
const LOG_SCRIPT: &str = "return document.getElementById('log').textContent;";

fn log_frames(log: &Value) -> Vec<Value> {
    log.as_str()
        .expect("#log text")
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|err| panic!("#log line is not JSON ({err}): {line:?}"))
        })
        .collect()
}

fn has_chat(frames: &[Value], username: &str, message: &str) -> bool {
    frames
        .iter()
        .any(|f| f["type"] == "chat" && f["username"] == username && f["message"] == message)
}

#[tokio::test]
async fn the_seed_page_and_the_yew_client_see_each_others_messages() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let driver = Driver::start().await;
    let yew = Browser::open(&driver, server.addr).await;
    yew.login("alice").await;
    let seed = Browser::open(&driver, server.addr).await;
    seed.goto("/examples/seed.html").await;

    let from_seed = "hello from the lecture's page";
    let name = seed.find_css("#username").await;
    name.clear().await.expect("clear #username");
    name.send_keys("lecturer").await.expect("type a name");
    let text = seed.find_css("#text").await;
    text.send_keys(from_seed).await.expect("type a message");
    seed.find_css("#send")
        .await
        .click()
        .await
        .expect("click send");
    // Its own message coming back proves the seed socket is open and in `general`.
    seed.wait_for_script("the seed page's own message in #log", LOG_SCRIPT, |log| {
        has_chat(&log_frames(log), "lecturer", from_seed).then_some(())
    })
    .await;

    yew.wait_until("the seed page's message in the Yew client", |p| {
        p.confirmed_id("lecturer", from_seed)
    })
    .await;

    let from_yew = "and hello from the Yew client";
    yew.send_confirmed("alice", from_yew).await;
    let frames = seed
        .wait_for_script("the Yew client's message in #log", LOG_SCRIPT, |log| {
            let frames = log_frames(log);
            has_chat(&frames, "alice", from_yew).then_some(frames)
        })
        .await;
    let received = frames
        .iter()
        .filter(|f| f["type"] == "chat" && f["message"] == from_yew)
        .count();
    assert_eq!(
        received, 1,
        "the seed page got the message once: {frames:#?}"
    );
}
