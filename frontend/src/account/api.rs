//! The identity-and-access routes of the HTTP API: who is signed in, signing up, in and out,
//! the password, access tokens, private rooms, direct messages and room members.
//!
//! The session is an HttpOnly cookie: this code never sees it. Every request goes with
//! `credentials: same-origin`, so the browser attaches the cookie (and stores the one a
//! sign-in sets) on its own. A refusal comes back as [`ApiFailure`] with the server's
//! `{code, detail}` and, for a rate limit, its `Retry-After`; "nobody is signed in" is an
//! expected answer of [`me`], so it is `Ok(None)`, not an error.

use super::failure::ApiFailure;
use chinwag_shared::{
    ApiError, ErrorCode, RoomName, Username,
    account::{AuthPolicy, Credentials, Me, NewDm, NewRoom, RoomInfo},
};
// The password, tokens and members panels' routes, in the panels' bundle (`crate::panels`).
#[cfg(any(feature = "panels", feature = "console", test))]
use chinwag_shared::account::{CreatedToken, Member, NewToken, PasswordChange, TokenInfo};
use gloo::net::http::{Request, RequestBuilder, Response};
use serde::{Serialize, de::DeserializeOwned};
use web_sys::RequestCredentials;

/// HTTP 401 Unauthorized.
const UNAUTHORIZED: u16 = 401;

/// HTTP 404 Not Found.
const NOT_FOUND: u16 = 404;

/// What the server allows. A server from before accounts has no such route (404): it takes
/// guests only.
pub async fn auth_policy() -> Result<AuthPolicy, ApiFailure> {
    match fetch(Request::get("/api/auth"), None::<&()>).await {
        Err(failure @ ApiFailure::Refused { status, .. }) => {
            if status == NOT_FOUND {
                Ok(AuthPolicy {
                    guests: true,
                    sign_up: false,
                })
            } else {
                Err(failure)
            }
        }
        other => read(other?).await,
    }
}

/// Who this browser is signed in as; `None` when nobody is.
pub async fn me() -> Result<Option<Me>, ApiFailure> {
    match fetch(Request::get("/api/me"), None::<&()>).await {
        Ok(response) => read(response).await.map(Some),
        Err(failure) if is_signed_out(&failure) => Ok(None),
        Err(failure) => Err(failure),
    }
}

/// Whether a refusal means only that nobody is signed in.
fn is_signed_out(failure: &ApiFailure) -> bool {
    matches!(failure, ApiFailure::Refused { status: UNAUTHORIZED, code, .. }
        if code.is_none_or(|code| code == ErrorCode::Unauthenticated))
}

/// Creates an account and signs this browser in as it.
pub async fn sign_up(credentials: &Credentials) -> Result<Me, ApiFailure> {
    read(fetch(Request::post("/api/accounts"), Some(credentials)).await?).await
}

/// Signs this browser in.
pub async fn sign_in(credentials: &Credentials) -> Result<Me, ApiFailure> {
    read(fetch(Request::post("/api/session"), Some(credentials)).await?).await
}

/// Signs this browser out.
pub async fn sign_out() -> Result<(), ApiFailure> {
    fetch(Request::delete("/api/session"), None::<&()>)
        .await
        .map(drop)
}

/// Signs every browser and program of this account out (access tokens stay).
pub async fn sign_out_everywhere() -> Result<(), ApiFailure> {
    fetch(Request::delete("/api/sessions"), None::<&()>)
        .await
        .map(drop)
}

/// Changes the password; the account's other sessions are signed out, this one stays.
#[cfg(any(feature = "panels", feature = "console", test))]
pub async fn change_password(change: &PasswordChange) -> Result<(), ApiFailure> {
    fetch(Request::put("/api/password"), Some(change))
        .await
        .map(drop)
}

/// The account's access tokens (never their secrets).
#[cfg(any(feature = "panels", feature = "console", test))]
pub async fn tokens() -> Result<Vec<TokenInfo>, ApiFailure> {
    read(fetch(Request::get("/api/tokens"), None::<&()>).await?).await
}

/// Creates an access token; its secret is in the answer and nowhere else, ever.
#[cfg(any(feature = "panels", feature = "console", test))]
pub async fn create_token(token: &NewToken) -> Result<CreatedToken, ApiFailure> {
    read(fetch(Request::post("/api/tokens"), Some(token)).await?).await
}

/// Revokes the access token `id`.
#[cfg(any(feature = "panels", feature = "console", test))]
pub async fn revoke_token(id: &str) -> Result<(), ApiFailure> {
    let url = format!("/api/tokens/{}", js_sys::encode_uri_component(id));
    fetch(Request::delete(&url), None::<&()>).await.map(drop)
}

/// The private rooms and direct messages this account is a member of, with its unread
/// counts in each.
pub async fn my_rooms() -> Result<Vec<RoomInfo>, ApiFailure> {
    read(fetch(Request::get("/api/me/rooms"), None::<&()>).await?).await
}

/// Creates a private room owned by this account.
pub async fn create_private_room(name: &RoomName) -> Result<RoomInfo, ApiFailure> {
    let body = NewRoom {
        name: name.to_string(),
        private: true,
        owner: None,
    };
    read(fetch(Request::post("/api/rooms"), Some(&body)).await?).await
}

/// The direct-message room between this account and `with` (the same room every time).
pub async fn open_dm(with: &Username) -> Result<RoomInfo, ApiFailure> {
    let body = NewDm {
        username: with.to_string(),
    };
    read(fetch(Request::post("/api/dms"), Some(&body)).await?).await
}

/// The members of the private room `room`.
#[cfg(any(feature = "panels", feature = "console", test))]
pub async fn members(room: &RoomName) -> Result<Vec<Member>, ApiFailure> {
    read(fetch(Request::get(&members_url(room)), None::<&()>).await?).await
}

/// Adds `who` to the private room `room` (its owner only).
#[cfg(any(feature = "panels", feature = "console", test))]
pub async fn add_member(room: &RoomName, who: &Username) -> Result<(), ApiFailure> {
    let url = member_url(room, who);
    fetch(Request::put(&url), None::<&()>).await.map(drop)
}

/// Removes `who` from the private room `room` (its owner only).
#[cfg(any(feature = "panels", feature = "console", test))]
pub async fn remove_member(room: &RoomName, who: &Username) -> Result<(), ApiFailure> {
    let url = member_url(room, who);
    fetch(Request::delete(&url), None::<&()>).await.map(drop)
}

#[cfg(any(feature = "panels", feature = "console", test))]
fn members_url(room: &RoomName) -> String {
    format!(
        "/api/rooms/{}/members",
        js_sys::encode_uri_component(room.as_str())
    )
}

#[cfg(any(feature = "panels", feature = "console", test))]
fn member_url(room: &RoomName, who: &Username) -> String {
    format!(
        "{}/{}",
        members_url(room),
        js_sys::encode_uri_component(who.as_str())
    )
}

/// Sends `request` (with `body` as JSON, if any) with the session cookie; a non-2xx answer
/// becomes [`ApiFailure::Refused`].
///
/// Only the body's encoding is compiled per type: the request and the wait for its answer
/// are one function ([`send`]) for every route.
pub(crate) fn fetch<B: Serialize + ?Sized>(
    request: RequestBuilder,
    body: Option<&B>,
) -> impl Future<Output = Result<Response, ApiFailure>> {
    send(request, body.map(serde_json::to_string))
}

/// [`fetch`] with the body encoded (or not: its error is the request's).
async fn send(
    request: RequestBuilder,
    body: Option<serde_json::Result<String>>,
) -> Result<Response, ApiFailure> {
    let network = |err: gloo::net::Error| ApiFailure::Network(err.to_string());
    let request = request.credentials(RequestCredentials::SameOrigin);
    let response = match body {
        // What gloo's `RequestBuilder::json` does once it has the text.
        Some(body) => {
            let body = body.map_err(|err| network(err.into()))?;
            request
                .header("Content-Type", "application/json")
                .body(body)
                .map_err(network)?
                .send()
                .await
        }
        None => request.send().await,
    }
    .map_err(network)?;
    if response.ok() {
        return Ok(response);
    }
    let retry_after = response.headers().get("Retry-After");
    let body = crate::http_body::json::<ApiError>(&response).await.ok();
    Err(ApiFailure::refused(
        response.status(),
        body,
        retry_after.as_deref(),
    ))
}

/// The JSON body of a successful answer.
pub(crate) async fn read<T: DeserializeOwned>(response: Response) -> Result<T, ApiFailure> {
    let text = crate::http_body::text(&response)
        .await
        .map_err(unexpected_answer)?;
    crate::http_body::parse(&text).map_err(unexpected_answer)
}

/// A body that could not be read, or not as what was asked for.
fn unexpected_answer(err: gloo::net::Error) -> ApiFailure {
    ApiFailure::Network(format!("unexpected answer: {err}"))
}
