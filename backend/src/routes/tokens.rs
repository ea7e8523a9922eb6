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

fn info(listing: TokenListing) -> TokenInfo {
    TokenInfo {
        id: listing.id,
        name: listing.name,
        created: listing.created,
    }
}

/// `GET /api/tokens`.
pub async fn list(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let identity = signed_in(&request, &state).await?;
    let tokens = state.hub.accounts().tokens(&identity.account).await?;
    let tokens: Vec<TokenInfo> = tokens.into_iter().map(info).collect();
    Ok(HttpResponse::Ok().json(tokens))
}

/// `POST /api/tokens`.
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

/// `DELETE /api/tokens/{id}`.
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
