//! Relay between browsers: two users in `general` see each other's messages with the right
//! author, and message text is only ever text — markup in it shows literally and never runs.

use crate::support::{Browser, Driver, Server};

#[tokio::test]
async fn two_browsers_chat_both_ways_with_the_right_author() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let driver = Driver::start().await;
    let alice = Browser::open(&driver, server.addr).await;
    let bob = Browser::open(&driver, server.addr).await;
    alice.login("alice").await;
    bob.login("bob").await;

    let from_alice = "hi bob, it's alice";
    let id = alice.send_confirmed("alice", from_alice).await;
    let seen = bob
        .wait_until("alice's message on bob's screen", |p| {
            p.confirmed_id("alice", from_alice)
        })
        .await;
    assert_eq!(
        seen, id,
        "both browsers show the same id for alice's message"
    );

    let from_bob = "hello alice — bob here";
    let id = bob.send_confirmed("bob", from_bob).await;
    let seen = alice
        .wait_until("bob's message on alice's screen", |p| {
            p.confirmed_id("bob", from_bob)
        })
        .await;
    assert_eq!(seen, id, "both browsers show the same id for bob's message");

    for (who, browser) in [("alice", &alice), ("bob", &bob)] {
        let page = browser.page().await;
        for text in [from_alice, from_bob] {
            assert_eq!(
                page.with_text(text).len(),
                1,
                "{who} lists {text:?} once: {page:#?}"
            );
        }
        assert!(
            !page
                .messages
                .iter()
                .any(|m| m.is("bob", from_alice) || m.is("alice", from_bob)),
            "{who} shows a message under the wrong author: {page:#?}"
        );
    }
}

#[tokio::test]
async fn markup_in_a_message_shows_as_literal_text_and_never_runs() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let driver = Driver::start().await;
    let alice = Browser::open(&driver, server.addr).await;
    let bob = Browser::open(&driver, server.addr).await;
    alice.login("alice").await;
    bob.login("bob").await;

    let hostile = [
        "<img src=x onerror=alert(1)>",
        "<script>alert(1)</script>",
        "<b>not bold</b> &amp; not an entity",
    ];
    for text in hostile {
        alice.send_confirmed("alice", text).await;
    }
    // Both the sender's own rendering and a receiver's (they may take different paths).
    for (who, browser) in [("alice", &alice), ("bob", &bob)] {
        browser
            .wait_until(&format!("every hostile message on {who}'s screen"), |p| {
                hostile
                    .iter()
                    .all(|text| p.confirmed_id("alice", text).is_some())
                    .then_some(())
            })
            .await;
        let elements = browser
            .eval(
                r#"const list = document.querySelector('[data-testid="messages"]');
                   return list.querySelectorAll('img, script, b, iframe, svg').length;"#,
            )
            .await;
        assert_eq!(
            elements, 0,
            "{who}: the message list holds no element made from message text"
        );
        assert!(
            !browser.dialog_open().await,
            "{who}: no alert() ran from a message"
        );
        let page = browser.page().await;
        for text in hostile {
            let shown = page.with_text(text);
            assert_eq!(
                shown.len(),
                1,
                "{who} shows {text:?} literally, once: {page:#?}"
            );
        }
    }
}
