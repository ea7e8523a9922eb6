//! The seed lecture's plain-JS page and the Yew client share `general`: each sees the other's
//! messages, and every frame the seed page receives is a line of JSON. The seed page knows
//! nothing of accounts: it chats as a guest beside a signed-in account, marked as one.

use crate::{
    accounts::PASSWORD,
    support::{Browser, Driver, Server},
};
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
    let from_seed = "hello from the lecture's page";
    seed_post(&seed, "lecturer", from_seed).await;

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

/// Opens the seed page in `seed`, posts `message` as `username`, and waits until its own
/// message comes back in `#log`, which proves the seed socket is open and in `general`.
async fn seed_post(seed: &Browser, username: &str, message: &str) {
    seed.goto("/examples/seed.html").await;
    let name = seed.find_css("#username").await;
    name.clear().await.expect("clear #username");
    name.send_keys(username).await.expect("type a name");
    let text = seed.find_css("#text").await;
    text.send_keys(message).await.expect("type a message");
    seed.find_css("#send")
        .await
        .click()
        .await
        .expect("click send");
    seed.wait_for_script("the seed page's own message in #log", LOG_SCRIPT, |log| {
        has_chat(&log_frames(log), username, message).then_some(())
    })
    .await;
}

#[tokio::test]
async fn the_seed_page_chats_as_a_guest_beside_a_signed_in_account() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let driver = Driver::start().await;
    let ada = Browser::open(&driver, server.addr).await;
    ada.sign_up("ada", PASSWORD).await;
    let seed = Browser::open(&driver, server.addr).await;

    let from_seed = "a guest, from the lecture's page";
    seed_post(&seed, "lecturer", from_seed).await;
    let marked = ada
        .wait_until("the seed page's message in the account's client", |p| {
            p.messages
                .iter()
                .find(|m| m.is("lecturer", from_seed) && m.confirmed())
                .map(|m| m.guest)
        })
        .await;
    assert!(marked, "the seed page's message is marked as a guest's");

    let from_ada = "and an account answers";
    ada.send_confirmed("ada", from_ada).await;
    let frames = seed
        .wait_for_script("the account's message in #log", LOG_SCRIPT, |log| {
            let frames = log_frames(log);
            has_chat(&frames, "ada", from_ada).then_some(frames)
        })
        .await;
    let guest_flags: Vec<_> = frames
        .iter()
        .filter(|f| f["type"] == "chat")
        .map(|f| (f["username"].clone(), f["guest"].clone()))
        .collect();
    assert_eq!(
        guest_flags,
        [
            (Value::from("lecturer"), Value::from(true)),
            (Value::from("ada"), Value::from(false)),
        ],
        "each record says whether its author was a guest: {frames:#?}"
    );
}
