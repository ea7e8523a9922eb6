//! A server that comes back without its database, seen from the browser: on reconnect the
//! client resumes under its old history epoch, the server answers `history_reset`, and the
//! browser drops the old messages, says so in the message list, and lists what is sent next
//! once, under the new history's first id. Over a WebSocket and over long-polling (where the
//! reset is an HTTP 409), since the two reach the reset by different paths.

use crate::support::{Bot, Browser, Driver, RECONNECT_WAIT, Server};

#[tokio::test]
async fn over_a_websocket_a_server_that_lost_its_database_resets_the_shown_history() {
    a_server_that_lost_its_database_resets_the_shown_history("/").await;
}

#[tokio::test]
async fn over_long_polling_a_server_that_lost_its_database_resets_the_shown_history() {
    a_server_that_lost_its_database_resets_the_shown_history("/?transport=longpoll").await;
}

/// The scenario, with the app opened at `path` (which picks the transport).
async fn a_server_that_lost_its_database_resets_the_shown_history(path: &str) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let driver = Driver::start().await;
    let alice = Browser::open(&driver, server.addr).await;
    alice.login_at(path, "alice").await;
    let old = ["the first word of the old history", "its second word"];
    for text in old {
        alice.send_confirmed("alice", text).await;
    }
    let page = alice.page().await;
    assert!(
        page.history_resets.is_empty(),
        "no reset notice before any reset: {page:#?}"
    );

    let stopped = server.kill().await;
    alice
        .wait_until("the status badge to show reconnecting", |p| {
            p.status_is("reconnecting").then_some(())
        })
        .await;
    stopped.delete_database();
    let server = stopped.restart().await;

    alice
        .wait_until_within(
            RECONNECT_WAIT,
            "the old messages gone and the reset notice shown",
            |p| {
                (p.status_is("open")
                    && old.iter().all(|text| p.with_text(text).is_empty())
                    && !p.history_resets.is_empty())
                .then_some(())
            },
        )
        .await;
    let page = alice.page().await;
    assert!(
        page.messages.is_empty(),
        "the new history is empty: {page:#?}"
    );
    assert_eq!(page.history_resets.len(), 1, "one notice: {page:#?}");
    assert!(
        page.history_resets[0].contains("history") && page.history_resets[0].contains("reset"),
        "the notice says what happened: {page:#?}"
    );

    let after = "the first word of the new history";
    let id = alice.send_confirmed("alice", after).await;
    assert_eq!(id, "1", "ids start again at 1 in the new history");

    // A last message from someone else proves any duplicate (a resend, a replay) had its
    // chance to show up first.
    let mut bot = Bot::join(&server.ws_url("?room=general"), "bot").await;
    let barrier = "the last word";
    bot.post("general", barrier).await;
    alice
        .wait_until("the bot's last message", |p| p.confirmed_id("bot", barrier))
        .await;
    let page = alice.page().await;
    assert_eq!(page.with_text(after).len(), 1, "listed once: {page:#?}");
    assert_eq!(page.confirmed_id("alice", after).as_deref(), Some("1"));
    for text in old {
        assert!(
            page.with_text(text).is_empty(),
            "{text:?} stays gone: {page:#?}"
        );
    }
    assert_eq!(page.history_resets.len(), 1, "still one notice: {page:#?}");

    let history = server.history("general").await;
    let stored: Vec<(u64, &str)> = history
        .iter()
        .map(|record| {
            let id = record["id"].as_u64().expect("a numeric id");
            let message = record["message"].as_str().expect("a text message");
            (id, message)
        })
        .collect();
    assert_eq!(
        stored,
        [(1, after), (2, barrier)],
        "the server's new history holds the new message once, under id 1"
    );
}
