//! The server API's keys, for backends (site admins only, judged by the console's one
//! extractor [`SiteAdmin`]: signed in by session, access token or an admin's JWT; a key never
//! manages keys, 403). Creating and revoking one lands in the site audit log:
//!
//! - `POST /api/keys` `{"name","scopes":[…]}`: 201 with the key's secret, shown this once,
//!   and its listing (`{"key","id","name","scopes","created_by","created"}`); 400
//!   `bad_message` for a bad name, no scopes or an unknown scope; 409 `too_many` past the
//!   server's bound (`store::api_keys::MAX_API_KEYS`).
//! - `GET /api/keys`: every key, oldest first, never a secret.
//! - `DELETE /api/keys/{id}`: revokes it (204; 404 if there is none such). It stops working
//!   through this node at once, through the others within the credential cache's TTL.
//!
//! A backend sends its key as `Authorization: Bearer cwk_…` to the ordinary routes, and the
//! hub judges its scopes where it judges everything else (`hub::scopes::require_scope`).
//! Posting as a bot is `POST /api/rooms/{room}/messages` (`routes::posting`), which judges
//! bot names too.

use super::{
    AppState,
    admin::SiteAdmin,
    describe::{
        params::KeyPath,
        responses::{BadRequest, Forbidden, Unauthenticated, Unavailable},
        tag,
    },
    error::ApiFailure,
};
use actix_web::{HttpResponse, http::StatusCode, web};
use chinwag_shared::{
    ApiError, ErrorCode,
    api_keys::{ApiKeyView, CreatedApiKey, NewApiKey},
    moderation::AuditAction,
};

/// Makes an API key for a backend and shows its secret this once (site admins).
#[utoipa::path(
    post,
    path = "/api/keys",
    operation_id = "create_api_key",
    tag = tag::KEYS,
    request_body = NewApiKey,
    responses(
        (status = 201, description = "The key, with its secret shown this once.", body = CreatedApiKey),
        BadRequest, Unauthenticated, Forbidden, Unavailable,
    )
)]
pub async fn create(
    admin: SiteAdmin,
    body: web::Json<NewApiKey>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let NewApiKey { name, scopes } = body.into_inner();
    let (view, key) = state.auth.create_api_key(&admin.0, &name, &scopes).await?;
    state
        .hub
        .record_site_act(
            &admin.0.name,
            AuditAction::CreateKey,
            None,
            key_detail(&view),
        )
        .await;
    Ok(HttpResponse::Created().json(CreatedApiKey { key, view }))
}

/// Every API key, oldest first, never with its secret (site admins).
#[utoipa::path(
    get,
    path = "/api/keys",
    operation_id = "list_api_keys",
    tag = tag::KEYS,
    responses(
        (status = 200, description = "The keys.", body = Vec<ApiKeyView>),
        Unauthenticated, Forbidden, Unavailable,
    )
)]
pub async fn list(
    _admin: SiteAdmin,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    Ok(HttpResponse::Ok().json(state.auth.api_keys().await?))
}

/// Revokes an API key (site admins): refused at once here, within the credential cache's
/// lifetime on other nodes.
#[utoipa::path(
    delete,
    path = "/api/keys/{id}",
    operation_id = "revoke_api_key",
    tag = tag::KEYS,
    params(KeyPath),
    responses(
        (status = 204, description = "Revoked."),
        (status = 404, description = "No key has that id.", body = ApiError),
        Unauthenticated, Forbidden, Unavailable,
    )
)]
pub async fn revoke(
    admin: SiteAdmin,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    if state.auth.revoke_api_key(&admin.0, &id).await? {
        state
            .hub
            .record_site_act(
                &admin.0.name,
                AuditAction::RevokeKey,
                None,
                format!("key {}", id.as_str()),
            )
            .await;
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiFailure::with_status(
            StatusCode::NOT_FOUND,
            ErrorCode::BadQuery,
            "there is no API key with that id",
        ))
    }
}

/// What the site audit log says of a new key: its id, name and scopes (never its secret).
fn key_detail(view: &ApiKeyView) -> String {
    let scopes: Vec<&str> = view.scopes.iter().map(|scope| scope.as_str()).collect();
    format!("key {} \"{}\" ({})", view.id, view.name, scopes.join(", "))
}
