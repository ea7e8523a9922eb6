//! What the server lets clients put into its log, and how often.
//!
//! The log is for operators, and a client must not be able to fill it: issue 12 measured a
//! 120 KB `Origin` header logged whole, 240 MB of stderr from 2,000 requests. Two rules:
//!
//! - [`Clipped`]: every client-supplied value in a log line (headers, error details that
//!   quote input, names) is clipped to [`MAX_LOGGED_CHARS`] characters with escaped controls.
//! - [`PeerWarnings`]: a refusal caused by a client is logged a few times per address and
//!   minute, then summarised, from a table of bounded size.
//!
//! Routes and sessions call both; this module calls nothing of ours. Together they bound what
//! one address can add to the log per minute, whatever it sends.

mod clipped;
mod peer_warnings;

pub use clipped::{Clipped, MAX_LOGGED_CHARS};
pub use peer_warnings::{LeftOut, Peer, PeerWarnings, WINDOW, Warning};
