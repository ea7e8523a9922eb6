//! The operators' console behind `/admin`: what the server measures and does for it.
//!
//! - [`live`]: the per-second samples of this node (connections by transport, rooms,
//!   messages, deliveries and their p95 latency, slow-consumer cuts, refusals by code, store
//!   readiness) and the nodes of the cluster, kept for the last 15 minutes and streamed to
//!   each watcher of `GET /api/admin/live`.
//! - [`accounts`]: disabling, enabling, signing out everywhere, granting and revoking admin,
//!   each in the site's audit log.
//!
//! The routes are `routes::admin`, behind the one "site admins only" guard; the numbers come
//! from [`crate::metrics`] and the hub (its open connections, the node registry), so the
//! console costs the message path nothing it did not already pay.

pub mod accounts;
pub mod live;
