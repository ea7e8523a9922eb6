//! Accounts: one created in one browser is the same account, with the same history, when
//! signed in from another (its own cookies), and a guest may not take an account's name: the
//! first screen comes back with the refusal and the name to change, never a silent rename.

use crate::support::{Browser, Driver, Server};

/// A password that passes the client's and the server's rules.
pub const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn an_account_made_in_one_browser_signs_in_from_another_with_its_history() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let driver = Driver::start().await;
    let first = Browser::open(&driver, server.addr).await;
    first.sign_up("ada", PASSWORD).await;
    let before = "written in the first browser";
    first.send_confirmed("ada", before).await;

    let second = Browser::open(&driver, server.addr).await;
    second.goto("/").await;
    second
        .wait_until("the sign-in screen", |p| p.account_screen.then_some(()))
        .await;
    second.submit_account_form("ada", "not the password").await;
    second
        .wait_until("a refusal of the wrong password", |p| {
            p.account_error
                .as_deref()
                .filter(|error| !error.trim().is_empty())
                .map(|error| (error.trim().to_owned(), p.chat_screen))
        })
        .await;
    let refused = second.page().await;
    assert!(
        refused.account_screen && !refused.chat_screen,
        "a wrong password stays on the sign-in screen: {refused:#?}"
    );

    second.replace_text("account-password", PASSWORD).await;
    second.click("account-submit").await;
    second.wait_until_signed_in("ada").await;
    second
        .wait_until("the first browser's message in the second", |p| {
            p.confirmed_id("ada", before)
        })
        .await;
    let page = second.page().await;
    assert_eq!(
        page.guest_badges, 0,
        "an account's own messages and name carry no guest mark: {page:#?}"
    );

    let after = "and this from the second browser";
    second.send_confirmed("ada", after).await;
    first
        .wait_until("the second browser's message in the first", |p| {
            p.confirmed_id("ada", after)
        })
        .await;
    let stored = server.history("general").await;
    let authors: Vec<_> = stored
        .iter()
        .map(|record| (record["username"].as_str(), record["guest"].as_bool()))
        .collect();
    assert_eq!(
        authors,
        [(Some("ada"), Some(false)), (Some("ada"), Some(false))],
        "both stored as the account's, not a guest's: {stored:#?}"
    );
}

#[tokio::test]
async fn a_guest_is_refused_an_accounts_name_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let driver = Driver::start().await;
    let owner = Browser::open(&driver, server.addr).await;
    owner.sign_up("ada", PASSWORD).await;

    let guest = Browser::open(&driver, server.addr).await;
    guest.goto("/").await;
    guest
        .wait_until("the guest form", |p| p.username_screen.then_some(()))
        .await;
    guest.type_into("username-input", "Ada").await;
    guest.click("username-submit").await;
    let refusal = guest
        .wait_until("the guest form back, with the refusal", |p| {
            p.username_error
                .as_deref()
                .filter(|_| p.username_screen && !p.chat_screen)
                .map(|error| error.trim().to_owned())
        })
        .await;
    assert!(
        refusal.contains("belongs to an account") && refusal.contains("Ada"),
        "the refusal says why and names the name: {refusal:?}"
    );
    let field = guest
        .eval(
            "const field = document.querySelector('[data-testid=\"username-input\"]');
             return [field.value, document.activeElement === field];",
        )
        .await;
    assert_eq!(
        field,
        serde_json::json!(["Ada", true]),
        "the refused name stays in the focused field, to be changed, not replaced"
    );

    guest.replace_text("username-input", "Ada the guest").await;
    guest.click("username-submit").await;
    guest.wait_until_chat_open().await;
    guest
        .wait_until(
            "the guest under the name they chose, beside the account",
            |p| (p.presence == ["Ada the guest", "ada"]).then_some(()),
        )
        .await;
    let hello = "hello, as a guest";
    guest.send_confirmed("Ada the guest", hello).await;
    let marked = owner
        .wait_until("the guest's message on the account's screen", |p| {
            p.messages
                .iter()
                .find(|m| m.is("Ada the guest", hello) && m.confirmed())
                .map(|m| m.guest)
        })
        .await;
    assert!(marked, "the guest's message carries the guest mark");
    let stored = server.history("general").await;
    assert_eq!(stored.len(), 1, "{stored:#?}");
    assert_eq!(stored[0]["username"], "Ada the guest");
    assert_eq!(stored[0]["guest"], true, "stored as a guest's: {stored:#?}");
}
