//! The error answers many routes share, as `utoipa::IntoResponses` sets: a route's
//! `responses(...)` names the ones it can give (`BadRequest, Unauthenticated, Unavailable`)
//! instead of spelling out the same status, text and body again. Each is an [`ApiError`]
//! JSON body; the `code` says which refusal it is. Answers that mean something particular
//! on one route (a 409 `history_reset`, a 404 `no_such_user`) are written on that route.

use utoipa::IntoResponses;

/// The body of every error, re-exported so a route's own error answers (`body = ApiError`)
/// need no import beyond this module's.
pub use chinwag_shared::ApiError;

/// 400.
#[derive(IntoResponses)]
#[response(
    status = 400,
    description = "The path, query or body breaks a rule: `bad_query`, `bad_message`, \
                   `invalid_room`, `invalid_username`, `invalid_client_id`, \
                   `empty_message`, `message_too_long`, `invalid_message`, …"
)]
pub struct BadRequest(pub ApiError);

/// 401.
#[derive(IntoResponses)]
#[response(
    status = 401,
    description = "`unauthenticated`: a signed-in account is needed (or guests are off), or \
                   the bearer token or `access_token` sent is unknown, expired or badly signed."
)]
pub struct Unauthenticated(pub ApiError);

/// 403.
#[derive(IntoResponses)]
#[response(
    status = 403,
    description = "The caller may not do this here: `forbidden` (a private room it is not \
                   in, a role it lacks), `banned`, `muted`, or `forbidden_origin` (a \
                   state-changing request from a page of another origin)."
)]
pub struct Forbidden(pub ApiError);

/// 404 `no_such_user`.
#[derive(IntoResponses)]
#[response(
    status = 404,
    description = "`no_such_user`: no account has that name."
)]
pub struct NoSuchUser(pub ApiError);

/// 409 `too_many` of a sanction.
#[derive(IntoResponses)]
#[response(
    status = 409,
    description = "`too_many`: the room (or the site) holds as many sanctions as allowed."
)]
pub struct TooManySanctions(pub ApiError);

/// 429.
#[derive(IntoResponses)]
#[response(
    status = 429,
    description = "Over a limit of this address: `rate_limited` (posts, sign-ins; \
                   `Retry-After` says when to try again) or `too_many_connections`.",
    headers(("Retry-After" = u64, description = "Seconds to wait before trying again."))
)]
pub struct TooManyRequests(pub ApiError);

/// 503.
#[derive(IntoResponses)]
#[response(
    status = 503,
    description = "`unavailable`: the store or presence failed for now; nothing was done, \
                   retry shortly. `too_many_connections` when the server is full."
)]
pub struct Unavailable(pub ApiError);
