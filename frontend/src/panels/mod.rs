//! The panels a visit may never open, in a bundle of their own that the chat loads when one
//! opens: the password form and the access tokens (account menu), a room's settings and a
//! private room's members.
//!
//! They are a third build of this crate, with the feature `panels` (trunk's `panels.html`,
//! into `dist/panels/`), as the operators' console is one with `console`. The chat's bundle
//! carries none of their views or hooks, so a first visit downloads about a tenth less; the
//! price is one download (and a revalidation per page load) the first time a person opens one.
//!
//! How the two bundles meet, in the page, never in Rust:
//!
//! - The chat renders a [`host::PanelHost`] where the panel goes. On its first mount in a page
//!   it adds `<script type="module" src="/panels/boot.js">` ([`load`]); `boot.js`
//!   (`frontend/panels/boot.js`) starts the panels' wasm and hands its exports to the page
//!   in the event `chinwag-panels`. The files have no content hash in their names (`trunk
//!   --filehash false`), so `boot.js` can name them; the server sends them `no-cache`, so a
//!   page always loads the current release's (see [`wire`] for what stays compatible).
//! - The host calls the export `mount(element, props, events)` ([`mount`]): `props` is a
//!   [`wire::PanelProps`] as JSON, `events` a function the panel calls with each
//!   [`wire::PanelEvent`] as JSON (closed, new room settings, a sentence for the info line
//!   or the banner). What it returns has `update(props)` and `unmount()`.
//! - In the panels' bundle, `mount` renders the panel's section with yew into that element:
//!   the same hooks and views as before the split, reaching the HTTP API themselves with the
//!   session cookie, as every request of the chat does.
//! - Two yew apps of two wasm instances share the page, and each hands out events by
//!   numbers it writes on the DOM. The panels' instance skips the number the chat's app has
//!   ([`mount::start`]), so neither runs the other's listeners; and the chat's own yew
//!   listeners do not hear events inside a panel, so a chat element that must (the account
//!   menu's Escape) listens with the browser's own listener.

pub mod wire;

#[cfg(not(feature = "panels"))]
pub mod host;
#[cfg(not(feature = "panels"))]
mod load;

#[cfg(any(feature = "panels", test))]
mod members_section;
#[cfg(any(feature = "panels", test))]
pub mod mount;
#[cfg(any(feature = "panels", test))]
mod password_section;
#[cfg(any(feature = "panels", test))]
mod room_settings_section;
#[cfg(any(feature = "panels", test))]
mod tokens_section;
