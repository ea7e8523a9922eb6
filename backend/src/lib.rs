//! Chinwag's relay server.
//!
//! Data flows one way, and the modules follow it: each imports only those below it.
//!
//! ```text
//! socket ──► session ──► hub ──► auth ──► store ──► fan-out ──► delivery ──► sockets
//! (routes)   (one per     (the    (who it    (durable   (to every   (registry, frames,
//!             connection)  API,    is)        log, ids,  node)       outboxes, tails)
//!                          access)            directory)
//! ```
//!
//! Every door (the upgrade, each HTTP route) turns the request into an [`auth::Principal`]
//! once; the principal travels with the session or request, and the hub's one access rule
//! ([`hub::access`]) judges it for every room on every transport.
//!
//! - [`routes`]: HTTP handlers — `/socket` upgrades and spawns a [`session::Session`]; the
//!   history API, probes and metrics.
//! - [`session`]: one connection's loop: decodes client frames, enforces per-connection limits,
//!   delivers its outbox in id order (its own sends in its own copy, with their `client_id`,
//!   which no one else is shown), pings, and closes with a reason.
//! - [`hub`]: the API sessions and handlers call: join/leave/post/typing; presence; the
//!   new-room budget every transport shares; who may enter which room ([`hub::access`]);
//!   who may edit, delete, mute, kick and ban, slow mode, and read markers
//!   ([`hub::moderation`], [`hub::rules`], [`hub::read_state`]).
//! - [`auth`]: identity — the principal of a request (session cookie, access token, JWT, or
//!   a guest), sign-up and sign-in (Argon2id, lockouts), sessions and tokens.
//! - [`cluster`]: the Redis engine (log, fan-out and presence for many nodes) behind the
//!   same traits as the embedded one, chosen by `--redis`.
//! - [`store`]: the durable log behind a trait; [`store::sqlite`] is the embedded default. A
//!   retried `client_id` is a duplicate only from its [`store::Author`]. Beside it, the
//!   directory ([`store::accounts`]): accounts, credential digests, private rooms; and the
//!   moderation directory ([`store::moderation`]): roles, sanctions, slow mode, the audit
//!   log and read markers; both in both engines. Edits and deletions are records of the log
//!   ([`store::Store::change`]).
//! - [`fanout`]: the trait that carries events to every node, and the chat-only path from the
//!   embedded store into local delivery; [`fanout::local`] is in-process.
//! - [`delivery`]: what every engine shares at the bottom: the encoded frame, the registry of
//!   which session is in which room, outboxes, the recent tail and long-poll waiters.
//! - [`history`]: epochs, heads and page sizes, the vocabulary of the log every layer speaks.
//! - [`admission`]: connection caps; [`rate_limit`]: token buckets for sessions, HTTP and the
//!   room budget; [`metrics`]: what `/metrics` reports; [`logs`]: what clients may put into
//!   the log (values clipped, repeated warnings per address budgeted).
//! - [`config`] and [`server`]: flags, wiring and graceful shutdown; [`admin`]: the
//!   `chinwag accounts …` commands; [`portability`]: `chinwag export` and `chinwag import`.
//! - [`console`]: the operators' console behind `/api/admin/…` (site admins only): the
//!   per-second live numbers and the acts on accounts; its routes are [`routes::admin`].
//!
//! The wire protocol itself lives in the `chinwag-shared` crate; `docs/protocol.md` documents it.

pub mod admin;
pub mod admission;
pub mod auth;
pub mod cluster;
pub mod config;
pub mod console;
pub mod delivery;
pub mod fanout;
pub mod history;
pub mod hub;
pub mod logs;
pub mod metrics;
pub mod portability;
pub mod rate_limit;
pub mod routes;
pub mod server;
pub mod session;
pub mod store;

pub use config::Config;
pub use server::{ServeError, serve};
