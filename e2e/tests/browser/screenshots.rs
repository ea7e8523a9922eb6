//! Screenshots of the chat screen (a few messages, two rooms) at desktop and phone sizes, saved
//! as `target/screenshots/desktop.png` and `phone.png` for a person to look at. The test checks
//! each is a PNG of exactly the viewport's size with real content, not a blank page.

use crate::support::{Browser, Driver, Server, Viewport, workspace_root};

/// A blank page at these sizes compresses to a few KB; a chat screen with text is far larger.
const MIN_PNG_BYTES: usize = 15_000;

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
        let path = out.join(format!("{name}.png"));
        let png = alice.screenshot(&path).await;
        assert_eq!(
            png_size(&png),
            (viewport.width, viewport.height),
            "{name}.png has the viewport's size"
        );
        assert!(
            png.len() >= MIN_PNG_BYTES,
            "{name}.png is {} bytes: a blank or nearly blank page?",
            png.len()
        );
        let on_disk = std::fs::metadata(&path).expect("screenshot saved").len();
        assert_eq!(
            on_disk,
            png.len() as u64,
            "{} written whole",
            path.display()
        );
    }
}
