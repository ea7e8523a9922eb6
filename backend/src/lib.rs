//! Chinwag's relay server.
//!
//! Data flows one way, and the modules follow it:
//!
//! ```text
//! socket ──► session ──► hub ──► store ──► fan-out ──► sessions' outboxes ──► sockets
//! (routes)   (one per     (rooms,  (durable   (frame encoded
//!             connection)  presence) log, ids)  once, shared)
//! ```
//!
//! - [`routes`]: HTTP handlers — `/socket` upgrades and spawns a [`session::Session`]; the
//!   history API, probes and metrics.
//! - [`session`]: one connection's loop: decodes client frames, enforces per-connection limits,
//!   delivers its outbox in id order (its own sends in its own copy, with their `client_id`,
//!   which no one else is shown), pings, and closes with a reason.
//! - [`hub`]: the API sessions call: join/leave/post/typing; local membership and presence;
//!   the new-room budget every transport shares.
//! - [`store`]: the durable log behind a trait; [`store::sqlite`] is the embedded default. A
//!   retried `client_id` is a duplicate only from its [`store::Author`].
//! - [`fanout`]: delivery of encoded frames to a room's members behind a trait;
//!   [`fanout::local`] is in-process.
//! - [`cluster`]: the Redis engine (log, fan-out and presence for many nodes) behind the
//!   same traits, chosen by `--redis`.
//! - [`admission`]: connection caps; [`metrics`]: what `/metrics` reports; [`logs`]: what
//!   clients may put into the log (values clipped, repeated warnings per address budgeted).
//! - [`config`] and [`server`]: flags, wiring and graceful shutdown.
//!
//! The wire protocol itself lives in the `chinwag-shared` crate; `docs/protocol.md` documents it.

pub mod admission;
pub mod cluster;
pub mod config;
pub mod fanout;
pub mod hub;
pub mod logs;
pub mod metrics;
pub mod routes;
pub mod server;
pub mod session;
pub mod store;

pub use config::Config;
pub use server::{ServeError, serve};
