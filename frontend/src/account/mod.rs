//! Identity and access in the browser: who is using it, and what their account can do.
//!
//! Beside [`chat`](crate::chat), and like it the only place views reach the network through:
//!
//! - [`api`]: the account, token and room-access routes, and [`moderation_api`] the
//!   moderation and read-state ones (the session cookie rides along;
//!   this code never sees it), failing with [`failure::ApiFailure`], whose
//!   [`message`](failure::ApiFailure::message) is what a form shows;
//! - [`session`]: the pure state machine of the first screens (loading, signed out, guest,
//!   signed in), run by the hook [`use_session`];
//! - `tokens` and `members`: the pure states of the tokens and members panels, run by
//!   `use_tokens` and `use_members`, over a [`listing::Listing`]; `room_admin`, the
//!   room settings panel's sanctions and audit log, run by `use_room_admin` (these six are
//!   built into the panels' bundle only, [`crate::panels`]);
//! - [`password`]: the password rules, checked before a form is sent;
//! - [`attempt`]: how a small form hands a request up and learns how it went.
//!
//! Private rooms and direct messages change what the chat shows, so the chat's controller
//! calls [`api`] for them and keeps them in its own state (`chat::state::access`).

pub mod api;
pub mod attempt;
pub mod failure;
#[cfg(any(feature = "panels", feature = "console", test))]
pub mod listing;
#[cfg(any(feature = "panels", feature = "console", test))]
pub mod members;
pub mod moderation_api;
pub mod password;
#[cfg(any(feature = "panels", feature = "console", test))]
pub mod room_admin;
pub mod session;
#[cfg(any(feature = "panels", feature = "console", test))]
pub mod tokens;
#[cfg(any(feature = "panels", feature = "console", test))]
pub mod use_members;
#[cfg(any(feature = "panels", feature = "console", test))]
pub mod use_room_admin;
pub mod use_session;
#[cfg(any(feature = "panels", feature = "console", test))]
pub mod use_tokens;

#[cfg(any(feature = "panels", feature = "console", test))]
pub use use_members::use_members;
#[cfg(any(feature = "panels", feature = "console", test))]
pub use use_room_admin::use_room_admin;
pub use use_session::{SessionHandle, use_session};
#[cfg(any(feature = "panels", feature = "console", test))]
pub use use_tokens::use_tokens;
