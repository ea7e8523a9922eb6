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
//!   moderation): a build of its own, with the crate feature `console` (trunk's
//!   `admin.html`), so the chat's bundle does not carry it. The two builds share the session
//!   and the sign-in screen; each leaves out the other's screens.
//! - [`panels`]: the chat's panels a visit may never open (access tokens, room settings,
//!   members): a third build, with the crate feature `panels` (trunk's `panels.html`), which
//!   the chat loads into its page the first time one opens.
//! - [`storage`]: what the browser remembers; [`clipboard`]: copying, best effort;
//!   [`sorted`]: the small sorted maps and sets the client keeps its state in;
//!   [`testid`]: hooks for end-to-end tests.

// The console's and the panels' builds share the session, the API and the views with the
// chat but show none of the chat's screens: what only those use is unused there, and left
// to the linker.
#![cfg_attr(
    any(feature = "console", feature = "panels"),
    allow(dead_code, unused_imports)
)]

// talc, not the standard library's dlmalloc (why: frontend/Cargo.toml). Like dlmalloc it
// grows the wasm memory when its free lists run dry; a wasm memory never shrinks.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

mod account;
#[cfg(not(feature = "panels"))]
mod app;
mod chat;
// The tokens panel's copy button, in the panels' bundle.
#[cfg(any(feature = "panels", feature = "console", test))]
mod clipboard;
mod components;
mod http_body;
// Compiled for the tests of the chat's build too, so `cargo test` runs the console's.
#[cfg(any(feature = "console", test))]
#[cfg_attr(not(feature = "console"), allow(dead_code, unused_imports))]
mod console;
mod panels;
mod sorted;
mod storage;
// Both sides' ids in one list (the e2e tests read it); the chat's build uses its own only.
#[cfg_attr(not(feature = "console"), allow(dead_code))]
mod testid;

// The unit tests of the pure parts run twice: natively under `cargo test` (each is marked
// `#[wasm_bindgen_test(unsupported = test)]`), and in headless Chromium under
// `cargo test --target wasm32-unknown-unknown` (see frontend/webdriver.json).
#[cfg(test)]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

fn main() {
    // Before the first render: the room's page is asked for alongside the session's requests.
    #[cfg(not(any(feature = "console", feature = "panels")))]
    chat::head_start::begin();
    // The panels' bundle renders nothing of its own: the chat mounts its panels.
    #[cfg(feature = "panels")]
    panels::mount::start();
    #[cfg(not(feature = "panels"))]
    yew::Renderer::<app::App>::new().render();
}
