//! The operators' console at `/admin`, in a real browser against the real server: a site
//! admin signs in there and sees the live numbers move while bots chat; disables an account
//! (after confirming in the console's dialog) and that person's open tab is signed out at
//! once; imposes and lifts a site-wide ban; and anyone else — an account without the role, a
//! guest — gets the 403 page with a way back to the chat. Screenshots of every panel at
//! desktop and phone width land in `target/screenshots/console-*.png`.
//!
//! The admin is made the way an operator makes the first one (`chinwag accounts
//! grant-admin` on the server's database); the bots are plain WebSocket clients.

use crate::{
    accounts::PASSWORD,
    screenshots::save_both,
    support::{Bot, Browser, Driver, Server},
};
use fantoccini::key::Key;

/// A screen of the console with text, tiles and charts is far larger than a blank page.
const MIN_CONSOLE_PNG_BYTES: usize = 12_000;

/// The 403 page is a small card; anything less than this is blank.
const MIN_FORBIDDEN_PNG_BYTES: usize = 5_000;

/// A server with the site admin `olga`, chromedriver, and olga's browser in the console.
async fn console_with_admin(dir: &std::path::Path) -> (Server, Driver, Browser) {
    let server = Server::start(dir).await;
    server.create_account("olga", PASSWORD).await;
    server.grant_admin("olga").await;
    let driver = Driver::start().await;
    let olga = Browser::open(&driver, server.addr).await;
    olga.sign_in_to_console("olga", PASSWORD).await;
    (server, driver, olga)
}

#[tokio::test]
async fn an_admin_sees_the_live_numbers_move_while_bots_chat() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _driver, olga) = console_with_admin(dir.path()).await;
    let before = olga.console().await;
    let messages_before = before.stats["messages"].total.expect("a window total");
    assert_eq!(
        before.nodes.len(),
        1,
        "one node, this one, in the nodes table: {before:#?}"
    );

    let mut ann = Bot::join(&server.ws_url("?room=general"), "ann").await;
    let mut ben = Bot::join(&server.ws_url("?room=lobby"), "ben").await;
    // Both bots count as connections while they are open.
    let connections = olga
        .wait_for_console("both bots counted as connections", |c| {
            c.stat("connections").filter(|n| *n >= 2.0)
        })
        .await;
    assert!(connections >= 2.0);

    const POSTS: usize = 6;
    for i in 0..POSTS {
        ann.post("general", &format!("ann's message {i}")).await;
        ben.post("lobby", &format!("ben's message {i}")).await;
    }
    let counted = olga
        .wait_for_console("the bots' messages counted in the live window", |c| {
            let total = c.stats.get("messages")?.total?;
            (total >= messages_before + (2 * POSTS) as f64).then_some(total)
        })
        .await;
    assert!(counted >= (2 * POSTS) as f64);
    let view = olga
        .wait_for_console("two rooms in use and the charts drawn", |c| {
            (c.stat("rooms") >= Some(2.0) && c.chart_lines > 0).then_some(c.chart_lines)
        })
        .await;
    assert!(view > 0);
    let view = olga.console().await;
    assert_eq!(
        view.stats["store"].value, 1.0,
        "the store is ready: {view:#?}"
    );

    // The rooms panel lists both rooms the bots used.
    olga.console_tab("rooms").await;
    olga.wait_for_console("general and lobby in the rooms panel", |c| {
        let has = |room: &str| c.rooms.iter().any(|r| r.as_deref() == Some(room));
        (has("general") && has("lobby")).then_some(())
    })
    .await;
}

#[tokio::test]
async fn disabling_an_account_signs_out_its_open_tab() {
    let dir = tempfile::tempdir().unwrap();
    let (server, driver, olga) = console_with_admin(dir.path()).await;
    let bob = Browser::open(&driver, server.addr).await;
    bob.sign_up("bob", PASSWORD).await;
    bob.send_confirmed("bob", "hello from bob's tab").await;

    olga.console_tab("accounts").await;
    olga.wait_for_console("bob listed, enabled", |c| {
        c.account("bob").filter(|row| !row.disabled).map(|_| ())
    })
    .await;
    olga.search_accounts("BO").await;
    assert!(
        olga.console().await.account("olga").is_none(),
        "the search leaves olga out"
    );
    // Bob's open tab is one of his connections.
    let css = r#"[data-testid="account-row"][data-name="bob"] [data-testid="account-connections"]"#;
    olga.find_css(css)
        .await
        .click()
        .await
        .expect("show connections");
    let connections = olga
        .wait_for_console("bob's open tab among his connections", |c| {
            (!c.connections.is_empty()).then(|| c.connections.clone())
        })
        .await;
    assert!(
        connections
            .iter()
            .any(|line| line.starts_with("WebSocket") && line.contains("#general")),
        "{connections:?}"
    );

    // Cancelling changes nothing.
    let question = olga.ask_about_account("bob", "account-disable").await;
    assert!(
        question.starts_with("Disable bob?"),
        "the dialog names the account: {question}"
    );
    // Focus starts on Cancel (Enter alone confirms nothing) and Tab stays inside.
    let focused = || olga.eval(r#"return document.activeElement?.getAttribute("data-testid");"#);
    assert_eq!(focused().await, "confirm-cancel");
    let cancel = olga.find("confirm-cancel").await;
    cancel.send_keys(&Key::Tab).await.expect("press Tab");
    assert_eq!(focused().await, "confirm-ok");
    let ok = olga.find("confirm-ok").await;
    ok.send_keys(&Key::Tab).await.expect("press Tab");
    assert_eq!(
        focused().await,
        "confirm-cancel",
        "Tab wraps inside the dialog"
    );
    olga.answer_dialog(false).await;
    let view = olga.console().await;
    assert!(
        !view.account("bob").unwrap().disabled && view.outcome.is_none(),
        "nothing happened after Cancel: {view:#?}"
    );
    assert!(bob.page().await.signed_in_as("bob"), "bob is still in");

    olga.ask_about_account("bob", "account-disable").await;
    olga.answer_dialog(true).await;
    let outcome = olga
        .wait_for_console("the console saying bob is disabled", |c| {
            let disabled = c.account("bob").is_some_and(|row| row.disabled);
            c.outcome.clone().filter(|_| disabled)
        })
        .await;
    assert!(outcome.contains("Disabled bob"), "{outcome}");

    // Bob's open tab is signed out at once: the sign-in screen, the chat gone.
    bob.wait_for_console("bob's tab signed out", |c| {
        (c.sign_in_screen && !c.chat_screen).then_some(())
    })
    .await;
    // And signing in again is refused.
    bob.submit_account_form("bob", PASSWORD).await;
    let refused = bob
        .wait_until("bob's sign-in refused", |p| {
            p.account_error
                .clone()
                .filter(|error| !error.trim().is_empty())
        })
        .await;
    assert!(!refused.is_empty());
    let page = bob.page().await;
    assert!(
        !page.chat_screen,
        "no chat for a disabled account: {page:#?}"
    );

    // Enabling lets bob back in.
    olga.ask_about_account("bob", "account-enable").await;
    olga.answer_dialog(true).await;
    olga.wait_for_console("bob enabled again", |c| {
        c.account("bob").filter(|row| !row.disabled).map(|_| ())
    })
    .await;
    bob.sign_in("bob", PASSWORD).await;

    // Granting admin asks too, and the row says so after.
    let question = olga.ask_about_account("bob", "account-grant-admin").await;
    assert!(question.starts_with("Make bob a site admin?"), "{question}");
    olga.answer_dialog(true).await;
    olga.wait_for_console("bob an admin", |c| {
        c.account("bob").filter(|row| row.admin).map(|_| ())
    })
    .await;
}

#[tokio::test]
async fn anyone_but_a_site_admin_gets_the_403_page() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let driver = Driver::start().await;

    let bob = Browser::open(&driver, server.addr).await;
    bob.sign_up("bob", PASSWORD).await;
    bob.goto("/admin").await;
    let said = bob
        .wait_for_console("the 403 page for an account", |c| c.forbidden.clone())
        .await;
    assert!(
        said.contains("403") && said.contains("not a site admin"),
        "{said}"
    );
    let view = bob.console().await;
    assert!(
        !view.console && view.stats.is_empty(),
        "no number of the console shows: {view:#?}"
    );
    save_both(&bob, "console-forbidden", MIN_FORBIDDEN_PNG_BYTES).await;
    // Its link leads back to the chat.
    bob.click("back-to-chat").await;
    bob.wait_until_signed_in("bob").await;
    // The account menu offers no console to a non-admin.
    bob.click("account-menu").await;
    bob.find("sign-out").await;
    assert!(!bob.console().await.console_link, "no console link");

    let guest = Browser::open(&driver, server.addr).await;
    guest.login("visitor").await;
    guest.goto("/admin").await;
    let said = guest
        .wait_for_console("the 403 page for a guest", |c| c.forbidden.clone())
        .await;
    assert!(said.contains("guest"), "{said}");
}

#[tokio::test]
async fn console_screenshots_at_desktop_and_phone_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let (server, driver, olga) = console_with_admin(dir.path()).await;
    let bob = Browser::open(&driver, server.addr).await;
    bob.sign_up("bob", PASSWORD).await;
    let mut ann = Bot::join(&server.ws_url("?room=general"), "ann").await;
    for i in 0..5 {
        ann.post("general", &format!("ann's message {i}")).await;
        bob.send_confirmed("bob", &format!("bob's reply {i}")).await;
    }
    olga.wait_for_console("the messages counted", |c| {
        (c.stats.get("messages")?.total? >= 10.0).then_some(())
    })
    .await;
    save_both(&olga, "console-now", MIN_CONSOLE_PNG_BYTES).await;
    // The same in the dark scheme, for its contrast.
    let dark = Browser::open(&driver, server.addr).await;
    dark.prefer_dark().await;
    dark.sign_in_to_console("olga", PASSWORD).await;
    save_both(&dark, "console-now-dark", MIN_CONSOLE_PNG_BYTES).await;

    // The menu of an admin links to the console.
    olga.goto("/").await;
    olga.wait_until_signed_in("olga").await;
    olga.click("account-menu").await;
    olga.find("console-link").await;
    olga.click("console-link").await;
    olga.wait_until_console_live().await;

    // Moderation: ban bob on the whole site through the form, confirmed.
    olga.console_tab("moderation").await;
    olga.wait_for_console("no site sanction yet", |c| {
        c.sanctions.is_empty().then_some(())
    })
    .await;
    olga.type_into("impose-name", "bob").await;
    olga.type_into("impose-reason", "spamming every room").await;
    let kind = olga.find("impose-kind").await;
    kind.select_by_value("ban").await.expect("choose ban");
    olga.click("impose-submit").await;
    let question = olga
        .wait_for_console("the ban's confirmation", |c| c.dialog.clone())
        .await;
    assert_eq!(
        question,
        "Ban bob on the whole site for 1 hour (spamming every room)?"
    );
    save_both(&olga, "console-confirm", MIN_CONSOLE_PNG_BYTES).await;
    olga.answer_dialog(true).await;
    olga.wait_for_console("bob's site ban listed", |c| {
        c.sanctions
            .iter()
            .any(|s| s.name.as_deref() == Some("bob") && s.kind.as_deref() == Some("ban"))
            .then_some(())
    })
    .await;
    // The site audit log has the ban.
    olga.wait_for_console("the ban in the site audit log", |c| {
        c.audit
            .iter()
            .any(|line| line.contains("olga") && line.contains("banned bob"))
            .then_some(())
    })
    .await;
    save_both(&olga, "console-moderation", MIN_CONSOLE_PNG_BYTES).await;

    olga.console_tab("accounts").await;
    olga.wait_for_console("the accounts listed", |c| {
        (c.accounts.len() >= 2).then_some(())
    })
    .await;
    save_both(&olga, "console-accounts", MIN_CONSOLE_PNG_BYTES).await;

    olga.console_tab("rooms").await;
    olga.wait_for_console("general listed", |c| {
        c.rooms
            .iter()
            .any(|r| r.as_deref() == Some("general"))
            .then_some(())
    })
    .await;
    olga.find_css(r#"[data-testid="admin-room"][data-room="general"] .room-open"#)
        .await
        .click()
        .await
        .expect("open general");
    olga.find("room-audit").await;
    save_both(&olga, "console-rooms", MIN_CONSOLE_PNG_BYTES).await;

    // Lifting asks too, and empties the list.
    olga.console_tab("moderation").await;
    olga.click("sanction-lift").await;
    let question = olga
        .wait_for_console("the lift's confirmation", |c| c.dialog.clone())
        .await;
    assert_eq!(question, "Lift bob's site-wide ban?");
    olga.answer_dialog(true).await;
    olga.wait_for_console("no site sanction left", |c| {
        c.sanctions.is_empty().then_some(())
    })
    .await;
}
