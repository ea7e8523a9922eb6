//! The service worker (`/sw.js`, issue 17): a person who comes back gets the page the worker
//! kept, without a round trip to the server first; a new release reaches them on the visit
//! after the one that found it, whole; and with the server down the page still opens, says
//! so, and recovers once the server is back.

use crate::support::{Browser, Driver, Server};
use serde_json::Value;
use std::{fs, path::Path};

/// Whether the page's service worker is active.
const WORKER_ACTIVE: &str =
    "return navigator.serviceWorker.getRegistration().then(r => !!(r && r.active));";

/// Whether this page was fetched through the service worker.
const CONTROLLED: &str = "return navigator.serviceWorker.controller !== null;";

/// The release a page says it is (the test's own marker, which the app never touches), or
/// `null`.
const RELEASE: &str =
    "const m = document.querySelector('meta[name=test-release]'); return m ? m.content : null;";

/// Whether the page the worker keeps is the next release's.
const NEXT_KEPT: &str = "return caches.open('chinwag-page').then(c => c.match('/')) \
    .then(r => r ? r.text() : '').then(t => t.includes('content=\"next\"'));";

/// What the next release adds to the page's head.
const NEXT_MARKER: &str = r#"<meta name="test-release" content="next" />"#;

#[tokio::test]
async fn a_repeat_visit_gets_the_kept_page_and_a_new_release_comes_one_visit_later() {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    copy_dir(&crate::support::built_client(), &dist);
    let server = Server::start_serving(dir.path(), &dist).await;
    let driver = Driver::start().await;
    let ada = Browser::open(&driver, server.addr).await;
    ada.login("ada").await;
    wait_for_worker(&ada).await;

    // A repeat visit: answered through the worker, and the chat opens as before.
    ada.goto("/").await;
    ada.wait_until_chat_open().await;
    assert_eq!(ada.eval(CONTROLLED).await, Value::Bool(true));
    assert_eq!(ada.eval(RELEASE).await, Value::Null);

    // A new release: the page changes on the server (its precompressed copies go, so the
    // plain file is what is served).
    let index = dist.join("index.html");
    let page = fs::read_to_string(&index).unwrap();
    assert!(page.contains("</head>"), "{page}");
    for copy in ["index.html.br", "index.html.gz"] {
        let _ = fs::remove_file(dist.join(copy));
    }
    fs::write(
        &index,
        page.replace("</head>", &format!("{NEXT_MARKER}</head>")),
    )
    .unwrap();

    // The visit that finds it still gets the kept page, whole, and the worker keeps the new
    // one behind it...
    ada.goto("/").await;
    ada.wait_until_chat_open().await;
    assert_eq!(ada.eval(RELEASE).await, Value::Null);
    ada.wait_for_script("the new release kept", NEXT_KEPT, |kept| {
        (kept == &Value::Bool(true)).then_some(())
    })
    .await;

    // ...which the next visit shows, working.
    ada.goto("/").await;
    ada.wait_until_chat_open().await;
    assert_eq!(ada.eval(RELEASE).await, Value::from("next"));
    ada.send_confirmed("ada", "still here after the update")
        .await;
}

#[tokio::test]
async fn with_the_server_down_the_kept_page_opens_says_so_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let driver = Driver::start().await;
    let bo = Browser::open(&driver, server.addr).await;
    bo.login("bo").await;
    wait_for_worker(&bo).await;

    let stopped = server.kill().await;
    bo.goto("/").await;
    // The page and the wasm came from the worker: the app runs and says what is wrong.
    let alert = bo.find_css(".welcome-card [role=alert]").await;
    let said = alert.text().await.unwrap();
    assert!(
        said.starts_with("Could not reach the server"),
        "the page says why: {said}"
    );
    assert_eq!(bo.eval(CONTROLLED).await, Value::Bool(true));

    let _server = stopped.restart().await;
    bo.find_css(".welcome-card button")
        .await
        .click()
        .await
        .unwrap();
    bo.wait_until_chat_open().await;
    bo.send_confirmed("bo", "back again").await;
}

/// Waits until the page's service worker is active, so the next visit goes through it.
async fn wait_for_worker(browser: &Browser) {
    browser
        .wait_for_script("the service worker active", WORKER_ACTIVE, |active| {
            (active == &Value::Bool(true)).then_some(())
        })
        .await;
}

/// Copies the directory `from` to `to`, files and subdirectories.
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}
