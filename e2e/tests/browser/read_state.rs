//! Read state belongs to the account, not the browser: a room's unread and mention badges
//! come back after a reload and show the same on a second device signed in as the same
//! account; reading the room on one device clears the badge on the other, live, and a reload
//! of that other device counts only what came after.

use crate::{
    accounts::PASSWORD,
    support::{Bot, Browser, Driver, Page, Server},
};

/// The unread and mention badges of `room` in the sidebar, as shown.
fn badges(page: &Page, room: &str) -> Option<(Option<String>, Option<String>)> {
    let entry = page.room(room)?;
    let trimmed = |text: &Option<String>| text.as_deref().map(|t| t.trim().to_owned());
    Some((trimmed(&entry.unread), trimmed(&entry.mentions)))
}

/// `Some(())` once `room` is listed with exactly these badges.
fn shows(page: &Page, room: &str, unread: Option<&str>, mentions: Option<&str>) -> Option<()> {
    let wanted = (unread.map(str::to_owned), mentions.map(str::to_owned));
    (badges(page, room) == Some(wanted)).then_some(())
}

#[tokio::test]
async fn unread_counts_survive_a_reload_and_a_second_device_and_clear_on_both() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let driver = Driver::start().await;
    let laptop = Browser::open(&driver, server.addr).await;
    laptop.sign_up("ada", PASSWORD).await;
    let phone = Browser::open(&driver, server.addr).await;
    phone.sign_in("ada", PASSWORD).await;
    // Each device joins #lobby (its own list of rooms) and goes back to #general.
    for device in [&laptop, &phone] {
        device.join_room("lobby").await;
        device.open_room("general").await;
        let page = device.page().await;
        assert_eq!(
            badges(&page, "lobby"),
            Some((None, None)),
            "nothing unread yet: {page:#?}"
        );
    }

    let mut bob = Bot::join(&server.ws_url("?room=lobby"), "bob").await;
    bob.post("lobby", "anyone here?").await;
    bob.post("lobby", "@ada are you around?").await;
    for (which, device) in [("laptop", &laptop), ("phone", &phone)] {
        device
            .wait_until(&format!("2 unread, 1 mention on the {which}"), |p| {
                shows(p, "lobby", Some("2"), Some("@1"))
            })
            .await;
    }

    // The server kept the count: the reloaded laptop shows it again.
    laptop.reload().await;
    laptop.wait_until_signed_in("ada").await;
    laptop
        .wait_until("2 unread, 1 mention on the laptop after a reload", |p| {
            shows(p, "lobby", Some("2"), Some("@1"))
        })
        .await;

    // Reading #lobby on the laptop clears it on the phone, which never opened it since.
    laptop.open_room("lobby").await;
    laptop
        .wait_until("bob's messages in #lobby on the laptop", |p| {
            p.confirmed_id("bob", "@ada are you around?")
        })
        .await;
    phone
        .wait_until("the phone's badges cleared by the laptop's reading", |p| {
            shows(p, "lobby", None, None)
        })
        .await;
    assert_eq!(
        phone.page().await.current_room(),
        Some("general"),
        "the phone stayed in #general"
    );

    // What comes after the marker counts on both, and the phone's reload keeps it at that.
    laptop.open_room("general").await;
    bob.post("lobby", "never mind").await;
    for (which, device) in [("laptop", &laptop), ("phone", &phone)] {
        device
            .wait_until(&format!("1 unread, no mention on the {which}"), |p| {
                shows(p, "lobby", Some("1"), None)
            })
            .await;
    }
    phone.reload().await;
    phone.wait_until_signed_in("ada").await;
    phone
        .wait_until(
            "1 unread on the reloaded phone, as the server counts",
            |p| shows(p, "lobby", Some("1"), None),
        )
        .await;
}
