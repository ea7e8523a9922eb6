//! Chinwag's browser client: a Yew app compiled to WebAssembly by trunk.
//!
//! - [`app`]: the screens and their layout, chosen by who is using the browser.
//! - [`account`]: identity and access — signing in, up and out, guests, the password, access
//!   tokens and room members, over the HTTP API, with pure states for each.
//! - [`chat`]: the engine — `use_chat` and its controller, the transports
//!   ([`chat::transport`]: WebSocket, long-polling, polling), the pure reducer [`chat::state`],
//!   the pure reconnect policy [`chat::reconnect`] on [`chat::backoff`], and the HTTP
//!   [`chat::api`].
//! - [`components`]: views, props in and callbacks out.
//! - [`console`]: the site admins' console at `/admin` (live numbers, rooms, accounts,
//!   moderation), in the same app.
//! - [`storage`]: what the browser remembers; [`clipboard`]: copying, best effort;
//!   [`testid`]: hooks for end-to-end tests.

mod account;
mod app;
mod chat;
mod clipboard;
mod components;
mod console;
mod storage;
mod testid;

// The unit tests of the pure parts run twice: natively under `cargo test` (each is marked
// `#[wasm_bindgen_test(unsupported = test)]`), and in headless Chromium under
// `cargo test --target wasm32-unknown-unknown` (see frontend/webdriver.json).
#[cfg(test)]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

fn main() {
    yew::Renderer::<app::App>::new().render();
}
