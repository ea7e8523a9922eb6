//! Origin checks against cross-site WebSocket hijacking and cross-site requests.
//!
//! Browsers send `Origin` on WebSocket upgrades and on state-changing requests, and a page on
//! another site cannot forge it. A request is allowed when it has no `Origin` (non-browser
//! clients: bots, the terminal client), when its origin is the request's own host (the app
//! and the seed page served by this server), or when the origin is configured with
//! `--allowed-origin`. Everything else gets 403 `forbidden_origin`, whose body never quotes
//! the header (a reflected header is a free amplifier); the log line clips it ([`Clipped`])
//! and is budgeted per client address ([`Warning::ForbiddenOrigin`]).

use super::{AppState, error::ApiFailure};
use crate::logs::{Clipped, Warning};
use actix_web::{
    HttpRequest,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::{Method, header},
    middleware::Next,
};
use chinwag_shared::ErrorCode;

/// The origins a deployment allows besides its own host.
#[derive(Debug, Clone, Default)]
pub struct AllowedOrigins(pub Vec<String>);

impl AllowedOrigins {
    /// Checks `request`'s `Origin`.
    pub fn check(&self, request: &HttpRequest, state: &AppState) -> Result<(), ApiFailure> {
        let Some(origin) = request.headers().get(header::ORIGIN) else {
            return Ok(());
        };
        let raw = origin.as_bytes();
        let origin = origin.to_str().unwrap_or_default();
        let own_host = request
            .headers()
            .get(header::HOST)
            .and_then(|host| host.to_str().ok())
            .unwrap_or_default();
        let same_host = ["http://", "https://"]
            .iter()
            .any(|scheme| origin.strip_prefix(scheme) == Some(own_host));
        if same_host || self.0.iter().any(|allowed| allowed == origin) {
            return Ok(());
        }
        let client = state.trusted_proxies.client_ip(request);
        if state.peer_warnings.admit(client, Warning::ForbiddenOrigin) {
            let origin = Clipped::bytes(raw);
            tracing::warn!(%origin, peer = %client, "refused a cross-site request");
        }
        Err(ApiFailure::forbidden(
            ErrorCode::ForbiddenOrigin,
            "this page's origin may not use this server; its operator can allow it with \
             --allowed-origin",
        ))
    }
}

/// Middleware: checks the origin of every request that can change state (not GET/HEAD).
pub async fn guard_unsafe_methods(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        // The app always registers its state; were it missing, refuse rather than skip.
        let Some(state) = request.app_data::<actix_web::web::Data<AppState>>() else {
            return Err(
                ApiFailure::forbidden(ErrorCode::ForbiddenOrigin, "no origin policy").into(),
            );
        };
        state.allowed_origins.check(request.request(), state)?;
    }
    next.call(request).await
}
