//! HTTP routes: the WebSocket endpoint, the history API, health, and the operators' console
//! ([`admin`], site admins only).
//!
//! Handlers are thin: they parse the request into validated types, call the [`Hub`] and turn
//! the outcome into a response. [`AppState`] is what every handler shares.

pub mod account;
pub mod admin;
pub mod api;
pub mod client_ip;
pub mod error;
pub mod frame_guard;
pub mod health;
pub mod keys;
pub mod moderation;
pub mod origin;
pub mod post_limit;
pub mod private_rooms;
pub mod request_limit;
pub mod sanctions;
pub mod security;
pub mod socket;
pub mod tokens;

use crate::{
    admission::Admission, auth::Auth, hub::Hub, logs::PeerWarnings, session::SessionLimits,
};
use actix_web::web;
use origin::OriginPolicy;
use std::sync::Arc;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

/// State shared by every handler.
pub struct AppState {
    /// The hub every session and handler talks to.
    pub hub: Arc<Hub>,
    /// Identity: who each request is, and the account operations.
    pub auth: Arc<Auth>,
    /// Limits applied to each new connection.
    pub limits: SessionLimits,
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

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(error::query_config())
        .app_data(error::json_config())
        .route("/socket", web::get().to(socket::socket))
        .route("/healthz", web::get().to(health::livez))
        .route("/livez", web::get().to(health::livez))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(health::metrics))
        .route("/api/auth", web::get().to(account::policy))
        .route("/api/accounts", web::post().to(account::sign_up))
        .route("/api/session", web::post().to(account::sign_in))
        .route("/api/session", web::delete().to(account::sign_out))
        .route(
            "/api/sessions",
            web::delete().to(account::sign_out_everywhere),
        )
        .route("/api/me", web::get().to(account::me))
        .route("/api/password", web::put().to(account::change_password))
        .route("/api/tokens", web::get().to(tokens::list))
        .route("/api/tokens", web::post().to(tokens::create))
        .route("/api/tokens/{id}", web::delete().to(tokens::revoke))
        .route("/api/keys", web::get().to(keys::list))
        .route("/api/keys", web::post().to(keys::create))
        .route("/api/keys/{id}", web::delete().to(keys::revoke))
        .route("/api/me/rooms", web::get().to(private_rooms::mine))
        .route("/api/dms", web::post().to(private_rooms::open_dm))
        .route("/api/rooms", web::post().to(private_rooms::create))
        .route(
            "/api/rooms/{room}/members",
            web::get().to(private_rooms::members),
        )
        .route(
            "/api/rooms/{room}/members/{username}",
            web::put().to(private_rooms::add_member),
        )
        .route(
            "/api/rooms/{room}/members/{username}",
            web::delete().to(private_rooms::remove_member),
        )
        .route("/api/rooms", web::get().to(api::rooms))
        .route("/api/rooms/{room}/messages", web::get().to(api::messages))
        .route(
            "/api/rooms/{room}/messages",
            web::post().to(api::post_message),
        )
        .route("/api/rooms/{room}/typing", web::post().to(api::typing))
        .route("/api/rooms/{room}/presence", web::get().to(api::presence));
    configure_moderation(cfg);
    admin::configure(cfg);
}

/// Registers the moderation and read-state routes (`moderation`).
fn configure_moderation(cfg: &mut web::ServiceConfig) {
    let messages = "/api/rooms/{room}/messages/{id}";
    let moderators = "/api/rooms/{room}/moderators/{username}";
    let mutes = "/api/rooms/{room}/mutes/{username}";
    let bans = "/api/rooms/{room}/bans/{username}";
    cfg.route(messages, web::delete().to(moderation::delete_message))
        .route(messages, web::patch().to(moderation::edit_message))
        .route("/api/rooms/{room}", web::patch().to(moderation::patch_room))
        .route(
            "/api/rooms/{room}/settings",
            web::get().to(moderation::settings),
        )
        .route(
            "/api/rooms/{room}/owner",
            web::put().to(moderation::set_owner),
        )
        .route(moderators, web::put().to(moderation::add_moderator))
        .route(moderators, web::delete().to(moderation::remove_moderator))
        .route(mutes, web::put().to(sanctions::mute))
        .route(mutes, web::delete().to(sanctions::unmute))
        .route(bans, web::put().to(sanctions::ban))
        .route(bans, web::delete().to(sanctions::unban))
        .route(
            "/api/rooms/{room}/kicks/{username}",
            web::post().to(sanctions::kick),
        )
        .route(
            "/api/site/mutes/{username}",
            web::put().to(sanctions::site_mute),
        )
        .route(
            "/api/site/mutes/{username}",
            web::delete().to(sanctions::site_unmute),
        )
        .route(
            "/api/site/bans/{username}",
            web::put().to(sanctions::site_ban),
        )
        .route(
            "/api/site/bans/{username}",
            web::delete().to(sanctions::site_unban),
        )
        .route(
            "/api/rooms/{room}/sanctions",
            web::get().to(sanctions::sanctions),
        )
        .route("/api/rooms/{room}/audit", web::get().to(moderation::audit))
        .route(
            "/api/rooms/{room}/read",
            web::put().to(moderation::mark_read),
        );
}
