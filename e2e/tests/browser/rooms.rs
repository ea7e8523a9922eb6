//! Rooms: joining one by name through the room input, and an unread badge on a room that got
//! a message while the reader was elsewhere, cleared when they open it.

use crate::support::{Browser, Driver, Server};

#[tokio::test]
async fn a_message_in_another_room_shows_an_unread_badge_until_opened() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let driver = Driver::start().await;
    let alice = Browser::open(&driver, server.addr).await;
    let bob = Browser::open(&driver, server.addr).await;
    alice.login("alice").await;
    bob.login("bob").await;

    let room = "rust-talk";
    alice.join_room(room).await;
    alice.open_room("general").await;
    bob.join_room(room).await;
    let text = "anyone up for lifetimes?";
    bob.send_confirmed("bob", text).await;

    let page = alice
        .wait_until(&format!("an unread badge on {room}"), |p| {
            p.room(room)
                .and_then(|r| r.unread.as_deref())
                .map(|u| u.trim().to_owned())
        })
        .await;
    assert_eq!(page, "1", "one unread message in {room}");
    let now = alice.page().await;
    assert_eq!(
        now.current_room(),
        Some("general"),
        "alice stayed in general"
    );
    assert!(
        now.with_text(text).is_empty(),
        "general's list does not show {room}'s message: {now:#?}"
    );
    let general = now.room("general").expect("general is listed");
    assert!(
        general.unread.is_none(),
        "no unread badge on the room being read: {now:#?}"
    );

    alice.open_room(room).await;
    alice
        .wait_until(&format!("bob's message in {room}, its badge gone"), |p| {
            (p.confirmed_id("bob", text).is_some()
                && p.room(room).is_some_and(|r| r.unread.is_none()))
            .then_some(())
        })
        .await;
}
