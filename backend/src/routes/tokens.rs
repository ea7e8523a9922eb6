//! Personal access tokens, for programs (bots, the terminal client, the load generator):
//! `GET /api/tokens` lists them (never their secrets), `POST /api/tokens` `{"name"}` makes one
//! and shows its secret this once (201), `DELETE /api/tokens/{id}` revokes one (204; 404 if
//! the account has none such). Programs send the secret as `Authorization: Bearer …`.

use super::{AppState, account::signed_in, error::ApiFailure};
use crate::store::accounts::TokenListing;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use chinwag_shared::{
    ErrorCode,
    account::{CreatedToken, NewToken, TokenInfo},
};

use super::describe::{params::*, responses::*, tag};

fn info(listing: TokenListing) -> TokenInfo {
    TokenInfo {
        id: listing.id,
        name: listing.name,
        created: listing.created,
    }
}

/// Lists the account's personal access tokens (never their secrets).
#[utoipa::path(
    get,
    path = "/api/tokens",
    operation_id = "list_tokens",
    tag = tag::TOKENS,
    responses(
        (status = 200, description = "The tokens.", body = Vec<TokenInfo>),
        Unauthenticated, Unavailable,
    )
)]
pub async fn list(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let identity = signed_in(&request, &state).await?;
    let tokens = state.hub.accounts().tokens(&identity.account).await?;
    let tokens: Vec<TokenInfo> = tokens.into_iter().map(info).collect();
    Ok(HttpResponse::Ok().json(tokens))
}

/// Makes a personal access token and shows its secret, this once.
#[utoipa::path(
    post,
    path = "/api/tokens",
    operation_id = "create_token",
    tag = tag::TOKENS,
    request_body = NewToken,
    responses(
        (status = 201, description = "Made: send `token` as `Authorization: Bearer …`.",
         body = CreatedToken),
        (status = 409, description = "`too_many`: the account holds as many tokens as \
                                      allowed.", body = ApiError),
        BadRequest, Unauthenticated, Forbidden, Unavailable,
    )
)]
pub async fn create(
    request: HttpRequest,
    body: web::Json<NewToken>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let identity = signed_in(&request, &state).await?;
    let (listing, token) = state.auth.create_token(&identity, &body.name).await?;
    Ok(HttpResponse::Created().json(CreatedToken {
        token,
        info: info(listing),
    }))
}

/// Revokes one of the account's tokens.
#[utoipa::path(
    delete,
    path = "/api/tokens/{id}",
    operation_id = "revoke_token",
    tag = tag::TOKENS,
    params(TokenPath),
    responses(
        (status = 204, description = "Revoked."),
        (status = 404, description = "`bad_query`: the account has no token with that id.",
         body = ApiError),
        Unauthenticated, Forbidden, Unavailable,
    )
)]
pub async fn revoke(
    request: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let identity = signed_in(&request, &state).await?;
    if state.auth.revoke_token(&identity, &id).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiFailure::with_status(
            StatusCode::NOT_FOUND,
            ErrorCode::BadQuery,
            "you have no access token with that id",
        ))
    }
}
