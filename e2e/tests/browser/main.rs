//! End-to-end tests: the real `chinwag` binary serving the built Yew client, driven through
//! headless Chromium by chromedriver, one browser profile per simulated user.
//!
//! They test the UI contract (the `data-testid` hooks read in `support/page.rs`) and what a
//! user sees across the whole system: relay between browsers, rendering as text, history after
//! a reload, reconnect after a crash (also one that lost the database), the seed lecture's
//! page, rooms, big rooms (a count, paged names, diffs), accounts, private rooms and direct messages, moderation (deletions, edits,
//! bans), the lazily loaded panels (`panels.rs`) and read state across reloads and devices, the operators' console (`/admin`), the trunk dev loop
//! (`dev_loop.rs`), and a smoke run of the page-load benchmark (`page_load.rs`). Every test starts its own
//! server and chromedriver, waits by polling the DOM with a bound, and never sleeps to
//! synchronise. Prerequisites: `cargo xtask test` builds them (see [`support`]).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod big_rooms;
mod chat;
mod console;
mod dev_loop;
mod history;
mod history_reset;
mod moderation;
mod page_load;
mod panels;
mod presence;
mod private_rooms;
mod read_state;
mod restart;
mod rooms;
mod screenshots;
mod seed;
mod service_worker;
mod support;
mod transports;
mod username;
