//! `GET /socket`: the WebSocket endpoint.
//!
//! Validates the query (`room`, `after`, `username`) before upgrading, so a bad one is a plain
//! 400 rather than a socket that opens only to fail. A connection without `after` asks for
//! live messages from the moment it opens: the room's head is read *before* the 101 goes out,
//! and the session delivers everything stored after it, so a message sent right after the
//! client's `onopen` is never lost to the time the session takes to join. Then it upgrades with
//! actix-ws, caps frame and message size, and hands the connection to a [`Session`] task.

use super::{AppState, error::ApiFailure, frame_guard, request_limit::refusal};
use crate::hub::access::AccessError;
use crate::{
    admission::Permit,
    logs::{Clipped, Warning},
    session::{JoinRequest, LiveFrom, Session, Upgraded},
};
use actix_web::{HttpRequest, HttpResponse, web};
use chinwag_shared::{ClientToken, Epoch, MAX_FRAME_BYTES, RoomName, Username};
use serde::Deserialize;
use std::sync::Arc;

use super::describe::{responses::*, tag};

/// Query string of `/socket`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[derive(Debug, Deserialize)]
pub struct SocketQuery {
    /// The room to join first (`general` without it).
    #[param(value_type = Option<RoomName>)]
    room: Option<String>,
    /// Resume: deliver that room's records after this id, then live ones.
    after: Option<u64>,
    /// A guest's name (a signed-in connection speaks as its account).
    #[param(value_type = Option<Username>)]
    username: Option<String>,
    /// A guest browser's token, so its tabs may share a name.
    #[param(value_type = Option<ClientToken>)]
    token: Option<String>,
    /// The history epoch `after` was counted in.
    epoch: Option<Epoch>,
}

impl SocketQuery {
    fn initial_join(self) -> Result<JoinRequest, ApiFailure> {
        Ok(JoinRequest {
            room: match self.room {
                Some(room) => RoomName::parse(&room)?,
                None => RoomName::default_room(),
            },
            after: self.after,
            username: self.username.as_deref().map(Username::parse).transpose()?,
            token: self.token.as_deref().map(ClientToken::parse).transpose()?,
            epoch: self.epoch,
            live_from: LiveFrom::Join,
        })
    }
}

/// Upgrades to a WebSocket and starts its session.
///
/// The socket carries JSON text frames both ways; `docs/protocol.md` describes them. The
/// query is checked before the upgrade, so a bad one is a plain HTTP error.
#[utoipa::path(
    get,
    path = "/socket",
    tag = tag::SOCKET,
    params(SocketQuery),
    security((), ("session" = []), ("bearer" = []), ("access_token" = [])),
    responses(
        (status = 101, description = "Switching Protocols: the WebSocket is open."),
        BadRequest, Unauthenticated, Forbidden, TooManyRequests, Unavailable,
    )
)]
pub async fn socket(
    request: HttpRequest,
    body: web::Payload,
    query: web::Query<SocketQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    super::origin::check(&request, &state)?;
    let mut initial = query.into_inner().initial_join()?;
    // Who it is, and whether it may enter the room it names, before anything is upgraded:
    // a bad credential is a 401 and a private room a 403, never a socket that opens to fail.
    // A ban is the exception: the socket opens and its first join is refused `banned` on it.
    // A browser cannot read why an upgrade failed, and takes upgrades that keep failing for
    // a network that blocks WebSockets; told on the socket, it shows the ban and stays on
    // WebSockets for the person's other rooms.
    let principal = super::account::principal(&request, &state).await?;
    if principal.service().is_some() {
        return Err(ApiFailure::forbidden(
            chinwag_shared::ErrorCode::Forbidden,
            "an API key calls the HTTP API (read history with GET /api/rooms/{room}/messages, \
             long-polling with wait=); the WebSocket is for people",
        )
        .into());
    }
    let visitor = super::account::visitor(&request, &state, &principal, initial.username.as_ref());
    match state.hub.admit(&visitor, &initial.room).await {
        Ok(()) | Err(AccessError::Banned { .. }) => {}
        Err(err) => return Err(ApiFailure::from(err).into()),
    }
    let permit = admit(&request, &state)?;
    if initial.after.is_none() {
        initial.live_from = match state.hub.head(&initial.room).await {
            Ok(head) => LiveFrom::Head(head),
            Err(err) => {
                let room = Clipped::new(initial.room.as_str());
                tracing::warn!(error = %err, %room, "room head unreadable at upgrade");
                LiveFrom::Unknown
            }
        };
    }
    let client = state.trusted_proxies.client_ip(&request);
    // actix-http checks a frame's size only once its whole payload is in; refuse it from the
    // header instead (see `frame_guard`).
    let body = frame_guard::guard(&request, body, MAX_FRAME_BYTES)?;
    let (response, ws, stream) = actix_ws::handle(&request, body)?;
    let frames = stream
        .max_frame_size(MAX_FRAME_BYTES)
        .aggregate_continuations()
        .max_continuation_size(MAX_FRAME_BYTES);
    let upgraded = Upgraded {
        peer: Some(std::net::SocketAddr::new(
            client,
            request.peer_addr().map_or(0, |peer| peer.port()),
        )),
        permit,
        principal,
    };
    let session = Session::new(
        state.hub.clone(),
        Arc::clone(&state.session_context),
        ws,
        upgraded,
    );
    // No `tracing` span around the session: entering one on every poll cost ~5 % of the
    // per-frame CPU; the session's events name it (`session = id`) instead.
    state
        .sessions
        .spawn_local(session.run(frames, Box::new(initial)));
    Ok(response)
}

/// Takes a connection slot for the request's peer, or says why not (503 / 429).
fn admit(request: &HttpRequest, state: &AppState) -> Result<Permit, ApiFailure> {
    let address = state.trusted_proxies.client_ip(request);
    state.admission.admit(address).map_err(|refused| {
        if state
            .peer_warnings
            .admit(address, Warning::ConnectionRefused)
        {
            tracing::warn!(peer = %address, ?refused, "refused a connection");
        }
        refusal(refused, "connections")
    })
}
