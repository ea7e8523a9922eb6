//! History after a reload: the name is remembered, and the messages sent before the reload are
//! listed again with the same ids, each exactly once.

use crate::support::{Bot, Browser, Driver, Server};
use std::collections::HashSet;

#[tokio::test]
async fn a_reload_lists_history_again_with_the_same_ids_each_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let driver = Driver::start().await;
    let alice = Browser::open(&driver, server.addr).await;
    alice.login("alice").await;

    let texts = ["first, before the reload", "second", "third and last"];
    let mut ids = Vec::new();
    for text in texts {
        ids.push(alice.send_confirmed("alice", text).await);
    }
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        texts.len(),
        "distinct ids {ids:?}"
    );

    alice.reload().await;
    // No typing here: a reload that asks for the name again times out.
    alice.wait_until_chat_open().await;
    let reloaded = alice
        .wait_until("the three messages listed again", |p| {
            texts
                .iter()
                .map(|text| p.confirmed_id("alice", text))
                .collect::<Option<Vec<_>>>()
        })
        .await;
    assert_eq!(reloaded, ids, "the same ids as before the reload");

    // A later message proves the history load and the live join have both been shown.
    let mut bot = Bot::join(&server.ws_url("?room=general"), "bot").await;
    let barrier = "after the reload";
    bot.post("general", barrier).await;
    let listed = alice
        .wait_until("the bot's message after the reload", |p| {
            p.confirmed_id("bot", barrier).map(|_| p.messages.len())
        })
        .await;
    let page_now = alice.page().await;
    for text in texts {
        assert_eq!(
            page_now.with_text(text).len(),
            1,
            "{text:?} is listed once: {page_now:#?}"
        );
    }
    assert_eq!(
        listed,
        texts.len() + 1,
        "nothing else is listed: {page_now:#?}"
    );
}
