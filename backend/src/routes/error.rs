//! HTTP API errors: a status code plus an [`ApiError`] JSON body with a stable `code`.

use crate::{
    auth::AuthError,
    hub::{
        PostError, access::AccessError, guest_names::GuestNameError, moderation::ActError,
        presence::PresenceError, site::SiteActError,
    },
    store::StoreError,
};
use actix_web::{
    HttpResponse, ResponseError,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::StatusCode,
    middleware::Next,
    web,
};
use chinwag_shared::{ApiError, Epoch, ErrorCode, ValidationError};
use std::fmt;

/// An error an API handler returns.
#[derive(Debug)]
pub struct ApiFailure {
    status: StatusCode,
    body: ApiError,
    /// The room's current history epoch, for `history_reset` answers.
    epoch: Option<Epoch>,
    /// Seconds to wait before trying again, for `rate_limited` answers (`Retry-After`).
    retry_after: Option<u64>,
}

pub use chinwag_shared::EPOCH_HEADER;

impl ApiFailure {
    /// 400 with `code`.
    pub fn bad_request(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            body: ApiError {
                code,
                detail: detail.into(),
                retry_after_ms: None,
            },
            epoch: None,
            retry_after: None,
        }
    }
}

impl ApiFailure {
    /// 403 with `code`.
    pub fn forbidden(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::with_status(StatusCode::FORBIDDEN, code, detail)
    }

    /// Any status with `code`.
    pub fn with_status(status: StatusCode, code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            body: ApiError {
                code,
                detail: detail.into(),
                retry_after_ms: None,
            },
            epoch: None,
            retry_after: None,
        }
    }
}

impl ApiFailure {
    /// 409 `history_reset`: the client's `epoch` is not `current`.
    pub fn history_reset(current: &Epoch) -> Self {
        let mut failure = Self::with_status(
            StatusCode::CONFLICT,
            ErrorCode::HistoryReset,
            "this room's history was replaced; start again from after=0 under the epoch \
             in the Chinwag-Epoch header",
        );
        failure.epoch = Some(Epoch::clone(current));
        failure
    }
}

impl From<ValidationError> for ApiFailure {
    fn from(err: ValidationError) -> Self {
        Self::bad_request(err.code(), err.to_string())
    }
}

impl From<StoreError> for ApiFailure {
    fn from(err: StoreError) -> Self {
        tracing::warn!(error = %err, "store failed during an API request");
        Self::unavailable()
    }
}

impl From<GuestNameError> for ApiFailure {
    fn from(err: GuestNameError) -> Self {
        tracing::warn!(error = %err, "guest names failed during an API request");
        Self::unavailable()
    }
}

impl From<PresenceError> for ApiFailure {
    fn from(err: PresenceError) -> Self {
        tracing::warn!(error = %err, "presence failed during an API request");
        Self::unavailable()
    }
}

impl ApiFailure {
    /// 503 `unavailable`: the store or presence failed; the request may be retried.
    fn unavailable() -> Self {
        Self::with_status(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Unavailable,
            "storage is unavailable; try again shortly",
        )
    }
}

impl From<AuthError> for ApiFailure {
    fn from(err: AuthError) -> Self {
        let detail = err.to_string();
        match err {
            AuthError::Unauthenticated(_) => {
                Self::with_status(StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated, detail)
            }
            AuthError::BadCredentials => {
                Self::with_status(StatusCode::UNAUTHORIZED, ErrorCode::BadCredentials, detail)
            }
            AuthError::Disabled => Self::forbidden(ErrorCode::AccountDisabled, detail),
            AuthError::Locked(wait) => {
                let mut failure = Self::with_status(
                    StatusCode::TOO_MANY_REQUESTS,
                    ErrorCode::RateLimited,
                    detail,
                );
                // Rounded up: a client that waits what it is told is never refused again.
                failure.retry_after = Some(wait.as_secs() + u64::from(wait.subsec_nanos() > 0));
                failure
            }
            AuthError::NameOwned(_) => Self::with_status(
                StatusCode::CONFLICT,
                ErrorCode::UsernameTaken,
                "an account already has that name, or one that looks like it; pick another",
            ),
            AuthError::Weak(_) => Self::bad_request(ErrorCode::WeakPassword, detail),
            AuthError::Invalid(invalid) => invalid.into(),
            AuthError::TokenName => Self::bad_request(ErrorCode::BadMessage, detail),
            AuthError::TooManyTokens => {
                Self::with_status(StatusCode::CONFLICT, ErrorCode::TooMany, detail)
            }
            AuthError::NotAPerson | AuthError::NotAdmin => {
                Self::forbidden(ErrorCode::Forbidden, detail)
            }
            AuthError::KeyName | AuthError::NoScopes => {
                Self::bad_request(ErrorCode::BadMessage, detail)
            }
            AuthError::TooManyKeys(_) => {
                Self::with_status(StatusCode::CONFLICT, ErrorCode::TooMany, detail)
            }
            AuthError::Store(err) => err.into(),
            AuthError::Hashing(_) | AuthError::Random(_) => {
                // The hasher's and the random source's errors name what failed, never what
                // they were given: no secret reaches the log.
                tracing::error!(error = %detail, "identity operation failed");
                Self::unavailable()
            }
        }
    }
}

impl From<AccessError> for ApiFailure {
    fn from(err: AccessError) -> Self {
        match err {
            AccessError::Forbidden => Self::forbidden(ErrorCode::Forbidden, err.to_string()),
            AccessError::Banned { .. } => Self::forbidden(ErrorCode::Banned, err.to_string()),
            AccessError::Scope(_) => Self::forbidden(ErrorCode::Forbidden, err.to_string()),
            AccessError::Store(err) => err.into(),
        }
    }
}

impl From<SiteActError> for ApiFailure {
    fn from(err: SiteActError) -> Self {
        let detail = err.to_string();
        match err {
            SiteActError::Unauthenticated => {
                Self::with_status(StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated, detail)
            }
            SiteActError::NotAdmin | SiteActError::Scope(_) => {
                Self::forbidden(ErrorCode::Forbidden, detail)
            }
            SiteActError::Store(err) => err.into(),
        }
    }
}

impl From<PostError> for ApiFailure {
    fn from(err: PostError) -> Self {
        match err {
            PostError::Store(err) => err.into(),
            PostError::TooManyNewRooms(refusal) => Self::with_status(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::TooManyNewRooms,
                refusal.to_string(),
            ),
            PostError::Access(err) => err.into(),
            PostError::Muted { .. } => Self::forbidden(ErrorCode::Muted, err.to_string()),
            PostError::SlowMode { retry_after, .. } => {
                let mut failure = Self::with_status(
                    StatusCode::TOO_MANY_REQUESTS,
                    ErrorCode::SlowMode,
                    err.to_string(),
                );
                let millis = u64::try_from(retry_after.as_millis())
                    .unwrap_or(u64::MAX)
                    .max(1);
                failure.body.retry_after_ms = Some(millis);
                failure.retry_after = Some(millis.div_ceil(1000));
                failure
            }
        }
    }
}

impl From<ActError> for ApiFailure {
    fn from(err: ActError) -> Self {
        let detail = err.to_string();
        match err {
            ActError::Unauthenticated => {
                Self::with_status(StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated, detail)
            }
            ActError::Access(err) => err.into(),
            ActError::Forbidden(_) => Self::forbidden(ErrorCode::Forbidden, detail),
            ActError::NoSuchMessage => {
                Self::with_status(StatusCode::NOT_FOUND, ErrorCode::NoSuchMessage, detail)
            }
            ActError::MessageDeleted => {
                Self::with_status(StatusCode::CONFLICT, ErrorCode::MessageDeleted, detail)
            }
            ActError::EditWindowClosed { .. } => {
                Self::forbidden(ErrorCode::EditWindowClosed, detail)
            }
            ActError::Muted => Self::forbidden(ErrorCode::Muted, detail),
            ActError::NoSuchUser => {
                Self::with_status(StatusCode::NOT_FOUND, ErrorCode::NoSuchUser, detail)
            }
            ActError::Invalid(_) => Self::bad_request(ErrorCode::BadMessage, detail),
            ActError::TooManySanctions(_) => {
                Self::with_status(StatusCode::CONFLICT, ErrorCode::TooMany, detail)
            }
            ActError::Store(err) => err.into(),
        }
    }
}

impl fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.body.code, self.body.detail)
    }
}

impl ResponseError for ApiFailure {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if let Some(epoch) = &self.epoch {
            response.insert_header((EPOCH_HEADER, epoch.as_str()));
        }
        if let Some(seconds) = self.retry_after {
            response.insert_header((actix_web::http::header::RETRY_AFTER, seconds));
        }
        response.json(&self.body)
    }
}

impl ApiFailure {
    /// Its stable code.
    pub fn code(&self) -> ErrorCode {
        self.body.code
    }
}

/// Middleware: counts every request refused with an [`ApiFailure`] in
/// `chinwag_http_refusals_total` by its code (what the console shows as refusals, beside
/// the sockets' error frames). Reads the error the response already carries: no parsing.
pub async fn count_refusals(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = request.app_data::<web::Data<super::AppState>>().cloned();
    let answered = next.call(request).await;
    let refused = match &answered {
        Ok(response) => response.response().error(),
        Err(err) => Some(err),
    };
    if let (Some(state), Some(failure)) =
        (state, refused.and_then(|err| err.as_error::<ApiFailure>()))
    {
        state.hub.metrics().count_http_refusal(failure.code());
    }
    answered
}

/// Makes malformed query strings (`after=abc`) answer with a JSON `bad_query` error.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _request| {
        ApiFailure::bad_request(ErrorCode::BadQuery, err.to_string()).into()
    })
}

/// Makes malformed or oversized JSON bodies answer with a JSON `bad_message` error.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(chinwag_shared::MAX_FRAME_BYTES)
        .error_handler(|err, _request| match err {
            actix_web::error::JsonPayloadError::Payload(payload) if is_body_timeout(&payload) => {
                ApiFailure::with_status(
                    actix_web::http::StatusCode::REQUEST_TIMEOUT,
                    ErrorCode::BadMessage,
                    "the request body did not arrive in time",
                )
                .into()
            }
            err => ApiFailure::bad_request(ErrorCode::BadMessage, err.to_string()).into(),
        })
}

/// Whether a body read failed because its deadline passed: `request_limit`'s deadline ends a
/// slow body's stream with a `TimedOut` I/O error.
fn is_body_timeout(err: &actix_web::error::PayloadError) -> bool {
    matches!(err, actix_web::error::PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut)
}
