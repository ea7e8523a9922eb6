//! Private rooms and direct messages between accounts: a private room is neither listed to
//! nor joinable by an outsider (over a WebSocket or long-polling alike, the refusal shows
//! and the connection carries on) until its owner adds them in the members panel; a direct
//! message started with "New message" reaches the other account, and both can answer.

use crate::{
    accounts::PASSWORD,
    support::{Browser, Driver, Server},
};

#[tokio::test]
async fn a_private_room_is_closed_to_outsiders_until_the_owner_adds_them() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let driver = Driver::start().await;
    let olga = Browser::open(&driver, server.addr).await;
    olga.sign_up("olga", PASSWORD).await;
    olga.create_private_room("team").await;
    let secret = "plans for the team";
    olga.send_confirmed("olga", secret).await;
    // A busy public room, so the outsider's "Busiest" list has something in it.
    olga.join_room("lobby").await;
    olga.send_confirmed("olga", "anyone about?").await;

    let bob = Browser::open(&driver, server.addr).await;
    bob.sign_up("bob", PASSWORD).await;
    let carl = Browser::open(&driver, server.addr).await;
    carl.sign_up_at("/?transport=longpoll", "carl", PASSWORD)
        .await;
    for outsider in [&bob, &carl] {
        let page = outsider
            .wait_until("the busiest rooms listed", |p| {
                p.room("lobby").map(|_| p.rooms.len())
            })
            .await;
        let now = outsider.page().await;
        assert!(
            now.room("team").is_none(),
            "{page} rooms listed, none of them private: {now:#?}"
        );
        outsider.type_into("room-input", "team").await;
        outsider.press_enter("room-input").await;
        outsider
            .wait_until("the refusal of #team, back in general", |p| {
                (p.banner() == Some("You are not a member of #team.")
                    && p.current_room() == Some("general")
                    && p.room("team").is_none()
                    && p.status_is("open"))
                .then_some(())
            })
            .await;
        let page = outsider.page().await;
        assert!(
            page.with_text(secret).is_empty(),
            "nothing of #team shows: {page:#?}"
        );
    }

    olga.open_room("team").await;
    olga.open_members().await;
    assert_eq!(olga.page().await.member_names(), ["olga"]);
    olga.add_member("Bob").await;
    let members = olga.page().await;
    assert_eq!(
        members.member_names(),
        ["olga", "bob"],
        "the list is the server's, naming the account as it is spelt: {members:#?}"
    );

    bob.join_room("team").await;
    bob.wait_until("olga's message in #team", |p| {
        p.confirmed_id("olga", secret)
    })
    .await;
    let reply = "thanks for having me";
    bob.send_confirmed("bob", reply).await;
    olga.wait_until("bob's reply in #team", |p| p.confirmed_id("bob", reply))
        .await;

    // Long-polling, carl is still refused, and still connected.
    carl.type_into("room-input", "team").await;
    carl.press_enter("room-input").await;
    carl.wait_until("the refusal of #team again", |p| {
        (p.banner() == Some("You are not a member of #team.")
            && p.current_room() == Some("general")
            && p.status_is("open"))
        .then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_direct_message_between_two_accounts_reaches_both() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let driver = Driver::start().await;
    let ada = Browser::open(&driver, server.addr).await;
    let bob = Browser::open(&driver, server.addr).await;
    ada.sign_up("ada", PASSWORD).await;
    bob.sign_up("bob", PASSWORD).await;

    let room = ada.start_dm("bob").await;
    let hello = "hi bob, a word in private?";
    ada.send_confirmed("ada", hello).await;

    // No reload: the server tells bob's open page (`rooms_changed`), which asks again.
    let dm = bob
        .wait_until("the conversation with ada in bob's list", |p| {
            p.dm_with("ada").and_then(|dm| dm.room.clone())
        })
        .await;
    assert_eq!(dm, room, "one conversation, the same room for both");
    let css = r#"[data-testid="dm"][data-with="ada"]"#;
    bob.find_css(css).await.click().await.expect("open the DM");
    bob.wait_until("ada's message in the conversation", |p| {
        p.dm_with("ada")
            .is_some_and(|dm| dm.current)
            .then(|| p.confirmed_id("ada", hello))
            .flatten()
    })
    .await;
    let answer = "sure, what's up?";
    bob.send_confirmed("bob", answer).await;
    ada.wait_until("bob's answer in ada's conversation", |p| {
        p.dm_with("bob")
            .is_some_and(|dm| dm.current)
            .then(|| p.confirmed_id("bob", answer))
            .flatten()
    })
    .await;

    let public = server.history("general").await;
    assert!(public.is_empty(), "nothing leaked to #general: {public:#?}");
    let page = ada.page().await;
    assert!(
        page.rooms
            .iter()
            .all(|r| r.name.as_deref() != Some(room.as_str())),
        "the conversation is listed under direct messages only: {page:#?}"
    );
}
