//! What a person with an account does in the browser: signing up and in on the first screen,
//! opening private rooms and direct messages from the sidebar, and adding members in a private
//! room's members panel.
//!
//! Each step acts the way a person would (clicks, typing, Enter) and then waits, bounded, for
//! what the screen must show once it worked, so a test reads as the story it checks.

use super::Browser;

impl Browser {
    /// Opens the app at `/`, creates the account `name` with `password` on the sign-in screen,
    /// and waits until the chat shows it signed in, connected, in `general`.
    pub async fn sign_up(&self, name: &str, password: &str) {
        self.sign_up_at("/", name, password).await;
    }

    /// Like [`Browser::sign_up`], opening the app at `path` (e.g. `/?transport=longpoll`).
    pub async fn sign_up_at(&self, path: &str, name: &str, password: &str) {
        self.goto(path).await;
        self.wait_until("the sign-in screen", |p| p.account_screen.then_some(()))
            .await;
        self.click("sign-up-mode").await;
        self.submit_account_form(name, password).await;
        self.wait_until_signed_in(name).await;
    }

    /// Fills the sign-in (or sign-up) form in whichever mode it is, and submits it.
    pub async fn submit_account_form(&self, name: &str, password: &str) {
        self.type_into("account-name", name).await;
        self.type_into("account-password", password).await;
        self.click("account-submit").await;
    }

    /// Waits until the chat screen shows the account menu of `name`, connected, in `general`.
    pub async fn wait_until_signed_in(&self, name: &str) {
        self.wait_until(&format!("the chat, signed in as {name}, in general"), |p| {
            (p.signed_in_as(name) && p.current_room() == Some("general")).then_some(())
        })
        .await;
    }

    /// Creates the private room `room` with "New private room" and waits until it is current.
    pub async fn create_private_room(&self, room: &str) {
        self.click("new-room-open").await;
        self.type_into("new-room", room).await;
        self.press_enter("new-room").await;
        self.wait_until(&format!("the new private room {room:?} current"), |p| {
            (p.current_room() == Some(room)).then_some(())
        })
        .await;
    }

    /// Starts a direct message with `with` through "New message" and waits until it is the
    /// conversation on screen. Returns the room it lives in.
    pub async fn start_dm(&self, with: &str) -> String {
        self.click("new-dm-open").await;
        self.type_into("new-dm", with).await;
        self.press_enter("new-dm").await;
        self.wait_until(&format!("the direct message with {with} current"), |p| {
            p.dm_with(with)
                .filter(|dm| dm.current)
                .and_then(|dm| dm.room.clone())
        })
        .await
    }

    /// Opens the members panel of the private room on screen and waits for its list.
    pub async fn open_members(&self) {
        self.click("members-button").await;
        self.wait_until("the members panel's list", |p| {
            (!p.members.is_empty()).then_some(())
        })
        .await;
    }

    /// Adds `who` in the open members panel and waits until the list shows them, under any
    /// case (the server lists the account as it is spelt, whatever was typed).
    pub async fn add_member(&self, who: &str) {
        self.type_into("add-member", who).await;
        self.press_enter("add-member").await;
        self.wait_until(&format!("{who} listed as a member"), |p| {
            p.member_names()
                .iter()
                .any(|name| name.to_lowercase() == who.to_lowercase())
                .then_some(())
        })
        .await;
    }
}
