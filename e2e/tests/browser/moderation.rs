//! Moderation and the message lifecycle as people see it: a moderator's deletion turns the
//! message into a tombstone live on another screen and for someone who was away and comes
//! back (whose page never shows the deleted text at all); an author's edit shows its new
//! text, marked edited, on another screen and after a reload; a banned person's screen says
//! so and offers no way to post, live and after a reload.
//!
//! The moderator is a site admin made the way an operator makes the first one: the account
//! is created through the HTTP API and granted with `chinwag accounts grant-admin` on the
//! server's database before anyone joins a room, then signs in through the UI.

use crate::{
    accounts::PASSWORD,
    support::{Browser, Driver, Page, Server},
};

#[tokio::test]
async fn a_deleted_message_is_a_tombstone_live_and_for_someone_coming_back() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    server.create_account("mia", PASSWORD).await;
    server.grant_admin("mia").await;
    let driver = Driver::start().await;
    let mia = Browser::open(&driver, server.addr).await;
    mia.sign_in("mia", PASSWORD).await;
    let bob = Browser::open(&driver, server.addr).await;
    bob.login("bob").await;
    let carl = Browser::open(&driver, server.addr).await;
    carl.login("carl").await;

    let secret = "my number is 555-0100, call me";
    let id = bob.send_confirmed("bob", secret).await;
    for (who, browser) in [("mia", &mia), ("carl", &carl)] {
        let seen = browser
            .wait_until(&format!("bob's message on {who}'s screen"), |p| {
                p.confirmed_id("bob", secret)
            })
            .await;
        assert_eq!(seen, id, "{who} shows bob's message under the same id");
    }

    // Every page carl loads from now on is watched for the text; one reload while the text
    // is there proves the watcher sees it. Then carl goes away.
    carl.watch_loads_for(secret).await;
    carl.reload().await;
    carl.wait_until_chat_open().await;
    carl.wait_until("bob's message after carl's reload", |p| {
        p.confirmed_id("bob", secret)
    })
    .await;
    let watched = carl.watched().await;
    assert!(
        watched.shown,
        "the watcher notes the text while it shows: {watched:?}"
    );
    carl.leave().await;

    mia.delete_message(&id).await;
    let tombstone = |p: &Page| {
        p.message(&id)
            .filter(|m| m.deleted && m.author() == Some("bob"))
            .and_then(|m| m.text().map(str::to_owned))
    };
    let live = bob
        .wait_until("bob's message as a tombstone, live", tombstone)
        .await;
    assert_eq!(
        live, "message deleted by mia",
        "the tombstone names the moderator"
    );
    let page = bob.page().await;
    assert!(
        page.with_text(secret).is_empty() && !page.message(&id).unwrap().edited,
        "the text is gone from bob's screen: {page:#?}"
    );

    carl.goto("/").await;
    carl.wait_until_chat_open().await;
    let back = carl
        .wait_until("the tombstone on carl's screen, back again", tombstone)
        .await;
    assert_eq!(back, "message deleted by mia");
    let watched = carl.watched().await;
    assert!(
        watched.changes > 0,
        "the watcher saw the page render: {watched:?}"
    );
    assert!(
        !watched.shown,
        "the deleted text never showed on carl's page, not even for a moment"
    );

    let stored = server.history("general").await;
    let number: u64 = id.parse().expect("a numeric data-id");
    let message = stored
        .iter()
        .find(|record| record["id"] == number)
        .unwrap_or_else(|| panic!("message {id} in the history: {stored:#?}"));
    assert_eq!(message["message"], "", "stored without its text: {message}");
    assert!(
        message["deleted"].is_object(),
        "stored as deleted: {message}"
    );
}

#[tokio::test]
async fn an_authors_edit_shows_the_new_text_marked_edited_in_another_browser() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let driver = Driver::start().await;
    let ada = Browser::open(&driver, server.addr).await;
    ada.sign_up("ada", PASSWORD).await;
    let bob = Browser::open(&driver, server.addr).await;
    bob.login("bob").await;

    let before = "see you at 5";
    let id = ada.send_confirmed("ada", before).await;
    bob.wait_until("ada's message on bob's screen", |p| {
        p.confirmed_id("ada", before)
    })
    .await;
    let page = bob.page().await;
    assert!(
        !page.message(&id).unwrap().edited,
        "not marked edited before the edit: {page:#?}"
    );

    let after = "see you at 6 instead";
    ada.edit_message(&id, after).await;
    let edited = |p: &Page| {
        p.message(&id)
            .filter(|m| m.edited && m.author() == Some("ada") && m.confirmed())
            .and_then(|m| m.text().map(str::to_owned))
    };
    let live = bob.wait_until("the edit on bob's screen", edited).await;
    assert_eq!(live, after);
    let page = bob.page().await;
    assert!(
        page.with_text(before).is_empty(),
        "the old text is gone: {page:#?}"
    );
    assert_eq!(
        page.messages.len(),
        1,
        "one message, edited in place: {page:#?}"
    );

    bob.reload().await;
    bob.wait_until_chat_open().await;
    let reloaded = bob
        .wait_until("the edited message after a reload", edited)
        .await;
    assert_eq!(reloaded, after, "history serves the message as edited");
}

#[tokio::test]
async fn a_banned_persons_screen_says_so_and_cannot_post() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    server.create_account("mia", PASSWORD).await;
    server.grant_admin("mia").await;
    let driver = Driver::start().await;
    let mia = Browser::open(&driver, server.addr).await;
    mia.sign_in("mia", PASSWORD).await;
    let bob = Browser::open(&driver, server.addr).await;
    bob.login("bob").await;

    let rude = "something rude";
    let id = bob.send_confirmed("bob", rude).await;
    mia.wait_until("bob's message on mia's screen", |p| {
        p.confirmed_id("bob", rude)
    })
    .await;
    mia.ban_author(&id, "bob", "1 hour").await;

    let banned = |p: &Page| {
        p.room_hold()
            // The server's sentence: "You were banned from #general." live, "You are banned
            // from this room for another 3599 s." when refused after a reload.
            .filter(|hold| hold.starts_with("You ") && hold.contains(" banned from "))
            .filter(|_| p.composer_disabled == Some(true) && p.send_disabled == Some(true))
            .map(str::to_owned)
    };
    bob.wait_until("bob told of the ban, the composer closed", banned)
        .await;
    let page = bob.page().await;
    assert_eq!(
        page.composer_hint.as_deref().map(str::trim),
        Some("You are banned from this room."),
        "the composer says why it is closed: {page:#?}"
    );

    // A reload does not get bob back in.
    bob.reload().await;
    bob.wait_until("bob told of the ban after a reload", banned)
        .await;

    // The moderator's screen, live in #general all along, lists nothing more from bob. (The
    // history API cannot be asked here: a guest's ban also holds its address, loopback.)
    let page = mia.page().await;
    let texts: Vec<_> = page.messages.iter().map(|m| m.text()).collect();
    assert_eq!(texts, [Some(rude)], "nothing else was posted: {page:#?}");
}
