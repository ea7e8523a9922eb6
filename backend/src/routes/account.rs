//! The account routes: sign up, sign in, sign out (here or everywhere), who am I, the
//! password, and the identity policy.
//!
//! - `GET /api/auth`: what the server allows ([`AuthPolicy`](chinwag_shared::account::AuthPolicy)).
//! - `POST /api/accounts` `{"username","password"}`: 201 and the session cookie; 409
//!   `username_taken` (a look-alike counts), 400 `invalid_username` / `weak_password`.
//! - `POST /api/session` `{"username","password"}`: 200 and the cookie; 401 `bad_credentials`
//!   for a wrong name or password alike; 429 `rate_limited` with `Retry-After` once locked;
//!   403 `account_disabled` (the password was right) for an account an admin disabled.
//! - `DELETE /api/session`: signs this session out (or revokes the access token used).
//! - `DELETE /api/sessions`: signs out every session of the account.
//! - `GET /api/me`: who the request is; 401 `unauthenticated` for a guest.
//! - `PUT /api/password` `{"current","new"}`: 204; the account's other sessions end.
//!
//! Handlers only translate: the work and the rules are `auth::Auth`'s.

use super::{AppState, error::ApiFailure};
use crate::{
    auth::{AuthError, Identity, Principal, cookie},
    logs::Warning,
    metrics::OutcomeLabel,
};
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use chinwag_shared::account::{Credentials, Me, PasswordChange};
use std::sync::Arc;

use super::describe::{responses::*, tag};
use chinwag_shared::account::AuthPolicy;

/// Who `request` is, or the refusal (401 for a bad credential, or a guest where guests are
/// off).
pub async fn principal(request: &HttpRequest, state: &AppState) -> Result<Principal, ApiFailure> {
    Ok(state.auth.principal(request).await?)
}

/// `principal` as the hub judges it: with the client's address, and (for a guest) the name it
/// uses when it gave one.
pub fn visitor<'a>(
    request: &HttpRequest,
    state: &AppState,
    principal: &'a Principal,
    name: Option<&'a chinwag_shared::Username>,
) -> crate::hub::rules::Visitor<'a> {
    crate::hub::rules::Visitor {
        principal,
        address: state.trusted_proxies.client_ip(request),
        name,
    }
}

/// The signed-in identity of `request`, or 401 `unauthenticated`.
pub async fn signed_in(
    request: &HttpRequest,
    state: &AppState,
) -> Result<Arc<Identity>, ApiFailure> {
    match principal(request, state).await? {
        Principal::Account(identity) => Ok(identity),
        Principal::Service(_) => Err(AuthError::NotAPerson.into()),
        Principal::Guest => Err(crate::auth::AuthError::Unauthenticated(
            "sign in first (no session, access token or JWT came with the request)",
        )
        .into()),
    }
}

/// What the server allows: guests, sign-up.
#[utoipa::path(
    get,
    path = "/api/auth",
    tag = tag::ACCOUNTS,
    security(()),
    responses((status = 200, description = "The policy.", body = AuthPolicy))
)]
pub async fn policy(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(state.auth.policy())
}

/// Creates an account and signs it in.
#[utoipa::path(
    post,
    path = "/api/accounts",
    tag = tag::ACCOUNTS,
    security(()),
    request_body = Credentials,
    responses(
        (status = 201, description = "Created; the session cookie is set.", body = Me,
         headers(("Set-Cookie" = String, description = "The session cookie."))),
        (status = 400, description = "`invalid_username`, `weak_password`, `bad_message`.",
         body = ApiError),
        (status = 409, description = "`username_taken`: an account has this name or one \
                                      that looks like it.", body = ApiError),
        Forbidden, TooManyRequests, Unavailable,
    )
)]
pub async fn sign_up(
    request: HttpRequest,
    body: web::Json<Credentials>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let Credentials { username, password } = body.into_inner();
    let address = state.trusted_proxies.client_ip(&request);
    let (identity, secret) = state.auth.sign_up(address, &username, password).await?;
    Ok(with_session(HttpResponse::Created(), &state, secret).json(identity.me(false)))
}

/// Signs in with a name and password.
#[utoipa::path(
    post,
    path = "/api/session",
    tag = tag::ACCOUNTS,
    security(()),
    request_body = Credentials,
    responses(
        (status = 200, description = "Signed in; the session cookie is set.", body = Me,
         headers(("Set-Cookie" = String, description = "The session cookie."))),
        (status = 401, description = "`bad_credentials`: a wrong name or password alike.",
         body = ApiError),
        (status = 429, description = "`rate_limited`: too many failures; `Retry-After` says \
                                      when to try again.", body = ApiError,
         headers(("Retry-After" = u64, description = "Seconds to wait."))),
        BadRequest, Forbidden, Unavailable,
    )
)]
pub async fn sign_in(
    request: HttpRequest,
    body: web::Json<Credentials>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let Credentials { username, password } = body.into_inner();
    let address = state.trusted_proxies.client_ip(&request);
    let outcome = state.auth.sign_in(address, &username, password).await;
    let label = match &outcome {
        Ok(_) => "ok",
        Err(AuthError::BadCredentials) => "bad_credentials",
        Err(AuthError::Locked(_)) => "locked",
        Err(AuthError::Disabled) => "disabled",
        Err(_) => "failed",
    };
    let sign_ins = &state.hub.metrics().sign_ins;
    sign_ins
        .get_or_create(&OutcomeLabel { outcome: label })
        .inc();
    if let Err(AuthError::Locked(wait)) = &outcome
        && state.peer_warnings.admit(address, Warning::SignInLocked)
    {
        // The address, never the name tried or anything typed as a password.
        tracing::warn!(peer = %address, retry_after_secs = wait.as_secs(), "sign-in locked out");
    }
    let (identity, secret) = outcome?;
    let me = me_of(&state, &identity).await?;
    Ok(with_session(HttpResponse::Ok(), &state, secret).json(me))
}

/// The response builder with the session cookie for `secret` set.
fn with_session(
    mut response: actix_web::HttpResponseBuilder,
    state: &AppState,
    secret: String,
) -> actix_web::HttpResponseBuilder {
    let settings = state.auth.settings();
    response.cookie(cookie::session(
        secret,
        settings.session_ttl,
        settings.secure_cookies,
    ));
    response
}

/// Signs this session out (or revokes the access token used); the cookie is cleared.
///
/// Never fails for want of a session: a guest gets the cookie cleared too.
#[utoipa::path(
    delete,
    path = "/api/session",
    tag = tag::ACCOUNTS,
    security((), ("session" = []), ("bearer" = []), ("access_token" = [])),
    responses(
        (status = 204, description = "Signed out; the cookie is cleared.",
         headers(("Set-Cookie" = String, description = "The cleared session cookie."))),
        Forbidden, Unavailable,
    )
)]
pub async fn sign_out(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    // Whoever asks (a stale cookie where guests are off included) gets the cookie cleared:
    // signing out never fails for want of a session. A key has none to end: refused, so a
    // backend does not believe it revoked itself.
    match state.auth.principal(&request).await {
        Ok(Principal::Account(identity)) => state.auth.sign_out(&identity).await?,
        Ok(Principal::Service(_)) => return Err(AuthError::NotAPerson.into()),
        Ok(Principal::Guest) | Err(_) => {}
    }
    Ok(forget_cookie(&state))
}

/// Signs out every session of the account.
#[utoipa::path(
    delete,
    path = "/api/sessions",
    tag = tag::ACCOUNTS,
    responses(
        (status = 204, description = "Every session ended; this one's cookie is cleared."),
        Unauthenticated, Forbidden, Unavailable,
    )
)]
pub async fn sign_out_everywhere(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let identity = signed_in(&request, &state).await?;
    state
        .auth
        .sign_out_sessions(&identity.account, None)
        .await?;
    Ok(forget_cookie(&state))
}

fn forget_cookie(state: &AppState) -> HttpResponse {
    HttpResponse::NoContent()
        .cookie(cookie::cleared(state.auth.settings().secure_cookies))
        .finish()
}

/// Who the request is.
#[utoipa::path(
    get,
    path = "/api/me",
    tag = tag::ACCOUNTS,
    responses(
        (status = 200, description = "The signed-in account.", body = Me),
        Unauthenticated, Unavailable,
    )
)]
pub async fn me(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let identity = signed_in(&request, &state).await?;
    Ok(HttpResponse::Ok().json(me_of(&state, &identity).await?))
}

/// What `GET /api/me` says about `identity`: its name, how it signed in, and whether it is a
/// site admin (so the client knows to offer the console).
async fn me_of(state: &AppState, identity: &Arc<Identity>) -> Result<Me, ApiFailure> {
    let principal = Principal::Account(Arc::clone(identity));
    Ok(identity.me(state.hub.is_site_admin(&principal).await?))
}

/// Changes the password; the account's other sessions end.
#[utoipa::path(
    put,
    path = "/api/password",
    tag = tag::ACCOUNTS,
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed."),
        (status = 400, description = "`weak_password`, `bad_message`.", body = ApiError),
        (status = 401, description = "`unauthenticated`, or `bad_credentials` (the current \
                                      password is wrong).", body = ApiError),
        TooManyRequests, Forbidden, Unavailable,
    )
)]
pub async fn change_password(
    request: HttpRequest,
    body: web::Json<PasswordChange>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let identity = signed_in(&request, &state).await?;
    let PasswordChange { current, new } = body.into_inner();
    let address = state.trusted_proxies.client_ip(&request);
    state
        .auth
        .change_password(address, &identity, current, new)
        .await?;
    Ok(HttpResponse::build(StatusCode::NO_CONTENT).finish())
}
