//! The browser-test harness: the real `chinwag` server, chromedriver, one headless Chromium
//! per simulated user, and a plain WebSocket client for traffic that needs no browser.
//!
//! Every wait is bounded ([`WAIT`], or [`RECONNECT_WAIT`] for the client's reconnect backoff)
//! and ends in a panic that prints what the page looked like. Nothing sleeps to synchronise:
//! waits poll the DOM (or read a socket) until the condition they need holds. Every process a
//! test starts is killed when its guard drops, so a failing test leaves nothing running.

mod account;
mod admin;
mod bot;
mod browser;
mod console;
mod driver;
mod moderation;
mod page;
mod server;
mod watch;

pub use bot::Bot;
pub use browser::{Browser, Viewport};
pub use driver::Driver;
pub use page::Page;
pub use server::{Server, built_client};

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

/// Longest any single wait for the page, a frame or a process may take before the test fails.
///
/// Generous for a DOM update (milliseconds normally) because headless Chromium shares two
/// cores with whatever else is compiling.
pub const WAIT: Duration = Duration::from_secs(10);

/// Longest the client may take to reconnect after the server comes back: its backoff between
/// attempts grows while the server is down (full jitter, capped at 15 s in
/// `frontend/src/chat/backoff.rs`), so one more full delay plus the reconnect fits in this.
pub const RECONNECT_WAIT: Duration = Duration::from_secs(30);

/// How often a wait re-reads the page.
pub const POLL: Duration = Duration::from_millis(50);

/// The workspace root (this crate's parent directory).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map_or_else(|| manifest.to_path_buf(), Path::to_path_buf)
}

/// A path from the environment variable `var`, else `default`; panics if nothing is there, so
/// a missing build fails the suite instead of silently skipping it.
fn required_path(var: &str, default: PathBuf, what: &str) -> PathBuf {
    let path = std::env::var_os(var).map_or(default, PathBuf::from);
    assert!(
        path.exists(),
        "{what} not found at {} (set {var} to override): build it with `cargo xtask test`, \
         which runs trunk and builds the server first",
        path.display()
    );
    path
}
