//! A server crash seen from the browser: the status badge goes to `reconnecting` and back to
//! `open`; a message typed while the server was down is pending, then delivered exactly once;
//! messages others post after the restart, and those from before the crash, are listed once.

use crate::support::{Bot, Browser, Driver, RECONNECT_WAIT, Server};

#[tokio::test]
async fn after_a_crash_the_client_reconnects_and_delivers_everything_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let driver = Driver::start().await;
    let alice = Browser::open(&driver, server.addr).await;
    alice.login("alice").await;
    let before = "sent before the crash";
    let before_id = alice.send_confirmed("alice", before).await;

    let stopped = server.kill().await;
    alice
        .wait_until("the status badge to show reconnecting", |p| {
            p.status_is("reconnecting").then_some(())
        })
        .await;
    let offline = "typed while the server was down";
    alice.send(offline).await;
    alice
        .wait_until("the offline message listed as pending", |p| {
            p.messages
                .iter()
                .any(|m| m.is("alice", offline) && m.state.as_deref() == Some("pending"))
                .then_some(())
        })
        .await;

    let server = stopped.restart().await;
    alice
        .wait_until_within(RECONNECT_WAIT, "the status badge back to open", |p| {
            p.status_is("open").then_some(())
        })
        .await;
    let mut bot = Bot::join(&server.ws_url("?room=general"), "bot").await;
    let from_bot = "posted by a bot after the restart";
    bot.post("general", from_bot).await;
    alice
        .wait_until(
            "the offline message confirmed and the bot's message shown",
            |p| {
                (p.confirmed_id("alice", offline).is_some()
                    && p.confirmed_id("bot", from_bot).is_some())
                .then_some(())
            },
        )
        .await;

    // A last message proves any duplicate (a second resend, a replay overlap) had its chance.
    let barrier = "the last word";
    bot.post("general", barrier).await;
    alice
        .wait_until("the bot's last message", |p| p.confirmed_id("bot", barrier))
        .await;
    let page = alice.page().await;
    for text in [before, offline, from_bot, barrier] {
        assert_eq!(
            page.with_text(text).len(),
            1,
            "{text:?} listed once: {page:#?}"
        );
    }
    assert_eq!(page.confirmed_id("alice", before), Some(before_id));
    assert!(
        page.messages.iter().all(|m| m.confirmed()),
        "every message confirmed: {page:#?}"
    );

    let history = server.history("general").await;
    for text in [before, offline, from_bot, barrier] {
        let stored = history.iter().filter(|r| r["message"] == text).count();
        assert_eq!(stored, 1, "{text:?} stored once: {history:#?}");
    }
    let offline_record = history
        .iter()
        .find(|r| r["message"] == offline)
        .expect("the offline message is stored");
    assert_eq!(offline_record["username"], "alice");
    assert_eq!(
        page.confirmed_id("alice", offline),
        Some(offline_record["id"].to_string()),
        "the browser shows the stored id of the offline message"
    );
}
