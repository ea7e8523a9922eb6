//! The panels' bundle (`frontend/src/panels/`, `dist/panels/`): the chat's page downloads
//! none of it until a person opens one of its panels; the first one opened loads it once, and
//! each works as part of the chat. Here a room's owner opens the room's settings and sets
//! slow mode, which the chat's composer then says (the panel's news reached the chat), closes
//! them with Escape, opens the members panel, which the same download serves, and changes
//! the account's password in the account menu. The settings panel is saved as a screenshot
//! at desktop and phone sizes. Without the bundle on the server, a panel says it could not be
//! loaded and the chat goes on.

use crate::{
    accounts::PASSWORD,
    screenshots::{MIN_PNG_BYTES, save_both},
    service_worker::copy_dir,
    support::{Browser, Driver, Server},
};
use fantoccini::key::Key;

/// The paths of the files under `/panels/` the page has fetched so far.
async fn panel_files(browser: &Browser) -> Vec<String> {
    let value = browser
        .eval(
            "return performance.getEntriesByType('resource')
                .map((entry) => new URL(entry.name).pathname)
                .filter((path) => path.startsWith('/panels/'));",
        )
        .await;
    serde_json::from_value(value).expect("a list of paths")
}

#[tokio::test]
async fn the_panels_load_only_when_one_opens_and_work() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let driver = Driver::start().await;
    let olga = Browser::open(&driver, server.addr).await;
    olga.sign_up("olga", PASSWORD).await;
    olga.create_private_room("team").await;
    olga.send_confirmed("olga", "settings next").await;
    assert_eq!(
        panel_files(&olga).await,
        Vec::<String>::new(),
        "the chat opened, a room was made and a message sent without the panels"
    );

    olga.click("room-settings-button").await;
    olga.find("slow-mode-input").await;
    olga.replace_text("slow-mode-input", "30").await;
    olga.press_enter("slow-mode-input").await;
    olga.wait_until("the chat's composer in slow mode", |p| {
        p.composer_hint
            .as_deref()
            .filter(|hint| hint.starts_with("Slow mode is on (30 s between messages)"))
            .map(drop)
    })
    .await;
    // For a person to look at: `target/screenshots/room-settings-{desktop,phone}.png`.
    save_both(&olga, "room-settings", MIN_PNG_BYTES).await;
    let mut loaded = panel_files(&olga).await;
    loaded.sort();
    assert_eq!(
        loaded,
        [
            "/panels/boot.js",
            "/panels/chinwag-frontend.js",
            "/panels/chinwag-frontend_bg.wasm"
        ],
        "the bundle, once"
    );

    olga.find("slow-mode-input")
        .await
        .send_keys(&Key::Escape)
        .await
        .expect("press Escape in the panel");
    olga.wait_for_script(
        "Escape to close the settings panel",
        "return document.querySelector('[data-testid=room-settings]') === null;",
        |closed| closed.as_bool().filter(|closed| *closed),
    )
    .await;

    olga.open_members().await;
    let page = olga.page().await;
    assert_eq!(
        page.member_names(),
        ["olga"],
        "the members panel lists the owner: {page:#?}"
    );
    assert_eq!(
        panel_files(&olga).await.len(),
        3,
        "the second panel came from the bundle already loaded"
    );
    olga.find("members-button")
        .await
        .click()
        .await
        .expect("close the members panel");

    // The account menu's password view: its field takes focus once the panel shows, and the
    // change is the server's (another browser signs in with the new password).
    olga.click("account-menu").await;
    olga.click("change-password").await;
    olga.wait_for_script(
        "the password form, focused",
        "return document.activeElement && document.activeElement.id;",
        |id| (id.as_str() == Some("current-password")).then_some(()),
    )
    .await;
    let new_password = "a new and longer passphrase";
    olga.find_css("#current-password")
        .await
        .send_keys(PASSWORD)
        .await
        .expect("type the current password");
    olga.find_css("#new-password")
        .await
        .send_keys(&format!("{new_password}{}", Key::Enter))
        .await
        .expect("type the new password and submit");
    olga.wait_for_script(
        "the password changed",
        "const done = document.querySelector('.stacked-form .success');
         return done && done.textContent;",
        |text| {
            text.as_str()
                .filter(|text| text.starts_with("Password changed."))
                .map(drop)
        },
    )
    .await;
    // Escape in the panel's field closes the chat's menu around it.
    olga.find_css("#new-password")
        .await
        .send_keys(&Key::Escape)
        .await
        .expect("press Escape in the password form");
    olga.wait_for_script(
        "Escape to close the account menu",
        "return document.getElementById('account-panel') === null;",
        |closed| closed.as_bool().filter(|closed| *closed),
    )
    .await;
    let elsewhere = Browser::open(&driver, server.addr).await;
    elsewhere.goto("/").await;
    elsewhere
        .wait_until("the sign-in screen", |p| p.account_screen.then_some(()))
        .await;
    elsewhere.submit_account_form("olga", new_password).await;
    elsewhere.wait_until_signed_in("olga").await;
}

/// A server without the panels' files (a deploy that left `dist/panels/` behind): the panel
/// says it could not be loaded, "Try again" asks the server again (and says so again),
/// "Close" takes it away, and the chat goes on.
#[tokio::test]
async fn without_the_panels_a_panel_says_so_and_the_chat_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    copy_dir(&crate::support::built_client(), &dist);
    std::fs::remove_dir_all(dist.join("panels")).unwrap();
    let server = Server::start_serving(dir.path(), &dist).await;
    let driver = Driver::start().await;
    let olga = Browser::open(&driver, server.addr).await;
    olga.sign_up("olga", PASSWORD).await;
    olga.create_private_room("team").await;

    olga.click("members-button").await;
    for attempt in ["first", "second"] {
        olga.wait_for_script(
            &format!("the {attempt} attempt's refusal"),
            "const said = document.querySelector('.panel-loading .error');
             return said && said.textContent;",
            |said| {
                said.as_str()
                    .filter(|said| said.starts_with("This panel could not be loaded"))
                    .map(drop)
            },
        )
        .await;
        if attempt == "first" {
            // For a person to look at: `target/screenshots/panel-unavailable-*.png`.
            save_both(&olga, "panel-unavailable", MIN_PNG_BYTES).await;
            olga.click("panel-retry").await;
        }
    }
    olga.click("panel-close").await;
    olga.wait_for_script(
        "the failed panel to close",
        "return document.querySelector('.panel-host') === null;",
        |gone| (gone == &serde_json::json!(true)).then_some(()),
    )
    .await;
    olga.send_confirmed("olga", "still chatting").await;
    let tries = olga
        .eval(
            "return performance.getEntriesByType('resource')
                .filter((entry) => new URL(entry.name).pathname === '/panels/boot.js').length;",
        )
        .await;
    assert_eq!(tries, serde_json::json!(2), "\"Try again\" asked again");
}
