//! The username screen: an invalid name is refused on the spot with an error, and a valid one
//! (any script, spaces inside, `.`, `-`) leads to the chat.

use crate::support::{Browser, Driver, Server};

#[tokio::test]
async fn an_invalid_username_shows_an_error_and_a_valid_one_enters_the_chat() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let driver = Driver::start().await;
    let browser = Browser::open(&driver, server.addr).await;
    browser.goto("/").await;

    browser.type_into("username-input", "<b>").await;
    browser.click("username-submit").await;
    let page = browser
        .wait_until("the username error", |p| {
            p.username_error
                .as_deref()
                .is_some_and(|e| !e.trim().is_empty())
                .then_some(p.chat_screen)
        })
        .await;
    assert!(!page, "an invalid name does not reach the chat screen");

    let input = browser.find("username-input").await;
    input.clear().await.expect("clear the input");
    browser.type_into("username-input", "Zoë O.Neil-2").await;
    browser.click("username-submit").await;
    browser.wait_until_chat_open().await;
    browser
        .wait_until("Zoë in the presence list", |p| {
            (p.presence == ["Zoë O.Neil-2"]).then_some(())
        })
        .await;
}
