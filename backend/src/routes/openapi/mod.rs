//! `GET /api/openapi.json`: the OpenAPI description of the whole HTTP API, generated from
//! the code.
//!
//! Each handler carries a `#[utoipa::path(...)]` above it: method, path, parameters, body,
//! every answer with its schema, who may call it (`security`) and its area (`tag`); its
//! summary is the first paragraph of its `///` doc. The wire types' schemas come from
//! `chinwag_shared` (its `openapi` feature, which only the server turns on), the common
//! error answers, path parameters and tags from [`super::describe`].
//! [`ApiDoc`] gathers the handlers, and the document is built and serialized once, when the
//! routes are configured, then served from memory.
//!
//! A route is registered in `routes::register` (through `routes::router::Router`) *and*
//! described here; the unit tests compare the two sets, both ways, so neither can drift.
//! The files `server.rs` serves (the browser client, the seed page) are not the API, and are
//! in neither.

#[cfg(test)]
mod tests;

use super::{
    account, admin, api, describe::tag, health, keys, moderation, posting, private_rooms,
    sanctions, socket, tokens,
};
use actix_web::{HttpResponse, http::header::ContentType, web::Bytes};
use chinwag_shared::{
    ApiError, ClientToken, Epoch, RoomName, Username,
    account::{ACCESS_TOKEN_PARAM, SESSION_COOKIE},
};
use std::sync::LazyLock;
use utoipa::{
    Modify, OpenApi,
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
};

/// The description, gathered from the handlers' annotations.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Chinwag",
        description = "Chinwag's HTTP API: history, posting and long-polling, accounts and \
                       tokens, private rooms, moderation, API keys for backends, the \
                       operators' console, health. The WebSocket protocol \
                       spoken on `/socket` and every error `code` are described in \
                       `docs/protocol.md`."
    ),
    paths(
        socket::socket,
        health::healthz,
        health::livez,
        health::readyz,
        health::metrics,
        document,
        account::policy,
        account::sign_up,
        account::sign_in,
        account::sign_out,
        account::sign_out_everywhere,
        account::me,
        account::change_password,
        tokens::list,
        tokens::create,
        tokens::revoke,
        private_rooms::mine,
        private_rooms::open_dm,
        private_rooms::create,
        private_rooms::members,
        private_rooms::add_member,
        private_rooms::remove_member,
        api::rooms,
        api::messages,
        posting::post_message,
        posting::typing,
        posting::presence,
        moderation::delete_message,
        moderation::edit_message,
        moderation::patch_room,
        moderation::settings,
        moderation::set_owner,
        moderation::add_moderator,
        moderation::remove_moderator,
        moderation::audit,
        moderation::mark_read,
        sanctions::mute,
        sanctions::unmute,
        sanctions::ban,
        sanctions::unban,
        sanctions::kick,
        sanctions::site_mute,
        sanctions::site_unmute,
        sanctions::site_ban,
        sanctions::site_unban,
        sanctions::sanctions,
        keys::create,
        keys::list,
        keys::revoke,
        admin::live::live,
        admin::rooms::rooms,
        admin::accounts::search,
        admin::accounts::disable,
        admin::accounts::enable,
        admin::accounts::sign_out_everywhere,
        admin::accounts::grant_admin,
        admin::accounts::revoke_admin,
        admin::accounts::connections,
        admin::site::sanctions,
        admin::site::audit,
    ),
    // Schemas used only by parameters: `IntoParams` refers to them without collecting them.
    components(schemas(ApiError, ClientToken, Epoch, RoomName, Username)),
    modifiers(&Credentials),
    // A route says nothing of security when it needs a signed-in account, the most common
    // case; a route open to guests or to anyone says so itself.
    security(("session" = []), ("bearer" = []), ("access_token" = [])),
    tags(
        (name = tag::SOCKET, description = "The WebSocket: live messages both ways."),
        (name = tag::HISTORY, description = "Rooms, history pages, polling and long-polling, \
                                             posting, typing, presence, read markers."),
        (name = tag::ACCOUNTS, description = "Sign up, sign in and out, who am I, the password."),
        (name = tag::TOKENS, description = "Personal access tokens, for programs."),
        (name = tag::PRIVATE_ROOMS, description = "Private rooms, their members, direct messages."),
        (name = tag::MODERATION, description = "Deleting and editing, room settings and roles, \
                                                mutes, bans, kicks, the audit log."),
        (name = tag::HEALTH, description = "Probes, metrics and this description."),
        (name = tag::KEYS, description = "The server API's keys, for backends (site admins)."),
        (name = tag::CONSOLE, description = "The operators' console: live numbers, rooms, \
                                             accounts, site sanctions and audit (site admins)."),
    )
)]
pub struct ApiDoc;

/// The ways a request proves who it is (`auth`): the session cookie, an `Authorization:
/// Bearer` token, or the `access_token` query parameter where no header can be set.
struct Credentials;

impl Modify for Credentials {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                SESSION_COOKIE,
                "The browser session, set by sign-up and sign-in.",
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A personal access token (`POST /api/tokens`), a session token, a \
                         JWT from the application Chinwag is embedded in, or a backend's API \
                         key (`POST /api/keys`, `cwk_…`; only in this header, and only for \
                         the calls its scopes open).",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "access_token",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                ACCESS_TOKEN_PARAM,
                "Any bearer credential but an API key, where no header can be set (a \
                 browser's WebSocket).",
            ))),
        );
    }
}

/// The description as JSON, built once.
static DOCUMENT: LazyLock<Result<Bytes, String>> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_json()
        .map(Bytes::from)
        .map_err(|err| err.to_string())
});

/// Builds the description now (at start), so no request pays for it and a failure shows in
/// the log at once.
pub fn build_now() {
    if let Err(err) = &*DOCUMENT {
        tracing::error!(error = %err, "the OpenAPI description could not be serialized");
    }
}

/// The OpenAPI description of this API (this document).
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    operation_id = "openapi_description",
    tag = tag::HEALTH,
    security(()),
    responses(
        (status = 200, description = "The OpenAPI 3.1 description, as JSON.",
         content_type = "application/json", body = Object),
        (status = 500, description = "The description could not be built (logged at start)."),
    )
)]
pub async fn document() -> HttpResponse {
    match &*DOCUMENT {
        Ok(json) => HttpResponse::Ok()
            .insert_header(ContentType::json())
            .body(json.clone()),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}
