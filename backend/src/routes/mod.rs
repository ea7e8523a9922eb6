//! HTTP routes: the WebSocket endpoint, the history API, health, and the operators' console
//! ([`admin`], site admins only).
//!
//! Handlers are thin: they parse the request into validated types, call the [`Hub`] and turn
//! the outcome into a response. [`AppState`] is what every handler shares.
//!
//! Every route is registered in one table (`register`) through a [`Router`], which keeps
//! its method and path, and every handler carries a `#[utoipa::path]` describing it: the
//! OpenAPI description served at `GET /api/openapi.json` ([`openapi`]) is generated from
//! those, and a unit test checks it lists exactly the routes of the table. A new route takes
//! three steps: `router.get(path, handler)` (or `post`, `put`, `patch`, `delete`) in
//! `register`; a `#[utoipa::path(...)]` above the handler with the same method and path (its
//! first doc paragraph is the summary; `tag`, `params`, `request_body`, and `responses` with
//! the shared sets of `describe::responses`); the handler's name in `openapi::ApiDoc`'s
//! `paths(...)`. What `server.rs` serves besides (the browser client's files through
//! [`client_files`], its index at `/`, the seed lecture's page) is the web page, not the API,
//! and is in neither the table nor the description.

pub mod account;
pub mod admin;
pub mod api;
pub mod client_files;
pub mod client_ip;
pub mod describe;
pub mod error;
pub mod frame_guard;
pub mod health;
pub mod keys;
pub mod moderation;
pub mod openapi;
pub mod origin;
pub mod post_limit;
pub mod posting;
pub mod private_rooms;
pub mod request_limit;
pub mod router;
pub mod sanctions;
pub mod security;
pub mod socket;
pub mod tokens;

use crate::{
    admission::Admission, auth::Auth, hub::Hub, logs::PeerWarnings, session::SessionContext,
};
use actix_web::web;
use origin::OriginPolicy;
use router::{RouteEntry, Router};
use std::sync::Arc;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

/// State shared by every handler.
pub struct AppState {
    /// The hub every session and handler talks to.
    pub hub: Arc<Hub>,
    /// Identity: who each request is, and the account operations.
    pub auth: Arc<Auth>,
    /// What every WebSocket session shares: its limits, identity, warning budgets.
    pub session_context: Arc<SessionContext>,
    /// Cancelled when the server starts shutting down; sessions close with 1001.
    pub shutdown: CancellationToken,
    /// Every running session task, so shutdown can wait for their close frames.
    pub sessions: TaskTracker,
    /// Connection caps, total and per address.
    pub admission: Admission,
    /// Which browser pages may open sockets and change state.
    pub origin_policy: OriginPolicy,
    /// Rate limits of HTTP posts, per address.
    pub post_limits: post_limit::PostLimits,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: client_ip::TrustedProxies,
    /// Per-address caps of plain HTTP: requests in flight, long-polls, body deadline.
    pub request_limits: Arc<request_limit::RequestLimits>,
    /// Budgets of warning lines per client address; sessions share it.
    pub peer_warnings: Arc<PeerWarnings>,
    /// The console's live numbers, sampled each second.
    pub live: Arc<crate::console::live::Live>,
}

/// Registers every route with actix (through a [`Router`], which also keeps the table).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(error::query_config())
        .app_data(error::json_config());
    openapi::build_now();
    register(&mut Router::new(cfg));
}

/// Every route the server registers, by method and path, in registration order; what the
/// OpenAPI description is checked against.
pub fn route_table() -> Vec<RouteEntry> {
    let mut router = Router::listing();
    register(&mut router);
    router.routes().to_vec()
}

/// The route table. Each route here also has a `#[utoipa::path]` on its handler, listed in
/// `openapi::ApiDoc` (a unit test there names any route that has none).
fn register(router: &mut Router<'_>) {
    router
        .get("/socket", socket::socket)
        .get("/healthz", health::healthz)
        .get("/livez", health::livez)
        .get("/readyz", health::readyz)
        .get("/metrics", health::metrics)
        .get("/api/openapi.json", openapi::document)
        .get("/api/auth", account::policy)
        .post("/api/accounts", account::sign_up)
        .post("/api/session", account::sign_in)
        .delete("/api/session", account::sign_out)
        .delete("/api/sessions", account::sign_out_everywhere)
        .get("/api/me", account::me)
        .put("/api/password", account::change_password)
        .get("/api/tokens", tokens::list)
        .post("/api/tokens", tokens::create)
        .delete("/api/tokens/{id}", tokens::revoke)
        .get("/api/keys", keys::list)
        .post("/api/keys", keys::create)
        .delete("/api/keys/{id}", keys::revoke)
        .get("/api/me/rooms", private_rooms::mine)
        .post("/api/dms", private_rooms::open_dm)
        .post("/api/rooms", private_rooms::create)
        .get("/api/rooms/{room}/members", private_rooms::members)
        .put(
            "/api/rooms/{room}/members/{username}",
            private_rooms::add_member,
        )
        .delete(
            "/api/rooms/{room}/members/{username}",
            private_rooms::remove_member,
        )
        .get("/api/rooms", api::rooms)
        .get_compressed("/api/rooms/{room}/messages", api::messages)
        .post("/api/rooms/{room}/messages", posting::post_message)
        .post("/api/rooms/{room}/typing", posting::typing)
        .get("/api/rooms/{room}/presence", posting::presence);
    register_moderation(router);
    admin::register(router);
}

/// Registers the moderation and read-state routes (`moderation`, `sanctions`).
fn register_moderation(router: &mut Router<'_>) {
    let messages = "/api/rooms/{room}/messages/{id}";
    let moderators = "/api/rooms/{room}/moderators/{username}";
    let mutes = "/api/rooms/{room}/mutes/{username}";
    let bans = "/api/rooms/{room}/bans/{username}";
    router
        .delete(messages, moderation::delete_message)
        .patch(messages, moderation::edit_message)
        .patch("/api/rooms/{room}", moderation::patch_room)
        .get("/api/rooms/{room}/settings", moderation::settings)
        .put("/api/rooms/{room}/owner", moderation::set_owner)
        .put(moderators, moderation::add_moderator)
        .delete(moderators, moderation::remove_moderator)
        .put(mutes, sanctions::mute)
        .delete(mutes, sanctions::unmute)
        .put(bans, sanctions::ban)
        .delete(bans, sanctions::unban)
        .post("/api/rooms/{room}/kicks/{username}", sanctions::kick)
        .put("/api/site/mutes/{username}", sanctions::site_mute)
        .delete("/api/site/mutes/{username}", sanctions::site_unmute)
        .put("/api/site/bans/{username}", sanctions::site_ban)
        .delete("/api/site/bans/{username}", sanctions::site_unban)
        .get("/api/rooms/{room}/sanctions", sanctions::sanctions)
        .get("/api/rooms/{room}/audit", moderation::audit)
        .put("/api/rooms/{room}/read", moderation::mark_read);
}
