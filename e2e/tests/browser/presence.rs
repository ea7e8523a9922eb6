//! Presence and typing: each browser lists who is in the room, and typing in one shows
//! "… is typing" in the other.

use crate::support::{Browser, Driver, Server};

#[tokio::test]
async fn presence_lists_both_users_on_both_screens() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let driver = Driver::start().await;
    let alice = Browser::open(&driver, server.addr).await;
    let bob = Browser::open(&driver, server.addr).await;
    alice.login("alice").await;
    bob.login("bob").await;

    for (who, browser) in [("alice", &alice), ("bob", &bob)] {
        browser
            .wait_until(&format!("alice and bob in {who}'s presence list"), |p| {
                let mut users = p.presence.clone();
                users.sort();
                (users == ["alice", "bob"]).then_some(())
            })
            .await;
    }
}

#[tokio::test]
async fn typing_in_one_browser_shows_who_is_typing_in_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let driver = Driver::start().await;
    let alice = Browser::open(&driver, server.addr).await;
    let bob = Browser::open(&driver, server.addr).await;
    alice.login("alice").await;
    bob.login("bob").await;

    let typing = alice.page().await.typing.unwrap_or_default();
    assert!(
        !typing.contains("bob"),
        "nobody has typed yet, but alice sees {typing:?}"
    );
    bob.type_into("composer", "half a thou").await;
    alice
        .wait_until("\"bob is typing\" on alice's screen", |p| {
            p.typing
                .as_deref()
                .is_some_and(|t| t.contains("bob") && t.contains("typing"))
                .then_some(())
        })
        .await;
    let bob_sees = bob.page().await.typing.unwrap_or_default();
    assert!(
        !bob_sees.contains("bob"),
        "bob is not told that he himself is typing: {bob_sees:?}"
    );
}
