//! Screenshots for a person to look at, each at desktop and phone sizes, saved in
//! `target/screenshots/`: the chat screen (a few messages, two rooms) as `desktop.png` and
//! `phone.png`, and the account screens as `<screen>-desktop.png` and `<screen>-phone.png`
//! (the sign-in screen, the account menu open, the tokens panel with a fresh token, a private
//! room's members panel, the direct messages). The tests check each is a PNG of exactly the
//! viewport's size with real content, not a blank page. Other areas save theirs with
//! [`save`] and [`save_both`] (a big room's, in `big_rooms.rs`).

use crate::{
    accounts::PASSWORD,
    support::{Browser, Driver, Server, Viewport, workspace_root},
};
use fantoccini::key::Key;
use std::path::Path;

/// A blank page at these sizes compresses to a few KB; a chat screen with text is far larger.
pub(crate) const MIN_PNG_BYTES: usize = 15_000;

/// Width and height from a PNG's IHDR chunk, after checking the signature.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG signature");
    assert_eq!(png.get(12..16), Some(&b"IHDR"[..]), "IHDR comes first");
    let field = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    (field(16), field(20))
}

#[tokio::test]
async fn chat_screen_screenshots_at_desktop_and_phone_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let driver = Driver::start().await;
    let alice = Browser::open(&driver, server.addr).await;
    let bob = Browser::open(&driver, server.addr).await;
    alice.login("alice").await;
    bob.login("bob").await;

    alice.join_room("random").await;
    alice
        .send_confirmed("alice", "a side conversation in #random")
        .await;
    alice.open_room("general").await;
    alice.send_confirmed("alice", "Morning, Bob!").await;
    bob.send_confirmed("bob", "Morning! Did the deploy go out last night?")
        .await;
    let long = "It did. The resume logic held up: after the restart every client came back \
                with after=N and nobody saw a gap or a duplicate. Long messages like this one \
                should wrap inside the message list instead of overflowing it.";
    alice.send_confirmed("alice", long).await;
    bob.send_confirmed("bob", "🎉 nice").await;
    alice
        .wait_until("bob's last message on alice's screen", |p| {
            p.confirmed_id("bob", "🎉 nice")
        })
        .await;

    let out = workspace_root().join("target/screenshots");
    for (name, viewport) in [("desktop", Viewport::DESKTOP), ("phone", Viewport::PHONE)] {
        alice.set_viewport(viewport).await;
        let page = alice.page().await;
        assert!(page.chat_screen && page.status_is("open"), "{page:#?}");
        save(
            &alice,
            &out.join(format!("{name}.png")),
            viewport,
            MIN_PNG_BYTES,
        )
        .await;
    }
}

/// Saves what `browser` shows as `path` and checks it is a whole PNG of `viewport`'s size, at
/// least `min_bytes` long.
pub(crate) async fn save(browser: &Browser, path: &Path, viewport: Viewport, min_bytes: usize) {
    let png = browser.screenshot(path).await;
    let name = path.display();
    // Whatever the top bar holds must be on screen: at 390 px a private room's bar once pushed
    // the account button past the edge, where a phone user could not reach it.
    let cut_off = browser.eval(TOP_BAR_CUT_OFF).await;
    assert_eq!(
        cut_off,
        serde_json::json!([]),
        "{name}: the top bar's items past the right edge"
    );
    assert_eq!(
        png_size(&png),
        (viewport.width, viewport.height),
        "{name} has the viewport's size"
    );
    assert!(
        png.len() >= min_bytes,
        "{name} is {} bytes: a blank or nearly blank page?",
        png.len()
    );
    let on_disk = std::fs::metadata(path).expect("screenshot saved").len();
    assert_eq!(on_disk, png.len() as u64, "{name} written whole");
}

/// The top bar's visible items whose right edge is past the viewport's, by their text.
const TOP_BAR_CUT_OFF: &str = "const bar = document.querySelector('.topbar'); \
    if (!bar) return []; \
    return [...bar.children].filter(e => e.getClientRects().length > 0 \
        && e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5) \
      .map(e => e.textContent.trim() || e.className);";

/// Saves `<screen>-desktop.png` and `<screen>-phone.png` of what `browser` shows, leaving it
/// at the desktop size.
pub(crate) async fn save_both(browser: &Browser, screen: &str, min_bytes: usize) {
    let out = workspace_root().join("target/screenshots");
    for (size, viewport) in [("desktop", Viewport::DESKTOP), ("phone", Viewport::PHONE)] {
        browser.set_viewport(viewport).await;
        let path = out.join(format!("{screen}-{size}.png"));
        save(browser, &path, viewport, min_bytes).await;
    }
    browser.set_viewport(Viewport::DESKTOP).await;
}

/// The sign-in screen has little on it; anything less than this is blank.
const MIN_SIGN_IN_PNG_BYTES: usize = 5_000;

#[tokio::test]
async fn account_screens_screenshots_at_desktop_and_phone_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let driver = Driver::start().await;
    let olga = Browser::open(&driver, server.addr).await;
    let bob = Browser::open(&driver, server.addr).await;
    let guest = Browser::open(&driver, server.addr).await;

    olga.goto("/").await;
    olga.wait_until("the sign-in screen", |p| p.account_screen.then_some(()))
        .await;
    save_both(&olga, "sign-in", MIN_SIGN_IN_PNG_BYTES).await;

    olga.sign_up("olga", PASSWORD).await;
    bob.sign_up("bob", PASSWORD).await;
    guest.login("visitor").await;
    olga.send_confirmed("olga", "Morning all. Stand-up in ten.")
        .await;
    guest
        .send_confirmed("visitor", "hi! just looking around")
        .await;
    olga.wait_until("the guest's message", |p| {
        p.confirmed_id("visitor", "hi! just looking around")
    })
    .await;
    olga.click("account-menu").await;
    olga.wait_until("the account menu open", |p| {
        p.signed_in_as("olga").then_some(())
    })
    .await;
    olga.find("sign-out").await;
    save_both(&olga, "account-menu", MIN_PNG_BYTES).await;

    olga.click("access-tokens").await;
    let name = olga.find_css("#token-name").await;
    let typed = format!("deploy bot{}", Key::Enter);
    name.send_keys(&typed)
        .await
        .expect("name and create a token");
    olga.wait_until("the fresh token's secret", |p| p.token_secret.clone())
        .await;
    save_both(&olga, "tokens", MIN_PNG_BYTES).await;
    let secret = olga.find("token-secret").await;
    secret
        .send_keys(&Key::Escape)
        .await
        .expect("close the menu");
    olga.wait_until("the account menu closed", |p| {
        p.token_secret.is_none().then_some(())
    })
    .await;

    olga.create_private_room("team").await;
    olga.send_confirmed("olga", "The plan for Friday, in private.")
        .await;
    olga.open_members().await;
    olga.add_member("bob").await;
    bob.join_room("team").await;
    bob.send_confirmed("bob", "Thanks for adding me.").await;
    olga.wait_until("bob's message in #team", |p| {
        p.confirmed_id("bob", "Thanks for adding me.")
    })
    .await;
    save_both(&olga, "members", MIN_PNG_BYTES).await;

    olga.start_dm("bob").await;
    olga.send_confirmed("olga", "Got a minute after stand-up?")
        .await;
    save_both(&olga, "dms", MIN_PNG_BYTES).await;
}
